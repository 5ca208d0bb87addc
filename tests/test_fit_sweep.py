"""train.sweep: fits chained by their weights (Zhu & Guo's λ selection: L1 then L2, 10 epochs
per λ, never re-initialised, the annealing restarted per λ)."""
import numpy as np
import pytest

from helpers.train import build_model, fit, sweep

from test_train import small, splits_for


def zhu_guo(**changes):
    """Full-batch softmax on the summed loss with η(t) = η0/(1 + t/T) per epoch, λW."""
    return small(**{**dict(model="softmax", init="normal", batch_size=None, reduction="sum", lr=0.0015,
                           anneal_T=3.0, anneal_per="epoch", l2_gradient="lw", epochs=3, bias="input",
                           monitor="holdout_acc", restore="last"), **changes})


def assert_same(a, b):
    assert a.params.keys() == b.params.keys()
    for k in a.params:
        assert np.array_equal(a.params[k], b.params[k]), k
    assert a.history == b.history
    assert {k: v for k, v in a.final.items() if k != "warm_start"} == \
        {k: v for k, v in b.final.items() if k != "warm_start"}


def test_two_config_sweep_equals_two_fits_chained_by_hand():
    first, second = zhu_guo(l1=1e-3), zhu_guo(l2=1e-3, init="xavier", seed=3)   # second init: never used
    splits = splits_for(first)
    results = sweep([first, second], splits)
    by_hand_1 = fit(first, splits)
    by_hand_2 = fit(second, splits, params=by_hand_1.params)
    assert_same(results[0], by_hand_1)
    assert_same(results[1], by_hand_2)
    assert results[0].config == first and results[1].config == second
    assert results[0].final["warm_start"] == [] and results[1].final["warm_start"] == [first.digest()]


def test_each_fit_restarts_its_schedule_and_continues_the_weights():
    first, second = zhu_guo(l1=1e-3), zhu_guo(l2=1e-3)
    results = sweep([first, second], splits_for(first))
    lr = [0.0015 / (1 + t / 3.0) for t in range(3)]
    for r in results:                         # the recorded lr: η0 at row 0, then the epoch's η
        assert r.history["lr"] == pytest.approx([0.0015, *lr], rel=1e-15)
    # the second fit's row 0 measures the first fit's returned weights
    assert results[1].history["holdout_acc"][0] == results[0].final["holdout_acc"]
    assert results[1].history["train_loss"][0] == results[0].final["train_loss"]


def test_first_config_init_is_used_once_and_params_replace_it():
    config = zhu_guo()
    splits = splits_for(config)
    start = build_model(config).init(np.random.default_rng(42), "normal", np.float32)
    results = sweep([config, config.replace(l2=1e-2)], splits, params=start)
    assert_same(results[0], fit(config, splits, params=start))
    assert results[1].final["warm_start"] == ["params", config.digest()]
    assert not np.array_equal(results[0].params["W1"], fit(config, splits).params["W1"])


def test_sweep_continues_the_last_weights_whatever_restore_reports():
    """Zhu & Guo's code trains one W on from λ to λ and reports the best accuracy seen: the next
    fit starts from the last epoch's weights; ``continue_from="returned"`` takes the restored ones."""
    first = zhu_guo(restore="best", epochs=4, lr=0.01)
    second = zhu_guo(l2=1e-3)
    splits = splits_for(first)
    results = sweep([first, second], splits)
    assert_same(results[1], fit(second, splits, params=results[0].last_params))
    assert results[0].final["holdout_acc"] == max(results[0].history["holdout_acc"])
    returned = sweep([first, second], splits, continue_from="returned")
    assert_same(returned[1], fit(second, splits, params=returned[0].params))
    assert returned[1].history["holdout_acc"][0] == max(returned[0].history["holdout_acc"])


def test_sweep_does_not_modify_the_given_params():
    config = zhu_guo()
    start = build_model(config).init(np.random.default_rng(1), "normal", np.float32)
    copy = {k: v.copy() for k, v in start.items()}
    sweep([config], splits_for(config), params=start)
    for k in start:
        assert np.array_equal(start[k], copy[k])


@pytest.mark.parametrize("changes, field", [(dict(n_train=250), "n_train"), (dict(dtype="float64"), "dtype"),
                                            (dict(bias="separate"), "bias")])
def test_sweep_rejects_configs_on_other_data_or_networks(changes, field):
    config = zhu_guo()
    with pytest.raises(ValueError, match=rf"sweep: configs\[1\]\.{field}=.* differs from configs\[0\]"):
        sweep([config, config.replace(**changes)], splits_for(config))


def test_sweep_needs_configs():
    with pytest.raises(ValueError, match="at least one configuration"):
        sweep([], splits_for(zhu_guo()))
    with pytest.raises(ValueError, match=r"configs\[0\] is a dict, not a Config"):
        sweep([zhu_guo().to_dict()], splits_for(zhu_guo()))
