"""The numbers the course reports published (../shared/SPEC.md), read from report/published.yaml.

Interface: ``published(path) -> [entry]``; ``published_gradcheck(path) -> {report: [entry]}``, the
reports' gradient-check tables (report/gradcheck_published.yaml: ``entry``, ``numerical``, ``backprop``,
optionally ``printed``); ``gradcheck_rows(tables, eps)``, each entry's |numerical − backprop|
judged against the reports' own bound ε². Each entry of ``published`` is a mapping with
``spec`` (SPEC section), ``report`` (whose number), ``label``, ``run`` (the parameter file's
run name, or "data"), ``variant``, ``metric`` (a key of METRIC_WORDS), ``value``,
``provenance`` of that run's settings ("stated": the report's own; "default": a setting
it leaves unstated is a named default), optionally ``ablation`` (a variant of the same run
whose setting is *inferred*: chosen because it moves the number toward the published one,
shown beside the stated result, never instead), ``inconsistent`` (a check of
``CHECK_NAMES`` (helpers.report.reproduction measures them): the number contradicts the report's own stated rule, measured by the
build; ``other_value``: the report's second statement of the same number, for the check
"two_values", or its number for ``other_variant``, for "same_start_pair"), ``hypothesis`` (the name one inferred setting carries across every row it
concerns; default: the ablation's variant name) and ``note`` (what is unstated).

``questions(path)``: report/hypotheses.yaml, the unstated settings that several inferred
hypotheses answer, each across every row it concerns: {``question``, ``rows`` (the entries it concerns:
``report`` and ``spec`` [, ``metric``]), ``candidates``: [{``hypothesis``, ``variants``: {stated variant:
its variant under the hypothesis} or a template "{variant}, ... (inferred)" (or a list of them, the
first the run has is measured: a part that does not apply to a run is left out), optionally ``run`` (a
template such as "runs-grid/{notebook}/{name}": the candidates' fits in another run, one seed each) and ``confirm`` (the
variants, in the entry's own run, that repeat the candidate on every seed)}]}. Each entry's own
``ablation`` is a question of one candidate. ``inferred(entry, questions)`` lists, per entry, every
(question, hypothesis, run, variant, confirm) measured for it.
"""
from __future__ import annotations

import math
from pathlib import Path

import yaml

from .settings import ROOT

PUBLISHED = ROOT / "report" / "published.yaml"
GRADCHECK = ROOT / "report" / "gradcheck_published.yaml"
GRADCHECK_KEYS = {"entry", "numerical", "backprop", "printed"}
REQUIRED = {"spec", "report", "label", "run", "variant", "metric", "value", "provenance"}
OPTIONAL = {"ablation", "note", "inconsistent", "other_value", "other_variant", "hypothesis"}
QUESTIONS = ROOT / "report" / "hypotheses.yaml"
PROVENANCE = ("stated", "default")
# the report's own contradictions an entry may name (``inconsistent``): helpers.report.reproduction measures each
CHECK_NAMES = ("stop_needs_rises", "two_values", "same_start_pair")
METRIC_WORDS = {"test_acc": "test %", "holdout_acc": "hold-out %", "test_loss": "test loss", "epochs_run": "epochs",
                "weight_norm": "‖W‖", "best_epoch": "best epoch", "first_mean": "image mean", "first_std": "image std"}


def published(path=PUBLISHED) -> list[dict]:
    """The entries of ``path``, each checked: ValueError naming the entry and what is wrong."""
    entries = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a YAML list of entries")
    for i, entry in enumerate(entries, 1):
        unknown, missing = set(entry) - REQUIRED - OPTIONAL, REQUIRED - set(entry)
        problems = ([f"unknown keys {sorted(unknown)}"] if unknown else []) + \
                   ([f"missing {sorted(missing)}"] if missing else [])
        if entry.get("metric") not in METRIC_WORDS:
            problems.append(f"metric must be one of {list(METRIC_WORDS)}")
        if entry.get("provenance") not in PROVENANCE:
            problems.append(f"provenance must be one of {list(PROVENANCE)}")
        if "inconsistent" in entry and entry["inconsistent"] not in CHECK_NAMES:
            problems.append(f"inconsistent names a check of helpers.report.reproduction: one of {list(CHECK_NAMES)}")
        if "hypothesis" in entry and "ablation" not in entry:
            problems.append("hypothesis names an inferred ablation: name its variant in ablation")
        if ("other_value" in entry) != (entry.get("inconsistent") in ("two_values", "same_start_pair")):
            problems.append("other_value (the report's second number) goes with inconsistent: two_values or same_start_pair")
        if ("other_variant" in entry) != (entry.get("inconsistent") == "same_start_pair"):
            problems.append("other_variant (the variant of the other number) goes with inconsistent: same_start_pair")
        if "ablation" in entry and "inferred" not in str(entry["ablation"]):
            problems.append("an ablation's variant name says it is inferred")
        if problems:
            raise ValueError(f"{path} entry {i} ({entry.get('label', '?')}): {'; '.join(problems)}")
    return entries


def published_gradcheck(path=GRADCHECK) -> dict:
    """{report: [entry]} of ``path``, each entry checked: ValueError naming it and what is wrong (an
    entry name holding a comma, unquoted, is cut there by YAML and leaves an unknown key)."""
    tables = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(tables, dict):
        raise ValueError(f"{path}: expected a mapping of report names to lists of entries")
    for report, entries in tables.items():
        for i, entry in enumerate(entries if isinstance(entries, list) else [None], 1):
            if not isinstance(entry, dict):
                raise ValueError(f"{path}: {report} entry {i}: expected a mapping (entry, numerical, backprop)")
            unknown, missing = set(entry) - GRADCHECK_KEYS, {"entry", "numerical", "backprop"} - set(entry)
            if unknown or missing:
                raise ValueError(f"{path}: {report} entry {i} ({entry.get('entry', '?')}): "
                                 + (f"unknown keys {sorted(map(str, unknown))} (quote an entry name that holds a comma)"
                                    if unknown else f"missing {sorted(missing)}"))
    return tables


def gradcheck_rows(tables: dict, eps: float) -> list[dict]:
    """Each published entry with its |numerical - backprop| recomputed and judged against the
    report's own bound ε²; ``printed`` (a difference the report printed) is checked too."""
    bound = eps ** 2
    out = []
    for report, entries in tables.items():
        for e in entries:
            diff = abs(float(e["numerical"]) - float(e["backprop"]))
            row = {"report": report, "entry": e["entry"], "numerical": float(e["numerical"]),
                   "backprop": float(e["backprop"]), "diff": diff, "passes": diff <= bound,
                   "same_sign": (float(e["numerical"]) >= 0) == (float(e["backprop"]) >= 0)}
            if "printed" in e:
                row["printed"] = float(e["printed"])
                row["printed_matches"] = math.isclose(float(e["printed"]), diff, rel_tol=0.05)
            out.append(row)
    return out


def questions(path=QUESTIONS) -> list[dict]:
    """The questions of ``path`` (see the module docstring), each checked: ValueError naming the question."""
    found = yaml.safe_load(Path(path).read_text(encoding="utf-8")) if Path(path).exists() else []
    for q in found or []:
        name = q.get("question", "?")
        if set(q) - {"question", "rows", "candidates", "note"} or not q.get("candidates") or \
                not isinstance(q.get("rows"), dict) or set(q["rows"]) - {"report", "spec", "metric"}:
            raise ValueError(f"{path}: question {name!r} needs question, rows {{report, spec[, metric]}}, "
                             "candidates (and may have a note)")
        for c in q["candidates"]:
            variants = c.get("variants")
            if set(c) - {"hypothesis", "variants", "run", "confirm"} or not c.get("hypothesis") or not variants:
                raise ValueError(f"{path}: question {name!r}: each candidate names its hypothesis and variants")
            if isinstance(variants, (str, list)) and "inferred" not in str(variants):
                raise ValueError(f"{path}: question {name!r}, {c['hypothesis']!r}: a variant template says it is inferred")
            if isinstance(variants, dict) and any("inferred" not in v and v != k for k, v in variants.items()):
                raise ValueError(f"{path}: question {name!r}, {c['hypothesis']!r}: each variant says it is inferred, "
                                 "or is the stated variant itself (the hypothesis changes nothing for that row)")
    return found or []


def _concerns(q: dict, entry: dict) -> bool:
    rows = q["rows"]
    return all(entry.get(k) in (v if isinstance(v, list) else [v]) for k, v in rows.items())


def _name(how, entry: dict):
    """A template (or a list of them: the first the run has is measured) filled in for ``entry``, or
    ``how``'s variant for the entry's (None: the candidate does not concern it)."""
    if how is None:
        return None
    _, notebook, name = entry["run"].split("/")
    fill = dict(variant=entry["variant"], run=entry["run"], notebook=notebook, name=name)
    if isinstance(how, list):
        return [t.format(**fill) for t in how]
    return how.format(**fill) if isinstance(how, str) else how.get(entry["variant"])


def inferred(entry: dict, found: list[dict]) -> list[dict]:
    """Every inferred hypothesis measured for ``entry``: its own ``ablation`` (a question of one
    candidate, named by ``hypothesis``), then each candidate of each question concerning it:
    [{"question", "hypothesis", "run", "variant", "confirm"}]. A candidate naming no variant for
    the entry's stated variant does not concern it."""
    out = []
    if entry.get("ablation"):
        name = entry.get("hypothesis") or entry["ablation"]
        out.append({"question": name, "hypothesis": name, "run": entry["run"], "variant": entry["ablation"],
                    "confirm": None})
    for q in found:
        if not _concerns(q, entry):
            continue
        for c in q["candidates"]:
            variant = _name(c["variants"], entry)
            if variant is not None:
                out.append({"question": q["question"], "hypothesis": c["hypothesis"],
                            "run": _name(c.get("run"), entry) or entry["run"], "variant": variant,
                            "confirm": _name(c.get("confirm"), entry)})
    return out
