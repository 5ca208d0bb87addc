"""Backprop against central differences (SPEC C), float64, for every model, activation,
penalty and reduction; the check itself must also be able to fail."""
import numpy as np
import pytest

from helpers.activations import ACTIVATIONS
from helpers.gradcheck import check_gradients
from helpers.models import Network

N, D, K = 6, 5, 3
BOUND = 1e-7               # strict: order 4, eps 1e-3 (check_gradients' defaults)
KINK_MARGIN = 0.05         # |w| for L1, |z| for relu: far beyond the largest step 2 eps = 2e-3
KINKED = {"relu", "leaky_relu"}

LINEAR = {
    "logistic": Network((D, 1), output="sigmoid"),
    "softmax": Network((D, K)),
}
NETWORKS = {
    "one_hidden": (D, 4, K),
    "two_hidden": (D, 4, 3, K),
}
# (l1, l2, penalise_bias)
PENALTIES = {
    "none": (0.0, 0.0, False),
    "l1": (0.1, 0.0, False),
    "l2": (0.0, 0.1, False),
    "both": (0.1, 0.1, False),
    "both_bias": (0.1, 0.1, True),
}
REDUCTIONS = ("mean", "sum")

CASES = [pytest.param(model, pen, red, id=f"{name}-{pen}-{red}")
         for name, model in LINEAR.items() for pen in PENALTIES for red in REDUCTIONS]
CASES += [pytest.param(Network(sizes, act), pen, red, id=f"{name}-{act}-{pen}-{red}")
          for name, sizes in NETWORKS.items() for act in ACTIVATIONS
          for pen in PENALTIES for red in REDUCTIONS]


def hidden_preactivations(model, params, x):
    """Every hidden z_l = a_{l-1} W_l + b_l, rebuilt here with the model's activation."""
    forward, _ = ACTIVATIONS[model.activation]
    a, zs = x, []
    for layer in range(1, model.depth):
        z = a @ params[f"W{layer}"] + params[f"b{layer}"]
        zs.append(z)
        a = forward(z.copy())
    return zs


def problem(model, seed, l1, penalise_bias):
    """Tiny random data and float64 parameters (random biases) away from the L1 kink."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, model.sizes[0]))
    y = rng.integers(0, max(model.sizes[-1], 2), N)
    params = model.init(rng, "xavier", np.float64)
    for name in params:
        if name.startswith("b"):
            params[name] = 0.1 * rng.standard_normal(params[name].shape)
    if l1:
        for name, w in params.items():
            if name.startswith("W") or penalise_bias:
                params[name] = np.where(w >= 0, 1.0, -1.0) * np.maximum(np.abs(w), KINK_MARGIN)
    return x, y, params


def chosen_problem(model, l1, penalise_bias):
    """The first seed whose hidden pre-activations all keep |z| >= 0.05 (kinked activations)."""
    for seed in range(1000):
        x, y, params = problem(model, seed, l1, penalise_bias)
        if model.activation not in KINKED or model.depth == 1:
            return x, y, params
        if min(np.abs(z).min() for z in hidden_preactivations(model, params, x)) >= KINK_MARGIN:
            return x, y, params
    raise AssertionError("no seed in 0..999 keeps every hidden pre-activation away from the kink")


@pytest.mark.parametrize("model, penalty, reduction", CASES)
def test_backprop_matches_order4_central_differences(model, penalty, reduction):
    l1, l2, penalise_bias = PENALTIES[penalty]
    x, y, params = chosen_problem(model, l1, penalise_bias)
    if l1:
        penalised = [w for k, w in params.items() if k.startswith("W") or penalise_bias]
        assert min(np.abs(w).min() for w in penalised) >= KINK_MARGIN

    def loss_fn(p):
        return model.loss(p, x, y, l1=l1, l2=l2, reduction=reduction, penalise_bias=penalise_bias)

    rows = check_gradients(loss_fn, params)          # order 4, eps 1e-3, every entry
    assert len(rows) == sum(w.size for w in params.values())
    assert any(abs(r.backprop) > 1e-3 for r in rows)  # a non-trivial gradient was compared
    worst = max(rows, key=lambda r: r.rel_diff)
    assert worst.rel_diff < BOUND, worst


def test_course_network_order2_agrees_within_eps_squared():
    """SPEC C: 784-128-10 tanh, ε = 1e-2, one b2, two W2, one b1, two W1 entries."""
    model = Network((784, 128, 10), "tanh")
    rng = np.random.default_rng(0)
    params = model.init(rng, "xavier", np.float64)
    x = rng.random((8, 784))                     # pixel-like inputs in [0, 1)
    y = rng.integers(0, 10, 8)
    entries = [("b2", (3,)), ("W2", (5, 2)), ("W2", (100, 7)),
               ("b1", (17,)), ("W1", (300, 5)), ("W1", (400, 100))]
    eps = 1e-2

    def loss_fn(p):
        return model.loss(p, x, y, reduction="sum")

    rows = check_gradients(loss_fn, params, eps=eps, entries=entries, order=2)
    assert [(r.parameter, r.index) for r in rows] == entries
    assert [r.layer for r in rows] == [2, 2, 2, 1, 1, 1]
    for r in rows:
        scale = max(abs(r.numerical), abs(r.backprop))
        assert scale > 1e-3, r                   # the entry carries a real gradient
        assert r.abs_diff < 10 * eps ** 2 * scale, r


def test_course_network_order2_error_is_second_order_in_eps():
    """Halving ε divides the order-2 error by about 4 (truncation, not rounding, dominates)."""
    model = Network((784, 128, 10), "tanh")
    rng = np.random.default_rng(0)
    params = model.init(rng, "xavier", np.float64)
    x, y = rng.random((8, 784)), rng.integers(0, 10, 8)
    entries = [("b2", (3,)), ("W2", (5, 2)), ("b1", (17,)), ("W1", (400, 100))]

    def loss_fn(p):
        return model.loss(p, x, y, reduction="sum")

    coarse = check_gradients(loss_fn, params, eps=2e-2, entries=entries, order=2)
    fine = check_gradients(loss_fn, params, eps=1e-2, entries=entries, order=2)
    for c, f in zip(coarse, fine):
        assert 3.0 < c.abs_diff / f.abs_diff < 5.0, (c, f)


def test_a_wrong_gradient_is_caught():
    model = Network((D, 4, K), "tanh")
    x, y, params = chosen_problem(model, 0.0, False)

    def honest(p):
        return model.loss(p, x, y)

    def wrong(p):
        loss, grads = model.loss(p, x, y)
        grads["W1"][2, 1] *= 1.01
        return loss, grads

    assert max(r.rel_diff for r in check_gradients(honest, params)) < BOUND
    rows = check_gradients(wrong, params)
    bad = [r for r in rows if r.rel_diff > 1e-3]
    assert [(r.parameter, r.index) for r in bad] == [("W1", (2, 1))]
    assert bad[0].rel_diff == pytest.approx(0.01 / 1.01, rel=1e-4)


# --- the bias as the weight of a constant-1 input (Config bias "input") ----------------------

INPUT_BIAS = [pytest.param(Network((D, 1), output="sigmoid"), id="logistic"),
              pytest.param(Network((D, K)), id="softmax"),
              pytest.param(Network((D, 4, K), "tanh"), id="one_hidden-tanh")]


def input_bias_problem(model, seed=0):
    """bias="input" parameters (b drawn with W, N(0, 1)) away from the L1 kink, and data."""
    rng = np.random.default_rng(seed)
    params = model.init(rng, "normal", np.float64, bias="input")
    params = {k: np.where(w >= 0, 1.0, -1.0) * np.maximum(np.abs(w), KINK_MARGIN) for k, w in params.items()}
    return rng.standard_normal((N, model.sizes[0])), rng.integers(0, max(model.sizes[-1], 2), N), params


@pytest.mark.parametrize("model", INPUT_BIAS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_input_bias_with_penalties_matches_central_differences(model, reduction):
    """L1 and L2 covering the bias (as fit applies them with bias "input"): strict bound."""
    x, y, params = input_bias_problem(model)
    assert all(np.abs(params[k]).min() >= KINK_MARGIN for k in params)

    def loss_fn(p):
        return model.loss(p, x, y, l1=0.1, l2=0.1, reduction=reduction, penalise_bias=True)

    rows = check_gradients(loss_fn, params)
    bias_rows = [r for r in rows if r.parameter.startswith("b")]
    assert bias_rows and any(abs(r.backprop) > 1e-3 for r in bias_rows)
    worst = max(rows, key=lambda r: r.rel_diff)
    assert worst.rel_diff < BOUND, worst


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_input_bias_equals_a_constant_1_column(reduction):
    """Loss and gradients of x·W + b with the penalty on b equal those of [1, x]·[b; W]
    with the penalty on [b; W] and no separate bias (the 785-column formulation)."""
    model = Network((D, K))
    x, y, params = input_bias_problem(model, seed=3)
    wide = Network((D + 1, K))
    stacked = {"W1": np.vstack([params["b1"][None, :], params["W1"]]), "b1": np.zeros(K)}
    x1 = np.hstack([np.ones((N, 1)), x])
    loss, grads = model.loss(params, x, y, l1=0.1, l2=0.1, reduction=reduction, penalise_bias=True)
    wide_loss, wide_grads = wide.loss(stacked, x1, y, l1=0.1, l2=0.1, reduction=reduction)
    assert loss == pytest.approx(wide_loss, rel=1e-13)
    np.testing.assert_allclose(grads["b1"], wide_grads["W1"][0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grads["W1"], wide_grads["W1"][1:], rtol=1e-12, atol=1e-14)
