"""The training loop on real MNIST subsets: accuracy, reproducibility, early stopping,
the learning-rate schedule, the update rules and the saved results."""
import json
from functools import lru_cache

import numpy as np
import pytest

from helpers import optim
from helpers.config import Config
from helpers.train import build_model, evaluate, fit, load_splits

DATA_FIELDS = ("dataset", "digits", "n_train", "n_test", "holdout", "holdout_size",
               "split_seed", "normalisation", "dtype")


@lru_cache(maxsize=None)
def _splits(key):
    return load_splits(Config(**dict(zip(DATA_FIELDS, key)), model="logistic" if key[1] else "mlp"))


def splits_for(config):
    """load_splits(config), shared by every test that asks for the same data."""
    return _splits(tuple(getattr(config, f) for f in DATA_FIELDS))


def small(**changes):
    """A quick real-data configuration; tests override what they exercise."""
    base = dict(model="softmax", init="zeros", n_train=300, n_test=200, holdout="first",
                holdout_size=0.2, lr=0.1, epochs=2, batch_size=20, progress=False)
    return Config(**{**base, **changes})


# --- (a) accuracy on a few thousand real images ------------------------------------

ACCURACY = [
    pytest.param(dict(model="logistic", digits=(2, 3), n_train=8000, init="zeros", lr=0.05), 0.95,
                 id="logistic_2v3"),
    pytest.param(dict(model="softmax", n_train=4000, init="zeros", lr=0.05), 0.85, id="softmax"),
    pytest.param(dict(model="mlp", hidden=(64,), activation="tanh", n_train=4000, init="xavier",
                      lr=0.05), 0.90, id="network"),
]


@pytest.mark.realdata
@pytest.mark.parametrize("settings, threshold", ACCURACY)
def test_reaches_test_accuracy(settings, threshold, capsys):
    config = Config(n_test=2000, holdout="first", holdout_size=0.1, epochs=10, batch_size=32,
                    progress=False, **settings)
    result = fit(config, splits_for(config))
    assert result.final["test_acc"] >= threshold, result.final
    assert result.final["stop_reason"] == "max_epochs" and result.final["epochs_run"] == 10
    assert capsys.readouterr() == ("", "")


# --- (b) reproducibility ------------------------------------------------------------

def test_same_seed_gives_identical_weights_and_history():
    config = small(model="mlp", hidden=(16,), init="xavier", seed=7, epochs=2)
    a, b = fit(config, splits_for(config)), fit(config, splits_for(config))
    assert a.params.keys() == b.params.keys() == {"W1", "b1", "W2", "b2"}
    for key in a.params:
        assert np.array_equal(a.params[key], b.params[key]), key
    assert a.history == b.history
    assert a.final == b.final


def test_different_seed_gives_different_weights():
    config = small(model="mlp", hidden=(16,), init="xavier", seed=7, epochs=2)
    a = fit(config, splits_for(config))
    c = fit(config.replace(seed=8), splits_for(config))
    for key in a.params:
        assert not np.array_equal(a.params[key], c.params[key]), key


def test_seed_changes_batch_order_even_with_zero_init():
    config = small(model="softmax", init="zeros", seed=0, epochs=1)
    a = fit(config, splits_for(config))
    c = fit(config.replace(seed=1), splits_for(config))
    assert not np.array_equal(a.params["W1"], c.params["W1"])


# --- (c) early stopping -------------------------------------------------------------

def overfitting(rule, patience=3):
    """Softmax on 160 images with a large step: the hold-out loss soon rises."""
    return small(model="softmax", init="zeros", n_train=200, n_test=100, holdout_size=0.3,
                 lr=0.5, batch_size=10, epochs=40, early_stopping=rule, patience=patience)


def stop_epoch_best(losses, patience):
    """First epoch that is `patience` epochs after the best so far (None: never)."""
    for e in range(1, len(losses)):
        if e - int(np.argmin(losses[:e + 1])) >= patience:
            return e
    return None


def stop_epoch_rise(losses, patience):
    """First epoch ending `patience` consecutive rises of the hold-out loss."""
    for e in range(patience, len(losses)):
        if all(losses[e - i] > losses[e - i - 1] for i in range(patience)):
            return e
    return None


@pytest.mark.parametrize("rule", ["best", "rise"])
def test_early_stopping_restores_best_epoch_weights(rule):
    config = overfitting(rule)
    splits = splits_for(config)
    result = fit(config, splits)
    losses = result.history["holdout_loss"]
    assert result.history["epoch"] == list(range(len(losses)))
    assert result.final["stop_reason"] == "early_stopping"
    best = result.final["best_epoch"]
    assert best == int(np.argmin(losses))
    assert 0 < best < result.final["epochs_run"]
    assert losses[-1] > losses[best]                      # the hold-out loss did rise
    loss, acc = evaluate(build_model(config), result.params, splits.x_holdout, splits.y_holdout)
    assert loss == losses[best]
    assert acc == result.history["holdout_acc"][best]
    assert result.final["holdout_loss"] == losses[best]


def test_early_stopping_best_stops_patience_epochs_after_best():
    result = fit(overfitting("best"), splits_for(overfitting("best")))
    losses = result.history["holdout_loss"]
    expected = stop_epoch_best(losses, 3)
    assert expected is not None
    assert result.final["epochs_run"] == expected == len(losses) - 1
    assert expected - result.final["best_epoch"] == 3


def test_early_stopping_rise_stops_after_consecutive_rises():
    result = fit(overfitting("rise"), splits_for(overfitting("rise")))
    losses = result.history["holdout_loss"]
    expected = stop_epoch_rise(losses, 3)
    assert expected is not None
    assert result.final["epochs_run"] == expected == len(losses) - 1
    assert all(losses[expected - i] > losses[expected - i - 1] for i in range(3))
    # the two rules differ on this run: "best" would have stopped earlier
    assert stop_epoch_best(losses, 3) < expected


def test_no_early_stopping_runs_all_epochs_and_keeps_last_weights():
    config = overfitting(None).replace(epochs=12)
    splits = splits_for(config)
    result = fit(config, splits)
    assert result.final["epochs_run"] == 12 and result.final["stop_reason"] == "max_epochs"
    loss, _ = evaluate(build_model(config), result.params, splits.x_holdout, splits.y_holdout)
    assert loss == result.history["holdout_loss"][-1]


# --- (d) learning-rate annealing ----------------------------------------------------

def test_learning_rate_schedule_function():
    assert optim.learning_rate(0.1, 0, None) == 0.1
    assert optim.learning_rate(0.1, 10 ** 6, None) == 0.1
    assert optim.learning_rate(1e-3, 0, 1000) == 1e-3
    assert optim.learning_rate(1e-3, 1000, 1000) == pytest.approx(5e-4, rel=1e-15)
    assert optim.learning_rate(0.0015, 3, 3) == pytest.approx(0.00075, rel=1e-15)
    for t in range(20):
        assert optim.learning_rate(0.004, t, 2) == pytest.approx(0.004 / (1 + t / 2), rel=1e-15)


def annealed(per):
    # 2 vs 3 in the first 300 images: 50 training images, batches of 17 -> 3 steps per epoch
    return small(model="logistic", digits=(2, 3), init="zeros", n_train=300, holdout_size=0.2,
                 lr=0.1, batch_size=17, epochs=3, anneal_T=2.0, anneal_per=per, eval_every=1)


@pytest.mark.parametrize("per", ["step", "epoch"])
def test_annealing_schedule_steps_used_in_training(per):
    """The lr each step actually trains with (run_epoch's on_step callback)."""
    from helpers import history, train
    config = annealed(per)
    splits = splits_for(config)
    assert len(splits.x_train) == 50
    used, spy = [], (lambda step, lr: used.append((step, lr)))
    model = build_model(config)
    params = model.init(np.random.default_rng(0), "zeros", np.float32)
    grads = {k: np.empty_like(v) for k, v in params.items()}
    state = dict.fromkeys(params)
    rng, step = np.random.default_rng(0), 0
    for epoch in range(3):
        step = train.run_epoch(model, params, state, grads, splits.x_train, splits.y_train,
                               config, rng, step, epoch, spy)
    assert [s for s, _ in used] == list(range(1, 10))
    t = [s - 1 if per == "step" else (s - 1) // 3 for s, _ in used]
    assert [lr for _, lr in used] == [0.1 / (1 + ti / 2.0) for ti in t]


@pytest.mark.parametrize("per", ["step", "epoch"])
def test_annealing_recorded_lr_column(per):
    """With eval_every=1 each row records the lr of the step just taken (row 0: η0):
    η0 / (1 + t/T), t = s - 1 per step, t = (s - 1) // steps_per_epoch per epoch."""
    config = annealed(per)
    result = fit(config, splits_for(config))
    steps = result.history["step"]
    assert steps == list(range(10))
    assert result.history["epoch"] == pytest.approx([s / 3 for s in steps])
    expected = [0.1] + [0.1 / (1 + (s - 1 if per == "step" else (s - 1) // 3) / 2.0)
                        for s in steps[1:]]
    assert result.history["lr"] == pytest.approx(expected, rel=1e-15)


# --- (e) update rules ----------------------------------------------------------------

LR, GAMMA = 0.1, 0.9


def three_gradients():
    rng = np.random.default_rng(11)
    return rng.standard_normal((3, 4)), [rng.standard_normal((3, 4)) for _ in range(3)]


def run_rule(rule, w0, gradients, lr=LR, gamma=GAMMA):
    w, state = w0.copy(), None
    buffer = w                                  # updates must be in place
    for g in gradients:
        w, state = rule(w, g.copy(), state, lr, gamma)
        assert w is buffer
    return w


def test_sgd_rule():
    w0, gs = three_gradients()
    expected = w0.copy()
    for g in gs:
        expected = expected - LR * g
    np.testing.assert_allclose(run_rule(optim.sgd, w0, gs), expected, rtol=1e-14, atol=1e-15)


def test_classic_momentum_rule():
    w0, gs = three_gradients()
    w, v = w0.copy(), np.zeros_like(w0)
    for g in gs:
        v = GAMMA * v - LR * g
        w = w + v
    np.testing.assert_allclose(run_rule(optim.momentum, w0, gs), w, rtol=1e-14, atol=1e-15)
    # the first step is a plain gradient step (v starts at 0)
    np.testing.assert_allclose(run_rule(optim.momentum, w0, gs[:1]), w0 - LR * gs[0], rtol=1e-15)


def test_averaged_momentum_rule():
    w0, gs = three_gradients()
    w, dw = w0.copy(), np.zeros_like(w0)
    for g in gs:
        dw = GAMMA * dw + (1 - GAMMA) * LR * g
        w = w - dw
    np.testing.assert_allclose(run_rule(optim.averaged, w0, gs), w, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("rule", ["sgd", "momentum", "averaged"])
def test_rules_with_prescaled_gradient(rule):
    """The training loop passes η∇E with lr=1: same result as lr=η with ∇E."""
    w0, gs = three_gradients()
    update = optim.get(rule)
    np.testing.assert_allclose(run_rule(update, w0, [LR * g for g in gs], lr=1.0),
                               run_rule(update, w0, gs, lr=LR), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("rule", ["sgd", "momentum", "averaged"])
def test_fit_applies_rule_formula(rule):
    """Three full-batch steps of fit against the formula, rebuilt with model.loss."""
    config = small(model="mlp", hidden=(8,), init="xavier", dtype="float64", batch_size=None,
                   epochs=3, optimizer=rule, lr=0.3, momentum=0.8, seed=3)
    splits = splits_for(config)
    result = fit(config, splits)
    model = build_model(config)
    w = model.init(np.random.default_rng(3), "xavier", np.float64)
    v = {k: np.zeros_like(p) for k, p in w.items()}
    for _ in range(3):
        _, g = model.loss(w, splits.x_train, splits.y_train)
        for k in w:
            if rule == "sgd":
                w[k] = w[k] - 0.3 * g[k]
            elif rule == "momentum":
                v[k] = 0.8 * v[k] - 0.3 * g[k]
                w[k] = w[k] + v[k]
            else:
                v[k] = 0.8 * v[k] + (1 - 0.8) * 0.3 * g[k]
                w[k] = w[k] - v[k]
    assert result.final["steps"] == 3
    for k in w:
        np.testing.assert_allclose(result.params[k], w[k], rtol=1e-10, atol=1e-13, err_msg=k)


# --- (f) saved results ---------------------------------------------------------------

def test_result_to_json_is_readable_json_that_rebuilds_the_config():
    config = small(epochs=2)
    result = fit(config, splits_for(config))
    saved = json.loads(json.dumps(result.to_json(), allow_nan=False))   # what a results file holds per fit
    assert {"config", "final", "history"} <= saved.keys()
    assert Config.from_dict(saved["config"]) == config
    assert saved["final"] == result.final
    assert saved["history"] == result.history
    assert saved["digest"] == config.digest()


@pytest.mark.parametrize("model", ["logistic", "softmax"])
def test_evaluate_is_the_mean_cross_entropy_and_accuracy(model):
    """Against the formulas written out here in float64: -mean log p(label), argmax / sign."""
    rng = np.random.default_rng(3)
    config = Config(model=model, digits=(2, 3) if model == "logistic" else None)
    net = build_model(config, 20)
    params = net.init(rng, "normal", np.float64)
    x = rng.normal(size=(40, 20))
    y = rng.integers(0, 2 if model == "logistic" else 10, 40)
    z = x @ params["W1"] + params["b1"]
    if model == "logistic":
        p = 1 / (1 + np.exp(-z[:, 0]))
        loss, predictions = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), z[:, 0] > 0
    else:
        log_p = z - z.max(axis=1, keepdims=True)
        log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
        loss, predictions = -np.mean(log_p[np.arange(40), y]), z.argmax(axis=1)
    got_loss, got_acc = evaluate(net, params, x, y)
    assert got_loss == pytest.approx(loss, rel=1e-12) and got_acc == np.mean(predictions == y)
