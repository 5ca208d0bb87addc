"""What a notebook calls, so that a notebook is prose, the rule shown from ``helpers``, a call,
the table, the figure.

Interface:
    P = parameters(globals(), "01_logistic")   # validated; P.inputs: digests of the run's inputs; P.started
    runs, summary = fit_variants(P)            # P's variants x seeds on base_config(P), and their summary
    runs, summary = fit_selection(P)           # P["selection"]: one fit per (penalty, λ), warm-started or not
    runs, summary = fit_penalties(P)           # 01: each penalty and λ retraining P's first variant
    best_on_holdout(summary)                   # selection: hold-out accuracy, ties by hold-out loss; never test
    edited(P)                                  # (variants, rest): what a Jupyter session changed from its run
    published_values(P, "test_acc"); rows_pointer(P)   # published for compared_run(P) (unedited); its report rows
    show(optim.momentum, optim.averaged)       # the rule under study, its source displayed from helpers
    print(table(summary)); beside_published(summary, P)   # text: the numbers, and beside the reports'
    check_learned(P, summary, floor, "a momentum variant")  # the sanity check every training notebook ends with
    write_results(P, summary, runs, extra=None)           # figures + build/results/<run>.json, atomically
    read_results(run, scale)                   # another run's record, refused if stale
    read_sources(P, runs)                      # several: one line naming the command that builds all missing

The pieces live in their own modules (params, fits, engine, results, published, tables);
this module puts them in a notebook's words.
"""
from __future__ import annotations

import inspect

import numpy as np

from ..config import Config
from ..train import Result, load_splits  # noqa: F401 (what notebooks use)
from . import params, provenance, settings
from .fits import (FINAL_METRICS, first_variant_penalties, penalty_variant_name, penalty_variants, run_selection, run_sweep,  # noqa: F401
                   run_variants, summarise)
from .params import Parameters, base_config, scaled, validate  # noqa: F401
from .names import ParameterFileError, parameter_file
from .published import published
from .resolve import effective, load_resolved
from .results import StaleResultsError, figure_path, read_results, rebuild_command, start_run, write_results  # noqa: F401
from .runfiles import read
from .settings import INTERACTIVE
from .tables import fmt, pointer_sentence, published_bullets, table  # noqa: F401


def parameters(namespace: dict, notebook: str) -> Parameters:
    """The notebook's parameters, with the digests of its inputs and the time the run started; figures
    a previous, failed run of the same name left in staging are discarded.

    A pipeline run takes them as the build's stamps step resolved and validated them (resolve.py):
    papermill injected exactly those values, which is checked, not validated again. A Jupyter
    session (run "interactive") validates what its parameters cell says."""
    if settings.in_pipeline() and namespace.get("run", INTERACTIVE) != INTERACTIVE:
        P = _resolved(namespace, notebook)
    else:
        values = validate(namespace, notebook)
        P = Parameters(values, notebook, provenance.inputs(values, notebook))
    start_run(P)
    return P


def _resolved(namespace: dict, notebook: str) -> Parameters:
    try:
        resolved = load_resolved(namespace["run"], settings.output_root())
    except ParameterFileError as error:
        raise ValueError(f"{notebook}: {error}") from None
    cast = params.cast(namespace, notebook)   # papermill's YAML reads 1e-05 as text: the one cast, not a validation
    given = {k: cast.get(k) for k in resolved["parameters"]}
    if resolved["notebook"] != notebook or given != resolved["parameters"]:
        differ = sorted(k for k in given if given[k] != resolved["parameters"][k]) or ["notebook"]
        raise ValueError(f"{notebook}: the parameters {differ} are not those the build resolved for run "
                         f"{namespace['run']!r}: run it through make (`make rerun RUN={namespace['run']}`)")
    return Parameters(resolved["parameters"], notebook, resolved["inputs"])


def fit_variants(P, variants: dict | None = None) -> tuple[dict, dict]:
    """(runs, summary) of ``variants`` (default: P["variants"], each a session edited marked
    EDITED) on base_config(P), for every seed of P at P's scale: ``runs`` {variant: [Result per
    seed]}, ``summary`` {variant: {metric: [mean, std, seeds]}}."""
    if variants is None:
        changed, rest = edited(P)
        variants = {marked(name, rest or name in changed): v for name, v in P["variants"].items()}
    runs = run_variants(base_config(P), variants, P["seeds"], P["scale"])
    return runs, summarise(runs)


def fit_penalties(P) -> tuple[dict, dict]:
    """01_logistic: (runs, summary) of each of P["penalties"] at each of P["lambdas"] retraining P's
    first variant; marked EDITED when the session changed that variant or the rest."""
    changed, rest = edited(P)
    first = next(iter(P["variants"]))
    penalised = first_variant_penalties(P["variants"], P["penalties"], P["lambdas"])
    return fit_variants(P, {marked(name, rest or first in changed): v for name, v in penalised.items()})


def penalty_names(P, runs: dict, penalty: str) -> list[str]:
    """The names in ``runs`` of ``penalty``'s variants (marked or not), in the order of P["lambdas"]."""
    return [name for lam in P["lambdas"] for name in runs
            if name.removesuffix(EDITED) == penalty_variant_name(penalty, lam)]


def best_on_holdout(summary: dict) -> str | None:
    """The variant with the highest mean hold-out accuracy, a tie broken by the lower hold-out
    loss: what a notebook selects on, never the test set (None for an empty summary)."""
    return max(summary, default=None,
               key=lambda name: (summary[name]["holdout_acc"][0], -summary[name]["holdout_loss"][0]))


EDITED = " (edited)"   # the mark of a variant whose settings are no longer those of the run it is compared with


def marked(name: str, edited_: bool) -> str:
    return name + EDITED if edited_ else name


def edited(P) -> tuple[set, bool]:
    """What a Jupyter session changed from compared_run(P), its configurations resolved as the
    build resolves that run's parameter file (resolve.effective): (the names of P's variants whose
    configuration differs or which that run lacks, whether anything else that shapes every fit
    differs: base, overrides, dataset, the selection, λs or penalties). A session that names a
    run (run = "runs/...") is checked against that run's file too."""
    if getattr(P, "edits", None) is None:   # P cannot change after parameters(): work it out once
        P.edits = _edits(P)
    return P.edits


def _edits(P) -> tuple[set, bool]:
    run = compared_run(P)
    if not run or (run == P["run"] and settings.in_pipeline()):   # the build resolved it from that file
        return set(), False
    ref = effective(parameter_file(run), P["scale"])
    mine, theirs = base_config(P), base_config(ref)
    ours, stated = P.get("variants", {}), ref.get("variants", {})
    changed = {name for name, v in ours.items()
               if name not in stated or mine.replace(**v) != theirs.replace(**stated[name])}
    rest = mine != theirs or any(P.get(k) != ref.get(k) for k in ("selection", "lambdas", "penalties"))
    return changed, rest


def published_values(P, metric: str = "test_acc") -> dict:
    """{variant: value} of ``metric`` the course reports published for compared_run(P), the
    variants a session edited left out (all of them when it edited what every fit shares)."""
    changed, rest = edited(P)
    run = compared_run(P)
    return {} if rest else {e["variant"]: e["value"] for e in published()
                            if e["run"] == run and e["metric"] == metric and e["variant"] not in changed}


def rows_pointer(P, metric: str = "test_acc") -> str:
    """Where the report judges the gaps to published_values(P, metric): its reproduction table's rows."""
    rows = {(e["run"], e["variant"], e["metric"]): i for i, e in enumerate(published(), 1)}
    return pointer_sentence([rows[compared_run(P), v, metric] for v in published_values(P, metric)])


def fit_selection(P) -> tuple[dict, dict]:
    """(runs, summary) of P["selection"] on base_config(P) ({} and {} when it selects nothing);
    each marked EDITED when the session changed what every fit shares (edited)."""
    rest = edited(P)[1]
    runs = {marked(name, rest): results
            for name, results in run_selection(base_config(P), P["selection"], P["seeds"], P["scale"]).items()}
    return runs, summarise(runs)


INFERRED_FLOOR = 0.5   # at full scale an inferred ablation (a variant named "(inferred)") must still beat this


def check_learned(P, summary: dict, floor: dict, what: str, smoke: float = 0.3) -> None:
    """Every variant's mean test accuracy above ``floor[dataset]`` (full scale) or ``smoke`` (smoke
    scale: a few epochs); an inferred ablation tests an unstated cause and may learn slowly: it
    must beat INFERRED_FLOOR at full scale. AssertionError naming ``what`` and the variants otherwise."""
    full = P["scale"] == "full"
    failed = [name for name, s in summary.items()
              if not s["test_acc"][0] > ((INFERRED_FLOOR if full else 0.0) if "(inferred)" in name
                                         else (floor[P["dataset"]] if full else smoke))]
    assert not failed, f"{what} failed to learn: {', '.join(failed)}"


class MissingRuns(StaleResultsError):
    """Runs a notebook reads whose results are missing or stale, in one line that names the one
    command building them all (IPython shows that line, not a traceback)."""

    def _render_traceback_(self):
        return [f"MissingRuns: {self}"]


def read_sources(P, runs) -> list[dict]:
    """The records of ``runs`` at P's scale (read_results), or MissingRuns naming every one that
    is missing or stale and the command that builds them all."""
    records, missing = [], []
    for run in runs:
        try:
            records.append(read_results(run, P["scale"]))
        except StaleResultsError:
            missing.append(run)
    if missing:
        command = " && ".join(rebuild_command(run, P["scale"]) for run in missing)
        raise MissingRuns(f"{P.notebook} reads the results of {', '.join(missing)}, not built from the "
                          f"current files: build {'them' if len(missing) > 1 else 'it'} first with `{command}`")
    return records


def weights_of(record: dict, variant: str):
    """(weight vector, bias) a logistic run saved for ``variant`` (its ``extra``)."""
    saved = record["extra"].get("weights", {})
    if variant not in saved:
        raise ValueError(f"run {record['run']} has no variant {variant!r}; its variants: {', '.join(saved) or 'none'}")
    return np.asarray(saved[variant]), record["extra"]["biases"][variant]


def defaults_run(notebook: str, runs_dir: str = "runs") -> str | None:
    """The run of ``notebook`` whose parameter file overrides none of its base settings (the
    report whose settings are the notebook's defaults), or None when there is not exactly one."""
    found = [path for path in sorted((settings.NOTEBOOKS / runs_dir / notebook).glob("*.yaml"))
             if not read(path).get("overrides")]
    return f"{runs_dir}/{notebook}/{found[0].stem}" if len(found) == 1 else None


def compared_run(P) -> str:
    """The run whose published numbers ``P``'s results sit beside: its own name, or for a Jupyter
    session (run "interactive") defaults_run(notebook)."""
    return defaults_run(P.notebook) if P["run"] == INTERACTIVE else P["run"]


def beside_published(summary: dict, P) -> str:
    """Markdown bullets: each variant's test accuracy, loss and epochs, with the published numbers
    of the same variant of compared_run(P), none beside a variant the session edited (edited)."""
    run = compared_run(P)
    changed, rest = edited(P)
    entries = [] if rest else [dict(e, row=i) for i, e in enumerate(published(), 1) if e["variant"] not in changed]
    text = published_bullets(summary, run, entries)
    if P["scale"] == "smoke":
        text = ("*Smoke scale (a few thousand images, a few epochs, one seed): not comparable with the "
                "published numbers, which are quoted only to show where they sit.*\n\n" + text)
    if changed or rest:
        which = "every variant (its base, overrides, dataset or selection)" if rest else \
            ", ".join(f"**{name}**" for name in sorted(changed))
        text += (f"\n\n(Edited in this session, so no longer the settings of `{run}.yaml` and not compared "
                 f"with its published numbers: {which}.)")
    elif P["run"] == INTERACTIVE and run:
        text += f"\n\n(This session runs the defaults of `{run}.yaml`: its published numbers are quoted.)"
    return text


def show(*functions):
    """The source of ``functions`` as it is in helpers/, displayed as code: the rule a notebook
    studies, read from the code that runs it, never a copy."""
    from IPython.display import Code
    return Code("\n\n".join(inspect.getsource(fn).rstrip() for fn in functions), language="python")


def config_of(record: dict, variant: str) -> Config:
    """The configuration a record's ``variant`` ran with (its first seed's)."""
    return Config.from_dict(record["runs"][variant][0]["config"])
