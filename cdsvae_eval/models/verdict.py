"""A plain verdict on whether a run disentangles, from its swap scores and the KL of each code.

Thresholds (stated in every verdict):

- disentangled: motion swap >= 0.80 and identity swap >= 0.30, and both codes carry at least 1 nat
  (a collapsed code cannot be half of a disentangled pair);
- partly disentangled: both swaps at least 3x their chance level (1 / motions, 1 / identities);
- not disentangled: anything else.

The swap scores are those of :mod:`cdsvae_eval.models.swaps` (nearest true clip).

Speech runs (speaker = static, phonetic content = dynamic) are judged on four halves: the speaker half and the
content half, each at the codes (the probes: ``speaker-eer``, ``frame-probe``) and at the decoder (``speech-swap``).
Every threshold is a constant below, with why it means what it says; a half whose figures were not scored is "not
measured" (and not met). **disentangled** = all four halves met; **partly** = at least one, or z_s beats mean
z_1:T by ``AUDIO_PARTLY_MARGIN`` EER points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from cdsvae_eval.names import LDA_BACKEND

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


# --- speech: four halves, each with its thresholds ------------------------------------------------------------------
# Speaker at the codes (speaker-eer, raw cosine unless named): z_s verifies speakers at least this well, and better
# than the MFCC baseline on the same trials; mean z_1:T at least this close to chance (50%)
AUDIO_STATIC_EER_MAX = 5.0
AUDIO_DYNAMIC_EER_MIN = 30.0
# the same leakage bar for mean z_1:T under an LDA fitted on the training speakers: a linear map must not find the
# speaker in z_1:T either (raw cosine alone hides it)
AUDIO_DYNAMIC_LDA_EER_MIN = 20.0
LEAKAGE_BACKEND = LDA_BACKEND
# partly disentangled at least: z_s verifies speakers this many EER points better than mean z_1:T
AUDIO_PARTLY_MARGIN = 10.0
# Content at the codes (frame-probe): each frame's phone from its z_t reaches this share of what the same linear
# probe reads from the log-mel frame itself (a reference, not a bound: a code that keeps the phones loses little of
# it, and z_t, computed from the whole segment, can read more) ...
AUDIO_PHONE_INPUT_SHARE = 0.9
# ... and beats the same probe on z_s by this much (the phones are in z_t, not in the segment's z_s)
AUDIO_PHONE_MARGIN = 0.10
# Speaker at the decoder (speech-swap): decisions judged by the MFCC embedding under the LDA fitted on the training
# speakers, which discounts within-speaker variation (what is said: a swap changes the words by design) ...
AUDIO_SWAP_BACKEND = LDA_BACKEND
# ... must follow z_s's source in 9 of 10 swaps (chance 0.5; a decoder that ignores z_s takes the voice of z_1:T's
# source or none, and scores at or below 0.5)
AUDIO_SWAP_SPEAKER_MIN = 0.90
# Content at the decoder: the swap keeps this share of the reconstruction's phone accuracy gain above chance (it
# loses little of the words beyond what decoding them loses anyway) ...
AUDIO_SWAP_CONTENT_SHARE = 0.9
# ... and the reconstruction keeps at least this share of the real input's gain: else both sit near chance and their
# ratio says nothing (a random-init decoder would pass the first bar)
AUDIO_RECON_CONTENT_SHARE = 0.5

MET, NOT_MET, NOT_MEASURED = "met", "not met", "not measured"


@dataclass(frozen=True)
class SpeakerEers:
    """EERs (%) of ``speaker-eer`` on the scored split: z_s, mean z_1:T and the MFCC baseline under raw cosine; mean
    z_1:T under every back-end scored (``dynamic_by_backend``, the LDA's among them when scored)."""

    static: float
    dynamic: float
    mfcc: float | None = None
    dynamic_by_backend: dict[str, float] = field(default_factory=dict)

    @property
    def dynamic_lda(self) -> float | None:
        return self.dynamic_by_backend.get(LEAKAGE_BACKEND)


@dataclass(frozen=True)
class FramePhones:
    """``frame-probe`` accuracies of each frame's phone: from its z_t, from z_s, from the log-mel input itself, and
    from a random-init model's z_t; the majority phone's rate."""

    dynamic: float
    static: float
    input: float | None = None
    random_dynamic: float | None = None
    chance: float | None = None


@dataclass(frozen=True)
class SpeechSwapScores:
    """``speech-swap`` figures: the speaker decision (at :data:`AUDIO_SWAP_BACKEND`; None when it was not scored)
    and the kept phone accuracy of the swaps, the reconstructions and the real utterances; chance; the leakage of
    the speaker source's phones into the swaps and into the real utterances (its floor); the random-init model's."""

    speaker_swap: float | None
    speaker_recon: float | None
    speaker_real: float | None
    content_swap: float
    content_recon: float
    content_real: float
    content_chance: float
    leak_swap: float | None = None
    leak_real: float | None = None
    random_speaker_swap: float | None = None
    random_content_swap: float | None = None


@dataclass(frozen=True)
class Half:
    """One half of the speech verdict: met, not met or not measured, with its figures (or how to measure it) and
    the threshold it is judged by."""

    name: str
    status: str
    detail: str
    threshold: str

    @property
    def met(self) -> bool:
        return self.status == MET

    def lines(self) -> list[str]:
        return [f"  {self.name}: {self.detail} -> {self.status}", f"    threshold: {self.threshold}"]


@dataclass(frozen=True)
class AudioVerdict:
    label: str
    halves: tuple[Half, ...]
    eers: SpeakerEers
    evidence: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """The label, each half with its threshold, the rule that makes the label, then the evidence (figures that
        are no threshold)."""
        return [f"verdict: {self.label.upper()}", *(line for half in self.halves for line in half.lines()),
                f"  label: disentangled = all four halves met; partly = at least one, or z_s beats mean z_1:T by "
                f"{AUDIO_PARTLY_MARGIN:g} EER points", *self.evidence]


SPEAKER_AT_CODES = (f"EER z_s <= {AUDIO_STATIC_EER_MAX:g}% and below MFCC's (raw cosine); EER mean z_1:T >= "
                    f"{AUDIO_DYNAMIC_EER_MIN:g}% under raw cosine and >= {AUDIO_DYNAMIC_LDA_EER_MIN:g}% under "
                    f"{LEAKAGE_BACKEND.upper()} fitted on the training speakers")
CONTENT_AT_CODES = (f"frame phone from z_t >= {AUDIO_PHONE_INPUT_SHARE:g} x from the log-mel input, and >= "
                    f"{AUDIO_PHONE_MARGIN:.2f} above from z_s")
# Results scored before frame-probe read the input have no input figure: the half falls back to the margin over
# z_s alone
NO_INPUT_FIGURE = ("no figure from the log-mel input (results scored before frame-probe read it, or without the "
                    "run's dataset): judged on the margin over z_s alone; re-run `probe --task frame-probe "
                    "--checkpoint RUN` to judge z_t against the input")
SPEAKER_AT_DECODER = (f"the swaps' speaker decision ({AUDIO_SWAP_BACKEND.upper()}) follows z_s in >= "
                      f"{AUDIO_SWAP_SPEAKER_MIN:.2f} of swaps (chance 0.5)")
CONTENT_AT_DECODER = (f"the swaps' phone accuracy gain above chance >= {AUDIO_SWAP_CONTENT_SHARE:g} x the "
                      f"reconstructions', theirs >= {AUDIO_RECON_CONTENT_SHARE:g} x the real utterances'")


def judge_audio(eers: SpeakerEers, frames: FramePhones | None = None, swaps: SpeechSwapScores | None = None) -> AudioVerdict:
    """The verdict of a speech run on its four halves; a half without its figures is not measured (and not met)."""
    halves = (_speaker_at_codes(eers), _content_at_codes(frames), _speaker_at_decoder(swaps),
              _content_at_decoder(swaps))
    if all(half.met for half in halves):
        label = "disentangled"
    elif any(half.met for half in halves) or eers.dynamic - eers.static >= AUDIO_PARTLY_MARGIN:
        label = "partly disentangled"
    else:
        label = "not disentangled"
    return AudioVerdict(label, halves, eers, tuple(_evidence(eers, frames, swaps)))


def _speaker_at_codes(eers: SpeakerEers) -> Half:
    half = partial(Half, "speaker at the codes", threshold=SPEAKER_AT_CODES)
    mfcc = "n/a" if eers.mfcc is None else f"{eers.mfcc:.2f}%"
    lda = "n/a" if eers.dynamic_lda is None else f"{eers.dynamic_lda:.2f}%"
    figures = (f"EER z_s {eers.static:.2f}% (MFCC {mfcc} on the same trials), mean z_1:T {eers.dynamic:.2f}% raw "
               f"cosine, {lda} {LEAKAGE_BACKEND.upper()} (chance 50%)")
    missing = [option for option, value in (("baseline=mfcc", eers.mfcc), (f"backend={LEAKAGE_BACKEND}",
                                                                           eers.dynamic_lda)) if value is None]
    if missing:
        how = " ".join(f"--option {option}" for option in missing)
        return half(NOT_MEASURED, f"{figures}; score it with `probe --task speaker-eer {how}` (or backend=all)")
    met = (eers.static <= AUDIO_STATIC_EER_MAX and eers.static < eers.mfcc and eers.dynamic >= AUDIO_DYNAMIC_EER_MIN
           and eers.dynamic_lda >= AUDIO_DYNAMIC_LDA_EER_MIN)
    return half(_status(met), figures)


def _content_at_codes(frames: FramePhones | None) -> Half:
    half = partial(Half, "content at the codes", threshold=CONTENT_AT_CODES)
    if frames is None:
        return half(NOT_MEASURED, "no per-frame phone probes; score them with `probe --task frame-probe`")
    chance = "" if frames.chance is None else f" (chance {frames.chance:.3f})"
    figures = f"frame phone from z_t {frames.dynamic:.3f}, from z_s {frames.static:.3f}{chance}"
    above_static = frames.dynamic - frames.static >= AUDIO_PHONE_MARGIN
    if frames.input is None:
        return half(_status(above_static), f"{figures}; {NO_INPUT_FIGURE}")
    met = frames.dynamic >= AUDIO_PHONE_INPUT_SHARE * frames.input and above_static
    return half(_status(met), f"{figures}, from the log-mel input {frames.input:.3f}")


def _speaker_at_decoder(swaps: SpeechSwapScores | None) -> Half:
    half = partial(Half, "speaker at the decoder", threshold=SPEAKER_AT_DECODER)
    if swaps is None:
        return half(NOT_MEASURED, "no speech swaps; score them with `probe --task speech-swap`")
    if swaps.speaker_swap is None:
        return half(NOT_MEASURED, f"the swaps were not judged with the {AUDIO_SWAP_BACKEND.upper()} back-end; score "
                                  f"speech-swap with --option backend={AUDIO_SWAP_BACKEND} (or all)")
    figures = (f"speaker decision follows z_s in {swaps.speaker_swap:.3f} of swaps ({AUDIO_SWAP_BACKEND.upper()}; "
               f"reconstructions {_figure(swaps.speaker_recon)}, real utterances {_figure(swaps.speaker_real)}, "
               "chance 0.5)")
    return half(_status(swaps.speaker_swap >= AUDIO_SWAP_SPEAKER_MIN), figures)


def _content_at_decoder(swaps: SpeechSwapScores | None) -> Half:
    half = partial(Half, "content at the decoder", threshold=CONTENT_AT_DECODER)
    if swaps is None:
        return half(NOT_MEASURED, "no speech swaps; score them with `probe --task speech-swap`")
    chance = swaps.content_chance
    figures = (f"phones of z_1:T's source kept: swaps {swaps.content_swap:.3f}, reconstructions "
               f"{swaps.content_recon:.3f}, real utterances {swaps.content_real:.3f} (chance {chance:.3f})")
    recon_gain, real_gain = swaps.content_recon - chance, swaps.content_real - chance
    met = (real_gain > 0 and recon_gain >= AUDIO_RECON_CONTENT_SHARE * real_gain
           and swaps.content_swap - chance >= AUDIO_SWAP_CONTENT_SHARE * recon_gain)
    return half(_status(met), figures)


def _status(met: bool) -> str:
    return MET if met else NOT_MET


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _evidence(eers: SpeakerEers, frames: FramePhones | None, swaps: SpeechSwapScores | None) -> list[str]:
    """Figures printed beside the verdict that are no threshold of it."""
    lines = []
    if eers.dynamic_by_backend:
        listed = ", ".join(f"{name} {value:.2f}%" for name, value in eers.dynamic_by_backend.items())
        lines.append(f"  evidence: mean z_1:T EER under back-ends fitted on the training speakers: {listed} (leakage a "
                     "linear map finds where raw cosine does not)")
    if frames is not None:
        reference = "not scored" if frames.input is None else f"{frames.input:.3f}"
        random = "not scored" if frames.random_dynamic is None else f"{frames.random_dynamic:.3f}"
        lines.append(f"  evidence: frame phone from the log-mel input (a linear reference, not a bound) {reference}; "
                     f"from a random-init model's z_t {random}")
    if swaps is not None:
        if swaps.leak_swap is not None:
            lines.append(f"  evidence: the speaker source's phones read in the swaps {swaps.leak_swap:.3f} of frames "
                         f"where the two utterances differ (real utterances, the floor: {_figure(swaps.leak_real)})")
        if swaps.random_content_swap is not None:
            lines.append(f"  evidence: a random-init model's swaps: speaker decision "
                         f"{_figure(swaps.random_speaker_swap)}, phones kept {swaps.random_content_swap:.3f} (the floor)")
    return lines
