"""One look per code, the same in every figure of both modalities: z_s, z_1:T (its mean, for speech), the MFCC
baseline, the model's input and the random-init model each keep one colour, line style, marker and bar hatch.
Every figure that draws a code takes its look from :func:`code_style`; nothing else picks a code's colour."""

from __future__ import annotations

from dataclasses import dataclass

from cdsvae_eval.names import DYNAMIC_CODE, INPUT_CODE, MFCC_CODE, STATIC_CODE

# The random-init model of the same architecture (any of its codes: they share its look, and bars tell its codes
# apart by the code's hatch)
RANDOM_INIT = "random-init"


@dataclass(frozen=True)
class SeriesStyle:
    """How a code's series is drawn: matplotlib colour, line style, marker, and the hatch of its bars."""

    colour: str
    linestyle: str | tuple[int, tuple[int, ...]]
    marker: str
    hatch: str = ""


CODE_STYLES: dict[str, SeriesStyle] = {
    STATIC_CODE: SeriesStyle("#1f77b4", "-", "o"),
    DYNAMIC_CODE: SeriesStyle("#d62728", "--", "s", hatch="//"),
    MFCC_CODE: SeriesStyle("#2ca02c", "-.", "^"),
    INPUT_CODE: SeriesStyle("#9467bd", (0, (5, 1, 1, 1, 1, 1)), "D"),
    RANDOM_INIT: SeriesStyle("#7f7f7f", ":", "x"),
}
# A series of something else (a curve whose code is unknown): its own colour from this cycle, solid.
OTHER_COLOURS = ("#ff7f0e", "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#000000", "#ffbb78")
FACTOR_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def code_style(code: str) -> SeriesStyle:
    """The look of ``code`` (a name of :data:`CODE_STYLES`)."""
    try:
        return CODE_STYLES[code]
    except KeyError:
        raise KeyError(f"no style for code {code!r} (styled: {', '.join(CODE_STYLES)})") from None


def other_style(index: int) -> SeriesStyle:
    """The look of the ``index``-th series that is no code."""
    return SeriesStyle(OTHER_COLOURS[index % len(OTHER_COLOURS)], "-", FACTOR_MARKERS[index % len(FACTOR_MARKERS)])
