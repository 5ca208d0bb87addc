"""Figures: reproducible bytes, no global style changes, the helpers draw what they say."""
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers import figures

HISTORY = {"epoch": [0, 1, 2], "train_loss": [2.3, 0.5, 0.3], "holdout_loss": [2.3, 0.6, 0.4],
           "test_loss": [2.3, 0.6, 0.45], "train_acc": [0.1, 0.8, 0.9], "holdout_acc": [0.1, 0.75, 0.85],
           "test_acc": [0.1, 0.76, 0.86]}


def test_saving_twice_gives_the_same_bytes(tmp_path):
    ax = figures.curves(HISTORY, "loss")
    first = [p.read_bytes() for p in figures.save(ax.figure, tmp_path / "a")]
    second = [p.read_bytes() for p in figures.save(ax.figure, tmp_path / "b")]
    plt.close(ax.figure)
    assert first == second and first[0].startswith(b"%PDF") and first[1].startswith(b"\x89PNG")


def test_importing_and_plotting_leave_global_rcparams_alone():
    before = dict(matplotlib.rcParams)
    plt.close(figures.validation_and_test({"a": HISTORY})[0].figure)
    assert dict(matplotlib.rcParams) == before


def test_validation_and_test_draws_one_line_per_run_per_panel():
    left, right = figures.validation_and_test({"a": HISTORY, "b": HISTORY})
    assert len(left.lines) == len(right.lines) == 2
    np.testing.assert_allclose(right.lines[0].get_ydata(), 100 * np.array(HISTORY["test_acc"]))
    np.testing.assert_allclose(left.lines[1].get_ydata(), HISTORY["holdout_loss"])
    plt.close(left.figure)


def test_compare_with_a_dashed_split_draws_it_in_the_same_colour():
    ax = figures.compare({"a": HISTORY}, "loss", "holdout", dashed="train")
    solid, dashed = ax.lines
    assert dashed.get_linestyle() == "--" and dashed.get_color() == solid.get_color()
    plt.close(ax.figure)


def test_class_means_are_the_average_image_of_each_class():
    rng = np.random.default_rng(0)
    x, y = rng.random((50, 784)), rng.integers(0, 10, 50)
    means = figures.class_means(x, y)
    assert means.shape == (784, 10)
    for k in range(10):
        np.testing.assert_allclose(means[:, k], x[y == k].mean(axis=0))


def test_weight_images_show_each_vector_as_its_own_28_by_28_image():
    rng = np.random.default_rng(1)
    vectors = [rng.normal(size=784) for _ in range(3)]
    for given in (vectors, np.column_stack(vectors)):   # a list of vectors and (784, K) columns alike
        ax = figures.weight_images(given)
        shown = ax.images[0].get_array()
        for k, v in enumerate(vectors):
            tile = np.asarray(shown[:, k * 30:k * 30 + 28])
            np.testing.assert_allclose(tile, v.reshape(28, 28) / np.abs(v).max())
        plt.close(ax.figure)


def test_weight_images_reject_a_wrong_shape():
    with pytest.raises(ValueError, match=r"expected \(784,\).*got shape \(10, 784\)"):
        figures.weight_images(np.zeros((10, 784)))


def test_an_inferred_run_far_above_the_stated_ones_is_clipped_and_the_title_says_so():
    stated = {"epoch": [0, 1, 2], "holdout_loss": [2.0, 0.5, 0.3], "test_acc": [0.1, 0.8, 0.9]}
    blown = {"epoch": [0, 1, 2], "holdout_loss": [17.0, 9.0, 5.0], "test_acc": [0.1, 0.5, 0.6]}
    left, _ = figures.validation_and_test({"γ 0.9": stated, "γ 0.9, N(0,1) weights (inferred)": blown})
    low, top = left.get_ylim()
    assert (low, top) == pytest.approx((0.3 - 0.05 * 1.7, 2.0 + 0.05 * 1.7))   # the stated run's range, 5% margin
    assert left.get_title() == "hold-out loss (inferred runs clipped)"
    left, _ = figures.validation_and_test({"γ 0.9": stated, "γ 0.5 (inferred)": stated})
    assert left.get_title() == "hold-out loss" and left.get_ylim()[1] > 2.0   # nothing to clip: autoscaled
