"""The report's section on the search of training settings (notebooks/08_best.ipynb, `make best`).

Interface:
    record, why = load_search(scale)                  # (the record, None) when current, else (None, why, the command
                                                      # and its expected time on this machine: expected_text)
    hint(scale)                                       # the line `make report` ends with (python -m helpers.report search-hint)
    search_setup(search_classes(record, scale), n)    # markdown: what `make best` searches, from its configurations
    rows = compare_classes(record, records, entries)  # per class: the reports' number, the stated run's, the searched one
    classes_table(rows), settings_table(rows)         # Pieces: one row per model class (numbers; chosen settings)
    search_figure(record)                             # Piece: hold-out score per trial, per class
    compute_text(record)                              # markdown: compute, budget, what pruning saved
How long `make best` takes, before and after it ran: search_time.py.

The search is not one of `make report`'s runs: its record is read when it exists and is current,
and the report says so when it does not. Its numbers answer "how far can this model class go",
not "did we reproduce the report", so they stay out of the reproduction table.
"""
from __future__ import annotations

from ..pipeline import best as search_plan
from ..pipeline import names, resolve, results, space
from ..pipeline.results import StaleResultsError
from . import describe
from .embed import figure
from .facts import n_test
from .pieces import Piece, tabular
from .tables import number
from .search_time import RUN, expected_text, took

COMMAND = {"full": "make best", "smoke": "make best SCALE=smoke"}   # what runs the search at each scale


def load_search(scale: str) -> tuple[dict | None, str | None]:
    """The search's record, or None and a sentence saying why there is none, how to make it and how
    long that takes on this machine (``expected_text``)."""
    try:
        return results.read_results(RUN, scale), None
    except StaleResultsError as error:
        why = ("the search has not been run in this build" if str(error).startswith("no results") else
               "its results are out of date, made from other inputs than the current files")
        return None, f"{why} (`{COMMAND[scale]}` runs it: {expected_text(scale)})"


def hint(scale: str) -> str:
    """The one line `make report` ends with: whether the search section is in the report, and how to get it."""
    record, why = load_search(scale)
    if record is None:
        return f"report: no search section (how far each model class goes): {why}; then `make report` again"
    return f"report: the search section is from `{COMMAND[scale]}` ({took(record)}); a second `make best` does no work"


FIELD_WORDS = {"lr": "learning rate", "anneal_T": "the learning rate's annealing", "momentum": "classic momentum γ",
               "batch_size": "batch size", "l2": "L2 λ", "l1": "L1 λ", "init": "initialisation",
               "optimizer": "the update rule (the reports' momentum, Adam, AdamW)", "weight_decay": "AdamW's decoupled decay",
               "schedule": "the learning-rate schedule (cosine, step)", "warmup": "a linear warm-up"}


def search_classes(record: dict | None, scale: str) -> dict:
    """{class: {"base": its full configuration, "space": {field: [kind, ...]}}}: the search's record's
    when it ran, else as the build resolves the search's parameter file now (what `make best` would run)."""
    if record is not None:
        return {name: {"base": c["base"], "space": c["space"]} for name, c in record["extra"]["classes"].items()}
    P = resolve.effective(names.parameter_file(RUN), scale)
    return {name: {"base": setup.base.to_dict(), "space": setup.space.to_dict()}
            for name, setup in search_plan.setups(P).items()}


def search_setup(classes: dict, total: int) -> str:
    """What `make best` searches, every setting read from its classes' configurations: the classes (a
    network with its widths and activation), the fields searched, and the data each class keeps."""
    fields = ", ".join(FIELD_WORDS.get(f, f) for f in dict.fromkeys(f for c in classes.values()
                                                                      for f in space.Space(c["space"]).fields()))
    restored = all(c["base"].get("restore") == "best" for c in classes.values())
    kept = {}
    for name, c in classes.items():
        one = {"runs": {name: [{"config": c["base"]}]}}
        held = (f"the first {round(100 * c['base']['holdout_size'])}% of the pair's images" if c["base"].get("digits")
                and c["base"].get("holdout") == "first" else describe.held_out(one))
        data = f"{describe.training(one, total)} ({held} held out) and {describe.test_images(one)}"
        label = f"*{name}* ({describe.network(one)})" if c["base"].get("model") == "mlp" else f"*{name}*"
        kept.setdefault(data, []).append(label)
    return (f"For each model class, `make best` searches the training settings ({fields}"
            + ("; the best hold-out epoch's weights are kept" if restored else "") + ") with Optuna on the hold-out set "
            "only, then trains the chosen setting on seeds the search never used and reads the test set once. Data, "
            "split and architecture stay those of the class: " + "; ".join(f"{_listed(labels)}: {data}"
                                                                        for data, labels in kept.items()) + ".")


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _published(entries: list, label: str | None) -> dict | None:
    """The published test accuracy labelled ``label`` in report/published.yaml."""
    found = [e for e in entries if e["label"] == label and e["metric"] == "test_acc"]
    return found[0] if found else None


def compare_classes(record: dict, records: dict, entries: list) -> list[dict]:
    """Per class: {class, published (the entry its ``compare`` names, or None), stated ([mean, std] of
    that entry's run and variant in this build, or None; its test images), searched ([mean, std], its
    test images, seeds), chosen (params), monitor, value (the chosen trial's hold-out score)}."""
    rows = []
    for name, spec in record["extra"]["classes"].items():
        published = _published(entries, spec["compare"].get("published"))
        run, variant = (published["run"], published["variant"]) if published else (None, None)
        stated = records.get(run, {}).get("summary", {}).get(variant, {}).get("test_acc")
        rows.append({"class": name, "published": published, "run": run, "variant": variant,
                     "stated": stated, "stated_n_test": n_test(records[run], variant) if stated else None,
                     "searched": record["summary"][name]["test_acc"], "seeds": len(record["runs"][name]),
                     "searched_n_test": n_test(record, name),
                     "chosen": spec["chosen"], "monitor": spec["monitor"], "value": spec["chosen_value"],
                     "trials": spec["compute"]["trials"], "pruned": spec["compute"]["pruned"],
                     "wall_seconds": spec.get("wall_seconds")})
    return rows


def classes_table(rows: list[dict]) -> Piece:
    """Per class: the report compared with, its published test accuracy, the workbook's run under its
    stated settings, the searched setting (mean ± std over its final seeds), and the test images of each."""
    header = ["model class", "report", "published", "stated settings", "searched", "test images"]
    body = []
    for r in rows:
        body.append([r["class"], r["published"]["report"] if r["published"] else "–",
                     f"{r['published']['value']:g}" if r["published"] else "–",
                     number(r["stated"], "test_acc") if r["stated"] else "–",
                     number(r["searched"], "test_acc"),
                     f"{r['stated_n_test'] or '–'} / {r['searched_n_test']}"])
    caption = ("How far each model class goes: test percent correct published by the report, of the workbook's run "
               "under that report's stated settings, and of the setting searched on the hold-out set (mean ± std over "
               "its final seeds, none of them used by the search); test images: of the stated run / of the searched one")
    return tabular(header, body, caption, "best-searched", align="llrrrr")


def settings_table(rows: list[dict]) -> Piece:
    """Per class: the setting its search chose, that trial's hold-out score, the trials run (pruned) and
    the wall time of the class's batches."""
    body = [[r["class"], (f"{100 * r['value']:.2f} %" if r["monitor"].endswith("acc") else f"{r['value']:.4f}"),
             space.describe(r["chosen"]), f"{r['trials']} ({r['pruned']})",
             "–" if r["wall_seconds"] is None else f"{r['wall_seconds'] / 60:.1f} min"] for r in rows]
    caption = ("The settings the searches chose (momentum: the reports' rule, η: learning rate, γ: classic momentum, "
               "T: annealing η0/(1 + t/T) per step, none: constant, or the step schedule's period; adam/adamw: "
               "Adam, AdamW with its decoupled decay λ; cosine: η to 0 at the epoch cap), the chosen trial's "
               "hold-out score (percent correct, or cross-entropy for the logistic pairs), the trials each class "
               "ran (pruned among them) and the wall time of its batches of trials")
    return tabular(["model class", "hold-out", "chosen setting", "trials (pruned)", "wall time"], body, caption,
                   "best-settings", align="lrp{6.8cm}rr")


def search_figure(record: dict) -> Piece:
    """The searches' trials (figures.search_trials, drawn by notebooks/08_best) as a Piece."""
    return figure(RUN, "search", "The searches over time: each trial's hold-out score (accuracy, or cross-entropy "
                  "for the logistic pairs) at the minute it finished, on one clock for every class (the budget "
                  "goes batch by batch to the class still gaining most per minute); crosses: pruned at a quarter "
                  "of the epoch cap, at their best score there; line: the best complete trial so far; ringed: the "
                  "chosen trial. Each axis shows the better three quarters of the trials")


def compute_text(record: dict) -> str:
    """Markdown: trials, pruning, and the compute pruning saved, counted in epochs trained (the
    report carries no timings; the notebook and the results file have the seconds)."""
    extra = record["extra"]
    classes = extra["classes"]
    total = {k: sum(c["compute"][k] for c in classes.values())
             for k in ("trials", "pruned", "diverged", "epochs", "epochs_unpruned")}
    saved = 1 - total["epochs"] / total["epochs_unpruned"] if total["epochs_unpruned"] else 0.0
    stopped = [name for name, c in classes.items() if c["stopped"]]   # names hold commas ("network, ReLU"): join by ";"
    which = "; ".join(stopped[:-1]) + " and " + stopped[-1] if len(stopped) > 1 else "".join(stopped)
    return (f"Each class's study ran up to {record['parameters']['trials']} trials (Optuna's TPE sampler, asked in "
            f"batches of {record['parameters']['batch']}): {total['trials']} trials in all, {total['pruned']} of them "
            f"pruned and {total['diverged']} diverged. They trained {total['epochs']:,} epochs; run straight to their "
            f"caps without pruning they would have trained {total['epochs_unpruned']:,}, so pruning "
            + (f"saved {100 * saved:.0f} %" if saved >= 0 else f"cost {-100 * saved:.0f} % more than it saved")
            + f" (the rung epochs a surviving trial trains again are counted). The parameter file "
            f"allows {extra['budget_minutes']:g} minutes for the searches and the final runs, split across the "
            "classes batch by batch by what each still gains per minute (the relative fall of its best hold-out "
            f"error over its last batch, plus a bonus for classes not tried lately: a UCB rule); {took(record)}"
            + (f"; the budget stopped the search{'es' * (len(stopped) > 1)} of {which} before "
               f"{'their' if len(stopped) > 1 else 'its'} last trials." if stopped else
               ", and no search was stopped by it."))
