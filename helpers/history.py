"""A run's history: the metrics recorded after each epoch, checked finite.

Interface:
    record = Recorder(model, splits, config)   # one per fit
    row = record(params, epoch, step, lr)      # appends a row: epoch, step, lr, weight_norm,
                                               # <split>_loss and <split>_acc for train / holdout / test
    evaluate(model, params, x, y) -> (mean cross-entropy, accuracy);  scores(model, logits, y): the same from z
    weight_norm(params) = sqrt(Σ W²);  penalised_loss(mean_loss, params, config)

Metrics: mean cross-entropy E = (1/N) Σ_n E_n (no penalty) and accuracy = mean[predict(x_n) = t_n].
With ``monitor`` "holdout_objective" a row also holds the training objective on the hold-out set,
with "holdout_penalised" the mean cross-entropy + λ1 Σ|W| + λ2 ΣW² (Aagaard's validation loss).
Divergence is loud: a non-finite value raises ``DivergenceError`` (no NaN reaches a history).
"""
from __future__ import annotations

import math

import numpy as np

from .config import Config
from .losses import OUTPUTS
from .models import Network, penalty

SPLIT_NAMES = ("train", "holdout", "test")


class DivergenceError(FloatingPointError):
    """Training produced a non-finite loss, parameter or metric; the message says where.

    Attributes (for callers that add their own context, e.g. the run and variant):
    ``model``, ``digest``, ``seed``, ``epoch`` (1-based), ``step`` (1-based update count),
    ``lr`` (η of that step), ``what`` (what was not finite).
    """

    def __init__(self, config: Config, epoch: int, step: int, lr: float, what: str):
        self.model, self.digest, self.seed = model_name(config), config.digest(), config.seed
        self.epoch, self.step, self.lr, self.what = epoch, step, lr, what
        super().__init__(
            f"training diverged: {what} at epoch {epoch}, step {step} (η = {lr:g}); "
            f"model {self.model}, config {self.digest}, seed {self.seed}. "
            f"Usually the step is too large: try a smaller lr (e.g. lr={config.lr / 10:g}).")


def model_name(config: Config) -> str:
    """'logistic (2, 3)', 'softmax' or 'mlp 128 tanh': what the messages and progress bars call the model."""
    return {"logistic": f"logistic {config.digits}", "softmax": "softmax"}.get(
        config.model, f"mlp {'-'.join(map(str, config.hidden))} {config.activation}")


def evaluate(model: Network, params: dict, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of ``params`` on (x, y); no penalty term (losses.OUTPUTS).

    The same operations as the history's rows: on the same BLAS threads (one, as the pipeline
    runs fits) the same numbers, bit for bit.
    """
    return scores(model, model.logits(params, x), y)


def scores(model: Network, z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of the logits ``z`` (N, K) for labels y; z is overwritten."""
    loss_and_delta, _, predict = OUTPUTS[model.output]
    predictions = predict(z)            # before the loss: it may overwrite z
    total, _ = loss_and_delta(z, y)
    return total / len(y), float((predictions == y).mean())


def weight_norm(params: dict, include_bias: bool = False) -> float:
    """sqrt(Σ W²) over the weights (and the biases if ``include_bias``), accumulated in
    float64: a float32 sum overflows to inf for finite weights above ~1.8e19."""
    prefixes = ("W", "b") if include_bias else ("W",)
    total = 0.0
    for name, w in params.items():
        if name.startswith(prefixes):
            w64 = w.astype(np.float64, copy=False).ravel()
            total += float(np.dot(w64, w64))
    return math.sqrt(total)


def penalised_loss(mean_loss: float, params: dict, config: Config) -> float:
    """Mean cross-entropy + λ1 Σ|W| + λ2 ΣW² (biases too with bias "input" or ``penalise_bias``),
    as Aagaard's ``cross_entropy_loss(Y_val, ..., l)``: the mean data term whatever the training
    ``reduction``, and λ2 ΣW² whatever ``l2_gradient``."""
    return mean_loss + penalty(params, config.l1, config.l2, config.penalise_bias or config.bias == "input")


class Recorder:
    """Appends one row of metrics to the history columns; refuses non-finite values.

    ``pending`` names splits whose metrics are filled in later by ``fill`` (a full-batch
    run takes them from the next training step's forward pass); until then they are None.
    """

    def __init__(self, model, splits, config: Config):
        self.model, self.config, self.history = model, config, {}
        self.include_bias = config.bias == "input"
        self.sets = {name: (getattr(splits, f"x_{name}"), getattr(splits, f"y_{name}")) for name in SPLIT_NAMES}
        self.sets = {name: xy for name, xy in self.sets.items() if len(xy[0])}
        self.context = {}               # row index -> (epoch, step, lr) for error messages

    def __call__(self, params, epoch, step, lr, pending=(), logits=None) -> dict:
        """``logits``: {split: z} already computed for these params (the pipeline's stacked trainer), else evaluated here."""
        row = {"epoch": epoch, "step": step, "lr": lr, "weight_norm": weight_norm(params, self.include_bias)}
        for name, (x, y) in self.sets.items():
            row[f"{name}_loss"], row[f"{name}_acc"] = (None, None) if name in pending else \
                scores(self.model, logits[name], y) if logits else evaluate(self.model, params, x, y)
        if self.config.monitor == "holdout_objective" and "holdout" in self.sets:
            # the objective training descends, on the hold-out set: data term as `reduction`, plus the penalty
            c, n = self.config, len(self.sets["holdout"][1])
            l2 = c.l2 if c.l2_gradient == "2lw" else c.l2 / 2
            row["holdout_objective"] = row["holdout_loss"] * (n if c.reduction == "sum" else 1) + \
                penalty(params, c.l1, l2, c.penalise_bias or c.bias == "input")
        if self.config.monitor == "holdout_penalised" and "holdout" in self.sets:
            row["holdout_penalised"] = penalised_loss(row["holdout_loss"], params, self.config)
        self._check(row, epoch, step, lr)
        for key, value in row.items():
            self.history.setdefault(key, []).append(value)
        self.context[len(self.history["epoch"]) - 1] = (epoch, step, lr)
        return row

    def fill(self, index: int, name: str, loss: float, acc: float) -> None:
        values = {f"{name}_loss": loss, f"{name}_acc": acc}
        self._check(values, *self.context[index])
        for key, value in values.items():
            self.history[key][index] = value

    def row(self, index: int) -> dict:
        return {key: column[index] for key, column in self.history.items()}

    def _check(self, row, epoch, step, lr) -> None:
        bad = [f"{k} = {v}" for k, v in row.items() if v is not None and not math.isfinite(v)]
        if bad:
            raise DivergenceError(self.config, math.ceil(epoch), step, lr,
                                  f"the recorded metrics are not finite ({', '.join(bad)})")
