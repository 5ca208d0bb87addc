"""Test accuracy against the number of updates, beside a published value: where (if ever) a run
reaches it.

Interface: ``reached = first_reached(histories, targets)``; ``accuracy_vs_updates(histories,
targets, reached, ax=None)`` draws on ``ax`` (a new figure when None) and returns the axes;
``reached_sentence(targets, reached, histories)`` says it in words.
``histories`` maps a run's label to its ``Result.history``; ``targets`` a label to the published
test accuracy in percent (the runs it names are drawn solid, on top; the others dashed).
"""
from __future__ import annotations

from .look import axes_or_new


def _updates(history: dict) -> tuple[list, list]:
    """(updates, test percent correct) after the first update."""
    pairs = [(s, 100 * a) for s, a in zip(history["step"], history["test_acc"]) if s > 0]
    return [s for s, _ in pairs], [a for _, a in pairs]


def first_reached(histories: dict, targets: dict) -> dict:
    """{label: the first update whose test accuracy reaches targets[label], or None} per target."""
    reached = {}
    for name, value in targets.items():
        if name in histories:
            steps, acc = _updates(histories[name])
            reached[name] = next((s for s, a in zip(steps, acc) if a >= value), None)
    return reached


def accuracy_vs_updates(histories: dict, targets: dict, reached: dict, ax=None):
    """Each run's test accuracy on a log axis of updates; each published value a grey line, the
    update that first reaches it a dotted one."""
    ax = axes_or_new(ax, figsize=(6.3, 3.2))
    for name, history in histories.items():
        steps, acc = _updates(history)
        compared = name in targets
        ax.plot(steps, acc, label=name, linestyle="-" if compared else "--", zorder=3 if compared else 2)
    for name, value in targets.items():
        ax.axhline(value, color="0.4", linestyle="--", linewidth=0.8, label=f"published ({value:g}%)")
        if reached.get(name):
            ax.axvline(reached[name], color="0.4", linestyle=":", linewidth=0.8)
    ax.set(xscale="log", xlabel="updates (batch GD: one per epoch)", ylabel="test percent correct",
           ylim=(max(50, min(ax.get_ylim()[0], 90)), 100), title="test accuracy against updates")
    ax.legend(loc="upper left")
    return ax


def reached_sentence(targets: dict, reached: dict, histories: dict) -> str:
    """Per published value: the update at which its run first reaches it, or the run's best."""
    best = {name: 100 * max(histories[name]["test_acc"]) for name in reached}
    return " ".join(f"**{name}** first reaches the published {value:g}% after {reached[name]} updates."
                    if reached.get(name) else
                    f"**{name}** never reaches the published {value:g}% (best {best[name]:.2f}%)."
                    for name, value in targets.items() if name in reached) \
        or "No published test accuracy names these settings."
