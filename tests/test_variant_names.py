"""A variant's name is the join key from a parameter file to report/published.yaml and the report's
prose (issue 21): every setting a name states must be the setting its configuration runs. Each
name is read with the rules below (η, η0, γ, L1/L2 λ, cap / epochs, mini-batch size, T, N(0,1)
weights, activation, averaged, summed gradient, and a step scale "η/K" or "η × K": the stated η, or
the file's own when the name gives none, divided by K) and compared with the effective Config."""
import re
from pathlib import Path

import pytest

from helpers.pipeline import names, resolve, runfiles, settings
from helpers.pipeline.params import base_config

ROOT = Path(__file__).resolve().parent.parent
NUMBER = r"([0-9][0-9.]*(?:e-?[0-9]+)?)"
FILES = sorted([*ROOT.glob("notebooks/runs/0*/*.yaml"), *ROOT.glob("notebooks/runs-grid/0*/*.yaml")])


def variant_configs(path):
    values = resolve.effective(path, "full")
    if "base" not in values:
        return []
    base = base_config(values)
    named = dict(values.get("variants", {}))
    for name, overrides in named.items():
        yield name, base.replace(**overrides), base.lr


def stated(name: str, config, base_lr: float | None = None) -> list[tuple[str, object, object]]:
    """(what, the name's value, the config's value) for every setting ``name`` states; ``base_lr``: the
    file's η, which a step scale without an η of its own divides."""
    checks = []
    scale = re.search(r"η(?:/| × ){NUMBER}".format(NUMBER=NUMBER), name)
    if scale:       # Lim & Chen's step-scale grid: the stated η divided by K (the files round to 6 digits)
        k = float(scale.group(1)) if "/" in scale.group(0) else 1 / float(scale.group(1))
        given = re.search(rf"(?<![0-9])η {NUMBER}", name)
        checks.append(("η/K", float(f"{(float(given.group(1)) if given else base_lr) / k:.6g}"), config.lr))
    per_batch_sum = "per batch sum" in name or "inside the 1/B mean" in name   # λ on the summed loss: λ/B on the mean
    # "λ/2" (Shi's eq. 7 read literally): the stated λ halved
    for what, pattern, actual in (("η", rf"(?<![0-9])η {NUMBER}", None if scale else config.lr), ("η0", rf"η0 {NUMBER}", config.lr),
                                  ("γ", rf"γ {NUMBER}", config.momentum), ("T", rf"\bT {NUMBER}", config.anneal_T),
                                  ("mini-batch", rf"mini-batch {NUMBER}\b(?!\s*%)", config.batch_size)):
        for match in re.finditer(pattern, name):
            if actual is not None or what != "η":
                checks.append((what, float(match.group(1)), actual))
    for penalty in ("L1", "L2"):
        for match in re.finditer(rf"{penalty} λ {NUMBER}", name):
            value = float(match.group(1)) / (config.batch_size if per_batch_sum else 1) / (2 if "λ/2" in name else 1)
            checks.append((f"{penalty} λ", value, getattr(config, penalty.lower())))
    for match in re.finditer(rf"(?:cap {NUMBER}|{NUMBER}-epoch cap|{NUMBER} epochs(?! without))", name):
        checks.append(("epochs", float(next(g for g in match.groups() if g)), config.epochs))
    if "N(0,1) weights" in name or "fresh N(0,1) start" in name:
        checks.append(("init", "normal", config.init))
    if "(gradient λW)" in name:
        checks.append(("L2 gradient", "lw", config.l2_gradient))
    if name.startswith("averaged"):
        checks.append(("optimizer", "averaged", config.optimizer))
    if "summed gradient" in name:
        checks.append(("reduction", "sum", config.reduction))
    if "no stop" in name:
        checks.append(("early stopping", None, config.early_stopping))
    for activation in ("sigmoid", "tanh", "ReLU"):
        if re.match(rf"{activation}\b", name):
            checks.append(("activation", activation.lower(), config.activation))
    return checks


def close(a, b) -> bool:
    if isinstance(a, float) and b is not None and not isinstance(b, str):
        return abs(a - float(b)) <= 1e-9 * max(1.0, abs(a))
    return a == b


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.stem}" for p in FILES])
def test_every_variant_name_says_what_its_configuration_runs(path):
    wrong = [f"{name!r}: the name says {what} {said}, the configuration runs {actual}"
             for name, config, base_lr in variant_configs(path) for what, said, actual in stated(name, config, base_lr)
             if not close(said, actual)]
    assert wrong == []


def test_the_name_rules_catch_a_wrong_name():
    from helpers.config import Config
    config = Config(model="mlp", hidden=(128,), optimizer="momentum", momentum=0.9, lr=0.01, l2=1e-4, epochs=110)
    assert all(close(s, a) for _, s, a in stated("γ 0.9, η 0.01", config))
    assert not all(close(s, a) for _, s, a in stated("γ 0.5, η 0.01", config))
    assert not all(close(s, a) for _, s, a in stated("L2 λ 0.01, cap 110", config))
    assert all(close(s, a) for _, s, a in stated("L2 λ 1e-4, cap 110", config))
    assert [w for w, _, _ in stated("L2 λ 1e-4, cap 110", config)] == ["L2 λ", "epochs"]


def test_a_step_scale_divides_the_stated_eta():
    from helpers.config import Config
    config = Config(model="mlp", hidden=(128,), optimizer="momentum", momentum=0.9, lr=0.0005)
    assert [(w, s) for w, s, _ in stated("γ 0.9, η 0.01, η/20 (inferred)", config)] == [("η/K", 0.0005), ("γ", 0.9)]
    assert all(close(s, a) for _, s, a in stated("γ 0.9, η 0.01, η/20 (inferred)", config))
    assert not all(close(s, a) for _, s, a in stated("γ 0.9, η 0.01, η/10 (inferred)", config))
    assert all(close(s, a) for _, s, a in stated("L2 λ 0.01, η/20 (inferred)", config.replace(l2=0.01), base_lr=0.01))
    assert not all(close(s, a) for _, s, a in stated("L2 λ 0.01, η × 1 (inferred)", config.replace(l2=0.01), base_lr=0.01))
