"""The search of training settings drawn: each model class's trials, in the order they were asked.

Interface:
    search_trials(classes, axes=None, columns=3)   # one panel per class; returns the axes
    SEARCH_MARKERS

``classes``: {class: {"trials": pipeline.trials.trials_table rows, "monitor": "holdout_acc"|"holdout_loss",
"chosen_trial": number}} (helpers.pipeline.best.trial_panels builds it).
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from .look import METRIC_LABELS, OKABE_ITO, SERIES, TEXT_WIDTH, plotted_values, style

SEARCH_MARKERS = {"COMPLETE": ("o", "complete"), "PRUNED": ("x", "pruned at its rung"), "FAIL": ("v", "diverged")}


def search_trials(classes: dict, axes=None, columns: int = 3):
    """One panel per model class: its search's monitored hold-out metric per trial (in the order
    they were asked), complete trials as dots, pruned ones as crosses (their best value at the
    rung), the chosen trial ringed. Returns the axes."""
    names = list(classes)
    rows = math.ceil(len(names) / columns)
    if axes is None:
        with style():
            _, axes = plt.subplots(rows, columns, figsize=(TEXT_WIDTH, 1.9 * rows + 0.5), squeeze=False)
    axes = np.asarray(axes).ravel()
    with style():
        for ax, name in zip(axes, names):
            spec = classes[name]
            metric = "acc" if spec["monitor"].endswith("acc") else "loss"
            for state, (marker, label) in SEARCH_MARKERS.items():
                points = [(t["number"], t["value"]) for t in spec["trials"] if t["state"] == state and t["value"] is not None]
                if points:
                    x, y = zip(*points)
                    ax.plot(x, plotted_values({"v": y}, "v", metric), marker, color=SERIES["holdout"]
                            if state == "COMPLETE" else OKABE_ITO["black"], label=label, markersize=4 if marker == "o" else 5)
            best = [t for t in spec["trials"] if t["number"] == spec["chosen_trial"]]
            if best:
                ax.plot(best[0]["number"], plotted_values({"v": [best[0]["value"]]}, "v", metric)[0], "o", mfc="none",
                        mec=OKABE_ITO["vermillion"], markersize=9, label="chosen")
            ax.set(title=name, xlabel="trial", ylabel=f"hold-out {METRIC_LABELS[metric].split(' (')[0]}")
            _zoom(ax, [t["value"] for t in spec["trials"] if t["value"] is not None], metric)
        for ax in axes[len(names):]:
            ax.set_visible(False)
        handles = {}
        for ax in axes[:len(names)]:
            for h, label in zip(*ax.get_legend_handles_labels()):
                handles.setdefault(label, h)
        axes[0].figure.legend(handles.values(), handles.keys(), loc="outside lower center", ncol=len(handles))
    return axes


def _zoom(ax, values, metric: str) -> None:
    """Show the good end of a search: the best values, not the worst trials' tail."""
    values = np.sort(np.asarray([v for v in values if v is not None and np.isfinite(v)], float))
    if values.size < 3:
        return
    if metric == "acc":
        top = 100 * values[-1]
        low = 100 * values[len(values) // 4]
        ax.set_ylim(low - 0.1 * (top - low + 0.1), top + 0.1 * (top - low + 0.1))
    else:
        best, high = values[0], values[-(len(values) // 4) - 1]
        ax.set_ylim(best - 0.1 * (high - best + 1e-3), high + 0.1 * (high - best + 1e-3))
