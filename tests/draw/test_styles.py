"""One look per code in every figure of both modalities, from one source (cdsvae_eval/draw/styles.py)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from matplotlib.colors import to_hex
from matplotlib.container import ErrorbarContainer

import cdsvae_eval
from cdsvae_eval.draw import plots
from cdsvae_eval.draw.styles import CODE_STYLES, RANDOM_INIT, code_style
from cdsvae_eval.names import DYNAMIC_CODE, MFCC_CODE, STATIC_CODE
from cdsvae_eval.report import curves, decodability

ROOT = Path(cdsvae_eval.__file__).resolve().parent
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def test_no_module_but_styles_picks_a_colour_or_a_palette() -> None:
    offenders = []
    for path in ROOT.rglob("*.py"):
        if path == ROOT / "draw" / "styles.py":
            continue
        source = path.read_text(encoding="utf-8")
        literals = [node.value for node in ast.walk(ast.parse(source))
                    if isinstance(node, ast.Constant) and isinstance(node.value, str)]
        if any(HEX_COLOUR.match(value) for value in literals) or "colormaps[" in source or "tab10" in source:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_every_code_has_its_own_colour_and_line_style() -> None:
    looks = [(style.colour, str(style.linestyle)) for style in CODE_STYLES.values()]
    assert len(set(colour for colour, _ in looks)) == len(looks) == len(set(style for _, style in looks))
    with pytest.raises(KeyError, match="no style for code 'nope'"):
        code_style("nope")


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list:
    """The figures the plotting functions lay out, instead of their files."""
    figures: list = []
    for module in (plots, curves, decodability):
        monkeypatch.setattr(module, "save_figure", lambda figure, path: figures.append(figure) or Path(path))
    return figures


def _looks(figure) -> dict[str, tuple[str, str]]:
    """Legend label -> (colour, line style) of every line of every panel."""
    found = {}
    for axes in figure.axes:
        for line in axes.get_lines():
            if not line.get_label().startswith("_"):
                found[line.get_label()] = (to_hex(line.get_color()), line.get_linestyle())
        for container in axes.containers:
            label = container.get_label()
            if not label or label.startswith("_"):
                continue
            if isinstance(container, ErrorbarContainer):
                line = container.lines[0]
                found[label] = (to_hex(line.get_color()), line.get_linestyle())
            else:
                found[label] = (to_hex(container.patches[0].get_facecolor()), "bar")
    return found


def _expected(code: str) -> str:
    return to_hex(code_style(code).colour)


def test_det_and_identification_curves_of_speech_draw_each_code_alike(drawn: list) -> None:
    det = {"z_s": {"far": [0.0, 0.1, 1.0], "frr": [1.0, 0.1, 0.0], "eer": 0.1, "code": STATIC_CODE},
           "MFCC": {"far": [0.0, 0.2, 1.0], "frr": [1.0, 0.2, 0.0], "eer": 0.2, "code": MFCC_CODE},
           "mean z_1:T": {"far": [0.0, 0.4, 1.0], "frr": [1.0, 0.4, 0.0], "eer": 0.4, "code": DYNAMIC_CODE}}
    plots.plot_det_curves(det, "det.png")
    points = {name: [{"k": "1", "shots": 1.0, "mean": 0.5, "code": code}, {"k": "2", "shots": 2.0, "mean": 0.6,
                                                                            "code": code}]
              for name, code in (("MFCC", MFCC_CODE), ("mean z_1:T (leakage)", DYNAMIC_CODE), ("z_s", STATIC_CODE))}
    plots.plot_few_shot_curves(points, "id.png")
    det_looks, id_looks = _looks(drawn[0]), _looks(drawn[1])
    for label, code in (("z_s", STATIC_CODE), ("MFCC", MFCC_CODE), ("mean z_1:T", DYNAMIC_CODE)):
        det_look = next(look for name, look in det_looks.items() if name.startswith(label + " ("))
        id_look = next(look for name, look in id_looks.items() if name.startswith(label))
        assert det_look == id_look and det_look[0] == _expected(code), label


def test_video_few_shot_curves_take_the_code_after_from_and_a_marker_per_factor(drawn: list) -> None:
    curves_by_name = {f"{factor} from {code}{suffix}": [{"k": "1", "shots": 1.0, "mean": 0.5}]
                      for factor in ("skin", "action") for code, suffix in (("static", ""), ("dynamic", " (leakage)"))}
    plots.plot_few_shot_curves(curves_by_name, "few.png")
    lines = {container.get_label(): container.lines[0] for container in drawn[0].axes[0].containers}
    assert to_hex(lines["skin from static"].get_color()) == _expected(STATIC_CODE)
    assert to_hex(lines["action from dynamic (leakage)"].get_color()) == _expected(DYNAMIC_CODE)
    assert lines["skin from static"].get_marker() != lines["action from static"].get_marker()


def test_decodability_bars_and_training_curves_use_the_same_looks(drawn: list, tmp_path: Path) -> None:
    rows = [{"codes": codes, "factor": "phone", "kind": "dynamic", "code": code, "accuracy": 0.5, "chance": 0.1}
            for codes in ("model", "baseline") for code in (STATIC_CODE, DYNAMIC_CODE)]
    decodability.plot_decodability(rows, "bars.png")
    bars = _looks(drawn[0])
    assert bars["z_s"][0] == _expected(STATIC_CODE) and bars["z_1:T"][0] == _expected(DYNAMIC_CODE)
    assert bars["random-init z_s"][0] == bars["random-init z_1:T"][0] == _expected(RANDOM_INIT)
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(json.dumps({"epoch": e, "train": {"loss": 1.0, "kl_static": 2.0, "kl_dynamic": 3.0},
                                         "val": {"kl_static": 2.0, "kl_dynamic": 3.0}}) for e in (1, 2)))
    curves.plot_training_curves(log, "curves.png")
    lines = _looks(drawn[1])
    assert lines["KL z_s"] == (_expected(STATIC_CODE), code_style(STATIC_CODE).linestyle)
    assert lines["KL z_1:T"] == (_expected(DYNAMIC_CODE), code_style(DYNAMIC_CODE).linestyle)
    other = {look[0] for name, look in lines.items() if not name.startswith("KL")}
    assert not other & {_expected(code) for code in CODE_STYLES}, "loss terms take no code's colour"
