"""Vectors of 784 pixels drawn as 28×28 images: weights (blue −, red +) and class means.

Interface:
    class_means(x, y, classes=10)                      # (784, classes): each class's average image, as columns
    weight_images(weights, means=None, labels=None)    # one tile per vector, beneath each class mean; returns the axes
    mosaic(columns, symmetric)                         # columns (784, K) as one row of K tiles, each scaled to itself
"""
from __future__ import annotations

import textwrap

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


def weight_images(weights, means=None, labels=None, ax=None, title=None):
    """Weight vectors as 28×28 images (blue −, red +, each scaled to its own max |w|), beneath
    each class's average image when ``means`` is given. ``weights``, ``means``: a vector (784,),
    an array (784, K) (columns, like W1) or a list of K vectors. The text is the style's
    (same title and tick sizes as every other figure)."""
    weights = _columns(weights, "weights")
    k = weights.shape[1]
    ax = axes_or_new(ax, figsize=(0.75 * k + 0.5, 2.2 if means is not None else 1.45))
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
        labels = range(k) if labels is None else labels
        ax.set_xticks([i * 30 + 14 for i in range(k)], [_tile_label(label) for label in labels])
        ax.tick_params(axis="x", length=0)
        ax.set_yticks([])
        ax.grid(False)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
    return ax


def _tile_label(label) -> str:
    """A label under a 28×28 tile, wrapped to about the tile's width."""
    return "\n".join(textwrap.fill(part, 11, break_on_hyphens=False) for part in str(label).split("\n"))
