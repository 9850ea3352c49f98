"""The verdict of a scored run, from its ``swap-oracle`` (and, when present, ``code-usage``) results."""

from __future__ import annotations

from pathlib import Path

from cdsvae_eval.errors import DataError
from cdsvae_eval.models.verdict import AudioVerdict, Verdict, judge, judge_audio
from cdsvae_eval.evaluate.results import load_result
from cdsvae_eval.names import MOTION_FACTOR, SWAP_MOTION_ACC, SWAP_IDENTITY_ACC, SWAP_MOTION_CHANCE, SWAP_IDENTITY_CHANCE


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
    kl_static = usage.get("kl_static", {}).get("value")
    kl_dynamic = usage.get("kl_dynamic", {}).get("value")
    verdict = judge(metrics[SWAP_MOTION_ACC]["value"], metrics[SWAP_IDENTITY_ACC]["value"],
                    metrics[SWAP_MOTION_CHANCE]["value"], metrics[SWAP_IDENTITY_CHANCE]["value"],
                    kl_static, kl_dynamic)
    evidence = [f"  split {swap['protocol'].get('split')}, {swap['protocol'].get('pairs')} swap pairs, "
                f"{swap['protocol'].get('identities')} identities"]
    for factor, code, wanted in ((MOTION_FACTOR, "dynamic", "high"), (MOTION_FACTOR, "static", "low")):
        value = usage.get(f"sample_acc_{factor}_from_{code}")
        if value is not None:
            chance = usage.get(f"chance_{factor}", {}).get("value", float("nan"))
            evidence.append(f"  {factor} from z_{'1:T' if code == 'dynamic' else 's'} samples {value['value']:.3f} "
                            f"(chance {chance:.3f}; {wanted} is good)")
    return verdict, evidence


def _audio_verdict(path: Path) -> tuple[AudioVerdict, list[str]]:
    record = load_result(path)
    metrics = record["metrics"]
    for name in ("eer_static", "eer_dynamic"):
        if name not in metrics:
            raise DataError(f"{path} lacks metric {name!r}")
    mfcc = metrics.get("eer_mfcc", {}).get("value")
    verdict = judge_audio(metrics["eer_static"]["value"], metrics["eer_dynamic"]["value"], mfcc)
    protocol = record.get("protocol", {})
    trials = protocol.get("n_target", 0) + protocol.get("n_nontarget", 0)
    evidence = [f"  split {protocol.get('split')}, protocol {protocol.get('name')}, {trials} trials, "
                f"{protocol.get('n_speakers')} speakers"]
    return verdict, evidence
