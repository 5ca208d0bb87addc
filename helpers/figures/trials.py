"""The search of training settings drawn: each model class's trials, in the order they were asked.

Interface:
    search_trials(classes, axes=None, columns=3)   # one panel per class; returns the axes
    SEARCH_MARKERS

``classes``: {class: {"trials": pipeline.trials.trials_table rows (with their start and finish times),
"monitor": "holdout_acc"|"holdout_loss", "chosen_trial": number}} (helpers.pipeline.best.trial_panels builds it).
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from .look import METRIC_LABELS, OKABE_ITO, SERIES, TEXT_WIDTH, plotted_values, style

SEARCH_MARKERS = {"COMPLETE": ("o", "complete"), "PRUNED": ("x", "pruned at its rung"), "FAIL": ("v", "diverged")}


def search_trials(classes: dict, axes=None, columns: int = 3):
    """One panel per model class: its search's monitored hold-out metric per trial against the
    minutes since the first trial of any class started (when each trial finished; in the order the
    trials were asked when a study has no times), complete trials as dots, pruned ones as crosses
    (their best value at the rung), the best complete trial so far as a step line, the chosen trial
    ringed. Panels share the time axis, so the budget's split across classes shows. Returns the axes."""
    names = list(classes)
    times = [t["started"] for spec in classes.values() for t in spec["trials"] if t.get("started") is not None]
    origin = min(times) if times else None
    where = (lambda t: (t["finished"] - origin) / 60) if origin is not None else (lambda t: t["number"])  # noqa: E731
    ends = [where(t) for spec in classes.values() for t in spec["trials"] if t.get("finished")] if origin is not None else []
    rows = math.ceil(len(names) / columns)
    if axes is None:
        with style():
            _, axes = plt.subplots(rows, columns, figsize=(TEXT_WIDTH, 1.9 * rows + 0.5), squeeze=False)
    axes = np.asarray(axes).ravel()
    with style():
        for ax, name in zip(axes, names):
            spec = classes[name]
            metric = "acc" if spec["monitor"].endswith("acc") else "loss"
            shown = [t for t in spec["trials"] if t["value"] is not None and (origin is None or t.get("finished"))]
            for state, (marker, label) in SEARCH_MARKERS.items():
                points = [(where(t), t["value"]) for t in shown if t["state"] == state]
                if points:
                    x, y = zip(*points)
                    ax.plot(x, plotted_values({"v": y}, "v", metric), marker, color=SERIES["holdout"]
                            if state == "COMPLETE" else OKABE_ITO["black"], label=label, markersize=4 if marker == "o" else 5)
            _best_so_far(ax, [t for t in shown if t["state"] == "COMPLETE"], where, metric)
            best = [t for t in shown if t["number"] == spec["chosen_trial"]]
            if best:
                ax.plot(where(best[0]), plotted_values({"v": [best[0]["value"]]}, "v", metric)[0], "o", mfc="none",
                        mec=OKABE_ITO["vermillion"], markersize=9, label="chosen")
            ax.set(title=name, xlabel="minutes into the search" if origin is not None else "trial",
                   ylabel=f"hold-out {METRIC_LABELS[metric].split(' (')[0]}")
            _zoom(ax, [t["value"] for t in spec["trials"] if t["value"] is not None], metric)
            if origin is not None and ends:
                ax.set_xlim(0, 1.03 * max(ends))     # one clock for every class
        for ax in axes[len(names):]:
            ax.set_visible(False)
        handles = {}
        for ax in axes[:len(names)]:
            for h, label in zip(*ax.get_legend_handles_labels()):
                handles.setdefault(label, h)
        axes[0].figure.legend(handles.values(), handles.keys(), loc="outside lower center", ncol=len(handles))
    return axes


def _best_so_far(ax, complete: list, where, metric: str) -> None:
    """The best complete trial so far, as a step line over the panel's x axis."""
    if not complete:
        return
    complete = sorted(complete, key=where)
    values = plotted_values({"v": [t["value"] for t in complete]}, "v", metric)
    running = np.maximum.accumulate(values) if metric == "acc" else np.minimum.accumulate(values)
    ax.step([where(t) for t in complete], running, where="post", color=OKABE_ITO["vermillion"], linewidth=1,
            label="best so far")


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
