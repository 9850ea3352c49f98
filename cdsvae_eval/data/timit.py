"""LDC TIMIT: the corpus reader (``TimitCorpus``) and its 200 ms segment dataset (``TimitSegments``).

Every circulating form of the tree is accepted: upper- or lower-case names, NIST SPHERE or RIFF audio
(``soundfile`` reads both, whatever the extension), ``DOC/SPKRINFO.TXT`` optional. Nothing is ever
written under the corpus root; features are cached under the cache dir.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import numpy as np
import soundfile

from cdsvae_eval.data.base import AudioSequenceDataset, CountUnits, Factor, SequenceSplit, first_paths, hash_parts
from cdsvae_eval.errors import DataError
from cdsvae_eval.names import FRAME_PHONES, PHONE_FACTOR, SPEAKER_FACTOR

if TYPE_CHECKING:
    from cdsvae_eval.data.features import FeatureSpec

SAMPLE_RATE = 16000

# The TIMIT core test set: 2 male + 1 female speaker from each dialect region, in region order.
CORE_TEST_SPEAKERS: tuple[str, ...] = (
    "MDAB0", "MWBT0", "FELC0", "MTAS1", "MWEW0", "FPAS0", "MJMP0", "MLNT0", "FPKT0", "MLLL0", "MTLS0", "FJLM0",
    "MBPM0", "MKLT0", "FNLP0", "MCMJ0", "MJDH0", "FMGD0", "MGRT0", "MNJM0", "FDHC0", "MJLN0", "MPAM0", "FMLD0",
)
CORE_TEST_REGIONS: dict[str, int] = {spk: 1 + i // 3 for i, spk in enumerate(CORE_TEST_SPEAKERS)}

# The standard 50-speaker development set (drawn from TEST minus core), as used by the common TIMIT
# recipes (Halberstadt 1998; the Kaldi ``timit/s5`` recipe's ``dev_spk.list``).
DEV_SPEAKERS: tuple[str, ...] = (
    "FAKS0", "FDAC1", "FJEM0", "MGWT0", "MJAR0", "MMDB1", "MMDM2", "MPDF0", "FCMH0", "FKMS0",
    "MBDG0", "MBWM0", "MCSH0", "FADG0", "FDMS0", "FEDW0", "MGJF0", "MGLB0", "MRTK0", "MTAA0",
    "MTDT0", "MTHC0", "MWJG0", "FNMR0", "FREW0", "FSEM0", "MBNS0", "MMJR0", "MDLS0", "MDLF0",
    "MDVC0", "MERS0", "FMAH0", "FDRW0", "MRCS0", "MRJM4", "FCAL1", "MMWH0", "FJSJ0", "MAJC0",
    "MJSW0", "MREB0", "FGJD0", "FJMG0", "MROA0", "MTEB0", "MJFC0", "MRJR0", "FMML0", "MRWS1",
)

SPLIT_NAMES: tuple[str, ...] = ("train", "dev", "test", "core-test")
DIALECT_FACTOR = "dialect"
PARTS: tuple[str, ...] = ("TRAIN", "TEST")


@dataclass(frozen=True)
class Utterance:
    """One TIMIT utterance: ``id`` is ``SPEAKER/SENTENCE`` (``FCJF0/SX127``)."""

    id: str
    speaker: str
    sex: str
    dialect: int
    sentence: str
    kind: str
    part: str
    wav: Path
    phn: Path | None
    wrd: Path | None
    txt: Path | None


@dataclass(frozen=True)
class PhoneSegment:
    start: int
    end: int
    label: str


@dataclass(frozen=True)
class FileProblem:
    """A kind of fault ``data info`` finds in a corpus's files without decoding audio: ``what`` is counted
    by file, or by line with the files counted too (``by_line``); ``effect`` is what training does about it."""

    what: str
    by_line: bool
    effect: str


UNREADABLE_AUDIO = FileProblem("audio file(s) that cannot be read", False, "training skips them")
EMPTY_AUDIO = FileProblem("audio file(s) without samples", False, "training skips them")
MISSING_PHN = FileProblem("audio file(s) without a .PHN file beside them", False, "training stops at the first")
MALFORMED_PHN = FileProblem(".PHN line(s) not of the form 'start_sample end_sample phone'", True,
                            "training stops at the first")
UNKNOWN_PHONE = FileProblem(".PHN line(s) with a phone outside the 61-phone TIMIT set", True,
                            "training stops at the first")
PHN_PAST_END = FileProblem(".PHN file(s) labelling past the end of their audio", False, "training clips the labels")
MALFORMED_WRD = FileProblem(".WRD line(s) not of the form 'start_sample end_sample word'", True,
                            "training does not read .WRD files")
FILE_PROBLEMS = (UNREADABLE_AUDIO, EMPTY_AUDIO, MISSING_PHN, MALFORMED_PHN, UNKNOWN_PHONE, PHN_PAST_END,
                 MALFORMED_WRD)  # in the order they are reported


@dataclass
class CorpusSurvey:
    """What a corpus's files say without decoding audio (:meth:`TimitCorpus.survey`): each utterance's length
    in 16 kHz samples from its audio header (0 when unreadable or empty), and its files' faults by kind, each
    at ``(path, line)`` (line None for a fault of a whole file)."""

    samples: dict[str, int] = field(default_factory=dict)
    faults: dict[FileProblem, list[tuple[str, int | None]]] = field(default_factory=dict)
    unknown_phones: set[str] = field(default_factory=set)

    def add(self, problem: FileProblem, path: Path, line: int | None = None) -> None:
        self.faults.setdefault(problem, []).append((str(path), line))

    def check_readable(self, root: Path) -> None:
        """A one-line :class:`DataError` naming ``root`` when no utterance has readable audio."""
        if any(self.samples.values()):
            return
        unreadable = [path for problem in (UNREADABLE_AUDIO, EMPTY_AUDIO) for path, _ in self.faults.get(problem, [])]
        raise DataError(f"{root}: no split has readable audio: all {len(self.samples)} audio file(s) are unreadable "
                        f"or empty ({first_paths(unreadable)})")

    def warn(self) -> None:
        """One warning per kind of fault: how many, in how many files, and the first places."""
        for problem in FILE_PROBLEMS:
            places = self.faults.get(problem)
            if not places:
                continue
            files = f" in {len({path for path, _ in places})} file(s)" if problem.by_line else ""
            labels = f" ({', '.join(sorted(self.unknown_phones))})" if problem is UNKNOWN_PHONE else ""
            shown = first_paths([path if line is None else f"{path}:{line}" for path, line in places])
            warnings.warn(f"{len(places)} {problem.what}{labels}{files} ({problem.effect}): {shown}", stacklevel=2)


class TimitCorpus:
    """The utterances of a TIMIT tree, by split. ``keep_sa`` keeps the two dialect sentences SA1/SA2."""

    def __init__(self, root: str | os.PathLike[str], keep_sa: bool = False) -> None:
        self.root = Path(root)
        self.keep_sa = keep_sa
        self._fingerprint: str | None = None
        if not self.root.is_dir():
            raise DataError(f"TIMIT root {self.root} is not a folder")
        entries = _entries(self.root)
        missing = [part for part in PARTS if part not in entries or not entries[part].is_dir()]
        if missing:
            raise DataError(
                f"{self.root} is not a TIMIT tree: expected TRAIN/ and TEST/ folders under it "
                f"(missing {', '.join(p + '/' for p in missing)})"
            )
        self._sex_from_info = _read_speaker_info(entries.get("DOC"))
        self.utterances: list[Utterance] = []
        for part in PARTS:
            self.utterances.extend(self._scan_part(part, entries[part]))
        if not self.utterances:
            raise DataError(f"{self.root}: no utterances found (expected DR1..DR8/<SPEAKER>/<SENTENCE>.WAV)")
        self._warned_rate = False

    def _scan_part(self, part: str, folder: Path) -> list[Utterance]:
        found = []
        for region_name, region in sorted(_entries(folder).items()):
            if not (region.is_dir() and region_name.startswith("DR") and region_name[2:].isdigit()):
                continue
            for speaker, speaker_dir in sorted(_entries(region).items()):
                if not speaker_dir.is_dir():
                    continue
                files = _entries(speaker_dir)
                for name, path in sorted(files.items()):
                    stem, ext = os.path.splitext(name)
                    if ext != ".WAV":
                        continue
                    kind = stem[:2]
                    if kind == "SA" and not self.keep_sa:
                        continue
                    sex = speaker[0] if speaker[0] in "MF" else self._sex_from_info.get(speaker, "?")
                    found.append(
                        Utterance(
                            id=f"{speaker}/{stem}", speaker=speaker, sex=sex, dialect=int(region_name[2:]),
                            sentence=stem, kind=kind, part=part, wav=path, phn=files.get(stem + ".PHN"),
                            wrd=files.get(stem + ".WRD"), txt=files.get(stem + ".TXT"),
                        )
                    )
        return found

    def speakers(self, part: str | None = None) -> list[str]:
        """Speaker ids (sorted) of one part (``TRAIN``/``TEST``) or of the whole corpus."""
        return sorted({u.speaker for u in self.utterances if part is None or u.part == part})

    def split_speakers(self, split: str) -> list[str]:
        """Speakers of a split: train = TRAIN; dev = the standard 50-speaker list (those present); test =
        TEST minus dev (118 speakers, core included), so no speaker that chose a checkpoint is scored;
        core-test = the 24 core speakers. A split may be empty (a subset or synthetic corpus)."""
        if split == "train":
            return self.speakers("TRAIN")
        test = self.speakers("TEST")
        if split == "test":
            return [s for s in test if s not in DEV_SPEAKERS]
        if split == "core-test":
            return [s for s in test if s in CORE_TEST_REGIONS]
        if split == "dev":
            return [s for s in test if s in DEV_SPEAKERS]
        raise DataError(f"TIMIT has no split {split!r} (splits: {', '.join(SPLIT_NAMES)})")

    def split(self, split: str) -> list[Utterance]:
        speakers = set(self.split_speakers(split))
        return [u for u in self.utterances if u.part == _part_of(split) and u.speaker in speakers]

    def fingerprint(self) -> str:
        """A hash of every file's relative path, size and mtime, plus the reader's options.

        Computed once per corpus object: trainers and tasks ask for it at every checkpoint and result,
        and a full TIMIT tree is ~12,600 stat calls."""
        if self._fingerprint is None:
            listing = []
            for utt in self.utterances:
                for path in (utt.wav, utt.phn):
                    if path is not None:
                        stat = path.stat()
                        listing.append((str(path.relative_to(self.root)), stat.st_size, stat.st_mtime_ns))
            self._fingerprint = hash_parts("timit-corpus-v1", self.keep_sa, listing)
        return self._fingerprint

    def read_audio(self, utt: Utterance, skipped: list[tuple[str, str]] | None = None) -> np.ndarray | None:
        """The waveform as float32 at 16 kHz, or None when it cannot be read or is empty: then
        ``(path, reason)`` is appended to ``skipped`` (a caller that summarises many files), or warned."""
        try:
            audio, rate = soundfile.read(str(utt.wav), dtype="float32", always_2d=True)
        except (RuntimeError, soundfile.LibsndfileError) as error:
            return _skip(utt.wav, f"unreadable audio ({' '.join(str(error).split())})", skipped)
        audio = audio.mean(axis=1)
        if audio.size == 0:
            return _skip(utt.wav, "zero-length audio", skipped)
        if rate != SAMPLE_RATE:
            if not self._warned_rate:
                warnings.warn(
                    f"{utt.wav} is sampled at {rate} Hz, not 16000: resampling it (and any other such file) "
                    "to 16 kHz", stacklevel=2,
                )
                self._warned_rate = True
            import librosa

            audio = librosa.resample(audio, orig_sr=rate, target_sr=SAMPLE_RATE).astype(np.float32)
        return audio

    def survey(self, utterances: Iterable[Utterance]) -> CorpusSurvey:
        """What the files of ``utterances`` say without decoding audio: each one's length from its audio
        header, and the faults of its audio header and of its ``.PHN`` and ``.WRD`` lines."""
        from cdsvae_eval.data.features import TIMIT_PHONES

        survey = CorpusSurvey()
        for utt in utterances:
            header = audio_header(utt.wav)
            if header is None:
                survey.add(UNREADABLE_AUDIO, utt.wav)
            elif header.frames == 0:
                survey.add(EMPTY_AUDIO, utt.wav)
            survey.samples[utt.id] = header.samples_at_16k if header is not None else 0
            if utt.phn is None:
                survey.add(MISSING_PHN, utt.wav)
            else:
                past_end = False
                for line_no, line in _label_lines(utt.phn):
                    label = parse_label_line(line)
                    if label is None:
                        survey.add(MALFORMED_PHN, utt.phn, line_no)
                    elif label.label.lower() not in TIMIT_PHONES:
                        survey.add(UNKNOWN_PHONE, utt.phn, line_no)
                        survey.unknown_phones.add(label.label)
                    elif header is not None and header.frames and label.end > header.frames:
                        past_end = True
                if past_end:
                    survey.add(PHN_PAST_END, utt.phn)
            if utt.wrd is not None:
                for line_no, line in _label_lines(utt.wrd):
                    if parse_label_line(line) is None:
                        survey.add(MALFORMED_WRD, utt.wrd, line_no)
        return survey

    def audio_rate(self, utt: Utterance) -> int | None:
        """The sample rate in the utterance's audio header (None when unreadable)."""
        return audio_rate(utt.wav)

    def read_phones(self, utt: Utterance, num_samples: int, rate: int | None = None,
                    clipped_files: list[str] | None = None) -> list[PhoneSegment]:
        """The ``.PHN`` segments, clipped to ``num_samples``: a clipped file is appended to
        ``clipped_files`` (a caller that summarises many files), or warned.

        ``rate`` is the sample rate the ``.PHN`` sample indices refer to when the audio was resampled."""
        if utt.phn is None:
            raise DataError(f"{utt.wav}: no matching .PHN file beside it")
        scale = 1.0 if rate in (None, SAMPLE_RATE) else SAMPLE_RATE / rate
        segments = []
        clipped = False
        for line_no, line in _label_lines(utt.phn):
            label = parse_label_line(line)
            if label is None:
                raise DataError(f"{utt.phn}:{line_no}: expected 'start_sample end_sample phone', got {line!r}")
            start, end = round(label.start * scale), round(label.end * scale)
            if end > num_samples:
                clipped = True
                end = num_samples
            if start < end:
                segments.append(PhoneSegment(start, end, label.label.lower()))
        if clipped and clipped_files is not None:
            clipped_files.append(str(utt.phn))
        elif clipped:
            warnings.warn(f"{utt.phn} runs past the end of its audio ({num_samples} samples): clipped", stacklevel=2)
        return segments


def parse_label_line(line: str) -> PhoneSegment | None:
    """A non-blank ``.PHN``/``.WRD`` line as ``start_sample end_sample label``, or None when it is not one."""
    fields = line.split()
    if len(fields) != 3 or not (fields[0].isdigit() and fields[1].isdigit()):
        return None
    return PhoneSegment(int(fields[0]), int(fields[1]), fields[2])


def _label_lines(path: Path) -> Iterator[tuple[int, str]]:
    """The non-blank lines of a label file, numbered from 1."""
    for line_no, line in enumerate(path.read_text(encoding="latin-1").splitlines(), start=1):
        if line.strip():
            yield line_no, line


@dataclass(frozen=True)
class AudioHeader:
    """What an audio file's header says: its length in frames at its own sample rate."""

    frames: int
    rate: int

    @property
    def samples_at_16k(self) -> int:
        """Samples at 16 kHz the audio will have once read (resampled when it is at another rate)."""
        return self.frames if self.rate == SAMPLE_RATE else math.ceil(self.frames * SAMPLE_RATE / self.rate)


def audio_header(path: Path) -> AudioHeader | None:
    """The header of an audio file, or None when it cannot be read."""
    try:
        info = soundfile.info(str(path))
    except (RuntimeError, soundfile.LibsndfileError):
        return None
    return AudioHeader(info.frames, info.samplerate)


def _skip(path: Path, reason: str, skipped: list[tuple[str, str]] | None) -> None:
    if skipped is None:
        warnings.warn(f"skipping {reason}: {path}", stacklevel=3)
    else:
        skipped.append((str(path), reason))


def audio_rate(path: Path) -> int | None:
    header = audio_header(path)
    return header.rate if header is not None else None


def _part_of(split: str) -> str:
    """The corpus folder a TIMIT split's speakers come from."""
    return "TRAIN" if split == "train" else "TEST"


def _entries(folder: Path) -> dict[str, Path]:
    """A folder's entries keyed by upper-case name (TIMIT copies differ only in case)."""
    return {entry.name.upper(): Path(entry.path) for entry in os.scandir(folder)}


def _read_speaker_info(doc: Path | None) -> dict[str, str]:
    """Speaker -> sex from ``DOC/SPKRINFO.TXT`` when present (ids there omit the sex letter)."""
    if doc is None or not doc.is_dir():
        return {}
    info = _entries(doc).get("SPKRINFO.TXT")
    if info is None:
        return {}
    sexes = {}
    for line in info.read_text(encoding="latin-1").splitlines():
        fields = line.split()
        if len(fields) >= 2 and not line.startswith(";") and fields[1] in ("M", "F"):
            sexes[fields[1] + fields[0].upper()] = fields[1]
    return sexes


class TimitSegments(AudioSequenceDataset):
    """LDC TIMIT read from ``data_root``: 200 ms feature segments with speaker, sex, dialect and phone labels.

    ``max_speakers`` keeps at most that many speakers per TRAIN/TEST part (core speakers first, then
    the dev list, then the rest, in sorted order) for quick runs.
    """

    name = "timit"
    modality = "audio"
    identity_name = "speaker"
    units = CountUnits(sequences="segments", identities="speakers", groups="utterances")
    split_names: tuple[str, ...] = SPLIT_NAMES
    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        data_root: str | os.PathLike[str],
        features: str = "logmel80",
        segment_frames: int = 20,
        segment_hop: int = 10,
        keep_sa: bool = False,
        max_speakers: int | None = None,
        device: str = "cpu",
    ) -> None:
        from cdsvae_eval.data.features import FeatureConfig

        super().__init__()
        self.config = FeatureConfig(name=features, segment_frames=segment_frames, segment_hop=segment_hop)
        self.device = device
        self.corpus = TimitCorpus(data_root, keep_sa=keep_sa)
        self.max_speakers = max_speakers
        self._set_factors()

    def _kept_speakers(self) -> set[str]:
        kept: set[str] = set()
        for part in PARTS:
            speakers = self.corpus.speakers(part)
            if self.max_speakers is not None:
                priority = {s: (s not in CORE_TEST_REGIONS, s not in DEV_SPEAKERS, s) for s in speakers}
                speakers = sorted(speakers, key=priority.__getitem__)[: self.max_speakers]
            kept.update(speakers)
        return kept

    def _set_factors(self) -> None:
        kept = self._kept_speakers()
        self.speaker_ids = sorted(kept)
        dialects = sorted({u.dialect for u in self.corpus.utterances if u.speaker in kept})
        from cdsvae_eval.data.features import PHONES_39

        self.factors = (
            Factor("speaker", "static", tuple(self.speaker_ids)),
            Factor("sex", "static", ("F", "M")),
            Factor(DIALECT_FACTOR, "static", tuple(f"DR{d}" for d in sorted(set(range(1, 9)) | set(dialects)))),
            Factor("phone", "dynamic", PHONES_39),
        )

    @property
    def sequence_shape(self) -> tuple[int, ...]:
        from cdsvae_eval.data.features import feature_dim

        return (self.config.segment_frames, feature_dim(self.config.name))

    @property
    def feature_spec(self) -> "FeatureSpec":
        """How the features were computed from ``sample_rate`` audio (what inverting them needs)."""
        from cdsvae_eval.data.features import FEATURE_SPECS

        return FEATURE_SPECS[self.config.name]

    @cached_property
    def feature_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-dimension ``(mean, std)`` of the train speakers' frames: every split is ``(x - mean) / std``."""
        from cdsvae_eval.data.features import load_segments

        raw = load_segments(self.corpus, replace(self.config, normalise=False), self.device)
        return raw.train_statistics(set(self.split_speakers("train")))

    @property
    def segment_hop(self) -> int:
        return self.config.segment_hop

    def code_split(self, name: str) -> str | None:
        """``core-test`` is a subset of ``test``: code files select it by its identities."""
        return None if name == "core-test" else super().code_split(name)

    def identity_subsets(self) -> dict[str, dict[str, object]]:
        if "core-test" not in self.split_names:
            return {}  # corpora in TIMIT's layout without its core test set (tts-timit)
        index = {speaker: i for i, speaker in enumerate(self.speaker_ids)}
        core = [str(index[speaker]) for speaker in self.split_speakers("core-test")]
        return {"core-test": {"split": "test", "identities": core}}

    def split_speakers(self, split: str) -> list[str]:
        kept = set(self.speaker_ids)
        return [s for s in self.corpus.split_speakers(split) if s in kept]

    def fingerprint(self) -> str:
        return hash_parts(self.name, self.corpus.fingerprint(), self.config.key(), self.max_speakers)

    @cached_property
    def survey(self) -> CorpusSurvey:
        """The kept speakers' files read without decoding audio (:meth:`TimitCorpus.survey`), once: one
        warning per kind of fault, and a :class:`DataError` naming the root when no audio is readable."""
        kept = set(self.speaker_ids)
        survey = self.corpus.survey(utt for utt in self.corpus.utterances if utt.speaker in kept)
        survey.check_readable(self.corpus.root)
        survey.warn()
        return survey

    def split_counts(self, name: str) -> dict[str, int]:
        """Counts from the file listing and the audio headers (:attr:`survey`): segments each utterance will
        give, without decoding audio. Unreadable and empty files count 0, as loading skips them."""
        from cdsvae_eval.data.features import FEATURE_SPECS, num_frames, segment_count

        if name not in self.split_names:
            raise DataError(f"dataset {self.name!r} has no split {name!r} (splits: {', '.join(self.split_names)})")
        speakers = set(self.split_speakers(name))
        hop = FEATURE_SPECS[self.config.name].hop_length
        per_utterance = {}
        for utt in self.corpus.utterances:
            if utt.speaker in speakers:
                samples = self.survey.samples[utt.id]
                frames = num_frames(samples, hop) if samples else 0
                per_utterance[utt] = segment_count(frames, self.config.segment_frames, self.config.segment_hop)
        counted = [utt for utt, count in per_utterance.items() if count]
        return {
            "sequences": sum(per_utterance.values()),
            "identities": len({utt.speaker for utt in counted}),
            "groups": len(counted),
        }

    def empty_split_hint(self, split: str) -> str:
        """How to provide a split this corpus has no speakers for."""
        if split == "dev":
            return ("it is the standard 50-speaker TIMIT dev list (FAKS0, FDAC1, ... in data/timit.py), taken "
                    "from TEST/; a full LDC copy holds it: add those speakers' folders under TEST/DR<n>/")
        if split == "core-test":
            return "it is the 24-speaker TIMIT core test set (MDAB0, MWBT0, ...), taken from TEST/"
        return f"add speakers to the corpus's {_part_of(split)}/ folder"

    def _load_split(self, split: str) -> SequenceSplit:
        from cdsvae_eval.data.features import load_segments

        train_speakers = set(self.split_speakers("train"))
        speakers = set(self.split_speakers(split))
        if not speakers:
            raise DataError(f"{self.corpus.root}: split {split!r} has no speakers; {self.empty_split_hint(split)}")
        table = load_segments(self.corpus, self.config, self.device, train_speakers=train_speakers)
        keep = np.isin(table.speakers, sorted(speakers))
        if not keep.any():
            raise DataError(f"{self.corpus.root}: split {split!r} has no readable audio")
        speaker_index = {s: i for i, s in enumerate(self.speaker_ids)}
        identity = np.array([speaker_index[s] for s in table.speakers[keep]], dtype=np.int64)
        labels = {
            SPEAKER_FACTOR: identity,
            "sex": (table.sexes[keep] == "M").astype(np.int64),
            PHONE_FACTOR: table.frame_phones[keep][:, self.config.segment_frames // 2].astype(np.int64),
        }
        if any(factor.name == DIALECT_FACTOR for factor in self.factors):
            classes = self.factor(DIALECT_FACTOR).classes
            labels[DIALECT_FACTOR] = np.array([classes.index(f"DR{d}") for d in table.dialects[keep]], dtype=np.int64)
        return SequenceSplit(
            name=split,
            x=table.x[keep],
            labels=labels,
            identity=identity,
            groups=table.utterance_ids[keep],
            extras={FRAME_PHONES: table.frame_phones[keep]},
        )
