"""A tiny numpy source-filter synthesiser that writes speakers in the exact LDC TIMIT layout (for tests).

Vowels and nasals are a glottal pulse train through three formant resonators, fricatives are noise
through a broad resonator, stops a short noise burst, ``h#``/``pau`` silence. Each speaker has its own
pitch and formant scale, so speaker identity is learnable. Writes a few speakers in well under a second.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import soundfile
from scipy.signal import lfilter

from cdsvae_eval.data.timit import CORE_TEST_REGIONS, DEV_SPEAKERS

RATE = 16000

# phone -> (kind, formants or noise centre frequencies in Hz)
PHONE_SPECS: dict[str, tuple[str, tuple[float, ...]]] = {
    "iy": ("vowel", (270, 2290, 3010)), "ih": ("vowel", (390, 1990, 2550)), "eh": ("vowel", (530, 1840, 2480)),
    "ae": ("vowel", (660, 1720, 2410)), "aa": ("vowel", (730, 1090, 2440)), "ah": ("vowel", (520, 1190, 2390)),
    "ao": ("vowel", (570, 840, 2410)), "uw": ("vowel", (300, 870, 2240)), "er": ("vowel", (490, 1350, 1690)),
    "ow": ("vowel", (500, 900, 2400)), "m": ("nasal", (250, 1100, 2200)), "n": ("nasal", (250, 1700, 2600)),
    "s": ("fricative", (6000,)), "sh": ("fricative", (3000,)), "f": ("fricative", (4500,)),
    "z": ("voiced-fricative", (6000,)), "v": ("voiced-fricative", (4500,)),
    "t": ("stop", (4000,)), "k": ("stop", (2000,)), "d": ("stop", (3500,)),
}
DURATION_MS: dict[str, tuple[int, int]] = {
    "vowel": (80, 150), "nasal": (50, 80), "fricative": (70, 120), "voiced-fricative": (60, 90), "stop": (30, 50),
}
LEXICON: dict[str, tuple[str, ...]] = {
    "she": ("sh", "iy"), "saw": ("s", "ao"), "a": ("ah",), "fish": ("f", "ih", "sh"), "moon": ("m", "uw", "n"),
    "sun": ("s", "ah", "n"), "eat": ("iy", "t"), "feet": ("f", "iy", "t"), "ten": ("t", "eh", "n"),
    "cat": ("k", "ae", "t"), "dock": ("d", "aa", "k"), "nine": ("n", "aa", "ih", "n"), "vase": ("v", "eh", "s"),
    "zoo": ("z", "uw"), "fur": ("f", "er"), "most": ("m", "ow", "s", "t"), "shed": ("sh", "eh", "d"),
    "mat": ("m", "ae", "t"), "van": ("v", "ae", "n"), "knot": ("n", "aa", "t"),
}
SA_SENTENCES = (("she", "saw", "a", "fish"), ("ten", "cat", "eat", "most"))


def write_formant_timit(
    root: str | os.PathLike[str],
    speakers_per_split: dict[str, int] | None = None,
    sentences: int = 4,
    seed: int = 0,
    lowercase: bool = False,
    riff: bool = False,
    core: bool = False,
    sa: bool = False,
) -> Path:
    """Write a TIMIT-layout corpus under ``root`` and return it.

    ``core`` adds the 24 core-test speakers to TEST (the other TEST speakers then take ids from the
    standard dev list); ``sa`` adds SA1/SA2 for every speaker; ``riff`` writes RIFF instead of SPHERE.
    """
    counts = {"TRAIN": 4, "TEST": 3, **(speakers_per_split or {})}
    root = Path(root)
    rng = np.random.default_rng(seed)
    name = str.lower if lowercase else str
    info_lines = [";  ID  SEX DR USE  RECDATE  BIRTHDATE  HT  RACE EDU  COMMENTS", ";"]
    used: set[str] = set(CORE_TEST_REGIONS) | set(DEV_SPEAKERS)
    for part in ("TRAIN", "TEST"):
        speakers = _speaker_plan(part, counts[part], core, rng, used)
        for index, (speaker, region) in enumerate(speakers):
            folder = root / name(part) / name(f"DR{region}") / name(speaker)
            folder.mkdir(parents=True, exist_ok=True)
            sex = speaker[0]
            voice = _Voice(
                f0=float(rng.uniform(95, 140) if sex == "M" else rng.uniform(175, 240)),
                scale=float(rng.uniform(0.92, 1.0) if sex == "M" else rng.uniform(1.08, 1.2)),
            )
            utterances = [(f"SX{10 * index + k + 1}", _random_words(rng)) for k in range(sentences)]
            if sa:
                utterances += [(f"SA{k + 1}", words) for k, words in enumerate(SA_SENTENCES)]
            for stem, words in utterances:
                _write_utterance(folder, name(stem), words, voice, rng, name, riff)
            info_lines.append(f"  {speaker[1:]}  {sex}   {region}  {'TRN' if part == 'TRAIN' else 'TST'}  01/01/86  ??")
    doc = root / name("DOC")
    doc.mkdir(parents=True, exist_ok=True)
    (doc / name("SPKRINFO.TXT")).write_text("\n".join(info_lines) + "\n", encoding="ascii")
    return root


@dataclass(frozen=True)
class _Voice:
    f0: float
    scale: float


def _speaker_plan(part: str, count: int, core: bool, rng: np.random.Generator, used: set[str]) -> list[tuple[str, int]]:
    plan: list[tuple[str, int]] = []
    if part == "TEST" and core:
        plan.extend(CORE_TEST_REGIONS.items())
        plan.extend((speaker, 1 + i % 8) for i, speaker in enumerate(DEV_SPEAKERS[:count]))
        return plan
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    while len(plan) < count:
        sex = "F" if len(plan) % 3 == 2 else "M"
        speaker = sex + "".join(rng.choice(letters, 3)) + "0"
        if speaker not in used:
            used.add(speaker)
            plan.append((speaker, 1 + len(plan) % 8))
    return plan


def _random_words(rng: np.random.Generator) -> tuple[str, ...]:
    words = list(LEXICON)
    return tuple(words[i] for i in rng.choice(len(words), size=int(rng.integers(3, 6)), replace=False))


def _write_utterance(
    folder: Path, stem: str, words: tuple[str, ...], voice: _Voice, rng: np.random.Generator,
    name: Callable[[str], str], riff: bool
) -> None:
    pieces: list[np.ndarray] = []
    phones: list[tuple[int, int, str]] = []
    word_spans: list[tuple[int, int, str]] = []
    position = 0

    def add(label: str, audio: np.ndarray) -> None:
        nonlocal position
        pieces.append(audio)
        phones.append((position, position + len(audio), label))
        position += len(audio)

    add("h#", np.zeros(int(rng.integers(1600, 2800))))
    for word_index, word in enumerate(words):
        if word_index and rng.random() < 0.25:
            add("pau", np.zeros(int(rng.integers(800, 1600))))
        start = position
        for phone in LEXICON[word]:
            add(phone, _render(phone, voice, rng))
        word_spans.append((start, position, word))
    add("h#", np.zeros(int(rng.integers(1600, 2800))))
    audio = np.concatenate(pieces)
    audio = audio / max(np.abs(audio).max(), 1e-9) * 0.5 + rng.normal(0, 1e-3, len(audio))
    pcm = np.clip(np.round(audio * 32767), -32768, 32767).astype(np.int16)
    kwargs = dict(format="WAV", subtype="PCM_16") if riff else dict(format="NIST", subtype="PCM_16")
    soundfile.write(str(folder / f"{stem}{name('.WAV')}"), pcm, RATE, **kwargs)
    (folder / f"{stem}{name('.PHN')}").write_text("".join(f"{a} {b} {p}\n" for a, b, p in phones))
    (folder / f"{stem}{name('.WRD')}").write_text("".join(f"{a} {b} {w}\n" for a, b, w in word_spans))
    (folder / f"{stem}{name('.TXT')}").write_text(f"0 {position} {' '.join(words).capitalize()}.\n")


def _resonator(signal: np.ndarray, frequency: float, bandwidth: float) -> np.ndarray:
    radius = np.exp(-np.pi * bandwidth / RATE)
    theta = 2 * np.pi * frequency / RATE
    a = [1.0, -2 * radius * np.cos(theta), radius**2]
    return lfilter([1 - radius], a, signal)


def _render(phone: str, voice: _Voice, rng: np.random.Generator) -> np.ndarray:
    kind, frequencies = PHONE_SPECS[phone]
    low, high = DURATION_MS[kind]
    length = int(rng.integers(low, high + 1) * RATE / 1000)
    if kind in ("vowel", "nasal", "voiced-fricative"):
        f0 = voice.f0 * (1 + 0.03 * rng.standard_normal())
        periods = np.cumsum(np.full(int(length * f0 / RATE) + 2, RATE / f0))
        source = np.zeros(length)
        source[periods[periods < length].astype(int)] = 1.0
        voiced = source
        if kind == "voiced-fricative":
            voiced = _resonator(source, 250 * voice.scale, 100) + 0.3 * _resonator(
                rng.standard_normal(length), frequencies[0] * voice.scale, 2000
            )
            return voiced * 0.5
        out = np.zeros(length)
        for formant, bandwidth in zip(frequencies, (60, 90, 120)):
            out = out + _resonator(voiced, formant * voice.scale, bandwidth)
        return out * (0.4 if kind == "nasal" else 1.0)
    noise = rng.standard_normal(length)
    gain = 0.15 if kind == "fricative" else 0.3
    return gain * _resonator(noise, frequencies[0] * voice.scale, 1500)
