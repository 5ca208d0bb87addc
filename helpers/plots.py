"""Figures of the workbook, one consistent look (``workbook.mplstyle``).

Interface: every plot function draws on ``ax`` (a new figure when None) and returns the
axes; ``save(fig, stem)`` writes ``stem.pdf`` (for LaTeX) and ``stem.png`` (for notebooks
and the README) atomically and without timestamps, so rebuilding changes no bytes.
Nothing here changes rcParams globally: the style applies inside ``style()`` only.
Histories are ``Result.history`` dicts (columns "epoch", "<split>_loss", "<split>_acc", ...).
"""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from .fetch import atomic_write

STYLE = str(Path(__file__).with_name("workbook.mplstyle"))
SPLIT_LABELS = {"train": "train", "holdout": "hold-out", "test": "test"}
METRIC_LABELS = {"loss": "cross-entropy (mean per example)", "acc": "percent correct"}


def style():
    """Context manager applying the workbook style: ``with plots.style(): ...``."""
    return plt.style.context(STYLE)


def _axes(ax, figsize=None):
    if ax is not None:
        return ax
    with style():
        return plt.figure(figsize=figsize).add_subplot()


def _values(history: dict, column: str, metric: str) -> np.ndarray:
    values = np.asarray(history[column], dtype=float)
    return 100 * values if metric == "acc" else values


def curves(history: dict, metric: str = "loss", splits=("train", "holdout", "test"), ax=None,
           title: str | None = None):
    """``metric`` ("loss" or "acc") over epochs for each split present in ``history``."""
    ax = _axes(ax)
    with style():
        for split in splits:
            column = f"{split}_{metric}"
            if column in history:
                ax.plot(history["epoch"], _values(history, column, metric), label=SPLIT_LABELS[split])
        ax.set(xlabel="epoch", ylabel=METRIC_LABELS[metric], title=title)
        ax.legend()
    return ax


def compare(histories: dict, metric: str = "acc", split: str = "test", ax=None, title: str | None = None,
            dashed: str | None = None):
    """Several runs on one axes: ``histories`` maps a label (λ, γ, activation...) to a history.
    ``dashed`` names a second split drawn dashed in each run's colour (e.g. "train")."""
    ax = _axes(ax)
    with style():
        for label, history in histories.items():
            line, = ax.plot(history["epoch"], _values(history, f"{split}_{metric}", metric), label=str(label))
            if dashed:
                ax.plot(history["epoch"], _values(history, f"{dashed}_{metric}", metric), "--", color=line.get_color())
        ylabel = f"{SPLIT_LABELS[split]} {METRIC_LABELS[metric]}"
        if dashed:
            ylabel = f"{METRIC_LABELS[metric]}\n(solid {SPLIT_LABELS[split]}, dashed {SPLIT_LABELS[dashed]})"
        ax.set(xlabel="epoch", ylabel=ylabel, title=title)
        ax.legend()
    return ax


def validation_and_test(histories: dict, axes=None, figsize=(9, 3.2)):
    """Two panels for several runs: validation loss (left) and test percent correct (right).
    ``axes``: a pair of axes, or None for a new figure; returns the pair."""
    if axes is None:
        with style():
            _, axes = plt.subplots(1, 2, figsize=figsize)
    compare(histories, "loss", "holdout", ax=axes[0], title="validation loss")
    compare(histories, "acc", "test", ax=axes[1], title="test percent correct")
    return axes


def versus_lambda(lambdas, values, ax=None, label: str | None = None, ylabel: str = "", title=None):
    """A metric against the penalty weight λ on a log axis (one call per curve)."""
    ax = _axes(ax)
    with style():
        ax.semilogx(lambdas, values, marker="o", label=label)
        ax.set(xlabel="λ", ylabel=ylabel, title=title)
        if label:
            ax.legend()
    return ax


def class_means(x: np.ndarray, y: np.ndarray, classes: int = 10) -> np.ndarray:
    """(D, classes): the average image of each class, as columns like a weight matrix."""
    counts = np.bincount(y, minlength=classes)
    return (np.eye(classes)[y].T @ x / np.maximum(counts, 1)[:, None]).T


def _mosaic(columns: np.ndarray, symmetric: bool, side: int = 28, pad: int = 2) -> np.ndarray:
    """Columns (side², K) as one row of K tiles, each scaled to [-1, 1] (or [0, 1]), NaN padding."""
    tiles = columns.T.reshape(-1, side, side).astype(float)
    scale = np.abs(tiles).max(axis=(1, 2), keepdims=True) if symmetric else tiles.max(axis=(1, 2), keepdims=True)
    tiles = tiles / np.where(scale > 0, scale, 1)
    row = np.full((side, len(tiles) * (side + pad) - pad), np.nan)
    for k, tile in enumerate(tiles):  # K <= 10 tiles: a loop over images, not pixels
        row[:, k * (side + pad):k * (side + pad) + side] = tile
    return row


def _columns(vectors, name: str) -> np.ndarray:
    """(784, K) from one vector (784,), a list of K vectors, or an array (784, K)."""
    columns = np.column_stack(vectors) if isinstance(vectors, (list, tuple)) else np.asarray(vectors)
    columns = columns[:, None] if columns.ndim == 1 else columns
    if columns.ndim != 2 or columns.shape[0] != 784:
        raise ValueError(f"{name}: expected (784,), (784, K) or a list of (784,) vectors, got shape {columns.shape}")
    return columns


def weight_images(weights, means=None, labels=None, ax=None, title=None):
    """Weight vectors as 28×28 images (blue −, red +, each scaled to its own max |w|), beneath
    each class's average image when ``means`` is given. ``weights``, ``means``: a vector (784,),
    an array (784, K) (columns, like W1) or a list of K vectors."""
    weights = _columns(weights, "weights")
    k = weights.shape[1]
    ax = _axes(ax, figsize=(1.0 * k + 0.6, 2.4 if means is not None else 1.4))
    top = _mosaic(weights, symmetric=True)
    width, height = top.shape[1], top.shape[0]
    rows = 1 if means is None else 2
    ax.imshow(top, cmap="RdBu_r", vmin=-1, vmax=1, extent=(0, width, rows * 30 - 2, (rows - 1) * 30),
              interpolation="nearest")
    if means is not None:
        ax.imshow(_mosaic(_columns(means, "means"), symmetric=False), cmap="gray_r", vmin=0, vmax=1,
                  extent=(0, width, height, 0), interpolation="nearest")
    ax.set(xlim=(0, width), ylim=(rows * 30 - 2, 0), title=title)
    labels = range(k) if labels is None else labels
    ax.set_xticks([i * 30 + 14 for i in range(k)], [str(label) for label in labels])
    ax.set_yticks([])
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    return ax


def gradcheck_table(rows, ax=None, title=None):
    """The gradient-check rows (gradcheck.Row) as a table figure."""
    ax = _axes(ax, figsize=(7.0, 0.35 * (len(rows) + 1) + 0.3))
    cells = [[f"W{r.layer}" if r.parameter.startswith("W") else r.parameter, str(r.index),
              f"{r.numerical:.8g}", f"{r.backprop:.8g}", f"{r.abs_diff:.2e}", f"{r.rel_diff:.2e}"]
             for r in rows]
    table = ax.table(cellText=cells, colLabels=["parameter", "index", "numerical", "backprop",
                                                 "abs diff", "rel diff"], loc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    ax.axis("off")
    ax.set_title(title)
    return ax


def save(fig, stem) -> list[Path]:
    """Write ``stem``.pdf and ``stem``.png atomically, with no timestamp or version metadata."""
    stem = Path(stem)
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
