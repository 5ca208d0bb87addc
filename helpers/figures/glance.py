"""The reproduction at a glance: every published number's distance from the workbook's, one row each.

Interface:
    reproduction_chart(rows, ax=None)   # rows: dicts (report.reproduction_rows builds them); returns the axes
    VERDICTS, PROVENANCE_MARKERS, ABLATION_MARKER, X_LIMIT, PAGE_HEIGHT

Laid out by hand on one page: a label column, the axes (distance in noise bands), two columns
of numbers (published, workbook) and the key below.
"""
from __future__ import annotations

import math
import textwrap

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.layout_engine import PlaceHolderLayoutEngine

from .look import OKABE_ITO, TEXT_WIDTH, style

VERDICTS = {"noise": ("within noise", OKABE_ITO["blue"]),
            "explained": ("explained by an inferred hypothesis", OKABE_ITO["orange"]),
            "inconsistent": ("inconsistent in the report", OKABE_ITO["purple"]),
            "open": ("open gap", OKABE_ITO["vermillion"])}
PROVENANCE_MARKERS = {"stated": ("o", "stated settings"), "default": ("s", "named default"),
                      "inferred": ("D", "inferred setting")}
ABLATION_MARKER = "D"   # hollow: an inferred ablation's result, joined to the stated one by a dotted line
X_LIMIT = 4.0   # noise bands shown either side of the published value; further points sit at the edge

# The layout, in inches: row height (at most; rows close up to 9.3 pt, the 8 pt labels' leading,
# so that it fits PAGE_HEIGHT), label column, number columns, key.
PAGE_HEIGHT = 8.8   # the A4 text height (10 in) less room for a caption
_ROW, _TOP, _BOTTOM, _LABELS, _MARGIN = 0.16, 0.3, 0.85, 2.55, 1.6
_COLUMNS = (4, 54)            # the number columns' offsets from the axes' right edge, in points


def reproduction_chart(rows: list[dict], ax=None, label_width: int = 48):
    """One row per published number, grouped by report: the workbook's mean ± std as a point with
    an error bar, at its distance from the published value in noise bands ((ours − published) /
    noise), so the grey band [−1, 1] is "within noise" for every metric; the numbers themselves
    (published, workbook) in the right margin. Marker: provenance (stated ●, default ■, inferred ◆);
    colour: verdict (within noise, explained by an inferred hypothesis, inconsistent, open); an inferred hypothesis's
    result, when measured, as a hollow diamond joined to the stated one by a dotted line.

    ``rows``: dicts with ``group``, ``label``, ``published``, ``mean``, ``std``, ``noise``,
    ``digits``, ``provenance``, ``verdict`` ("noise" | "explained" | "inconsistent" | "open") and
    optional ``ablation`` {``mean``, ``std``} (report.reproduction_rows builds them from the records).
    """
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["group"], []).append(row)
    lines = sum(len(g) + 1 for g in groups.values())
    row_height = min(_ROW, (PAGE_HEIGHT - _TOP - _BOTTOM) / (lines + 1))   # one page, however many rows
    if ax is None:   # laid out by hand: a label column, the axes, two columns of numbers, the key below
        height = row_height * (lines + 1) + _TOP + _BOTTOM
        with style():
            # a placeholder engine: the style's constrained layout would otherwise return at savefig
            fig = plt.figure(figsize=(TEXT_WIDTH, height), layout=PlaceHolderLayoutEngine(True, True))
            ax = fig.add_axes((_LABELS / TEXT_WIDTH, _BOTTOM / height, 1 - (_LABELS + _MARGIN) / TEXT_WIDTH,
                               row_height * (lines + 1) / height))
    with style():
        y, ticks, labels, headers = 0, [], [], []
        ax.axvspan(-1, 1, color="0.88", zorder=0, lw=0)
        ax.axvline(0, color="0.35", lw=0.8, zorder=1)
        for group, members in groups.items():
            headers.append((y, group))
            y += 1
            for row in members:
                z = _band(row["mean"], row)
                marker = PROVENANCE_MARKERS.get(row.get("provenance", "stated"), PROVENANCE_MARKERS["stated"])[0]
                colour = VERDICTS[row["verdict"]][1]
                err = row["std"] / row["noise"] if row["noise"] else 0
                ax.errorbar(np.clip(z, -X_LIMIT, X_LIMIT), y, xerr=err if abs(z) < X_LIMIT else None,
                            fmt=marker, color=colour, ms=4.5, elinewidth=1, capsize=1.5, zorder=3)
                if abs(z) >= X_LIMIT:   # off the scale: at the edge, an arrowhead pointing on
                    ax.plot(math.copysign(X_LIMIT + 0.4, z), y, ">" if z > 0 else "<", color=colour, ms=4, zorder=3)
                if row.get("ablation"):
                    za = float(np.clip(_band(row["ablation"]["mean"], row), -X_LIMIT, X_LIMIT))
                    ax.plot([np.clip(z, -X_LIMIT, X_LIMIT), za], [y, y], color=colour, lw=0.8, ls=":", zorder=2)
                    ax.plot(za, y, ABLATION_MARKER, mfc="white", mec=colour, ms=4.5, zorder=3)
                ticks.append(y)
                labels.append(_shorten(row["label"], label_width))
                d = row["digits"]
                ours = f"{row['mean']:.{d}f}" + (f" ± {row['std']:.{d}f}" if row["std"] else "")
                _margin(ax, y, f"{row['published']:.{d}f}", 0)
                _margin(ax, y, ours, 1)
                y += 1
        for y0, group in headers:
            ax.annotate(group, xy=(0, y0), xycoords=("axes fraction", "data"), xytext=(-4, 0),
                        textcoords="offset points", ha="right", va="center", fontweight="bold",
                        annotation_clip=False)
            if y0:
                ax.axhline(y0 - 0.5, color="0.75", lw=0.6)
        _margin(ax, -1.1, "published", 0, fontweight="bold")
        _margin(ax, -1.1, "workbook", 1, fontweight="bold")
        ax.set_yticks(ticks, _fitted(ax, labels, _LABELS * 72 - 8))
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(y - 0.5, -1.5)
        ax.set_xlim(-X_LIMIT - 0.6, X_LIMIT + 0.6)
        ax.set_xticks(range(-int(X_LIMIT), int(X_LIMIT) + 1))
        ax.grid(False)
        ax.set_xlabel("workbook − published, in noise bands (grey: within noise)")
        _key(ax, rows)
    return ax


def _key(ax, rows: list[dict]) -> None:
    """The key beneath the figure: the verdicts' colours over the markers of the provenances present."""
    verdicts = [plt.Line2D([], [], ls="", marker="o", color=c, label=text) for text, c in VERDICTS.values()]
    present = {row.get("provenance", "stated") for row in rows}
    kinds = [plt.Line2D([], [], ls="", marker=m, mfc="0.45", mec="0.45", label=text)
             for key, (m, text) in PROVENANCE_MARKERS.items() if key in present]
    if any(row.get("ablation") for row in rows):
        kinds.append(plt.Line2D([], [], ls=":", lw=0.8, marker=ABLATION_MARKER, mfc="white", mec="0.45",
                                color="0.45", label="inferred hypothesis"))
    columns = max(len(verdicts), len(kinds))
    blank = plt.Line2D([], [], ls="", label=" ")
    verdicts += [blank] * (columns - len(verdicts))
    kinds += [blank] * (columns - len(kinds))
    handles = [h for pair in zip(verdicts, kinds) for h in pair]   # filled by column: one row each
    ax.figure.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0), ncol=columns, frameon=False,
                     handletextpad=0.3, columnspacing=1.0)


def _margin(ax, y, text, column, **kwargs):
    ax.annotate(text, xy=(1, y), xycoords=("axes fraction", "data"), xytext=(_COLUMNS[column], 0),
                textcoords="offset points", ha="left", va="center", annotation_clip=False,
                fontsize=plt.rcParams["legend.fontsize"], **kwargs)


def _fitted(ax, labels: list[str], points: float) -> list[str]:
    """Each label shortened (the metric after " · " kept) until it is at most ``points`` wide as the
    tick labels are drawn: a label is never cut by the figure's edge."""
    renderer = ax.figure.canvas.get_renderer()
    probe = ax.figure.text(0, 0, "", fontsize=plt.rcParams["ytick.labelsize"])
    fitted = []
    for label in labels:
        width = len(label)
        while probe.set_text(label) or probe.get_window_extent(renderer).width * 72 / ax.figure.dpi > points:
            if width <= 12:
                break
            width -= 2
            label = _shorten(label, width)
        fitted.append(label)
    probe.remove()
    return fitted


def _shorten(label: str, width: int) -> str:
    """``label`` in at most ``width`` characters, what follows its last " · " (the metric: a
    hold-out and a test row of one setting differ there) always kept whole."""
    head, dot, tail = label.rpartition(" · ")
    if not dot:
        return textwrap.shorten(label, width, placeholder="…")
    return textwrap.shorten(head, max(width - len(tail) - len(dot), 8), placeholder="…") + dot + tail


def _band(value: float, row: dict) -> float:
    return (value - row["published"]) / row["noise"] if row["noise"] else 0.0
