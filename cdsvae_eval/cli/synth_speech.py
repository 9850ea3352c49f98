"""``cdsvae-eval data synth-speech``: write a TIMIT-layout corpus from real recorded voices."""

from __future__ import annotations

from pathlib import Path

import click

from cdsvae_eval.errors import ConfigError


@click.command("synth-speech")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the corpus into (TRAIN/, TEST/, DOC/).")
@click.option("--speakers", default=40, show_default=True, help="Number of speakers (train + dev + test).")
@click.option("--sentences", default=10, show_default=True, help="Sentences per speaker.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Seed: the same seed writes byte-identical files.")
@click.option("--force", is_flag=True, help="Write into DIR even if it is not empty.")
def synth_speech(out_dir: Path, speakers: int, sentences: int, seed: int, force: bool) -> None:
    """Synthesise a TIMIT-layout speech corpus (mbrola/flite voices of real people)."""
    from rich.console import Console

    from cdsvae_eval.cli.options import fields_as_flags
    from cdsvae_eval.data.synth_speech import RoleCounts, synthesize_corpus

    from cdsvae_eval.path_checks import check_output_dir

    check_output_dir(out_dir, "--out")
    if out_dir.exists() and any(out_dir.iterdir()) and not force:
        raise ConfigError(f"--out {out_dir} exists and is not empty (pass --force to write into it)")
    with fields_as_flags({"speakers": "--speakers", "sentences": "--sentences"}):
        report = synthesize_corpus(out_dir, RoleCounts.from_total(speakers), sentences=sentences, seed=seed)
    console = Console()
    console.print(f"wrote [bold]{report.out_dir}[/bold]: {report.utterances} utterances, "
                  f"{report.audio_seconds / 60:.1f} min of audio in {report.seconds:.1f} s")
    console.print(f"engines: {', '.join(report.engines)}"
                  + ("" if report.exact_boundaries else " (espeak-ng formant voices: not real people, "
                                                         "phone boundaries approximate)"))
    console.print("speakers: " + ", ".join(f"{n} {role}" for role, n in report.speakers.items()))
    console.print(f"train voices ({len(report.train_voices)}): {', '.join(report.train_voices)}")
    if report.dev_voices:
        console.print(f"dev voices ({len(report.dev_voices)}): {', '.join(report.dev_voices)}"
                      + ("" if not set(report.dev_voices) & set(report.train_voices)
                         else " [yellow](shared with train: too few voices)[/yellow]"))
    console.print(f"test voices ({len(report.test_voices)}): {', '.join(report.test_voices)}"
                  + ("" if report.voices_disjoint else " [yellow](shared with train: too few voices)[/yellow]"))
    if report.unknown_symbols:
        console.print(f"phone symbols without a TIMIT mapping (labelled ah): {report.unknown_symbols}")
