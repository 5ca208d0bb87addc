"""A table drawn as a figure: the gradient check of a notebook.

Interface:
    gradcheck_figure(rows, title=None)   # gradcheck.Row rows as a table on ``ax`` (new figure when None); returns the axes
"""
from __future__ import annotations

import matplotlib.pyplot as plt

from .look import TEXT_WIDTH, axes_or_new, style


def gradcheck_figure(rows, ax=None, title=None):
    """The gradient-check rows (gradcheck.Row) as a table figure."""
    ax = axes_or_new(ax, figsize=(TEXT_WIDTH, 0.3 * (len(rows) + 1) + 0.3))
    cells = [[f"W{r.layer}" if r.parameter.startswith("W") else r.parameter, str(r.index),
              f"{r.numerical:.8g}", f"{r.backprop:.8g}", f"{r.abs_diff:.2e}", f"{r.rel_diff:.2e}"]
             for r in rows]
    with style():
        table = ax.table(cellText=cells, colLabels=["parameter", "index", "numerical", "backprop",
                                                     "abs diff", "rel diff"], loc="center")
        table.auto_set_font_size(False)
        table.set_fontsize(plt.rcParams["legend.fontsize"])
        ax.axis("off")
        ax.set_title(title)
    return ax
