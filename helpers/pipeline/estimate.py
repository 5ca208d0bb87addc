"""How long the rest of a build's fits will take: the one estimator of the status line (monitor.py)
and of `make bench`.

Interface:
    e = Estimator(plan_fits, base)      # the build's plan (plan.read_plan) and an earlier build's rates (load_rates)
    e.submitted(key, cost, kind, setting); e.epoch(key, fraction, now); e.done(key, seconds)
    e.remaining(now, workers)           # seconds until the last fit ends, or None (nothing to go on yet)
    load_rates(scale)                   # the rates kept here by the last build (<cache folder>/rates.json), else,
                                        # at full scale, those of the recorded reference build (REFERENCE)
    save_rates(scale, e.measured())     # keep this build's rates for the next
    read_plan(path)                     # (scale, fits) of a build's plan.json (plan.write_plan)
    probes(fits); priority(keys, cost, probes)   # fits to start first (one per kind); a task's Dask priority

What remains: every fit of the plan that was not cached when the runs were resolved and is not done,
and every fit submitted that the plan did not list (08_best's trials). Each lasts its cost
(engine.cost) x seconds per cost unit, the rate of the most particular thing measured:
  1. its setting (``setting``: the same fit but its seed): another seed finished in this build;
  2. its setting, else its kind (``kind``: the model, and whether it may stop early), in an earlier whole
     build (kept here, or the reference build), times this build's *pace* for that kind: the seconds
     this build's fits of the kind took per epoch run (finished fits, and running ones so far) over
     what the earlier build's per-epoch rate gives for the same epochs (its pace over all kinds for a
     kind not yet run; 1 before anything ran). A whole build knows a kind's share of epochs that
     early stopping leaves; the pace follows this machine's speed today, which on a shared VM
     drifts between builds by kind (measured: the same fits took 0.67x and 1.5x as long by kind
     in two builds a day apart);
  3. its kind's in this build (finished fits, else running ones: time over share of epochs done);
  4. this build's overall rate.
The fits are then laid out on the workers longest first, as Dask's priorities start them, after
what each worker is running: the estimate is when the last worker is free.
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
LEVELS = ("kinds", "settings", "epochs", "setting epochs")
PROBE = 10 ** 9   # a probe's Dask priority: above every fit's cost // 1e9
# The rates of a recorded full build (python -m helpers.pipeline.replay reference FILE): a first build's base
REFERENCE = Path(__file__).with_name("reference_rates.json")
EVIDENCE = 60.0   # seconds: the weight of a pace's starting value (Estimator.paces)
PLAN = "workbook-plan-1"   # the format of build/plan.json (plan.write_plan)


def kind(job: tuple) -> str:
    """Fits of one kind take about the same seconds per cost unit: the model, whether it may stop
    early (its share of epochs run differs by kind), and a precision other than float32."""
    config = job[0]
    precision = "" if config.dtype == "float32" else f" {config.dtype}"
    return f"{config.model} {'stops early' if config.early_stopping else 'all epochs'}{precision}"


def setting(job: tuple) -> str:
    """The job's configurations but its seed: the seeds of one setting take about the same time."""
    fields = [{k: v for k, v in c.to_dict().items() if k not in ("seed", "progress")} for c in job]
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


class Estimator:
    def __init__(self, plan_fits=(), base: dict | None = None):
        self.cost: dict[str, float] = {}
        self.group: dict[str, tuple[str, str]] = {}     # key -> (kind, setting)
        for fit in plan_fits:
            if not fit.get("cached"):
                self.submitted(fit["key"], fit["cost"], fit["kind"], fit.get("setting", ""))
        self.base = {level: dict((base or {}).get(level, {})) for level in LEVELS}
        self.started: dict[str, float] = {}
        self.fraction: dict[str, float] = {}
        self.finished: dict[str, float] = {}
        self.share: dict[str, float] = {}   # a finished fit's share of its epochs run (its last fraction)

    def submitted(self, key: str, cost: float, kind: str, setting: str = "") -> None:
        self.cost.setdefault(key, float(cost))
        self.group.setdefault(key, (str(kind), str(setting)))

    def epoch(self, key: str, fraction: float, now: float) -> None:
        self.started.setdefault(key, now)
        self.fraction[key] = max(self.fraction.get(key, 0.0), fraction)   # a chain's later fits restart the count

    def done(self, key: str, seconds: float) -> None:
        self.finished[key] = float(seconds)
        share = self.fraction.pop(key, None)
        if share:
            self.share[key] = share

    def measured(self) -> dict:
        """{"kinds": {kind: [seconds, cost, fits]}, "settings": {...}, "epochs": {kind: [seconds, cost x
        share of epochs run, fits]}, "setting epochs": {...}} of this build's finished fits."""
        out = {level: {} for level in LEVELS}
        for k, seconds in self.finished.items():
            if k not in self.cost:
                continue
            ran = self.cost[k] * self.share.get(k, 0.0)
            names = (*self.group[k], *(self.group[k] if ran else ("", "")))
            for level, name, cost in zip(LEVELS, names, (self.cost[k], self.cost[k], ran, ran)):
                if name:   # a fit announced without its setting (or kind) is learnt by the other level
                    s, c, n = out[level].get(name, (0.0, 0.0, 0))
                    out[level][name] = [s + seconds, c + cost, n + 1]
        return out

    def paces(self, now: float) -> tuple[dict, float]:
        """({kind: this build's pace}, its pace over all kinds): seconds per epoch run over the base's."""
        seen: dict[str, list[float]] = {}
        spans = [(k, s, self.share.get(k, 0.0)) for k, s in self.finished.items()]
        spans += [(k, now - self.started[k], f) for k, f in self.fraction.items() if k in self.started]
        for k, seconds, share in spans:
            name, setting_ = self.group.get(k, ("", ""))
            rate = self.base["setting epochs"].get(setting_) or self.base["epochs"].get(name)
            if rate and share > 0 and k in self.cost:
                s, e = seen.get(name, (0.0, 0.0))
                seen[name] = [s + seconds, e + self.cost[k] * share * rate]
        # each pace starts at the next coarser one (a kind's at the overall, the overall at 1) as if
        # EVIDENCE seconds had run at it: a fit's first epochs do not swing a whole kind's estimate
        total_s, total_e = sum(s for s, _ in seen.values()), sum(e for _, e in seen.values())
        overall = (total_s + EVIDENCE) / (total_e + EVIDENCE)
        return {n: (s + EVIDENCE * overall) / (e + EVIDENCE) for n, (s, e) in seen.items()}, overall

    def rates(self, now: float) -> tuple[dict, dict, float | None]:
        """This build's seconds per cost unit: (by kind, by setting, overall), the docstring's levels 3, 1, 4."""
        measured = self.measured()
        kinds = {name: s / c for name, (s, c, _) in measured["kinds"].items() if c > 0}
        settings_ = {n: s / c for n, (s, c, _) in measured["settings"].items() if c > 0}
        running = {}
        for k, fraction in self.fraction.items():
            name = self.group[k][0] if k in self.group else None
            if k in self.started and name not in kinds and fraction > 0 and name is not None:
                s, c = running.get(name, (0.0, 0.0))
                running[name] = (s + now - self.started[k], c + self.cost[k] * fraction)
        kinds.update({name: s / c for name, (s, c) in running.items() if c > 0})
        total_s = sum(s for s, _, _ in measured["kinds"].values()) + sum(s for s, _ in running.values())
        total_c = sum(c for _, c, _ in measured["kinds"].values()) + sum(c for _, c in running.values())
        overall = total_s / total_c if total_c > 0 else None
        return kinds, settings_, overall

    def duration(self, key: str, now: float, rates=None, paces=None) -> float | None:
        """Seconds fit ``key`` takes, at the most particular rate known (None: none); rates/paces: as computed."""
        kinds, settings_, overall = rates or self.rates(now)
        kind_, setting_ = self.group[key]
        if setting_ in settings_:
            return self.cost[key] * settings_[setting_]
        earlier = self.base["settings"].get(setting_) or self.base["kinds"].get(kind_)
        if earlier:
            by_kind, pace = paces or self.paces(now)
            return self.cost[key] * earlier * by_kind.get(kind_, pace)
        rate = kinds.get(kind_, overall)
        return None if rate is None else self.cost[key] * rate

    def remaining(self, now: float, workers: int) -> float | None:
        if workers < 1:
            return None
        rates, paces = self.rates(now), self.paces(now)   # once, not once per fit
        duration = {k: self.duration(k, now, rates, paces) for k in self.cost if k not in self.finished}
        if any(d is None for d in duration.values()):
            return None
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


def probes(fits: list[dict]) -> set[str]:
    """The keys of the fits to start first: of each kind in the plan, its longest not-cached fit among
    those a run asks for first (``stage`` 0: they can start at once), else its longest. With one fit
    of every kind running from the start, the estimate learns this machine's pace for each kind early
    (rather than when the kind's first fit happens to start)."""
    first: dict[str, dict] = {}
    rank = lambda fit: (fit.get("stage", 0) == 0, fit["cost"])   # noqa: E731
    for fit in fits:
        if not fit.get("cached") and (fit["kind"] not in first or rank(fit) > rank(first[fit["kind"]])):
            first[fit["kind"]] = fit
    return {fit["key"] for fit in first.values()}


def priority(keys: list[str], cost: float, first: set[str]) -> int:
    """Dask priority of a task of fits ``keys`` (longest ``cost``): probes (``first``), then long fits."""
    return PROBE if any(k in first for k in keys) else int(cost // 1e9)


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


def as_rates(record: dict) -> dict:
    """{level: {name: seconds per cost unit}} of a record {level: {name: [seconds, cost, fits]}}."""
    return {level: {str(name): float(s) / float(c) for name, (s, c, _) in record.get(level, {}).items() if float(c) > 0}
            for level in LEVELS}


def load_rates(scale: str, log=None) -> dict:
    """{"kinds": {kind: seconds per cost unit}, "settings": {...}, "epochs": {kind: ... per epoch run}} kept
    for ``scale`` by the last builds here; when there are none, at full scale, the reference build's
    (``REFERENCE``, a recorded build: the pace then adapts it to this machine); else empty. A file that
    is not such a record is ignored, with one line saying so."""
    path = _rates_file()
    empty = {level: {} for level in LEVELS}
    try:
        kept = as_rates(json.loads(path.read_text(encoding="utf-8")).get(scale, {}))
    except FileNotFoundError:
        kept = empty
    except (TypeError, ValueError, AttributeError) as error:
        (log or (lambda m: print(m, file=sys.stderr)))(
            f"build: ignoring {path} ({type(error).__name__}: {error}); the estimate starts afresh")
        kept = empty
    if kept["kinds"] or scale != "full":
        return kept
    return as_rates(json.loads(REFERENCE.read_text(encoding="utf-8"))["rates"])


def save_rates(scale: str, measured: dict) -> None:
    """Keep this build's seconds and cost per kind, per setting and per epoch run for ``scale`` (other
    settings and kinds keep theirs; other scales too)."""
    path = _rates_file()
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        kept = kept if isinstance(kept, dict) else {}
    except (OSError, ValueError):
        kept = {}
    old = kept.get(scale) if isinstance(kept.get(scale), dict) else {}
    kept[scale] = {level: {**(old.get(level) if isinstance(old.get(level), dict) else {}), **measured.get(level, {})}
                   for level in LEVELS}
    atomic_write(path, (json.dumps(kept, indent=1) + "\n").encode())
