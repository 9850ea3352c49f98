"""A tiny procedural video dataset for trainer tests: colour = static factor, a moving bar = motion."""

import numpy as np

from cdsvae_eval.data.base import Factor, SequenceDataset, SequenceSplit, hash_parts
from cdsvae_eval.data.registry import register_dataset

SPLIT_CHARACTERS = {"train": 24, "val": 6, "test": 6}


@register_dataset("toy-video", "procedural test clips")
class ToyVideo(SequenceDataset):
    name = "toy-video"
    modality = "video"
    identity_name = "character"
    factors = (Factor("colour", "static", ("red", "green", "blue", "grey")),
               Factor("motion", "dynamic", ("slow", "medium", "fast", "reverse")))
    split_names = ("train", "val", "test")

    def __init__(self, resolution: int = 16, max_characters: int | None = None):
        super().__init__()
        self.resolution = resolution

    @property
    def sequence_shape(self):
        return (8, 3, self.resolution, self.resolution)

    def fingerprint(self) -> str:
        return hash_parts("toy-video", self.resolution)

    def _load_split(self, split: str) -> SequenceSplit:
        offset = {"train": 0, "val": 100, "test": 200}[split]
        rng = np.random.default_rng(offset)
        size = self.resolution
        clips, colours, motions, identities = [], [], [], []
        for character in range(SPLIT_CHARACTERS[split]):
            colour = int(rng.integers(0, 4))
            for motion in range(4):
                clip = np.zeros((8, 3, size, size), np.uint8)
                clip[:, colour % 3] = 40 + 50 * colour
                for t in range(8):
                    step = t * (motion + 1) if motion < 3 else (7 - t)
                    row = step % (size - 3)
                    clip[t, :, row:row + 3, 2:size - 2] = 255
                clips.append(clip)
                colours.append(colour)
                motions.append(motion)
                identities.append(offset + character)
        return SequenceSplit(split, np.stack(clips), {"colour": np.array(colours), "motion": np.array(motions)},
                             np.array(identities))


@register_dataset("toy-expressions", "procedural test clips without a motion factor (MUG-like)")
class ToyExpressions(ToyVideo):
    """The same clips with the dynamic factor named ``expression``: nothing to score swaps on."""

    name = "toy-expressions"
    factors = (ToyVideo.factors[0], Factor("expression", "dynamic", ToyVideo.factors[1].classes))

    def _load_split(self, split: str) -> SequenceSplit:
        part = super()._load_split(split)
        part.labels["expression"] = part.labels.pop("motion")
        return part
