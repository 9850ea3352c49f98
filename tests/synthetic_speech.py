"""A speech corpus whose voice and words are known exactly, and planted models that swap them as told (shared by
the speech-swap task, report and verdict tests).

Every log-mel frame is ``[voice of its speaker (40 dims), template of its phone (40 dims)] + noise``: the speaker
lives in the first half and the words in the second, so a model that decodes (A's first half, B's second half)
says B's words in A's voice, by construction.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np
import torch
from torch import nn

from cdsvae_eval.data.base import AudioSequenceDataset, Factor, SequenceSplit, hash_parts
from cdsvae_eval.data.features import FEATURE_SPECS, FeatureSpec, segment
from cdsvae_eval.names import FRAME_PHONES, PHONE_FACTOR, SPEAKER_FACTOR

HALF = 40
PHONES = 6
FRAMES, HOP = 20, 10


class _Utterance:
    def __init__(self, utt_id: str, speaker: str) -> None:
        self.id, self.speaker, self.txt = utt_id, speaker, None


class _Corpus:
    def __init__(self, utterances: list[_Utterance]) -> None:
        self.utterances = utterances
        self.root = Path("synthetic")


class SyntheticSpeech(AudioSequenceDataset):
    """``speakers`` per split (train, dev, test), ``utterances`` each of 40-90 frames; voices 3x the phone
    templates' scale, so that the voice, not the words, dominates an utterance's spectral statistics."""

    name = "synthetic-speech"
    identity_name = "speaker"
    split_names = ("train", "dev", "test")
    sample_rate = 16000

    def __init__(self, speakers: dict[str, int] | None = None, utterances: int = 5, seed: int = 0) -> None:
        super().__init__()
        counts = {"train": 12, "dev": 2, "test": 8, **(speakers or {})}
        rng = np.random.default_rng(seed)
        self.roles = {f"{split[:2].upper()}{k:02d}": split for split, count in counts.items() for k in range(count)}
        self.speaker_ids = sorted(self.roles)
        self.voices = {speaker: 3.0 * rng.normal(size=HALF) for speaker in self.speaker_ids}
        self.templates = 1.0 * rng.normal(size=(PHONES, HALF))
        self.utterance_count = utterances
        self.seed = seed
        self.factors = (Factor(SPEAKER_FACTOR, "static", tuple(self.speaker_ids)),
                        Factor(PHONE_FACTOR, "dynamic", tuple(f"ph{p}" for p in range(PHONES))))
        self._tracks = {speaker: [self._track(rng) for _ in range(utterances)] for speaker in self.speaker_ids}
        self._noise = rng.normal(size=(len(self.speaker_ids), utterances, 200, 2 * HALF)) * 0.3
        self.corpus = _Corpus([_Utterance(self.utterance_id(s, u), s) for s in self.speaker_ids
                               for u in range(utterances)])

    @staticmethod
    def _track(rng: np.random.Generator) -> np.ndarray:
        """A phone per frame: phones of 5-12 frames each, 40-90 frames in all."""
        length = int(rng.integers(40, 91))
        track: list[int] = []
        while len(track) < length:
            track += [int(rng.integers(PHONES))] * int(rng.integers(5, 13))
        return np.array(track[:length], dtype=np.int16)

    @staticmethod
    def utterance_id(speaker: str, index: int) -> str:
        return f"{speaker}/U{index}"

    def frames(self, speaker: str, index: int) -> np.ndarray:
        """The utterance's (normalised = raw) frames."""
        track = self._tracks[speaker][index]
        clean = np.concatenate([np.broadcast_to(self.voices[speaker], (len(track), HALF)), self.templates[track]], 1)
        noise = self._noise[self.speaker_ids.index(speaker), index, :len(track)]
        return (clean + noise).astype(np.float32)

    def phones(self, speaker: str, index: int) -> np.ndarray:
        return self._tracks[speaker][index]

    @property
    def sequence_shape(self) -> tuple[int, ...]:
        return (FRAMES, 2 * HALF)

    @property
    def feature_spec(self) -> FeatureSpec:
        return FEATURE_SPECS["logmel80"]

    @cached_property
    def feature_stats(self) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(2 * HALF, np.float32), np.ones(2 * HALF, np.float32)

    @property
    def segment_hop(self) -> int:
        return HOP

    def split_speakers(self, split: str) -> list[str]:
        return [speaker for speaker in self.speaker_ids if self.roles[speaker] == split]

    def fingerprint(self) -> str:
        return hash_parts(self.name, self.seed, self.utterance_count, sorted(self.roles.items()))

    def _load_split(self, split: str) -> SequenceSplit:
        xs, labels, groups, identity = [], [], [], []
        for speaker in self.split_speakers(split):
            for index in range(self.utterance_count):
                segments = segment(self.frames(speaker, index), FRAMES, HOP)
                xs.append(segments)
                labels.append(segment(self.phones(speaker, index)[:, None], FRAMES, HOP)[..., 0])
                groups += [self.utterance_id(speaker, index)] * len(segments)
                identity += [self.speaker_ids.index(speaker)] * len(segments)
        frame_phones = np.concatenate(labels).astype(np.int16)
        identity_array = np.array(identity, dtype=np.int64)
        return SequenceSplit(name=split, x=np.concatenate(xs), identity=identity_array, groups=np.array(groups),
                             labels={SPEAKER_FACTOR: identity_array,
                                     PHONE_FACTOR: frame_phones[:, FRAMES // 2].astype(np.int64)},
                             extras={FRAME_PHONES: frame_phones})


class PlantedModel(nn.Module):
    """z_s = a segment's mean first half (its voice), z_t = each frame's second half (its phone template) and, with
    ``voice_in_dynamics``, that frame's first half too. ``decode`` is what the test plants:

    - ``faithful``: [z_s, the phone half of z_t]: the voice from z_s, the words from z_1:T;
    - ``ignores_static``: [0, the phone half of z_t]: the voice of neither (a decoder deaf to z_s whose z_1:T holds
      no voice);
    - ``mixes_voices``: [(z_s + the voice half of z_t) / 2, the phone half]: half of each voice.
    """

    def __init__(self, decode: str = "faithful") -> None:
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(1))
        self.mode = decode

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return x[..., :HALF].mean(1), x

    def decode(self, s: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        voice = s[:, None, :].expand(-1, z.shape[1], -1)
        if self.mode == "ignores_static":
            voice = torch.zeros_like(voice)
        elif self.mode == "mixes_voices":
            voice = (voice + z[..., :HALF]) / 2
        return torch.cat([voice, z[..., HALF:]], dim=-1)
