"""The verdict of a scored run, from its ``swap-oracle`` (and, when present, ``code-usage``) results, or for an
audio run from its ``speaker-eer`` results and, when present, ``frame-probe`` and ``speech-swap``
(:func:`cdsvae_eval.models.verdict.judge_audio` holds every threshold). The back-ends the verdict reads are
named there (LDA, fitted on the training speakers, never chosen on the test speakers); the EER of mean z_1:T
under every back-end scored is printed beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cdsvae_eval.errors import DataError
from cdsvae_eval.evaluate.results import load_result
from cdsvae_eval.models.verdict import (
    AUDIO_SWAP_BACKEND, AudioVerdict, FramePhones, SpeakerEers, SpeechSwapScores, Verdict, judge, judge_audio,
)
from cdsvae_eval.names import (
    BASELINE_PREFIX, CONTENT_KEPT_ACC, CONTENT_LEAK_ACC, DYNAMIC_CODE, EER, INPUT_CODE, KL_DYNAMIC, KL_STATIC, MFCC_CODE,
    MOTION_FACTOR, PHONE_FACTOR, RAW_COSINE_BACKEND, REAL_OUTPUT, RECON_OUTPUT, SAMPLE_PROBE_PREFIX,
    SPEAKER_DECISION_ACC, STATIC_CODE, SWAP_IDENTITY_ACC, SWAP_IDENTITY_CHANCE, SWAP_MOTION_ACC, SWAP_MOTION_CHANCE,
    SWAP_OUTPUT, chance_metric, frame_metric, probe_metric, speech_swap_metric, verification_metric,
)


def verdict_from_results(results_dir: str | Path) -> tuple[Verdict | AudioVerdict, list[str]]:
    """The verdict and its evidence lines from a folder of results files: from ``swap-oracle.json`` (and
    ``code-usage.json``) for video runs, else from ``speaker-eer.json`` for audio runs."""
    folder = Path(results_dir)
    swap_path = folder / "swap-oracle.json"
    if not swap_path.is_file() and (folder / "speaker-eer.json").is_file():
        return _audio_verdict(folder / "speaker-eer.json")
    if not swap_path.is_file():
        raise DataError(f"{folder} holds neither swap-oracle.json nor speaker-eer.json: run `cdsvae-eval probe "
                        "--task swap-oracle` (video) or `--task speaker-eer` (audio) first")
    swap = load_result(swap_path)
    metrics = swap["metrics"]
    for name in (SWAP_MOTION_ACC, SWAP_IDENTITY_ACC, SWAP_MOTION_CHANCE, SWAP_IDENTITY_CHANCE):
        if name not in metrics:
            raise DataError(f"{swap_path} lacks metric {name!r} (written by an older version: re-run the task)")
    usage_path = folder / "code-usage.json"
    usage = load_result(usage_path)["metrics"] if usage_path.is_file() else {}
    kl_static = usage.get(KL_STATIC, {}).get("value")
    kl_dynamic = usage.get(KL_DYNAMIC, {}).get("value")
    verdict = judge(metrics[SWAP_MOTION_ACC]["value"], metrics[SWAP_IDENTITY_ACC]["value"],
                    metrics[SWAP_MOTION_CHANCE]["value"], metrics[SWAP_IDENTITY_CHANCE]["value"],
                    kl_static, kl_dynamic)
    evidence = [f"  split {swap['protocol'].get('split')}, {swap['protocol'].get('pairs')} swap pairs, "
                f"{swap['protocol'].get('identities')} identities"]
    for factor, code, wanted in ((MOTION_FACTOR, "dynamic", "high"), (MOTION_FACTOR, "static", "low")):
        value = usage.get(probe_metric(factor, code, SAMPLE_PROBE_PREFIX))
        if value is not None:
            chance = usage.get(chance_metric(factor), {}).get("value", float("nan"))
            evidence.append(f"  {factor} from z_{'1:T' if code == 'dynamic' else 's'} samples {value['value']:.3f} "
                            f"(chance {chance:.3f}; {wanted} is good)")
    return verdict, evidence


def verdict_lines(verdict: Verdict | AudioVerdict, evidence: list[str]) -> list[str]:
    """The verdict as printed (``cdsvae-eval verdict``) and shown on the report page: the label, what it was scored
    on, the figures and the thresholds."""
    lines = verdict.lines()
    if isinstance(verdict, AudioVerdict):
        return [lines[0], *evidence, *lines[1:]]
    return [lines[0], lines[1], *evidence, *lines[2:]]


def _audio_verdict(path: Path) -> tuple[AudioVerdict, list[str]]:
    record = load_result(path)
    metrics = record["metrics"]
    static, dynamic = verification_metric(EER, STATIC_CODE), verification_metric(EER, DYNAMIC_CODE)
    for name in (static, dynamic):
        if name not in metrics:
            raise DataError(f"{path} lacks metric {name!r} (score it with the raw-cosine back-end, backend=none or all)")
    backends = [row["backend"] for row in (record.get("tables") or {}).get("eer", []) if row.get("code") == DYNAMIC_CODE]
    by_backend = {backend: metrics[verification_metric(EER, DYNAMIC_CODE, backend)]["value"] for backend in backends
                  if backend != RAW_COSINE_BACKEND and verification_metric(EER, DYNAMIC_CODE, backend) in metrics}
    eers = SpeakerEers(metrics[static]["value"], metrics[dynamic]["value"],
                       _value(metrics, verification_metric(EER, MFCC_CODE)), by_backend)
    swaps, swap_protocol = _swap_scores(path.parent)
    verdict = judge_audio(eers, _frame_phones(path.parent), swaps)
    protocol = record.get("protocol", {})
    trials = protocol.get("n_target", 0) + protocol.get("n_nontarget", 0)
    context = [f"  split {protocol.get('split')}, protocol {protocol.get('name')}, {trials} trials, "
               f"{protocol.get('n_speakers')} speakers"]
    if swap_protocol:
        context.append(f"  speech swaps: split {swap_protocol.get('split')}, {swap_protocol.get('pairs')} pairs "
                       f"({swap_protocol.get('decisions')} swaps) of {swap_protocol.get('n_speakers')} speakers")
    return verdict, context


def _value(metrics: dict[str, Any], name: str) -> float | None:
    return metrics.get(name, {}).get("value")


def _frame_phones(folder: Path) -> FramePhones | None:
    """The per-frame phone probes of ``frame-probe.json`` beside the speaker-eer results, when it was scored."""
    path = folder / "frame-probe.json"
    if not path.is_file():
        return None
    metrics = load_result(path)["metrics"]
    dynamic, static = frame_metric(PHONE_FACTOR, DYNAMIC_CODE), frame_metric(PHONE_FACTOR, STATIC_CODE)
    if dynamic not in metrics or static not in metrics:
        return None
    return FramePhones(metrics[dynamic]["value"], metrics[static]["value"],
                       _value(metrics, frame_metric(PHONE_FACTOR, INPUT_CODE)),
                       _value(metrics, frame_metric(PHONE_FACTOR, DYNAMIC_CODE, BASELINE_PREFIX)),
                       metrics[dynamic].get("chance"))


def _swap_scores(folder: Path) -> tuple[SpeechSwapScores | None, dict[str, Any]]:
    """The speech-swap figures the verdict reads, and that task's protocol, when it was scored."""
    path = folder / "speech-swap.json"
    if not path.is_file():
        return None, {}
    record = load_result(path)
    metrics = record["metrics"]
    content = {output: speech_swap_metric(CONTENT_KEPT_ACC, output)
               for output in (SWAP_OUTPUT, RECON_OUTPUT, REAL_OUTPUT)}
    missing = [name for name in content.values() if name not in metrics]
    if missing:
        raise DataError(f"{path} lacks metric {missing[0]!r} (written by an older version: re-run the task)")

    def speaker(output: str, prefix: str = "") -> float | None:
        return _value(metrics, prefix + speech_swap_metric(SPEAKER_DECISION_ACC, output, AUDIO_SWAP_BACKEND))

    swaps = SpeechSwapScores(
        speaker_swap=speaker(SWAP_OUTPUT), speaker_recon=speaker(RECON_OUTPUT), speaker_real=speaker(REAL_OUTPUT),
        content_swap=metrics[content[SWAP_OUTPUT]]["value"], content_recon=metrics[content[RECON_OUTPUT]]["value"],
        content_real=metrics[content[REAL_OUTPUT]]["value"], content_chance=metrics[content[SWAP_OUTPUT]]["chance"],
        leak_swap=_value(metrics, speech_swap_metric(CONTENT_LEAK_ACC, SWAP_OUTPUT)),
        leak_real=_value(metrics, speech_swap_metric(CONTENT_LEAK_ACC, REAL_OUTPUT)),
        random_speaker_swap=speaker(SWAP_OUTPUT, BASELINE_PREFIX),
        random_content_swap=_value(metrics, BASELINE_PREFIX + content[SWAP_OUTPUT]))
    return swaps, record.get("protocol") or {}
