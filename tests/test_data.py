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


# --- prepare: the hold-out gap and the pair-first test selection ----------------------------

def synthetic(monkeypatch, n_train=30, n_test=20):
    """data.load replaced by images whose pixel 0 is their index (train) or 100 + index (test)."""
    rng = np.random.default_rng(0)
    labels = {"train": rng.choice([2, 3, 8], n_train).astype(np.uint8),
              "test": rng.choice([2, 3, 8], n_test).astype(np.uint8)}

    def fake_load(dataset="mnist", split="train", flatten=False):
        n = len(labels[split])
        x = np.zeros((n, 784), np.uint8)
        x[:, 0] = np.arange(n) + (100 if split == "test" else 0)
        return x, labels[split]

    monkeypatch.setattr(data, "load", fake_load)
    return labels


def index_of(x):
    return np.rint(x[:, 0] * 255).astype(int).tolist()


def test_prepare_holdout_next_with_a_gap(monkeypatch):
    labels = synthetic(monkeypatch)
    s = data.prepare(n_train=10, holdout="next", holdout_size=5, holdout_gap=1)
    assert index_of(s.x_train) == list(range(10))
    assert index_of(s.x_holdout) == list(range(11, 16))            # image 10 skipped
    np.testing.assert_array_equal(s.y_holdout, labels["train"][11:16])
    no_gap = data.prepare(n_train=10, holdout="next", holdout_size=5)
    assert index_of(no_gap.x_holdout) == list(range(10, 15))


def test_prepare_holdout_gap_filters_the_pair_after_cutting(monkeypatch):
    labels = synthetic(monkeypatch)
    s = data.prepare(digits=(2, 3), n_train=10, holdout="next", holdout_size=8, holdout_gap=4)
    window = np.arange(14, 22)
    keep = window[np.isin(labels["train"][14:22], (2, 3))]
    assert index_of(s.x_holdout) == keep.tolist()
    np.testing.assert_array_equal(s.y_holdout, (labels["train"][keep] == 2).astype(np.uint8))


def test_prepare_holdout_gap_errors(monkeypatch):
    synthetic(monkeypatch)
    with pytest.raises(ValueError, match=r"holdout_size=15 must be an integer in 1\.\.14"):
        data.prepare(n_train=10, holdout="next", holdout_size=15, holdout_gap=6)
    with pytest.raises(ValueError, match=r"holdout_gap=1 only applies to holdout 'next', not 'first'"):
        data.prepare(n_train=10, holdout="first", holdout_size=0.2, holdout_gap=1)
    with pytest.raises(ValueError, match=r"holdout_gap=-1 must be a non-negative integer"):
        data.prepare(n_train=10, holdout="next", holdout_size=2, holdout_gap=-1)


def test_prepare_test_pair_first(monkeypatch):
    labels = synthetic(monkeypatch)
    pair = np.flatnonzero(np.isin(labels["test"], (2, 8)))
    s = data.prepare(digits=(2, 8), n_train=10, n_test=3, test_select="pair-first")
    assert index_of(s.x_test) == (100 + pair[:3]).tolist()
    np.testing.assert_array_equal(s.y_test, (labels["test"][pair[:3]] == 2).astype(np.uint8))
    every = data.prepare(digits=(2, 8), n_train=10, test_select="pair-first")
    assert index_of(every.x_test) == (100 + pair).tolist()
    last = data.prepare(digits=(2, 8), n_train=10, n_test=3)     # "last": the last 3 images, then the pair
    tail = np.arange(17, 20)[np.isin(labels["test"][17:], (2, 8))]
    assert index_of(last.x_test) == (100 + tail).tolist()


def test_prepare_test_pair_first_errors(monkeypatch):
    labels = synthetic(monkeypatch)
    n_pair = int(np.isin(labels["test"], (2, 8)).sum())
    with pytest.raises(ValueError, match=rf"n={n_pair + 1} must be an integer in 1\.\.{n_pair}"):
        data.prepare(digits=(2, 8), n_train=10, n_test=n_pair + 1, test_select="pair-first")
    with pytest.raises(ValueError, match="'pair-first' needs a digit pair"):
        data.prepare(n_train=10, test_select="pair-first")
    with pytest.raises(ValueError, match="test_select='middle'"):
        data.prepare(n_train=10, test_select="middle")


def scaled(x):
    return (x / 255.0).astype(np.float32)


@pytest.mark.realdata
def test_aagaard_holdout_is_train_images_20001_to_22000_of_the_pair():
    from helpers.config import Config
    from helpers.train import load_splits
    config = Config(model="logistic", digits=(2, 3), n_train=20000, holdout="next", holdout_size=2000,
                    holdout_gap=1)
    s = load_splits(config)
    x, y = data.load("mnist", "train", flatten=True)
    keep = np.flatnonzero(np.isin(y[20001:22001], (2, 3))) + 20001
    np.testing.assert_array_equal(s.x_holdout, scaled(x[keep]))
    np.testing.assert_array_equal(s.y_holdout, (y[keep] == 2).astype(np.uint8))
    train_rows = np.flatnonzero(np.isin(y[:20000], (2, 3)))
    np.testing.assert_array_equal(s.x_train, scaled(x[train_rows]))


@pytest.mark.realdata
def test_zhu_guo_logistic_test_set_is_the_first_1999_of_the_pair():
    from helpers.config import Config
    from helpers.train import load_splits
    config = Config(model="logistic", digits=(2, 8), holdout="first", holdout_size=0.1,
                    test_select="pair-first", n_test=1999)
    s = load_splits(config)
    x, y = data.load("mnist", "test", flatten=True)
    rows = np.flatnonzero(np.isin(y, (2, 8)))[:1999]
    assert rows[-1] > 8000                               # reaches well into the test set, not its tail
    np.testing.assert_array_equal(s.x_test, scaled(x[rows]))
    np.testing.assert_array_equal(s.y_test, (y[rows] == 2).astype(np.uint8))
    xt, yt = data.load("mnist", "train", flatten=True)
    pair = np.flatnonzero(np.isin(yt, (2, 8)))           # the pair from all 60,000 training images
    n_hold = round(0.1 * len(pair))
    assert len(s.y_train) + len(s.y_holdout) == len(pair) and len(s.y_holdout) == n_hold
    np.testing.assert_array_equal(s.x_holdout, scaled(xt[pair[:n_hold]]))


def test_a_missing_data_file_is_an_error_naming_make_data_and_nothing_is_fetched(cache, offline):
    """The course package only reads: without the files it says which and the command that fetches them."""
    with pytest.raises(data.DataMissingError, match=r"mnist file train-images-idx3-ubyte is not in .*cache/mnist: "
                                                    r"run `make data` to fetch and verify it"):
        data.load("mnist", "train")
    assert not cache.exists() or not any(cache.rglob("*-ubyte"))
