"""A TIMIT-layout speech corpus synthesised from voices recorded from real people.

Engines in order of preference: mbrola diphone voices driven by espeak-ng (exact phone boundaries from
the ``.pho`` durations), flite voices (exact boundaries from ``-psdur``), and, only when neither is
installed, espeak-ng's own formant voices (not real people; phone boundaries approximate).

Each speaker is a base voice with its own pitch factor, speaking rate and vocal-tract warp (a resampling
that scales formants, pitch and duration together), plus small per-utterance jitter. Base voices are
disjoint between train and test speakers whenever there are at least two; the voice behind each speaker
is recorded in ``DOC/VOICES.TXT``. Output is 16 kHz NIST SPHERE with ``.PHN``/``.WRD``/``.TXT`` beside it.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile

from cdsvae_eval.data.sentences import SENTENCES
from cdsvae_eval.errors import ConfigError, DataError, FieldError
from cdsvae_eval.path_checks import check_output_dir

RATE = 16000
MBROLA_DIRS = (Path("/usr/share/mbrola"), Path("/usr/share/mbrola/voices"))
# Base voices in order of preference, with the sex of the person recorded.
MBROLA_VOICES: dict[str, str] = {
    "us1": "F", "us2": "M", "us3": "M", "en1": "M", "de1": "F", "de2": "M", "de3": "F", "de4": "M", "de5": "F",
    "de6": "M", "fr1": "M", "fr4": "F", "af1": "M", "nl2": "M", "pl1": "F", "ro1": "M", "sw1": "M", "sw2": "F",
    "hu1": "F", "gr2": "M",
}
NATIVE_ENGLISH_MBROLA = frozenset({"us1", "us2", "us3", "en1"})
FLITE_VOICES: dict[str, str] = {"kal16": "M", "awb": "M", "rms": "M", "slt": "F"}
ESPEAK_VARIANTS: dict[str, str] = {"m1": "M", "f2": "F", "m3": "M", "f4": "F", "m5": "M", "f1": "F", "m7": "M", "f3": "F"}
INSTALL_HINT = (
    "no speech synthesiser found: add the Debian contrib/non-free sources (a deb822 file in "
    "/etc/apt/sources.list.d/ with 'Types: deb', 'URIs: http://deb.debian.org/debian', 'Suites: bookworm "
    "bookworm-updates', 'Components: contrib non-free', 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'), "
    "then run 'apt-get update && apt-get install -y espeak-ng mbrola mbrola-us1 mbrola-us2 mbrola-us3 "
    "mbrola-en1 flite'"
)

# mbrola / espeak SAMPA symbols (English and the foreign voices' English phoneme sets) -> TIMIT phones.
SAMPA_TO_TIMIT: dict[str, str] = {
    "p": "p", "b": "b", "t": "t", "d": "d", "k": "k", "g": "g", "c": "k", "q": "g", "?": "q",
    "p_h": "p", "t_h": "t", "k_h": "k", "ph": "p", "th": "t", "kh": "k", "4": "dx",
    "f": "f", "v": "v", "T": "th", "D": "dh", "s": "s", "z": "z", "S": "sh", "Z": "zh", "rs": "sh",
    "h": "hh", "x": "hh", "X": "hh", "C": "hh", "G": "g", "tS": "ch", "dZ": "jh", "tj": "ch", "dj": "jh",
    "m": "m", "n": "n", "N": "ng", "J": "n", "l": "l", "5": "el", "L": "l", "r": "r", "R": "r",
    "w": "w", "j": "y", "Y": "y",
    "i": "iy", "i:": "iy", "I": "ih", "e": "ey", "e:": "ey", "E": "eh", "E:": "eh", "{": "ae", "&": "ae",
    "a": "aa", "a:": "aa", "A": "aa", "A:": "aa", "Q": "aa", "V": "ah", "O": "ao", "O:": "ao",
    "o": "ow", "o:": "ow", "U": "uh", "u": "uw", "u:": "uw", "u0": "uw", "@": "ax", "$": "ax", "6": "ax",
    "3:": "er", "r=": "er", "2": "er", "2:": "er", "9": "er",
    "aI": "ay", "AI": "ay", "eI": "ey", "EI": "ey", "Ei": "ey", "OI": "oy", "OY": "oy",
    "O2": "ao", "l=": "el", "aU": "aw", "Au": "aw", "@U": "ow", "oU": "ow", "I@": "ih", "e@": "eh", "U@": "uh",
}
FALLBACK_PHONE = "ah"


@dataclass(frozen=True)
class BaseVoice:
    """A synthesiser voice: one recorded person (for mbrola and flite)."""

    engine: str
    name: str
    sex: str

    @property
    def label(self) -> str:
        return f"{self.engine}:{self.name}"

    @property
    def real_person(self) -> bool:
        return self.engine != "espeak"


@dataclass(frozen=True)
class SpeakerPlan:
    speaker: str
    sex: str
    region: int
    part: str
    role: str
    voice: BaseVoice
    pitch: float
    rate: float
    warp: float
    sentence_ids: tuple[int, ...]


@dataclass
class SynthReport:
    """What ``synthesize_corpus`` wrote (the CLI prints it)."""

    out_dir: Path
    engines: tuple[str, ...]
    train_voices: tuple[str, ...]
    dev_voices: tuple[str, ...]
    test_voices: tuple[str, ...]
    speakers: dict[str, int]
    utterances: int
    audio_seconds: float
    seconds: float
    exact_boundaries: bool
    unknown_symbols: dict[str, int] = field(default_factory=dict)

    @property
    def voices_disjoint(self) -> bool:
        """Whether training hears none of the test voices (dev voices may be train voices on small installs)."""
        return not set(self.train_voices) & set(self.test_voices)


def available_voices() -> list[BaseVoice]:
    """Installed voices in order of preference (real people first; espeak formant voices only without any)."""
    espeak, mbrola, flite = (shutil.which(tool) for tool in ("espeak-ng", "mbrola", "flite"))
    voices = []
    if espeak and mbrola:
        voices += [BaseVoice("mbrola", name, sex) for name, sex in MBROLA_VOICES.items() if _mbrola_db(name)]
    if flite:
        listed = subprocess.run([flite, "-lv"], capture_output=True, text=True).stdout.split()
        voices += [BaseVoice("flite", name, sex) for name, sex in FLITE_VOICES.items() if name in listed]
    if not voices and espeak:
        voices = [BaseVoice("espeak", name, sex) for name, sex in ESPEAK_VARIANTS.items()]
    return voices


def _mbrola_db(name: str) -> Path | None:
    for folder in MBROLA_DIRS:
        for path in (folder / name / name, folder / name):
            if path.is_file():
                return path
    return None


@dataclass(frozen=True)
class RoleCounts:
    """How many speakers each role gets. Each role is planned from its own random stream, test first, then
    dev, then train, so a corpus with more training speakers keeps the same dev and test speakers."""

    train: int
    dev: int
    test: int

    def __post_init__(self) -> None:
        for role, least in (("train", 1), ("dev", 0), ("test", 1)):
            if getattr(self, role) < least:
                raise FieldError(f"{role}_speakers", f"must be at least {least}, got {getattr(self, role)}")

    @property
    def total(self) -> int:
        return self.train + self.dev + self.test

    @staticmethod
    def from_total(speakers: int, test_fraction: float = 0.6, dev_fraction: float = 0.15) -> "RoleCounts":
        """``speakers`` in all: ``test_fraction`` of them test (0.6 of 40 gives TIMIT's core-test size, 24),
        ``dev_fraction`` of the rest dev (at least one when two or more remain), the others train."""
        if speakers < 2:
            raise FieldError("speakers", f"must be at least 2, got {speakers}")
        if not 0 < test_fraction < 1:
            raise ConfigError(f"test_fraction must be in (0, 1), got {test_fraction}")
        n_test = min(max(1, round(speakers * test_fraction)), speakers - 1)
        n_train_side = speakers - n_test
        n_dev = max(1, round(n_train_side * dev_fraction)) if n_train_side >= 2 else 0
        return RoleCounts(train=n_train_side - n_dev, dev=n_dev, test=n_test)


# Shares of the base voices kept for test and for dev speakers (10 and 4 of the 24 mbrola + flite voices):
# training never hears either, so the dev split sees the leakage onto unseen voices that the test split sees.
TEST_VOICE_SHARE = 10 / 24
DEV_VOICE_SHARE = 4 / 24
ROLE_ORDER = ("test", "dev", "train")


@dataclass(frozen=True)
class VoiceSplit:
    """Base voices per role. ``dev`` is empty when there are too few voices to hold some out for dev: dev
    speakers then use train voices (:func:`plan_corpus`)."""

    train: list[BaseVoice]
    dev: list[BaseVoice]
    test: list[BaseVoice]


def _spread_picks(count: int, size: int) -> set[int]:
    """``count`` indices spread evenly over ``range(size)``."""
    return set(np.round(np.linspace(0, size - 1, count)).astype(int).tolist()) if count else set()


def split_voices(voices: list[BaseVoice], seed: int) -> VoiceSplit:
    """Disjoint train, dev and test voices, each spread over sex and engine. With two voices there is no dev
    share (train and test one each); with one, every role shares it."""
    if len(voices) < 2:
        return VoiceSplit(list(voices), [], list(voices))
    rng = np.random.default_rng(seed)
    shuffled = [voices[i] for i in rng.permutation(len(voices))]
    ordered = sorted(shuffled, key=lambda v: (v.sex, v.engine))
    n_test = min(max(1, round(len(ordered) * TEST_VOICE_SHARE)), len(ordered) - 1)
    test_picks = _spread_picks(n_test, len(ordered))
    rest = [v for i, v in enumerate(ordered) if i not in test_picks]
    n_dev = min(round(len(ordered) * DEV_VOICE_SHARE), len(rest) - 1)
    dev_picks = _spread_picks(n_dev, len(rest))
    return VoiceSplit(train=[v for i, v in enumerate(rest) if i not in dev_picks],
                      dev=[v for i, v in enumerate(rest) if i in dev_picks],
                      test=[v for i, v in enumerate(ordered) if i in test_picks])


def plan_corpus(voices: list[BaseVoice], counts: RoleCounts, sentences: int, seed: int) -> list[SpeakerPlan]:
    """Assign base voices, ids, regions, roles and prosody factors to every speaker (deterministic).

    Each role cycles over its own voices (:func:`split_voices`): test and dev speakers are spoken by voices
    training never hears, several prosody variants per voice, so both splits hold same-voice trials. With too
    few voices for a dev share, dev speakers use the train voices (and are then unseen speakers of heard
    voices)."""
    if not 1 <= sentences <= len(SENTENCES):
        raise FieldError("sentences", f"must be between 1 and {len(SENTENCES)}, got {sentences}")
    split = split_voices(voices, seed)
    role_voices = {"test": split.test, "dev": split.dev or split.train, "train": split.train}
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    used: set[str] = set()
    plans = []
    number = 0
    for role_index, role in enumerate(ROLE_ORDER):
        rng = np.random.default_rng([seed, role_index])
        pool = role_voices[role]
        for index in range(getattr(counts, role)):
            voice = pool[index % len(pool)]
            plans.append(
                SpeakerPlan(
                    speaker=_unique_id(voice.sex, rng, letters, used), sex=voice.sex, region=1 + number % 8,
                    part="TEST" if role == "test" else "TRAIN", role=role, voice=voice,
                    pitch=float(np.exp(rng.uniform(np.log(0.85), np.log(1.2)))),
                    rate=float(np.exp(rng.uniform(np.log(0.85), np.log(1.2)))),
                    warp=float(rng.uniform(0.94, 1.06)),
                    sentence_ids=tuple(int(i) for i in rng.choice(len(SENTENCES), sentences, replace=False)),
                )
            )
            number += 1
    return plans


def _unique_id(sex: str, rng: np.random.Generator, letters: np.ndarray, used: set[str]) -> str:
    initials = "".join(rng.choice(letters, 3))
    digit = 0
    while f"{sex}{initials}{digit}" in used:
        digit += 1
    speaker = f"{sex}{initials}{digit}"
    used.add(speaker)
    return speaker


def sentence_name(sentence_id: int) -> str:
    """File stem for a sentence: the first half of the list are 'SX' (shared), the rest 'SI'."""
    return f"{'SX' if sentence_id < len(SENTENCES) // 2 else 'SI'}{sentence_id + 1}"


def synthesize_corpus(
    out_dir: str | os.PathLike[str],
    counts: RoleCounts,
    sentences: int = 10,
    seed: int = 0,
    workers: int | None = None,
) -> SynthReport:
    """Write a TIMIT-layout corpus with ``counts`` speakers per role to ``out_dir`` and say what was used.

    Dev speakers sit in TRAIN/ and are marked ``dev`` in DOC/VOICES.TXT; test speakers sit in TEST/.
    """
    started = time.perf_counter()
    out = check_output_dir(out_dir, "out_dir")
    voices = available_voices()
    if not voices:
        raise DataError(INSTALL_HINT)
    plans = plan_corpus(voices, counts, sentences, seed)
    jobs = []
    for speaker_number, plan in enumerate(plans):
        folder = out / plan.part / f"DR{plan.region}" / plan.speaker
        folder.mkdir(parents=True, exist_ok=True)
        for utt_number, sentence_id in enumerate(plan.sentence_ids):
            jobs.append((plan, sentence_id, folder, np.random.default_rng([seed, speaker_number, utt_number])))
    unknown: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        results = list(pool.map(lambda job: _write_utterance(*job), jobs))
    samples = 0
    for length, missing in results:
        samples += length
        for symbol in missing:
            unknown[symbol] = unknown.get(symbol, 0) + 1
    _write_docs(out, plans)
    train_voices = sorted({p.voice.label for p in plans if p.role == "train"})
    return SynthReport(
        out_dir=out,
        engines=tuple(sorted({p.voice.engine for p in plans})),
        train_voices=tuple(train_voices),
        dev_voices=tuple(sorted({p.voice.label for p in plans if p.role == "dev"})),
        test_voices=tuple(sorted({p.voice.label for p in plans if p.role == "test"})),
        speakers={role: sum(p.role == role for p in plans) for role in ("train", "dev", "test")},
        utterances=len(jobs),
        audio_seconds=samples / RATE,
        seconds=time.perf_counter() - started,
        exact_boundaries=all(p.voice.engine != "espeak" for p in plans),
        unknown_symbols=unknown,
    )


def _write_docs(out: Path, plans: list[SpeakerPlan]) -> None:
    doc = out / "DOC"
    doc.mkdir(parents=True, exist_ok=True)
    info = [
        "; Speakers synthesised by cdsvae-eval from real recorded voices (see VOICES.TXT for the base voices).",
        ";  ID  SEX DR USE  RECDATE  BIRTHDATE  HT  RACE EDU  COMMENTS",
        ";",
    ]
    voices = ["; SPEAKER ROLE VOICE PITCH RATE WARP (VOICE = engine:name; dev speakers sit in TRAIN/)"]
    for plan in plans:
        use = "TRN" if plan.part == "TRAIN" else "TST"
        info.append(f"{plan.speaker[1:]}  {plan.sex}  {plan.region}  {use}  ??  ??  ??  ??  ??  voice={plan.voice.label}")
        voices.append(
            f"{plan.speaker} {plan.role} {plan.voice.label} {plan.pitch:.4f} {plan.rate:.4f} {plan.warp:.4f}"
        )
    (doc / "SPKRINFO.TXT").write_text("\n".join(info) + "\n", encoding="ascii")
    (doc / "VOICES.TXT").write_text("\n".join(voices) + "\n", encoding="ascii")


def read_voice_roles(root: str | os.PathLike[str]) -> dict[str, tuple[str, str]]:
    """Speaker -> (role, base voice) from a synthesised corpus's ``DOC/VOICES.TXT``."""
    path = Path(root) / "DOC" / "VOICES.TXT"
    if not path.is_file():
        raise DataError(f"{path} is missing: not a corpus written by synth-speech")
    roles = {}
    for line in path.read_text(encoding="ascii").splitlines():
        fields = line.split()
        if fields and not line.startswith(";"):
            roles[fields[0]] = (fields[1], fields[2])
    return roles


def _write_utterance(
    plan: SpeakerPlan, sentence_id: int, folder: Path, rng: np.random.Generator
) -> tuple[int, list[str]]:
    text = SENTENCES[sentence_id]
    pitch = plan.pitch * float(np.exp(0.03 * rng.standard_normal()))
    rate = plan.rate * float(np.exp(0.04 * rng.standard_normal()))
    render = {"mbrola": _render_mbrola, "flite": _render_flite, "espeak": _render_espeak}[plan.voice.engine]
    with tempfile.TemporaryDirectory(prefix="synth-speech-") as tmp:
        audio, native_rate, phones, word_phones, missing = render(plan.voice, text, pitch, rate, Path(tmp))
    source_rate = round(native_rate * plan.warp)
    if source_rate != RATE:
        import librosa

        audio = librosa.resample(audio, orig_sr=source_rate, target_sr=RATE, res_type="soxr_hq")
    lead = int(rng.integers(RATE // 10, RATE // 4))
    audio = np.concatenate([1e-4 * rng.standard_normal(lead).astype(np.float32), audio])
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    if peak > 0.95:
        audio = audio * (0.95 / peak)
    pcm = np.round(audio * 32767).astype(np.int16)
    scale = RATE / source_rate
    segments = _to_segments([(0.0, lead / scale, "_")] + [(a + lead / scale, b + lead / scale, p) for a, b, p in phones],
                            scale, len(pcm))
    words = _word_spans(segments, word_phones, _words(text))
    stem = sentence_name(sentence_id)
    soundfile.write(str(folder / f"{stem}.WAV"), pcm, RATE, format="NIST", subtype="PCM_16")
    (folder / f"{stem}.PHN").write_text("".join(f"{a} {b} {p}\n" for a, b, p in segments), encoding="ascii")
    (folder / f"{stem}.WRD").write_text("".join(f"{a} {b} {w}\n" for a, b, w in words), encoding="ascii")
    (folder / f"{stem}.TXT").write_text(f"0 {len(pcm)} {text}\n", encoding="ascii")
    return len(pcm), missing


def _words(text: str) -> list[str]:
    return ["".join(c for c in token.lower() if c.isalpha() or c == "'") for token in text.split()]


def _run(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise DataError(f"{command[0]} failed ({' '.join(command[:4])} ...): {result.stderr.strip()[:200]}")
    return result.stdout


def _espeak_voice(voice: BaseVoice) -> str:
    return f"mb-{voice.name}" if voice.name in NATIVE_ENGLISH_MBROLA else f"mb-{voice.name}-en"


def _parse_pho(text: str) -> list[tuple[str, float]]:
    rows = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and not line.startswith(";"):
            rows.append((fields[0], float(fields[1])))
    return rows


def _sampa(symbol: str, missing: list[str]) -> str:
    if symbol in SAMPA_TO_TIMIT:
        return SAMPA_TO_TIMIT[symbol]
    stripped = symbol.rstrip(":")
    if stripped in SAMPA_TO_TIMIT:
        return SAMPA_TO_TIMIT[stripped]
    missing.append(symbol)
    return FALLBACK_PHONE


def _render_mbrola(voice: BaseVoice, text: str, pitch: float, rate: float, tmp: Path):
    name = _espeak_voice(voice)
    pho = _run(["espeak-ng", "-v", name, "-q", "--pho", text])
    pho_path = tmp / "in.pho"
    pho_path.write_text(pho, encoding="latin-1")
    wav_path = tmp / "out.wav"
    _run(["mbrola", "-e", "-f", f"{pitch:.4f}", "-t", f"{rate:.4f}", str(_mbrola_db(voice.name)), str(pho_path),
          str(wav_path)])
    audio, native_rate = soundfile.read(str(wav_path), dtype="float32")
    missing: list[str] = []
    phones = []
    position = 0.0
    for symbol, duration_ms in _parse_pho(pho):
        end = position + duration_ms * rate * native_rate / 1000
        phones.append((position, end, "_" if symbol == "_" else _sampa(symbol, missing)))
        position = end
    words_pho = _run(["espeak-ng", "-v", name, "-q", "--pho", ", ".join(_words(text))])
    word_phones = _split_words([(s if s == "_" else _sampa(s, [])) for s, _ in _parse_pho(words_pho)], "_")
    return audio, native_rate, phones, word_phones, missing


def _flite_segments(voice: BaseVoice, text: str, extra: list[str]) -> str:
    return _run(["flite", "-voice", voice.name, *extra, "-psdur", "-t", text])


def _render_flite(voice: BaseVoice, text: str, pitch: float, rate: float, tmp: Path):
    wav_path = tmp / "out.wav"
    printed = _flite_segments(
        voice, text, ["--setf", f"duration_stretch={rate:.4f}", "--setf", f"f0_shift={pitch:.4f}", "-o", str(wav_path)]
    )
    audio, native_rate = soundfile.read(str(wav_path), dtype="float32")
    phones = []
    position = 0.0
    for token in printed.split():
        label, _, end_s = token.rpartition(":")
        end = float(end_s) * native_rate
        phones.append((position, end, "_" if label == "pau" else label))
        position = end
    listing = _run(["flite", "-voice", voice.name, "-ps", "-t", ", ".join(_words(text)), "-o", "none"]).split()
    word_phones = _split_words(["_" if p == "pau" else p for p in listing], "_")
    return audio, native_rate, phones, word_phones, []


def _render_espeak(voice: BaseVoice, text: str, pitch: float, rate: float, tmp: Path):
    """Formant voices (not real people): boundaries spread evenly over the non-silent audio (approximate)."""
    wav_path = tmp / "out.wav"
    variant = f"en-us+{voice.name}"
    _run(["espeak-ng", "-v", variant, "-s", str(round(160 / rate)), "-p", str(round(50 * pitch)), "-w",
          str(wav_path), text])
    audio, native_rate = soundfile.read(str(wav_path), dtype="float32")
    listing = _run(["espeak-ng", "-v", variant, "-q", "-x", "--sep=_", text]).split()
    missing: list[str] = []
    word_phones = [[_sampa(s.strip("'`,"), missing) for s in word.split("_") if s.strip("'`,")] for word in listing]
    labels = [p for word in word_phones for p in word]
    loud = np.flatnonzero(np.abs(audio) > 0.02 * max(float(np.abs(audio).max()), 1e-9))
    first, last = (int(loud[0]), int(loud[-1]) + 1) if loud.size else (0, len(audio))
    edges = np.linspace(first, last, len(labels) + 1)
    phones = [(0.0, float(first), "_")] + [(edges[i], edges[i + 1], p) for i, p in enumerate(labels)]
    phones.append((float(last), float(len(audio)), "_"))
    return audio, native_rate, phones, word_phones, missing


def _split_words(labels: list[str], pause: str) -> list[list[str]]:
    words: list[list[str]] = [[]]
    for label in labels:
        if label == pause:
            if words[-1]:
                words.append([])
        else:
            words[-1].append(label)
    return [w for w in words if w]


def _to_segments(phones: list[tuple[float, float, str]], scale: float, length: int) -> list[tuple[int, int, str]]:
    """Native-rate phones -> 16 kHz ``.PHN`` rows: silences become h# (ends) or pau, clipped to ``length``."""
    rows: list[tuple[int, int, str]] = []
    for start, end, label in phones:
        a, b = min(round(start * scale), length), min(round(end * scale), length)
        if b <= a:
            continue
        if rows and label == "_" and rows[-1][2] == "_":
            rows[-1] = (rows[-1][0], b, "_")
        else:
            rows.append((a, b, label))
    if rows and rows[-1][1] < length:
        last = rows[-1]
        rows[-1] = (last[0], length, last[2]) if last[2] == "_" else last
        if rows[-1][1] < length:
            rows.append((rows[-1][1], length, "_"))
    named = []
    for i, (a, b, label) in enumerate(rows):
        if label == "_":
            label = "h#" if i in (0, len(rows) - 1) else "pau"
        named.append((a, b, label))
    if named and named[0][0] > 0:
        named.insert(0, (0, named[0][0], "h#"))
    return named


def _word_spans(segments: list[tuple[int, int, str]], word_phones: list[list[str]], words: list[str]):
    """Word boundaries by aligning the utterance's phones with each word's phones (difflib)."""
    spoken = [(a, b, p) for a, b, p in segments if p not in ("h#", "pau")]
    owners = [i for i, phones in enumerate(word_phones) for _ in phones]
    reference = [p for phones in word_phones for p in phones]
    owner_of = [-1] * len(spoken)
    matcher = difflib.SequenceMatcher(a=[p for _, _, p in spoken], b=reference, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("equal", "replace"):
            for k in range(i2 - i1):
                owner_of[i1 + k] = owners[j1 + k * (j2 - j1) // (i2 - i1)]
    for i in range(len(owner_of)):
        if owner_of[i] < 0:
            owner_of[i] = owner_of[i - 1] if i else 0
    spans: dict[int, list[int]] = {}
    for (a, b, _), owner in zip(spoken, owner_of):
        span = spans.setdefault(owner, [a, b])
        span[1] = b
    names = words if len(words) == len(word_phones) else [f"w{i}" for i in range(len(word_phones))]
    return [(a, b, names[i]) for i, (a, b) in sorted(spans.items()) if i < len(names)]
