"""How ``best.pt`` is chosen: one rule per run, decided here from the config and the dataset, and used by the
trainer (scoring each epoch), its ``summary.json`` and every results file's provenance.

- ``swap`` (video datasets with a dynamic ``motion`` factor): the highest smaller gain above chance of the
  two validation swaps (:func:`~cdsvae_eval.models.verdict.selection_score`).
- ``speaker-eer`` (speech datasets whose validation split has two speakers or more): the lowest validation
  EER of z_s plus the shortfalls of mean z_1:T's EER below the verdict's leakage bars, under cosine (30%) and
  under an LDA fitted on the training speakers (20%): the loss says nothing about which code holds the
  speaker, so an epoch whose z_1:T takes speaker information cannot win on z_s alone, and a linear map finds
  speaker information in z_1:T that cosine does not (:func:`speaker_selection_score`).
- ``loss``: the lowest validation loss; also what a requested rule falls back to when the dataset cannot
  support it (no motion factor to swap, fewer than two validation speakers), and the description says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cdsvae_eval.config import TrainConfig
from cdsvae_eval.data.base import SequenceDataset
from cdsvae_eval.models.verdict import (
    AUDIO_DYNAMIC_EER_MIN, AUDIO_DYNAMIC_LDA_EER_MIN, SELECTION_DESCRIPTION, selection_score,
)
from cdsvae_eval.names import (
    EER_DYNAMIC, EER_DYNAMIC_LDA, EER_STATIC, MOTION_FACTOR, SPEAKER_FACTOR, SWAP_IDENTITY_ACC, SWAP_IDENTITY_CHANCE, SWAP_MOTION_ACC,
    SWAP_MOTION_CHANCE,
)

SELECT_BY = ("swap", "speaker-eer", "loss")
# Keys of a training log record that hold each rule's figures.
SWAP_RECORD = "swap"
SPEAKER_RECORD = "speaker"


@dataclass(frozen=True)
class SelectionRule:
    """The rule that picks ``best.pt``: its name (one of :data:`SELECT_BY`) and a sentence for people."""

    name: str
    description: str

    @property
    def needs_scored_epochs(self) -> bool:
        """Whether an epoch can only be compared when its validation figures were scored."""
        return self.name != "loss"

    def score(self, record: dict[str, Any]) -> float | None:
        """Higher is better; None for an epoch without the figures this rule reads."""
        if self.name == "swap":
            swap = record.get(SWAP_RECORD)
            if swap is None:
                return None
            return selection_score(swap[SWAP_MOTION_ACC], swap[SWAP_IDENTITY_ACC], swap[SWAP_MOTION_CHANCE],
                                   swap[SWAP_IDENTITY_CHANCE])
        if self.name == "speaker-eer":
            speaker = record.get(SPEAKER_RECORD)
            if speaker is None:
                return None
            return speaker_selection_score(speaker[EER_STATIC], speaker[EER_DYNAMIC], speaker.get(EER_DYNAMIC_LDA))
        return -record["val"]["loss"]


def speaker_selection_score(eer_static: float, eer_dynamic: float, eer_dynamic_lda: float | None) -> float:
    """Higher is better: minus (the EER of z_s plus the shortfall of mean z_1:T's EER below the cosine leakage bar,
    plus its shortfall below the LDA leakage bar when the LDA figure was measured), all in percent."""
    shortfall = max(0.0, AUDIO_DYNAMIC_EER_MIN - eer_dynamic)
    if eer_dynamic_lda is not None:
        shortfall += max(0.0, AUDIO_DYNAMIC_LDA_EER_MIN - eer_dynamic_lda)
    return -(eer_static + shortfall)


def selection_rule(config: TrainConfig, dataset: SequenceDataset,
                   validation_identities: int | None = None) -> SelectionRule:
    """The rule for a run of ``config`` on ``dataset``. ``validation_identities`` (the validation split's
    identity count, read from the dataset when not given) decides whether a speaker EER can be measured."""
    split = dataset.validation_split
    every = f"every {config.swap_eval_every} epochs and at the last"
    if config.select_by == "swap":
        if any(factor.name == MOTION_FACTOR for factor in dataset.dynamic_factors):
            return SelectionRule("swap", f"{SELECTION_DESCRIPTION} on {split!r} ({every})")
        return SelectionRule("loss", f"lowest validation loss on {split!r} (select_by=swap, but dataset "
                                     f"{dataset.name!r} has no dynamic {MOTION_FACTOR!r} factor to swap)")
    if config.select_by == "speaker-eer":
        if validation_identities is None:
            validation_identities = dataset.split_counts(split)["identities"]
        if dataset.modality == "audio" and any(f.name == SPEAKER_FACTOR for f in dataset.static_factors) \
                and validation_identities >= 2:
            return SelectionRule("speaker-eer", (
                f"lowest validation EER of z_s plus the shortfalls of mean z_1:T's EER below "
                f"{AUDIO_DYNAMIC_EER_MIN:g}% under cosine and below {AUDIO_DYNAMIC_LDA_EER_MIN:g}% under an LDA fitted "
                f"on the training speakers (utterance means, all pairs) on {split!r} ({every})"))
        return SelectionRule("loss", f"lowest validation loss on {split!r} (select_by=speaker-eer, but "
                                     f"{split!r} has {validation_identities} speaker(s): an EER needs 2)")
    return SelectionRule("loss", f"lowest validation loss on {split!r}")
