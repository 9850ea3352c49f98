"""The verdict of a scored run, from its ``swap-oracle`` (and, when present, ``code-usage``) results, or for an
audio run from its ``speaker-eer`` results (and, when present, the ``classify`` phone probes).

An audio run is judged on raw cosine (the paper's scoring, and no back-end chosen on the test speakers): z_s
against the MFCC baseline, and mean z_1:T for leakage. When the run was also scored with back-ends fitted on
the training speakers, the EER of mean z_1:T under each is printed beside it: a back-end that finds the
speaker in z_1:T shows leakage that raw cosine hides."""

from __future__ import annotations

from pathlib import Path

from cdsvae_eval.errors import DataError
from cdsvae_eval.models.verdict import AudioVerdict, PhoneProbes, Verdict, judge, judge_audio
from cdsvae_eval.evaluate.results import load_result
from cdsvae_eval.names import (
    BASELINE_PREFIX, DYNAMIC_CODE, EER, KL_DYNAMIC, KL_STATIC, MFCC_CODE, MOTION_FACTOR, PHONE_FACTOR, RAW_COSINE_BACKEND,
    SAMPLE_PROBE_PREFIX, STATIC_CODE, SWAP_IDENTITY_ACC, SWAP_IDENTITY_CHANCE, SWAP_MOTION_ACC, SWAP_MOTION_CHANCE, chance_metric,
    probe_metric, verification_metric,
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


def _audio_verdict(path: Path) -> tuple[AudioVerdict, list[str]]:
    record = load_result(path)
    metrics = record["metrics"]
    static, dynamic = verification_metric(EER, STATIC_CODE), verification_metric(EER, DYNAMIC_CODE)
    for name in (static, dynamic):
        if name not in metrics:
            raise DataError(f"{path} lacks metric {name!r} (score it with the raw-cosine back-end, backend=none or all)")
    mfcc = metrics.get(verification_metric(EER, MFCC_CODE), {}).get("value")
    verdict = judge_audio(metrics[static]["value"], metrics[dynamic]["value"], mfcc, _phone_probes(path.parent))
    protocol = record.get("protocol", {})
    trials = protocol.get("n_target", 0) + protocol.get("n_nontarget", 0)
    evidence = [f"  split {protocol.get('split')}, protocol {protocol.get('name')}, {trials} trials, "
                f"{protocol.get('n_speakers')} speakers"]
    backends = [row["backend"] for row in (record.get("tables") or {}).get("eer", []) if row.get("code") == DYNAMIC_CODE]
    leakage = {backend: metrics[verification_metric(EER, DYNAMIC_CODE, backend)]["value"] for backend in backends
               if backend != RAW_COSINE_BACKEND and verification_metric(EER, DYNAMIC_CODE, backend) in metrics}
    if leakage:
        listed = ", ".join(f"{backend} {value:.2f}%" for backend, value in leakage.items())
        evidence.append(f"  mean z_1:T EER under back-ends fitted on the training speakers: {listed} (leakage that "
                        "raw cosine does not see; the verdict is on raw cosine)")
    return verdict, evidence


def _phone_probes(folder: Path) -> PhoneProbes | None:
    """The segment phone probes of ``classify.json`` beside the speaker-eer results, when it was scored."""
    path = folder / "classify.json"
    if not path.is_file():
        return None
    metrics = load_result(path)["metrics"]
    dynamic, static = probe_metric(PHONE_FACTOR, DYNAMIC_CODE), probe_metric(PHONE_FACTOR, STATIC_CODE)
    if dynamic not in metrics or static not in metrics:
        return None
    random = metrics.get(probe_metric(PHONE_FACTOR, DYNAMIC_CODE, BASELINE_PREFIX), {}).get("value")
    chance = metrics.get(chance_metric(PHONE_FACTOR), {}).get("value")
    return PhoneProbes(metrics[dynamic]["value"], metrics[static]["value"], random, chance)
