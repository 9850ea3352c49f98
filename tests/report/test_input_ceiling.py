"""The model's input (what a linear probe reads from it) beside z_s and the random-init model in the probe tables."""

from __future__ import annotations

from cdsvae_eval.report.page import Table
from cdsvae_eval.report.run_page import phone_probe_blocks, probe_blocks


def probe_row(codes: str, code: str, accuracy: float, factor: str = "phone") -> dict:
    return {"codes": codes, "factor": factor, "kind": "dynamic", "code": code, "accuracy": accuracy,
            "ci_low": accuracy - 0.01, "ci_high": accuracy + 0.01, "chance": 0.1, "n_classes": 10}


ROWS = [probe_row("model", "static", 0.21), probe_row("model", "dynamic", 0.62), probe_row("baseline", "static", 0.31),
        probe_row("baseline", "dynamic", 0.41), probe_row("input", "input", 0.83)]


def table_of(blocks: list) -> Table:
    return next(block for block in blocks if isinstance(block, Table))


def test_the_classify_table_has_the_input_column_where_the_input_was_scored() -> None:
    table = table_of(probe_blocks({"tables": {"probes": ROWS}}, "probes", rows=ROWS))
    row = dict(zip(table.header, table.rows[0]))
    assert row["input (linear reference)"].startswith("0.83") and row["z_1:T"].startswith("0.62")
    assert row["random z_1:T"].startswith("0.41") and row["z_s"].startswith("0.21")
    without = table_of(probe_blocks({}, "probes", rows=ROWS[:-1]))
    assert "input (linear reference)" not in without.header and len(without.rows[0]) == len(without.header)


def test_the_phone_table_reads_each_levels_own_input_metric() -> None:
    classify = {"tables": {"probes": ROWS}, "metrics": {"acc_phone_from_input": {"value": 0.83}}}
    frames = {"tables": {"probes": ROWS}, "metrics": {"frame_acc_phone_from_input": {"value": 0.77}}}
    table = table_of(phone_probe_blocks(classify, frames))
    column = table.header.index("from the log-mel input")
    assert [row[column] for row in table.rows] == ["0.830", "0.770"]
