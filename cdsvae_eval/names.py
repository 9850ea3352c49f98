"""Names shared across layers: the factors the built-in datasets and tasks agree on, the codes, and the metrics
that one module writes and others read (the trainer logs, the tasks report, the verdict, curves and pages)."""

from __future__ import annotations

# Factors
MOTION_FACTOR = "motion"
SPEAKER_FACTOR = "speaker"
PHONE_FACTOR = "phone"

# Swap metrics (models.swaps.SwapScore.as_dict writes them; everything else reads them by these names)
SWAP_MOTION_ACC = "swap_motion_acc"
SWAP_IDENTITY_ACC = "swap_identity_acc"
SWAP_MOTION_CHANCE = "swap_motion_chance"
SWAP_IDENTITY_CHANCE = "swap_identity_chance"
SWAP_REL_ERROR = "swap_rel_error"

# Codes a metric is measured on: the static code z_s, the dynamic codes z_1:T (for speech: their mean over an
# utterance), and the MFCC baseline of the speech tasks
STATIC_CODE = "static"
DYNAMIC_CODE = "dynamic"
MFCC_CODE = "mfcc"
# The model's input itself (log-mel frames for speech): the linear reference a probe on the codes is compared with
INPUT_CODE = "input"

# Speaker verification (speaker-eer writes them, the verdict and the report read them)
EER = "eer"
MIN_DCF_01 = "min_dcf_0.01"
MIN_DCF_05 = "min_dcf_0.05"
RAW_COSINE_BACKEND = "none"
# The back-end the verdict reads leakage and swap decisions under (tasks.backends fits it)
LDA_BACKEND = "lda"
EER_STATIC = f"{EER}_{STATIC_CODE}"
EER_DYNAMIC = f"{EER}_{DYNAMIC_CODE}"

# Code usage (the trainer's log and code-usage write them; the verdict, curves and pages read them)
KL_STATIC = "kl_static"
KL_DYNAMIC = "kl_dynamic"

# Speech swaps (speech-swap writes them, the verdict and the report read them): what is scored (the real utterance,
# the model's reconstruction, the swap), and the measures: the speaker decision's accuracy and EER, the phone
# accuracy against the content source's labels (kept content) and against the speaker source's (leakage)
REAL_OUTPUT = "real"
RECON_OUTPUT = "recon"
SWAP_OUTPUT = "swap"
SPEAKER_DECISION_ACC = "speaker_decision_acc"
SPEAKER_DECISION_EER = "speaker_decision_eer"
CONTENT_KEPT_ACC = "content_acc"
CONTENT_LEAK_ACC = "content_leak"
PHONE_SCORER_HELD_OUT_ACC = "phone_scorer_held_out_acc"

# Per-clip values a video dataset keeps in SequenceSplit.extras where its clips start at different phases: how many
# frames each clip's motion is advanced (the swap scorers compare clips at one phase)
CLIP_PHASE = "phase"

# Per-frame labels a speech dataset keeps in SequenceSplit.extras, and the factor each one labels
FRAME_PHONES = "frame_phones"
FRAME_LABEL_FACTORS = {FRAME_PHONES: PHONE_FACTOR}


def verification_metric(measure: str, code: str, backend: str = RAW_COSINE_BACKEND) -> str:
    """``eer_static``, ``min_dcf_0.01_mfcc``, ...; a back-end other than raw cosine is a suffix (``eer_dynamic_lda``),
    so the paper-comparable figures keep their names."""
    return f"{measure}_{code}" if backend == RAW_COSINE_BACKEND else f"{measure}_{code}_{backend}"


def speech_swap_metric(measure: str, output: str, backend: str | None = None) -> str:
    """``speaker_decision_acc_swap_lda``, ``content_acc_recon``, ...: a speech-swap measure of one output; the speaker measures
    carry their back-end as verification metrics do (none for raw cosine)."""
    name = f"{measure}_{output}"
    return name if backend is None or backend == RAW_COSINE_BACKEND else f"{name}_{backend}"


def chance_metric(factor: str) -> str:
    return f"chance_{factor}"


def probe_metric(factor: str, code: str, prefix: str = "") -> str:
    """A linear probe's accuracy for ``factor`` from ``code``: ``acc_<factor>_from_<code>``; ``prefix`` names its
    input (``sample_``, ``mean_``) and/or the random-init baseline (``baseline_``)."""
    return f"{prefix}acc_{factor}_from_{code}"


def frame_metric(factor: str, code: str, prefix: str = "") -> str:
    """A per-frame probe's accuracy (``frame-probe``): ``frame_acc_<factor>_from_<code>``, ``prefix`` as above."""
    return f"{prefix}frame_acc_{factor}_from_{code}"


SAMPLE_PROBE_PREFIX = "sample_"
# Metrics of a random-init model of the same architecture, scored alongside (classify, code-usage)
BASELINE_PREFIX = "baseline_"
# What a probe table row was fitted on (its ``codes`` field): the trained model's codes, the random-init model's,
# or the model's input itself (classify, frame-probe)
MODEL_ROWS = "model"
BASELINE_ROWS = "baseline"
INPUT_ROWS = "input"


# The EER of mean z_1:T under an LDA fitted on the training speakers (the trainer's validation figure and the
# speaker-eer task's metric of that back-end): linear speaker leakage that raw cosine does not see
EER_DYNAMIC_LDA = verification_metric(EER, DYNAMIC_CODE, LDA_BACKEND)
