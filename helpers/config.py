"""One validated configuration for every experiment.

Interface: ``Config(**fields)`` (lists are taken for tuples and numpy scalars for numbers)
or ``Config.from_dict(mapping)`` (which also casts what YAML and papermill deliver: numeric
strings such as "1e-3"), and ``config.to_dict()`` / ``config.digest()`` for saving beside
the results. Unknown keys, wrong types, non-finite numbers and out-of-range values raise
ValueError naming the field and what it takes.

Fields added after the first results were saved (``NEW_FIELD_DEFAULTS``) default to the
behaviour from before they existed, and ``digest()`` leaves them out while they hold
that default: an old configuration keeps its digest, its results and its bits.
"""
from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
from dataclasses import dataclass

import numpy as np

from . import activations, optim
from .data import HOLDOUTS, NORMALISATIONS, TEST_SELECTIONS
from .fetch import DIGESTS
from .models import BIASES, INITS, REDUCTIONS

MODELS = ("logistic", "softmax", "mlp")
RESTORES = (None, "best", "last", "back2")
MONITORS = ("holdout_loss", "holdout_acc", "holdout_objective", "holdout_penalised")


@dataclass(frozen=True)
class Config:
    # --- data (SPEC "Data") ---
    dataset: str = "mnist"              # "mnist" or "fashion-mnist": same files, same code
    digits: tuple | None = None         # (positive, negative) -> targets 1/0 for logistic; None: 10 classes
    n_train: int | None = None          # the first N training images (None: all 60,000)
    n_test: int | None = None           # N test images, chosen by test_select (None: all 10,000)
    test_select: str = "last"           # "last": the last n_test test images, then the digit pair;
                                        # "pair-first": the pair's images in the full test set, the
                                        # first n_test of them (Zhu & Guo's logistic code; needs digits)
    holdout: str = "shuffle"            # "first" fraction, "next" N images after the subset, "shuffle" seeded,
                                        # "first-listing" as Zhu & Guo's logistic listing (data.holdout_split)
    holdout_size: float = 0.2           # a fraction for first/shuffle, an image count for next
    holdout_gap: int = 0                # holdout "next" only: images skipped between the training subset
                                        # and the hold-out ones (Aagaard's X_train[20001:22001]: gap 1)
    split_seed: int = 0                 # seed of the shuffled hold-out split (fixed across training seeds)
    normalisation: str = "255"          # "255", "image-z" or "dataset-z"
    # --- model ---
    model: str = "mlp"                  # "logistic" (sigmoid, 2 digits), "softmax" or "mlp"
    hidden: tuple = (128,)              # hidden widths of the mlp
    activation: str = "tanh"            # hidden activation (activations.ACTIVATIONS)
    init: str = "xavier"                # "zeros", "normal" N(0,1), "xavier" N(0,1/fan_in), "he" N(0,2/fan_in)
    bias: str = "separate"              # "separate": b starts at 0, penalised only if penalise_bias;
                                        # "input": b is the weight of a constant-1 input (Aagaard, Zhu & Guo):
                                        # initialised with W by `init` (fan_in counts that input) and covered
                                        # by the L1/L2 penalty and by weight_norm like any weight. No extra
                                        # column is built: x·W + b *is* [1, x]·[b; W] (models.Network.init)
    bias_input: float = 1.0             # bias "input" only: the value c of that constant input, x·W + c·b
                                        # (Zhu & Guo's softmax code prepends 1 before dividing by 255: 1/255)
    dtype: str = "float32"              # training precision: "float32" (fast) or "float64"
    # --- objective ---
    reduction: str = "mean"             # data term as "mean" or "sum" over the batch
    l1: float = 0.0                     # λ1 in λ1 Σ|W|   (gradient λ1 sign W)
    l2: float = 0.0                     # λ2 in λ2 ΣW²    (gradient 2 λ2 W, or λ2 W: see l2_gradient)
    l2_gradient: str = "2lw"            # "2lw": the course's λΣw² -> 2λw; "lw": one report's λw
    penalise_bias: bool = False         # also penalise biases (implied by bias "input")
    # --- optimisation ---
    optimizer: str = "sgd"              # "sgd", "momentum" (v ← γv − η∇) or "averaged" (Δw ← γΔw + (1−γ)η∇)
    lr: float = 0.01                    # η0
    momentum: float = 0.0               # γ, in [0, 1)
    batch_size: int | None = 128        # mini-batch size; None: full-batch gradient descent
    shuffle: bool = True                # reshuffle the batches every epoch (seeded); False: batches taken
                                        # in order, never shuffled (Aagaard)
    epochs: int = 10                    # maximum number of epochs
    anneal_T: float | None = None       # η(t) = η0 / (1 + t/T); None: constant η0
    anneal_per: str = "step"            # t counts "step"s or "epoch"s
    # --- early stopping ---
    early_stopping: str | None = None   # None; "best": `patience` epochs without a new best;
                                        # "rise": the metric worsens `patience` epochs in a row;
                                        # "converged": |metric(e) - metric(e-1)| < `min_delta` (a named
                                        # "until converged" rule, not a report's stop; returns the last weights)
    min_delta: float | None = None      # early_stopping "converged" only: the change counted as none
    stop_after: int = 0                 # the stop is checked only once more than this many monitored values
                                        # are recorded, epoch 0 (the start) included (Zhu & Guo's listing: 3)
    monitor: str = "holdout_loss"       # "holdout_loss", "holdout_acc", "holdout_objective" (the training
                                        # objective on the hold-out set: its data term reduced as `reduction`
                                        # plus the penalty) or "holdout_penalised" (the mean hold-out
                                        # cross-entropy + λ1Σ|W| + λ2ΣW², whatever `reduction` and
                                        # `l2_gradient`: Aagaard's cross_entropy_loss(Y_val, ..., l));
                                        # lower loss / higher accuracy is better;
                                        # "rise" counts epochs *worse* than the previous one: a falling accuracy)
    patience: int = 3                   # epochs, see early_stopping (1: stop at the first worse epoch)
    restore: str | None = None          # the weights fit returns: None: the best monitored epoch's with early
                                        # stopping, the last epoch's without; "best": the best monitored
                                        # epoch's, also without early stopping; "last": the final weights;
                                        # "back2": those of two epochs before the last epoch run (Zhu & Guo's
                                        # logistic code). Final metrics measure the returned weights
    # --- bookkeeping ---
    seed: int = 0                       # seeds initialisation and batch order: same seed, same bits
    eval_every: int | None = None       # also record metrics every k steps (None: per epoch only)
    progress: bool = True               # show a tqdm progress bar

    def __post_init__(self):
        for field in dataclasses.fields(self):     # what the messages promise: [128] for (128,), np.int64(3) for 3
            value = getattr(self, field.name)
            plain = _plain(value)
            if plain is not value:
                object.__setattr__(self, field.name, plain)
        _check(self)

    @classmethod
    def from_dict(cls, values: dict) -> "Config":
        """Build from a mapping, rejecting unknown keys and casting YAML/papermill values."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = [k for k in values if k not in known]
        if unknown:
            hints = [f"{k!r} (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(k, known, 1, cutoff=0.5))
                     else repr(k) for k in unknown]
            raise ValueError(f"unknown configuration key(s): {', '.join(hints)}; "
                             f"valid keys: {', '.join(known)}")
        return cls(**{k: _cast(known[k], v) for k, v in values.items()})

    def replace(self, **changes) -> "Config":
        return Config.from_dict({**self.to_dict(), **changes})

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    def digest(self) -> str:
        """Short sha256 of the canonical JSON of the configuration.

        Fields of ``NEW_FIELD_DEFAULTS`` are left out while they hold that default, so
        every configuration written before they existed keeps its digest.
        """
        values = {k: v for k, v in self.to_dict().items()
                  if not (k in NEW_FIELD_DEFAULTS and v == NEW_FIELD_DEFAULTS[k])}
        text = json.dumps(values, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


# Fields added later, with the default that reproduces the behaviour from before them.
NEW_FIELD_DEFAULTS = {"test_select": "last", "holdout_gap": 0, "bias": "separate", "shuffle": True,
                      "restore": None, "bias_input": 1.0, "min_delta": None, "stop_after": 0}


def _plain(value):
    """Lists as tuples, numpy scalars as the Python numbers they hold; anything else unchanged (same object)."""
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _cast(spec: dataclasses.Field, value):
    """Numeric strings to numbers for float fields; lists to tuples."""
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, str) and "float" in str(spec.type):
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"{spec.name}={value!r} is not a number") from None
    return value


def _need(ok: bool, name: str, value, what: str) -> None:
    if not ok:
        raise ValueError(f"{name}={value!r}: {what}")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _one_of(c: Config, name: str, choices) -> None:
    value = getattr(c, name)
    _need(value in choices, name, value, f"choose one of {list(choices)}")


def _check(c: Config) -> None:
    for name in ("lr", "l1", "l2", "momentum", "anneal_T", "holdout_size", "bias_input", "min_delta"):  # first: NaN fails every test below
        value = getattr(c, name)
        _need(not (_is_num(value) and not math.isfinite(value)), name, value,
              "must be a finite number (inf and nan are not settings)")
    _one_of(c, "dataset", DIGESTS)
    _one_of(c, "holdout", HOLDOUTS)
    _one_of(c, "normalisation", NORMALISATIONS)
    _one_of(c, "model", MODELS)
    _one_of(c, "init", INITS)
    _one_of(c, "dtype", ("float32", "float64"))
    _one_of(c, "reduction", REDUCTIONS)
    _one_of(c, "l2_gradient", ("2lw", "lw"))
    _one_of(c, "optimizer", optim.OPTIMIZERS)
    _one_of(c, "anneal_per", ("step", "epoch"))
    _one_of(c, "early_stopping", (None, "best", "rise", "converged"))
    _one_of(c, "monitor", MONITORS)
    _one_of(c, "bias", BIASES)
    _one_of(c, "test_select", TEST_SELECTIONS)
    _one_of(c, "restore", RESTORES)
    activations.get(c.activation)
    if c.model == "logistic":
        _need(c.digits is not None, "digits", c.digits, "logistic regression needs a digit pair, e.g. [2, 3]")
    if c.digits is not None:
        _need(isinstance(c.digits, tuple) and len(c.digits) == 2 and all(_is_int(d) and 0 <= d <= 9 for d in c.digits)
              and c.digits[0] != c.digits[1], "digits", c.digits, "a pair of two different digits 0-9")
        _need(c.model == "logistic", "model", c.model, "a digit pair goes with model 'logistic'")
    _need(isinstance(c.hidden, tuple) and len(c.hidden) >= 1 and all(_is_int(h) and h >= 1 for h in c.hidden),
          "hidden", c.hidden, "a non-empty list of positive layer widths")
    for name in ("n_train", "n_test", "batch_size", "eval_every"):
        value = getattr(c, name)
        _need(value is None or (_is_int(value) and value >= 1), name, value, "a positive integer or null")
    _need(_is_int(c.epochs) and c.epochs >= 1, "epochs", c.epochs, "a positive integer")
    _need(_is_int(c.patience) and c.patience >= 1, "patience", c.patience, "a positive integer")
    _need(_is_int(c.seed) and c.seed >= 0, "seed", c.seed, "a non-negative integer")
    _need(_is_int(c.split_seed) and c.split_seed >= 0, "split_seed", c.split_seed, "a non-negative integer")
    _need(_is_num(c.lr) and c.lr > 0, "lr", c.lr, "the learning rate must be a number > 0")
    _need(_is_num(c.momentum) and 0 <= c.momentum < 1, "momentum", c.momentum, "γ must be in [0, 1)")
    for name in ("l1", "l2"):
        value = getattr(c, name)
        _need(_is_num(value) and value >= 0, name, value, "a penalty weight must be a number >= 0")
    _need(c.anneal_T is None or (_is_num(c.anneal_T) and c.anneal_T > 0), "anneal_T", c.anneal_T,
          "a number > 0 or null")
    _need(_is_num(c.holdout_size) and c.holdout_size > 0, "holdout_size", c.holdout_size, "a number > 0")
    if c.holdout == "next":
        _need(_is_int(c.holdout_size) or float(c.holdout_size).is_integer(), "holdout_size", c.holdout_size,
              "with holdout 'next' an image count")
    else:
        _need(c.holdout_size < 1, "holdout_size", c.holdout_size, "with holdout 'first'/'shuffle' a fraction in (0, 1)")
    _need(_is_int(c.holdout_gap) and c.holdout_gap >= 0, "holdout_gap", c.holdout_gap, "a non-negative integer")
    _need(c.holdout_gap == 0 or c.holdout == "next", "holdout_gap", c.holdout_gap,
          f"a gap only applies to holdout 'next' (images skipped after the training subset), not {c.holdout!r}")
    _need(c.test_select == "last" or c.digits is not None, "test_select", c.test_select,
          "'pair-first' picks a digit pair's images: set digits, or use 'last'")
    _need(_is_num(c.bias_input) and c.bias_input > 0, "bias_input", c.bias_input, "the constant input must be > 0")
    _need(c.bias_input == 1.0 or c.bias == "input", "bias_input", c.bias_input,
          f"a constant input's value only applies to bias 'input', not {c.bias!r}")
    _need((c.early_stopping == "converged") == (c.min_delta is not None), "min_delta", c.min_delta,
          "early_stopping 'converged' needs a min_delta > 0, and a min_delta needs early_stopping 'converged'")
    _need(c.min_delta is None or (_is_num(c.min_delta) and c.min_delta > 0), "min_delta", c.min_delta, "a number > 0")
    _need(_is_int(c.stop_after) and c.stop_after >= 0, "stop_after", c.stop_after, "a non-negative integer")
    for name in ("penalise_bias", "progress", "shuffle"):
        _need(isinstance(getattr(c, name), bool), name, getattr(c, name), "true or false")
