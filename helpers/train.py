"""The one training loop: every model and experiment is ``fit(config, splits)``.

Interface:
    splits = load_splits(config)                 # data.Splits, as the config asks
    result = fit(config, splits)                 # Result(config, params, history, final, wall_time)
    results = sweep([c1, c2, ...], splits)       # warm-started: each fit starts from the last one's weights
    result.to_json()                             # config, history, final metrics, wall time

Each epoch visits the training set once, in a fresh seeded order (or in order, with
``shuffle=False``), in mini-batches (or as one full batch), updating every parameter array
with the configured rule (optim.py) at η(t). After each epoch (and every ``eval_every``
steps) the history records mean cross-entropy and accuracy on train / hold-out / test, the
learning rate and the weight norm ‖W‖ = sqrt(Σ W²) (weights only; biases too with
``bias="input"``, where b is a weight). Early stopping watches the hold-out metric;
``restore`` chooses which epoch's weights are returned, and ``final`` holds that epoch's
metrics. A single ``np.random.default_rng(seed)`` drives initialisation and batch order,
so a run is reproducible bit for bit from its config.

A non-finite batch loss, parameter or recorded metric raises ``DivergenceError`` at once.
The pipeline runs every fit with BLAS on one thread (helpers.pipeline.engine): OpenBLAS
threads fighting over 128-row products made the MLP epoch 1.5-40x slower, and the summation
order inside a product depends on the thread count. ``fit`` prints nothing: progress is
``on_epoch``'s (the pipeline draws it).

Evaluation cost. Evaluating train / hold-out / test after each epoch is one forward pass
over each; its numbers must not depend on how it is scheduled. So: a full-batch run
(one step per epoch) takes the train-set loss and accuracy of epoch e from the forward
pass that the step of epoch e+1 computes anyway on the same weights and the same array
(``Network.loss(metrics=...)``: the same operations as ``evaluate``, bit for bit), and
only the last epoch's is evaluated separately; ``final`` is read from the history row of
the returned epoch, which measured exactly those weights, instead of evaluating them again.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import time
from dataclasses import dataclass

import numpy as np

from . import data, optim
from .config import Config
from .history import SPLIT_NAMES, DivergenceError, Recorder, evaluate, weight_norm
from .models import Network, logistic_regression, mlp, softmax_regression
from .stopping import Keeper


def build_model(config: Config, n_inputs: int = 784) -> Network:
    """The configured network; with bias "input", b is the weight of the constant ``bias_input``."""
    if config.model == "logistic":
        model = logistic_regression(n_inputs)
    elif config.model == "softmax":
        model = softmax_regression(n_inputs)
    else:
        model = mlp(config.hidden, config.activation, n_inputs)
    return model if config.bias_input == 1 else dataclasses.replace(model, bias_scale=config.bias_input)


def load_splits(config: Config) -> data.Splits:
    """The train / hold-out / test arrays the config describes (SPEC "Data")."""
    return data.prepare(config.dataset, config.digits, config.n_train, config.n_test,
                        config.holdout, config.holdout_size, config.normalisation,
                        rng=np.random.default_rng(config.split_seed), dtype=np.dtype(config.dtype),
                        holdout_gap=config.holdout_gap, test_select=config.test_select)


@dataclass
class Result:
    config: Config
    params: dict
    history: dict           # column name -> list, one entry per record
    final: dict             # metrics of the returned weights, which epoch they are, epochs run, stop reason
    wall_time: float        # seconds
    last_params: dict | None = None   # the weights after the last epoch run (a warm start continues these)

    def to_json(self) -> dict:
        return {"config": self.config.to_dict(), "digest": self.config.digest(),
                "final": self.final, "wall_time": self.wall_time, "history": self.history}


def run_epoch(model, params, state, grads, x, y, config: Config, rng, step: int, epoch: int,
              on_step=None, metrics: dict | None = None) -> int:
    """One pass over (x, y); updates ``params`` and ``state`` in place; returns the new step count.

    Batches are a fresh ``rng`` permutation (``config.shuffle``) or taken in order; a
    non-finite batch loss raises DivergenceError before the update. ``metrics``: filled by
    the first batch's forward pass (see ``Network.loss``).
    """
    update, adaptive, gamma = optim.for_config(config)
    l2 = config.l2 if config.l2_gradient == "2lw" else config.l2 / 2
    penalise_bias = config.penalise_bias or config.bias == "input"
    n = len(x)
    size = n if config.batch_size is None else min(config.batch_size, n)
    order = rng.permutation(n) if size < n and config.shuffle else None
    x_batch = np.empty((size, x.shape[1]), x.dtype) if order is not None else None  # one reused gather buffer
    keys = tuple(params)
    lr_at = optim.schedule(config, -(-n // size))
    for start in range(0, n, size):
        if size == n:
            xb, yb = x, y
        elif order is None:
            xb, yb = x[start:start + size], y[start:start + size]
        else:
            rows = order[start:start + size]
            # mode "clip": rows are a permutation, always in range; "raise" would gather into a temporary first
            xb, yb = np.take(x, rows, axis=0, out=x_batch[:len(rows)], mode="clip"), y[rows]
        lr = lr_at(step if config.anneal_per == "step" else epoch)
        loss, _ = model.loss(params, xb, yb, config.l1, l2, config.reduction, penalise_bias,
                             grads=grads, check=False, grad_scale=1.0 if adaptive else lr,
                             metrics=metrics if start == 0 else None)  # grads now hold η∇E (Adam: ∇E)
        if not math.isfinite(loss):
            raise DivergenceError(config, epoch + 1, step + 1, lr, f"the batch loss is {loss}")
        for key in keys:
            params[key], state[key] = update(params[key], grads[key], state[key], lr if adaptive else 1.0, gamma)
        step += 1
        if on_step is not None:
            on_step(step, lr)
    return step


def fit(config: Config, splits: data.Splits, params: dict | None = None, on_epoch=None) -> Result:
    """Train the configured model on ``splits``; see the module docstring.

    ``params``: start from these weights (copied) instead of initialising; the learning-rate
    schedule and the optimiser state start afresh either way.
    ``on_epoch(epoch, max_epochs)``: called after each epoch (progress for a caller's display).
    """
    start_time = time.perf_counter()
    result = _fit(config, splits, params, on_epoch)
    result.wall_time = time.perf_counter() - start_time
    return result


def _fit(config: Config, splits: data.Splits, params: dict | None, on_epoch=None) -> Result:
    rng = np.random.default_rng(config.seed)
    model = build_model(config, splits.x_train.shape[1])
    dtype = np.dtype(config.dtype)
    if params is None:
        params = model.init(rng, config.init, dtype, bias=config.bias)
    params = {k: np.array(v, dtype=dtype) for k, v in params.items()}
    for name in SPLIT_NAMES:
        x, y = getattr(splits, f"x_{name}"), getattr(splits, f"y_{name}")
        if len(x) or name == "train":
            model.check(params, x, y)
    for name, w in params.items():
        if not np.isfinite(w).all():
            raise ValueError(f"params: the starting {name} holds nan or inf")
    x, y = splits.x_train.astype(dtype, copy=False), splits.y_train
    grads = {k: np.empty_like(v) for k, v in params.items()}
    state = dict.fromkeys(params)
    record = Recorder(model, splits, config)
    steps_per_epoch = -(-len(x) // (config.batch_size or len(x)))
    # One step per epoch on the very array evaluate() reads: that step's forward pass gives
    # the train metrics of the weights it starts from, i.e. of the previous epoch's row.
    reuse = steps_per_epoch == 1 and x is splits.x_train
    pending = ("train",) if reuse else ()
    lr_at = optim.schedule(config, steps_per_epoch)
    record(params, 0, 0, config.lr, pending)
    epoch_rows = {0: 0}                 # epoch -> its row in the history

    def on_step(step, lr):
        if config.eval_every and step % config.eval_every == 0 and step % steps_per_epoch:
            record(params, step / steps_per_epoch, step, lr)

    keeper = Keeper(config, params, record.history)
    step, stop_reason = 0, "max_epochs"
    for epoch in range(1, config.epochs + 1):
        metrics = {} if reuse else None
        step = run_epoch(model, params, state, grads, x, y, config, rng, step, epoch - 1, on_step, metrics)
        lr = lr_at(step - 1 if config.anneal_per == "step" else epoch - 1)  # the last one used
        if reuse:
            record.fill(epoch_rows[epoch - 1], "train", metrics["data_total"] / len(y),
                        float((metrics["predictions"] == y).mean()))
        _check_finite(config, params, epoch, step, lr)
        row = record(params, epoch, step, lr, pending)
        epoch_rows[epoch] = len(record.history["epoch"]) - 1
        if on_epoch is not None:
            on_epoch(epoch, config.epochs)
        if keeper.update(epoch, params):
            stop_reason = "early_stopping"
            break
    if reuse:  # the last row's train metrics: no further step computed them
        record.fill(epoch_rows[epoch], "train", *evaluate(model, params, splits.x_train, splits.y_train))
    last_params = params
    returned_epoch, params = keeper.returned(epoch, params)
    final = {"epochs_run": epoch, "best_epoch": keeper.best_epoch, "returned_epoch": returned_epoch,
             "stop_reason": stop_reason, "steps": step,
             "batch_size": min(config.batch_size or len(x), len(x)),   # as run: a larger batch_size runs full-batch
             "weight_norm": weight_norm(params, config.bias == "input")}
    # That epoch's history row measured exactly these weights: the same numbers, no second pass.
    row = record.row(epoch_rows[returned_epoch])
    final.update({k: v for k, v in row.items() if k.endswith(("_loss", "_acc"))})
    return Result(config, params, record.history, final, 0.0, last_params)


def _check_finite(config: Config, params: dict, epoch: int, step: int, lr: float) -> None:
    """DivergenceError if a parameter holds nan or inf (checked once per epoch: cheap)."""
    for name, w in params.items():
        if not np.isfinite(w).all():
            raise DivergenceError(config, epoch, step, lr, f"parameter {name} holds "
                                  f"{'nan' if np.isnan(w).any() else 'inf'} after the update")


# Fields a warm-started sweep must share: the data its splits were built from and the network.
SWEEP_SHARED = ("dataset", "digits", "n_train", "n_test", "test_select", "holdout", "holdout_size",
                "holdout_gap", "split_seed", "normalisation", "model", "hidden", "activation", "dtype", "bias")


def sweep(configs, splits: data.Splits, params: dict | None = None, continue_from: str = "last",
          on_epoch=None) -> list[Result]:
    """Fit ``configs`` in order, each starting from the previous fit's weights: those after its
    last epoch (``continue_from="last"``: one network trained on, as Zhu & Guo's code did,
    whatever weights its ``restore`` reports) or those it returned (``"returned"``).

    The first fit starts from ``params`` or, if None, its own initialisation (the later
    configs' ``init`` is never used; ``on_epoch(fit index, epoch, max_epochs)`` reports progress). Every fit restarts its learning-rate schedule (t from
    0), its optimiser state and its batch-order generator (its ``seed``), exactly as
    ``fit(config, splits, params=previous.last_params)`` (Zhu & Guo's softmax λ selection: 10
    epochs per λ, L1 then L2, never re-initialised). The configs must agree on the data and
    the network (``SWEEP_SHARED``). Each result's ``final["warm_start"]`` lists the digests
    of the configs fitted before it in this sweep (``"params"`` first when given).
    """
    configs = list(configs)
    if not configs:
        raise ValueError("sweep needs at least one configuration")
    if continue_from not in ("last", "returned"):
        raise ValueError(f"continue_from={continue_from!r}: choose 'last' or 'returned'")
    for i, config in enumerate(configs):
        if not isinstance(config, Config):
            raise ValueError(f"sweep: configs[{i}] is a {type(config).__name__}, not a Config")
        for name in SWEEP_SHARED:
            if getattr(config, name) != getattr(configs[0], name):
                raise ValueError(f"sweep: configs[{i}].{name}={getattr(config, name)!r} differs from "
                                 f"configs[0].{name}={getattr(configs[0], name)!r}; a warm-started sweep "
                                 "continues one network on one data set")
    chain = [] if params is None else ["params"]
    results = []
    for config in configs:
        report = None if on_epoch is None else functools.partial(on_epoch, len(results))
        result = fit(config, splits, params, report)
        result.final["warm_start"] = list(chain)
        results.append(result)
        chain.append(config.digest())
        params = result.last_params if continue_from == "last" else result.params
    return results


