"""How long the rest of a build's fits will take: the one estimator of the status line (monitor.py)
and of `make bench`.

Interface:
    e = Estimator(plan_fits, prior)     # the build's plan (plan.read_plan) and the kept rates (load_rates)
    e.submitted(key, cost, kind); e.epoch(key, fraction, now); e.done(key, seconds)
    e.remaining(now, workers)           # seconds until the last fit ends, or None (nothing to go on yet)
    load_rates(scale), save_rates(scale, measured)   # seconds per cost unit per kind, in the cache folder
    read_plan(path)                     # (scale, fits) of a build's plan.json (plan.write_plan)

What remains: every fit of the plan that was not cached when the runs were resolved and is not done,
and every fit submitted that the plan did not list (08_best's trials). Each lasts its cost
(engine.cost) x seconds per cost unit: those of its setting (``setting``: the same fit but its seed)
measured in this build, else kept from an earlier build on this machine (``<cache folder>/rates.json``),
else its kind's (``kind``: the model, and whether it may stop early) kept from an earlier build, else
its kind's in this build (finished fits, else running ones: time over share of epochs done), else
this build's overall rate. The fits are
then laid out on the workers longest first, as Dask's priorities start them, after what each worker
is running: the estimate is when the last worker is free.
"""
from __future__ import annotations

import hashlib
import heapq
import json
import sys
from pathlib import Path

from . import settings
from .files import atomic_write

RATES = "rates.json"
PLAN = "workbook-plan-1"   # the format of build/plan.json (plan.write_plan)


def kind(job: tuple) -> str:
    """Fits of one kind take about the same seconds per cost unit: the model, and whether it may
    stop early (a fit that may stop early runs a share of its epochs that differs by kind)."""
    config = job[0]
    return f"{config.model} {'stops early' if config.early_stopping else 'all epochs'}"


def setting(job: tuple) -> str:
    """The job's configurations but its seed: the seeds of one setting take about the same time."""
    fields = [{k: v for k, v in c.to_dict().items() if k not in ("seed", "progress")} for c in job]
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


class Estimator:
    def __init__(self, plan_fits=(), prior: dict | None = None):
        self.cost: dict[str, float] = {}
        self.group: dict[str, tuple[str, str]] = {}     # key -> (kind, setting)
        for fit in plan_fits:
            if not fit.get("cached"):
                self.submitted(fit["key"], fit["cost"], fit["kind"], fit.get("setting", ""))
        self.prior = {level: dict((prior or {}).get(level, {})) for level in ("kinds", "settings")}
        self.started: dict[str, float] = {}
        self.fraction: dict[str, float] = {}
        self.finished: dict[str, float] = {}

    def submitted(self, key: str, cost: float, kind: str, setting: str = "") -> None:
        self.cost.setdefault(key, float(cost))
        self.group.setdefault(key, (str(kind), str(setting)))

    def epoch(self, key: str, fraction: float, now: float) -> None:
        self.started.setdefault(key, now)
        self.fraction[key] = max(self.fraction.get(key, 0.0), fraction)   # a chain's later fits restart the count

    def done(self, key: str, seconds: float) -> None:
        self.finished[key] = float(seconds)
        self.fraction.pop(key, None)

    def measured(self) -> dict:
        """{"kinds": {kind: [seconds, cost, fits]}, "settings": {...}} of this build's finished fits."""
        out = {"kinds": {}, "settings": {}}
        for k, seconds in self.finished.items():
            if k in self.cost:
                for level, name in zip(("kinds", "settings"), self.group[k]):
                    if not name:   # a fit announced without its setting (or kind) is learnt by the other level
                        continue
                    s, c, n = out[level].get(name, (0.0, 0.0, 0))
                    out[level][name] = [s + seconds, c + self.cost[k], n + 1]
        return out

    def rates(self, now: float) -> tuple[dict, dict, float | None]:
        """(by kind, by setting, overall) seconds per cost unit, as the module's docstring says."""
        measured = self.measured()
        kinds = {name: s / c for name, (s, c, _) in measured["kinds"].items() if c > 0}
        settings_ = {**self.prior["settings"], **{n: s / c for n, (s, c, _) in measured["settings"].items() if c > 0}}
        running = {}
        for k, fraction in self.fraction.items():
            name = self.group[k][0] if k in self.group else None
            if k in self.started and name not in kinds and fraction > 0 and name is not None:
                s, c = running.get(name, (0.0, 0.0))
                running[name] = (s + now - self.started[k], c + self.cost[k] * fraction)
        kinds.update({name: s / c for name, (s, c) in running.items() if c > 0})
        # a kind's rate kept from a whole earlier build beats this build's first finished fits of that
        # kind, which are its quick ones (fits that stopped early); a setting's other seeds beat both
        kinds.update(self.prior["kinds"])
        total_s = sum(s for s, _, _ in measured["kinds"].values()) + sum(s for s, _ in running.values())
        total_c = sum(c for _, c, _ in measured["kinds"].values()) + sum(c for _, c in running.values())
        overall = total_s / total_c if total_c > 0 else (sum(kinds.values()) / len(kinds) if kinds else None)
        return kinds, settings_, overall

    def remaining(self, now: float, workers: int) -> float | None:
        kinds, settings_, overall = self.rates(now)
        if overall is None or workers < 1:
            return None
        duration = {k: self.cost[k] * settings_.get(self.group[k][1], kinds.get(self.group[k][0], overall))
                    for k in self.cost if k not in self.finished}
        busy = []
        for k in self.fraction:
            if k in duration and k in self.started:
                left = duration[k] * (1 - self.fraction[k])   # its share of epochs still to run
                if "early" in self.group[k][0]:   # a fit that may stop early: at most what its kind's rate leaves
                    left = min(left, max(duration[k] - (now - self.started[k]), 0.0))
                busy.append(left)
        waiting = sorted((duration[k] for k in duration if k not in self.fraction), reverse=True)
        free = sorted(busy, reverse=True)[:workers] + [0.0] * max(workers - len(busy), 0)
        heapq.heapify(free)
        for d in waiting:   # longest first, each on the worker free first
            heapq.heappush(free, heapq.heappop(free) + d)
        return max(free)


def read_plan(path: Path) -> tuple[str, list[dict]]:
    """(scale, fits) of a plan file; ("full", []) when there is none or it is not a plan (its fits are then
    estimated as they are submitted)."""
    try:
        content = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "full", []
    if not (isinstance(content, dict) and content.get("format") == PLAN and isinstance(content.get("fits"), list)):
        return "full", []
    fits = [f for f in content["fits"] if isinstance(f, dict) and {"key", "cost", "kind"} <= set(f)
            and isinstance(f["cost"], (int, float))]
    return str(content.get("scale", "full")), fits


def _rates_file():
    return settings.cache_dir() / RATES


def load_rates(scale: str, log=None) -> dict:
    """{"kinds": {kind: seconds per cost unit}, "settings": {...}} kept for ``scale`` from earlier builds
    (empty when none); a file that is not such a record is ignored, with one line saying so."""
    path = _rates_file()
    try:
        kept = json.loads(path.read_text(encoding="utf-8")).get(scale, {})
        return {level: {str(name): float(s) / float(c) for name, (s, c, _) in kept.get(level, {}).items() if float(c) > 0}
                for level in ("kinds", "settings")}
    except FileNotFoundError:
        return {"kinds": {}, "settings": {}}
    except (TypeError, ValueError, AttributeError) as error:
        (log or (lambda m: print(m, file=sys.stderr)))(
            f"build: ignoring {path} ({type(error).__name__}: {error}); the estimate learns from this build's fits")
        return {"kinds": {}, "settings": {}}


def save_rates(scale: str, measured: dict) -> None:
    """Keep this build's seconds and cost per kind and per setting for ``scale`` (others keep theirs)."""
    path = _rates_file()
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        kept = kept if isinstance(kept, dict) else {}
    except (OSError, ValueError):
        kept = {}
    old = kept.get(scale) if isinstance(kept.get(scale), dict) else {}
    kept[scale] = {level: {**(old.get(level) if isinstance(old.get(level), dict) else {}), **measured.get(level, {})}
                   for level in ("kinds", "settings")}
    atomic_write(path, (json.dumps(kept, indent=1) + "\n").encode())
