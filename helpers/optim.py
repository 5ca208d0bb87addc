"""Update rules and the learning-rate schedule.

Interface: every rule is ``update(w, dw, state, lr, gamma) -> (w, state)``: it updates the
parameter array ``w`` *in place* and returns it, with its per-array ``state`` (None at the
first step). It may overwrite ``dw`` (the training loop's gradient buffer) to avoid
temporaries. The training loop has the model return η∇E already (``grad_scale``) and
passes lr=1, which the rules skip, saving one pass over each array.

    sgd        w ← w − η ∇E
    momentum   v ← γ v − η ∇E,            w ← w + v          (classic; v starts at 0)
    averaged   Δw ← γ Δw + (1 − γ) η ∇E,  w ← w − Δw         (the other report's form)

Schedule: η(t) = η0 / (1 + t/T), t counted in steps or in epochs from 0; T = None keeps η0.
"""
from __future__ import annotations

import numpy as np


def sgd(w, dw, state, lr, gamma):
    if lr != 1:
        dw *= lr
    w -= dw
    return w, state


def momentum(w, dw, state, lr, gamma):
    v = np.zeros_like(w) if state is None else state
    v *= gamma
    if lr != 1:
        dw *= lr
    v -= dw
    w += v
    return w, v


def averaged(w, dw, state, lr, gamma):
    step = np.zeros_like(w) if state is None else state
    step *= gamma
    dw *= (1 - gamma) * lr
    step += dw
    w -= step
    return w, step


OPTIMIZERS = {"sgd": sgd, "momentum": momentum, "averaged": averaged}


def get(name: str):
    try:
        return OPTIMIZERS[name]
    except KeyError:
        raise ValueError(f"optimizer={name!r} is not known; choose one of {sorted(OPTIMIZERS)}") from None


def learning_rate(lr0: float, t: int, anneal_T: float | None) -> float:
    """η0 / (1 + t/T), or η0 when ``anneal_T`` is None."""
    return lr0 if anneal_T is None else lr0 / (1 + t / anneal_T)
