"""``tts-timit``: the synthesised real-voice corpus, built on first use into the cache and read as TIMIT."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from cdsvae_eval.data.base import hash_parts
from cdsvae_eval.data.synth_speech import (
    INSTALL_HINT, RoleCounts, available_voices, read_voice_roles, synthesize_corpus,
)
from cdsvae_eval.data.timit import DIALECT_FACTOR, TimitSegments
from cdsvae_eval.errors import DataError, FieldError
from cdsvae_eval.paths import cache_dir

# Training speakers synthesised by default (prosody variants of the train voices): chosen on the dev split
# (bench/RESULTS.md, "Speech: more voices per run").
DEFAULT_TRAIN_SPEAKERS = 96


def ensure_corpus(counts: RoleCounts, sentences: int = 10, seed: int = 0) -> Path:
    """The cached corpus for these options and the installed voices, synthesised (atomically) if missing."""
    voices = [v.label for v in available_voices()]
    if not voices:
        raise DataError(INSTALL_HINT)
    key = hash_parts("tts-timit-v3", counts.train, counts.dev, counts.test, sentences, seed, voices)
    parent = cache_dir("corpora")
    target = parent / f"tts-timit-{key}"
    if (target / "DOC" / "VOICES.TXT").is_file():
        return target
    building = Path(tempfile.mkdtemp(prefix=f".tts-timit-{key}.", dir=parent))
    try:
        synthesize_corpus(building, counts, sentences=sentences, seed=seed)
        try:
            os.rename(building, target)
        except OSError:
            if not (target / "DOC" / "VOICES.TXT").is_file():
                raise
    finally:
        if building.exists():
            shutil.rmtree(building)
    return target


class TtsTimit(TimitSegments):
    """A TIMIT-layout corpus synthesised locally from real recorded voices (mbrola/flite).

    Splits (corpus plan v3): ``train`` (prosody variants of the train voices), ``dev`` (speakers on dev voices,
    which training never hears, for checkpoint choice), ``test`` (speakers on test voices, heard by neither).
    Dev thus sees the leakage onto unseen voices that test sees. ``train_speakers`` sets how many training
    speakers are synthesised; dev and test stay the same speakers whatever it is.
    """

    name = "tts-timit"
    split_names = ("train", "dev", "test")

    def __init__(
        self,
        train_speakers: int = DEFAULT_TRAIN_SPEAKERS,
        dev_speakers: int = 16,
        test_speakers: int = 24,
        sentences: int = 10,
        seed: int = 0,
        features: str = "logmel80",
        segment_frames: int = 20,
        segment_hop: int = 10,
        max_speakers: int | None = None,
        device: str = "cpu",
        data_root: str | None = None,
    ) -> None:
        if data_root is not None:
            raise FieldError("dataset_options.data_root",
                             "is not taken by tts-timit, which is synthesised locally (use 'timit' for an LDC copy)")
        try:
            counts = RoleCounts(train=train_speakers, dev=dev_speakers, test=test_speakers)
            root = ensure_corpus(counts, sentences, seed)
        except FieldError as error:
            raise FieldError(f"dataset_options.{error.field}", error.problem) from None
        self.roles = read_voice_roles(root)
        super().__init__(root, features=features, segment_frames=segment_frames, segment_hop=segment_hop,
                         max_speakers=max_speakers, device=device)
        self.options = (counts, sentences, seed)

    def empty_split_hint(self, split: str) -> str:
        return f"set dataset_options.{split}_speakers to 2 or more"

    def _set_factors(self) -> None:
        """TIMIT's factors without the dialect: a synthesised speaker's region is assigned in turn (DR1, DR2,
        ...), not spoken, so probing it would measure nothing."""
        super()._set_factors()
        self.factors = tuple(factor for factor in self.factors if factor.name != DIALECT_FACTOR)

    def fingerprint(self) -> str:
        return hash_parts(super().fingerprint(), "factors without", DIALECT_FACTOR)

    def split_speakers(self, split: str) -> list[str]:
        if split not in self.split_names:
            raise DataError(f"dataset 'tts-timit' has no split {split!r} (splits: {', '.join(self.split_names)})")
        kept = set(self.speaker_ids)
        return sorted(s for s, (role, _) in self.roles.items() if role == split and s in kept)
