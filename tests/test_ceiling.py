"""The feasibility check of the search's logistic classes (issue 27): ``ceiling.optimum`` is the exact
optimum of the course's L2-penalised logistic loss, so the course's own gradient vanishes there."""
import numpy as np
import pytest

from helpers.data import Splits
from helpers.models import logistic_regression
from helpers.pipeline import ceiling


def problem(seed=0, n=300, d=20):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    t = (x @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n) > 0).astype(np.float64)
    return x, t


@pytest.mark.parametrize("l2", [1e-1, 1e-3, 1e-6])
def test_the_course_gradient_vanishes_at_the_optimum(l2):
    x, t = problem()
    w, b = ceiling.optimum(x, t, l2)
    _, grads = logistic_regression(x.shape[1]).loss({"W1": w[:, None], "b1": np.array([b])}, x, t.astype(np.int64), l2=l2)
    assert max(np.abs(g).max() for g in grads.values()) < 1e-9


def test_a_warm_start_reaches_the_same_optimum_as_a_cold_one():
    x, t = problem(1)
    cold = ceiling.optimum(x, t, 1e-4)
    warm = ceiling.optimum(x, t, 1e-4, start=ceiling.optimum(x, t, 1e-2))
    assert np.allclose(cold[0], warm[0], atol=1e-9, rtol=0) and abs(cold[1] - warm[1]) < 1e-9


def test_the_penalty_must_be_positive():
    x, t = problem()
    with pytest.raises(ValueError, match="positive penalty"):
        ceiling.optimum(x, t, 0.0)


def test_the_path_counts_the_errors_of_each_optimum_and_its_best_is_the_fewest():
    x, t = problem(2, n=600)
    s = Splits(x[:300], t[:300], x[300:450], t[300:450], x[450:], t[450:])
    path = ceiling.l2_path(s, (1e-1, 1e-3))
    for point in path:
        w, b = ceiling.optimum(s.x_train, s.y_train, point["l2"])
        assert point["test_errors"] == int(np.sum((s.x_test @ w + b > 0) != (s.y_test > 0.5)))
        assert point["holdout_errors"] == int(np.sum((s.x_holdout @ w + b > 0) != (s.y_holdout > 0.5)))
    assert ceiling.best_of(path)["test_errors"] == min(p["test_errors"] for p in path)
