"""Output layers and activations: exact formulas, shift invariance and extreme logits."""
import warnings

import numpy as np
import pytest

from helpers.activations import ACTIVATIONS, sigmoid
from helpers.losses import log_softmax, sigmoid_cross_entropy, softmax, softmax_cross_entropy
from helpers.models import Network

DTYPES = (np.float32, np.float64)


class strict:
    """No floating-point warning may escape: overflow, division by 0 and invalid (NaN)
    operations raise, and any warning is an error. (Underflow to 0 of e^-|z| is the
    intended, exact-enough result and stays numpy's default, silent.)"""

    def __enter__(self):
        self._err = np.errstate(over="raise", divide="raise", invalid="raise")
        self._warn = warnings.catch_warnings()
        self._err.__enter__()
        self._warn.__enter__()
        warnings.simplefilter("error")

    def __exit__(self, *exc):
        self._warn.__exit__(*exc)
        return self._err.__exit__(*exc)


def moderate_logits(seed=0, shape=(7, 5)):
    return 3.0 * np.random.default_rng(seed).standard_normal(shape)


# --- softmax -------------------------------------------------------------------------

def test_softmax_shift_invariance_probabilities():
    z = moderate_logits()
    shifts = np.array([[0.5], [-3.0], [100.0], [-250.0], [7.25], [1e3], [0.0]])
    np.testing.assert_allclose(softmax(z + 42.0), softmax(z), rtol=0, atol=1e-12)
    np.testing.assert_allclose(softmax(z + shifts), softmax(z), rtol=0, atol=1e-12)


def test_softmax_shift_invariance_loss_and_delta():
    z = moderate_logits()
    y = np.random.default_rng(1).integers(0, 5, len(z))
    loss, delta = softmax_cross_entropy(z.copy(), y)
    loss_shifted, delta_shifted = softmax_cross_entropy(z.copy() + 300.0, y)
    assert loss_shifted == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(delta_shifted, delta, rtol=0, atol=1e-12)


def test_softmax_rows_sum_to_one():
    z = moderate_logits(shape=(50, 10))
    np.testing.assert_allclose(softmax(z).sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert (softmax(z) > 0).all()
    model = Network((4, 3, 6), "tanh")
    rng = np.random.default_rng(2)
    p = model.probabilities(model.init(rng, "normal", np.float64), rng.standard_normal((9, 4)))
    assert p.shape == (9, 6)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_softmax_cross_entropy_matches_direct_formula():
    z = moderate_logits()
    y = np.random.default_rng(3).integers(0, 5, len(z))
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)      # fine for moderate logits
    expected_loss = -np.log(p[np.arange(len(y)), y]).sum()
    expected_delta = p - np.eye(5)[y]
    loss, delta = softmax_cross_entropy(z.copy(), y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    np.testing.assert_allclose(delta, expected_delta, rtol=0, atol=1e-12)
    np.testing.assert_allclose(log_softmax(z), np.log(p), rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_extreme_logits(dtype):
    z = np.array([[1e4, -1e4], [1e4, -1e4], [-1e4, 1e4]], dtype=dtype)
    y = np.array([1, 0, 0])
    with strict():
        loss, delta = softmax_cross_entropy(z.copy(), y)
    assert np.isfinite(loss) and np.isfinite(delta).all() and delta.dtype == dtype
    assert loss == 2e4 + 0.0 + 2e4                    # -log softmax = 2e4, 0, 2e4
    np.testing.assert_array_equal(delta, [[1, -1], [0, 0], [-1, 1]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("value", [0.0, 1e4, -1e4])
def test_softmax_cross_entropy_equal_logits_give_log_k(dtype, value):
    n, k = 4, 10
    z = np.full((n, k), value, dtype=dtype)
    y = np.arange(n)
    with strict():
        loss, delta = softmax_cross_entropy(z.copy(), y)
        p = softmax(z.copy())
    assert np.isfinite(loss) and np.isfinite(delta).all()
    assert loss == pytest.approx(n * np.log(k), rel=1e-6 if dtype == np.float32 else 1e-14)
    np.testing.assert_allclose(p, 1 / k, rtol=1e-6)
    np.testing.assert_allclose(delta, 1 / k - np.eye(k)[y], rtol=0, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_probabilities_extreme_logits(dtype):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=dtype)
    with strict():
        p = softmax(z)
    assert np.isfinite(p).all()
    np.testing.assert_array_equal(p[0], [1, 0, 0])
    np.testing.assert_allclose(p[1], 1 / 3, rtol=1e-6)


# --- sigmoid output ------------------------------------------------------------------

def test_sigmoid_cross_entropy_matches_direct_formula():
    z = moderate_logits(shape=(9, 1))
    t = np.random.default_rng(4).integers(0, 2, 9)
    s = 1 / (1 + np.exp(-z[:, 0]))
    expected = -(t * np.log(s) + (1 - t) * np.log(1 - s)).sum()
    loss, delta = sigmoid_cross_entropy(z.copy(), t)
    assert loss == pytest.approx(expected, rel=1e-12)
    assert delta.shape == (9, 1)
    np.testing.assert_allclose(delta[:, 0], s - t, rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_cross_entropy_extreme_logits(dtype):
    z = np.array([[1e4], [-1e4], [1e4], [-1e4]], dtype=dtype)
    t = np.array([0, 1, 1, 0])
    with strict():
        loss, delta = sigmoid_cross_entropy(z.copy(), t)
    assert np.isfinite(loss) and np.isfinite(delta).all()
    assert loss == 2e4                               # two confident mistakes of 1e4 each
    np.testing.assert_array_equal(delta[:, 0], [1, -1, 0, 0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_cross_entropy_zero_logits_give_log_2(dtype):
    z = np.zeros((5, 1), dtype=dtype)
    with strict():
        loss, delta = sigmoid_cross_entropy(z.copy(), np.array([0, 1, 0, 1, 1]))
    assert loss == pytest.approx(5 * np.log(2), rel=1e-7)
    np.testing.assert_array_equal(delta[:, 0], [0.5, -0.5, 0.5, -0.5, -0.5])


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_saturates_exactly_without_warnings(dtype):
    z = np.array([1e4, -1e4, 800.0, -800.0, 0.0], dtype=dtype)
    with strict():
        s = sigmoid(z)
    assert s.dtype == dtype
    np.testing.assert_array_equal(s, [1, 0, 1, 0, 0.5])


def test_sigmoid_keeps_relative_precision_for_tiny_values():
    z = np.array([-30.0, -700.0])
    np.testing.assert_allclose(sigmoid(z), np.exp(z) / (1 + np.exp(z)), rtol=1e-14)


# --- hidden activations --------------------------------------------------------------

EXPECTED = {
    "sigmoid": [0, 0.5, 1, 1],
    "tanh": [-1, 0, 1, 1],
    "relu": [0, 0, 1e4, 1],
    "leaky_relu": [-100, 0, 1e4, 1],
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activations_finite_at_extreme_inputs(name, dtype):
    forward, backward = ACTIVATIONS[name]
    z = np.array([-1e4, 0.0, 1e4, 1e4], dtype=dtype)
    z[3] = 1e4 if name in ("sigmoid", "tanh") else 1.0
    with strict():
        a = forward(z.copy(), out=None)
        a_inplace = forward(z.copy(), out=np.empty_like(z))
        d = backward(a.copy(), np.ones_like(a))
    assert np.isfinite(a).all() and np.isfinite(d).all()
    np.testing.assert_array_equal(a, a_inplace)
    np.testing.assert_allclose(a, np.array(EXPECTED[name], dtype=dtype), rtol=1e-6)
    assert (d >= 0).all()
