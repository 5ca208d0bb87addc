"""Fits of a notebook's variants, seeds and λ chains, as tasks of the engine; their summary.

Interface:
    runs = run_variants(base, variants, seeds, scale)   # {variant: [Result per seed]}: one task per fit
    variant_jobs(...), sweep_jobs(...), selection_jobs(...)   # the jobs those submit (plan.py counts them)
    chain = run_sweep(base, steps, seeds, scale)        # warm-started: {step: [Result per seed]}
    runs = run_selection(base, selection, seeds, scale) # one fit per (penalty, λ), warm-started or not
    penalty_variants(["l1", "l2"], [0.1, 0.01])         # {"l1 λ=0.1": {"l1": 0.1}, ...}
    summary = summarise(runs)                           # {variant: {metric: [mean, std, seeds]}}
"""
from __future__ import annotations

import numpy as np

from ..config import Config
from . import engine
from .params import scaled


def _jobs(base: Config, variants: dict, seeds: list[int], scale: str):
    for name, overrides in variants.items():
        for seed in seeds:
            yield name, seed, scaled(base.replace(**overrides, seed=seed), scale)


def variant_jobs(base: Config, variants: dict, seeds: list[int], scale: str = "full") -> list[tuple]:
    """The jobs run_variants submits: one fit per (variant, seed)."""
    return [(config,) for _, _, config in _jobs(base, variants, seeds, scale)]


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
    chains = sweep_jobs(base, sets, seeds, scale)
    labels = [(f"set {i + 1} of {len(sets)}, " if len(sets) > 1 else "") + f"sweep of {len(one)}, seed {seed}"
              for i, one in enumerate(sets) for seed in seeds]
    results = iter(engine.run(chains, labels))
    out = {}
    for one in sets:
        per_seed = [next(results) for _ in seeds]
        out.update({name: [chain[i] for chain in per_seed] for i, name in enumerate(one)})
    return out


def sweep_jobs(base: Config, sets: list, seeds: list[int], scale: str = "full") -> list[tuple]:
    """The jobs run_sweep submits: one warm-started chain per (set of steps, seed)."""
    return [tuple(scaled(base.replace(**overrides, seed=seed), scale) for overrides in one.values())
            for one in sets for seed in seeds]


def first_variant_penalties(variants: dict, penalties, lambdas) -> dict:
    """01_logistic's penalty sweep: each penalty at each λ on the first variant's settings."""
    return penalty_variants(penalties, lambdas, next(iter(variants.values())))


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
    sets = _selection_sets(selection)
    if not selection["warm_start"]:
        return run_variants(base, {k: v for steps in sets for k, v in steps.items()}, seeds, scale)
    return run_sweep(base, sets, seeds, scale)


def _selection_sets(selection: dict) -> list[dict]:
    return [penalty_variants(selection["penalties"], lambdas) for lambdas in lambda_sets(selection["lambdas"])]


def selection_jobs(base: Config, selection: dict, seeds: list[int], scale: str = "full") -> list[tuple]:
    """The jobs run_selection submits."""
    if not selection:
        return []
    sets = _selection_sets(selection)
    if not selection["warm_start"]:
        return variant_jobs(base, {k: v for steps in sets for k, v in steps.items()}, seeds, scale)
    return sweep_jobs(base, sets, seeds, scale)


def penalty_variant_name(penalty: str, lam: float) -> str:
    return f"{penalty} λ={lam:g}"


def penalty_variants(penalties, lambdas, overrides: dict | None = None) -> dict:
    """One variant per (penalty, λ): {"l2 λ=0.01": {**overrides, "l2": 0.01}, ...}."""
    return {penalty_variant_name(p, lam): {**(overrides or {}), p: lam} for p in penalties for lam in lambdas}


FINAL_METRICS = ("train_loss", "train_acc", "holdout_loss", "holdout_acc", "test_loss", "test_acc",
                 "epochs_run", "best_epoch", "weight_norm")


def summarise(runs: dict) -> dict:
    """{variant: {metric: [mean, std over seeds, number of seeds]}} of the final metrics (the
    number tells one seed, whose std says nothing, from several that agree)."""
    out = {}
    for name, results in runs.items():
        out[name] = {}
        for metric in FINAL_METRICS:
            values = [r.final[metric] for r in results if metric in r.final]
            if values:
                out[name][metric] = [float(np.mean(values)), float(np.std(values)), len(values)]
    return out
