"""A plain verdict on whether a run disentangles, from its swap scores and the KL of each code.

Thresholds (stated in every verdict):

- disentangled: motion swap >= 0.80 and identity swap >= 0.30, and both codes carry at least 1 nat
  (a collapsed code cannot be half of a disentangled pair);
- partly disentangled: both swaps at least 3x their chance level (1 / motions, 1 / identities);
- not disentangled: anything else.

The swap scores are those of :mod:`cdsvae_eval.models.swaps` (nearest true clip).

Audio runs (speaker = static) are judged by speaker verification instead: **disentangled** when the
EER of z_s is <= 5% and below the MFCC baseline's on the same trials, and the EER of mean z_1:T is
>= 30% (little speaker left in the dynamics); **partly** when z_s beats the mean of z_1:T by 10 points.
"""

from __future__ import annotations

from dataclasses import dataclass

MOTION_SWAP_THRESHOLD = 0.80
IDENTITY_SWAP_THRESHOLD = 0.30
MIN_CODE_KL = 1.0
PARTLY_TIMES_CHANCE = 3.0
SELECTION_DESCRIPTION = ("highest min over the motion and identity swaps of (accuracy - chance) / (1 - chance)")


@dataclass(frozen=True)
class Verdict:
    label: str
    motion_swap: float
    identity_swap: float
    motion_chance: float
    identity_chance: float
    kl_static: float | None
    kl_dynamic: float | None

    def lines(self) -> list[str]:
        kl = ""
        if self.kl_static is not None and self.kl_dynamic is not None:
            kl = f"; KL z_s {self.kl_static:.2f} nats, KL z_1:T {self.kl_dynamic:.2f} nats"
        return [
            f"verdict: {self.label.upper()}",
            f"  motion swap {self.motion_swap:.3f} (chance {self.motion_chance:.3f}), identity swap "
            f"{self.identity_swap:.3f} (chance {self.identity_chance:.3f}){kl}",
            f"  thresholds: disentangled = motion swap >= {MOTION_SWAP_THRESHOLD:.2f} and identity swap >= "
            f"{IDENTITY_SWAP_THRESHOLD:.2f} and KL >= {MIN_CODE_KL:g} nat in each code; partly = both swaps >= "
            f"{PARTLY_TIMES_CHANCE:g}x chance",
        ]


def judge(motion_swap: float, identity_swap: float, motion_chance: float, identity_chance: float,
          kl_static: float | None = None, kl_dynamic: float | None = None) -> Verdict:
    codes_used = kl_static is None or kl_dynamic is None or min(kl_static, kl_dynamic) >= MIN_CODE_KL
    if motion_swap >= MOTION_SWAP_THRESHOLD and identity_swap >= IDENTITY_SWAP_THRESHOLD and codes_used:
        label = "disentangled"
    elif (motion_swap >= PARTLY_TIMES_CHANCE * motion_chance
          and identity_swap >= PARTLY_TIMES_CHANCE * identity_chance):
        label = "partly disentangled"
    else:
        label = "not disentangled"
    return Verdict(label, motion_swap, identity_swap, motion_chance, identity_chance, kl_static, kl_dynamic)


def selection_score(motion_swap: float, identity_swap: float, motion_chance: float, identity_chance: float) -> float:
    """The smaller of the two swaps' gains above chance, each scaled to [0, 1] at perfect.

    A mean of the two would let a run that keeps everything in z_s (motion swap at chance, identity swap
    high) beat a run that splits the factors; with the minimum, a collapsed code scores about 0.
    """
    motion_gain = (motion_swap - motion_chance) / (1.0 - motion_chance)
    identity_gain = (identity_swap - identity_chance) / (1.0 - identity_chance)
    return min(motion_gain, identity_gain)


AUDIO_STATIC_EER_MAX = 5.0
AUDIO_DYNAMIC_EER_MIN = 30.0
AUDIO_PARTLY_MARGIN = 10.0


@dataclass(frozen=True)
class AudioVerdict:
    label: str
    eer_static: float
    eer_dynamic: float
    eer_mfcc: float | None

    def lines(self) -> list[str]:
        mfcc = "" if self.eer_mfcc is None else f", MFCC baseline {self.eer_mfcc:.2f}% on the same trials"
        return [
            f"verdict: {self.label.upper()}",
            f"  EER z_s {self.eer_static:.2f}%, mean z_1:T {self.eer_dynamic:.2f}% (chance 50%){mfcc}",
            f"  thresholds: disentangled = EER z_s <= {AUDIO_STATIC_EER_MAX:g}% and below MFCC, EER z_1:T >= "
            f"{AUDIO_DYNAMIC_EER_MIN:g}%; partly = z_s beats z_1:T by {AUDIO_PARTLY_MARGIN:g} points",
        ]


def judge_audio(eer_static: float, eer_dynamic: float, eer_mfcc: float | None = None) -> AudioVerdict:
    beats_mfcc = eer_mfcc is None or eer_static < eer_mfcc
    if eer_static <= AUDIO_STATIC_EER_MAX and beats_mfcc and eer_dynamic >= AUDIO_DYNAMIC_EER_MIN:
        label = "disentangled"
    elif eer_dynamic - eer_static >= AUDIO_PARTLY_MARGIN:
        label = "partly disentangled"
    else:
        label = "not disentangled"
    return AudioVerdict(label, eer_static, eer_dynamic, eer_mfcc)
