"""The gradient check of a notebook, drawn: each entry's |numerical − backprop| against the O(ε²) bound.

Interface:
    gradcheck_figure(rows, checked=(), eps=None, ax=None, title=None)
        # ``rows``: this notebook's gradcheck.Row rows; ``checked``: the reports' entries
        # (pipeline.published.gradcheck_rows: dicts with report, diff, passes); a row of points per
        # source on a log axis, the bound ε² as a line; returns the axes
"""
from __future__ import annotations

from .look import TEXT_WIDTH, axes_or_new, style


def gradcheck_figure(rows, checked=(), eps=None, ax=None, title=None):
    """Each source's differences as one row of points (log scale), the bound ε² a dashed line;
    an entry beyond the bound is drawn as a cross."""
    sources = {"this notebook": [(r.abs_diff, eps is None or r.abs_diff <= eps ** 2) for r in rows]}
    for r in checked:
        sources.setdefault(r["report"], []).append((r["diff"], r["passes"]))
    ax = axes_or_new(ax, figsize=(TEXT_WIDTH, 0.45 * len(sources) + 1.3))
    with style():
        for y, (name, points) in enumerate(sources.items()):
            inside = [d for d, ok in points if ok]
            beyond = [d for d, ok in points if not ok]
            ax.plot(inside, [y] * len(inside), "o", color="C0", alpha=0.8,
                    label="within ε²" if y == 0 else None)
            ax.plot(beyond, [y] * len(beyond), "x", color="C3", markersize=8,
                    label="beyond ε²" if beyond else None)
        if eps is not None:
            ax.axvline(eps ** 2, color="0.3", linestyle="--", label=f"bound ε² = {eps ** 2:.0e}")
        ax.set_xscale("log")
        ax.set_yticks(range(len(sources)), list(sources))
        ax.set_ylim(len(sources) - 0.5, -0.5)
        ax.set_xlabel("|numerical − backprop|")
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles))
        ax.legend(unique.values(), unique.keys(), loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=3,
                  frameon=False)   # beneath: never over a point
        ax.set_title(title)
    return ax
