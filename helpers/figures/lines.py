"""Runs drawn as lines: over epochs (one run's splits, several runs together) and against λ.

Interface (each draws on ``ax``, a new figure when None, and returns the axes):
    curves(history, metric)                       # one run: each split in its SERIES colour
    compare(histories, metric, split, dashed=)    # several runs on one axes (a λ sweep in order of λ)
    validation_and_test(histories)                # two panels, hold-out loss and test accuracy, one legend beneath
    clip_to_stated(ax, histories, column)         # the y axis held to the stated runs when an inferred one blows up
    clip_spike(ax)                                # a loss axis held to the curves when one early spike would set it
    same_curves(ax)                               # curves drawn on one line say so in their legend entries
    versus_lambda(lambdas, values, label=)        # a metric against the penalty weight on a log axis
    LEGEND_WRAP, CLIP_RATIO, SPIKE_RATIO

A run whose history ``diagnose`` flags (diverged, oscillated, never left chance) says so in its
legend entry (or title) and is drawn dotted, never silently like the others.
"""
from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np

from .diagnosis import diagnose
from .look import (METRIC_LABELS, SERIES, SPLIT_LABELS, TEXT_WIDTH, axes_or_new, colours, plotted_values,
                   series_colour, style)

LEGEND_WRAP = 34   # characters: a longer legend label wraps rather than running over the axes
CLIP_RATIO = 2.0   # an inferred run's curve above twice the stated runs' highest value is clipped
SPIKE_RATIO = 3.0  # a loss above the lowest + 3 x (95th percentile - lowest) is a spike the axis leaves out


def _flag_label(label, history) -> tuple[str, dict]:
    """The legend label and line style of a run: flagged runs say why and are drawn dotted."""
    flag = diagnose(history)
    if flag is None:
        return str(label), {}
    short = flag.split(" (")[0]
    return f"{label} [{short}]", {"linestyle": ":"}


def _wrap(label: str) -> str:
    return textwrap.fill(str(label), LEGEND_WRAP, break_on_hyphens=False)


def curves(history: dict, metric: str = "loss", splits=("train", "holdout", "test"), ax=None,
           title: str | None = None):
    """``metric`` ("loss" or "acc") over epochs for each split present in ``history``, each split in
    its own colour (``SERIES``)."""
    ax = axes_or_new(ax)
    with style():
        for split in splits:
            column = f"{split}_{metric}"
            if column in history:
                ax.plot(history["epoch"], plotted_values(history, column, metric), label=SPLIT_LABELS[split],
                        color=SERIES[split])
        flag = diagnose(history)
        ax.set(xlabel="epoch", ylabel=METRIC_LABELS[metric], title=f"{title} [{flag.split(' (')[0]}]"
               if flag and title else title)
        if metric == "loss":
            _say_clipped(ax, clip_spike(ax))
        same_curves(ax)
        ax.legend()
    return ax


def compare(histories: dict, metric: str = "acc", split: str = "test", ax=None, title: str | None = None,
            dashed: str | None = None, legend: bool = True):
    """Several runs on one axes: ``histories`` maps a label (λ, γ, activation...) to a history.
    ``dashed`` names a second split drawn dashed in each run's colour (e.g. "train"). Colours:
    ``colours(labels)``; a run ``diagnose`` flags is drawn dotted, its flag in its legend entry;
    long labels wrap (``legend=False``: no legend, e.g. for one shared by several panels)."""
    ax = axes_or_new(ax)
    with style():
        for (label, history), colour in zip(histories.items(), colours(histories)):
            text, flagged = _flag_label(label, history)
            line, = ax.plot(history["epoch"], plotted_values(history, f"{split}_{metric}", metric), label=_wrap(text),
                            color=colour, **flagged)
            if dashed:
                ax.plot(history["epoch"], plotted_values(history, f"{dashed}_{metric}", metric), "--",
                        color=line.get_color())
        ylabel = textwrap.fill(f"{SPLIT_LABELS[split]} {METRIC_LABELS[metric]}", 26)   # fits a short panel's side
        if dashed:
            ylabel = f"{METRIC_LABELS[metric]}\n(solid {SPLIT_LABELS[split]}, dashed {SPLIT_LABELS[dashed]})"
        ax.set(xlabel="epoch", ylabel=ylabel, title=title)
        if metric == "loss":
            _say_clipped(ax, clip_spike(ax))
        same_curves(ax)
        if legend:
            ax.legend()
    return ax


def clip_spike(ax) -> float | None:
    """When the highest value on ``ax`` lies far above the rest (over lowest + SPIKE_RATIO x (95th
    percentile − lowest): one early spike would set the whole axis), hold the y axis to the rest
    (5 % margin) and return that highest value; None when nothing was clipped."""
    values = np.concatenate([np.asarray(line.get_ydata(), float) for line in ax.get_lines()] or [np.empty(0)])
    values = values[np.isfinite(values)]
    if values.size < 10:
        return None
    low = values.min()
    limit = low + SPIKE_RATIO * (np.percentile(values, 95) - low)
    if values.max() <= limit:
        return None
    top = values[values <= limit].max()
    ax.set_ylim(low - 0.05 * (top - low), top + 0.05 * (top - low))
    return float(values.max())


def _say_clipped(ax, spike: float | None) -> None:
    if spike is not None:
        title = ax.get_title()
        ax.set_title(f"{title} (axis clipped: a spike to {spike:.3g})" if title else f"axis clipped: a spike to {spike:.3g}")


def same_curves(ax) -> list[list[str]]:
    """Curves on ``ax`` drawn exactly on one another: each one after the first of its group says
    "(same curve as <first>)" in its legend entry; returns the groups of labels."""
    groups: list[list] = []
    for line in ax.get_lines():
        if line.get_label().startswith("_"):
            continue
        y = np.asarray(line.get_ydata(), float)
        for group in groups:
            other = np.asarray(group[0].get_ydata(), float)
            if other.shape == y.shape and np.allclose(other, y, rtol=1e-9, atol=0, equal_nan=True):
                group.append(line)
                break
        else:
            groups.append([line])
    for group in groups:
        for line in group[1:]:
            first = group[0].get_label().replace("\n", " ")
            line.set_label(_wrap(f"{line.get_label()} (same curve as {first})".replace("\n", " ")))
    return [[line.get_label() for line in group] for group in groups if len(group) > 1]


def validation_and_test(histories: dict, axes=None, figsize=None):
    """Two panels for several runs: hold-out loss (left) and test percent correct (right), one
    legend for both beneath them (the figure grows by its height). ``axes``: a pair of axes, or
    None for a new figure; returns the pair. The loss axis is set by the stated runs: an
    inferred run (label "(inferred)") whose loss goes far above them is clipped, and the panel's
    title says so (clip_to_stated)."""
    labels = [_flag_label(label, history)[0] for label, history in histories.items()]
    columns = 1 if max(map(len, labels), default=0) > LEGEND_WRAP else 2
    lines = sum(_wrap(label).count("\n") + 1 for label in labels) / columns
    if axes is None:
        with style():
            _, axes = plt.subplots(1, 2, figsize=figsize or (TEXT_WIDTH, 2.3 + 0.16 * lines + 0.15))
    compare(histories, "loss", "holdout", ax=axes[0], title="hold-out loss", legend=False)
    compare(histories, "acc", "test", ax=axes[1], title="test percent correct", legend=False)
    if clip_to_stated(axes[0], histories, "holdout_loss"):
        axes[0].set_title("hold-out loss (inferred runs clipped)")
    with style():
        axes[0].figure.legend(*axes[1].get_legend_handles_labels(), loc="outside lower center", ncol=columns)
    return axes


def clip_to_stated(ax, histories: dict, column: str) -> bool:
    """Limit ``ax``'s y axis to the stated runs' range (5% margin) when an inferred run goes above
    CLIP_RATIO times their highest ``column`` value; True when it clipped."""
    def finite(history):
        values = np.asarray([v for v in history.get(column, []) if v is not None], float)
        return values[np.isfinite(values)]
    stated = [v.max() for label, h in histories.items() if "(inferred)" not in str(label) and (v := finite(h)).size]
    inferred = [v.max() for label, h in histories.items() if "(inferred)" in str(label) and (v := finite(h)).size]
    if not stated or not inferred or max(inferred) <= CLIP_RATIO * max(stated):
        return False
    low = min(v.min() for h in histories.values() if (v := finite(h)).size)
    top = max(stated)
    ax.set_ylim(low - 0.05 * (top - low), top + 0.05 * (top - low))
    return True


def versus_lambda(lambdas, values, ax=None, label: str | None = None, ylabel: str = "", title=None):
    """A metric against the penalty weight λ on a log axis (one call per curve; an L1 or L2
    curve in its ``SERIES`` colour)."""
    ax = axes_or_new(ax)
    with style():
        ax.semilogx(lambdas, values, marker="o", label=label, color=series_colour(label) if label else None)
        ax.set(xlabel="λ", ylabel=ylabel, title=title)
        if label:
            ax.legend()
    return ax
