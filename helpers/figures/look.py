"""The one look of every figure: the style, the colours, the words on the axes, and saving.

Interface:
    with style(): ...                 # workbook.mplstyle for the body only; rcParams are never changed globally
    series_colour(label)              # the fixed colour of a named series (a split, an activation, L1/L2), or None
    colours(labels)                   # one colour per line drawn together (a λ sweep in order on cividis)
    axes_or_new(ax, figsize)          # ``ax``, or the axes of a new figure in the style
    plotted_values(history, column, metric)   # a history's column as drawn (accuracies in percent)
    save(fig, stem)                   # stem.pdf and stem.png, atomically, no timestamps; fitted to TEXT_WIDTH
    STYLE, TEXT_WIDTH, OKABE_ITO, SERIES, SPLIT_LABELS, METRIC_LABELS

One type scale: the style's point sizes, and ``save`` fits a figure wider than the report's text
(``TEXT_WIDTH``) to it before writing, so every figure is printed at its own size and a 9-point
label reads as 9 points on the page, whatever figsize the notebook chose. Colour-blind-safe
colours (Okabe & Ito), the same colour for the same series in every figure: ``SERIES`` fixes
train / hold-out / test, the activations and the penalties.
"""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ..pipeline.files import atomic_write

STYLE = str(Path(__file__).with_name("workbook.mplstyle"))
SPLIT_LABELS = {"train": "train", "holdout": "hold-out", "test": "test"}
METRIC_LABELS = {"loss": "cross-entropy (mean per example)", "acc": "percent correct"}
# The report's text width (A4, 2.2 cm margins: 16.6 cm), a little less: no figure is printed wider.
TEXT_WIDTH = 6.3

# Okabe & Ito (2008), distinguishable with every common colour-vision deficiency; no yellow (too
# pale on white). The style's colour cycle is the same list, in this order.
OKABE_ITO = {"blue": "#0072B2", "vermillion": "#D55E00", "green": "#009E73", "purple": "#CC79A7",
             "orange": "#E69F00", "sky": "#56B4E9", "black": "#000000"}
SERIES = {"train": OKABE_ITO["blue"], "holdout": OKABE_ITO["orange"], "test": OKABE_ITO["green"],
          "sigmoid": OKABE_ITO["purple"], "tanh": OKABE_ITO["vermillion"], "relu": OKABE_ITO["sky"],
          "leaky relu": OKABE_ITO["black"], "l1": OKABE_ITO["vermillion"], "l2": OKABE_ITO["blue"]}
_SERIES_PATTERNS = [("leaky relu", r"leaky[ _-]?relu"), ("sigmoid", r"\bsigmoid\b"), ("tanh", r"\btanh\b"),
                    ("relu", r"\brelu\b"), ("holdout", r"^(hold-?out|validation)$"), ("train", r"^train$"),
                    ("test", r"^test$"), ("l1", r"^l1$"), ("l2", r"^l2$")]
_LAMBDA = re.compile(r"λ\s*=?\s*([0-9.eE+-]+)")


@contextlib.contextmanager
def style():
    """Context manager applying the workbook style: ``with figures.style(): ...``.

    Interactive mode is kept as the body left it. In a Jupyter kernel the first figure loads the
    inline backend, which switches interactive mode on; the style's rc context would switch it
    off again on exit, and the inline backend then displays no later figure."""
    with plt.style.context(STYLE):
        try:
            yield
        finally:
            interactive = plt.isinteractive()
    plt.interactive(interactive)


def series_colour(label) -> str | None:
    """The fixed colour of a named series (a split, an activation, a penalty), else None."""
    text = str(label).lower()
    for key, pattern in _SERIES_PATTERNS:
        if re.search(pattern, text):
            return SERIES[key]
    return None


def colours(labels) -> list[str | None]:
    """One colour per label for lines drawn together: a λ sweep (labels that differ only in their
    λ) in order of λ on cividis (a colour-blind-safe sequential map); else each label naming a
    series (an activation, a split, L1/L2) in that series' colour, the first time it appears, and
    the others in the palette's remaining colours ("sigmoid, N(0,1) weights" beside "sigmoid");
    None for all (the style's cycle) when no label names a series."""
    labels = [str(label) for label in labels]
    found = [_LAMBDA.search(label) for label in labels]
    if len(labels) > 1 and all(found) and len({_LAMBDA.sub("", label) for label in labels}) == 1:
        try:   # labels that differ only in λ: a sweep, drawn in order of λ
            values = [float(m.group(1)) for m in found]
        except ValueError:
            values = []
        if values and len(set(values)) == len(values):
            rank = {v: i for i, v in enumerate(sorted(values))}
            cmap = plt.get_cmap("cividis")
            return [_hex(cmap(0.85 * rank[v] / (len(values) - 1))) for v in values]
    fixed = [series_colour(label) for label in labels]
    if not any(fixed):
        return [None] * len(labels)
    chosen, used = [], set()
    for colour in fixed:
        chosen.append(colour if colour and colour not in used else None)
        used.add(chosen[-1])
    spare = iter(c for c in OKABE_ITO.values() if c not in used and c not in SERIES.values())
    spare_any = iter(c for c in OKABE_ITO.values() if c not in used)
    return [c or next(spare, None) or next(spare_any, "#777777") for c in chosen]


def _hex(rgba) -> str:
    return "#" + "".join(f"{round(255 * c):02X}" for c in rgba[:3])


def axes_or_new(ax, figsize=None):
    """``ax`` itself, or (None) the axes of a new figure made in the style."""
    if ax is not None:
        return ax
    with style():
        return plt.figure(figsize=figsize).add_subplot()


def plotted_values(history: dict, column: str, metric: str) -> np.ndarray:
    """A history's column as the figures draw it: accuracies in percent, losses as they are."""
    values = np.asarray(history[column], dtype=float)
    return 100 * values if metric == "acc" else values


def save(fig, stem) -> list[Path]:
    """Write ``stem``.pdf and ``stem``.png atomically, with no timestamp or version metadata.

    A figure wider than ``TEXT_WIDTH`` is first set to that width (its height in proportion):
    text keeps its point size, so the figure is printed at its own size and every figure of the
    report shares one type scale."""
    stem = Path(stem)
    width, height = fig.get_size_inches()
    if width > TEXT_WIDTH:
        fig.set_size_inches(TEXT_WIDTH, height * TEXT_WIDTH / width)
    written = []
    for fmt, metadata in (("pdf", {"CreationDate": None, "Producer": None, "Creator": None}),
                          ("png", {"Software": None})):
        buffer = io.BytesIO()
        with style(), contextlib.suppress(AttributeError):
            fig.savefig(buffer, format=fmt, metadata=metadata)
        path = stem.with_suffix(f".{fmt}")
        atomic_write(path, buffer.getvalue())
        written.append(path)
    return written
