import numpy as np
import pytest

from helpers import data

X = np.arange(10 * 4, dtype=np.uint8).reshape(10, 4)
Y = np.array([2, 3, 8, 2, 3, 2, 8, 8, 3, 2], dtype=np.uint8)


def test_first_and_last_n():
    x, y = data.first_n(X, Y, 3)
    np.testing.assert_array_equal(y, [2, 3, 8])
    x, y = data.last_n(X, Y, 2)
    np.testing.assert_array_equal(x, X[8:])
    with pytest.raises(ValueError, match=r"n=11 must be an integer in 1\.\.10"):
        data.first_n(X, Y, 11)


def test_digit_pair_targets():
    x, t = data.digit_pair(X, Y, 2, 3)
    np.testing.assert_array_equal(t, [1, 0, 1, 0, 1, 0, 1])
    np.testing.assert_array_equal(x[:, 0], X[[0, 1, 3, 4, 5, 8, 9], 0])
    with pytest.raises(ValueError, match="two different digits"):
        data.digit_pair(X, Y, 2, 2)


def test_holdout_first_fraction():
    xt, yt, xh, yh = data.holdout_split(X, Y, "first", 0.2)
    np.testing.assert_array_equal(xh, X[:2])
    np.testing.assert_array_equal(xt, X[2:])


def test_holdout_shuffle_is_seeded_partition():
    a = data.holdout_split(X, Y, "shuffle", 0.2, np.random.default_rng(5))
    b = data.holdout_split(X, Y, "shuffle", 0.2, np.random.default_rng(5))
    c = data.holdout_split(X, Y, "shuffle", 0.2, np.random.default_rng(6))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[2], c[2])
    rows = np.concatenate([a[0][:, 0], a[2][:, 0]])
    np.testing.assert_array_equal(np.sort(rows), X[:, 0])
    assert len(a[2]) == 2
    with pytest.raises(ValueError, match="needs rng"):
        data.holdout_split(X, Y, "shuffle", 0.2)


def test_normalise_methods():
    train = np.array([[0, 255], [51, 102]], dtype=np.uint8)
    other = np.array([[255, 255]], dtype=np.uint8)
    a, b = data.normalise(train, other, method="255")
    np.testing.assert_allclose(a, train / 255.0, rtol=1e-7)
    assert a.dtype == np.float32 and b.dtype == np.float32
    a, b = data.normalise(train, other, method="image-z", dtype=np.float64)
    np.testing.assert_allclose(a.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(a.std(axis=1), 1)
    np.testing.assert_array_equal(b, 0)  # constant image: centred, not divided by 0
    a, b = data.normalise(train, other, method="dataset-z", dtype=np.float64)
    m, s = (train / 255.0).mean(), (train / 255.0).std()
    np.testing.assert_allclose(b, (other / 255.0 - m) / s)
    assert train[1, 0] == 51  # inputs untouched
    with pytest.raises(ValueError, match="normalisation 'l2' unknown"):
        data.normalise(train, method="l2")


def test_bias_column_and_one_hot():
    x = np.ones((2, 3), np.float32) * 5
    assert data.add_bias(x)[:, 0].tolist() == [1, 1]
    assert data.add_bias(x, "last")[:, -1].tolist() == [1, 1]
    np.testing.assert_array_equal(data.one_hot(np.array([0, 2]), 3), [[1, 0, 0], [0, 0, 1]])
    with pytest.raises(ValueError, match="labels must lie in 0..2"):
        data.one_hot(np.array([3]), 3)
