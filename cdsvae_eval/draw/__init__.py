"""Pictures from arrays: PNG grids of frames and swaps, curve plots. Knows nothing of tasks or runs, so
every layer (tasks' figures, the evaluation API, reports, the CLI) can draw with it."""
