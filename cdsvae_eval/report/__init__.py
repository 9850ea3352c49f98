"""Turn results and samples into things people read: tables, JSON results, image grids, plots."""
