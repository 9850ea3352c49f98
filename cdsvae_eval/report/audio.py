"""Listenable audio from spectral features: Griffin-Lim WAVs, spectrogram PNGs, and the speaker-swap sample.

Features are inverted without a neural vocoder: denormalise, undo the log, (for mel features) solve for a
linear spectrogram, then Griffin-Lim. Every output of a sample goes through the same inversion, the
originals included, so differences between the files come from the model and not from the vocoder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

from cdsvae_eval.atomic import atomic_path, write_text
from cdsvae_eval.data.base import AudioSequenceDataset
from cdsvae_eval.data.features import LOG_FLOOR, FeatureSpec
from cdsvae_eval.draw.plots import save_figure
from cdsvae_eval.errors import ConfigError
from cdsvae_eval.models.utterance_swap import SWAP_OUTPUTS, pick_utterance_pair, swap_utterances, utterance_rows

GRIFFIN_LIM_ITERATIONS = 32
PEAK = 0.99


def features_to_audio(features: np.ndarray, spec: FeatureSpec, sample_rate: int,
                      n_iter: int = GRIFFIN_LIM_ITERATIONS, seed: int = 0) -> np.ndarray:
    """Invert ``(frames, F)`` unnormalised features of ``spec`` to a float32 waveform (seeded Griffin-Lim)."""
    import librosa

    values = np.asarray(features, dtype=np.float64).T
    spectrum = np.maximum(np.exp(values) - LOG_FLOOR, 0.0) if spec.log else np.maximum(values, 0.0)
    if spec.n_mels is not None:
        # torchaudio's MelSpectrogram default: HTK mel scale, unnormalised filters, power 2
        spectrum = librosa.feature.inverse.mel_to_stft(
            spectrum, sr=sample_rate, n_fft=spec.n_fft, power=2.0, htk=True, norm=None
        )
    if spec.drop_dc:
        spectrum = np.concatenate([np.zeros((1, spectrum.shape[1])), spectrum])
    audio = librosa.griffinlim(
        spectrum, n_iter=n_iter, hop_length=spec.hop_length, win_length=spec.win_length, n_fft=spec.n_fft,
        center=True, random_state=seed,
    )
    return audio.astype(np.float32)


def write_wav(path: str | os.PathLike[str], audio: np.ndarray, sample_rate: int) -> Path:
    """Write 16-bit PCM WAV atomically; audio louder than full scale is scaled down to peak at 0.99."""
    audio = np.asarray(audio, dtype=np.float64)
    peak = float(np.abs(audio).max(initial=0.0))
    if peak > 1.0:
        audio = audio * (PEAK / peak)
    target = Path(path)
    with atomic_path(target) as tmp:
        soundfile.write(str(tmp), audio, sample_rate, format="WAV", subtype="PCM_16")
    return target


def save_spectrogram(path: str | os.PathLike[str], features: np.ndarray, spec: FeatureSpec, sample_rate: int,
                     title: str, value_range: tuple[float, float] | None = None) -> Path:
    """A PNG of ``(frames, F)`` unnormalised features: time in seconds across, feature bins up."""
    from matplotlib.figure import Figure

    features = np.asarray(features, dtype=np.float64)
    seconds = len(features) * spec.hop_length / sample_rate
    low, high = value_range if value_range is not None else (float(features.min()), float(features.max()))
    figure = Figure(figsize=(max(4.0, min(12.0, 2.0 + 2.5 * seconds)), 3.2), dpi=100)
    axes = figure.subplots()
    image = axes.imshow(features.T, origin="lower", aspect="auto", cmap="magma", vmin=low, vmax=high,
                        extent=(0.0, seconds, 0, features.shape[1]), interpolation="nearest")
    axes.set_xlabel("time (s)")
    axes.set_ylabel("mel band" if spec.n_mels is not None else "frequency bin")
    axes.set_title(title, fontsize="medium")
    figure.colorbar(image, ax=axes, label="log power" if spec.log else "magnitude")
    return save_figure(figure, path)


@dataclass
class SwapSample:
    """What :func:`write_swap_sample` wrote: the files in order, and the two utterances it used."""

    files: list[Path]
    utterance_a: str
    utterance_b: str
    seconds: float


_DESCRIPTIONS = {
    "a_original": "A's real features (the frames the model sees), through the same Griffin-Lim",
    "b_original": "B's real features, through the same Griffin-Lim",
    "a_recon": "A reconstructed: A's speaker code with A's content codes",
    "b_recon": "B reconstructed: B's speaker code with B's content codes",
    "a_speaker_b_content": "A's speaker code with B's content codes: A's voice saying B's sentence",
    "b_speaker_a_content": "B's speaker code with A's content codes: B's voice saying A's sentence",
}


def write_swap_sample(model: Any, dataset: Any, split: str, out_dir: str | os.PathLike[str], seed: int = 0,
                      source: str = "") -> SwapSample:
    """Swap speaker and content between two seeded utterances of different speakers in ``split``; write
    a WAV and a spectrogram PNG per output of :func:`swap_utterances`, and a ``README.txt``."""
    if not isinstance(dataset, AudioSequenceDataset):
        raise ConfigError(f"sample writes audio for speech-corpus datasets (AudioSequenceDataset); dataset "
                          f"{dataset.name!r} is not one")
    spec: FeatureSpec = dataset.feature_spec
    rate: int = dataset.sample_rate
    mean, std = dataset.feature_stats
    part = dataset.split(split)
    speakers = np.asarray(dataset.speaker_ids)[part.identity]
    utt_a, utt_b = pick_utterance_pair(part.groups, speakers, seed)
    sequences = swap_utterances(
        model, part.x[utterance_rows(part.groups, utt_a)], part.x[utterance_rows(part.groups, utt_b)],
        hop=dataset.segment_hop,
    )
    features = {name: value * std + mean for name, value in sequences.items()}
    value_range = (min(float(f.min()) for f in features.values()), max(float(f.max()) for f in features.values()))
    out = Path(out_dir)
    files: list[Path] = []
    for name in SWAP_OUTPUTS:
        audio = features_to_audio(features[name], spec, rate, seed=seed)
        files.append(write_wav(out / f"{name}.wav", audio, rate))
        files.append(save_spectrogram(out / f"{name}.png", features[name], spec, rate,
                                      title=f"{name}: {_DESCRIPTIONS[name]}", value_range=value_range))
    by_id = {u.id: u for u in dataset.corpus.utterances}
    readme = out / "README.txt"
    write_text(readme, _readme(dataset, split, source, by_id[utt_a], by_id[utt_b], features, spec, rate))
    files.append(readme)
    return SwapSample(files=files, utterance_a=utt_a, utterance_b=utt_b,
                      seconds=len(features["a_original"]) * spec.hop_length / rate)


def _readme(dataset: Any, split: str, source: str, utt_a: Any, utt_b: Any, features: dict[str, np.ndarray],
            spec: FeatureSpec, rate: int) -> str:
    lines = [
        f"cdsvae-eval sample: speaker/content swap between two {split} utterances of {dataset.name}",
        *([f"checkpoint: {source}"] if source else []),
        "",
    ]
    for label, utt, key in (("A", utt_a, "a_original"), ("B", utt_b, "b_original")):
        frames = len(features[key])
        lines.append(f"{label}: utterance {utt.id}, speaker {utt.speaker} "
                     f"(sex {utt.sex}, dialect region DR{utt.dialect})")
        lines.append(f"   text: {_transcript(utt)}")
        lines.append(f"   source {_duration(utt.wav):.2f} s; the files cover its first {frames} frames "
                     f"({frames * spec.hop_length / rate:.2f} s, whole segments only)")
    lines += ["", "files (each with a .png spectrogram on one colour scale):"]
    lines += [f"  {name}.wav  {_DESCRIPTIONS[name]}" for name in SWAP_OUTPUTS]
    lines += [
        "",
        "speaker code: the mean over an utterance's 200 ms segments of the static posterior means;",
        "content: each segment's dynamic posterior means; decoded segments are overlap-added (averaged where",
        "they overlap). Audio: features denormalised with the train speakers' mean/std, then Griffin-Lim",
        f"({GRIFFIN_LIM_ITERATIONS} iterations) at {rate} Hz: no neural vocoder, so all six files share its artefacts.",
    ]
    return "\n".join(lines) + "\n"


def _transcript(utt: Any) -> str:
    if utt.txt is None:
        return "(no .TXT file)"
    fields = utt.txt.read_text(encoding="latin-1").split(maxsplit=2)
    return fields[2].strip() if len(fields) == 3 else "(unreadable .TXT file)"


def _duration(path: Path) -> float:
    return float(soundfile.info(str(path)).duration)
