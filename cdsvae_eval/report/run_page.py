"""The blocks of the report page: per run the verdict, config and provenance, training curves, probe
tables (both directions, chance and the random-init baseline as columns, with deltas), few-shot curves,
the swap grid and decodability; for several runs of one dataset a comparison table against the first run.

An audio run (scored with ``speaker-eer`` and no swaps) gets the page a speaker-verification reader looks
for, in this order: the verdict, the EER table (back-ends as rows; z_s, mean z_1:T and MFCC as columns, with
CIs), the DET curves at the chosen back-end, the speaker-identification curves, the phone probes (segment
and frame level, against the log-mel input and the random-init model), the speech swaps (scores, then pairs
to see and hear), decodability, the training curves, then provenance and the remaining results."""

from __future__ import annotations

import json
import tempfile
import textwrap
from pathlib import Path
from typing import Any, Callable

from cdsvae_eval.errors import CdsvaeError, DataError
from cdsvae_eval.models.verdict import AUDIO_SWAP_BACKEND
from cdsvae_eval.names import (
    BASELINE_ROWS, CONTENT_KEPT_ACC, DYNAMIC_CODE, EER, INPUT_CODE, INPUT_ROWS, KL_DYNAMIC, KL_STATIC, MFCC_CODE,
    MIN_DCF_01, MIN_DCF_05, MODEL_ROWS, PHONE_FACTOR, SPEAKER_DECISION_ACC, STATIC_CODE, SWAP_IDENTITY_ACC,
    SWAP_MOTION_ACC, SWAP_OUTPUT, frame_metric, probe_metric, speech_swap_metric, verification_metric,
)
from cdsvae_eval.report.aggregate import format_cell, format_value, pivot, result_rows
from cdsvae_eval.report.page import Block, Heading, Paragraph, Picture, Preformatted, Table, png_bytes
from cdsvae_eval.report.protocol import protocol_paragraph
from cdsvae_eval.report.run_inputs import RunResults
from cdsvae_eval.report.speech_swap import speech_swap_blocks

CODE_NAMES = {STATIC_CODE: "z_s", DYNAMIC_CODE: "z_1:T"}
SPEAKER_CODE_NAMES = {STATIC_CODE: "z_s", DYNAMIC_CODE: "mean z_1:T", MFCC_CODE: "MFCC"}
_DETAILED_TASKS = ("swap-oracle", "classify", "code-usage", "few-shot")
_AUDIO_TASKS = ("speaker-eer", "speaker-few-shot", "frame-probe", "speech-swap", "code-usage")


def report_blocks(runs: list[RunResults]) -> list[Block]:
    """The whole page: one line per run, the comparison when there are several runs, then each run in detail."""
    blocks: list[Block] = glance_blocks(runs)
    for group in _by_dataset(runs):
        if len(group) > 1:
            blocks += comparison_blocks(group)
    for run in runs:
        blocks += run_blocks(run)
    return blocks


def _by_dataset(runs: list[RunResults]) -> list[list[RunResults]]:
    """Runs grouped by the dataset they were trained on (in first-seen order): only runs of one dataset are
    compared metric by metric."""
    groups: dict[object, list[RunResults]] = {}
    for run in runs:
        record = next(iter(run.results.values()))[1]
        dataset = (record.get("training") or {}).get("dataset") or ((record.get("codes") or {}).get("meta") or {}).get(
            "dataset")
        groups.setdefault(dataset, []).append(run)
    return list(groups.values())


_GLANCE_METRICS = (("swap-oracle", SWAP_MOTION_ACC, "motion swap"), ("swap-oracle", SWAP_IDENTITY_ACC, "identity swap"),
                   ("code-usage", KL_STATIC, "KL z_s"), ("code-usage", KL_DYNAMIC, "KL z_1:T"),
                   ("speaker-eer", verification_metric(EER, STATIC_CODE), "EER z_s % (cosine)"),
                   ("speaker-eer", verification_metric(EER, DYNAMIC_CODE), "EER mean z_1:T % (cosine)"),
                   ("speaker-eer", verification_metric(EER, MFCC_CODE), "EER MFCC % (cosine)"),
                   ("speech-swap", speech_swap_metric(SPEAKER_DECISION_ACC, SWAP_OUTPUT, AUDIO_SWAP_BACKEND),
                    f"swaps' voice follows z_s ({AUDIO_SWAP_BACKEND})"),
                   ("speech-swap", speech_swap_metric(CONTENT_KEPT_ACC, SWAP_OUTPUT), "swaps' phones of z_1:T's source"))


def glance_blocks(runs: list[RunResults]) -> list[Block]:
    """One line per run: how it was trained, its verdict and the figures the verdict rests on."""
    from cdsvae_eval.report.verdict import verdict_from_results

    shown = [(task, metric, name) for task, metric, name in _GLANCE_METRICS
             if any(task in run.results and metric in run.results[task][1]["metrics"] for run in runs)]
    rows = []
    for run in runs:
        training = next(iter(run.results.values()))[1].get("training") or {}
        try:
            verdict = verdict_from_results(run.results_dir)[0].label
        except DataError:
            verdict = "-"
        cells = [run.label, str(training.get("preset", "-")), str(training.get("seed", "-")),
                 str(training.get("checkpoint_epoch", "-")), verdict]
        for task, metric, _ in shown:
            value = run.results[task][1]["metrics"].get(metric) if task in run.results else None
            chance = f" (chance {format_value(value['chance'])})" if value and value.get("chance") is not None else ""
            cells.append(format_cell(value) + chance if value else "-")
        rows.append(cells)
    header = ["run", "preset", "training seed", "epoch scored", "verdict", *(name for _, _, name in shown)]
    return [Heading("At a glance"), Table(header, rows, note="95% CIs resample identities; each task's split, "
                                          "counts and protocol, and the verdict's thresholds, are stated per run below.")]


def comparison_blocks(runs: list[RunResults]) -> list[Block]:
    """One line per (task, metric), one column per run, values with their 95% CIs; a value whose CI
    does not overlap the first run's is marked."""
    rows = [row for run in runs for _, record in run.results.values() for row in result_rows(record, run=run.label)]
    labels, lines = pivot(rows)
    table_rows, marked = [], set()
    for r, (task, metric, by_run) in enumerate(lines):
        reference = by_run.get(labels[0])
        cells = [task, metric, "↑" if next(iter(by_run.values()))["higher_is_better"] else "↓"]
        for c, label in enumerate(labels):
            row = by_run.get(label)
            cells.append(format_cell(row))
            if c > 0 and _intervals_disjoint(row, reference):
                marked.add((r, 3 + c))
        table_rows.append(cells)
    note = (f"Marked: the 95% CI does not overlap that of the first run ({labels[0]}). CIs resample the "
            "identity named in each task's protocol (character, speaker), not rows.")
    return [Heading("Comparison"), Table(["task", "metric", "better", *labels], table_rows,
                                         caption=f"{len(labels)} runs, reference {labels[0]}", marked=marked, note=note)]


def is_audio_run(run: RunResults) -> bool:
    """A speech run: scored with speaker-eer or speaker-few-shot, and without swaps."""
    return "swap-oracle" not in run.results and any(task in run.results for task in ("speaker-eer", "speaker-few-shot"))


def run_blocks(run: RunResults) -> list[Block]:
    if is_audio_run(run):
        return audio_run_blocks(run)
    blocks: list[Block] = [Heading(f"Run {run.label}")]
    blocks += _verdict_blocks(run)
    blocks += _provenance_blocks(run)
    blocks += _curves_blocks(run)
    results = run.results
    if "swap-oracle" in results:
        blocks += _swap_blocks(run, results["swap-oracle"][1])
    if "classify" in results:
        blocks += probe_blocks(results["classify"][1], "Linear probes on the posterior means (classify)")
    if "few-shot" in results:
        blocks += _few_shot_blocks(run, results["few-shot"][1])
    if "code-usage" in results:
        blocks += _code_usage_blocks(results["code-usage"][1])
    for name, (_, record) in results.items():
        if name not in _DETAILED_TASKS:
            blocks += [Heading(name, 3), protocol_paragraph(record), metric_table(record)]
    return blocks


def audio_run_blocks(run: RunResults) -> list[Block]:
    """The page of a speech run: verdict, verification, identification, content probes, decodability, curves."""
    results = run.results
    blocks: list[Block] = [Heading(f"Run {run.label} (speech)")]
    blocks += _verdict_blocks(run)
    if "speaker-eer" in results:
        blocks += speaker_eer_blocks(run, results["speaker-eer"][1])
    if "speaker-few-shot" in results:
        blocks += _speaker_few_shot_blocks(run, results["speaker-few-shot"][1])
    blocks += phone_probe_blocks(results.get("classify", (None, None))[1], results.get("frame-probe", (None, None))[1])
    if "speech-swap" in results:
        blocks += speech_swap_blocks(run, results["speech-swap"][1])
    if "code-usage" in results:
        blocks += _code_usage_blocks(results["code-usage"][1])
    blocks += _curves_blocks(run)
    blocks += _provenance_blocks(run)
    if "classify" in results:
        blocks += probe_blocks(results["classify"][1], "Linear probes of every factor (classify)")
    if "few-shot" in results:
        blocks += _few_shot_blocks(run, results["few-shot"][1])
    for name, (_, record) in results.items():
        if name not in _AUDIO_TASKS + _DETAILED_TASKS:
            blocks += [Heading(name, 3), protocol_paragraph(record), metric_table(record)]
    return blocks


def speaker_eer_blocks(run: RunResults, record: dict[str, Any]) -> list[Block]:
    """The EER table (one row per back-end; z_s, mean z_1:T and MFCC with their CIs) and the DET curves of the
    back-end the results carry curves for."""
    protocol = record.get("protocol") or {}
    rows = (record.get("tables") or {}).get("eer") or []
    codes = [code for code in SPEAKER_CODE_NAMES if any(row.get("code") == code for row in rows)]
    backends = list(dict.fromkeys(row["backend"] for row in rows))
    by_key = {(row["backend"], row["code"]): row for row in rows}
    metrics = record["metrics"]
    table_rows = []
    for backend in backends:
        cells = [backend]
        for code in codes:
            metric = metrics.get(verification_metric(EER, code, backend))
            cells.append(format_cell(metric) if metric and (backend, code) in by_key else "-")
        table_rows.append(cells)
    fitted = protocol.get("backends") or {}
    fit_note = "; ".join(f"{name}: {spec['fitted_on']['speakers']} speakers, {spec['fitted_on']['utterances']} "
                         f"utterances of split {spec['fitted_on']['split']}" for name, spec in fitted.items())
    skipped = "; ".join(f"{name} skipped ({reason})" for name, reason in (protocol.get("backends_skipped") or {}).items())
    note = ("EER in %, 95% CI over speakers (the same resampled speakers for every cell); chance 50%. Lower is "
            "better for z_s and MFCC; for mean z_1:T lower means more speaker information left in the dynamics "
            "(leakage). Back-ends are fitted on the training speakers only"
            + (f" ({fit_note})" if fit_note else "") + (f"; {skipped}" if skipped else "") + ".")
    scoring = protocol.get("scoring") or {}
    blocks: list[Block] = [Heading("Speaker verification (speaker-eer)", 3), protocol_paragraph(record)]
    if isinstance(scoring, dict) and scoring:
        blocks.append(Paragraph("Back-ends: " + "; ".join(f"{name}: {text}" for name, text in scoring.items()) + "."))
    blocks.append(Table(["back-end", *(SPEAKER_CODE_NAMES[code] for code in codes)], table_rows,
                        caption="Equal error rate (%)", note=note))
    dcf_rows = [[backend, *(" / ".join(format_value(metrics[name]["value"]) if name in metrics else "-"
                                       for name in (verification_metric(MIN_DCF_01, code, backend),
                                                    verification_metric(MIN_DCF_05, code, backend)))
                            for code in codes)] for backend in backends]
    blocks.append(Table(["back-end", *(SPEAKER_CODE_NAMES[code] for code in codes)], dcf_rows,
                        caption="Normalised minDCF, p_target 0.01 / 0.05",
                        note="c_miss = c_fa = 1; 1.0 is the better of accepting or rejecting every trial. CIs are in "
                             "the results file."))
    det = (record.get("tables") or {}).get("det") or []
    if det:
        from cdsvae_eval.draw.plots import plot_det_curves

        chosen = protocol.get("curve_backend") or {}
        curves = {SPEAKER_CODE_NAMES.get(row["code"], row["code"]): row for row in det}
        title = f"DET curves of {run.label}, back-end {det[0]['backend']}"
        blocks.append(Picture(_drawn(lambda path: plot_det_curves(curves, path, title=title)), title))
        if chosen.get("chosen_by"):
            blocks.append(Paragraph(f"Curves at back-end {chosen.get('name')}: {chosen['chosen_by']}."))
    return blocks


def _speaker_few_shot_blocks(run: RunResults, record: dict[str, Any]) -> list[Block]:
    from cdsvae_eval.draw.plots import plot_few_shot_curves

    rows = (record.get("tables") or {}).get("curves") or []
    blocks: list[Block] = [Heading("Speaker identification from k enrolment utterances (speaker-few-shot)", 3),
                           protocol_paragraph(record)]
    if not rows:
        return blocks
    curves: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        curves.setdefault(row["curve"], []).append(row)
    backends = list(dict.fromkeys(row["backend"] for row in rows))
    panels = ({row["curve"]: (f"back-end {row['backend']}", SPEAKER_CODE_NAMES[row["code"]]
                              + (" (leakage)" if row["code"] == DYNAMIC_CODE else "")) for row in rows}
              if len(backends) > 1 else None)
    png = _drawn(lambda path: plot_few_shot_curves(
        curves, path, title=f"speaker identification of {run.label}", xlabel="enrolment utterances per speaker (k)",
        ylabel="identification accuracy", panels=panels))
    blocks.append(Picture(png, f"speaker identification curves of {run.label}"))
    codes = [code for code in SPEAKER_CODE_NAMES if any(row["code"] == code for row in rows)]
    by_key = {(row["backend"], row["k"], row["code"]): row for row in rows}
    table_rows = []
    for backend in backends:
        for k in dict.fromkeys(row["k"] for row in rows):
            cells = [by_key.get((backend, k, code)) for code in codes]
            first = next((cell for cell in cells if cell is not None), None)
            if first is None:
                continue
            table_rows.append([backend, k, *(_accuracy_of(cell) for cell in cells), format_value(first["chance"]),
                               str(first["speakers"])])
    blocks.append(Table(["back-end", "k", *(SPEAKER_CODE_NAMES[code] for code in codes), "chance", "speakers"],
                        table_rows, note="Closed-set identification accuracy with 95% CIs over speakers; higher is "
                        "better for z_s and MFCC, near chance is better for mean z_1:T."))
    return blocks


def phone_probe_blocks(classify: dict[str, Any] | None, frames: dict[str, Any] | None) -> list[Block]:
    """The phone from each code, per segment (classify: the centre frame's phone from z_s and from the whole
    z_1:T) and per frame (frame-probe: each frame's phone from that frame's z_t and from z_s), against the
    random-init model."""
    rows = []
    for record, level, dynamic_view, input_metric in (
            (classify, "segment (centre frame)", "z_1:T", probe_metric(PHONE_FACTOR, INPUT_CODE)),
            (frames, "frame", "that frame's z_t", frame_metric(PHONE_FACTOR, INPUT_CODE))):
        if record is None:
            continue
        probes = [row for row in (record.get("tables") or {}).get("probes") or [] if row["factor"] == PHONE_FACTOR]
        by_key = {(row["codes"], row["code"]): row for row in probes}
        model = [by_key.get(("model", code)) for code in (DYNAMIC_CODE, STATIC_CODE)]
        baseline = [by_key.get(("baseline", code)) for code in (DYNAMIC_CODE, STATIC_CODE)]
        if model[0] is None:
            continue
        deltas = [format_value(m["accuracy"] - b["accuracy"]) if m is not None and b is not None else "-"
                  for m, b in zip(model, baseline)]
        ceiling = record["metrics"].get(input_metric)
        rows.append([level, dynamic_view, *(_accuracy(row) for row in model), format_cell(ceiling) if ceiling else "-",
                     format_value(model[0]["chance"]), *(_accuracy(row) for row in baseline), *deltas])
    if not rows:
        return []
    header = ["phone of each", "dynamic input", "from z_1:T", "from z_s (leakage)", "from the log-mel input",
              "chance", "random z_1:T", "random z_s", "Δ z_1:T", "Δ z_s"]
    return [Heading("Phone probes (content)", 3),
            Table(header, rows, note="Linear probes fitted on the training speakers, scored on the test speakers, "
                  "95% CIs over speakers; chance is the majority phone. The phone should be read from z_1:T and "
                  "not from z_s; the same probe on the log-mel input is what a linear probe reads from it "
                  "(a reference, not a bound: the encoder is nonlinear and sees the whole segment; the "
                  "verdict judges the per-frame one). Random: the same architecture at initialisation; Δ: "
                  "trained - random.")]


def _accuracy_of(row: dict[str, Any] | None) -> str:
    if row is None:
        return "-"
    return format_cell({"value": row["mean"], "ci_low": row.get("ci_low"), "ci_high": row.get("ci_high")})


def _verdict_blocks(run: RunResults) -> list[Block]:
    from cdsvae_eval.report.verdict import verdict_from_results, verdict_lines

    try:
        first, *rest = verdict_lines(*verdict_from_results(run.results_dir))
    except DataError as error:
        return [Paragraph(f"No verdict: {error}")]
    return [Paragraph(first, emphasis=True), Preformatted(textwrap.dedent("\n".join(rest)))]


def _provenance_blocks(run: RunResults) -> list[Block]:
    record = next(iter(run.results.values()))[1]
    training = record.get("training") or {}
    provenance = record.get("provenance") or {}
    lines = []
    if training:
        lines += [f"preset {training.get('preset')}, dataset {training.get('dataset')}, training seed "
                  f"{training.get('seed')}, {training.get('epochs')} epochs",
                  f"scored checkpoint {training.get('checkpoint_file')} (epoch {training.get('checkpoint_epoch')}), "
                  f"chosen on split {training.get('selection_split')}: {training.get('selection_rule')}",
                  f"config sha256 {training.get('config_sha256')}"]
    else:
        lines.append("codes of unknown origin (no training block in the results)")
    lines.append(f"git {provenance.get('git_hash')}, host {provenance.get('host')}, scored at {provenance.get('time_utc')}")
    packages = provenance.get("packages") or {}
    lines.append(", ".join(f"{name} {version}" for name, version in packages.items()))
    lines.append("results: " + ", ".join(path.name for path in run.paths) + f" in {run.results_dir}")
    blocks: list[Block] = [Heading("Config and provenance", 3), Preformatted("\n".join(lines))]
    config = training.get("config")
    if config is None and run.run_dir is not None:
        config = json.loads((run.run_dir / "config.json").read_text(encoding="utf-8")).get("config")
    if config:
        blocks.append(Preformatted(_config_text(config)))
    return blocks


def _config_text(config: dict[str, Any]) -> str:
    lines = []
    for key, value in config.items():
        if isinstance(value, dict):
            lines.append(f"{key}: " + ", ".join(f"{k}={v}" for k, v in value.items()))
        else:
            lines.append(f"{key}: {value}")
    return "\n".join(lines)


def _curves_blocks(run: RunResults) -> list[Block]:
    if run.run_dir is None:
        return []
    from cdsvae_eval.report.curves import plot_training_curves

    png = _drawn(lambda path: plot_training_curves(run.run_dir / "log.jsonl", path))
    return [Heading("Training curves", 3), Picture(png, f"training curves of {run.label}")]


def _swap_blocks(run: RunResults, record: dict[str, Any]) -> list[Block]:
    blocks: list[Block] = [Heading("Swaps (swap-oracle)", 3), protocol_paragraph(record), metric_table(record)]
    if run.run_dir is None:
        return blocks
    grid = run.run_dir / "swaps.png"
    if grid.is_file():
        blocks.append(Picture(png_bytes(grid), f"swap grid of {run.label}"))
        return blocks
    try:
        blocks.append(Picture(_drawn(lambda path: _draw_from_checkpoint(run, path)), f"swap grid of {run.label}"))
    except CdsvaeError as error:
        blocks.append(Paragraph(f"No swap grid ({error}): draw one with `cdsvae-eval sample --checkpoint "
                                f"{run.run_dir} --out {grid}`."))
    return blocks


def _draw_from_checkpoint(run: RunResults, path: Path) -> Path:
    """The swap picture of the run's checkpoint (test split, seed 0, on the CPU), for runs without swaps.png."""
    from cdsvae_eval.models.checkpoint import model_and_dataset
    from cdsvae_eval.report.swap_picture import draw_swap_picture

    model, dataset = model_and_dataset(run.run_dir, device="cpu")
    if dataset.modality != "video":
        raise DataError(f"{dataset.name} is {dataset.modality}; its swaps are WAVs")
    draw_swap_picture(model, dataset, path, name=run.label)
    return path


def _few_shot_blocks(run: RunResults, record: dict[str, Any]) -> list[Block]:
    from cdsvae_eval.draw.plots import few_shot_curves, plot_few_shot_curves

    curves = {name.split(": ", 1)[1]: points for name, points in few_shot_curves([(run.label, record)]).items()}
    blocks: list[Block] = [Heading("Few-shot probes", 3), protocol_paragraph(record)]
    if curves:
        png = _drawn(lambda path: plot_few_shot_curves(curves, path, title=f"few-shot probes of {run.label}"))
        blocks.append(Picture(png, f"few-shot curves of {run.label}"))
    return blocks


def _code_usage_blocks(record: dict[str, Any]) -> list[Block]:
    from cdsvae_eval.report.decodability import plot_decodability

    usage = [name for name in record["metrics"] if "_acc_" not in name and not name.startswith("chance")]
    blocks: list[Block] = [Heading("Decodability and code usage (code-usage)", 3), protocol_paragraph(record),
                           metric_table(record, names=usage)]
    rows = [row for row in (record.get("tables") or {}).get("probes") or [] if row.get("input", "sample") == "sample"]
    if rows:
        blocks.append(Picture(_drawn(lambda path: plot_decodability(rows, path)), "decodability per factor"))
        blocks += probe_blocks(record, "Probes on one posterior sample per row (what the decoder sees)", rows=rows)
    return blocks


def probe_blocks(record: dict[str, Any], title: str, rows: list[dict[str, Any]] | None = None) -> list[Block]:
    """Per factor: accuracy from z_s and from z_1:T with CIs, chance, the random-init model's accuracy
    and the difference to it (trained - random). ``rows``: the probe rows (default: the record's
    ``tables.probes``); given rows are a sub-table of a section already introduced."""
    heading = rows is None
    rows = rows if rows is not None else (record.get("tables") or {}).get("probes") or []
    by_key: dict[tuple[str, str, str], dict[str, Any]] = {(row["codes"], row["factor"], row["code"]): row
                                                          for row in rows}
    factors = list(dict.fromkeys((row["factor"], row["kind"]) for row in rows))
    with_input = any(row["codes"] == INPUT_ROWS for row in rows)
    header = ["factor", "kind", "z_s", "z_1:T", *(["input (linear reference)"] if with_input else []), "chance",
              "random z_s", "random z_1:T", "Δ z_s", "Δ z_1:T"]
    table_rows = []
    for factor, kind in factors:
        model = [by_key.get((MODEL_ROWS, factor, code)) for code in ("static", "dynamic")]
        baseline = [by_key.get((BASELINE_ROWS, factor, code)) for code in ("static", "dynamic")]
        ceiling = [_accuracy(by_key.get((INPUT_ROWS, factor, INPUT_CODE)))] if with_input else []
        chance = next((row["chance"] for row in model + baseline if row is not None), None)
        deltas = [format_value(m["accuracy"] - b["accuracy"]) if m is not None and b is not None else "-"
                  for m, b in zip(model, baseline)]
        table_rows.append([factor, f"{kind} (wanted in {CODE_NAMES[kind]})", *(_accuracy(row) for row in model),
                           *ceiling, format_value(chance), *(_accuracy(row) for row in baseline), *deltas])
    blocks: list[Block] = [Heading(title, 3)] if heading else []
    if heading:
        blocks.append(protocol_paragraph(record))
    blocks.append(Table(header, table_rows, note="A static factor should be decodable from z_s and near chance from "
                        "z_1:T, a dynamic factor the reverse. Random: the same architecture at initialisation."
                        + (" Input: the same probe on the model's input (a linear reference, not a bound)."
                           if with_input else "")))
    return blocks


def metric_table(record: dict[str, Any], names: list[str] | None = None) -> Table:
    rows = []
    for row in result_rows(record, run=""):
        if names is not None and row["metric"] not in names:
            continue
        interval = (f"[{format_value(row['ci_low'])}, {format_value(row['ci_high'])}]"
                    if row["ci_low"] is not None else "")
        rows.append([row["metric"], format_value(row["value"]), interval, format_value(row["chance"]),
                     "↑" if row["higher_is_better"] else "↓"])
    return Table(["metric", "value", "95% CI", "chance", "better"], rows)


def _accuracy(row: dict[str, Any] | None) -> str:
    if row is None:
        return "-"
    return format_cell({"value": row["accuracy"], "ci_low": row.get("ci_low"), "ci_high": row.get("ci_high")})


def _intervals_disjoint(row: dict[str, Any] | None, reference: dict[str, Any] | None) -> bool:
    if row is None or reference is None:
        return False
    bounds = (row.get("ci_low"), row.get("ci_high"), reference.get("ci_low"), reference.get("ci_high"))
    if any(bound is None for bound in bounds):
        return False
    low, high, ref_low, ref_high = bounds
    return high < ref_low or low > ref_high


def _drawn(draw: Callable[[Path], Path]) -> bytes:
    """The PNG bytes of a figure drawn into a temporary file."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "figure.png"
        draw(path)
        return png_bytes(path)
