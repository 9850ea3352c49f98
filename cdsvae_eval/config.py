"""Dataclass configs and named presets. One config system: a preset, then option overrides."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from typing import Any

from cdsvae_eval.errors import ConfigError
from cdsvae_eval.text_values import parse_text


@dataclass
class ModelConfig:
    """Sizes of the C-DSVAE latent core and its frame encoder/decoder."""

    modality: str = "video"
    frames: int = 8
    static_dim: int = 256
    dynamic_dim: int = 32
    frame_dim: int = 128
    hidden_dim: int = 256
    # video
    image_size: int = 64
    channels: int = 3
    conv_channels: tuple[int, ...] = (64, 128, 256, 512)
    # audio
    feature_dim: int = 80
    mlp_hidden: int = 256
    # the release puts a LeakyReLU after the static mean/log-variance heads
    static_head_leaky_relu: bool = False
    # what z_1:T is read from: "shared" (the release: the bi-LSTM states that also give z_s) or "centred"
    # (the same bi-LSTM run on the frame features minus their mean over the sequence, so what is constant
    # across the sequence, where a speaker's timbre sits, reaches z_1:T only through how frames change) or
    # "instance-normalised" (centred and divided by each feature's standard deviation over the sequence)
    dynamic_input: str = "shared"
    # what z_s is read from: the whole "sequence" (the release: the bi-LSTM's end states) or "one-frame" (DBSE-style:
    # the bi-LSTM run on one frame, drawn at random per sequence while training and the first frame otherwise, with
    # the dynamic path reading every frame's features minus that frame's, so z_s cannot see how frames change)
    static_input: str = "sequence"
    # the prior of z_t: "learned" (the release: a two-layer LSTM over z_<t, so anything constant over the sequence,
    # a speaker's offset, is charged once, at the first step, and predicted for free after it) or "standard"
    # (N(0, I) at every step: each step pays for everything z_t holds, a constant offset as much as the content)
    dynamic_prior: str = "learned"


@dataclass
class LossConfig:
    recon: str = "mse"
    kl_static: float = 1.0
    kl_dynamic: float = 1.0
    mi: float = 1.0
    contrastive_static: float = 10.0
    contrastive_dynamic: float = 10.0
    temperature: float = 0.5
    # reproduce the released MI estimator's quirks (log-variance used as log-std, log(B*N) offsets)
    mi_parity: bool = False
    # the contrastive terms compare posterior "mean"s (the release) or reparameterised "sample"s;
    # cosine similarity is blind to scale, so means can satisfy it with codes too small to survive
    # the posterior noise the decoder sees
    contrastive_codes: str = "mean"
    # strength of the motion view's colour distortion (video) or warp/tilt (audio)
    motion_view_strength: float = 1.0
    # free bits on the dynamic KL (nats per sequence, batch mean): below this z_1:T is not charged, so
    # it carries cheap sequence-level information (the motion) before the static code can absorb it
    free_bits_dynamic: float = 0.0
    # similarity inside each NT-Xent term: "cosine" of the codes (the release) or the posterior
    # "overlap" (-1/2 sum (mu_i - mu_j)^2 / (var_i + var_j)), which directions below the noise cannot satisfy
    static_similarity: str = "cosine"
    dynamic_similarity: str = "cosine"
    # the static code's positive view: "shuffle" (the clip's own frames in random order, the release),
    # "identity" (another training clip of the same identity, frames shuffled): weak supervision by
    # identity, which charges z_s for holding anything that differs between clips of one character, or
    # "utterance" (audio: another segment of the same utterance that does not overlap it where the utterance
    # is long enough, frames shuffled; flare-sprites with dataset_options.videos: another window of the same
    # video that does not overlap it): self-supervised, no speaker or character labels, and it charges z_s for
    # holding the phones (the motions), which differ between the segments of one utterance (windows of one video)
    content_view: str = "shuffle"
    # the static NT-Xent's negatives: "all" other rows of the batch (the release), or only rows of
    # "other-utterances" (other utterances or videos; no labels needed) or "other-identities" (uses identity
    # labels): rows of one utterance or speaker share what the positive pair shares, so as negatives they fight it
    static_negatives: str = "all"
    # reconstruct x from z_s of the content view and z_1:T of x ("content", a cross reconstruction) or from
    # x's own codes ("self", the release); with content_view="identity" the decoder must take everything
    # that differs between clips of one identity (the motion) from z_1:T
    decode_static_from: str = "self"
    # the contrastive weights ramp linearly from 0 to their value over this many epochs (0: no warm-up)
    contrastive_warmup_epochs: float = 0.0
    # the dynamic NT-Xent's negatives: "all" other rows of the batch (the release), or only rows of the
    # "same-utterance" (audio; needs batches of utterance blocks, ``segments_per_utterance``): what the segments
    # of one utterance share (the speaker, the channel) then cannot tell a segment from its negatives, so the
    # term rewards z_1:T for the content alone
    dynamic_negatives: str = "all"
    # weight of an NT-Xent between z_1:T of x and z_1:T of x re-voiced by the model itself: x decoded from another
    # row's z_s and its own z_1:T (no gradient into the decoder), then encoded again; z_1:T learns to ignore what
    # z_s changes in the decoder's output (the speaker), a self-supervised speaker perturbation
    contrastive_swap: float = 0.0
    # weight of a penalty on the Fisher ratio trace(S_w^-1 S_b) of the segment means of z_1:T, with the batch's
    # utterances as classes: how far a linear map separates utterances by their mean z_1:T (needs utterance blocks)
    utterance_fisher: float = 0.0
    # weight of a penalty on each utterance's mean z_1:T offset from the mean over utterances, whitened by the spread
    # within utterances, with utterance means kept in a running memory over all their segments (what LDA reads;
    # needs utterance blocks)
    utterance_offset: float = 0.0
    # scale of the reversed gradient from an adversarial critic that matches two disjoint halves of each
    # utterance block by their pooled z_1:T (InfoNCE); the encoder learns to defeat it (needs utterance blocks)
    utterance_critic: float = 0.0
    # scale of the reversed gradient from an adversarial critic that picks each row's z_s among the batch's rows
    # from its time-pooled z_1:T (InfoNCE): the two codes of one sequence should share nothing a linear map finds
    code_critic: float = 0.0


@dataclass
class TrainConfig:
    preset: str = "quick"
    dataset: str = "flare-sprites"
    dataset_options: dict[str, Any] = field(default_factory=dict)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    seed: int = 1
    device: str = "auto"
    precision: str = "auto"
    compile: bool = False
    mode: str = "optimized"
    swap_eval_every: int = 2
    swap_eval_pairs: int = 256
    # the validation loss draws its augmentations, and the validation swaps their pairs, from these seeds
    # (fixed across epochs, so epochs are compared on the same views and pairs)
    validation_seed: int = 12345
    swap_eval_seed: int = 0
    select_by: str = "swap"
    # batches made of blocks of this many non-overlapping segments of one utterance (speech; 0: segments drawn
    # at random): the utterance-level terms (loss.dynamic_negatives, loss.utterance_fisher,
    # loss.utterance_critic) compare segments of one utterance; batch_size must be a multiple of it
    segments_per_utterance: int = 0
    checkpoint_every: int = 1
    # on CPU, let glibc reuse freed memory instead of returning it to the kernel every step
    cpu_reuse_freed_memory: bool = True
    # on CPU, flush subnormal floats to zero while training (they cost microcode time late in training)
    cpu_flush_denormal: bool = True

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @staticmethod
    def from_dict(data: dict[str, Any]) -> "TrainConfig":
        data = dict(data)
        model = ModelConfig(**{**data.pop("model", {})})
        model.conv_channels = tuple(model.conv_channels)
        loss = LossConfig(**data.pop("loss", {}))
        return TrainConfig(model=model, loss=loss, **data)


def _video(size: int, channels: tuple[int, ...], **kw: Any) -> ModelConfig:
    return ModelConfig(modality="video", image_size=size, conv_channels=channels, **kw)


# The recipe that separates motion from appearance on flare-sprites (bench/RESULTS.md, ablation on the
# validation split). Not C-DSVAE's self-supervision: the static code's positive view and the decoder's
# static input come from another training clip of the same identity (weak supervision by identity), and
# the dynamic KL has 8 free nats so z_1:T is used before it can collapse; KL(z_s) weighs 0.25 (chosen on
# the validation split from 1, 0.5 and 0.25: the cheaper z_s decodes the appearance better).
PAIRED_LOSS = LossConfig(content_view="identity", decode_static_from="content", static_similarity="overlap",
                         free_bits_dynamic=8.0, kl_static=0.25)

# The same recipe without labels, on flare-sprites' long videos (bench/RESULTS.md, "Video without labels", chosen
# on the validation split): the static positive and the decoder's static input come from another window of the same
# video (video membership, no identity label), other windows of that video are not negatives of the static NT-Xent.
VIDEO_SELF_LOSS = dataclasses.replace(PAIRED_LOSS, content_view="utterance", static_negatives="other-utterances")
# Two videos of three motions per training character: 30,600 windows of 8 frames.
VIDEO_SELF_DATA = {"resolution": 16, "videos": 2, "motions_per_video": 3}

PRESETS: dict[str, dict[str, Any]] = {
    # The released Sprites settings: a GPU job.
    "paper": dict(
        dataset_options={"resolution": 64},
        model=_video(64, (64, 128, 256, 512)),
        epochs=100, batch_size=128, swap_eval_every=10, swap_eval_pairs=512, checkpoint_every=10,
    ),
    # The paper preset plus the authors' release quirks: its MI estimator (log-variance used as log-std,
    # log(B*N) offsets that keep the penalty always on), LeakyReLU on the static heads, and three separate
    # encode-decode passes (each view with its own BatchNorm batch statistics, fp32). README lists them.
    "release": dict(
        dataset_options={"resolution": 64},
        model=_video(64, (64, 128, 256, 512), static_head_leaky_relu=True),
        loss=LossConfig(mi_parity=True),
        mode="release",
        epochs=100, batch_size=128, swap_eval_every=10, swap_eval_pairs=512, checkpoint_every=10,
    ),
    # The paper's scale with the identity-paired recipe (untested at 64x64 on a CPU: a GPU job).
    "paper-paired": dict(
        dataset_options={"resolution": 64},
        model=_video(64, (64, 128, 256, 512)),
        loss=PAIRED_LOSS,
        epochs=100, batch_size=128, swap_eval_every=10, swap_eval_pairs=512, checkpoint_every=10,
    ),
    # Sized to finish on flare-sprites in <= 10 minutes on a 2-core CPU (bench/RESULTS.md): the recipe.
    "quick": dict(
        dataset_options={"resolution": 16},
        model=_video(16, (32, 64), static_dim=64, dynamic_dim=16, frame_dim=128, hidden_dim=128),
        loss=PAIRED_LOSS,
        epochs=20, batch_size=64, swap_eval_every=4, swap_eval_pairs=256,
    ),
    # The same budget with C-DSVAE's own objective (the paper preset's losses): it does not disentangle.
    "quick-cdsvae": dict(
        dataset_options={"resolution": 16},
        model=_video(16, (32, 64), static_dim=64, dynamic_dim=16, frame_dim=128, hidden_dim=128),
        epochs=20, batch_size=64, swap_eval_every=4, swap_eval_pairs=256,
    ),
    # Self-supervised: the recipe with positives by video membership, on long videos (478 steps an epoch).
    "quick-self": dict(
        dataset_options=VIDEO_SELF_DATA,
        model=_video(16, (32, 64), static_dim=64, dynamic_dim=16, frame_dim=128, hidden_dim=128),
        loss=VIDEO_SELF_LOSS,
        epochs=7, batch_size=64, swap_eval_every=1, swap_eval_pairs=256,
    ),
    # DSVAE (Li & Mandt 2018) at the same budget: C-DSVAE's architecture without its contrastive and MI terms.
    "dsvae": dict(
        dataset_options={"resolution": 16},
        model=_video(16, (32, 64), static_dim=64, dynamic_dim=16, frame_dim=128, hidden_dim=128),
        loss=LossConfig(mi=0.0, contrastive_static=0.0, contrastive_dynamic=0.0),
        epochs=20, batch_size=64, swap_eval_every=4, swap_eval_pairs=256,
    ),
    # Seconds: for tests.
    "smoke": dict(
        dataset_options={"resolution": 16, "max_characters": 24},
        model=_video(16, (8, 16), static_dim=8, dynamic_dim=4, frame_dim=16, hidden_dim=16),
        epochs=2, batch_size=16, swap_eval_every=1, swap_eval_pairs=16,
    ),
    # The smoke budget without the contrastive and MI terms: for tests of `compare`.
    "smoke-dsvae": dict(
        dataset_options={"resolution": 16, "max_characters": 24},
        model=_video(16, (8, 16), static_dim=8, dynamic_dim=4, frame_dim=16, hidden_dim=16),
        loss=LossConfig(mi=0.0, contrastive_static=0.0, contrastive_dynamic=0.0),
        epochs=2, batch_size=16, swap_eval_every=1, swap_eval_pairs=16,
    ),
}


def _audio(**kw: Any) -> ModelConfig:
    return ModelConfig(modality="audio", frames=20, **kw)


# The speech recipe (bench/RESULTS.md, "Speech", chosen on the dev split; self-supervised: no speaker labels):
# the static code's positive view is another segment of the same utterance that does not overlap it, other
# segments of that utterance are not negatives of the static NT-Xent, x is decoded from its own codes; both
# NT-Xent terms at temperature 0.1, the dynamic one weighted 20 (it makes z_1:T tell segments apart by their
# content); a 4x KL weight on z_1:T keeps the speaker out of it.
SPEECH_LOSS = LossConfig(content_view="utterance", static_negatives="other-utterances", temperature=0.1,
                         contrastive_dynamic=20.0, kl_dynamic=4.0)
# The tts-timit corpus of the quick preset, spelled out so that a change of the dataset's defaults never
# changes what a preset run trains on: 96 training speakers (prosody variants of the 10 train voices), 16 dev
# speakers on 4 dev voices and 24 test speakers on 10 test voices (corpus plan v3: training hears neither).
# 96 training speakers beat 16 and 48 on dev at the same number of steps (bench/RESULTS.md).
SPEECH_CORPUS = {"train_speakers": 96, "dev_speakers": 16, "test_speakers": 24}

AUDIO_PRESETS: dict[str, dict[str, Any]] = {
    "paper": dict(
        dataset="timit",
        model=_audio(static_dim=256, dynamic_dim=32, frame_dim=256, hidden_dim=256, mlp_hidden=512),
        epochs=100, batch_size=128, select_by="speaker-eer", swap_eval_every=5,
    ),
    # Sized to train in a few minutes on a 2-core CPU (bench/RESULTS.md); best.pt by the validation EER.
    "quick": dict(
        dataset="tts-timit",
        dataset_options=SPEECH_CORPUS,
        model=_audio(static_dim=64, dynamic_dim=32, frame_dim=128, hidden_dim=128, mlp_hidden=256),
        loss=SPEECH_LOSS,
        epochs=8, batch_size=256, select_by="speaker-eer", swap_eval_every=1,
    ),
    # The quick budget with C-DSVAE's own objective (frame-shuffled content view): the baseline the recipe beats.
    "quick-cdsvae": dict(
        dataset="tts-timit",
        dataset_options=SPEECH_CORPUS,
        model=_audio(static_dim=64, dynamic_dim=32, frame_dim=128, hidden_dim=128, mlp_hidden=256),
        loss=LossConfig(kl_dynamic=4.0),
        epochs=8, batch_size=256, select_by="speaker-eer", swap_eval_every=1,
    ),
    "smoke": dict(
        dataset="tts-timit",
        dataset_options={"train_speakers": 2, "dev_speakers": 2, "test_speakers": 2, "sentences": 3},
        model=_audio(static_dim=8, dynamic_dim=4, frame_dim=16, hidden_dim=16, mlp_hidden=32),
        epochs=2, batch_size=32, select_by="speaker-eer", swap_eval_every=1,
    ),
}


def preset_config(name: str, modality: str = "video") -> TrainConfig:
    """The named preset for a modality (``video`` presets train flare-sprites, ``audio`` ones tts-timit)."""
    table = AUDIO_PRESETS if modality == "audio" else PRESETS
    if name not in table:
        raise ConfigError(f"unknown preset {name!r} (known: {', '.join(table)})")
    values = dict(table[name])
    return TrainConfig(
        preset=name,
        dataset_options=dict(values.pop("dataset_options", {})),
        model=dataclasses.replace(values.pop("model")),
        loss=dataclasses.replace(values.pop("loss", LossConfig())),
        **values,
    )


def apply_overrides(config: TrainConfig, overrides: dict[str, Any]) -> TrainConfig:
    """Set ``section.key`` or ``key`` values (already parsed) on a copy of ``config``."""
    config = TrainConfig.from_dict(config.to_dict())
    for dotted, value in overrides.items():
        target: Any = config
        *path, key = dotted.split(".")
        for part in path:
            if not (dataclasses.is_dataclass(target) and hasattr(target, part)):
                raise ConfigError(f"unknown config section {part!r} in option {dotted!r}")
            target = getattr(target, part)
        if isinstance(target, dict):
            target[key] = parse_literal(value)
            continue
        if not dataclasses.is_dataclass(target):
            raise ConfigError(f"unknown config section {path[-1]!r} in option {dotted!r}")
        names = {f.name: f for f in fields(target)}
        if key not in names:
            raise ConfigError(f"unknown config option {dotted!r} (known: {', '.join(names)})")
        current = getattr(target, key)
        if dataclasses.is_dataclass(current) or isinstance(current, dict):
            raise ConfigError(f"config option {dotted!r} is a section: set its fields as {dotted}.<name>")
        setattr(target, key, parse_value(value, type(current), dotted))
    return config


def parse_literal(value: Any) -> Any:
    """A free-form option value (dataset options): int, float, bool, none, else the string itself."""
    if not isinstance(value, str):
        return value
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            continue
    return value


def parse_value(value: Any, kind: type, name: str) -> Any:
    """Parse a command-line string into the type of the current value (a tuple field holds ints)."""
    if not isinstance(value, str) or kind is str:
        return value
    try:
        return parse_text(value, tuple[int, ...] if kind is tuple else kind)
    except (ValueError, TypeError):
        raise ConfigError(f"option {name!r}: cannot read {value!r} as {kind.__name__}") from None
