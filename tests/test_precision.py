"""The precision of a fit (issue 26): ``Config.dtype`` (float32, the default, or float64) is the type
of the data, the weights and every product of the fit, and part of its cache key; the gradient
check runs in float64 whatever the weights' type."""
import numpy as np
import pytest

from helpers.config import Config
from helpers.gradcheck import check_gradients
from helpers.history import SPLIT_NAMES
from helpers.pipeline.cache import key
from helpers.train import build_model, fit, load_splits


def small(dtype):
    return Config(model="mlp", hidden=(8,), init="xavier", n_train=300, n_test=100, holdout="first",
                  holdout_size=0.2, epochs=2, batch_size=50, dtype=dtype, progress=False)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_data_weights_and_products_of_a_fit_are_in_its_precision(dtype):
    config = small(dtype)
    splits = load_splits(config)
    assert {getattr(splits, f"x_{name}").dtype for name in SPLIT_NAMES} == {np.dtype(dtype)}
    result = fit(config, splits)
    assert {w.dtype for w in (*result.params.values(), *result.last_params.values())} == {np.dtype(dtype)}
    model = build_model(config)
    loss, grads = model.loss(result.params, splits.x_train, splits.y_train)
    assert {g.dtype for g in grads.values()} == {np.dtype(dtype)} and np.isfinite(loss)
    assert model.logits(result.params, splits.x_test).dtype == dtype


def test_float32_is_the_default_and_the_only_other_choice_is_float64():
    assert Config().dtype == "float32"
    with pytest.raises(ValueError, match=r"dtype='float16': choose one of \['float32', 'float64'\]"):
        Config(dtype="float16")


def test_the_precision_is_part_of_a_fits_cache_key():
    assert key((small("float32"),)) != key((small("float64"),))


def test_the_gradient_check_computes_in_float64_whatever_the_weights_type():
    config = small("float32")
    splits = load_splits(config)
    model = build_model(config)
    params = model.init(np.random.default_rng(0), "xavier", np.float32)
    seen = set()

    def loss_fn(p):
        seen.update(w.dtype for w in p.values())
        return model.loss(p, splits.x_test.astype(np.float64), splits.y_test)

    rows = check_gradients(loss_fn, params, eps=1e-3, entries=[("W1", (0, 0)), ("b2", (3,))])
    assert seen == {np.dtype(np.float64)} and all(isinstance(r.numerical, float) for r in rows)
