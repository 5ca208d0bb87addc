"""Notebook plumbing: validated parameters, run scale, seeded variants, results files.

Interface:
    P = parameters(globals(), "01_logistic")      # validate what papermill injected
    base = base_config(P)                         # Config from P["base"], P["dataset"], P["scale"]
    runs = run_variants(base, P["variants"], P["seeds"])   # {name: [Result per seed]}
    summary = summarise(runs)                     # {name: {metric: (mean, std)}}
    write_results(P, summary, runs, started)      # build/results/<run>.json, atomically
    figure_path(P, "curves")                      # figures/<run>/curves (save adds .pdf/.png)

Every notebook has the common parameters ``run`` (name of the run: its figures folder and
results file), ``dataset``, ``scale`` ("full" reproduces the SPEC settings, "smoke" is
the small CI scale), ``seeds``, ``base`` (the SPEC's Config fields) and ``overrides``
(what a parameter file changes in ``base``), plus its own (``SPECS``). Papermill only warns about a
misspelt parameter; ``parameters`` makes any unknown name an error.
"""
from __future__ import annotations

import difflib
import json
import os
import time
import types
from pathlib import Path

import numpy as np
import yaml

from .config import Config
from .fetch import DIGESTS, atomic_write
from .train import Result, fit, load_splits

ROOT = Path(__file__).resolve().parent.parent


def output_root() -> Path:
    """Where figures/ and build/results/ go: ``$WORKBOOK_OUTPUT`` (the tests use a scratch
    folder) or the repository."""
    return Path(os.environ.get("WORKBOOK_OUTPUT", ROOT))
SCALES = ("full", "smoke")
# Smoke scale: few images, few epochs, one seed; the same code paths as the full runs.
# Full-batch runs take one step per epoch, so they get more (cheap) epochs than mini-batch runs.
SMOKE = {"n_train": 2000, "n_test": 1000, "epochs": 3, "batch_epochs": 30, "seeds": 1}

COMMON = {"run": "name", "dataset": tuple(DIGESTS), "scale": SCALES, "seeds": "list[int]",
          "base": "dict", "overrides": "dict"}
SPECS = {
    "01_logistic": {**COMMON, "variants": "dict", "lambdas": "list[float]", "penalties": "list[str]"},
    "03_gradcheck": {**COMMON, "eps_table": "float", "eps_strict": "float", "strict_hidden": "int",
                     "strict_examples": "int"},
    "02_softmax": {**COMMON, "penalties": "list[str]", "lambdas": "list[float]", "minibatch": "dict",
                   "variants": "dict"},
    "04_momentum": {**COMMON, "variants": "dict"},
    "05_regularisation": {**COMMON, "variants": "dict"},
    "06_activations": {**COMMON, "variants": "dict"},
    # what spans runs: reads other runs' results files, trains nothing
    "07_across_runs": {"run": "name", "dataset": tuple(DIGESTS), "scale": SCALES, "sources": "list[str]",
                       "variant": "str"},
}
PENALTIES = ("l1", "l2")


def _kind_ok(kind, value) -> bool:
    if isinstance(kind, tuple):
        return value in kind
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return {
        "name": isinstance(value, str) and value.replace("_", "").replace("-", "").isalnum(),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": number,
        "dict": isinstance(value, dict),
        "list[int]": isinstance(value, list) and bool(value) and all(isinstance(v, int) and v >= 0 for v in value),
        "list[float]": isinstance(value, list) and all(isinstance(v, (int, float)) and v >= 0 for v in value),
        "str": isinstance(value, str) and bool(value),
        "list[str]": isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value),
    }[kind]


def _cast(kind, value):
    """YAML reads 1e-3 as a string: numbers in strings become floats where floats are due."""
    def num(v):
        try:
            return float(v) if isinstance(v, str) else v
        except ValueError:
            return v
    if kind == "float":
        return num(value)
    if kind == "list[float]" and isinstance(value, list):
        return [num(v) for v in value]
    return value


def _is_parameter_like(name: str, value) -> bool:
    """A plain value a user or papermill assigned (not a module, function, class or IPython name)."""
    if name.startswith("_") or name in {"In", "Out", "get_ipython", "exit", "quit"}:
        return False
    return not isinstance(value, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type))


def parameters(namespace: dict, notebook: str) -> dict:
    """Check the notebook's parameters in ``namespace``; return them (cast) as a dict.

    Raises ValueError naming any unknown parameter (with the closest known name), any
    missing one, and any of the wrong type or out of range.
    """
    spec = SPECS[notebook]
    given = {k: v for k, v in namespace.items() if _is_parameter_like(k, v)}
    unknown = sorted(set(given) - set(spec))
    if unknown:
        hints = [f"{k!r}" + (f" (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(k, spec, 1)) else "")
                 for k in unknown]
        raise ValueError(f"{notebook}: unknown parameter(s) {', '.join(hints)}; "
                         f"this notebook takes {', '.join(spec)} (working interactively after "
                         "later cells ran? restart the kernel and run from the top)")
    missing = [k for k in spec if k not in given]
    if missing:
        raise ValueError(f"{notebook}: parameter(s) {missing} missing from the parameters cell")
    values = {k: _cast(kind, given[k]) for k, kind in spec.items()}
    for name, kind in spec.items():
        if not _kind_ok(kind, values[name]):
            want = f"one of {list(kind)}" if isinstance(kind, tuple) else kind
            raise ValueError(f"{notebook}: parameter {name}={values[name]!r} is not {want}")
    for name in ("eps_table", "eps_strict"):
        if name in values and not values[name] > 0:
            raise ValueError(f"{notebook}: parameter {name}={values[name]!r} must be > 0")
    bad = [p for p in values.get("penalties", []) if p not in PENALTIES]
    if bad:
        raise ValueError(f"{notebook}: penalties {bad} unknown; choose from {list(PENALTIES)}")
    if "base" in values:
        # validate base + overrides (+ minibatch) + each variant early, with Config's messages;
        # variants apply on top of minibatch, as in the notebooks
        target = base_config(values).replace(**values.get("minibatch", {}))
        for name, overrides in values.get("variants", {}).items():
            if not isinstance(overrides, dict):
                raise ValueError(f"{notebook}: variant {name!r} must map Config fields to values")
            target.replace(**overrides)
    if "seeds" in values and values["scale"] == "smoke":
        values["seeds"] = values["seeds"][:SMOKE["seeds"]]
    return values


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


def base_config(P: dict) -> Config:
    """The notebook's ``base`` settings, updated by the run's ``overrides``, on ``dataset``."""
    return Config.from_dict({**P["base"], **P["overrides"], "dataset": P["dataset"]})


def run_variants(base: Config, variants: dict, seeds: list[int], scale: str = "full") -> dict:
    """{variant name: [Result for each seed]}; splits are loaded once per data setting."""
    cache, runs = {}, {}
    for name, overrides in variants.items():
        runs[name] = []
        for seed in seeds:
            config = scaled(base.replace(**overrides, seed=seed), scale)
            key = tuple(getattr(config, f) for f in ("dataset", "digits", "n_train", "n_test", "holdout",
                                                      "holdout_size", "split_seed", "normalisation", "dtype"))
            if key not in cache:
                cache[key] = load_splits(config)
            runs[name].append(fit(config, cache[key]))
    return runs


def sweep_name(penalty: str, lam: float) -> str:
    return f"{penalty} λ={lam:g}"


def sweep(penalties, lambdas, overrides: dict | None = None) -> dict:
    """One variant per (penalty, λ): {"l2 λ=0.01": {**overrides, "l2": 0.01}, ...}."""
    return {sweep_name(p, lam): {**(overrides or {}), p: lam} for p in penalties for lam in lambdas}


FINAL_METRICS = ("train_loss", "train_acc", "holdout_loss", "holdout_acc", "test_loss", "test_acc",
                 "epochs_run", "best_epoch", "weight_norm")


def summarise(runs: dict) -> dict:
    """{variant: {metric: [mean, std over seeds]}} of the final metrics."""
    out = {}
    for name, results in runs.items():
        out[name] = {}
        for metric in FINAL_METRICS:
            values = [r.final[metric] for r in results if metric in r.final]
            if values:
                out[name][metric] = [float(np.mean(values)), float(np.std(values))]
    return out


def figure_path(P: dict, name: str) -> Path:
    return output_root() / "figures" / P["run"] / name


def results_path(P: dict) -> Path:
    return results_file(P["run"])


def results_file(run: str) -> Path:
    return output_root() / "build" / "results" / f"{run}.json"


def read_results(run: str) -> dict:
    """The results file another run wrote (``build/results/<run>.json``)."""
    path = results_file(run)
    if not path.exists():
        raise FileNotFoundError(f"no results for run {run!r} at {path}: run it first "
                                f"(`make notebooks` runs every parameter file in notebooks/runs/)")
    return json.loads(path.read_text())


def write_results(P: dict, summary: dict, runs: dict, started: float, extra: dict | None = None) -> Path:
    """The run's parameters, per-seed results (config, final, history) and summary, atomically."""
    record = {"run": P["run"], "parameters": P, "summary": summary, "extra": extra or {},
              "wall_time": time.perf_counter() - started,
              "runs": {name: [r.to_json() for r in results] for name, results in runs.items()}}
    path = results_path(P)
    atomic_write(path, json.dumps(record, indent=1, default=float).encode())
    return path


PUBLISHED = ROOT / "report" / "published.yaml"
PUBLISHED_KEYS = {"spec", "label", "run", "variant", "metric", "value", "note"}
METRIC_WORDS = {"test_acc": "test %", "holdout_acc": "hold-out %", "test_loss": "test loss", "epochs_run": "epochs",
                "weight_norm": "‖W‖", "best_epoch": "best epoch"}


def published(path=PUBLISHED) -> list[dict]:
    """The numbers the course reports published (SPEC.md), one YAML list of
    {spec, label, run, variant, metric, value, note}: each names the run, variant and
    metric of this workbook it is compared with."""
    entries = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    for i, entry in enumerate(entries):
        unknown, missing = set(entry) - PUBLISHED_KEYS, PUBLISHED_KEYS - {"note"} - set(entry)
        if unknown or missing or entry["metric"] not in METRIC_WORDS:
            raise ValueError(f"{path} entry {i + 1}: unknown keys {sorted(unknown)}, missing {sorted(missing)}, "
                             f"metric must be one of {list(METRIC_WORDS)}")
    return entries


def measured(summary: dict, run: str) -> str:
    """Markdown bullets, one per variant: test accuracy, loss and epochs (mean ± std over
    seeds), followed by what the course reports published for the same variant, if anything."""
    quoted = {}
    for entry in published():
        if entry["run"] == run:
            quoted.setdefault(entry["variant"], []).append(f"{METRIC_WORDS[entry['metric']]} {entry['value']:g}")
    lines = []
    for name, s in summary.items():
        line = (f"- **{name}**: {fmt(s['test_acc'])}% test, loss {fmt(s['test_loss'], percent=False, digits=3)}, "
                f"{s['epochs_run'][0]:.0f} epochs on average")
        lines.append(line + (f"; published: {', '.join(quoted[name])}" if name in quoted else ""))
    return "\n".join(lines)


def fmt(mean_std, percent: bool = True, digits: int = 2) -> str:
    """'97.45 ± 0.12' from [mean, std] (accuracies as percent)."""
    mean, std = mean_std
    k = 100 if percent else 1
    return f"{k * mean:.{digits}f} ± {k * std:.{digits}f}"


__all__ = ["parameters", "base_config", "run_variants", "sweep", "sweep_name", "read_results", "published", "measured", "summarise", "write_results", "figure_path", "table",
           "results_path", "scaled", "fmt", "Result"]


def table(summary: dict, metrics=("holdout_acc", "test_acc", "test_loss", "epochs_run")) -> str:
    """The summary as a fixed-width text table: one row per variant, mean ± std per metric."""
    width = max(len(name) for name in summary) + 2
    lines = [f"{'variant':<{width}}" + "".join(f"{m:>20}" for m in metrics)]
    for name, values in summary.items():
        cells = [fmt(values[m], percent=m.endswith("acc"), digits=2 if m.endswith("acc") else 4)
                 if m in values else "-" for m in metrics]
        lines.append(f"{name:<{width}}" + "".join(f"{c:>20}" for c in cells))
    return "\n".join(lines)
