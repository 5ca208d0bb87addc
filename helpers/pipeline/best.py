"""The 08_best notebook's plumbing: per model class, a search of training settings on the hold-out
set (search.py), then the chosen setting on several seeds, tested once.

Interface:
    classes = setups(P)                    # {class: Setup(base Config at P's scale, Space, compare)}
    print(plan(P))                         # before the searches: this session's search, and the full one's time
    outcomes = search_all(P, classes, deadline)        # {class: search.Outcome}: the studies, the budget split
                                                       # between them batch by batch (allocate.py)
    runs = final_runs(P, classes, outcomes)            # {class: [Result per seed]}: one engine.run call
    extra = record(P, classes, outcomes, seconds)      # what the results file keeps of the searches

A class (the notebook's ``classes`` parameter) is {"base": Config fields: the set-up, which the
search never changes (data, split, model, the monitored hold-out metric), "space": {Config
field: [kind, ...]} (space.Space), "compare": {"published": the label in report/published.yaml
of the published test accuracy (and so of the workbook run) the report sets beside it}}. Trials train with seed ``TRIAL_SEED``; the final
runs with ``P["seeds"]``, which must not contain it: the test numbers come from seeds the
selection never saw.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

from ..config import Config
from ..history import model_name
from . import allocate, engine, progress, search, space, trials
from .params import scaled
from .results import results_file
from .settings import pipeline_root
from .specs import SMOKE
from .tables import fmt

TRIAL_SEED = 0
SMOKE_TRIALS = 4         # trials per class at smoke scale (one batch of them)


@dataclass
class Setup:
    base: Config
    space: space.Space
    compare: dict


def setups(P) -> dict:
    """{class: Setup} from P["classes"], each base at P's scale, seed TRIAL_SEED."""
    if TRIAL_SEED in P["seeds"]:
        raise ValueError(f"08_best: seeds={P['seeds']} contains {TRIAL_SEED}, the seed every trial trains with: "
                         "the final runs need seeds the search never saw (e.g. [1, 2, 3])")
    out = {}
    for name, spec in P["classes"].items():
        base = Config.from_dict({**spec["base"], "dataset": P["dataset"], "seed": TRIAL_SEED, "progress": False})
        out[name] = Setup(scaled(base, P["scale"]), space.Space(spec["space"]), dict(spec.get("compare") or {}))
    return out


def trial_count(P) -> int:
    return P["trials"] if P["scale"] == "full" else min(P["trials"], SMOKE_TRIALS)


def search_settings(P) -> dict:
    """The search settings a study depends on (part of its name)."""
    return {"trials": trial_count(P), "rung": P["rung"], "batch": P["batch"], "sampler_seed": 0}


def search_all(P, classes: dict, deadline: float | None = None) -> dict:
    """{class: search.Outcome}: every class's study, batch by batch, each batch to the class
    ``allocate.pick`` names, until every study has its trials or ``deadline`` passed (then each class
    has a complete trial at least, and the unfinished studies are marked stopped by this budget:
    a second run does no work). Studies the same budget stopped before are loaded, not searched."""
    cap, batch = trial_count(P), P["batch"]
    studies = {name: search.open_study(search.study_name(name, setup.base, setup.space, search_settings(P)),
                                       P["scale"], setup.base.monitor) for name, setup in classes.items()}
    outcomes = {name: search.Outcome(study) for name, study in studies.items()}
    active = {name: s for name, s in studies.items() if s.user_attrs.get(BUDGET_STOPPED) != P["budget_minutes"]}
    for name in studies.keys() - active.keys():
        outcomes[name].stopped = "budget"       # by this budget, in an earlier run: finished for it
    bars: dict = {}   # one progress bar per class, its batches' fits added to it
    while True:
        name, why = allocate.pick(active, batch, cap)
        if name is None:
            break
        if deadline is not None and now() > deadline and all(allocate.complete(s) for s in active.values()):
            for other, s in active.items():
                if len(trials.finished(s)) < cap:
                    s.set_user_attr(BUDGET_STOPPED, P["budget_minutes"])
                    outcomes[other].stopped = "budget"
            break
        study, setup = studies[name], classes[name]
        study.set_user_attr("allocation", study.user_attrs.get("allocation", []) + [why])
        print(f"{name}: next batch" + (" (its first)" if why.get("first") else
              f" (score {why['score']:.3g}: gain {why['gain']:.3g}, bonus {why['bonus']:.3g}, "
              f"{why['minutes']:.2f} min a batch)"), flush=True)
        started = now()
        with progress.one_bar(name, bars):
            got = search.search(study, setup.base, setup.space, min(cap, len(trials.finished(study)) + batch),
                                P["rung"], batch, label=name)
        study.set_user_attr(WALL, study.user_attrs.get(WALL, 0.0) + now() - started)   # kept across resumed runs
        outcomes[name].resumed += got.resumed
        for k in ("cached", "computed"):
            outcomes[name].fits[k] += got.fits[k]
    progress.close_bars(bars)
    for name, outcome in outcomes.items():
        print(status(name, outcome), flush=True)
    return outcomes


BUDGET_STOPPED = "stopped_by_budget_minutes"   # a study's attribute: the budget that stopped it
WALL = "wall_seconds"                           # a study's attribute: the wall time its batches took


def plan(P) -> str:
    """One paragraph, printed before the searches start: how big this session's search is and how
    long the full search (what `make best` runs) takes: the last full run's wall time when there
    is one, else the bound its budget sets."""
    n, full = len(P["classes"]), P["scale"] == "full"
    bound = (f"no new batch of trials starts after {SEARCH_SHARE * P['budget_minutes']:.0f} minutes, so "
             f"expect about {P['budget_minutes']} minutes (budget_minutes) plus the batch then running")
    last = [json.loads(path.read_text(encoding="utf-8")).get("extra", {}).get("seconds")
            for path in sorted(results_file("runs-best/08_best/x", pipeline_root("full")).parent.glob("*.json"))]
    took = f"; the last full search here took {last[-1] / 60:.0f} minutes" if last and last[-1] else ""
    whole = f"The full search ({P['trials']} trials for each of {n} classes): {bound}{took}."
    if full:
        return f"Searching at full scale. {whole} An interrupted search resumes; a finished one is not redone."
    return (f"A small search (scale \"{P['scale']}\": {trial_count(P)} trials per class on a few thousand "
            f"images, a few epochs; minutes). {whole} Set scale = \"full\" in the parameters cell to run it.")


def status(name: str, outcome: search.Outcome) -> str:
    """One line: the study's trials, and what this call trained, took from the cache or resumed."""
    c = trials.compute(outcome.study)
    done = len(trials.finished(outcome.study))
    line = (f"{name}: {done} trials finished ({c['pruned']} pruned, {c['diverged']} diverged); now "
            + ("nothing to do, the stored study is finished" if not (outcome.fits["computed"] or outcome.fits["cached"])
               else f"{outcome.fits['computed']} fits trained, {outcome.fits['cached']} from the cache"))
    if outcome.resumed:
        line += f"; resumed: {outcome.resumed} trial(s) an interrupted search left running asked again"
    if outcome.stopped:
        line += "; stopped by the budget before its last trials"
    return line


def final_configs(P, classes: dict, outcomes: dict) -> dict:
    """{class: [Config per seed]}: each class's best trial's setting on P["seeds"]."""
    return {name: [space.chosen(setup.base, outcomes[name].best.params).replace(seed=seed) for seed in P["seeds"]]
            for name, setup in classes.items()}


def final_runs(P, classes: dict, outcomes: dict) -> dict:
    """{class: [Result per seed]}: every class's chosen setting on every seed, one engine.run call."""
    configs = final_configs(P, classes, outcomes)
    jobs = [(name, seed, c) for name, cs in configs.items() for seed, c in zip(P["seeds"], cs)]
    results = engine.run([(c,) for _, _, c in jobs], [f"{name}, chosen setting, seed {seed}" for name, seed, _ in jobs])
    runs = {name: [] for name in configs}
    for (name, _, _), (result,) in zip(jobs, results):
        runs[name].append(result)
    return runs


def record(P, classes: dict, outcomes: dict, seconds: float) -> dict:
    """What the results file keeps: per class its study, trials, chosen setting and compute;
    the budget and the wall time of the searches and final runs."""
    out = {}
    for name, setup in classes.items():
        outcome = outcomes[name]
        out[name] = {"study": outcome.study.study_name, "monitor": setup.base.monitor,
                     "direction": outcome.study.direction.name.lower(), "space": setup.space.to_dict(),
                     "base": setup.base.to_dict(), "compare": setup.compare,
                     "chosen": outcome.best.params, "chosen_trial": outcome.best.number,
                     "chosen_value": outcome.best.value, "trials": trials.trials_table(outcome.study),
                     "compute": trials.compute(outcome.study), "resumed": outcome.resumed,
                     "stopped": outcome.stopped, "fits_now": outcome.fits,
                     "allocation": outcome.study.user_attrs.get("allocation", []),
                     "wall_seconds": outcome.study.user_attrs.get(WALL)}
    return {"classes": out, "budget_minutes": P["budget_minutes"], "seconds": seconds,
            "trial_seed": TRIAL_SEED, "smoke_trials": SMOKE_TRIALS if P["scale"] == "smoke" else None,
            "smoke": dict(SMOKE) if P["scale"] == "smoke" else None}


def setup_table(classes: dict) -> str:
    """Markdown: each class's set-up (model, data) and the settings its search varies."""
    rows = ["| class | model and data (kept) | searched |", "|---|---|---|"]
    for name, setup in classes.items():
        b = setup.base
        model = model_name(b)
        data = (f"{b.n_train or 60000} training images, hold-out {b.holdout} {b.holdout_size:g}, "
                f"{b.n_test or 10000} test images ({b.test_select}), pixels {b.normalisation}; "
                f"{b.epochs} epochs at most, weights of the best hold-out epoch ({b.monitor.replace('holdout_', '')})")
        space = "; ".join(f"{k.replace('|', ' if ')} {kind} "
                          f"{', '.join(map(str, v)) if kind == 'choice' else f'{v[0]:g} to {v[1]:g}'}"
                          for k, (kind, v) in setup.space.spec.items())
        rows.append(f"| {name} | {model}: {data} | {space} |")
    return "\n".join(rows)


def trial_panels(classes: dict, outcomes: dict) -> dict:
    """What figures.search_trials draws: per class its trials, monitored metric and chosen trial."""
    return {name: {"trials": trials.trials_table(outcomes[name].study), "monitor": setup.base.monitor,
                   "chosen_trial": outcomes[name].best.number} for name, setup in classes.items()}


def verdict(P, classes: dict, outcomes: dict, runs: dict) -> str:
    """Lines that hold at any scale: classes searched, trials finished, seeds tested."""
    lines = []
    for name in classes:
        n = len(trials.finished(outcomes[name].study))
        lines.append(f"{name}: {n} trials finished (of {trial_count(P)}), chosen setting tested on {len(runs[name])} seed(s)")
    return "\n".join(lines)


def results_table(classes: dict, outcomes: dict, summary: dict) -> str:
    """Markdown: per class the chosen trial's hold-out score, the final runs' test accuracy
    (mean ± std over seeds), the chosen setting and the search's compute."""
    rows = ["| class | chosen trial, hold-out | test, mean ± std over seeds | chosen setting | trials (pruned) | "
            "compute, pruning saved |", "|---|---|---|---|---|---|"]
    for name, setup in classes.items():
        o, c = outcomes[name], trials.compute(outcomes[name].study)
        score = (f"{100 * o.best.value:.2f} %" if setup.base.monitor.endswith("acc") else f"loss {o.best.value:.4f}")
        rows.append(f"| {name} | {score} | {fmt(summary[name]['test_acc'])} | {space.describe(o.best.params)} | "
                    f"{c['trials']} ({c['pruned']}) | {c['seconds'] / 60:.1f} min, {100 * c['saved_seconds']:.0f} % |")
    return "\n".join(rows)


SEARCH_SHARE = 0.85      # of the budget, for the searches; the rest is left for the final runs


def deadline(P, started_wall: float) -> float:
    """The time after which no new batch of trials starts: SEARCH_SHARE of the budget after the
    run's start (a class with no complete trial yet still runs one batch)."""
    return started_wall + SEARCH_SHARE * 60 * P["budget_minutes"]


def now() -> float:
    return time.time()
