"""Options for reading the reports' listings exactly (issue 18), each against a hand computation:
the listing's early stop (the `> 3` guard and w_prevprev), the "until converged" rule, Aagaard's
penalised hold-out monitor, the bias input 1/255, the listing's hold-out cut, λ-set chains."""
import numpy as np
import pytest

from helpers import data
from helpers.config import Config
from helpers.stopping import Keeper
from helpers.train import fit, sweep

from test_train import small, splits_for


def keeper_run(config, values):
    """Feed ``values`` (epochs 0, 1, ...) of the monitored metric to the stopping rule, with the
    weights of epoch e stored as {"W1": [e]}; -> (epoch it stopped at or None, epoch of the weights returned)."""
    history = {config.monitor: [values[0]]}
    keeper = Keeper(config, {"W1": np.array([0.0])}, history)
    for epoch, value in enumerate(values[1:], start=1):
        history[config.monitor].append(value)
        params = {"W1": np.array([float(epoch)])}
        if keeper.update(epoch, params):
            returned_epoch, weights = keeper.returned(epoch, params)
            assert weights["W1"][0] == returned_epoch      # the weights are that epoch's
            return epoch, returned_epoch
    return None, keeper.returned(len(values) - 1, params)[0]


LISTING = dict(early_stopping="rise", monitor="holdout_acc", patience=1, restore="back2", stop_after=3)


def listing_stop(accs):
    """Zhu & Guo's listing, rebuilt: accuracy k is recorded before update k+1; once more than 3 are
    recorded, the first one below its predecessor stops and w_prevprev (two updates back) returns."""
    for k in range(len(accs)):
        if k + 1 > 3 and accs[k] < accs[k - 1]:
            return k, k - 2
    raise AssertionError("each test sequence stops")


@pytest.mark.parametrize("accs", [
    [0.5, 0.9, 0.8, 0.95, 0.94, 0.96],     # a drop at update 2 is before the guard; the one at 4 stops
    [0.5, 0.9, 0.95, 0.93, 0.99],          # the earliest stop: update 3 returns the weights after 1 update
    [0.5, 0.4, 0.3, 0.6, 0.5, 0.7],        # drops at updates 1 and 2 ignored; the one at 4 stops
])
def test_listing_stop_returns_w_prevprev_after_the_guard(accs):
    assert keeper_run(small(**LISTING), accs) == listing_stop(accs)


def test_listing_stop_never_returns_the_zero_start():
    stop, returned = keeper_run(small(**LISTING), [0.5, 0.9, 0.95, 0.2])
    assert (stop, returned) == (3, 1)


def test_without_the_guard_the_first_drop_stops():
    """stop_after 0 (the default) keeps the behaviour from before: a drop at epoch 2 returns epoch 0."""
    assert keeper_run(small(**{**LISTING, "stop_after": 0}), [0.5, 0.9, 0.8, 0.95]) == (2, 0)


def test_converged_stops_at_the_first_change_below_the_tolerance_and_keeps_the_last_weights():
    config = small(early_stopping="converged", min_delta=1e-3, monitor="holdout_loss", patience=1)
    losses = [1.0, 0.5, 0.45, 0.4495, 0.4494]
    # |0.4495 - 0.45| = 5e-4 < 1e-3 first at epoch 3
    assert keeper_run(config, losses) == (3, 3)
    assert keeper_run(config.replace(patience=2), losses) == (4, 4)


def test_converged_counts_a_rise_as_a_change():
    config = small(early_stopping="converged", min_delta=1e-3, monitor="holdout_loss", patience=1)
    assert keeper_run(config, [1.0, 0.5, 0.6, 0.7]) == (None, 3)


# --- Aagaard's monitor: mean hold-out cross-entropy + λΣw² -----------------------------------

def test_penalised_monitor_is_the_mean_cross_entropy_plus_lambda_sum_of_squares():
    config = small(model="logistic", digits=(2, 3), dtype="float64", bias="input", reduction="sum", l2=0.01,
                   batch_size=10, shuffle=False, lr=1e-3, epochs=2, monitor="holdout_penalised", restore="last")
    splits = splits_for(config)
    result = fit(config, splits)
    w, b = result.params["W1"][:, 0], result.params["b1"][0]
    z = splits.x_holdout @ w + b
    t = splits.y_holdout
    mean_ce = np.mean(np.log1p(np.exp(z)) - t * z)            # -[t ln y + (1-t) ln(1-y)], y = σ(z)
    expected = mean_ce + 0.01 * (np.sum(w ** 2) + b ** 2)      # the bias is an input weight: penalised
    assert result.history["holdout_penalised"][-1] == pytest.approx(expected, rel=1e-10)


def test_penalised_monitor_ignores_the_gradient_convention():
    """λ2 ΣW² as written, also when the gradient is λW (l2_gradient 'lw')."""
    base = small(model="logistic", digits=(2, 3), dtype="float64", l2=0.1, monitor="holdout_penalised",
                 restore="last", epochs=1)
    splits = splits_for(base)
    result = fit(base.replace(l2_gradient="lw"), splits)
    w = result.params["W1"]
    assert result.history["holdout_penalised"][-1] == pytest.approx(
        result.history["holdout_loss"][-1] + 0.1 * np.sum(w ** 2), rel=1e-12)


# --- the bias input 1/255 ----------------------------------------------------------------------

def test_bias_input_c_is_the_weight_of_a_constant_c_input():
    """One full-batch step of softmax on [c, x]·[b; W], summed loss, L2 λW on every weight, by hand."""
    c, lr, lam = 1 / 255, 1e-3, 0.01
    config = small(dtype="float64", init="normal", bias="input", bias_input=c, reduction="sum", l2=lam,
                   l2_gradient="lw", batch_size=None, lr=lr, epochs=1, restore="last")
    splits = splits_for(config)
    result = fit(config, splits)
    rng = np.random.default_rng(config.seed)
    w0 = rng.standard_normal((785, 10))               # [b; W], b the weight of the constant input c
    xc = np.hstack([np.full((len(splits.x_train), 1), c), splits.x_train])
    a = xc @ w0
    y = np.exp(a - a.max(1, keepdims=True))
    y /= y.sum(1, keepdims=True)
    w1 = w0 - lr * (xc.T @ (y - np.eye(10)[splits.y_train]) + lam * w0)
    np.testing.assert_allclose(result.params["b1"], w1[0], rtol=1e-10)
    np.testing.assert_allclose(result.params["W1"], w1[1:], rtol=1e-10)


def test_bias_input_one_is_todays_bias():
    config = small(init="normal", bias="input", epochs=1)
    assert config.digest() == config.replace(bias_input=1.0).digest()
    a, b = fit(config, splits_for(config)), fit(config.replace(bias_input=1.0), splits_for(config))
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)


# --- the listing's hold-out cut -----------------------------------------------------------------

def test_listing_holdout_is_int_of_the_fraction_and_skips_one_and_drops_the_last():
    x, y = np.arange(25)[:, None], np.arange(25)
    xt, yt, xh, yh = data.holdout_split(x, y, "first-listing", 0.1)
    assert yh.tolist() == [0, 1]                              # int(2.5) = 2 (round would give 2 too)
    assert yt.tolist() == list(range(3, 24))                  # images int(0.1n)+1 .. n-2
    x, y = np.arange(38)[:, None], np.arange(38)              # int(3.8) = 3, where round gives 4
    assert data.holdout_split(x, y, "first-listing", 0.1)[3].tolist() == [0, 1, 2]
    assert data.holdout_split(x, y, "first-listing", 0.1)[1].tolist() == list(range(4, 37))


# --- λ sets: one warm-started chain per set, each from the initial weights -----------------------

def test_each_lambda_set_is_a_chain_from_the_same_initial_weights(monkeypatch, tmp_path):
    from helpers.pipeline import experiment
    monkeypatch.setenv("WORKBOOK_ENGINE", "serial")
    monkeypatch.setenv("WORKBOOK_CACHE", str(tmp_path / "fits"))
    base = small(init="normal", bias="input", batch_size=None, epochs=2, restore="best", monitor="holdout_acc")
    selection = {"penalties": ["l1", "l2"], "lambdas": [[0.01, 0.001], [0.05]], "warm_start": True}
    got = experiment.run_selection(base, selection, [0])
    assert list(got) == ["l1 λ=0.01", "l1 λ=0.001", "l2 λ=0.01", "l2 λ=0.001", "l1 λ=0.05", "l2 λ=0.05"]
    splits = splits_for(base)
    chain1 = sweep([base.replace(l1=0.01), base.replace(l1=0.001), base.replace(l2=0.01), base.replace(l2=0.001)], splits)
    chain2 = sweep([base.replace(l1=0.05), base.replace(l2=0.05)], splits)
    fresh = fit(base.replace(l1=0.05), splits)        # the second set starts from the initial weights again
    for name, result in zip(got, chain1 + chain2):
        assert all(np.array_equal(got[name][0].params[k], result.params[k]) for k in result.params), name
    assert np.array_equal(got["l1 λ=0.05"][0].params["W1"], fresh.params["W1"])
    assert not np.array_equal(got["l2 λ=0.001"][0].params["W1"], fit(base.replace(l2=0.001), splits).params["W1"])


def test_a_flat_lambda_list_is_one_chain(monkeypatch, tmp_path):
    from helpers.pipeline import experiment
    monkeypatch.setenv("WORKBOOK_ENGINE", "serial")
    monkeypatch.setenv("WORKBOOK_CACHE", str(tmp_path / "fits"))
    base = small(init="normal", batch_size=None, epochs=1, restore="last")
    got = experiment.run_selection(base, {"penalties": ["l2"], "lambdas": [0.1, 0.01], "warm_start": True}, [0])
    first = fit(base.replace(l2=0.1), splits_for(base))
    second = fit(base.replace(l2=0.01), splits_for(base), params=first.last_params)
    assert np.array_equal(got["l2 λ=0.01"][0].params["W1"], second.params["W1"])


def test_the_new_training_options_are_not_data_settings():
    """A worker builds the splits from the data fields alone: a config using the new options must
    give the same data key as without them (and a valid Config for load_splits)."""
    from helpers.pipeline import engine
    plain = small(model="softmax", init="normal", bias="input")
    used = plain.replace(bias_input=1 / 255, early_stopping="converged", min_delta=1e-5, stop_after=3)
    assert engine._data_key(used) == engine._data_key(plain)
