"""The real, cached MNIST (``make data``): shapes, dtypes, counts and SPEC facts."""
import numpy as np

from helpers import data

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_real_mnist_shapes_counts_and_first_labels():
    x, y = data.load("mnist", "train")
    xt, yt = data.load("mnist", "test", flatten=True)
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 784)
    assert x.dtype == y.dtype == xt.dtype == yt.dtype == np.uint8
    assert np.bincount(y).tolist() == TRAIN_COUNTS
    assert np.bincount(yt).tolist() == TEST_COUNTS
    assert y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert yt[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_first_image_statistics_from_spec():
    x, y = data.load("mnist", "train", flatten=True)
    first = x[0].astype(np.float64)
    assert y[0] == 5 and first.sum() == 27525
    assert (first / 255).mean() == 0.13768007202881152
    np.testing.assert_allclose((first / 255).std(), 0.31234834873571493, rtol=1e-15)
    # the classic pickle's /256 values that one report printed
    np.testing.assert_allclose((first / 256).mean(), 0.13714225924744897, rtol=1e-15)
    np.testing.assert_allclose((first / 256).std(), 0.31112823799846606, rtol=1e-15)
    whole = data.normalise(x, method="255", dtype=np.float64)[0]
    np.testing.assert_allclose([whole.mean(), whole.std()],
                               [0.1306604762738429, 0.30810780385646264], rtol=1e-12)


def test_prepare_regression_subset_two_vs_three():
    s = data.prepare(digits=(2, 3), n_train=20000, n_test=2000, holdout="first", holdout_size=0.1)
    _, y = data.load("mnist", "train")
    n_pair = int(np.isin(y[:20000], [2, 3]).sum())
    assert len(s.x_train) + len(s.x_holdout) == n_pair
    assert len(s.x_holdout) == round(0.1 * n_pair)
    assert set(np.unique(s.y_train)) == {0, 1} and s.x_train.dtype == np.float32
    assert s.x_test.shape[1] == 784 and 0 < len(s.x_test) < 2000


def test_prepare_next_holdout_is_the_images_after_the_subset():
    s = data.prepare(n_train=20000, holdout="next", holdout_size=2000, n_test=2000)
    x, y = data.load("mnist", "train", flatten=True)
    np.testing.assert_array_equal(s.y_holdout, y[20000:22000])
    np.testing.assert_allclose(s.x_holdout, x[20000:22000] / np.float32(255), rtol=1e-7)
    assert len(s.x_train) == 20000 and len(s.x_test) == 2000
