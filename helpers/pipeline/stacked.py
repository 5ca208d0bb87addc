"""Linear fits that share their data, trained as one array program: ``fit`` for many at once.

Interface:
    stack_key(config)                         # None: this fit trains alone; equal keys: may train together
    results = fit_stacked(configs, splits)    # [Result per config]: what [fit(c, splits) for c in configs] gives

F logistic (K = 1) or softmax (K = 10) fits on the same images hold their weights as the column
blocks of one matrix, W = [W_1 | ... | W_F] (D, F·K), so every update is one product for all:

    Z = X W + c [b_1 | ... | b_F]         (N, F·K): fit f's logits are its K columns Z_f
    Δ_f = (η_f(t) / N) ∂E_f/∂Z_f           each fit's own loss, learning rate and schedule
    G = Xᵀ [Δ_1 | ... | Δ_F]               (D, F·K): every fit's η∇W in one product

then, fit by fit, exactly what ``train.fit`` does: its bias gradient, its penalty (λ1, λ2), its
update rule (SGD, momentum, averaged momentum, or Adam/AdamW, which take ∇E, so their Δ_f carries 1/N
and their η goes to the rule), its schedule (inverse, step or cosine, with warm-up), its history row
and its early stop. The hold-out and test metrics after each epoch
come from one product per split too. A fit that has stopped is frozen: its columns stay in W
(no update, no record), so the products of the others keep their shape; it is never dropped.

Each fit's numbers do not depend on the company it trains in: a column of a matrix-matrix product
is the same sum whatever the other columns (a lone sigmoid column is computed beside a zero column,
so that its products are matrix-matrix ones too), and everything else is done fit by fit. Against
``fit`` alone they agree to rounding (within 1e-12 in float64; tests/test_stacked.py).

Fits may train together when they read the same arrays and draw the same batches at every step
(``stack_key``): the same data settings, model, bias scheme and batch size, and, when shuffled
mini-batches are drawn, the same seed (hence the same permutations); no ``eval_every``.
"""
from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from .. import data, optim
from ..config import Config
from ..history import SPLIT_NAMES, DivergenceError, Recorder, scores, weight_norm
from ..losses import OUTPUTS
from ..stopping import Keeper
from ..train import SWEEP_SHARED, Result, _check_finite, build_model


# The Config fields and choices this trainer implements as train.fit does: a configuration using any
# other field (one added later) away from its default, or another choice, trains alone (train.fit).
HANDLED = frozenset(("dataset", "digits", "n_train", "n_test", "test_select", "holdout", "holdout_size",
                    "holdout_gap", "split_seed", "normalisation", "model", "hidden", "activation", "init",
                    "bias", "bias_input", "dtype", "reduction", "l1", "l2", "l2_gradient", "penalise_bias",
                    "optimizer", "lr", "momentum", "batch_size", "shuffle", "epochs", "anneal_T",
                    "anneal_per", "early_stopping", "min_delta", "stop_after", "monitor", "patience",
                    "restore", "seed", "eval_every", "progress", "schedule", "warmup", "lr_drop", "beta1",
                    "beta2", "adam_eps", "weight_decay"))
CHOICES = {"optimizer": ("sgd", "momentum", "averaged", "adam", "adamw"), "restore": (None, "best", "last", "back2"),
           "schedule": ("inverse", "step", "cosine"),
           "early_stopping": (None, "best", "rise", "converged"), "anneal_per": ("step", "epoch")}


# Mini-batches smaller than this train alone: each step's per-fit work (its loss, penalty and update on
# strided column views) then outweighs the shared product. Measured here (4 softmax trials of 08_best,
# 10 epochs, float32, one thread; stacked time against one by one): batch 16: momentum 0.78x, Adam 0.57x
# as fast; batch 64: 1.16x, 0.78x; batch 128: 1.53x, 1.20x; batch 256: 1.54x, 1.18x.
MIN_BATCH = 128


def stack_key(config: Config) -> tuple | None:
    """What fits must share to train together (None: a network, ``eval_every``, a mini-batch under
    ``MIN_BATCH`` images, or a field or choice this trainer does not implement: trains alone)."""
    if config.model not in ("logistic", "softmax") or config.eval_every is not None:
        return None
    if config.batch_size is not None and config.batch_size < MIN_BATCH:
        return None
    if any(getattr(config, f.name) != f.default for f in dataclasses.fields(Config) if f.name not in HANDLED) or \
            any(getattr(config, name) not in choices for name, choices in CHOICES.items()):
        return None
    shared = tuple(getattr(config, name) for name in SWEEP_SHARED + ("bias_input", "batch_size", "shuffle"))
    shuffled = config.batch_size is not None and config.shuffle   # each fit's rng draws its batches
    return shared + ((config.seed,) if shuffled else ())


class _Fit:
    """One fit of the stack: its columns of W, its own state, history and stop (train._fit's locals)."""

    def __init__(self, config, model, splits, params, columns, rng, steps_per_epoch):
        self.config, self.params, self.columns, self.rng = config, params, columns, rng
        self.update, self.adaptive, self.gamma = optim.for_config(config)
        self.lr_at = optim.schedule(config, steps_per_epoch)
        self.l2 = config.l2 if config.l2_gradient == "2lw" else config.l2 / 2
        self.penalise_bias = config.penalise_bias or config.bias == "input"
        self.state = dict.fromkeys(params)
        self.record = Recorder(model, splits, config)
        self.step, self.epoch, self.running, self.stop_reason = 0, 0, True, "max_epochs"
        self.rows, self.metrics = {0: 0}, {}

    def lr(self, epoch: int) -> float:
        """η of its next step (``epoch``: the epochs done), as train.run_epoch asks its schedule."""
        return self.lr_at(self.step if self.config.anneal_per == "step" else epoch)


def fit_stacked(configs, splits: data.Splits, on_epoch=None) -> list[Result]:
    """Train ``configs`` (equal ``stack_key``) as one array program; ``on_epoch(fit index, epoch,
    max_epochs)`` after each epoch of each running fit. Each result's ``wall_time`` is its share of
    the program's time (in proportion to the epochs it ran)."""
    started = time.perf_counter()
    configs = list(configs)
    if not configs or len({stack_key(c) for c in configs}) != 1 or stack_key(configs[0]) is None:
        raise ValueError("fit_stacked: the configurations must be linear models with one stack_key")
    c0, dtype = configs[0], np.dtype(configs[0].dtype)
    model = build_model(c0, splits.x_train.shape[1])
    k = model.sizes[-1]
    w_all = np.zeros((model.sizes[0], max(len(configs) * k, 2)), dtype)   # a lone sigmoid column gets a zero neighbour
    b_all = np.zeros(w_all.shape[1], dtype)
    fits, n = [], len(splits.x_train)
    steps_per_epoch = -(-n // (c0.batch_size or n))     # as train._fit counts them (batch_size is in the key)
    for f, config in enumerate(configs):
        rng = np.random.default_rng(config.seed)
        columns = slice(f * k, (f + 1) * k)
        for name, w in model.init(rng, config.init, dtype, bias=config.bias).items():
            (w_all if name == "W1" else b_all)[..., columns] = w
        fits.append(_Fit(config, model, splits, {"W1": w_all[:, columns], "b1": b_all[columns]}, columns, rng,
                         steps_per_epoch))
    x, y = splits.x_train.astype(dtype, copy=False), splits.y_train
    for name in SPLIT_NAMES:
        if len(getattr(splits, f"x_{name}")) or name == "train":
            model.check(fits[0].params, getattr(splits, f"x_{name}"), getattr(splits, f"y_{name}"))
    size = n if c0.batch_size is None else min(c0.batch_size, n)
    reuse = size == n and x is splits.x_train     # train metrics of epoch e from the step of epoch e+1
    pending = ("train",) if reuse else ()
    sets = {name: (getattr(splits, f"x_{name}"), getattr(splits, f"y_{name}")) for name in SPLIT_NAMES}
    _record(model, fits, w_all, b_all, sets, 0, pending)
    keepers = [Keeper(s.config, s.params, s.record.history) for s in fits]
    x_batch = np.empty((size, x.shape[1]), dtype) if size < n and c0.shuffle else None
    deltas = np.zeros((size, w_all.shape[1]), dtype)
    for epoch in range(1, max(c.epochs for c in configs) + 1):
        active = [s for s in fits if s.running]
        if not active:
            break
        orders = [s.rng.permutation(n) for s in active] if x_batch is not None else [None]
        if any(not np.array_equal(o, orders[0]) for o in orders):
            raise ValueError("fit_stacked: these fits do not draw the same batches (see stack_key)")
        for start in range(0, n, size):
            if orders[0] is None:
                xb, yb = x[start:start + size], y[start:start + size]
            else:
                rows = orders[0][start:start + size]
                # mode "clip": rows are a permutation, always in range; "raise" would gather into a temporary first
                xb, yb = np.take(x, rows, axis=0, out=x_batch[:len(rows)], mode="clip"), y[rows]
            _step(model, active, xb, yb, w_all, b_all, deltas[:len(xb)], epoch, start == 0 and reuse)
        for s in active:
            _end_epoch(s, epoch, reuse, y)
        _record(model, active, w_all, b_all, sets, epoch, pending)
        for s, keeper in zip(fits, keepers):
            if s not in active:
                continue
            if on_epoch is not None:
                on_epoch(fits.index(s), epoch, s.config.epochs)
            if keeper.update(epoch, s.params):
                s.running, s.stop_reason = False, "early_stopping"
            elif epoch == s.config.epochs:
                s.running = False
    if reuse:   # the last rows' train metrics: no further step computed them
        z_all = _logits(model, x, w_all, b_all)
        for s in fits:
            s.record.fill(s.rows[s.epoch], "train", *scores(model, z_all[:, s.columns], y))
    seconds, total = time.perf_counter() - started, sum(s.epoch for s in fits)
    return [_result(s, keeper, splits, seconds * s.epoch / total) for s, keeper in zip(fits, keepers)]


def _step(model, active, xb, yb, w_all, b_all, deltas, epoch, keep_metrics) -> None:
    """One update of every running fit on the batch (xb, yb): two products for all of them."""
    z_all = _logits(model, xb, w_all, b_all)
    loss_and_delta, _, predict = OUTPUTS[model.output]
    ones = np.ones(len(xb), xb.dtype)
    grads = []
    for s in active:
        lr, c = s.lr(epoch - 1), s.config
        z = z_all[:, s.columns]
        if keep_metrics:
            s.metrics["predictions"] = predict(z)
        total, delta = loss_and_delta(z, yb)
        if keep_metrics:
            s.metrics["data_total"] = total
        grad_scale = 1.0 if s.adaptive else lr   # Adam/AdamW take ∇E and η; the others η∇E (train.run_epoch)
        scale = grad_scale / len(xb) if c.reduction == "mean" else grad_scale
        total = total / len(xb) if c.reduction == "mean" else total
        if scale != 1:
            delta *= delta.dtype.type(scale)
        deltas[:, s.columns] = delta
        g_b = np.matmul(ones, delta)
        if model.bias_scale != 1:
            g_b *= g_b.dtype.type(model.bias_scale)
        grads.append((s, lr, grad_scale, total, g_b))
    g_all = xb.T @ deltas
    for s, lr, grad_scale, total, g_b in grads:
        g = {"W1": g_all[:, s.columns], "b1": g_b}
        loss = total + model._penalise(s.params, g, s.config.l1, s.l2, s.penalise_bias, grad_scale)
        if not math.isfinite(loss):
            raise DivergenceError(s.config, epoch, s.step + 1, lr, f"the batch loss is {loss}")
        for name in ("W1", "b1"):
            s.params[name], s.state[name] = s.update(s.params[name], g[name], s.state[name],
                                                     lr if s.adaptive else 1.0, s.gamma)
        s.step += 1


def _end_epoch(s: _Fit, epoch: int, reuse: bool, y) -> None:
    """What train._fit does after an epoch's steps: the previous row's train metrics, the finite check."""
    s.epoch = epoch
    if reuse:
        s.record.fill(s.rows[epoch - 1], "train", s.metrics["data_total"] / len(y),
                      float((s.metrics["predictions"] == y).mean()))
    s.last_lr = s.lr_at(s.step - 1 if s.config.anneal_per == "step" else epoch - 1)
    _check_finite(s.config, s.params, epoch, s.step, s.last_lr)


def _record(model, fits, w_all, b_all, sets, epoch, pending) -> None:
    """Each fit's history row of ``epoch``; the splits' logits of all of them from one product per split."""
    logits = {name: _logits(model, x, w_all, b_all) for name, (x, _) in sets.items() if len(x) and name not in pending}
    for s in fits:
        lr = s.config.lr if epoch == 0 else s.last_lr
        s.record(s.params, epoch, s.step, lr, pending, logits={k: z[:, s.columns] for k, z in logits.items()})
        s.rows[epoch] = len(s.record.history["epoch"]) - 1


def _logits(model, x, w_all, b_all):
    """Z = x W + c b for every fit of the stack: one product."""
    z = x @ w_all
    z += b_all if model.bias_scale == 1 else b_all.dtype.type(model.bias_scale) * b_all
    return z


def _result(s: _Fit, keeper, splits, seconds) -> Result:
    """train._fit's ending for one fit: the returned weights and ``final`` from their history row."""
    c, epoch = s.config, s.epoch
    last = {k: v.copy() for k, v in s.params.items()}   # its columns of W, frozen since it stopped
    returned_epoch, params = keeper.returned(epoch, last)
    final = {"epochs_run": epoch, "best_epoch": keeper.best_epoch, "returned_epoch": returned_epoch,
             "stop_reason": s.stop_reason, "steps": s.step,
             "batch_size": min(c.batch_size or len(splits.x_train), len(splits.x_train)),
             "weight_norm": weight_norm(params, c.bias == "input")}
    row = s.record.row(s.rows[returned_epoch])
    final.update({k: v for k, v in row.items() if k.endswith(("_loss", "_acc"))})
    return Result(c, params, s.record.history, final, seconds, last)

