"""The strict check tells a backprop error from the difference quotient's own rounding floor."""
import numpy as np

from helpers import gradcheck
from helpers.models import Network


def rows_for(x, y, seed=0):
    model = Network((x.shape[1], 3, 4), "tanh")
    params = model.init(np.random.default_rng(seed), "xavier", np.float64)
    return gradcheck.check_gradients(lambda q: model.loss(q, x, y), params, 1e-3, order=4), model, params


def test_floor_is_the_stencils_rounding_bound():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((5, 6)), rng.integers(0, 4, 5)
    rows, model, params = rows_for(x, y)
    loss = model.loss(params, x, y)[0]
    assert rows[0].floor == abs(loss) * np.finfo(np.float64).eps * 1.5 / 1e-3


def test_a_tiny_gradient_is_judged_against_the_floor_not_the_relative_error():
    row = gradcheck.Row(1, "W1", (0, 0), numerical=-1.434e-6, backprop=-1.434e-6 + 1.6e-13, abs_diff=1.6e-13,
                        rel_diff=1.1e-7, floor=7.8e-13)
    assert not gradcheck.resolved(row) and gradcheck.agrees(row)
    wrong = row._replace(backprop=1.434e-6, abs_diff=2.9e-6, rel_diff=2.0)
    assert not gradcheck.agrees(wrong), "a sign error is never within rounding"


def test_a_backprop_error_fails_the_check():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((5, 6)), rng.integers(0, 4, 5)
    model = Network((6, 3, 4), "tanh")
    params = model.init(np.random.default_rng(0), "xavier", np.float64)

    def wrong_loss(q):
        loss, grads = model.loss(q, x, y)
        grads["b1"] = grads["b1"] * 1.001   # a 0.1% scale error in one gradient
        return loss, grads

    rows = gradcheck.check_gradients(wrong_loss, params, 1e-3, order=4)
    failing = {r.parameter for r in rows if not gradcheck.agrees(r)}
    assert failing == {"b1"}
