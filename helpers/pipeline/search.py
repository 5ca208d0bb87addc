"""Searching a model class's training settings on the hold-out set: an Optuna study whose
trials are fits on the engine (engine.run: Dask, the fit cache), stored so it resumes.

Interface (the space it searches: space.py):
    study = open_study(name, scale)     # SQLite under .cache/studies/ (kept by make clean), or settings.study_storage
    study_name(label, base, space, search_settings)   # its label + a digest of what it searches
    outcome = search(study, base, space, trials=24, rung=0.25, batch=4)   # -> Outcome

A trial is a fit of ``base`` updated by the sampled fields, seed ``base.seed``; its value is
the hold-out metric ``base.monitor`` names ("holdout_acc", maximised, or "holdout_loss",
minimised: on a few hundred hold-out images accuracy ties, the loss does not) of the weights
the fit returns (``final``), reported per epoch from its history: the search reads no
test-set number. Trials are asked in batches of ``batch`` (a fixed number, not the
cluster's size, so the same study comes out on any cluster) and each batch's fits run as one
``engine.run`` call.

Pruning, by fixed-epoch rungs: each trial first trains ``rung`` x its epoch cap (a fit of its
own, cached), reports that fit's per-epoch hold-out score to the study, and is pruned if
the pruner (Optuna's MedianPruner) says so; a survivor then trains to its cap from the start
(the same seed draws the same weights and batches, so its first epochs repeat the rung's
exactly). Pruning saves the epochs a pruned trial would have run and costs the rung's epochs
again for each survivor; ``compute(study)`` measures both. Batches asked while fewer than
``prune_after`` trials are complete (the pruner cannot prune yet) skip the rung.

A diverged fit (train.DivergenceError) makes its trial FAIL (user attribute ``diverged``); the
batch runs on. A finished study does no work; an interrupted one resumes: a trial left running
is marked failed and asked again with the same setting (its fits come from the cache).
"""
from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field

from ..config import Config
from ..train import DivergenceError
from . import cache, engine, provenance, settings
from .trials import finished, state
from .space import SearchError, Space, chosen, rung_epochs



# --- the stored study ----------------------------------------------------------------------

def study_name(label: str, base: Config, space: Space, search_settings: dict) -> str:
    """``label`` + a digest of everything the study's trials depend on: the base configuration,
    the space, the search settings and the training code (a change to any is a new study)."""
    content = {"base": cache.identity(base), "space": space.to_dict(), "search": search_settings,
               "code": provenance.code_digest(provenance.FIT_CODE)}
    return f"{label} {hashlib.sha256(provenance.canonical(content).encode()).hexdigest()[:12]}"


MONITORED = {"holdout_acc": "maximize", "holdout_loss": "minimize"}


def open_study(name: str, scale: str, monitor: str = "holdout_acc", seed: int = 0, startup: int = 8,
               prune_after: int = 4):
    """The study ``name`` (created or loaded), optimising ``monitor`` (``MONITORED``); TPE sampler
    (seeded, ``startup`` random trials first), MedianPruner once ``prune_after`` trials are complete."""
    if monitor not in MONITORED:
        raise SearchError(f"monitor={monitor!r}: a search optimises one of {list(MONITORED)}; "
                          "set the base configuration's monitor to it")
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=prune_after, n_warmup_steps=0)
    storage = settings.study_storage(scale)
    try:
        study = optuna.create_study(storage=storage, study_name=name, direction=MONITORED[monitor],
                                    sampler=sampler, pruner=pruner, load_if_exists=True)
        study.set_user_attr("prune_after", prune_after)   # search() skips the rungs while the pruner cannot prune
        study.get_trials(deepcopy=False)                  # every stored trial read once: a damaged file says so here
    except Exception as error:
        damaged = _damaged(storage, error)
        if damaged is None:
            raise
        raise damaged from None
    return study


def _damaged(storage: str, error: Exception) -> SearchError | None:
    """A storage SQLite cannot read (sqlalchemy's DatabaseError: "database disk image is malformed",
    "file is not a database") as one line naming the file and the fix; None for any other error."""
    if type(error).__name__ != "DatabaseError" or "sqlalchemy" not in type(error).__module__:
        return None
    where = storage.removeprefix("sqlite:///")
    cause = str(getattr(error, "orig", error)).splitlines()[0]
    fix = (f"delete it (`make clean-studies`, or rm {where}) and run the search again: its fits stay in the fit "
           "cache, so the trials come back quickly") if storage.startswith("sqlite:///") else \
        "repair or replace that storage (WORKBOOK_STUDY_STORAGE)"
    return SearchError(f"the search's Optuna study storage {where} is damaged ({cause}): {fix}")


def _recover(study) -> int:
    """Trials a previous, interrupted search left running: failed, and their settings asked again."""
    import optuna
    stale = [t for t in study.get_trials(deepcopy=False) if state(t) == "RUNNING"]
    for t in stale:
        study.tell(t.number, state=optuna.trial.TrialState.FAIL)
        study.enqueue_trial(t.params, user_attrs={"resumed_from": t.number})
    return len(stale)


# --- the search ------------------------------------------------------------------------------

@dataclass
class Outcome:
    """What a search did: its trials (as stored), and how much this call trained."""
    study: object
    resumed: int = 0                 # trials an interrupted search had left running
    stopped: str | None = None       # "budget" when the deadline stopped it before its trials were done
    fits: dict = field(default_factory=lambda: {"cached": 0, "computed": 0})

    @property
    def best(self):
        return self.study.best_trial


def _run(jobs, labels, stats_total) -> tuple[list, dict]:
    """engine.run on ``jobs``, fit by fit tolerant of divergence: {index: diverged message}."""
    results, diverged = [None] * len(jobs), {}
    todo = list(range(len(jobs)))
    if not todo:
        return results, diverged
    while todo:
        stats = {}
        try:
            got = engine.run([jobs[i] for i in todo], [labels[i] for i in todo], stats=stats)
        except DivergenceError as error:
            # the finished fits are cached: run the rest again without the one that diverged
            digest, seed = _which(error)
            bad = [i for i in todo if jobs[i][0].digest() == digest and jobs[i][0].seed == seed]
            if not bad:
                raise
            diverged[bad[0]] = str(error)
            todo.remove(bad[0])
            continue
        for k in ("cached", "computed"):
            stats_total[k] += stats.get(k, 0)
        for i, (result,) in zip(todo, got):
            results[i] = result
        todo = []
    return results, diverged


def _which(error) -> tuple:
    """(config digest, seed) of the fit a DivergenceError names (its attributes, else its message)."""
    if hasattr(error, "digest"):
        return error.digest, error.seed
    found = re.search(r"config ([0-9a-f]{12}), seed (\d+)", str(error))
    return (found.group(1), int(found.group(2))) if found else (None, None)


def _report(trial, result, start: int) -> None:
    """Report the fit's monitored hold-out metric per epoch from ``start`` + 1 on (step = epoch)."""
    history = result.history
    for epoch, acc in zip(history["epoch"], history[result.config.monitor]):
        if epoch > start and float(epoch).is_integer():
            trial.report(acc, int(epoch))


def search(study, base: Config, space: Space, trials: int, rung: float | None = 0.25, batch: int = 4,
           label: str = "", deadline: float | None = None) -> Outcome:
    """Run ``study`` until ``trials`` trials are complete or pruned (see the module docstring).
    ``deadline`` (time.time()): no new batch starts after it once a trial is complete (so there is a
    setting to choose; Outcome.stopped = "budget")."""
    import optuna
    if not (isinstance(trials, int) and trials >= 1):
        raise SearchError(f"trials={trials!r}: a positive number of trials")
    if not (isinstance(batch, int) and batch >= 1):
        raise SearchError(f"batch={batch!r}: a positive number of trials asked at once")
    if base.monitor not in MONITORED or MONITORED[base.monitor] != study.direction.name.lower():
        raise SearchError(f"the base configuration monitors {base.monitor!r}, but the study "
                          f"{study.study_name!r} {study.direction.name.lower()}s: open it with monitor={base.monitor!r}")
    outcome = Outcome(study, resumed=_recover(study))
    while (done := len(finished(study))) < trials:
        complete = any(state(t) == "COMPLETE" for t in study.get_trials(deepcopy=False))
        if deadline is not None and time.time() > deadline and complete:   # one complete trial at least: a choice
            outcome.stopped = "budget"
            break
        asked = [study.ask() for _ in range(min(batch, trials - done))]
        configs = [chosen(base, space.suggest(t)) for t in asked]
        names = [f"{label} trial {t.number}" for t in asked]
        alive = list(range(len(asked)))
        spent = {i: (0, 0.0) for i in alive}         # epochs trained, seconds
        # while fewer than `prune_after` trials are complete the pruner prunes nothing: no rung then
        can_prune = sum(state(t) == "COMPLETE" for t in study.get_trials(deepcopy=False)) >= \
            study.user_attrs.get("prune_after", 0)
        first = [rung_epochs(c.epochs, rung) if can_prune else None for c in configs]
        short = [i for i in alive if first[i]]
        if short:
            results, diverged = _run([(configs[i].replace(epochs=first[i]),) for i in short],
                                     [f"{names[i]} (rung)" for i in short], outcome.fits)
            for j, i in enumerate(short):
                if j in diverged:
                    _fail(study, asked[i], diverged[j], spent[i])
                    alive.remove(i)
                    continue
                r = results[j]
                spent[i] = (r.final["epochs_run"], r.wall_time)
                _report(asked[i], r, 0)
                if asked[i].should_prune():
                    _attrs(asked[i], spent[i], configs[i].epochs, r)
                    study.tell(asked[i], state=optuna.trial.TrialState.PRUNED)
                    alive.remove(i)
        results, diverged = _run([(configs[i],) for i in alive], [names[i] for i in alive], outcome.fits)
        for j, i in enumerate(alive):
            if j in diverged:
                _fail(study, asked[i], diverged[j], spent[i])
                continue
            r = results[j]
            _report(asked[i], r, first[i] or 0)
            epochs, seconds = spent[i]
            _attrs(asked[i], (epochs + r.final["epochs_run"], seconds + r.wall_time), configs[i].epochs, r,
                   straight=True)
            study.tell(asked[i], r.final[base.monitor])
    return outcome


def _attrs(trial, spent, cap: int, result, straight: bool = False) -> None:
    """What a trial cost (epochs and seconds trained), and what it would have cost unpruned: its
    last fit when that ran straight to the end (``straight``), else that fit's pace to ``cap``."""
    epochs, seconds = spent
    per_epoch = result.wall_time / max(result.final["epochs_run"], 1)
    trial.set_user_attr("epochs_trained", int(epochs))
    trial.set_user_attr("seconds", float(seconds))
    trial.set_user_attr("epochs_unpruned", int(result.final["epochs_run"] if straight else cap))
    trial.set_user_attr("seconds_unpruned", float(result.wall_time if straight else per_epoch * cap))
    trial.set_user_attr("best_epoch", int(result.final["best_epoch"]))


def _fail(study, trial, message: str, spent) -> None:
    import optuna
    trial.set_user_attr("diverged", message.split(";")[0])
    trial.set_user_attr("epochs_trained", int(spent[0]))
    trial.set_user_attr("seconds", float(spent[1]))
    study.tell(trial, state=optuna.trial.TrialState.FAIL)
