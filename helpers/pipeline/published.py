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
"two_values"), ``hypothesis`` (the name one inferred setting carries across every row it
concerns; default: the ablation's variant name), ``chosen_on`` (the label of the row its value
was chosen on, if any) and ``note`` (what is unstated).
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
OPTIONAL = {"ablation", "note", "inconsistent", "other_value", "hypothesis", "chosen_on"}
PROVENANCE = ("stated", "default")
# the report's own contradictions an entry may name (``inconsistent``): helpers.report.reproduction measures each
CHECK_NAMES = ("stop_needs_rises", "two_values")
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
        if ("hypothesis" in entry or "chosen_on" in entry) and "ablation" not in entry:
            problems.append("hypothesis / chosen_on describe an inferred ablation: name its variant in ablation")
        if ("other_value" in entry) != (entry.get("inconsistent") == "two_values"):
            problems.append("other_value (the report's second statement of the number) goes with inconsistent: two_values")
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
