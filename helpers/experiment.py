"""What a notebook calls: its parameters, its fits, its results file. Each piece lives in
its own module (params, engine, results, published, tables); this is the notebook's one import.

Interface:
    P = parameters(globals(), "01_logistic")   # validated; P.inputs: digests of the run's inputs
    base = base_config(P)                      # Config from base + overrides + dataset
    runs = run_variants(base, P["variants"], P["seeds"], P["scale"])   # {variant: [Result per seed]}
    chain = run_sweep(base, steps, P["seeds"], P["scale"])   # warm-started: {step: [Result per seed]}
    summary = summarise(runs)                  # {variant: {metric: [mean, std over seeds]}}
    figure_path(P, "curves")                   # where plots.save puts a figure
    measured(summary, P)                       # markdown: each variant beside the published numbers
    show(optim.momentum, optim.averaged)       # the rule under study, its source displayed from helpers
    write_results(P, summary, runs, started)   # figures + build/results/<run>.json, atomically
    read_results(run, scale)                   # another run's record, refused if stale
"""
from __future__ import annotations

import inspect

import numpy as np

from . import engine, provenance
from .config import Config
from .params import SMOKE, SPECS, Parameters, base_config, scaled
from .params import parameters as _validate
from .published import METRIC_WORDS, published
from .runs import INTERACTIVE, NOTEBOOKS, read
from .results import figure_path, read_results, start_run, write_results
from .tables import fmt, table
from .tables import measured as _measured
from .train import Result, load_splits


def parameters(namespace: dict, notebook: str) -> Parameters:
    """The notebook's validated parameters, with the digests of its inputs taken now; figures
    a previous, failed run of the same name left in staging are discarded."""
    values = _validate(namespace, notebook)
    P = Parameters(values, notebook, provenance.inputs(values, notebook))
    start_run(P)
    return P


def _jobs(base: Config, variants: dict, seeds: list[int], scale: str):
    for name, overrides in variants.items():
        for seed in seeds:
            yield name, seed, scaled(base.replace(**overrides, seed=seed), scale)


def run_variants(base: Config, variants: dict, seeds: list[int], scale: str = "full") -> dict:
    """{variant name: [Result for each seed]}: every (variant, seed) fit is one task (engine.run)."""
    jobs = list(_jobs(base, variants, seeds, scale))
    results = engine.run([(config,) for _, _, config in jobs], [f"{name}, seed {seed}" for name, seed, _ in jobs])
    runs = {name: [] for name in variants}
    for (name, _, _), (result,) in zip(jobs, results):
        runs[name].append(result)
    return runs


def run_sweep(base: Config, steps, seeds: list[int], scale: str = "full") -> dict:
    """A warm-started sweep: for each seed one task fits the ``steps`` ({name: overrides}) in
    order, each starting from the weights the previous one returned (train.sweep).
    ``steps`` may also be a list of such dicts (sets): each set is its own chain per seed, from
    the same initial weights; all chains run as one batch of tasks.
    Returns {step name: [Result for each seed]}."""
    sets = steps if isinstance(steps, list) else [steps]
    chains = [[scaled(base.replace(**overrides, seed=seed), scale) for overrides in one.values()]
              for one in sets for seed in seeds]
    labels = [(f"set {i + 1} of {len(sets)}, " if len(sets) > 1 else "") + f"sweep of {len(one)}, seed {seed}"
              for i, one in enumerate(sets) for seed in seeds]
    results = iter(engine.run(chains, labels))
    out = {}
    for one in sets:
        per_seed = [next(results) for _ in seeds]
        out.update({name: [chain[i] for chain in per_seed] for i, name in enumerate(one)})
    return out


def lambda_sets(lambdas: list) -> list[list[float]]:
    """[λ, ...] -> [[λ, ...]] (one set); [[λ, ...], ...] (λ sets) unchanged."""
    return [list(v) for v in lambdas] if lambdas and isinstance(lambdas[0], (list, tuple)) else [list(lambdas)]


def run_selection(base: Config, selection: dict, seeds: list[int], scale: str = "full") -> dict:
    """One fit per (penalty, λ) of ``selection`` ({penalties, lambdas, warm_start}; {} for none):
    warm-started in that order (run_sweep) or each from its own initialisation (run_variants).

    ``lambdas`` may list λ sets ([[λ, ...], [λ, ...]]): warm-started, each set is its own chain
    (every penalty over that set, in order) from the same initial weights, as Zhu & Guo's code
    called ``hyper_parameters_tuning`` once per set; all chains run as one batch of tasks."""
    if not selection:
        return {}
    sets = [sweep(selection["penalties"], lambdas) for lambdas in lambda_sets(selection["lambdas"])]
    if not selection["warm_start"]:
        return run_variants(base, {k: v for steps in sets for k, v in steps.items()}, seeds, scale)
    return run_sweep(base, sets, seeds, scale)


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


def weights_of(record: dict, variant: str):
    """(weight vector, bias) a logistic run saved for ``variant`` (its ``extra``)."""
    saved = record["extra"].get("weights", {})
    if variant not in saved:
        raise ValueError(f"run {record['run']} has no variant {variant!r}; its variants: {', '.join(saved) or 'none'}")
    return np.asarray(saved[variant]), record["extra"]["biases"][variant]


def defaults_run(notebook: str, runs_dir: str = "runs") -> str | None:
    """The run of ``notebook`` whose parameter file overrides none of its base settings (the
    report whose settings are the notebook's defaults), or None when there is not exactly one."""
    found = [path for path in sorted((NOTEBOOKS / runs_dir / notebook).glob("*.yaml"))
             if not read(path).get("overrides")]
    return f"{runs_dir}/{notebook}/{found[0].stem}" if len(found) == 1 else None


def compared_run(P) -> str:
    """The run whose published numbers ``P``'s results sit beside: its own name, or for a Jupyter
    session (run "interactive") defaults_run(notebook)."""
    return defaults_run(P.notebook) if P["run"] == INTERACTIVE else P["run"]


def measured(summary: dict, P) -> str:
    """Markdown bullets: each variant's test accuracy, loss and epochs, with the published numbers
    of the same variant of compared_run(P)."""
    run = compared_run(P)
    text = _measured(summary, run, published())
    if P["scale"] == "smoke":
        text = ("*Smoke scale (a few thousand images, a few epochs, one seed): not comparable with the "
                "published numbers, which are quoted only to show where they sit.*\n\n" + text)
    if P["run"] == INTERACTIVE and run:
        text += f"\n\n(This session runs the defaults of `{run}.yaml`: its published numbers are quoted.)"
    return text


def show(*functions):
    """The source of ``functions`` as it is in helpers/, displayed as code: the rule a notebook
    studies, read from the code that runs it, never a copy."""
    from IPython.display import Code
    return Code("\n\n".join(inspect.getsource(fn).rstrip() for fn in functions), language="python")


__all__ = ["parameters", "base_config", "scaled", "run_variants", "run_sweep", "run_selection", "sweep", "sweep_name", "summarise",
           "figure_path", "write_results", "show", "compared_run", "read_results", "weights_of", "published", "measured", "fmt", "table", "load_splits",
           "Result", "SPECS", "SMOKE", "METRIC_WORDS", "FINAL_METRICS"]
