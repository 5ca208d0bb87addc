"""`make best`'s budget split across model classes (pipeline/allocate.py, best.search_all): the next
batch goes to the class that still gains most per minute (a UCB rule), from the stored studies;
a finished split does no work again, and a deadline stops it once every class has a setting."""
import math

import optuna
import pytest

from helpers.config import Config
from helpers.pipeline import allocate, best, space

BASE = Config(model="softmax", n_train=1000, n_test=200, holdout="first", holdout_size=0.2, epochs=2, batch_size=100,
              init="zeros", optimizer="momentum", monitor="holdout_acc", restore="best", progress=False)
SPACE = {"optimizer": ["choice", "momentum", "adam"],
         "optimizer: momentum": {"lr": ["log", 1e-3, 1.0], "momentum": ["float", 0.0, 0.9]},
         "optimizer: adam": {"lr": ["log", 1e-4, 0.1], "schedule": ["choice", "cosine", "inverse"]}}


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_ENGINE", "serial")
    monkeypatch.setenv("WORKBOOK_CACHE", str(tmp_path / "fits"))
    monkeypatch.setenv("WORKBOOK_STUDY_STORAGE", f"sqlite:///{tmp_path / 'studies.sqlite3'}")


def made(accuracies, seconds):
    """A study whose complete trials scored ``accuracies`` in that order, each trial ``seconds`` long."""
    s = optuna.create_study(direction="maximize")
    for acc in accuracies:
        s.add_trial(optuna.trial.create_trial(state=optuna.trial.TrialState.COMPLETE, value=acc,
                                              user_attrs={"seconds": float(seconds)}))
    return s


def test_gain_is_the_relative_fall_of_the_best_error_over_the_last_batch():
    s = made([0.90, 0.92, 0.91, 0.96], 10)       # batch 2: best error 0.08 before, 0.04 after
    assert allocate.gain(s, 2) == pytest.approx((0.08 - 0.04) / 0.08)
    assert allocate.gain(made([0.90, 0.95, 0.93, 0.94], 10), 2) == 0.0      # the last batch found nothing better
    assert allocate.gain(made([0.90, 0.95], 10), 2) == 1.0                  # one batch: nothing to compare with


def test_the_score_is_gain_plus_bonus_per_minute_of_a_batch():
    s = made([0.90, 0.92, 0.91, 0.96], 30)        # 2 batches of 2 trials, 60 s each
    value, parts = allocate.score(s, 2, total=6)
    assert parts["minutes"] == pytest.approx(1.0) and parts["batches"] == 2
    assert value == pytest.approx(0.5 + allocate.EXPLORE * math.sqrt(2 * math.log(6) / 2))


def test_the_next_batch_goes_to_the_class_still_gaining_then_to_the_cheap_one():
    improving, flat = made([0.90, 0.92, 0.91, 0.96], 30), made([0.90, 0.95, 0.93, 0.94], 30)
    assert allocate.pick({"flat": flat, "improving": improving}, 2, cap=10)[0] == "improving"
    cheap_flat = made([0.90, 0.95, 0.93, 0.94], 0.1)          # 300x cheaper: its bonus per minute wins
    assert allocate.pick({"cheap": cheap_flat, "improving": improving}, 2, cap=10)[0] == "cheap"
    # a class at its cap gets nothing; a class with no complete trial gets its first batch before anyone
    assert allocate.pick({"improving": improving, "flat": flat}, 2, cap=4) == (None, {})
    assert allocate.pick({"improving": improving, "new": made([], 1)}, 2, cap=10) == ("new", {"first": True})


def plan(trials=4, budget=30):
    P = {"scale": "smoke", "trials": trials, "batch": 2, "rung": 0.0, "budget_minutes": budget}
    classes = {name: best.Setup(BASE.replace(l2=l2), space.Space(SPACE), {}) for name, l2 in (("a", 0.0), ("b", 1e-4))}
    return P, classes


def test_every_class_gets_its_trials_and_a_second_run_does_no_work(capsys):
    P, classes = plan()
    outcomes = best.search_all(P, classes)
    out = capsys.readouterr().out
    assert {len(o.study.trials) for o in outcomes.values()} == {4}
    assert out.index("a: next batch (its first)") < out.index("b: next batch (its first)")
    assert out.count("next batch (score") == 2       # the second batches were allocated by the rule
    assert all(o.study.user_attrs["allocation"][0] == {"first": True} for o in outcomes.values())
    again = best.search_all(P, classes)
    assert all(o.fits == {"cached": 0, "computed": 0} for o in again.values())
    assert "next batch" not in capsys.readouterr().out


def test_a_passed_deadline_leaves_each_class_one_setting_and_is_not_resumed_with_that_budget(capsys):
    P, classes = plan()
    outcomes = best.search_all(P, classes, deadline=0.0)
    assert [len(o.study.trials) for o in outcomes.values()] == [2, 2]
    assert all(o.stopped == "budget" for o in outcomes.values())
    again = best.search_all(P, classes)               # the same budget: finished for it
    assert all(o.fits == {"cached": 0, "computed": 0} for o in again.values())
    more = best.search_all({**P, "budget_minutes": 60}, classes)    # a larger budget goes on
    assert [len(o.study.trials) for o in more.values()] == [4, 4]


def test_a_branch_s_fields_reach_the_trial_s_configuration():
    P, classes = plan(trials=2)
    outcome = best.search_all(P, classes)["a"]
    for t in outcome.study.trials:
        config = space.chosen(BASE, t.params)
        assert config.optimizer == t.params["optimizer"]
        assert config.lr == t.params[f"lr|optimizer={config.optimizer}"]
        assert (config.optimizer == "adam") == ("schedule|optimizer=adam" in t.params)


def test_a_branch_must_follow_a_choice_that_has_its_value():
    with pytest.raises(space.SearchError, match="'optimizer' must be a choice listed before it"):
        space.Space({"optimizer: adam": {"lr": ["log", 1e-4, 0.1]}, "optimizer": ["choice", "adam"]})
    with pytest.raises(space.SearchError, match="'adamw' is not one of optimizer's choices"):
        space.Space({"optimizer": ["choice", "momentum", "adam"], "optimizer: adamw": {"lr": ["log", 1e-4, 0.1]}})


def test_a_branch_s_number_ranges_from_yaml_reach_the_notebook_as_numbers():
    from helpers.pipeline import params
    from helpers.pipeline.runfiles import defaults
    values = defaults("08_best")
    values["classes"]["network, ReLU"]["space"]["optimizer: adamw"]["lr"] = ["log", "1e-04", "0.01"]  # YAML's text
    checked = params.validate(values, "08_best")["classes"]["network, ReLU"]["space"]["optimizer: adamw"]
    assert checked["lr"] == ["log", 1e-04, 0.01]


def test_a_chosen_setting_reads_as_its_rule():
    assert space.describe({"optimizer": "adam", "lr|optimizer: adam": 0.001, "schedule|optimizer: adam": "inverse"}) \
        == "adam, η 0.001, η schedule constant"
    assert space.describe({"schedule": "inverse", "anneal_T": 1000}) == "η schedule 1/(1 + t/T), T 1000"
    assert space.describe({"optimizer": "adamw", "schedule": "cosine", "warmup": 500}) == \
        "adamw, η schedule cosine, warm-up 500"

