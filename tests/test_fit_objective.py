"""Early stopping may watch the training objective on the hold-out set (data term + penalty)."""
import numpy as np
import pytest

from helpers.config import Config
from helpers.models import penalty
from helpers.train import fit, load_splits


def test_holdout_objective_is_the_data_term_as_reduced_plus_the_penalty():
    config = Config(model="logistic", digits=(2, 3), n_train=1500, n_test=300, holdout="first", holdout_size=0.2,
                    init="zeros", bias="input", reduction="sum", l2=0.01, batch_size=40, lr=1e-3, epochs=3,
                    monitor="holdout_objective", restore="last", progress=False)
    splits = load_splits(config)
    result = fit(config, splits)
    n = len(splits.y_holdout)
    h = result.history
    assert h["holdout_objective"][-1] == pytest.approx(
        h["holdout_loss"][-1] * n + penalty(result.params, 0.0, 0.01, True), rel=1e-12)


def test_rise_stops_after_patience_rises_of_the_watched_quantity():
    base = dict(model="logistic", digits=(2, 3), n_train=3000, n_test=300, holdout="first", holdout_size=0.2,
                init="zeros", bias="input", reduction="sum", l2=0.5, batch_size=40, lr=1e-3, epochs=40,
                early_stopping="rise", patience=2, restore="last", progress=False)
    splits = load_splits(Config(**base))
    data_only = fit(Config(**base, monitor="holdout_loss"), splits)
    objective = fit(Config(**base, monitor="holdout_objective"), splits)
    assert objective.final["stop_reason"] == data_only.final["stop_reason"] == "early_stopping"
    for result, column in ((objective, "holdout_objective"), (data_only, "holdout_loss")):
        assert (np.diff(result.history[column])[-2:] > 0).all(), "stopped after two rises of what it watches"
