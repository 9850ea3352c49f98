"""The speech swaps on a speech run's page: what the judges say of the swaps beside their ceilings and the
random-init floor, then the first pairs to see and hear.

Each listening pair shows the spectrograms of A, B, A's voice with B's words and the reverse on one colour
scale, each with an ``<audio>`` player of its Griffin-Lim WAV embedded in the page. The size is bounded: at most
:data:`~cdsvae_eval.tasks.speech_swap.MAX_LISTEN_PAIRS` pairs (the task's ``listen`` option), four clips each,
each at most :data:`MAX_LISTEN_SECONDS` of 16-bit audio; the page says how much of it they take.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from cdsvae_eval.errors import DataError
from cdsvae_eval.models.verdict import AUDIO_SWAP_BACKEND
from cdsvae_eval.names import (
    BASELINE_PREFIX, CONTENT_KEPT_ACC, CONTENT_LEAK_ACC, PHONE_SCORER_HELD_OUT_ACC, REAL_OUTPUT, RECON_OUTPUT,
    SPEAKER_DECISION_ACC, SPEAKER_DECISION_EER, SWAP_OUTPUT, speech_swap_metric,
)
from cdsvae_eval.report.aggregate import format_cell, format_value
from cdsvae_eval.report.audio import GRIFFIN_LIM_ITERATIONS, features_to_audio, plot_spectrogram_grid, wav_bytes
from cdsvae_eval.report.page import Block, Heading, Paragraph, Picture, Sound, Sounds, Table, png_bytes
from cdsvae_eval.report.protocol import protocol_paragraph
from cdsvae_eval.report.run_inputs import RunResults
from cdsvae_eval.tasks.speech_swap import LISTENING_FILE, ListeningPair, read_listening_pairs

MAX_LISTEN_SECONDS = 4.0
# Palette of the spectrogram pictures: a colour map needs no more to look the same, and the pictures shrink 3x.
SPECTROGRAM_COLOURS = 128
_ROWS = ((REAL_OUTPUT, "", "real utterances (the judges' ceiling)"),
         (RECON_OUTPUT, "", "reconstructions (the model's ceiling)"),
         (SWAP_OUTPUT, "", "swaps"),
         (RECON_OUTPUT, BASELINE_PREFIX, "random-init reconstructions"),
         (SWAP_OUTPUT, BASELINE_PREFIX, "random-init swaps (the floor)"))


def speech_swap_blocks(run: RunResults, record: dict[str, Any]) -> list[Block]:
    """The speech-swap section: protocol, the speaker and content tables, then the listening pairs."""
    metrics = record["metrics"]
    protocol = record.get("protocol") or {}
    rows = [(output, prefix, label) for output, prefix, label in _ROWS
            if prefix + speech_swap_metric(CONTENT_KEPT_ACC, output) in metrics]
    backends = [backend for backend in ((protocol.get("judges") or {}).get("backends") or {})
                if any(prefix + speech_swap_metric(SPEAKER_DECISION_ACC, output, backend) in metrics
                       for output, prefix, _ in rows)]
    blocks: list[Block] = [Heading("Speech swaps: A's voice saying B's words (speech-swap)", 3),
                           protocol_paragraph(record)]

    def cells(measure: str, output: str, prefix: str) -> list[str]:
        return [format_cell(metrics.get(prefix + speech_swap_metric(measure, output, backend)))
                for backend in backends]

    blocks.append(Table(["scored", *backends], [[label, *cells(SPEAKER_DECISION_ACC, output, prefix)]
                                                for output, prefix, label in rows],
                        caption="Speaker decision: closer to z_s's source than to z_1:T's source (accuracy)",
                        note=f"Each decision compares the scored utterance with the other utterances of both speakers "
                             f"(MFCC-20 mean+std of the log-mel frames, each back-end fitted on the training "
                             f"speakers); chance 0.5, 95% CIs over speakers. The verdict reads "
                             f"{AUDIO_SWAP_BACKEND}. Real and reconstructed: z_s's source's own utterance."))
    blocks.append(Table(["scored", *backends], [[label, *cells(SPEAKER_DECISION_EER, output, prefix)]
                                                for output, prefix, label in rows],
                        caption="Speaker verification EER (%) over the same trials",
                        note="Targets: the scored utterance against z_s's source's other utterances; non-targets: "
                             "against z_1:T's source's. Chance 50%."))
    content_rows = []
    for output, prefix, label in rows:
        kept = metrics.get(prefix + speech_swap_metric(CONTENT_KEPT_ACC, output))
        leak = metrics.get(prefix + speech_swap_metric(CONTENT_LEAK_ACC, output))
        content_rows.append([label, format_cell(kept), format_cell(leak) if leak else "-",
                             format_value(kept.get("chance"))])
    scorer = metrics.get(PHONE_SCORER_HELD_OUT_ACC)
    scorer_note = (f" The classifier's own accuracy on held-out training speakers: {format_value(scorer['value'])} "
                   f"(chance {format_value(scorer.get('chance'))})." if scorer else "")
    blocks.append(Table(["scored", "phones of z_1:T's source", "phones of z_s's source (leakage)", "chance"],
                        content_rows, caption="Content: each frame's phone read by a linear classifier of log-mel "
                                              "frames",
                        note="Kept: against the phones of the utterance whose z_1:T was decoded (real and "
                             "reconstructed: that utterance itself). Leakage: against the phones of z_s's source at the "
                             "same frame, where the two utterances differ; the real utterances' figure is what a "
                             "perfect swap scores by the classifier's confusions." + scorer_note))
    blocks += listening_blocks(run, record)
    return blocks


def listening_blocks(run: RunResults, record: dict[str, Any]) -> list[Block]:
    """Each listening pair the task wrote: its texts, its four spectrograms and four players."""
    if LISTENING_FILE not in (record.get("artifacts") or []):
        return []
    path = run.results_dir / LISTENING_FILE
    try:
        listening = read_listening_pairs(path)
    except DataError as error:
        return [Paragraph(f"No listening pairs: {error}")]
    blocks: list[Block] = [Heading("Listen: the first swap pairs", 4)]
    total = 0
    longest = int(MAX_LISTEN_SECONDS * listening.sample_rate / listening.spec.hop_length)
    for index, pair in enumerate(listening.pairs, start=1):
        labels = _labels(pair)
        clips = {name: pair.features[name][:longest] for name in labels}
        blocks.append(Paragraph(f"Pair {index}. A, {pair.utterance_a} (speaker {pair.speaker_a}): "
                                f"\u201c{pair.text_a}\u201d B, {pair.utterance_b} (speaker {pair.speaker_b}): "
                                f"\u201c{pair.text_b}\u201d"))
        with tempfile.TemporaryDirectory() as folder:
            picture = plot_spectrogram_grid(Path(folder) / "pair.png",
                                            {labels[name]: clip for name, clip in clips.items()}, listening.spec,
                                            listening.sample_rate, title=f"pair {index}: spectrograms on one colour scale")
            blocks.append(Picture(png_bytes(picture, colours=SPECTROGRAM_COLOURS), f"spectrograms of swap pair {index}"))
        sounds = tuple(Sound(wav_bytes(features_to_audio(clip, listening.spec, listening.sample_rate),
                                       listening.sample_rate), labels[name]) for name, clip in clips.items())
        total += sum(len(sound.wav) for sound in sounds)
        blocks.append(Sounds(sounds))
    blocks.append(Paragraph(
        f"Audio: the log-mel features inverted by Griffin-Lim ({GRIFFIN_LIM_ITERATIONS} iterations, no neural "
        f"vocoder, so all clips share its artefacts), {listening.sample_rate} Hz 16-bit WAV, each clip at most "
        f"{MAX_LISTEN_SECONDS:g} s: {4 * len(listening.pairs)} clips, {total / 1e6:.2f} MB before base64 encoding. "
        f"The pairs are the first the task drew with seed {record.get('seed')}; `cdsvae-eval sample --checkpoint "
        f"RUN --seed {record.get('seed')} --out DIR` writes the first as WAV files."))
    return blocks


def _labels(pair: ListeningPair) -> dict[str, str]:
    return {"a_original": f"A: speaker {pair.speaker_a}, real",
            "b_original": f"B: speaker {pair.speaker_b}, real",
            "a_speaker_b_content": "A's voice (z_s) saying B's words (z_1:T)",
            "b_speaker_a_content": "B's voice (z_s) saying A's words (z_1:T)"}
