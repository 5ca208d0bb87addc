"""MNIST arrays and the subsets, splits and encodings the course reports used.

Interface: ``load(dataset, split) -> (images uint8 (N, 28, 28) or (N, 784), labels uint8 (N,))``;
every other function takes arrays and returns new arrays (inputs are never modified),
so each step can be tested alone and chained by ``prepare``. Randomness only comes in
through a ``np.random.Generator`` argument.

Subsets (SPEC "Data"): the first N training / last N test images (or the first N test
images of a digit pair); a digit pair with targets 1 (first digit) and 0 (second); a
hold-out set taken as the first 10% of the training subset (or as Zhu & Guo's logistic listing
cut it), as the N images right after it (optionally after a gap), or as a seeded 80/20 shuffle.
Normalisation: ``"255"`` x/255; ``"image-z"`` each image minus its own mean over its own
std; ``"dataset-z"`` (x/255 - m)/s with the scalar m, s of the training array.
"""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from .mnist import check_dataset, data_dir, parse_idx, read_verified

SPLITS = {"train": "train", "test": "t10k"}


class DataMissingError(FileNotFoundError):
    """A data file is not in the data folder; the message names the command that fetches it."""
NORMALISATIONS = ("255", "image-z", "dataset-z")
HOLDOUTS = ("first", "next", "shuffle", "first-listing")
TEST_SELECTIONS = ("last", "pair-first")


def load(dataset: str = "mnist", split: str = "train", flatten: bool = False):
    """Images (N, 28, 28) or (N, 784) and labels (N,), both uint8 and read-only.

    Files come from the data folder, each checked against its sha256 (mnist.read_verified);
    a missing file is an error naming the command that fetches it.
    """
    if split not in SPLITS:
        raise ValueError(f"split={split!r}: choose 'train' or 'test'")
    names = [f"{SPLITS[split]}-{kind}" for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")]
    try:
        raw = [read_verified(check_dataset(dataset), name) for name in names]
    except FileNotFoundError as error:
        raise DataMissingError(f"{dataset} file {Path(error.filename).name} is not in {data_dir() / dataset}: "
                               f"run `make data{'' if dataset == 'mnist' else f' DATASET={dataset}'}` to fetch "
                               "and verify it (or set MNIST_DATA_DIR to the folder that holds it)") from None
    images, labels = (parse_idx(content, name) for content, name in zip(raw, names))
    if len(images) != len(labels):
        raise ValueError(f"{dataset} {split}: {len(images)} images but {len(labels)} labels")
    return (images.reshape(len(images), -1) if flatten else images), labels


def _check_n(n: int, available: int, what: str) -> int:
    if not isinstance(n, (int, np.integer)) or not 0 < n <= available:
        raise ValueError(f"{what}={n!r} must be an integer in 1..{available}")
    return int(n)


def first_n(x: np.ndarray, y: np.ndarray, n: int):
    """The first ``n`` examples (the regression reports' training subset)."""
    n = _check_n(n, len(x), "n")
    return x[:n], y[:n]


def last_n(x: np.ndarray, y: np.ndarray, n: int):
    """The last ``n`` examples (the regression reports' test subset)."""
    n = _check_n(n, len(x), "n")
    return x[-n:], y[-n:]


def digit_pair(x: np.ndarray, y: np.ndarray, positive: int, negative: int):
    """Examples of two digits only; targets uint8 1 for ``positive``, 0 for ``negative``."""
    if positive == negative or not {positive, negative} <= set(range(10)):
        raise ValueError(f"digit pair ({positive}, {negative}) must be two different digits 0-9")
    keep = (y == positive) | (y == negative)
    return x[keep], (y[keep] == positive).astype(np.uint8)


def holdout_split(x, y, how: str = "first", fraction: float = 0.1, rng: np.random.Generator | None = None):
    """Split into (train x, train y, holdout x, holdout y).

    ``"first"``: the first ``fraction`` of the examples are the hold-out set (round(fraction·n)).
    ``"first-listing"``: Zhu & Guo's logistic listing: the first k = int(fraction·n) are held
    out and the training set is examples k+1 .. n-2 (example k skipped, the last one dropped).
    ``"shuffle"``: a random ``fraction`` drawn with ``rng`` (required; the rest keep their order).
    (``"next"``, the N images right after the training subset, is done by ``prepare``
    because it needs the full training set.)
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction={fraction!r} must be strictly between 0 and 1")
    n_hold = int(round(fraction * len(x)))
    if how == "first":
        hold, train = np.arange(n_hold), np.arange(n_hold, len(x))
    elif how == "first-listing":
        k = int(fraction * len(x))
        hold, train = np.arange(k), np.arange(k + 1, len(x) - 1)
    elif how == "shuffle":
        if not isinstance(rng, np.random.Generator):
            raise ValueError("holdout 'shuffle' needs rng=np.random.default_rng(seed)")
        order = rng.permutation(len(x))
        hold, train = order[:n_hold], order[n_hold:]
    else:
        raise ValueError(f"how={how!r}: choose 'first', 'first-listing' or 'shuffle' ('next' is handled by prepare)")
    return x[train], y[train], x[hold], y[hold]


def normalise(train: np.ndarray, *others: np.ndarray, method: str = "255", dtype=np.float32):
    """Scale uint8 pixels; statistics for ``"dataset-z"`` come from ``train`` only.

    Returns a list: the normalised ``train`` followed by each of ``others``.
    A constant image under ``"image-z"`` (std 0) is only centred, not divided.
    """
    arrays = [np.asarray(a, dtype=np.float64) / 255.0 for a in (train, *others)]
    if method == "255":
        pass
    elif method == "image-z":
        for a in arrays:
            flat = a.reshape(len(a), -1)
            std = flat.std(axis=1, keepdims=True)
            flat -= flat.mean(axis=1, keepdims=True)
            flat /= np.where(std > 0, std, 1.0)
    elif method == "dataset-z":
        mean, std = arrays[0].mean(), arrays[0].std()
        arrays = [(a - mean) / std for a in arrays]
    else:
        raise ValueError(f"normalisation {method!r} unknown; choose one of {NORMALISATIONS}")
    return [a.astype(dtype, copy=False) for a in arrays]


def add_bias(x: np.ndarray, position: str = "first") -> np.ndarray:
    """Append a constant-1 column, (N, D) -> (N, D+1), as column 0 or as the last column."""
    if position not in ("first", "last"):
        raise ValueError(f"bias position {position!r}: choose 'first' or 'last'")
    ones = np.ones((len(x), 1), dtype=x.dtype)
    return np.hstack([ones, x] if position == "first" else [x, ones])


def one_hot(labels: np.ndarray, classes: int = 10, dtype=np.float32) -> np.ndarray:
    """(N,) integer labels -> (N, classes) with a single 1 per row."""
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"labels must lie in 0..{classes - 1}, got {labels.min()}..{labels.max()}")
    out = np.zeros((len(labels), classes), dtype=dtype)
    out[np.arange(len(labels)), labels] = 1
    return out


class Splits(NamedTuple):
    """Normalised (N, 784) float inputs and integer labels for train / holdout / test."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_holdout: np.ndarray
    y_holdout: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def prepare(dataset="mnist", digits=None, n_train=None, n_test=None, holdout="first",
            holdout_size=0.1, normalisation="255", rng=None, dtype=np.float32,
            holdout_gap=0, test_select="last") -> Splits:
    """One call from the raw files to the arrays an experiment trains on.

    ``digits``: None for all ten classes, or a pair (positive, negative) -> 1/0 targets.
    ``n_train``: the first N training images (None: all).
    ``holdout``: ``"first"`` or ``"shuffle"`` with ``holdout_size`` a fraction, or
    ``"next"`` with ``holdout_size`` the number of images right after the training subset,
    after skipping ``holdout_gap`` images (Aagaard's ``X_train[20001:22001]`` after
    ``X_train[:20000]``: gap 1). A gap with another hold-out mode is an error.
    ``n_test`` / ``test_select``: ``"last"``: the last N test images (None: all), then the
    digit pair; ``"pair-first"``: the pair's images in the full test set, the first N of
    them (Zhu & Guo's logistic code). Otherwise digit filtering happens after the subsets
    are cut, as in the reports.
    """
    def select(x, y):  # digit filtering comes after the subsets are cut, as in the reports
        return (x, y) if digits is None else digit_pair(x, y, *digits)

    if test_select not in TEST_SELECTIONS:
        raise ValueError(f"test_select={test_select!r}: choose one of {TEST_SELECTIONS}")
    if test_select == "pair-first" and digits is None:
        raise ValueError("test_select='pair-first' needs a digit pair")
    if not isinstance(holdout_gap, (int, np.integer)) or holdout_gap < 0:
        raise ValueError(f"holdout_gap={holdout_gap!r} must be a non-negative integer")
    if holdout_gap and holdout != "next":
        raise ValueError(f"holdout_gap={holdout_gap!r} only applies to holdout 'next', not {holdout!r}")
    x_all, y_all = load(dataset, "train", flatten=True)
    x_test, y_test = load(dataset, "test", flatten=True)
    n_train = len(x_all) if n_train is None else n_train
    x_tr, y_tr = first_n(x_all, y_all, n_train)
    if holdout == "next":
        start = n_train + int(holdout_gap)
        n_hold = _check_n(holdout_size, len(x_all) - start, "holdout_size")
        x_tr, y_tr = select(x_tr, y_tr)
        x_hold, y_hold = select(x_all[start:start + n_hold], y_all[start:start + n_hold])
    else:  # the hold-out fraction is taken from the *filtered* training subset
        x_tr, y_tr, x_hold, y_hold = holdout_split(*select(x_tr, y_tr), holdout, holdout_size, rng)
    if test_select == "pair-first":
        x_test, y_test = select(x_test, y_test)
        if n_test:
            x_test, y_test = first_n(x_test, y_test, n_test)
    else:
        x_test, y_test = select(*(last_n(x_test, y_test, n_test) if n_test else (x_test, y_test)))
    xs = normalise(x_tr, x_hold, x_test, method=normalisation, dtype=dtype)
    return Splits(xs[0], y_tr, xs[1], y_hold, xs[2], y_test)
