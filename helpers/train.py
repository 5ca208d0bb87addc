"""The one training loop: every model and experiment is ``fit(config, splits)``.

Interface:
    splits = load_splits(config)                 # data.Splits, as the config asks
    result = fit(config, splits)                 # Result(config, params, history, final, wall_time)
    result.save(path)                            # JSON: config, history, final metrics, wall time

Each epoch visits the training set once, in a fresh seeded order, in mini-batches (or as
one full batch), updating every parameter array with the configured rule (optim.py) at
η(t). After each epoch (and every ``eval_every`` steps) the history records mean
cross-entropy and accuracy on train / hold-out / test, the learning rate and the weight
norm ‖W‖ = sqrt(Σ W²) (weights only). Early stopping watches the hold-out metric and
restores the best epoch's weights. A single ``np.random.default_rng(seed)`` drives
initialisation and batch order, so a run is reproducible bit for bit from its config.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from . import data, optim
from .config import Config
from .fetch import atomic_write
from .losses import OUTPUTS
from .models import Network, logistic_regression, mlp, softmax_regression

SPLIT_NAMES = ("train", "holdout", "test")


def build_model(config: Config, n_inputs: int = 784) -> Network:
    if config.model == "logistic":
        return logistic_regression(n_inputs)
    if config.model == "softmax":
        return softmax_regression(n_inputs)
    return mlp(config.hidden, config.activation, n_inputs)


def load_splits(config: Config) -> data.Splits:
    """The train / hold-out / test arrays the config describes (SPEC "Data")."""
    return data.prepare(config.dataset, config.digits, config.n_train, config.n_test,
                        config.holdout, config.holdout_size, config.normalisation,
                        rng=np.random.default_rng(config.split_seed), dtype=np.dtype(config.dtype))


def evaluate(model: Network, params: dict, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of ``params`` on (x, y); no penalty term (losses.OUTPUTS)."""
    loss_and_delta, _, predict = OUTPUTS[model.output]
    z = model.logits(params, x)
    predictions = predict(z)            # before the loss: it may overwrite z
    total, _ = loss_and_delta(z, y)
    return total / len(y), float((predictions == y).mean())


def weight_norm(params: dict) -> float:
    return float(np.sqrt(sum(np.vdot(w, w) for k, w in params.items() if k.startswith("W"))))


@dataclass
class Result:
    config: Config
    params: dict
    history: dict           # column name -> list, one entry per record
    final: dict             # metrics of the returned (best) weights, epochs run, stop reason
    wall_time: float        # seconds

    def to_json(self) -> dict:
        return {"config": self.config.to_dict(), "digest": self.config.digest(),
                "final": self.final, "wall_time": self.wall_time, "history": self.history}

    def save(self, path) -> None:
        """Write the JSON atomically (no half-written results after a crash)."""
        atomic_write(Path(path), json.dumps(self.to_json(), indent=1).encode())


class _Recorder:
    """Appends one row of metrics to the history columns."""

    def __init__(self, model, splits):
        self.model, self.history = model, {}
        self.sets = {name: (getattr(splits, f"x_{name}"), getattr(splits, f"y_{name}")) for name in SPLIT_NAMES}

    def __call__(self, params, epoch, step, lr) -> dict:
        row = {"epoch": epoch, "step": step, "lr": lr, "weight_norm": weight_norm(params)}
        for name, (x, y) in self.sets.items():
            if len(x):
                row[f"{name}_loss"], row[f"{name}_acc"] = evaluate(self.model, params, x, y)
        for key, value in row.items():
            self.history.setdefault(key, []).append(value)
        return row


def run_epoch(model, params, state, grads, x, y, config: Config, rng, step: int, epoch: int,
              on_step=None) -> int:
    """One pass over (x, y); updates ``params`` and ``state`` in place; returns the new step count."""
    update = optim.get(config.optimizer)
    l2 = config.l2 if config.l2_gradient == "2lw" else config.l2 / 2
    n = len(x)
    size = n if config.batch_size is None else min(config.batch_size, n)
    order = rng.permutation(n) if size < n else None
    x_batch = np.empty((size, x.shape[1]), x.dtype)  # one gather buffer, reused by every batch
    keys = tuple(params)
    for start in range(0, n, size):
        if order is None:
            xb, yb = x, y
        else:
            rows = order[start:start + size]
            xb, yb = np.take(x, rows, axis=0, out=x_batch[:len(rows)]), y[rows]
        t = step if config.anneal_per == "step" else epoch
        lr = optim.learning_rate(config.lr, t, config.anneal_T)
        model.loss(params, xb, yb, config.l1, l2, config.reduction, config.penalise_bias,
                   grads=grads, check=False, grad_scale=lr)  # grads now hold η∇E
        for key in keys:
            params[key], state[key] = update(params[key], grads[key], state[key], 1.0, config.momentum)
        step += 1
        if on_step is not None:
            on_step(step, lr)
    return step


def fit(config: Config, splits: data.Splits, params: dict | None = None) -> Result:
    """Train the configured model on ``splits``; see the module docstring."""
    start_time = time.perf_counter()
    rng = np.random.default_rng(config.seed)
    model = build_model(config, splits.x_train.shape[1])
    dtype = np.dtype(config.dtype)
    if params is None:
        params = model.init(rng, config.init, dtype)
    params = {k: np.array(v, dtype=dtype) for k, v in params.items()}
    for name in SPLIT_NAMES:
        x, y = getattr(splits, f"x_{name}"), getattr(splits, f"y_{name}")
        if len(x) or name == "train":
            model.check(params, x, y)
    x, y = splits.x_train.astype(dtype, copy=False), splits.y_train
    grads = {k: np.empty_like(v) for k, v in params.items()}
    state = dict.fromkeys(params)
    record = _Recorder(model, splits)
    steps_per_epoch = -(-len(x) // (config.batch_size or len(x)))
    lr_at = lambda t: optim.learning_rate(config.lr, t, config.anneal_T)  # noqa: E731
    record(params, 0, 0, config.lr)

    def on_step(step, lr):
        if config.eval_every and step % config.eval_every == 0 and step % steps_per_epoch:
            record(params, step / steps_per_epoch, step, lr)

    stopper = _EarlyStopping(config, params, record.history)
    step, stop_reason = 0, "max_epochs"
    bar = tqdm(range(1, config.epochs + 1), desc=_describe(config), unit="epoch",
               disable=not config.progress, leave=False, mininterval=1.0)  # few lines in stored notebooks
    for epoch in bar:
        step = run_epoch(model, params, state, grads, x, y, config, rng, step, epoch - 1, on_step)
        row = record(params, epoch, step, lr_at(step - 1 if config.anneal_per == "step" else epoch - 1))  # last used
        bar.set_postfix({k: f"{row[k]:.4f}" for k in ("train_loss", "holdout_acc") if k in row}, refresh=False)
        if stopper.update(epoch, params):
            stop_reason = "early_stopping"
            break
    bar.close()
    params = stopper.restore(params)
    final = {"epochs_run": epoch, "best_epoch": stopper.best_epoch, "stop_reason": stop_reason,
             "steps": step, "weight_norm": weight_norm(params)}
    if stopper.enabled:  # the restored weights are an earlier epoch's: measure them again
        for name in SPLIT_NAMES:
            xs, ys = getattr(splits, f"x_{name}"), getattr(splits, f"y_{name}")
            if len(xs):
                final[f"{name}_loss"], final[f"{name}_acc"] = evaluate(model, params, xs, ys)
    else:  # the last history row measured these very weights
        final.update({k: v for k, v in row.items() if k.endswith(("_loss", "_acc"))})
    return Result(config, params, record.history, final, time.perf_counter() - start_time)


def _describe(config: Config) -> str:
    name = {"logistic": f"logistic {config.digits}", "softmax": "softmax"}.get(
        config.model, f"mlp {config.hidden} {config.activation}")
    return f"{name} seed {config.seed}"


class _EarlyStopping:
    """Tracks the monitored hold-out metric per epoch, the best epoch and (if enabled) its weights."""

    def __init__(self, config: Config, params: dict, history: dict):
        self.config, self.history = config, history
        self.enabled = config.early_stopping is not None
        self.sign = 1.0 if config.monitor.endswith("loss") else -1.0   # lower is better after sign
        self.tracking = config.monitor in history
        if self.enabled and not self.tracking:
            raise ValueError(f"early stopping monitors {config.monitor!r} but there is no hold-out set")
        self.best_epoch, self.bad = 0, 0
        self.best = self.previous = self._value()
        self.best_params = {k: v.copy() for k, v in params.items()} if self.enabled else None

    def _value(self) -> float:
        return self.sign * self.history[self.config.monitor][-1] if self.tracking else 0.0

    def update(self, epoch: int, params: dict) -> bool:
        """Record this epoch; True when training should stop."""
        value = self._value()
        if value < self.best:
            self.best, self.best_epoch = value, epoch
            if self.enabled:
                self.best_params = {k: v.copy() for k, v in params.items()}
        if self.config.early_stopping == "best":
            self.bad = 0 if self.best_epoch == epoch else self.bad + 1
        else:  # "rise": consecutive epochs worse than the one before
            self.bad = self.bad + 1 if value > self.previous else 0
        self.previous = value
        return self.enabled and self.bad >= self.config.patience

    def restore(self, params: dict) -> dict:
        return self.best_params if self.enabled else params
