"""The report's search section (issue 27): the time `make best` takes on this machine, from the seconds
per epoch this build's fits measured; the table's trials and wall time per class."""
import json

import pytest

from helpers.config import Config
from helpers.pipeline import best as search_plan
from helpers.pipeline import engine, names, resolve
from helpers.report import best, search_time

FIT = {"mlp": Config(model="mlp", n_train=1000, epochs=40, progress=False),
       "softmax": Config(model="softmax", n_train=2000, epochs=100, progress=False),
       "logistic": Config(model="logistic", digits=(2, 8), n_train=2000, epochs=100, progress=False)}


def results_tree(root, fits):
    """A build's results: one file whose fits are (config, epochs run, wall time)."""
    path = root / "build" / "results" / "runs" / "x" / "y.json"
    path.parent.mkdir(parents=True)
    runs = {"v": [{"config": c.to_dict(), "final": {"epochs_run": e}, "wall_time": w} for c, e, w in fits]}
    path.write_text(json.dumps({"runs": runs}))


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.setattr(search_time, "pipeline_root", lambda scale: tmp_path)
    monkeypatch.setenv("WORKBOOK_CACHE", str(tmp_path / "fits"))     # no rates kept from earlier builds
    return tmp_path


def test_the_rate_is_seconds_over_the_work_of_the_epochs_each_fit_ran(here):
    mlp = FIT["mlp"]
    results_tree(here, [(mlp, 10, 3.0), (mlp.replace(seed=1), 30, 5.0), (FIT["softmax"], 5, 1.0)])
    rates = search_time.trained_rates("full")
    assert rates["mlp"] == pytest.approx(8.0 / (engine.cost((mlp.replace(epochs=10),)) +
                                                engine.cost((mlp.replace(epochs=30),))))
    assert rates["softmax"] == pytest.approx(1.0 / engine.cost((FIT["softmax"].replace(epochs=5),)))


def test_the_expected_time_is_the_budget_bound_or_the_trials_whichever_is_less_plus_the_final_runs(here):
    results_tree(here, [(FIT[m], 4, 2.0) for m in FIT])
    rates = search_time.trained_rates("full")
    P = resolve.effective(names.parameter_file(best.RUN), "full")
    classes = search_plan.setups(P)
    work = {name: engine.cost((s.base,)) * rates[s.base.model] for name, s in classes.items()}  # seconds a fit
    e = search_time.expected("full", workers=2)
    assert e["search"] == pytest.approx(P["trials"] * sum(work.values()) / 2 / 60)
    assert e["final"] == pytest.approx(len(P["seeds"]) * sum(work.values()) / 2 / 60)
    assert e["bound"] == pytest.approx(search_plan.SEARCH_SHARE * P["budget_minutes"])
    assert e["minutes"] == pytest.approx(min(e["search"], e["bound"]) + e["final"])
    text = search_time.expected_text("full")
    assert text.startswith("about ") and "on this machine" in text and "this build's mlp fits" in text


def test_without_a_measured_fit_the_time_is_the_budget_s_bound(here):
    e = search_time.expected("smoke", workers=2)
    assert e["minutes"] is None and e["bound"] > 0 and "measured here yet" in e["basis"]
    assert "the budget's bound" in search_time.expected_text("smoke")


def test_the_settings_table_shows_trials_pruned_and_wall_time():
    rows = [{"class": "network, ReLU", "monitor": "holdout_acc", "value": 0.981, "trials": 20, "pruned": 7,
             "chosen": {"optimizer": "adamw", "lr|optimizer=adamw": 0.001}, "wall_seconds": 600.0},
            {"class": "softmax", "monitor": "holdout_acc", "value": 0.93, "trials": 24, "pruned": 0,
             "chosen": {"lr": 0.1}, "wall_seconds": None}]
    piece = best.settings_table(rows)
    for form, eta in ((piece.html, "η"), (str(piece), r"$\eta$")):     # the HTML page's and the PDF's
        assert "20 (7)" in form and "10.0 min" in form and f"adamw, {eta} 0.001" in form and "24 (0)" in form


def test_the_last_line_says_the_section_is_in_the_report_when_the_search_ran(monkeypatch):
    classes = {"softmax": {"wall_seconds": 600.0, "fits_now": {"cached": 0, "computed": 12}},
               "network, ReLU": {"wall_seconds": 480.0, "fits_now": {"cached": 2, "computed": 0}}}
    monkeypatch.setattr(best, "load_search", lambda scale: ({"extra": {"seconds": 1200.0, "classes": classes}}, None))
    assert best.hint("full") == ("report: the search section is from `make best` (this run took 20 minutes, its "
                                 "searches' batches 18 minutes); a second `make best` does no work")


def test_a_rerun_that_only_loaded_the_stored_studies_says_when_the_searches_ran():
    """After an input the studies do not depend on changed, `make best` reruns the notebook in seconds:
    the report must not say the search took those seconds."""
    classes = {"softmax": {"wall_seconds": 600.0, "fits_now": {"cached": 0, "computed": 0}},
               "network, ReLU": {"wall_seconds": 960.0, "fits_now": {"cached": 0, "computed": 0}}}
    assert search_time.took({"extra": {"seconds": 30.0, "classes": classes}}) == (
        "its searches' batches took 26 minutes when they ran; this run loaded them and took 0.5 minutes")
