"""How long the search of training settings takes (`make best`): before it runs, from the rates this
machine measured; after, from what its record kept.

Interface:
    expected(scale, workers) -> {"search", "bound", "final", "minutes", "workers", "basis"}   # before it runs
    expected_text(scale)       # that in words, for the report and `make report`'s last line
    trained_rates(scale)       # {model: seconds per unit of work} of this build's fits
    took(record)               # after: the searches' batches' wall time (kept in the studies across runs) and,
                               # when this run only loaded stored studies, this run's own time
"""
from __future__ import annotations

import json

from ..config import Config
from ..pipeline import best as search_plan
from ..pipeline import cluster, engine, estimate, names, resolve, results
from ..pipeline.settings import pipeline_root

RUN = "runs-best/08_best/best"


def expected(scale: str, workers: int | None = None) -> dict:
    """How long `make best` takes on this machine, from the seconds per cost unit earlier builds measured
    here (estimate.load_rates; engine.cost) on ``workers`` (the local cluster's, cluster.workers_wanted):
    {"search": every class's trials straight to their caps, unpruned (an upper bound) or None without
    rates, "bound": the budget's share for the searches, "final": the final runs, "minutes": the
    smaller of search and bound plus final, "workers", "basis": the rates' kinds}. Minutes throughout."""
    P = resolve.effective(names.parameter_file(RUN), scale)
    classes = search_plan.setups(P)
    workers = workers or cluster.workers_wanted()
    kept, trained = estimate.load_rates(scale)["kinds"], trained_rates(scale)
    basis, search_s, final_s = set(), 0.0, 0.0
    for setup in classes.values():
        job = (setup.base,)
        kind = estimate.kind(job)
        rate = trained.get(setup.base.model) or kept.get(kind)
        if rate is None:
            return {"search": None, "bound": search_plan.SEARCH_SHARE * P["budget_minutes"], "final": None,
                    "minutes": None, "workers": workers, "basis": f"no fit of a {setup.base.model} measured here yet"}
        basis.add(f"this build's {setup.base.model} fits" if setup.base.model in trained else f"earlier {kind} fits")
        search_s += search_plan.trial_count(P) * engine.cost(job) * rate
        final_s += len(P["seeds"]) * engine.cost(job) * rate
    out = {"search": search_s / workers / 60, "bound": search_plan.SEARCH_SHARE * P["budget_minutes"],
           "final": final_s / workers / 60, "workers": workers, "basis": ", ".join(sorted(basis))}
    out["minutes"] = min(out["search"], out["bound"]) + out["final"]
    return out


def trained_rates(scale: str) -> dict:
    """{model: seconds per unit of work trained} measured by this build's fits (the results files of
    `make report`'s runs): each fit's wall time over engine.cost of the epochs it ran (a fit that
    stopped early counts the epochs it trained, not its cap)."""
    seconds, units = {}, {}
    for path in sorted(results.results_file("runs/x", pipeline_root(scale)).parent.glob("*/*.json")):
        try:
            runs = json.loads(path.read_text(encoding="utf-8")).get("runs", {})
        except (OSError, ValueError):
            continue
        for fits in runs.values():
            for fit in fits:
                try:
                    config = Config.from_dict({**fit["config"], "epochs": max(int(fit["final"]["epochs_run"]), 1)})
                except (KeyError, TypeError, ValueError):
                    continue
                seconds[config.model] = seconds.get(config.model, 0.0) + float(fit["wall_time"])
                units[config.model] = units.get(config.model, 0.0) + engine.cost((config,))
    return {model: seconds[model] / units[model] for model in seconds if units[model] > 0}


def expected_text(scale: str) -> str:
    """``expected`` in words: 'about 31 minutes on this machine (2 workers): ...'."""
    e = expected(scale)
    if e["minutes"] is None:
        return (f"at most about {e['bound']:.0f} minutes of searching on this machine ({e['workers']} workers; the "
                f"budget's bound), plus the final runs ({e['basis']}, so no estimate of them)")
    return (f"about {_minutes(e['minutes'])} on this machine ({e['workers']} workers): the searches "
            + (f"stop at the budget's {_minutes(e['bound'])} (unpruned, every trial would take {_minutes(e['search'])})"
               if e["search"] > e["bound"] else f"take at most {_minutes(e['search'])}")
            + f", the final runs about {_minutes(e['final'])}; from the seconds per epoch measured here ({e['basis']})")


def _minutes(value: float) -> str:
    return f"{value:.1f} minutes" if value < 1 else f"{value:.0f} minute{'s' if round(value) != 1 else ''}"


def took(record: dict) -> str:
    """'this run took 28 minutes, its searches' batches 26 minutes', or, when this run computed no trial
    (every study was loaded from the store: a rerun after another input changed), when they ran."""
    extra = record["extra"]
    classes = extra.get("classes", {})
    searched = sum(c.get("wall_seconds") or 0.0 for c in classes.values()) / 60
    this = _minutes(extra["seconds"] / 60)
    if not classes or any(c.get("fits_now", {}).get("computed") for c in classes.values()):
        return f"this run took {this}" + (f", its searches' batches {_minutes(searched)}" if classes else "")
    return f"its searches' batches took {_minutes(searched)} when they ran; this run loaded them and took {this}"
