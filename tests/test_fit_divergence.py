"""Divergence is loud: fit raises DivergenceError (a FloatingPointError) naming the model,
config digest, seed, epoch, step and η as soon as a batch loss, a parameter or a recorded
metric is not finite; no NaN reaches a history, a final dict or a results file."""
import math
import re

import numpy as np
import pytest

from helpers import history, train
from helpers.train import DivergenceError, build_model, fit

from test_train import small, splits_for


def first_nonfinite_step(config, splits):
    """(epoch, step, lr) of the first non-finite batch loss, replaying fit's steps with model.loss."""
    rng = np.random.default_rng(config.seed)
    model = build_model(config)
    params = model.init(rng, config.init, np.float32)
    x, y = splits.x_train, splits.y_train
    step = 0
    with np.errstate(all="ignore"):
        for epoch in range(1, config.epochs + 1):
            order = rng.permutation(len(x))
            for start in range(0, len(x), config.batch_size):
                rows = order[start:start + config.batch_size]
                loss, grads = model.loss(params, x[rows], y[rows], grad_scale=config.lr)  # as fit does: η∇E
                step += 1
                if not math.isfinite(loss):
                    return epoch, step, config.lr
                for k in params:
                    params[k] -= grads[k]
    return None


def test_nan_batch_loss_stops_at_that_step():
    config = small(model="mlp", hidden=(16,), init="xavier", lr=1e36, epochs=3)
    splits = splits_for(config)
    expected = first_nonfinite_step(config, splits)
    assert expected is not None and expected[1] < len(splits.x_train) // 20   # inside the first epoch
    with np.errstate(all="ignore"), pytest.raises(DivergenceError) as caught:
        fit(config, splits)
    e = caught.value
    assert isinstance(e, FloatingPointError)
    assert (e.epoch, e.step, e.lr) == expected
    assert (e.model, e.digest, e.seed) == ("mlp 16 tanh", config.digest(), 0)
    message = str(e)
    for part in ("the batch loss is nan", f"epoch {e.epoch}", f"step {e.step}", "η = 1e+36", "mlp 16 tanh",
                 f"config {config.digest()}", "seed 0", "smaller lr (e.g. lr=1e+35)"):
        assert part in message, (part, message)


def test_message_format():
    config = small(model="softmax", seed=4, lr=0.25)
    e = DivergenceError(config, 3, 41, 0.125, "the batch loss is inf")
    assert str(e) == (f"training diverged: the batch loss is inf at epoch 3, step 41 (η = 0.125); "
                      f"model softmax, config {config.digest()}, seed 4. "
                      "Usually the step is too large: try a smaller lr (e.g. lr=0.025).")


def test_infinite_parameter_after_an_epoch():
    """A full-batch step whose update overflows float32: caught at the end of that epoch."""
    config = small(model="logistic", digits=(2, 3), lr=1e38, epochs=3, batch_size=None, reduction="sum")
    with np.errstate(all="ignore"), pytest.raises(DivergenceError,
                                                  match=r"parameter W1 holds (inf|nan) after the update at "
                                                        r"epoch 1, step 1 \(η = 1e\+38\)"):
        fit(config, splits_for(config))


def test_non_finite_metric_is_never_recorded(monkeypatch):
    calls = []

    def evaluate_nan_on_third_call(model, params, x, y):
        calls.append(1)
        return (float("nan"), 0.5) if len(calls) == 3 else (1.0, 0.5)

    monkeypatch.setattr(history, "evaluate", evaluate_nan_on_third_call)
    config = small(epochs=2)
    with pytest.raises(DivergenceError, match=re.escape("the recorded metrics are not finite (test_loss = nan) "
                                                        "at epoch 0, step 0")):
        fit(config, splits_for(config))


def test_huge_finite_weights_still_give_a_finite_float64_norm():
    """float32 Σ W² overflows above ~1.8e19; the recorded norm does not."""
    config = small(model="softmax", init="zeros", lr=1e-30, epochs=1, batch_size=None)
    big = {"W1": np.full((784, 10), 1e19, np.float32), "b1": np.zeros(10, np.float32)}
    result = fit(config, splits_for(config), params=big)
    assert result.history["weight_norm"][0] == pytest.approx(math.sqrt(7840) * float(np.float32(1e19)), rel=1e-12)


def test_non_finite_starting_params_are_rejected():
    config = small(model="softmax")
    bad = build_model(config).init(np.random.default_rng(0), "zeros", np.float32)
    bad["b1"][3] = np.nan
    with pytest.raises(ValueError, match="params: the starting b1 holds nan or inf"):
        fit(config, splits_for(config), params=bad)


def test_a_nan_in_a_fit_is_refused_by_the_results_writer(tmp_path):
    """A fit's record goes to disk only through results.write_results, whose strict JSON refuses a NaN."""
    from helpers.pipeline.results import _strict_json
    config = small(epochs=1)
    result = fit(config, splits_for(config))
    result.final["test_loss"] = float("nan")
    with pytest.raises(ValueError, match="NaN or infinite; not written"):
        _strict_json({"run": "runs/x/y", "runs": {"v": [result.to_json()]}})
