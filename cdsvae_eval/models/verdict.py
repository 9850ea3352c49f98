"""A plain verdict on whether a run disentangles, from its swap scores and the KL of each code.

Thresholds (stated in every verdict):

- disentangled: motion swap >= 0.80 and identity swap >= 0.30, and both codes carry at least 1 nat
  (a collapsed code cannot be half of a disentangled pair);
- partly disentangled: both swaps at least 3x their chance level (1 / motions, 1 / identities);
- not disentangled: anything else.

The swap scores are those of :mod:`cdsvae_eval.models.swaps` (nearest true clip).

Audio runs (speaker = static, phonetic content = dynamic) are judged on both halves: the speaker half
is met when the EER of z_s is <= 5% and below the MFCC baseline's on the same trials and the EER of mean
z_1:T is >= 30% (little speaker left in the dynamics); the content half when the segment phone accuracy
from z_1:T is at least 0.10 above that from z_s and above that of a random-init encoder's z_1:T.
**disentangled** = both halves; **partly** = one of them, or z_s beats mean z_1:T by 10 EER points.
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
# the same leakage bar for mean z_1:T under an LDA fitted on the training speakers: a linear map must not find the
# speaker in z_1:T either (raw cosine alone hides it)
AUDIO_DYNAMIC_LDA_EER_MIN = 20.0
AUDIO_PARTLY_MARGIN = 10.0
# phone accuracy from z_1:T must exceed that from z_s, and that of a random-init encoder's z_1:T, by this much
AUDIO_PHONE_MARGIN = 0.10


@dataclass(frozen=True)
class PhoneProbes:
    """Segment phone accuracies of linear probes (the ``classify`` task) on the scored split."""

    dynamic: float
    static: float
    random_dynamic: float | None = None
    chance: float | None = None


@dataclass(frozen=True)
class AudioVerdict:
    label: str
    eer_static: float
    eer_dynamic: float
    eer_mfcc: float | None
    phones: PhoneProbes | None = None

    @property
    def speaker_half(self) -> bool:
        """z_s verifies speakers (EER at most 5% and below MFCC on the same trials), z_1:T does not (>= 30%)."""
        beats_mfcc = self.eer_mfcc is None or self.eer_static < self.eer_mfcc
        return (self.eer_static <= AUDIO_STATIC_EER_MAX and beats_mfcc
                and self.eer_dynamic >= AUDIO_DYNAMIC_EER_MIN)

    @property
    def content_half(self) -> bool:
        """z_1:T holds the phones: 0.10 above z_s and above a random-init encoder's z_1:T (when scored)."""
        if self.phones is None:
            return False
        random = self.phones.random_dynamic
        return (self.phones.dynamic - self.phones.static >= AUDIO_PHONE_MARGIN
                and (random is None or self.phones.dynamic - random >= AUDIO_PHONE_MARGIN))

    def lines(self) -> list[str]:
        mfcc = "" if self.eer_mfcc is None else f", MFCC baseline {self.eer_mfcc:.2f}% on the same trials"
        lines = [f"verdict: {self.label.upper()}",
                 f"  speaker: EER z_s {self.eer_static:.2f}%, mean z_1:T {self.eer_dynamic:.2f}% (chance 50%){mfcc}"
                 f" -> {'met' if self.speaker_half else 'not met'}"]
        if self.phones is None:
            lines.append("  content: not measured (score the classify task for the phone probes)")
        else:
            random = "" if self.phones.random_dynamic is None else \
                f", random-init z_1:T {self.phones.random_dynamic:.3f}"
            chance = "" if self.phones.chance is None else f" (chance {self.phones.chance:.3f})"
            lines.append(f"  content: phone from z_1:T {self.phones.dynamic:.3f}, from z_s {self.phones.static:.3f}"
                         f"{random}{chance} -> {'met' if self.content_half else 'not met'}")
        lines.append(
            f"  thresholds: disentangled = speaker (EER z_s <= {AUDIO_STATIC_EER_MAX:g}% and below MFCC, EER z_1:T >= "
            f"{AUDIO_DYNAMIC_EER_MIN:g}%) and content (phone from z_1:T >= {AUDIO_PHONE_MARGIN:.2f} above z_s and "
            f"above a random-init z_1:T); partly = one of the two, or z_s beats z_1:T by {AUDIO_PARTLY_MARGIN:g} "
            "EER points")
        return lines


def judge_audio(eer_static: float, eer_dynamic: float, eer_mfcc: float | None = None,
                phones: PhoneProbes | None = None) -> AudioVerdict:
    """The verdict of a speech run; without phone probes the content half counts as not met."""
    verdict = AudioVerdict("", eer_static, eer_dynamic, eer_mfcc, phones)
    if verdict.speaker_half and verdict.content_half:
        label = "disentangled"
    elif verdict.speaker_half or verdict.content_half or eer_dynamic - eer_static >= AUDIO_PARTLY_MARGIN:
        label = "partly disentangled"
    else:
        label = "not disentangled"
    return AudioVerdict(label, eer_static, eer_dynamic, eer_mfcc, phones)
