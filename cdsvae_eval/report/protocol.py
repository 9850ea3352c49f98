"""A task's protocol in one line of the report page: what every section of a run opens with."""

from __future__ import annotations

from typing import Any

from cdsvae_eval.report.page import Paragraph


def protocol_paragraph(record: dict[str, Any]) -> Paragraph:
    """The protocol in one line: method, split, counts, CI method and unit, chance, seed."""
    protocol = record.get("protocol") or {}
    parts = [f"{record['task']['name']} v{record['task']['version']}", f"protocol {protocol.get('name')}"]
    split = protocol.get("split")
    if split:
        parts.append(f"split {split}")
    for key, name in (("n_eval", "rows"), ("n_frames", "frames"), ("eval_identities", "identities"),
                      ("identities", "identities"), ("n_speakers", "speakers"), ("n_utterances", "utterances"),
                      ("n_target", "target trials"), ("n_nontarget", "non-target trials"), ("pairs", "pairs"),
                      ("seeds", "probe seeds"), ("draws", "draws")):
        if protocol.get(key) is not None:
            parts.append(f"{protocol[key]} {name}")
    ci = protocol.get("ci")
    if isinstance(ci, dict):
        parts.append(f"CI {ci.get('method')} over {ci.get('resampled_unit')}, {ci.get('replicates')} replicates")
    if protocol.get("chance"):
        parts.append(f"chance: {protocol['chance']}")
    parts.append(f"seed {record.get('seed')}")
    return Paragraph("; ".join(str(part) for part in parts) + ".")
