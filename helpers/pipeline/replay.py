"""A recorded build replayed through the estimator (estimate.py): how far from what remained was
the status line's estimate, from the first fifth of the build on?

Interface:
    recorded = record(root)          # a build's fits from its results files: per task its cost, kind, run,
                                     # stage, seconds (the fits' wall times) and share of epochs run
    points = replay(recorded, base)  # [(t, estimate, actual remaining)] on the build's timeline
    worst(points, start=0.2, end)    # the largest |estimate - actual| / actual between those shares of it
    python -m helpers.pipeline.replay record ROOT > FILE    # record the full build under ROOT
    python -m helpers.pipeline.replay check FILE            # print the errors of that record, replayed

The replay runs the record's tasks as the build did: ``workers`` workers, every run's first engine.run
call at once and its next one when that returns, the plan's probes first (estimate.probes), then the
longest fit (Dask's priorities, engine.run). The
estimator sees what the status line would: the plan at the start, each fit's share of epochs done,
each finished fit's seconds.
"""
from __future__ import annotations

import argparse
import heapq
import json
from pathlib import Path

from ..config import Config
from . import cache, provenance
from .estimate import Estimator, as_rates, priority, probes
from .plan import jobs_of, plan

FORMAT = "workbook-recorded-build-1"
REFERENCE_FORMAT = "workbook-reference-rates-1"


def record(root: Path, workers: int = 2) -> dict:
    """The fits of the full build under ``root`` (its build/results/ and what its runs were resolved as)."""
    records = [json.loads(p.read_text()) for p in sorted((Path(root) / "build" / "results" / "runs").rglob("*.json"))]
    fits = {}
    for r in records:
        for results in r["runs"].values():
            for f in results:
                fits[provenance.canonical(cache.identity(Config.from_dict(f["config"])))] = f
    resolved = [{"run": r["run"], "notebook": r["run"].split("/")[1], "parameters": r["parameters"]} for r in records]
    jobs = {}   # key -> job, as plan() keeps them: each distinct job once
    code = provenance.code_digest(provenance.FIT_CODE)
    for x in resolved:
        for stage in jobs_of(x["parameters"], x["notebook"]):
            for job in stage:
                jobs.setdefault(cache.key(job, code), job)
    tasks = []
    for planned in plan(resolved)["fits"]:
        job = jobs[planned["key"]]
        parts = [fits[provenance.canonical(cache.identity(c))] for c in job]
        tasks.append({**{k: planned[k] for k in ("key", "cost", "kind", "setting", "run", "stage")},
                      "seconds": sum(p["wall_time"] for p in parts),
                      "epochs": sum(p["final"]["epochs_run"] for p in parts) / sum(c.epochs for c in job)})
    return {"format": FORMAT, "workers": workers, "tasks": tasks}


def _schedule(recorded: dict) -> dict:
    """{key: (start, end)} as the build ran them (see the module's docstring)."""
    tasks, workers = recorded["tasks"], recorded["workers"]
    by_stage = {}
    for t in tasks:
        by_stage.setdefault((t["run"], t["stage"]), []).append(t)
    left = {rs: len(ts) for rs, ts in by_stage.items()}
    first = probes([{**t, "cached": False} for t in tasks])
    ready = [(-priority([t["key"]], t["cost"], first), i, t) for i, t in enumerate(tasks) if t["stage"] == 0]
    heapq.heapify(ready)
    clock, idle, running, times, order = 0.0, workers, [], {}, 0
    while ready or running:
        while ready and idle:
            _, _, t = heapq.heappop(ready)
            times[t["key"]], idle = (clock, clock + t["seconds"]), idle - 1
            heapq.heappush(running, (clock + t["seconds"], t["key"], t))
        clock, _, t = heapq.heappop(running)
        idle += 1
        left[t["run"], t["stage"]] -= 1
        if left[t["run"], t["stage"]] == 0:   # the run's engine.run call returned: its next one submits
            for n in by_stage.get((t["run"], t["stage"] + 1), []):
                order += 1
                heapq.heappush(ready, (-priority([n["key"]], n["cost"], first), len(tasks) + order, n))
    return times


def replay(recorded: dict, base: dict | None = None, step: float = 5.0) -> list[tuple[float, float, float]]:
    times = _schedule(recorded)
    end = max(e for _, e in times.values())
    tasks = {t["key"]: t for t in recorded["tasks"]}
    estimator = Estimator([{**t, "cached": False} for t in recorded["tasks"]], base)
    points, t = [], step
    finished = set()
    while t < end:
        for k, (s, e) in times.items():
            if e <= t and k not in finished:   # its last epoch's message, then its end (as the monitor sees them)
                finished.add(k)
                estimator.epoch(k, 0.0, s)
                estimator.epoch(k, tasks[k]["epochs"], e)
                estimator.done(k, tasks[k]["seconds"])
            elif s <= t < e:
                if k not in estimator.started:
                    estimator.epoch(k, 0.0, s)
                estimator.epoch(k, (t - s) / (e - s) * tasks[k]["epochs"], t)
        estimate = estimator.remaining(t, recorded["workers"])
        if estimate is not None:
            points.append((t, estimate, end - t))
        t += step
    return points


def worst(points, start: float = 0.2, end: float = 1.0) -> float:
    """The largest relative error of the estimate between shares ``start`` and ``end`` of the build."""
    total = points[-1][0] + points[-1][2]
    return max(abs(est - actual) / actual for t, est, actual in points if start * total <= t <= end * total)


def kept(recorded: dict) -> dict:
    """What a build of ``recorded``'s tasks keeps (estimate.save_rates) for the next: {level: {name:
    [seconds, cost, fits]}}."""
    estimator = Estimator([{**t, "cached": False} for t in recorded["tasks"]])
    for t in recorded["tasks"]:
        estimator.epoch(t["key"], 0.0, 0.0)
        estimator.epoch(t["key"], t["epochs"], t["seconds"])
        estimator.done(t["key"], t["seconds"])
    return estimator.measured()


def kept_rates(recorded: dict) -> dict:
    return as_rates(kept(recorded))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m helpers.pipeline.replay", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("record").add_argument("root")
    sub.add_parser("reference").add_argument("file")
    check = sub.add_parser("check")
    check.add_argument("file")
    check.add_argument("--base", help="another recorded build, as the one before it on this machine")
    args = parser.parse_args(argv)
    if args.command == "record":
        print(json.dumps(record(Path(args.root)), indent=0))
        return
    recorded = json.loads(Path(args.file).read_text())
    if args.command == "reference":
        print(json.dumps({"format": REFERENCE_FORMAT, "recorded": Path(args.file).name, "rates": kept(recorded)}, indent=0))
        return
    total = sum(t["seconds"] for t in recorded["tasks"])
    print(f"recorded build: {len(recorded['tasks'])} tasks, {total / 60:.1f} min of fits on {recorded['workers']} workers")
    cases = [("no base (nothing to go on but this build)", replay(recorded)),
             ("base: its own rates, by kind only", replay(recorded, {k: v for k, v in kept_rates(recorded).items()
                                                                     if k != "settings"})),
             ("base: its own rates (the same build again)", replay(recorded, kept_rates(recorded)))]
    if args.base:
        other = json.loads(Path(args.base).read_text())
        cases.append((f"base: {Path(args.base).name}'s rates (a first build on this code)", replay(recorded, kept_rates(other))))
    for name, p in cases:
        total = p[-1][0] + p[-1][2]
        last = max(abs(e - a) for t, e, a in p if t >= 0.9 * total)
        print(f"{name}: worst error from 1/5 to 9/10 of the build {worst(p, 0.2, 0.9):.0%}; "
              f"in the last tenth at most {last:.0f} s off")


if __name__ == "__main__":
    main()
