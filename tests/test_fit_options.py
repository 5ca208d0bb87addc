"""The Config options the course reports need, one behaviour per test, each against a formula
or a reference rebuilt here: unshuffled batches, the bias as an input weight, which weights
fit returns (restore), accuracy-based early stopping, BLAS pinning, the float64 weight norm."""
import math

import numpy as np
import pytest
import threadpoolctl

from helpers import history, train
from helpers.config import Config
from helpers.models import Network
from helpers.train import build_model, evaluate, fit, weight_norm

from test_train import small, splits_for


def logistic64(**changes):
    """2 vs 3 in the first 300 images (50 training images), float64, for formula checks."""
    return small(**{**dict(model="logistic", digits=(2, 3), init="zeros", dtype="float64"), **changes})


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# --- shuffle ---------------------------------------------------------------------------

def test_unshuffled_batches_are_taken_in_order():
    """Aagaard: batches of 40... here 17, in order, summed gradient, against the formula."""
    config = logistic64(batch_size=17, shuffle=False, reduction="sum", lr=0.01, epochs=2)
    splits = splits_for(config)
    x, t = splits.x_train, splits.y_train
    w, b = np.zeros(784), 0.0
    for _ in range(2):
        for start in range(0, len(x), 17):
            xb, tb = x[start:start + 17], t[start:start + 17]
            r = sigmoid(xb @ w + b) - tb
            w, b = w - 0.01 * xb.T @ r, b - 0.01 * r.sum()
    result = fit(config, splits)
    assert result.final["steps"] == 2 * math.ceil(len(x) / 17) == 6
    np.testing.assert_allclose(result.params["W1"][:, 0], w, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(result.params["b1"][0], b, rtol=1e-12)


def test_unshuffled_run_does_not_depend_on_the_seed():
    config = logistic64(batch_size=17, shuffle=False)
    a, b = fit(config, splits_for(config)), fit(config.replace(seed=9), splits_for(config))
    assert np.array_equal(a.params["W1"], b.params["W1"]) and a.history == b.history
    c = fit(config.replace(shuffle=True, seed=9), splits_for(config))
    assert not np.array_equal(a.params["W1"], c.params["W1"])


# --- bias "input" ----------------------------------------------------------------------

@pytest.mark.parametrize("scheme, scale", [("normal", 1.0), ("xavier", 785 ** -0.5), ("he", (2 / 785) ** 0.5),
                                           ("zeros", 0.0)])
def test_input_bias_is_drawn_as_row_0_of_one_weight_matrix(scheme, scale):
    """[b; W] is one (785, 10) draw of the scheme, fan_in counting the constant input."""
    params = Network((784, 10)).init(np.random.default_rng(4), scheme, np.float32, bias="input")
    full = (scale * np.random.default_rng(4).standard_normal((785, 10))).astype(np.float32)
    assert np.array_equal(params["b1"], full[0]) and np.array_equal(params["W1"], full[1:])
    assert params["W1"].flags.c_contiguous and params["b1"].flags.c_contiguous


def test_input_bias_layers_of_a_network():
    params = Network((784, 16, 10), "tanh").init(np.random.default_rng(2), "xavier", np.float64, bias="input")
    rng = np.random.default_rng(2)
    first = 785 ** -0.5 * rng.standard_normal((785, 16))
    second = 17 ** -0.5 * rng.standard_normal((17, 10))
    for key, expected in (("b1", first[0]), ("W1", first[1:]), ("b2", second[0]), ("W2", second[1:])):
        assert np.array_equal(params[key], expected), key


def test_separate_bias_init_is_unchanged():
    rng = np.random.default_rng(4)
    params = Network((784, 10)).init(np.random.default_rng(4), "normal", np.float32)
    assert np.array_equal(params["W1"], rng.standard_normal((784, 10)).astype(np.float32))
    assert not params["b1"].any()


def test_fit_with_input_bias_is_gradient_descent_on_a_constant_1_column():
    """Zhu & Guo / Aagaard: x' = [1, x], w' = [b; w] ~ N(0, 1), the penalty covering w' whole;
    three full-batch steps of the mean loss with L1 and L2, written out in numpy."""
    config = logistic64(init="normal", bias="input", batch_size=None, lr=0.5, l1=0.01, l2=0.02, epochs=3, seed=6)
    splits = splits_for(config)
    x1 = np.hstack([np.ones((len(splits.x_train), 1)), splits.x_train])
    t = splits.y_train
    w = np.random.default_rng(6).standard_normal(785)
    for _ in range(3):
        grad = x1.T @ (sigmoid(x1 @ w) - t) / len(t) + 2 * 0.02 * w + 0.01 * np.sign(w)
        w = w - 0.5 * grad
    result = fit(config, splits)
    np.testing.assert_allclose(result.params["b1"][0], w[0], rtol=1e-12)
    np.testing.assert_allclose(result.params["W1"][:, 0], w[1:], rtol=1e-12)
    assert result.final["weight_norm"] == pytest.approx(np.linalg.norm(w), rel=1e-13)  # b counted


def test_separate_bias_is_neither_penalised_nor_in_the_weight_norm():
    config = logistic64(init="normal", batch_size=None, lr=0.5, l2=0.5, epochs=2)
    splits = splits_for(config)
    result = fit(config, splits)
    assert result.final["weight_norm"] == pytest.approx(np.linalg.norm(result.params["W1"]), rel=1e-13)
    x, t = splits.x_train, splits.y_train
    w, b = np.random.default_rng(0).standard_normal(784), 0.0
    for _ in range(2):
        r = sigmoid(x @ w + b) - t
        w, b = w - 0.5 * (x.T @ r / len(t) + 2 * 0.5 * w), b - 0.5 * r.mean()
    np.testing.assert_allclose(result.params["b1"][0], b, rtol=1e-12)


# --- restore ---------------------------------------------------------------------------

def noisy(**changes):
    """Softmax on 160 images with a large step: hold-out accuracy goes up and down."""
    return small(**{**dict(model="softmax", init="zeros", n_train=200, n_test=100, holdout_size=0.3,
                            lr=0.5, batch_size=10, epochs=12), **changes})


def shorter(config, epochs):
    """The same run cut after ``epochs`` epochs, no stopping: its weights are that epoch's."""
    return fit(config.replace(epochs=epochs, early_stopping=None, restore="last"), splits_for(config))


def assert_final_measures(result, config):
    splits, model = splits_for(config), build_model(config)
    for name in ("train", "holdout", "test"):
        loss, acc = evaluate(model, result.params, getattr(splits, f"x_{name}"), getattr(splits, f"y_{name}"))
        assert (result.final[f"{name}_loss"], result.final[f"{name}_acc"]) == (loss, acc), name
    assert result.final["weight_norm"] == weight_norm(result.params)


def test_restore_best_without_early_stopping_returns_the_best_accuracy_epoch():
    """Zhu & Guo's softmax code: the best hold-out accuracy seen within its epochs."""
    config = noisy(monitor="holdout_acc", restore="best")
    result = fit(config, splits_for(config))
    acc = result.history["holdout_acc"]
    best = int(np.argmax(acc))                   # the first of equal maxima
    assert 0 < best < config.epochs and max(acc[best + 1:]) <= acc[best] != acc[-1]
    assert result.final["returned_epoch"] == result.final["best_epoch"] == best
    assert result.final["epochs_run"] == config.epochs and result.final["stop_reason"] == "max_epochs"
    for k, v in shorter(config, best).params.items():
        assert np.array_equal(result.params[k], v), k
    assert_final_measures(result, config)


def test_default_restore_without_early_stopping_is_last():
    config = noisy(monitor="holdout_acc")
    result = fit(config, splits_for(config))
    assert result.final["returned_epoch"] == config.epochs != result.final["best_epoch"]
    assert result.final["holdout_acc"] == result.history["holdout_acc"][-1]


def test_restore_last_with_early_stopping_returns_the_stopping_epoch():
    """Aagaard's restore is a no-op: the weights of the epoch that stopped training."""
    config = noisy(early_stopping="rise", monitor="holdout_loss", patience=1, restore="last", epochs=40)
    result = fit(config, splits_for(config))
    stop = result.final["epochs_run"]
    assert result.final["stop_reason"] == "early_stopping" and result.final["returned_epoch"] == stop
    assert stop != result.final["best_epoch"]
    for k, v in shorter(config, stop).params.items():
        assert np.array_equal(result.params[k], v), k
    assert_final_measures(result, config)


def test_restore_back2_returns_two_epochs_before_the_stop():
    """Zhu & Guo's logistic code: stop at the first epoch whose hold-out accuracy is below the
    previous one and take the weights of two epochs earlier."""
    config = noisy(early_stopping="rise", monitor="holdout_acc", patience=1, restore="back2", epochs=40)
    result = fit(config, splits_for(config))
    acc, stop = result.history["holdout_acc"], result.final["epochs_run"]
    assert stop >= 3 and result.final["returned_epoch"] == stop - 2
    for k, v in shorter(config, stop - 2).params.items():
        assert np.array_equal(result.params[k], v), k
    assert result.final["holdout_acc"] == acc[stop - 2]
    assert_final_measures(result, config)


def test_restore_back2_after_one_epoch_returns_the_initial_weights():
    config = noisy(restore="back2", epochs=1, init="normal")
    result = fit(config, splits_for(config))
    init = build_model(config).init(np.random.default_rng(config.seed), "normal", np.float32)
    assert result.final["returned_epoch"] == 0
    for k in init:
        assert np.array_equal(result.params[k], init[k]), k
    assert result.final["train_loss"] == result.history["train_loss"][0]


def test_restore_best_needs_a_hold_out_set():
    config = noisy(restore="best")
    s = splits_for(config)
    no_holdout = s._replace(x_holdout=s.x_holdout[:0], y_holdout=s.y_holdout[:0])
    with pytest.raises(ValueError, match="restore best monitors 'holdout_loss' but there is no hold-out set"):
        fit(config, no_holdout)


# --- early stopping on the hold-out accuracy ---------------------------------------------

def first_drop(acc, patience):
    """First epoch ending ``patience`` consecutive epochs of falling hold-out accuracy."""
    for e in range(patience, len(acc)):
        if all(acc[e - i] < acc[e - i - 1] for i in range(patience)):
            return e
    return None


@pytest.mark.parametrize("patience", [1, 2])
def test_rise_on_accuracy_stops_after_consecutive_drops(patience):
    config = noisy(early_stopping="rise", monitor="holdout_acc", patience=patience, epochs=60, holdout_size=0.5)
    free = fit(config.replace(early_stopping=None), splits_for(config))
    expected = first_drop(free.history["holdout_acc"], patience)
    assert expected is not None
    result = fit(config, splits_for(config))
    assert result.final["stop_reason"] == "early_stopping"
    assert result.final["epochs_run"] == expected
    assert result.history["holdout_acc"] == free.history["holdout_acc"][:expected + 1]
    # the default restore with early stopping: the highest accuracy so far
    assert result.final["returned_epoch"] == int(np.argmax(result.history["holdout_acc"]))


def test_rise_on_accuracy_ignores_rising_accuracy():
    """A rising accuracy is an improvement: a run whose accuracy never falls never stops."""
    config = logistic64(batch_size=None, lr=0.01, epochs=6, early_stopping="rise", monitor="holdout_acc",
                        patience=1)
    result = fit(config, splits_for(config))
    acc = result.history["holdout_acc"]
    assert all(b >= a for a, b in zip(acc, acc[1:])) and acc[-1] > acc[0]
    assert result.final["stop_reason"] == "max_epochs"


# --- threads and norms -----------------------------------------------------------------

def test_fit_runs_blas_on_one_thread(monkeypatch):
    seen = []
    original = history.evaluate

    def spy(*args):
        seen.extend(i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas")
        return original(*args)

    monkeypatch.setattr(history, "evaluate", spy)
    config = small(epochs=1)
    before = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    fit(config, splits_for(config))
    assert seen and set(seen) == {1}
    assert [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"] == before


def test_weight_norm_accumulates_in_float64():
    big = np.full((100, 10), 1e19, np.float32)            # Σ W² = 1e41 overflows float32
    assert not np.isfinite(np.vdot(big, big))
    params = {"W1": big, "b1": np.full(10, 3e19, np.float32)}
    assert weight_norm(params) == pytest.approx(math.sqrt(1000) * float(np.float32(1e19)), rel=1e-15)
    both = math.sqrt(1000 * float(np.float32(1e19)) ** 2 + 10 * float(np.float32(3e19)) ** 2)
    assert weight_norm(params, include_bias=True) == pytest.approx(both, rel=1e-15)
