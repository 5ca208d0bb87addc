"""Bad arguments fail early with a ValueError that names the argument."""
import numpy as np
import pytest

from helpers.config import Config
from helpers.models import Network

N, D = 6, 5


@pytest.fixture
def softmax_case():
    model = Network((D, 4, 10), "tanh")
    rng = np.random.default_rng(0)
    return model, model.init(rng, "xavier", np.float64), rng.standard_normal((N, D)), rng.integers(0, 10, N)


# --- names that are not known ----------------------------------------------------------

def test_network_unknown_activation():
    with pytest.raises(ValueError, match=r"activation='swish' is not known.*tanh"):
        Network((5, 3, 2), "swish")


def test_config_unknown_activation():
    with pytest.raises(ValueError, match=r"activation='swish' is not known"):
        Config(activation="swish")


def test_config_unknown_optimizer():
    with pytest.raises(ValueError, match=r"optimizer='nadam'.*momentum"):
        Config(optimizer="nadam")


def test_config_unknown_key_suggests_lr():
    with pytest.raises(ValueError, match=r"'lrate' \(did you mean 'lr'\?\)"):
        Config.from_dict({"lrate": 0.1})


def test_config_unknown_key_suggests_close_spelling():
    with pytest.raises(ValueError, match=r"'optimiser' \(did you mean 'optimizer'\?\)"):
        Config.from_dict({"optimiser": "sgd"})


# --- shapes and labels -------------------------------------------------------------

def test_loss_rejects_x_of_wrong_width(softmax_case):
    model, params, x, y = softmax_case
    with pytest.raises(ValueError, match=r"^x has shape \(6, 4\); expected \(N, 5\)"):
        model.loss(params, x[:, :4], y)


def test_loss_rejects_y_of_wrong_length(softmax_case):
    model, params, x, y = softmax_case
    with pytest.raises(ValueError, match=r"^y has shape \(5,\); expected \(6,\)"):
        model.loss(params, x, y[:5])


def test_loss_rejects_params_of_wrong_shape(softmax_case):
    model, params, x, y = softmax_case
    bad = {**params, "W2": params["W2"][:, :9]}
    with pytest.raises(ValueError, match=r"^params: W2/b2 must have shapes \(4, 10\)/\(10,\)"):
        model.loss(bad, x, y)


def test_loss_rejects_missing_params(softmax_case):
    model, params, x, y = softmax_case
    with pytest.raises(ValueError, match=r"^params: W1/b1"):
        model.loss({k: v for k, v in params.items() if k != "b1"}, x, y)


def test_loss_rejects_label_out_of_range_softmax(softmax_case):
    model, params, x, y = softmax_case
    y = y.copy()
    y[2] = 10
    with pytest.raises(ValueError, match=r"^y must hold integer labels in 0\.\.9"):
        model.loss(params, x, y)


def test_loss_rejects_label_2_for_sigmoid():
    model = Network((D, 1), output="sigmoid")
    rng = np.random.default_rng(1)
    params = model.init(rng, "xavier", np.float64)
    x = rng.standard_normal((N, D))
    with pytest.raises(ValueError, match=r"^y must hold integer labels in 0\.\.1"):
        model.loss(params, x, np.array([0, 1, 2, 0, 1, 0]))
    model.loss(params, x, np.array([0, 1, 1, 0, 1, 0]))        # 0/1 targets are fine


def test_loss_rejects_float_labels(softmax_case):
    model, params, x, y = softmax_case
    with pytest.raises(ValueError, match=r"^y must hold integer labels"):
        model.loss(params, x, y.astype(np.float64))


def test_loss_rejects_unknown_reduction(softmax_case):
    model, params, x, y = softmax_case
    with pytest.raises(ValueError, match=r"reduction='avg'"):
        model.loss(params, x, y, reduction="avg")


def test_network_output_must_match_width():
    with pytest.raises(ValueError, match=r"output='sigmoid' with 3 output units"):
        Network((D, 3), output="sigmoid")


# --- penalties and learning rate -------------------------------------------------------

def test_config_rejects_negative_l2():
    with pytest.raises(ValueError, match=r"^l2=-1: a penalty weight must be a number >= 0"):
        Config(l2=-1)


def test_config_rejects_negative_l1():
    with pytest.raises(ValueError, match=r"^l1=-0\.5"):
        Config(l1=-0.5)


def test_loss_rejects_negative_l1(softmax_case):
    model, params, x, y = softmax_case
    with pytest.raises(ValueError, match=r"l1=-0\.1"):
        model.loss(params, x, y, l1=-0.1)


@pytest.mark.parametrize("lr", [-0.1, 0, 0.0])
def test_config_rejects_non_positive_lr(lr):
    with pytest.raises(ValueError, match=rf"^lr={lr!r}: the learning rate must be a number > 0"):
        Config(lr=lr)


def test_config_rejects_boolean_lr():
    with pytest.raises(ValueError, match=r"^lr=True"):
        Config(lr=True)


# --- YAML / papermill values -------------------------------------------------------------

def test_from_dict_casts_numeric_strings():
    c = Config.from_dict({"lr": "1e-3", "l2": "1e-4", "anneal_T": "1000", "hidden": [64, 32]})
    assert c.lr == 0.001 and isinstance(c.lr, float)
    assert c.l2 == 1e-4 and c.anneal_T == 1000.0
    assert c.hidden == (64, 32)


def test_from_dict_rejects_non_numeric_string():
    with pytest.raises(ValueError, match=r"^lr='fast' is not a number"):
        Config.from_dict({"lr": "fast"})


def test_from_dict_round_trip():
    c = Config(model="logistic", digits=(2, 8), lr=1e-4, anneal_T=1000.0, progress=False)
    assert Config.from_dict(c.to_dict()) == c


# --- non-finite numbers and the options added for the reports' settings -------------------

@pytest.mark.parametrize("field", ["lr", "l1", "l2", "momentum", "anneal_T", "holdout_size"])
@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_config_rejects_non_finite_numbers(field, value):
    with pytest.raises(ValueError, match=rf"^{field}={value!r}: must be a finite number"):
        Config(**{field: value})


@pytest.mark.parametrize("text", ["inf", "nan", "-Infinity"])
def test_from_dict_rejects_non_finite_strings(text):
    with pytest.raises(ValueError, match=r"^lr=.*: must be a finite number"):
        Config.from_dict({"lr": text})


@pytest.mark.parametrize("text", ["lr: .inf", "l2: .nan", "anneal_T: .inf"])
def test_from_dict_rejects_yaml_infinities(text):
    import yaml
    with pytest.raises(ValueError, match=r": must be a finite number"):
        Config.from_dict(yaml.safe_load(text))


@pytest.mark.parametrize("field, value, message", [
    ("shuffle", "no", r"^shuffle='no': true or false"),
    ("shuffle", 0, r"^shuffle=0: true or false"),
    ("holdout_gap", -1, r"^holdout_gap=-1: a non-negative integer"),
    ("holdout_gap", 1.0, r"^holdout_gap=1\.0: a non-negative integer"),
    ("bias", "column", r"^bias='column': choose one of \['separate', 'input'\]"),
    ("test_select", "first", r"^test_select='first': choose one of \['last', 'pair-first'\]"),
    ("restore", "best_epoch", r"^restore='best_epoch': choose one of \[None, 'best', 'last', 'back2'\]"),
    ("stop_after", -1, r"^stop_after=-1: a non-negative integer"),
    ("min_delta", 1e-5, r"^min_delta=1e-05: early_stopping 'converged' needs a min_delta"),
    ("bias_input", 0.5, r"^bias_input=0.5: a constant input's value only applies to bias 'input'"),
])
def test_config_rejects_bad_new_options(field, value, message):
    with pytest.raises(ValueError, match=message):
        Config(**{field: value})


def test_holdout_gap_only_with_holdout_next():
    with pytest.raises(ValueError, match=r"^holdout_gap=1: a gap only applies to holdout 'next'.*not 'first'"):
        Config(holdout="first", holdout_size=0.1, holdout_gap=1)
    Config(holdout="next", holdout_size=2000, holdout_gap=1, n_train=20000)


def test_pair_first_needs_digits():
    with pytest.raises(ValueError, match=r"^test_select='pair-first': 'pair-first' picks a digit pair"):
        Config(model="softmax", test_select="pair-first")
    Config(model="logistic", digits=(2, 8), test_select="pair-first", n_test=1999)


def test_new_fields_default_to_the_previous_behaviour_and_keep_old_digests():
    """A configuration that does not use the new fields hashes as before they existed."""
    import hashlib
    import json

    from helpers.config import NEW_FIELD_DEFAULTS
    c = Config(model="softmax", lr=0.05, n_train=20000)
    assert {k: getattr(c, k) for k in NEW_FIELD_DEFAULTS} == {
        "test_select": "last", "holdout_gap": 0, "bias": "separate", "shuffle": True, "restore": None,
        "bias_input": 1.0, "min_delta": None, "stop_after": 0,
        "beta1": 0.9, "beta2": 0.999, "adam_eps": 1e-8, "weight_decay": 0.0, "schedule": "inverse", "lr_drop": 0.1,
        "warmup": 0}   # issue 27's
    old = {k: v for k, v in c.to_dict().items() if k not in NEW_FIELD_DEFAULTS}
    assert c.digest() == hashlib.sha256(json.dumps(old, sort_keys=True).encode()).hexdigest()[:12]
    assert Config.from_dict(old) == c                     # old saved configs still load
    for field, value in [("shuffle", False), ("bias", "input"), ("restore", "best")]:
        assert c.replace(**{field: value}).digest() != c.digest(), field
    assert Config.from_dict(c.replace(shuffle=False, restore="back2").to_dict()).restore == "back2"
