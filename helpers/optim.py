"""Update rules and the learning-rate schedule.

Interface: every rule is ``update(w, dw, state, lr, gamma) -> (w, state)``: it updates the
parameter array ``w`` *in place* and returns it, with its per-array ``state`` (None at the
first step). It may overwrite ``dw`` (the training loop's gradient buffer) to avoid
temporaries. The training loop has the model return η∇E already (``grad_scale``) and
passes lr=1, which the rules skip, saving one pass over each array.

    sgd        w ← w − η ∇E
    momentum   v ← γ v − η ∇E,            w ← w + v          (classic; v starts at 0)
    averaged   Δw ← γ Δw + (1 − γ) η ∇E,  w ← w − Δw         (the other report's form)
    adam       m ← β1 m + (1 − β1) ∇E,  v ← β2 v + (1 − β2) ∇E²,  after k steps
               w ← w − η m̂ / (√v̂ + ε),  m̂ = m / (1 − β1^k),  v̂ = v / (1 − β2^k)
    adamw      adam, and first w ← w − η λ_wd w (decoupled weight decay, not a penalty in ∇E)
Adam and AdamW are handed ∇E and η (``ADAPTIVE``); ``for_config`` says which a configuration uses.

Schedules (``learning_rate``), t counted in steps or in epochs from 0; a linear warm-up first when
asked: η(t) = η0 (t + 1) / W for t < W, then
    inverse    η(t) = η0 / (1 + t/T)             (T = None keeps η0: the reports' rule)
    step       η(t) = η0 · drop^⌊t/T⌋            (drop 0.1 unless set)
    cosine     η(t) = η0 (1 + cos(π (t − W) / (total − W))) / 2, reaching 0 at the epoch cap
"""
from __future__ import annotations

import functools
import math

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


def adam(w, dw, state, lr, gamma, beta2=0.999, eps=1e-8, weight_decay=0.0):
    """Adam (γ = β1) on the gradient ``dw`` = ∇E (not η∇E); ``weight_decay`` > 0: AdamW's decoupled decay."""
    if state is None:
        state = (np.zeros_like(w), np.zeros_like(w), 0)
    m, v, k = state
    k += 1
    m *= gamma
    m += (1 - gamma) * dw
    v *= beta2
    dw *= dw
    v += (1 - beta2) * dw
    # η m̂ / (√v̂ + ε) with m̂ = m / (1 − β1^k), v̂ = v / (1 − β2^k), computed in dw (the loop's buffer)
    np.sqrt(v, out=dw)
    dw *= 1 / math.sqrt(1 - beta2 ** k)
    dw += eps
    np.divide(m, dw, out=dw)
    dw *= lr / (1 - gamma ** k)
    if weight_decay:
        w -= (lr * weight_decay) * w
    w -= dw
    return w, (m, v, k)


OPTIMIZERS = {"sgd": sgd, "momentum": momentum, "averaged": averaged, "adam": adam, "adamw": adam}
ADAPTIVE = ("adam", "adamw")     # rules handed ∇E and η (the others: η∇E and 1)


def rule(name: str, beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 0.0):
    """The update rule ``name`` with its extra hyper-parameters bound (Adam's β2, ε; AdamW's λ_wd)."""
    update = get(name)
    if name not in ADAPTIVE:
        return update
    return functools.partial(update, beta2=beta2, eps=eps, weight_decay=weight_decay if name == "adamw" else 0.0)


def get(name: str):
    try:
        return OPTIMIZERS[name]
    except KeyError:
        raise ValueError(f"optimizer={name!r} is not known; choose one of {sorted(OPTIMIZERS)}") from None


SCHEDULES = ("inverse", "step", "cosine")


def learning_rate(lr0: float, t: int, anneal_T: float | None, schedule: str = "inverse", total: int = 0,
                  warmup: int = 0, drop: float = 0.1) -> float:
    """η(t) of ``schedule`` (the module docstring); the defaults give η0 / (1 + t/T), or η0 when
    ``anneal_T`` is None."""
    if t < warmup:
        return lr0 * (t + 1) / warmup
    if schedule == "cosine":
        return lr0 * 0.5 * (1 + math.cos(math.pi * min(t - warmup, total - warmup) / max(total - warmup, 1)))
    if anneal_T is None:
        return lr0
    if schedule == "step":
        return lr0 * drop ** math.floor(t / anneal_T)
    return lr0 / (1 + t / anneal_T)


def for_config(config):
    """(update rule, adaptive, γ) of a configuration (config.Config): Adam/AdamW (``ADAPTIVE``) take
    ∇E and η with γ = β1; the others η∇E and 1 with γ = ``momentum``."""
    adaptive = config.optimizer in ADAPTIVE
    update = rule(config.optimizer, config.beta2, config.adam_eps, config.weight_decay)
    return update, adaptive, config.beta1 if adaptive else config.momentum


def schedule(config, steps_per_epoch: int):
    """t -> η(t) as a configuration asks (``learning_rate``; cosine ends at its epoch cap, counted in
    ``anneal_per`` units: epochs x ``steps_per_epoch`` steps, or epochs)."""
    total = config.epochs * (steps_per_epoch if config.anneal_per == "step" else 1)
    return functools.partial(learning_rate, config.lr, anneal_T=config.anneal_T, schedule=config.schedule,
                             total=total, warmup=config.warmup, drop=config.lr_drop)
