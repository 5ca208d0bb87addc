"""A notebook's parameters: validated, and the configuration they describe at a scale.

Interface:
    values = validate(globals(), "01_logistic")   # check what the parameters cell (and papermill) set
    base = base_config(P)                       # Config from P["base"] + P["overrides"] + P["dataset"]
    scaled(config, "smoke")                     # the same configuration at the small CI scale

Only the names the parameters cell (and papermill's injected cell) assign are validated, so
"Run All" twice in one kernel works; a name there that the notebook does not take is an error
with a hint. Numbers YAML and papermill deliver as text are cast once (config.number_from_text).
"""
from __future__ import annotations

import difflib
import time

from ..config import FLOAT_FIELDS, Config, number_from_text
from .names import no_such_run
from .runfiles import literal_assignments
from .specs import PENALTIES, SMOKE, SPECS, WANT, kind_ok


def _config_numbers(fields):
    """{Config field: value} with numbers YAML read as strings ("1e-05") made floats, as
    Config.from_dict casts them: the parameters a run records then equal its file's."""
    if not isinstance(fields, dict):
        return fields
    return {k: number_from_text(v) if k in FLOAT_FIELDS else v for k, v in fields.items()}


def _cast_kind(kind, value):
    """YAML reads 1e-3 as a string: numbers in strings become floats where floats are due
    (also in Config fields of ``base``, ``overrides`` and each variant)."""
    if kind == "float":
        return number_from_text(value)
    if kind == "list[float]" and isinstance(value, list):
        return [number_from_text(v) for v in value]
    if kind == "dict":
        return _config_numbers(value)
    if kind in ("variants", "variants?") and isinstance(value, dict):
        return {name: _config_numbers(fields) for name, fields in value.items()}
    if kind == "selection" and isinstance(value, dict) and isinstance(value.get("lambdas"), list):   # λ, or λ sets
        lambdas = value["lambdas"]
        sets = lambdas and all(isinstance(v, list) for v in lambdas)
        return {**value, "lambdas": [_cast_kind("list[float]", v) for v in lambdas] if sets
                else _cast_kind("list[float]", lambdas)}
    if kind == "classes" and isinstance(value, dict):   # a search space's number ranges: [log|float, low, high]
        return {name: {**spec, "space": _space_numbers(spec["space"])}
                if isinstance(spec, dict) and isinstance(spec.get("space"), dict) else spec
                for name, spec in value.items()}
    return value


def _space_numbers(space: dict) -> dict:
    """A search space's [log|float, low, high] ranges as numbers, in its branches ("field: value": {...}) too."""
    return {field: _space_numbers(entry) if isinstance(entry, dict) else
            [entry[0], *map(number_from_text, entry[1:])] if isinstance(entry, list) and entry
            and entry[0] in ("log", "float") else entry for field, entry in space.items()}


def cast(namespace: dict, notebook: str) -> dict:
    """The notebook's parameters in ``namespace`` with numbers given as text made numbers (papermill
    reads its parameter file as YAML 1.1, where 1e-05 is text): nothing else is checked."""
    return {k: _cast_kind(kind, namespace[k]) for k, kind in SPECS[notebook].items() if k in namespace}


IPYTHON_NAMES = {"In", "Out", "get_ipython", "exit", "quit"}


def assigned_names(namespace: dict) -> set | None:
    """Names the cells just before the current one assigned, when they are parameter cells.

    In IPython ``In`` holds the source of every executed cell; walking back from the cell
    calling ``parameters`` over (at most two) cells that only assign literals finds the
    parameters cell and papermill's injected cell, and nothing a previous "Run All" left behind.
    None outside IPython (a plain dict, as the tests and the Makefile pass).
    """
    history = namespace.get("In")
    if not isinstance(history, list) or len(history) < 2:
        return None
    names = set()
    for source in reversed(history[-3:-1]):  # at most the parameters cell and papermill's injected one
        values = literal_assignments(source)
        if not values:
            break
        names |= set(values)
    return names


def validate(namespace: dict, notebook: str) -> dict:
    """Check the notebook's parameters in ``namespace``; return them (cast) as a dict.

    Raises ValueError naming any unknown parameter (with the closest known name), any
    missing one, and any of the wrong type or out of range.
    """
    spec = SPECS[notebook]
    names = assigned_names(namespace)
    if names is None:  # not in IPython: every plain value is a parameter
        names = {k for k, v in namespace.items() if not k.startswith("_") and not callable(v)
                 and type(v).__name__ != "module" and k not in IPYTHON_NAMES}
    unknown = sorted(names - set(spec))
    if unknown:
        hints = [f"{k!r}" + (f" (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(k, spec, 1)) else "")
                 for k in unknown]
        raise ValueError(f"{notebook}: unknown parameter(s) {', '.join(hints)}; this notebook takes {', '.join(spec)}")
    missing = [k for k in spec if k not in namespace]
    if missing:
        raise ValueError(f"{notebook}: parameter(s) {missing} missing: run the parameters cell first")
    values = cast(namespace, notebook)
    for name, kind in spec.items():
        if not kind_ok(kind, values[name], notebook):
            want = f"one of {list(kind)}" if isinstance(kind, tuple) else WANT.get(kind, kind)
            raise ValueError(f"{notebook}: parameter {name}={values[name]!r} is not {want}")
    for name in ("eps_table", "eps_strict"):
        if name in values and not values[name] > 0:
            raise ValueError(f"{notebook}: parameter {name}={values[name]!r} must be > 0")
    NOTEBOOK_RULES.get(notebook, lambda values, notebook: None)(values, notebook)
    bad = [p for p in values.get("penalties", values.get("selection", {}).get("penalties", [])) if p not in PENALTIES]
    if bad:
        raise ValueError(f"{notebook}: penalties {bad} unknown; choose from {list(PENALTIES)}")
    if "base" in values:
        # validate base + overrides + each variant early, with Config's messages
        try:
            target = base_config(values)
            for name, overrides in values.get("variants", {}).items():
                try:
                    target.replace(**overrides)
                except ValueError as error:
                    raise ValueError(f"variant {name!r}: {error}") from None
        except ValueError as error:
            raise ValueError(f"{notebook}: {error}") from None
    if "seeds" in values and values["scale"] == "smoke":
        values["seeds"] = values["seeds"][:SMOKE["seeds"]]
    return values


def _check_sources(values: dict, notebook: str) -> None:
    """07_across_runs: two runs of 01_logistic that have parameter files."""
    wrong = [s for s in values["sources"] if s.count("/") != 2 or s.split("/")[1] != "01_logistic"]
    if len(values["sources"]) != 2 or wrong:
        raise ValueError(f"{notebook}: sources={values['sources']!r} must name two runs of 01_logistic, "
                         "e.g. ['runs/01_logistic/logistic_2v3', 'runs/01_logistic/logistic_2v8']")
    unknown = [problem for source in values["sources"] if (problem := no_such_run(source))]
    if unknown:
        raise ValueError(f"{notebook}: sources: {'; '.join(unknown)}")


def _check_something_to_run(values: dict, notebook: str) -> None:
    """02_softmax: a selection, or variants, or both."""
    if not (values["selection"] or values["variants"]):
        raise ValueError(f"{notebook}: nothing to run: give a selection or variants")


def _check_search(values: dict, notebook: str) -> None:
    """08_best: a positive budget, trials and batch, a rung fraction in [0, 1), each class's base a
    valid Config and its space a valid search space (space.Space's messages, naming the class)."""
    from .space import Space
    for name, low in (("budget_minutes", 0), ("trials", 1), ("batch", 1)):
        if not values[name] >= low or (low == 0 and not values[name] > 0):
            raise ValueError(f"{notebook}: parameter {name}={values[name]!r} must be {'> 0' if low == 0 else '>= 1'}")
    if not 0 <= values["rung"] < 1:
        raise ValueError(f"{notebook}: parameter rung={values['rung']!r}: the fraction of its epoch cap a trial "
                         "trains before the pruner may stop it, in [0, 1) (0: no pruning)")
    for name, spec in values["classes"].items():
        try:
            base = Config.from_dict({**spec["base"], "dataset": values["dataset"]})
            space = Space(spec["space"])
            for corner in space.corners():     # a setting it may draw, per branch
                base.replace(**corner)
        except ValueError as error:
            raise ValueError(f"{notebook}: class {name!r}: {error}") from None


def base_config(P: dict) -> Config:
    """The notebook's ``base`` settings, updated by the run's ``overrides``, on ``dataset``."""
    return Config.from_dict({**P["base"], **P["overrides"], "dataset": P["dataset"]})


def scaled(config: Config, scale: str) -> Config:
    """``config`` at the smoke scale (fewer images and epochs), or unchanged at full scale."""
    if scale == "full":
        return config
    epochs = SMOKE["epochs"] if config.batch_size else SMOKE["batch_epochs"]
    changes = {"epochs": min(config.epochs, epochs),
               "n_train": min(config.n_train or SMOKE["n_train"], SMOKE["n_train"]),
               "n_test": min(config.n_test or SMOKE["n_test"], SMOKE["n_test"]), "progress": False}
    if config.holdout == "next":
        changes["holdout_size"] = min(int(config.holdout_size), SMOKE["n_train"] // 4)
    if config.anneal_T is not None and config.anneal_per == "step":
        changes["anneal_T"] = min(config.anneal_T, 100)
    return config.replace(**changes)


class Parameters(dict):
    """Validated parameters (a plain dict to the notebook), plus the notebook's name, the
    digests of the run's inputs taken when they were validated (provenance.inputs) and the
    time they were (``started``, time.perf_counter: the run's wall time is counted from it)."""

    def __init__(self, values: dict, notebook: str, inputs: dict):
        super().__init__(values)
        self.notebook, self.inputs, self.started = notebook, inputs, time.perf_counter()


# Rules a notebook's parameters must satisfy beyond their kinds (specs.SPECS), by notebook.
NOTEBOOK_RULES = {"02_softmax": _check_something_to_run, "07_across_runs": _check_sources, "08_best": _check_search}
