"""Issue 27's training options: Adam / AdamW, the step and cosine schedules with warm-up, against
their formulas rebuilt here; the gradient Adam consumes is the gradient-checked one; seeded fits
repeat bit for bit; the defaults leave every earlier configuration (and its fits) as it was."""
import math

import numpy as np
import pytest

from helpers import optim
from helpers.config import Config
from helpers.gradcheck import check_gradients
from helpers.train import build_model, fit, load_splits


def adam_by_hand(w, grads, lr, b1=0.9, b2=0.999, eps=1e-8, wd=0.0):
    """Kingma & Ba's algorithm 1 written out step by step (with Loshchilov & Hutter's decoupled decay)."""
    w, m, v = np.array(w, float), np.zeros_like(w, float), np.zeros_like(w, float)
    out = []
    for k, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** k), v / (1 - b2 ** k)
        w = w - lr * (m_hat / (np.sqrt(v_hat) + eps) + wd * w)
        out.append(w.copy())
    return out


def test_adam_first_steps_computed_by_hand():
    # step 1: m̂ = g, v̂ = g², so each entry moves by η g/(|g| + ε): η sign(g) to 1e-7 relative
    w0, g1, g2 = np.array([1.0, -2.0, 0.5]), np.array([0.5, 0.1, -4.0]), np.array([-0.2, 0.3, 1.0])
    update = optim.rule("adam")
    w, state = update(w0.copy(), g1.copy(), None, 0.01, 0.9)
    assert np.allclose(w, w0 - 0.01 * np.sign(g1), rtol=0, atol=1e-9)
    first = w.copy()
    w, state = update(w, g2.copy(), state, 0.01, 0.9)
    expected = adam_by_hand(w0, [g1, g2], 0.01)
    assert np.allclose(first, expected[0], rtol=1e-14, atol=0)
    assert np.allclose(w, expected[1], rtol=1e-14, atol=0)
    assert state[2] == 2


def test_adamw_decay_is_decoupled_from_the_gradient():
    w0, grads = np.array([3.0, -1.0]), [np.array([0.2, -0.4]), np.array([0.1, 0.3]), np.array([-0.5, 0.0])]
    update = optim.rule("adamw", beta2=0.99, eps=1e-6, weight_decay=0.1)
    w, state = w0.copy(), None
    for g in grads:
        w, state = update(w, g.copy(), state, 0.05, 0.8)
    assert np.allclose(w, adam_by_hand(w0, grads, 0.05, 0.8, 0.99, 1e-6, 0.1)[-1], rtol=1e-14, atol=0)
    # adam ignores a weight_decay (the config forbids it there); adamw's differs from adam's by the decay
    plain = optim.rule("adam", weight_decay=0.1)(w0.copy(), grads[0].copy(), None, 0.05, 0.8)[0]
    assert np.allclose(plain, adam_by_hand(w0, grads[:1], 0.05, 0.8)[0], rtol=1e-14, atol=0)


def test_schedules_follow_their_formulas():
    lr = optim.learning_rate
    for t in range(0, 50, 7):
        assert lr(0.3, t, 10.0) == 0.3 / (1 + t / 10.0)           # the course's annealing, unchanged
        assert lr(0.3, t, None) == 0.3
        assert lr(0.3, t, 10.0, "step", drop=0.5) == pytest.approx(0.3 * 0.5 ** (t // 10), rel=1e-15)
    # cosine with warm-up W = 4 over total = 20: linear to η0, then half a cosine to 0 at the cap
    values = [lr(0.3, t, None, "cosine", total=20, warmup=4) for t in range(21)]
    assert values[:4] == pytest.approx([0.3 * (t + 1) / 4 for t in range(4)], rel=1e-15)
    assert values[4] == pytest.approx(0.3, rel=1e-15)
    assert values[12] == pytest.approx(0.15, rel=1e-12)           # half way: η0 / 2
    assert values[20] == pytest.approx(0.0, abs=1e-15)
    assert all(a >= b for a, b in zip(values[4:], values[5:]))
    # warm-up in front of the step schedule
    assert [lr(1.0, t, 5.0, "step", warmup=2, drop=0.1) for t in (0, 1, 2, 5)] == pytest.approx([0.5, 1.0, 1.0, 0.1])


def softmax_problem(**changes):
    config = Config(model="softmax", init="zeros", n_train=300, n_test=100, holdout="first", holdout_size=0.2,
                    dtype="float64", batch_size=None, epochs=4, progress=False, **changes)
    return config, load_splits(config)


def test_fit_with_adamw_cosine_warmup_equals_the_algorithm_by_hand():
    """Full batch, so each epoch is one step: the fit's weights are those of the algorithm written out
    on the model's own loss and gradient (η from the schedule's formula, typed here)."""
    config, splits = softmax_problem(optimizer="adamw", lr=0.02, beta1=0.8, beta2=0.99, weight_decay=0.01,
                                     l2=1e-3, schedule="cosine", warmup=1)
    result = fit(config, splits)
    model = build_model(config)
    w = model.init(np.random.default_rng(0), "zeros", np.dtype("float64"))
    m = {k: np.zeros_like(v) for k, v in w.items()}
    v2 = {k: np.zeros_like(v) for k, v in w.items()}
    for k in range(1, 5):
        t = k - 1
        eta = 0.02 if t < 1 else 0.02 * 0.5 * (1 + math.cos(math.pi * (t - 1) / (4 - 1)))
        _, grads = model.loss(w, splits.x_train, splits.y_train, 0.0, 1e-3, "mean", False)
        for name in w:
            g = grads[name]
            m[name] = 0.8 * m[name] + 0.2 * g
            v2[name] = 0.99 * v2[name] + 0.01 * g * g
            step = (m[name] / (1 - 0.8 ** k)) / (np.sqrt(v2[name] / (1 - 0.99 ** k)) + 1e-8)
            w[name] = w[name] - eta * (step + 0.01 * w[name])
    assert result.final["epochs_run"] == 4
    for name in w:
        assert np.allclose(result.params[name], w[name], rtol=1e-10, atol=1e-13), name
    assert result.history["lr"][1:] == pytest.approx([0.02, 0.02, 0.02 * 0.75, 0.02 * 0.25])   # η of each epoch's step


def test_the_gradient_adam_consumes_is_gradient_checked():
    """Adam reads the model's unscaled gradient (grad_scale 1): the one central differences confirm."""
    config = Config(model="mlp", hidden=(6,), activation="relu", dtype="float64", n_train=40, n_test=10,
                    holdout="first", holdout_size=0.25, optimizer="adam", l2=1e-3, progress=False)
    splits = load_splits(config)
    model = build_model(config)
    params = model.init(np.random.default_rng(3), "he", np.dtype("float64"))
    x, y = splits.x_train[:20], splits.y_train[:20]
    loss_fn = lambda p: model.loss(p, x, y, 0.0, 1e-3, "mean", False)   # noqa: E731  (what fit hands Adam)
    _, grads = loss_fn(params)
    entries = [(name, np.unravel_index(i, g.shape)) for name, g in grads.items()
               for i in np.argsort(-np.abs(g), axis=None)[:5]]      # each array's five largest entries
    rows = check_gradients(loss_fn, params, eps=1e-3, entries=entries, order=4)
    assert len(rows) == 20 and max(r.rel_diff for r in rows) < 1e-7


@pytest.mark.parametrize("changes", [dict(optimizer="adam", lr=1e-3, schedule="step", anneal_T=50.0),
                                     dict(optimizer="momentum", lr=0.1, momentum=0.9, schedule="cosine", warmup=5)])
def test_seeded_fits_repeat_bit_for_bit(changes):
    config = Config(model="mlp", hidden=(16,), n_train=300, n_test=100, holdout="first", holdout_size=0.2,
                    epochs=3, batch_size=32, seed=5, progress=False, **changes)
    splits = load_splits(config)
    a, b = fit(config, splits), fit(config, splits)
    assert a.history == b.history and a.final == b.final
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    assert a.final["train_acc"] > 0.5


def test_defaults_keep_every_earlier_configuration():
    """The new fields hold the old behaviour by default: digests stay (NEW_FIELD_DEFAULTS), and a fit
    with them spelt out is the very fit without them."""
    plain = Config(model="softmax", n_train=200, n_test=50, holdout="first", epochs=2, anneal_T=30.0,
                   optimizer="momentum", momentum=0.5, progress=False)
    spelt = plain.replace(beta1=0.9, beta2=0.999, adam_eps=1e-8, weight_decay=0.0, schedule="inverse",
                          lr_drop=0.1, warmup=0)
    assert spelt.digest() == plain.digest() and "beta1" not in Config.from_dict(plain.to_dict()).digest()
    assert plain.replace(optimizer="adam").digest() != plain.digest()
    splits = load_splits(plain)
    a, b = fit(plain, splits), fit(spelt, splits)
    assert a.history == b.history
    # and the loop still is the course's rule: η/(1 + t/T) times the gradient, through classic momentum
    assert a.history["lr"][1] == 0.01 / (1 + (a.final["steps"] // 2 - 1) / 30.0)


@pytest.mark.parametrize("changes, named", [
    (dict(optimizer="momentum", weight_decay=0.1), "weight_decay"),
    (dict(optimizer="adam", beta1=1.0), "beta1"),
    (dict(optimizer="adam", beta2=-0.1), "beta2"),
    (dict(adam_eps=0.0), "adam_eps"),
    (dict(schedule="linear"), "schedule"),
    (dict(schedule="step"), "anneal_T"),
    (dict(schedule="cosine", anneal_T=10.0), "anneal_T"),
    (dict(lr_drop=1.5), "lr_drop"),
    (dict(warmup=-1), "warmup"),
    (dict(beta2=float("nan")), "beta2"),
])
def test_bad_settings_name_the_field(changes, named):
    with pytest.raises(ValueError, match=rf"^{named}="):
        Config(**changes)
