"""fit's cheaper evaluation gives the numbers of the previous implementation, bit for bit.

``reference_fit`` below is the training loop as it was before evaluation was reorganised
(full-batch runs now reuse the training step's forward pass for the train metrics, and
``final`` is read from the history row of the returned epoch instead of evaluating the
restored weights again): every epoch evaluates every split with ``evaluate``, and the
restored weights are evaluated again at the end. Its one deliberate difference from the
old code is the weight norm, which the old code summed in float32 and fit now sums in
float64 (asked for: float32 overflows above ~1.8e19); the reference sums in float64 too.
"""
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from helpers import optim
from helpers.config import Config
from helpers.data import Splits
from helpers.train import SPLIT_NAMES, build_model, evaluate, fit

from test_train import splits_for


def norm64(params):
    total = 0.0
    for name, w in params.items():
        if name.startswith("W"):
            w64 = w.astype(np.float64).ravel()
            total += float(np.dot(w64, w64))
    return float(np.sqrt(total))


def reference_fit(config, splits):
    """(params, history, final) as the previous fit computed them (see the module docstring),
    on one BLAS thread as every pipeline run was (the Makefile pinned it; fit now does)."""
    with threadpool_limits(limits=1, user_api="blas"):
        return _reference_fit(config, splits)


def _reference_fit(config, splits):
    rng = np.random.default_rng(config.seed)
    model = build_model(config, splits.x_train.shape[1])
    dtype = np.dtype(config.dtype)
    params = {k: np.array(v, dtype=dtype) for k, v in model.init(rng, config.init, dtype).items()}
    x, y = splits.x_train.astype(dtype, copy=False), splits.y_train
    sets = {n: (getattr(splits, f"x_{n}"), getattr(splits, f"y_{n}")) for n in SPLIT_NAMES}
    history = {}

    def record(epoch, step, lr):
        row = {"epoch": epoch, "step": step, "lr": lr, "weight_norm": norm64(params)}
        for name, (xs, ys) in sets.items():
            if len(xs):
                row[f"{name}_loss"], row[f"{name}_acc"] = evaluate(model, params, xs, ys)
        for k, v in row.items():
            history.setdefault(k, []).append(v)
        return row

    update = optim.get(config.optimizer)
    l2 = config.l2 if config.l2_gradient == "2lw" else config.l2 / 2
    grads = {k: np.empty_like(v) for k, v in params.items()}
    state = dict.fromkeys(params)
    n = len(x)
    size = n if config.batch_size is None else min(config.batch_size, n)
    per_epoch = -(-n // size)
    record(0, 0, config.lr)
    sign = 1.0 if config.monitor.endswith("loss") else -1.0
    best = previous = sign * history[config.monitor][-1]
    best_epoch, bad, best_params = 0, 0, {k: v.copy() for k, v in params.items()}
    step, stop = 0, "max_epochs"
    for epoch in range(1, config.epochs + 1):
        order = rng.permutation(n) if size < n else None
        for start in range(0, n, size):
            rows = order[start:start + size] if order is not None else slice(None)
            t = step if config.anneal_per == "step" else epoch - 1
            lr = optim.learning_rate(config.lr, t, config.anneal_T)
            model.loss(params, x[rows], y[rows], config.l1, l2, config.reduction, config.penalise_bias,
                       grads=grads, check=False, grad_scale=lr)
            for k in params:
                params[k], state[k] = update(params[k], grads[k], state[k], 1.0, config.momentum)
            step += 1
            if config.eval_every and step % config.eval_every == 0 and step % per_epoch:
                record(step / per_epoch, step, lr)
        row = record(epoch, step, lr)
        value = sign * history[config.monitor][-1]
        if value < best:
            best, best_epoch, best_params = value, epoch, {k: v.copy() for k, v in params.items()}
        if config.early_stopping == "best":
            bad = 0 if best_epoch == epoch else bad + 1
        else:
            bad = bad + 1 if value > previous else 0
        previous = value
        if config.early_stopping and bad >= config.patience:
            stop = "early_stopping"
            break
    if config.early_stopping:
        params = best_params
    final = {"epochs_run": epoch, "best_epoch": best_epoch, "stop_reason": stop, "steps": step,
             "batch_size": min(config.batch_size or len(x), len(x)),   # recorded since issue 19 (not a number fit)
             "weight_norm": norm64(params)}
    if config.early_stopping:
        for name, (xs, ys) in sets.items():
            if len(xs):
                final[f"{name}_loss"], final[f"{name}_acc"] = evaluate(model, params, xs, ys)
    else:
        final.update({k: v for k, v in row.items() if k.endswith(("_loss", "_acc"))})
    return params, history, final


BASE = dict(n_train=300, n_test=200, holdout="first", holdout_size=0.2, epochs=4, progress=False, seed=5)
CASES = {
    "mlp-minibatch-momentum": dict(model="mlp", hidden=(16,), init="xavier", lr=0.1, batch_size=20,
                                   optimizer="momentum", momentum=0.9, eval_every=4),
    "mlp-fullbatch-l1": dict(model="mlp", hidden=(8,), activation="relu", init="he", lr=0.3,
                             batch_size=None, l1=1e-3),
    "softmax-fullbatch-sum-annealed": dict(model="softmax", init="normal", lr=0.0015, batch_size=None,
                                           reduction="sum", anneal_T=3.0, anneal_per="epoch", l2=1e-4,
                                           l2_gradient="lw", epochs=6),
    "softmax-fullbatch-early-stopping": dict(model="softmax", init="normal", lr=0.02, batch_size=None,
                                             reduction="sum", epochs=30, early_stopping="rise",
                                             monitor="holdout_acc", patience=1),
    "softmax-minibatch-early-stopping": dict(model="softmax", init="zeros", n_train=200, n_test=100,
                                             holdout_size=0.3, lr=0.5, batch_size=10, epochs=40,
                                             early_stopping="best"),
    "logistic-fullbatch-early-stopping": dict(model="logistic", digits=(2, 3), init="zeros", n_train=2000,
                                              lr=2.0, batch_size=None, epochs=25, early_stopping="best",
                                              patience=2),
    "logistic-minibatch-float64": dict(model="logistic", digits=(2, 8), init="zeros", n_train=2000,
                                       lr=0.05, batch_size=40, dtype="float64", l2=0.01),
}


@pytest.mark.parametrize("name", CASES)
def test_fit_reproduces_previous_numbers_bit_for_bit(name):
    config = Config(**{**BASE, **CASES[name]})
    splits = splits_for(config)
    result = fit(config, splits)
    params, history, final = reference_fit(config, splits)
    assert result.history == history
    returned = result.final.pop("returned_epoch")
    assert result.final == final
    for k in params:
        assert np.array_equal(result.params[k], params[k]), k
    if config.early_stopping:
        assert returned == final["best_epoch"] and final["stop_reason"] == "early_stopping", final
    else:
        assert returned == final["epochs_run"]


def test_full_batch_on_a_cast_copy_still_evaluates_the_given_arrays():
    """float32 splits, float64 training: the step's forward pass (on the cast copy) is not
    what evaluate computes on the given arrays, so it must not be reused."""
    config = Config(**{**BASE, **CASES["softmax-fullbatch-sum-annealed"], "dtype": "float64"})
    splits = splits_for(config.replace(dtype="float32"))
    assert splits.x_train.dtype == np.float32
    result = fit(config, splits)
    _, history, final = reference_fit(config, splits)
    assert result.history == history
    result.final.pop("returned_epoch")
    assert result.final == final


def test_train_metrics_of_every_full_batch_epoch_are_those_of_its_weights():
    """Direct: each epoch's weights (a shorter fit, same seed) measured by evaluate()."""
    config = Config(**{**BASE, **CASES["softmax-fullbatch-sum-annealed"]})
    splits = splits_for(config)
    result = fit(config, splits)
    epochs = [fit(config.replace(epochs=e), splits) for e in range(1, 4)]
    model = build_model(config)
    for e, r in enumerate(epochs, start=1):
        assert (result.history["train_loss"][e], result.history["train_acc"][e]) == \
            evaluate(model, r.params, splits.x_train, splits.y_train)


def test_splits_without_holdout_or_test_are_left_out():
    config = Config(**{**BASE, **CASES["mlp-fullbatch-l1"]})
    s = splits_for(config)
    empty = Splits(s.x_train, s.y_train, s.x_holdout[:0], s.y_holdout[:0], s.x_test[:0], s.y_test[:0])
    result = fit(config, empty)
    assert not any(k.startswith(("holdout", "test")) for k in result.history)
    _, history, final = reference_fit(config.replace(monitor="holdout_loss"), s)
    assert result.history["train_loss"] == history["train_loss"]
