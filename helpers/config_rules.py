"""The rules a configuration must satisfy, checked once when a Config is made (config.py).

Interface: ``check(config)`` raises ValueError naming the field, its value and what it takes;
``MODELS``, ``RESTORES``, ``MONITORS``: the choices of those fields (the others come from the
module that implements them: activations, optim, models, data, mnist).
"""
from __future__ import annotations

import math

from . import activations, optim
from .data import HOLDOUTS, NORMALISATIONS, TEST_SELECTIONS
from .mnist import DIGESTS
from .models import BIASES, INITS, REDUCTIONS

MODELS = ("logistic", "softmax", "mlp")
RESTORES = (None, "best", "last", "back2")
MONITORS = ("holdout_loss", "holdout_acc", "holdout_objective", "holdout_penalised")


def _need(ok: bool, name: str, value, what: str) -> None:
    if not ok:
        raise ValueError(f"{name}={value!r}: {what}")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _one_of(c, name: str, choices) -> None:
    value = getattr(c, name)
    _need(value in choices, name, value, f"choose one of {list(choices)}")


def check(c) -> None:
    for name in ("lr", "l1", "l2", "momentum", "anneal_T", "holdout_size", "bias_input", "min_delta",
                 "beta1", "beta2", "adam_eps", "weight_decay", "lr_drop"):  # first: NaN fails every test below
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
    _check_adam_and_schedule(c)
    for name in ("penalise_bias", "progress", "shuffle"):
        _need(isinstance(getattr(c, name), bool), name, getattr(c, name), "true or false")


def _check_adam_and_schedule(c) -> None:
    """Issue 27's fields: Adam's moments, AdamW's decay, the step/cosine schedules and the warm-up."""
    for name in ("beta1", "beta2"):
        value = getattr(c, name)
        _need(_is_num(value) and 0 <= value < 1, name, value, "a moment's decay must be in [0, 1)")
    _need(_is_num(c.adam_eps) and c.adam_eps > 0, "adam_eps", c.adam_eps, "a number > 0")
    _need(_is_num(c.weight_decay) and c.weight_decay >= 0, "weight_decay", c.weight_decay, "a number >= 0")
    _need(c.weight_decay == 0 or c.optimizer == "adamw", "weight_decay", c.weight_decay,
          f"decoupled weight decay goes with optimizer 'adamw', not {c.optimizer!r} (an L2 penalty is l2)")
    _one_of(c, "schedule", optim.SCHEDULES)
    _need(c.schedule != "step" or c.anneal_T is not None, "anneal_T", c.anneal_T,
          "schedule 'step' drops η every anneal_T steps/epochs: give a number > 0")
    _need(c.schedule != "cosine" or c.anneal_T is None, "anneal_T", c.anneal_T,
          "schedule 'cosine' runs to the epoch cap and takes no anneal_T: set it to null")
    _need(_is_num(c.lr_drop) and 0 < c.lr_drop < 1, "lr_drop", c.lr_drop, "a factor in (0, 1)")
    _need(_is_int(c.warmup) and c.warmup >= 0, "warmup", c.warmup, "a non-negative integer (steps or epochs)")
