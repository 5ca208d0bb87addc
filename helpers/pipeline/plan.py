"""The build's plan: every fit its runs will ask for, known once the runs are resolved, so the
status line can estimate the rest of the build rather than the fits submitted so far.

Interface:
    jobs_of(parameters, notebook)   # [[job, ...] per engine.run call] a run of ``notebook`` makes, in order
    plan(resolved_runs, scale)      # {"scale", "fits": [{key, cost, kind, run, stage, cached}]}: one per distinct job
    write_plan(resolved_runs, out, scale)  # <out>/plan.json (the stamps step: resolve.write_stamps)
    estimate.read_plan(path)        # (scale, that file's fits), or ("full", []) when there is none

What each notebook fits is in ``CALLS``, in the order its cells call experiment.fit_variants /
fit_selection; a notebook without fits (03, 07) is absent, and one whose fits depend on what earlier
fits found (08_best's search) too: its fits are estimated as they are submitted (monitor.py).
``stage``: the index of the engine.run call in its run (a run asks stage 1 after stage 0 returns).
"""
from __future__ import annotations

import json
from pathlib import Path

from . import cache, provenance
from .engine import cost
from .estimate import PLAN, kind, setting
from .files import atomic_write
from .fits import first_variant_penalties, selection_jobs, variant_jobs
from .params import base_config


def _variants(P, variants=None):
    return variant_jobs(base_config(P), P["variants"] if variants is None else variants, P["seeds"], P["scale"])


def _penalised(P):   # 01_logistic: experiment.fit_penalties
    return _variants(P, first_variant_penalties(P["variants"], P["penalties"], P["lambdas"]))


def _selection(P):
    return selection_jobs(base_config(P), P["selection"], P["seeds"], P["scale"])


CALLS = {"01_logistic": (_variants, _penalised), "02_softmax": (_selection, _variants),
         "04_momentum": (_variants,), "05_regularisation": (_variants,), "06_activations": (_variants,)}


def jobs_of(parameters: dict, notebook: str) -> list[list[tuple]]:
    return [call(parameters) for call in CALLS.get(notebook, ())]


def plan(resolved: list[dict], scale: str = "full") -> dict:
    """The distinct jobs of the resolved runs (records of resolve.write_stamps), each with its cache
    key, cost, kind, first run and stage, and whether the fit cache holds it now."""
    code = provenance.code_digest(provenance.FIT_CODE)
    fits, seen = [], set()
    for record in resolved:
        for stage, jobs in enumerate(jobs_of(record["parameters"], record["notebook"])):
            for job in jobs:
                k = cache.key(job, code)
                if k not in seen:
                    seen.add(k)
                    fits.append({"key": k, "cost": cost(job), "kind": kind(job), "setting": setting(job), "run": record["run"],
                                 "stage": stage, "fits": len(job), "cached": cache.cached(k)})
    return {"format": PLAN, "scale": scale, "fits": fits}


def write_plan(resolved: list[dict], out: Path, scale: str = "full") -> None:
    atomic_write(Path(out) / "plan.json", (json.dumps(plan(resolved, scale), indent=0) + "\n").encode())
