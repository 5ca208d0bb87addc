"""Linear fits that share their data train as one array program (issue 26): each stacked fit gives
the numbers of the same fit trained alone (within 1e-12 in float64), whatever its company; a fit
that stops is frozen, never dropped; the pipeline groups a call's fits by a fixed rule and caches
each fit under its own key."""
import numpy as np
import pytest

from helpers.config import Config
from helpers.pipeline import engine, stacks
from helpers.pipeline.cache import entry, key
from helpers.pipeline import stacked
from helpers.pipeline.stacked import fit_stacked, stack_key
from helpers.train import fit, load_splits

TOL = 1e-12


def logistic(**changes):
    base = dict(model="logistic", digits=(2, 3), n_train=3000, n_test=600, holdout="first", holdout_size=0.2,
                init="zeros", batch_size=None, lr=0.5, epochs=40, dtype="float64", progress=False)
    return Config(**{**base, **changes})


def softmax(**changes):
    base = dict(model="softmax", n_train=1500, n_test=400, holdout="first", holdout_size=0.2, init="normal",
                batch_size=None, lr=0.3, epochs=15, dtype="float64", progress=False)
    return Config(**{**base, **changes})


def assert_close(alone, stacked, tol=TOL):
    """Histories, final metrics and weights (returned and last) agree within ``tol``; counts exactly."""
    assert alone.history.keys() == stacked.history.keys()
    for column, values in alone.history.items():
        np.testing.assert_allclose(np.array(stacked.history[column], float), np.array(values, float),
                                   rtol=0, atol=tol, err_msg=column)
    assert alone.final.keys() == stacked.final.keys()
    for name, value in alone.final.items():
        if isinstance(value, float):
            assert abs(stacked.final[name] - value) <= tol, name
        else:
            assert stacked.final[name] == value, name
    for weights in ("params", "last_params"):
        for name, w in getattr(alone, weights).items():
            got = getattr(stacked, weights)[name]
            assert got.dtype == w.dtype and got.shape == w.shape
            np.testing.assert_allclose(got, w, rtol=0, atol=tol, err_msg=f"{weights} {name}")


STACKS = {
    "logistic, each its own penalty, rate, schedule and stop": [
        logistic(), logistic(l2=0.01), logistic(l1=0.003), logistic(lr=0.1, anneal_T=5.0),
        logistic(early_stopping="converged", min_delta=1e-3, epochs=60),
        logistic(l2_gradient="lw", l2=0.001, restore="back2", reduction="sum", lr=0.0005)],
    "logistic, the bias a weight of a constant input": [
        logistic(bias="input", bias_input=1 / 255, l2=0.01), logistic(bias="input", bias_input=1 / 255, l1=0.01)],
    "softmax, seeds and update rules": [
        softmax(), softmax(seed=1, l2=0.001), softmax(seed=2, optimizer="momentum", momentum=0.5),
        softmax(early_stopping="rise", patience=1, optimizer="averaged", momentum=0.9, epochs=30)],
    "softmax mini-batches of one seed": [
        softmax(batch_size=150, epochs=4), softmax(batch_size=150, epochs=3, l1=0.001),
        softmax(batch_size=150, epochs=4, early_stopping="best", patience=1, monitor="holdout_acc")],
    "logistic batches in order": [
        logistic(batch_size=250, shuffle=False, epochs=6, lr=0.1),
        logistic(batch_size=250, shuffle=False, epochs=6, lr=0.05, seed=3, init="normal")],
}


@pytest.mark.parametrize("configs", STACKS.values(), ids=STACKS.keys())
def test_each_stacked_fit_gives_the_numbers_of_the_fit_alone(configs):
    splits = load_splits(configs[0])
    stacked = fit_stacked(configs, splits)
    for config, result in zip(configs, stacked, strict=True):
        assert result.config == config
        assert_close(fit(config, splits), result)


def test_a_fit_that_stops_is_frozen_while_the_others_train_on():
    quick = logistic(early_stopping="converged", min_delta=1e-2, epochs=40)
    configs = [logistic(), quick, logistic(l2=0.001)]
    results = fit_stacked(configs, load_splits(quick))
    assert results[1].final["stop_reason"] == "early_stopping"
    assert results[1].final["epochs_run"] < results[0].final["epochs_run"] == results[2].final["epochs_run"] == 40
    assert len(results[1].history["epoch"]) == results[1].final["epochs_run"] + 1   # no row after its stop


def test_a_fit_gets_the_same_numbers_whatever_it_is_stacked_with():
    configs = STACKS["logistic, each its own penalty, rate, schedule and stop"]
    splits = load_splits(configs[0])
    together = fit_stacked(configs, splits)
    for i in (0, 4):
        assert_close(fit_stacked([configs[i]], splits)[0], together[i])
        assert_close(fit_stacked([configs[i], configs[1]], splits)[0], together[i])


def test_float32_stacks_agree_with_the_fits_alone_to_single_precision():
    configs = [softmax(dtype="float32"), softmax(dtype="float32", seed=1, l2=0.001)]
    splits = load_splits(configs[0])
    for config, result in zip(configs, fit_stacked(configs, splits)):
        assert result.params["W1"].dtype == np.float32
        assert_close(fit(config, splits), result, tol=1e-5)


def test_who_may_train_together():
    assert stack_key(softmax(seed=0)) == stack_key(softmax(seed=5, l1=0.1, lr=2.0, epochs=3))   # full batch
    assert stack_key(softmax(batch_size=200, seed=0)) != stack_key(softmax(batch_size=200, seed=1))
    assert stack_key(softmax(batch_size=200, shuffle=False, seed=0)) == stack_key(
        softmax(batch_size=200, shuffle=False, seed=1))
    assert stack_key(softmax()) != stack_key(softmax(n_train=1000))
    assert stack_key(softmax()) != stack_key(softmax(dtype="float32"))
    assert stack_key(softmax(model="mlp", hidden=(8,), init="xavier")) is None
    assert stack_key(softmax(eval_every=5)) is None
    assert stack_key(softmax(batch_size=stacked.MIN_BATCH - 1)) is None      # small mini-batches: faster alone
    assert stack_key(softmax(batch_size=stacked.MIN_BATCH)) is not None


def test_a_setting_the_stacked_trainer_does_not_implement_trains_alone(monkeypatch):
    """A Config field added after stacked.py (here: pretend ``momentum`` is one) away from its default,
    or an update rule it does not know, keeps the fit out of every stack: never trained approximately."""
    assert stack_key(softmax(optimizer="momentum", momentum=0.5)) is not None
    monkeypatch.setattr(stacked, "HANDLED", stacked.HANDLED - {"momentum"})
    assert stack_key(softmax(optimizer="momentum", momentum=0.5)) is None
    assert stack_key(softmax()) is not None
    monkeypatch.setitem(stacked.CHOICES, "optimizer", ("sgd",))
    assert stack_key(softmax(optimizer="averaged")) is None


def test_fit_stacked_refuses_fits_of_different_data():
    with pytest.raises(ValueError, match="one stack_key"):
        fit_stacked([softmax(), softmax(n_train=1000)], load_splits(softmax()))


def test_the_grouping_depends_on_the_call_never_on_the_cache():
    jobs = [(softmax(seed=s),) for s in range(3)] + [(softmax(model="mlp", hidden=(8,), init="xavier"),),
                                                    (logistic(),), (softmax(), softmax(l2=0.1))]
    assert stacks.tasks(jobs, list(range(6))) == [([0, 1, 2], True), ([3], False), ([4], False), ([5], False)]
    assert stacks.tasks(jobs, [2, 4]) == [([2], True), ([4], False)]   # a stack's one fit left is still stacked


def test_the_engine_trains_a_stack_as_one_task_and_caches_each_fit(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_CACHE", str(tmp_path / "fits"))
    monkeypatch.setenv("WORKBOOK_ENGINE", "serial")
    jobs = [(c,) for c in STACKS["softmax, seeds and update rules"]]
    stats = {}
    first = engine.run(jobs, log=lambda *_: None, stats=stats, quiet=True)
    assert stats["computed"] == len(jobs)
    splits = load_splits(jobs[0][0])
    for (config,), (result,) in zip(jobs, first):
        assert entry(key((config,))).exists()
        assert_close(fit(config, splits), result)
    entry(key(jobs[2])).unlink()   # one fit to train again, alone: the same numbers
    again = engine.run(jobs, log=lambda *_: None, stats=stats, quiet=True)
    assert stats["computed"] == 1
    assert_close(first[2][0], again[2][0])


def test_stacks_on_a_local_cluster_give_the_serial_bits(tmp_path, monkeypatch):
    from distributed import Client, LocalCluster
    jobs = [(logistic(epochs=8, l2=lam),) for lam in (0.0, 0.01, 0.1)] + \
        [(softmax(seed=s, epochs=5),) for s in (0, 1)] + [(softmax(model="mlp", hidden=(8,), init="xavier", epochs=3),)]
    assert [stacked for _, stacked in stacks.tasks(jobs, list(range(6)))] == [True, True, False]
    monkeypatch.setenv("WORKBOOK_CACHE", str(tmp_path / "serial"))
    monkeypatch.setenv("WORKBOOK_ENGINE", "serial")
    serial = engine.run(jobs, log=lambda *_: None, quiet=True)
    monkeypatch.setenv("WORKBOOK_CACHE", str(tmp_path / "dask"))
    monkeypatch.setenv("WORKBOOK_ENGINE", "dask")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster):
        on_dask = engine.run(jobs, log=lambda *_: None, stats=(stats := {}), quiet=True)
    assert stats["where"] == "dask" and stats["computed"] == 6
    for (a,), (b,), (config,) in zip(serial, on_dask, jobs):
        assert a.history == b.history and a.final == b.final and b.config == config
        for name in a.params:
            np.testing.assert_array_equal(a.params[name], b.params[name])
        assert entry(key((config,))).exists()


ADAPTIVE_STACK = [logistic(optimizer="adam", lr=0.05, batch_size=300, epochs=5),
                  logistic(optimizer="adam", lr=0.02, schedule="cosine", warmup=7, batch_size=300, epochs=6, l2=1e-3),
                  logistic(optimizer="adamw", lr=0.01, weight_decay=0.1, batch_size=300, epochs=5,
                           early_stopping="best", patience=2, monitor="holdout_loss", restore="best"),
                  logistic(optimizer="momentum", momentum=0.9, lr=0.1, schedule="step", anneal_T=10,
                           batch_size=300, epochs=5)]


def test_adam_adamw_and_every_schedule_stack_with_the_numbers_of_the_fit_alone():
    """Issue 27's rules in issue 26's stacks: the search's linear trials of one batch train together."""
    assert len({stack_key(c) for c in ADAPTIVE_STACK}) == 1 and stack_key(ADAPTIVE_STACK[0]) is not None
    splits = load_splits(ADAPTIVE_STACK[0])
    for config, result in zip(ADAPTIVE_STACK, fit_stacked(ADAPTIVE_STACK, splits), strict=True):
        assert_close(fit(config, splits), result)
