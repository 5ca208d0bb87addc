"""Vectors of 784 pixels drawn as 28×28 images: weights (blue −, red +) and class means.

Interface:
    class_means(x, y, classes=10)                      # (784, classes): each class's average image, as columns
    weight_images(weights, means=None, labels=None)    # one tile per vector, beneath each class mean; returns the axes
    mosaic(columns, symmetric)                         # columns (784, K) as one row of K tiles, each scaled to itself
"""
from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np

from .look import axes_or_new, style


def class_means(x: np.ndarray, y: np.ndarray, classes: int = 10) -> np.ndarray:
    """(D, classes): the average image of each class, as columns like a weight matrix."""
    counts = np.bincount(y, minlength=classes)
    return (np.eye(classes)[y].T @ x / np.maximum(counts, 1)[:, None]).T


def mosaic(columns: np.ndarray, symmetric: bool, side: int = 28, pad: int = 2) -> np.ndarray:
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


TILE = 0.75        # inches per 28×28 tile (its label wraps to that width)
PER_ROW = 8        # tiles per row of a figure at the text width: more wrap onto further rows


def weight_images(weights, means=None, labels=None, ax=None, title=None):
    """Weight vectors as 28×28 images (blue −, red +, each scaled to its own max |w|), beneath
    each class's average image when ``means`` is given. ``weights``, ``means``: a vector (784,),
    an array (784, K) (columns, like W1) or a list of K vectors. The text is the style's
    (same title and tick sizes as every other figure). More than PER_ROW tiles (and no means) go
    on several rows, each tile's label beneath it, so that no label runs into the next."""
    weights = _columns(weights, "weights")
    k = weights.shape[1]
    labels = [_tile_label(label) for label in (range(k) if labels is None else labels)]
    lines = max((label.count("\n") + 1 for label in labels), default=1)
    if ax is not None or means is not None or k <= PER_ROW:
        rows = 1 if means is None else 2
        ax = axes_or_new(ax, figsize=(TILE * k + 0.5, rows * TILE + 0.15 * lines + 0.45))
        return _tiles(ax, weights, means, labels, title)
    chunks = [range(i, min(i + PER_ROW, k)) for i in range(0, k, PER_ROW)]
    with style():
        fig = plt.figure(figsize=(TILE * PER_ROW + 0.5, len(chunks) * (TILE + 0.15 * lines + 0.1) + 0.35))
        axes = fig.subplots(len(chunks), 1, squeeze=False)[:, 0]
    for i, (row_ax, chunk) in enumerate(zip(axes, chunks)):
        _tiles(row_ax, weights[:, list(chunk)], None, [labels[j] for j in chunk], title if i == 0 else None)
        row_ax.set_xlim(0, PER_ROW * 30 - 2)   # every row's tiles the same size
    return axes[0]


def _tiles(ax, weights, means, labels, title):
    """One row of tiles (under the class means when given) on ``ax``, a label under each."""
    k = weights.shape[1]
    top = mosaic(weights, symmetric=True)
    width, height = top.shape[1], top.shape[0]
    rows = 1 if means is None else 2
    with style():
        ax.imshow(top, cmap="RdBu_r", vmin=-1, vmax=1, extent=(0, width, rows * 30 - 2, (rows - 1) * 30),
                  interpolation="nearest")
        if means is not None:
            ax.imshow(mosaic(_columns(means, "means"), symmetric=False), cmap="gray_r", vmin=0, vmax=1,
                      extent=(0, width, height, 0), interpolation="nearest")
        ax.set(xlim=(0, width), ylim=(rows * 30 - 2, 0), title=title)
        ax.set_xticks([i * 30 + 14 for i in range(k)], labels)
        ax.tick_params(axis="x", length=0)
        ax.set_yticks([])
        ax.grid(False)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
    return ax


def _tile_label(label) -> str:
    """A label under a 28×28 tile, wrapped to about the tile's width."""
    return "\n".join(textwrap.fill(part, 11, break_on_hyphens=False) for part in str(label).split("\n"))
