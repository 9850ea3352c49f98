"""An example cdsvae-eval dataset published through the ``cdsvae_eval.datasets`` entry-point group."""

from __future__ import annotations

import numpy as np

from cdsvae_eval.data.base import Factor, SequenceDataset, SequenceSplit, hash_parts

COLOURS = {"red": (220, 40, 40), "green": (40, 200, 60), "blue": (50, 80, 230), "yellow": (230, 210, 40),
           "magenta": (210, 50, 200), "cyan": (40, 210, 220)}
DIRECTIONS = {"right": (0, 1), "left": (0, -1), "down": (1, 0), "up": (-1, 0)}
CHARACTERS = {"train": 18, "val": 6, "test": 6}
FRAMES = 8


class SlidingSquares(SequenceDataset):
    """Squares of one colour each sliding in one of four directions (a cdsvae-eval plug-in example)."""

    name = "sliding-squares"
    modality = "video"
    identity_name = "character"
    factors = (Factor("colour", "static", tuple(COLOURS)), Factor("motion", "dynamic", tuple(DIRECTIONS)))
    split_names = ("train", "val", "test")

    def __init__(self, resolution: int = 16, max_characters: int | None = None) -> None:
        super().__init__()
        self.resolution = resolution
        self.max_characters = max_characters

    @property
    def sequence_shape(self) -> tuple[int, ...]:
        return (FRAMES, 3, self.resolution, self.resolution)

    def fingerprint(self) -> str:
        return hash_parts(self.name, "v1", self.resolution, self.max_characters)

    def _characters(self, split: str) -> int:
        count = CHARACTERS[split]
        if self.max_characters is None:
            return count
        return max(2, round(count * self.max_characters / sum(CHARACTERS.values())))

    def _load_split(self, split: str) -> SequenceSplit:
        """Each character is a colour and a start position; it has one clip per direction."""
        rng = np.random.default_rng(list(CHARACTERS).index(split))
        size, side = self.resolution, max(2, self.resolution // 4)
        clips, colours, motions, identities = [], [], [], []
        for character in range(self._characters(split)):
            colour = int(rng.integers(len(COLOURS)))
            start = rng.integers(side, size - 2 * side, size=2)
            for motion, (dy, dx) in enumerate(DIRECTIONS.values()):
                clip = np.zeros((FRAMES, 3, size, size), np.uint8)
                for t in range(FRAMES):
                    y, x = (start + np.array([dy, dx]) * t) % (size - side)
                    clip[t, :, y:y + side, x:x + side] = np.array(list(COLOURS.values())[colour])[:, None, None]
                clips.append(clip)
                colours.append(colour)
                motions.append(motion)
                identities.append(f"{split}-{character}")
        return SequenceSplit(split, np.stack(clips), {"colour": np.array(colours), "motion": np.array(motions)},
                             np.array(identities))
