"""``speech-swap``: does the decoder take the voice from z_s and the words from z_1:T?

Pairs of test utterances of different speakers (:func:`~cdsvae_eval.models.utterance_swap.draw_utterance_pairs`:
seeded, speakers balanced) are swapped over whole utterances: (A's z_s, B's z_1:T) and (B's z_s, A's z_1:T),
two decisions per pair. Judges that involve neither the model nor the test speakers' labels
(:mod:`~cdsvae_eval.tasks.swap_scorers`, fitted on the training split's real utterances) score each swap's voice
and words, beside the same scores of the real utterances (the judges' ceiling) and of the model's reconstructions
(the model's ceiling) (:mod:`~cdsvae_eval.tasks.swap_measures`). With a random-init baseline (``--random-baseline``)
the same architecture at initialisation is decoded and scored too: the floor.

The first ``listen`` pairs are also written (``speech-swap-examples.npz``: the features of A, B, A's voice with
B's words and the reverse) for the report page, which plays them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from cdsvae_eval.atomic import atomic_path
from cdsvae_eval.codes import CodeSet
from cdsvae_eval.data.base import AudioSequenceDataset, SequenceSplit
from cdsvae_eval.data.features import FeatureSpec
from cdsvae_eval.errors import ConfigError, DataError
from cdsvae_eval.models.utterance_swap import (
    PAIR_RULE, decode_utterances, draw_utterance_pairs, encode_utterances, utterance_codes, utterance_transcript,
)
from cdsvae_eval.names import (
    BASELINE_PREFIX, CONTENT_KEPT_ACC, CONTENT_LEAK_ACC, PHONE_SCORER_HELD_OUT_ACC, REAL_OUTPUT, RECON_OUTPUT,
    SPEAKER_DECISION_ACC, SPEAKER_DECISION_EER, SWAP_OUTPUT, speech_swap_metric,
)
from cdsvae_eval.tasks.backends import ALL_BACKENDS
from cdsvae_eval.tasks.base import MetricSpec, MetricValue, Task, TaskInputs, TaskResult
from cdsvae_eval.tasks.bootstrap import BOOTSTRAP_REPS, ci_description
from cdsvae_eval.tasks.registry import register_task
from cdsvae_eval.tasks.swap_measures import Decisions, Probes, measure_swaps
from cdsvae_eval.tasks.swap_scorers import SplitUtterances, check_log_mel, fit_swap_scorers, split_utterances

LISTENING_FILE = "speech-swap-examples.npz"
MAX_LISTEN_PAIRS = 4
# What a listening pair holds, in the order the page shows it (names of models.utterance_swap.SWAP_OUTPUTS).
LISTEN_OUTPUTS = ("a_original", "b_original", "a_speaker_b_content", "b_speaker_a_content")
OUTPUT_DESCRIPTIONS = {
    REAL_OUTPUT: "the real utterances (the judges' ceiling): S's for the speaker, C's for the content",
    RECON_OUTPUT: "the model's reconstructions of them (its own ceiling)",
    SWAP_OUTPUT: "S's speaker code decoded with C's dynamic codes",
}


@dataclass
class SpeechSwapOptions:
    split: str = "test"
    train_split: str = "train"
    pairs: int = 200
    backend: Literal["none", "norm", "lda", "plda", "all"] = ALL_BACKENDS
    max_train_frames: int = 20_000
    listen: int = 3
    n_boot: int = BOOTSTRAP_REPS


def _metric_specs() -> tuple[MetricSpec, ...]:
    specs = [MetricSpec(PHONE_SCORER_HELD_OUT_ACC, True, "informational: the phone classifier's accuracy on held-out "
                                                         "training speakers")]
    for prefix, whose in (("", ""), (BASELINE_PREFIX, " (the random-init model)")):
        outputs = (REAL_OUTPUT, RECON_OUTPUT, SWAP_OUTPUT) if not prefix else (RECON_OUTPUT, SWAP_OUTPUT)
        for output in outputs:
            for backend in ("none", "{backend}"):
                specs += [MetricSpec(prefix + speech_swap_metric(SPEAKER_DECISION_ACC, output, backend), True,
                                     f"share of {output} decisions closer to the speaker source's other utterances "
                                     f"than to the content source's{whose}"),
                          MetricSpec(prefix + speech_swap_metric(SPEAKER_DECISION_EER, output, backend), False,
                                     f"EER (%) of the {output}'s trials against both speakers' other utterances{whose}")]
            specs += [MetricSpec(prefix + speech_swap_metric(CONTENT_KEPT_ACC, output), True,
                                 f"phone accuracy of the {output}'s frames against the content source's{whose}"),
                      MetricSpec(prefix + speech_swap_metric(CONTENT_LEAK_ACC, output), False,
                                 f"share of the {output}'s frames read as the speaker source's phone where the two "
                                 f"utterances' phones differ{whose}")]
    return tuple(specs)


@dataclass(frozen=True)
class ListeningPair:
    """One swap pair to hear: utterance ids, speakers and texts of A and B, and unnormalised log-mel features
    ``(frames, F)`` per :data:`LISTEN_OUTPUTS` name."""

    utterance_a: str
    utterance_b: str
    speaker_a: str
    speaker_b: str
    text_a: str
    text_b: str
    features: dict[str, np.ndarray]


@dataclass(frozen=True)
class ListeningPairs:
    """The listening pairs of a results folder and how to turn their features into sound: the features' spec and
    the audio's sample rate."""

    pairs: list[ListeningPair]
    spec: FeatureSpec
    sample_rate: int


@register_task
class SpeechSwap(Task):
    name: ClassVar[str] = "speech-swap"
    version: ClassVar[str] = "1.0"
    description: ClassVar[str] = ("decode A's z_s with B's z_1:T over whole utterances: is the voice A's and are the "
                                  "words B's? (judges fitted on the training speakers)")
    needs: ClassVar[frozenset[str]] = frozenset({"decoder", "dataset"})
    # the run's frozen codes, when given, spare encoding the split again
    uses: ClassVar[frozenset[str]] = frozenset({"codes"})
    metric_specs: ClassVar[tuple[MetricSpec, ...]] = _metric_specs()
    Options: ClassVar[type] = SpeechSwapOptions

    def run(self, inputs: TaskInputs, options: SpeechSwapOptions, seed: int, out_dir: Path | None) -> TaskResult:
        _check_options(options)
        dataset = check_log_mel(inputs.dataset, self.name)
        utterances = split_utterances(dataset, options.split)
        pairs = draw_utterance_pairs(utterances.ids, utterances.speakers, options.pairs, seed)
        scorers = fit_swap_scorers(dataset, options.train_split, options.backend, options.max_train_frames, seed)
        seen = sorted(scorers.fitted_speakers & set(utterances.speakers.tolist()))
        if seen:
            raise DataError(f"task {self.name}: the judges were fitted on split {options.train_split!r}, which shares "
                            f"{len(seen)} speaker(s) with the scored split {options.split!r} (e.g. {seen[0]})")
        if not scorers.backends:
            raise DataError(f"task {self.name}: no speaker back-end could be fitted ({scorers.backends_skipped})")
        index = {utt: position for position, utt in enumerate(utterances.ids.tolist())}
        a = np.array([index[first] for first, _ in pairs])
        b = np.array([index[second] for _, second in pairs])
        decisions = Decisions(speaker_source=np.stack([a, b], axis=1).ravel(),
                              content_source=np.stack([b, a], axis=1).ravel())
        part, code_split = dataset.split(options.split), dataset.code_split(options.split)
        real = Probes([utterances.frames[i] for i in decisions.speaker_source],
                      [utterances.frames[i] for i in decisions.content_source])
        decoded, code_source = _decoded_probes(inputs.decoder, inputs.codes, part, code_split, utterances, decisions,
                                               dataset.segment_hop)
        metrics, rows, counts = measure_swaps(scorers, utterances, decisions, {REAL_OUTPUT: real, **decoded},
                                              seed, options.n_boot)
        baseline_model, baseline_note = _random_init_model(inputs)
        if baseline_model is not None:
            floor, _ = _decoded_probes(baseline_model, inputs.baseline_codes, part, code_split, utterances, decisions,
                                       dataset.segment_hop)
            base_metrics, base_rows, _ = measure_swaps(scorers, utterances, decisions, floor, seed, options.n_boot,
                                                       prefix=BASELINE_PREFIX)
            metrics.update(base_metrics)
            rows += base_rows
        if scorers.phone.held_out_accuracy is not None:
            metrics[PHONE_SCORER_HELD_OUT_ACC] = MetricValue(scorers.phone.held_out_accuracy, higher_is_better=True,
                                                             chance=scorers.phone.record["held_out_chance"])
        artifacts = []
        if out_dir is not None and options.listen:
            listening = _listening_pairs(dataset, utterances, decisions, decoded[SWAP_OUTPUT].speaker, options.listen)
            write_listening_pairs(out_dir / LISTENING_FILE, listening)
            artifacts.append(LISTENING_FILE)
        protocol: dict[str, Any] = {
            "name": "whole-utterance-speech-swap",
            "dataset": dataset.name,
            "dataset_fingerprint": dataset.fingerprint(),
            "split": options.split,
            "train_split": options.train_split,
            "pairs": len(pairs),
            "decisions": counts.decisions,
            "n_speakers": int(len(np.unique(utterances.speakers[decisions.speaker_source]))),
            "n_utterances": int(len(np.unique(np.concatenate([a, b])))),
            "pair_rule": PAIR_RULE,
            "decoding": (f"codes: {code_source}; an utterance's speaker code is the mean of its segments' z_s; "
                         f"decoded segments overlap-added ({dataset.segment_hop}-frame hop)"),
            "outputs": OUTPUT_DESCRIPTIONS,
            "judges": scorers.record(),
            "speaker_decision": ("mean score against the speaker source's other utterances > against the content "
                                 "source's other utterances (a tie counts a half); the EER over the same trials"),
            "n_target": counts.target_trials,
            "n_nontarget": counts.nontarget_trials,
            "content": ("phone accuracy of each frame against the content source's phones; leakage: against the "
                        "speaker source's phones at the same frame index (both utterances aligned at their start, "
                        "up to the shorter), only where the two differ"),
            "content_frames": counts.content_frames,
            "leak_frames": counts.leak_frames,
            "eer_unit": "percent",
            "ci": ({**ci_description("speaker (both of a decision's, decisions rebuilt)", options.n_boot),
                    "weights": "a decision's frames and trials count with the product of its two speakers' draws"}
                   if options.n_boot else None),
            "chance": "speaker decision 0.5 (EER 50%); content: the majority phone of the content sources' frames",
            "baseline": baseline_note,
            "listening_pairs": min(options.listen, len(pairs)),
        }
        return TaskResult(metrics=metrics, protocol=protocol, tables={"measures": rows}, artifacts=artifacts)


def _check_options(options: SpeechSwapOptions) -> None:
    if options.pairs < 1:
        raise ConfigError(f"task speech-swap: option pairs must be at least 1, got {options.pairs}")
    if not 0 <= options.listen <= MAX_LISTEN_PAIRS:
        raise ConfigError(f"task speech-swap: option listen must be 0 to {MAX_LISTEN_PAIRS} (pairs the report page "
                          f"plays), got {options.listen}")
    if options.n_boot < 0:
        raise ConfigError(f"task speech-swap: option n_boot must be 0 (no CI) or more, got {options.n_boot}")
    if options.split == options.train_split:
        raise ConfigError(f"task speech-swap: the judges are fitted on train_split, which must differ from the "
                          f"scored split ({options.split!r})")


def _decoded_probes(model: Any, codes: CodeSet | None, part: SequenceSplit, code_split: str | None,
                    utterances: SplitUtterances, decisions: Decisions, hop: int) -> tuple[dict[str, Probes], str]:
    """The model's reconstructions and swaps of the decisions' utterances, and where their codes came from: the
    frozen codes when they hold exactly the split's rows (a run's codes do), else encoded by the model."""
    involved = np.unique(np.concatenate([decisions.speaker_source, decisions.content_source]))
    position = {int(utt): k for k, utt in enumerate(involved)}
    rows = [utterances.segment_rows[utt] for utt in involved]
    selected = _split_rows(codes, part, code_split)
    if selected is None:
        speakers, dynamics = encode_utterances(model, [part.x[own] for own in rows])
        source = "encoded by the model (posterior means)"
    else:
        speakers, dynamics = utterance_codes(codes.static[selected], codes.dynamic[selected], rows)
        source = "the run's frozen codes (posterior means) of the split's rows"
    requests = [(k, k) for k in range(len(involved))]
    requests += [(position[int(s)], position[int(c)]) for s, c in zip(decisions.speaker_source,
                                                                       decisions.content_source)]
    decoded = decode_utterances(model, speakers, dynamics, requests, hop)
    recon, swaps = decoded[:len(involved)], decoded[len(involved):]
    return {RECON_OUTPUT: Probes([recon[position[int(s)]] for s in decisions.speaker_source],
                                 [recon[position[int(c)]] for c in decisions.content_source]),
            SWAP_OUTPUT: Probes(swaps, swaps)}, source


def _split_rows(codes: CodeSet | None, part: SequenceSplit, code_split: str | None) -> np.ndarray | None:
    """The indices of the codes' rows of the split, when they are the split's rows in order (the same utterance
    for every row); else None."""
    if codes is None or code_split is None or codes.split is None or codes.utt is None or part.groups is None:
        return None
    selected = np.flatnonzero(codes.split == code_split)
    if len(selected) != len(part) or not np.array_equal(codes.utt[selected].astype(str), part.groups.astype(str)):
        return None
    return selected


def _random_init_model(inputs: TaskInputs) -> tuple[Any | None, str | None]:
    """The random-init model whose codes are the inputs' baseline (rebuilt with their seed), and a note when there
    is none to decode."""
    baseline = inputs.baseline_codes
    if baseline is None:
        return None, None
    if not baseline.meta.get("random_init") or "random_init_seed" not in baseline.meta:
        return None, "not decoded: the baseline codes do not come from a random-init model of this run"
    import torch

    from cdsvae_eval.models.factory import build_model

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(baseline.meta["random_init_seed"]))
        model = build_model(inputs.decoder.config)
    device = next(inputs.decoder.parameters()).device
    return model.to(device).eval(), (f"the same architecture at initialisation (seed "
                                     f"{baseline.meta['random_init_seed']}), decoded on the same decisions")


def _listening_pairs(dataset: AudioSequenceDataset, utterances: SplitUtterances, decisions: Decisions,
                     swaps: list[np.ndarray], count: int) -> ListeningPairs:
    """The first ``count`` pairs (decisions 2k and 2k + 1) with their features unnormalised."""
    mean, std = dataset.feature_stats
    corpus = {utt.id: utt for utt in dataset.corpus.utterances}
    pairs = []
    for k in range(min(count, len(decisions) // 2)):
        a, b = int(decisions.speaker_source[2 * k]), int(decisions.content_source[2 * k])
        features = {"a_original": utterances.frames[a], "b_original": utterances.frames[b],
                    "a_speaker_b_content": swaps[2 * k], "b_speaker_a_content": swaps[2 * k + 1]}
        pairs.append(ListeningPair(
            utterance_a=str(utterances.ids[a]), utterance_b=str(utterances.ids[b]),
            speaker_a=str(utterances.speakers[a]), speaker_b=str(utterances.speakers[b]),
            text_a=utterance_transcript(corpus.get(str(utterances.ids[a]))),
            text_b=utterance_transcript(corpus.get(str(utterances.ids[b]))),
            features={name: (value * std + mean).astype(np.float32) for name, value in features.items()}))
    return ListeningPairs(pairs, dataset.feature_spec, int(dataset.sample_rate))


_TEXT_FIELDS = ("utterance_a", "utterance_b", "speaker_a", "speaker_b", "text_a", "text_b")


def write_listening_pairs(path: Path, listening: ListeningPairs) -> Path:
    """Write the pairs as one ``.npz`` (atomically): text fields as string arrays, features as ``pair<k>_<name>``."""
    arrays: dict[str, np.ndarray] = {field: np.array([getattr(pair, field) for pair in listening.pairs], dtype=str)
                                     for field in _TEXT_FIELDS}
    arrays["feature_spec"] = np.array(json.dumps(asdict(listening.spec)))
    arrays["sample_rate"] = np.array(listening.sample_rate)
    for k, pair in enumerate(listening.pairs):
        for name in LISTEN_OUTPUTS:
            arrays[f"pair{k}_{name}"] = pair.features[name]
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(handle, **arrays)
    return path


def read_listening_pairs(path: Path) -> ListeningPairs:
    """The pairs :func:`write_listening_pairs` wrote; a one-line :class:`DataError` naming the file otherwise."""
    try:
        with np.load(path, allow_pickle=False) as data:
            texts = {field: data[field].tolist() for field in _TEXT_FIELDS}
            pairs = [ListeningPair(**{field: texts[field][k] for field in _TEXT_FIELDS},
                                   features={name: data[f"pair{k}_{name}"] for name in LISTEN_OUTPUTS})
                     for k in range(len(texts["utterance_a"]))]
            spec = FeatureSpec(**json.loads(str(data["feature_spec"])))
            return ListeningPairs(pairs, spec, int(data["sample_rate"]))
    except (OSError, KeyError, ValueError, TypeError) as error:
        raise DataError(f"listening pairs {path} cannot be read ({error})") from None
