"""The search of training settings (issue 20): an Optuna study whose trials are engine fits,
stored so that it resumes and is not redone; pruning by fixed-epoch rungs; hold-out only."""
import optuna
import pytest

from helpers import train
from helpers.pipeline import best, search, space, trials
from helpers.config import Config

BASE = Config(model="softmax", n_train=2000, n_test=500, holdout="first", holdout_size=0.1, epochs=4, batch_size=100,
              init="zeros", optimizer="momentum", monitor="holdout_acc", restore="best", progress=False)
SPACE = space.Space({"lr": ["log", 1e-5, 1.0], "momentum": ["float", 0.0, 0.9]})


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Fits in this process, a fit cache and a study store of the test's own."""
    monkeypatch.setenv("WORKBOOK_ENGINE", "serial")
    monkeypatch.setenv("WORKBOOK_CACHE", str(tmp_path / "fits"))
    monkeypatch.setenv("WORKBOOK_STUDY_STORAGE", f"sqlite:///{tmp_path / 'studies.sqlite3'}")


def study(name="s", **options):
    return search.open_study(name, "smoke", BASE.monitor, **options)


def test_space_rejects_a_field_config_does_not_have():
    with pytest.raises(space.SearchError, match="'learning_rate' is not a Config field"):
        space.Space({"learning_rate": ["log", 1e-3, 1.0]})


def test_space_rejects_a_range_that_is_not_one():
    with pytest.raises(space.SearchError, match=r"lr=\['log', 0.1, 0.01\] is not a number range sampled on a log scale"):
        space.Space({"lr": ["log", 0.1, 0.01]})


def test_space_reads_the_numbers_yaml_gives_as_strings():
    assert space.Space({"l2": ["log", "1e-07", 0.01]}).spec["l2"] == ("log", [1e-07, 0.01])


@pytest.mark.parametrize("cap, rung, epochs", [(40, 0.25, 10), (3, 0.25, 1), (100, 0.0, None), (2, 0.9, None)])
def test_the_rung_is_its_fraction_of_the_cap_and_shorter_than_it(cap, rung, epochs):
    assert space.rung_epochs(cap, rung) == epochs


def test_a_trial_scores_the_holdout_metric_of_the_fit_its_setting_makes():
    s = study()
    search.search(s, BASE, SPACE, trials=2, rung=0.0, batch=2)
    splits = train.load_splits(BASE)
    for t in s.trials:
        reference = train.fit(space.chosen(BASE, t.params), splits)   # the fit, rebuilt outside the engine
        assert t.value == reference.final["holdout_acc"]
        assert list(t.intermediate_values.values()) == reference.history["holdout_acc"][1:]


def test_a_finished_study_is_not_searched_again():
    search.search(study(), BASE, SPACE, trials=2, rung=0.0, batch=2)
    again = search.search(study(), BASE, SPACE, trials=2, rung=0.0, batch=2)
    assert again.fits == {"cached": 0, "computed": 0} and len(again.study.trials) == 2


def test_a_trial_an_interrupted_search_left_running_is_asked_again():
    s = study()
    left = s.ask()
    params = SPACE.suggest(left)     # the search stopped here, before the trial's fits finished
    outcome = search.search(study(), BASE, SPACE, trials=1, rung=0.0, batch=1)
    states = {t.number: t.state.name for t in outcome.study.trials}
    assert outcome.resumed == 1 and states == {0: "FAIL", 1: "COMPLETE"}
    assert outcome.study.trials[1].params == params


def test_a_pruned_trial_trains_its_rung_and_a_survivor_its_rung_and_cap():
    s = study(startup=2, prune_after=2)
    search.search(s, BASE.replace(epochs=8), SPACE, trials=8, rung=0.25, batch=2)
    later = s.trials[2:]      # the first batch: no complete trial yet, nothing to prune against, no rung
    assert {t.user_attrs["epochs_trained"] for t in s.trials[:2]} == {8}
    assert any(t.state.name == "PRUNED" for t in later), "no trial was pruned: the test would prove nothing"
    for t in later:
        assert t.user_attrs["epochs_trained"] == {"PRUNED": 2, "COMPLETE": 2 + 8}[t.state.name]


def test_pruning_savings_are_the_epochs_not_trained_over_those_of_unpruned_trials():
    s = optuna.create_study(direction="maximize")
    for state, trained, unpruned in (("COMPLETE", 12, 10), ("PRUNED", 2, 10), ("PRUNED", 3, 12)):
        s.add_trial(optuna.trial.create_trial(
            state=getattr(optuna.trial.TrialState, state), value=0.5 if state == "COMPLETE" else None,
            intermediate_values={1: 0.4}, user_attrs={"epochs_trained": trained, "epochs_unpruned": unpruned,
                                                      "seconds": float(trained), "seconds_unpruned": float(unpruned)}))
    assert trials.compute(s)["saved"] == pytest.approx(1 - (12 + 2 + 3) / (10 + 10 + 12))


def test_a_diverging_trial_fails_and_the_rest_of_its_batch_completes():
    s = study()
    s.enqueue_trial({"lr": 0.1})
    s.enqueue_trial({"lr": 1e38})     # overflows float32 at once: train.DivergenceError
    search.search(s, BASE, space.Space({"lr": ["log", 1e-3, 1e38]}), trials=2, rung=0.0, batch=2)
    states = [(t.state.name, "diverged" in t.user_attrs) for t in s.trials[:2]]
    assert states == [("COMPLETE", False), ("FAIL", True)]


def test_a_study_and_a_base_that_optimise_different_metrics_are_refused():
    with pytest.raises(space.SearchError, match="monitors 'holdout_loss'"):
        search.search(study(), BASE.replace(monitor="holdout_loss"), SPACE, trials=1)


def test_final_runs_may_not_use_the_seed_the_trials_trained_with():
    P = {"seeds": [0, 1, 2], "classes": {}, "dataset": "mnist", "scale": "smoke"}
    with pytest.raises(ValueError, match=r"seeds=\[0, 1, 2\] contains 0, the seed every trial trains with"):
        best.setups(P)


def test_a_search_space_from_yaml_reaches_the_notebook_as_numbers():
    from helpers.pipeline import params
    from helpers.pipeline.runfiles import defaults
    values = defaults("08_best")
    values["classes"]["softmax"]["space"]["l2"] = ["log", "1e-07", "0.01"]   # what papermill's YAML gives
    assert params.validate(values, "08_best")["classes"]["softmax"]["space"]["l2"] == ["log", 1e-07, 0.01]


def test_every_class_is_set_beside_a_published_test_accuracy():
    from helpers.pipeline.published import published
    from helpers.pipeline.runfiles import defaults
    labels = {e["label"] for e in published() if e["metric"] == "test_acc"}
    assert all(spec["compare"]["published"] in labels for spec in defaults("08_best")["classes"].values())


def test_a_passed_deadline_stops_a_search_only_once_it_has_a_setting_to_choose():
    outcome = search.search(study(), BASE, SPACE, trials=4, rung=0.0, batch=2, deadline=0.0)
    assert outcome.stopped == "budget" and [t.state.name for t in outcome.study.trials] == ["COMPLETE"] * 2
