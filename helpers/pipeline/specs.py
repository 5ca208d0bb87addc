"""What each notebook takes: its parameters, each with a kind that is checked.

Interface: ``SPECS[notebook] = {parameter: kind}``; ``kind_ok(kind, value, notebook)``;
``WANT[kind]``: what a kind takes, in words (for messages); ``SMOKE``: the smoke scale.

Every notebook takes ``run`` (``"interactive"`` in Jupyter; the pipeline passes the
parameter file's name), ``dataset``, ``scale`` ("full" reproduces the SPEC settings, "smoke"
is the CI scale) and its own parameters.
"""
from __future__ import annotations

import math

from ..mnist import DIGESTS
from .names import name_ok
from .settings import INTERACTIVE, SCALES

# Smoke scale: few images, few epochs, one seed; the same code paths as the full runs.
# Full-batch runs take one step per epoch, so they get more (cheap) epochs than mini-batch runs.
SMOKE = {"n_train": 2000, "n_test": 1000, "epochs": 3, "batch_epochs": 30, "seeds": 1}

COMMON = {"run": "run", "dataset": tuple(DIGESTS), "scale": SCALES, "seeds": "list[int]",
          "base": "dict", "overrides": "dict"}
SPECS = {
    "01_logistic": {**COMMON, "variants": "variants", "lambdas": "list[float]", "penalties": "list[str]"},
    "02_softmax": {**COMMON, "selection": "selection", "variants": "variants?"},
    "03_gradcheck": {**COMMON, "eps_table": "float", "eps_strict": "float", "strict_hidden": "int",
                     "strict_examples": "int"},
    "04_momentum": {**COMMON, "variants": "variants"},
    "05_regularisation": {**COMMON, "variants": "variants"},
    "06_activations": {**COMMON, "variants": "variants"},
    # what spans runs: reads other runs' results files, trains nothing
    "07_across_runs": {"run": "run", "dataset": tuple(DIGESTS), "scale": SCALES, "sources": "list[str]",
                       "variant": "str"},
    # searches training settings per model class on the hold-out set (make best; helpers/best.py)
    "08_best": {"run": "run", "dataset": tuple(DIGESTS), "scale": SCALES, "seeds": "list[int]",
                "budget_minutes": "float", "trials": "int", "rung": "float", "batch": "int", "classes": "classes"},
}
PENALTIES = ("l1", "l2")
WANT = {"list[int]": "a non-empty list of integers >= 0", "list[float]": "a non-empty list of numbers >= 0",
        "list[str]": "a non-empty list of strings", "variants": "a non-empty mapping {name: {Config field: value}}",
        "variants?": "a mapping {name: {Config field: value}}",
        "selection": "{} or {penalties: [l1/l2...], lambdas: [λ...] or λ sets [[λ...], ...], warm_start: true/false}",
        "run": f"{INTERACTIVE!r} or <runs folder>/<notebook>/<name> (the pipeline sets it)",
        "classes": "a non-empty mapping {class name: {base: {Config field: value}, space: {Config field: [kind, ...]}, "
                   "compare: {published: label in report/published.yaml}}}"}


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def kind_ok(kind, value, notebook: str) -> bool:
    if isinstance(kind, tuple):
        return value in kind
    if kind == "run":
        parts = value.split("/") if isinstance(value, str) else []
        return value == INTERACTIVE or (len(parts) == 3 and parts[1] == notebook and all(map(name_ok, parts)))
    return {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": _number(value),
        "dict": isinstance(value, dict),
        "variants": isinstance(value, dict) and bool(value) and all(isinstance(v, dict) for v in value.values()),
        "variants?": isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()),
        "classes": isinstance(value, dict) and bool(value) and all(
            isinstance(v, dict) and {"base", "space"} <= set(v) <= {"base", "space", "compare"}
            and all(isinstance(v[k], dict) for k in v) for v in value.values()),
        "selection": isinstance(value, dict) and (not value or (
            set(value) == {"penalties", "lambdas", "warm_start"} and isinstance(value["warm_start"], bool)
            and kind_ok("list[str]", value["penalties"], notebook) and _lambda_sets_ok(value["lambdas"], notebook))),
        "list[int]": isinstance(value, list) and bool(value) and all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value),
        "list[float]": isinstance(value, list) and bool(value) and all(_number(v) and v >= 0 for v in value),
        "str": isinstance(value, str) and bool(value),
        "list[str]": isinstance(value, list) and bool(value) and all(isinstance(v, str) and v for v in value),
    }[kind]


def _lambda_sets_ok(lambdas, notebook: str) -> bool:
    """A list of λ (one set), or a non-empty list of such lists (λ sets, each its own chain)."""
    if isinstance(lambdas, list) and lambdas and all(isinstance(v, list) for v in lambdas):
        return all(kind_ok("list[float]", v, notebook) for v in lambdas)
    return kind_ok("list[float]", lambdas, notebook)


