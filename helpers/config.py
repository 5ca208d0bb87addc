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
from dataclasses import dataclass

import numpy as np

from .config_rules import check


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
    optimizer: str = "sgd"              # "sgd", "momentum" (v ← γv − η∇), "averaged" (Δw ← γΔw + (1−γ)η∇),
                                        # "adam" or "adamw" (its decoupled weight_decay; below)
    lr: float = 0.01                    # η0
    momentum: float = 0.0               # γ, in [0, 1)
    batch_size: int | None = 128        # mini-batch size; None: full-batch gradient descent
    shuffle: bool = True                # reshuffle the batches every epoch (seeded); False: batches taken
                                        # in order, never shuffled (Aagaard)
    epochs: int = 10                    # maximum number of epochs
    anneal_T: float | None = None       # η(t) = η0 / (1 + t/T); None: constant η0
    anneal_per: str = "step"            # t counts "step"s or "epoch"s
    # --- optimisation beyond the reports (issue 27; optim.py has the formulas) ---
    beta1: float = 0.9                  # adam/adamw: β1, the first moment's decay (their γ)
    beta2: float = 0.999                # adam/adamw: β2, the second moment's decay
    adam_eps: float = 1e-8              # adam/adamw: ε in η m̂ / (√v̂ + ε)
    weight_decay: float = 0.0           # adamw only: λ_wd, decoupled: w ← w − η (… + λ_wd w)
    schedule: str = "inverse"           # η(t): "inverse" η0/(1 + t/T) (T None: constant), "step" η0·drop^⌊t/T⌋,
                                        # "cosine" to 0 at the epoch cap; t in anneal_per units
    lr_drop: float = 0.1                # schedule "step": the factor d applied every anneal_T
    warmup: int = 0                     # linear warm-up over this many steps/epochs (anneal_per) first
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
    progress: bool = True               # the pipeline shows this fit's progress (fit itself prints nothing)

    def __post_init__(self):
        for field in dataclasses.fields(self):     # what the messages promise: [128] for (128,), np.int64(3) for 3
            value = getattr(self, field.name)
            plain = _plain(value)
            if plain is not value:
                object.__setattr__(self, field.name, plain)
        check(self)

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
NEW_FIELD_DEFAULTS.update({"beta1": 0.9, "beta2": 0.999, "adam_eps": 1e-8, "weight_decay": 0.0,   # issue 27
                           "schedule": "inverse", "lr_drop": 0.1, "warmup": 0})


def _plain(value):
    """Lists as tuples, numpy scalars as the Python numbers they hold; anything else unchanged (same object)."""
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def number_from_text(value):
    """The one text-to-number cast: YAML and papermill deliver 1e-3 as the string "1e-3"; a number in a
    string becomes a float, any other value (other text included) is returned unchanged."""
    try:
        return float(value) if isinstance(value, str) else value
    except ValueError:
        return value


FLOAT_FIELDS = {f.name for f in dataclasses.fields(Config) if "float" in str(f.type)}


def _cast(spec: dataclasses.Field, value):
    """Numeric strings to numbers for float fields (number_from_text); lists to tuples."""
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, str) and spec.name in FLOAT_FIELDS:
        number = number_from_text(value)
        if isinstance(number, str):
            raise ValueError(f"{spec.name}={value!r} is not a number")
        return number
    return value
