"""The reproduction: every published number beside this build's, each with a measured verdict.

Interface:
    rows = compare_all(records, entries, n_test)   # one ReproductionRow per published entry (pipeline.published)
    compare_entry(record, entry, n_test)           # one entry beside its run's result (and its inferred ablation's)
    counts(rows)          # {"rows", "within", "explained", "inconsistent", "open"}
    summary_line(rows)    # "53 rows: 40 within noise under stated settings and named defaults; ..."
    hypotheses(rows)      # each inferred setting across the rows it concerns: how many it brings within noise
    gradcheck_rows(published_tables, eps)          # the reports' gradient-check tables against their bound (pipeline.published)

A row is *within noise* when the build's result under the report's stated settings and named
defaults is within the noise band of the published number; else *explained* when the entry's
inferred ablation (a variant of the same run) is within the band; else *inconsistent in the
report* when the entry names a contradiction between the number and the report's own stated rule
(``inconsistent``: a key of CHECKS) and the build's measurement confirms it
(``ReproductionRow.evidence`` says what was measured); else *open*. The band:
accuracies in percentage points, twice the combined standard error of one published run on
our test-set size (binomial, sqrt(p(1-p)/n)) and of our spread over seeds; losses and epoch
counts, twice our spread plus 10 % of the published value; facts about the data, 1e-9.
"""
from __future__ import annotations

import math
from typing import NamedTuple

from ..pipeline.published import CHECK_NAMES, gradcheck_rows  # noqa: F401 (the reports' gradient tables, SPEC C)

EXACT = ("first_mean", "first_std")   # facts about the data files: no noise


class ReproductionRow(NamedTuple):
    entry: dict
    ours: tuple            # (mean, std) in the published number's units (accuracies in %)
    diff: float
    noise: float
    within: bool
    ablation: dict | None  # {"ours", "diff", "within"} of the inferred variant, when the entry names one
    verdict: str           # "within noise" | "explained" | "inconsistent in the report" | "open"
    evidence: str | None = None   # what the build measured for an entry's ``inconsistent`` check


def _in_units(mean_std, metric: str) -> tuple:
    mean, std = mean_std[:2]
    return (100 * mean, 100 * std) if metric.endswith("acc") else (float(mean), float(std))


def noise_band(value: float, std: float, metric: str, n_test: int | None) -> float:
    if metric in EXACT:
        return 1e-9
    if metric.endswith("acc"):
        p = min(max(value / 100, 0.0), 1.0)
        return 2 * math.hypot(100 * math.sqrt(p * (1 - p) / n_test), std)
    return 2 * std + 0.1 * abs(value)


def _measure(summary: dict, variant: str, entry: dict, n_test: int | None) -> dict:
    metric, value = entry["metric"], float(entry["value"])
    if variant not in summary or metric not in summary[variant]:
        raise KeyError(f"{entry['run']}: no {metric} for variant {variant!r} (variants: {', '.join(summary)}); "
                       "fix report/published.yaml or the run's parameter file")
    mean, std = _in_units(summary[variant][metric], metric)
    noise = noise_band(value, std, metric, n_test)
    return {"ours": (mean, std), "diff": mean - value, "noise": noise, "within": abs(mean - value) <= noise}


# --- a published number against its report's own stated rule ---------------------------------

def first_rise(losses) -> int | None:
    """The first epoch e >= 1 whose hold-out loss is above epoch e-1's (None: it never rises)."""
    return next((e for e in range(1, len(losses)) if losses[e] > losses[e - 1]), None)


def stop_needs_rises(record: dict, entry: dict, n_test: int | None = None) -> tuple[bool, str]:
    """A published stop at epoch E under "stop after p consecutive rises of the hold-out loss"
    needs the loss rising at epochs E-p+1 .. E, so its first rise at epoch E-p+1 or earlier. The
    evidence: the first rise in this build's histories under the stated settings (every seed);
    inconsistent when it comes later than that in every seed."""
    results = record["runs"][entry["variant"]]
    patience = results[0]["config"]["patience"]
    latest = int(entry["value"]) - patience + 1
    rises = [first_rise(r["history"]["holdout_loss"]) for r in results]
    falls_until = [(len(r["history"]["holdout_loss"]) - 1 if e is None else e - 1) for r, e in zip(results, rises)]
    holds = all(e is None or e > latest for e in rises)
    evidence = (f"stopping at epoch {int(entry['value'])} after {patience} rises needs the hold-out loss rising by epoch "
                f"{latest}; under the stated settings it falls until epoch {min(falls_until)}"
                + (f"–{max(falls_until)}" if max(falls_until) != min(falls_until) else "")
                + f" ({len(results)} seed{'s' if len(results) > 1 else ''})")
    return holds, evidence


def two_values(record: dict, entry: dict, n_test: int | None) -> tuple[bool, str]:
    """The report publishes this number twice, as ``value`` and as ``other_value`` (e.g. abstract
    and text): inconsistent when the two are further apart than the noise band of one published
    run on our test-set size. The evidence also says which of the two ours is within noise of."""
    value, other, metric = float(entry["value"]), float(entry["other_value"]), entry["metric"]
    band = noise_band(value, 0.0, metric, n_test)
    ours = _in_units(record["summary"][entry["variant"]][metric], metric)
    near = [v for v in (value, other) if abs(ours[0] - v) <= noise_band(v, ours[1], metric, n_test)]
    evidence = (f"the report gives {value:g} and, elsewhere, {other:g}: {abs(value - other):.2f} apart against a noise "
                f"band of {band:.2f}; ours, {ours[0]:.2f}, is within noise of "
                + (" and ".join(f"{v:g}" for v in near) if near else "neither"))
    return abs(value - other) > band, evidence


CHECKS = {"stop_needs_rises": stop_needs_rises, "two_values": two_values}
if set(CHECKS) != set(CHECK_NAMES):   # published.yaml is validated against CHECK_NAMES: the two lists are one
    raise ImportError(f"reproduction.CHECKS {sorted(CHECKS)} differ from published.CHECK_NAMES {sorted(CHECK_NAMES)}")


def compare_entry(record: dict, entry: dict, n_test: int | None) -> ReproductionRow:
    """One published number beside the run's result (and its inferred ablation's, if named)."""
    main = _measure(record["summary"], entry["variant"], entry, n_test)
    ablation = _measure(record["summary"], entry["ablation"], entry, n_test) if entry.get("ablation") else None
    inconsistent, evidence = CHECKS[entry["inconsistent"]](record, entry, n_test) if entry.get("inconsistent") else (False, None)
    verdict = "within noise" if main["within"] else "explained" if ablation and ablation["within"] else \
        "inconsistent in the report" if inconsistent else "open"
    return ReproductionRow(entry, main["ours"], main["diff"], main["noise"], main["within"],
                           ablation and {k: ablation[k] for k in ("ours", "diff", "within")}, verdict, evidence)


def compare_all(records: dict, entries: list[dict], n_test) -> list[ReproductionRow]:
    """``n_test(record, variant) -> int``: the test-set size a record's variant was scored on."""
    rows = []
    for entry in entries:
        if entry["run"] not in records:
            raise KeyError(f"report/published.yaml cites run {entry['run']!r}, which this build does not have")
        record = records[entry["run"]]
        size = n_test(record, entry["variant"]) if entry["metric"].endswith("acc") else None
        rows.append(compare_entry(record, entry, size))
    return rows


def hypotheses(rows: list[ReproductionRow]) -> list[dict]:
    """One inferred setting tested across rows: the rows whose entries name the same ``hypothesis``
    (default: the ablation variant's name), in order of first appearance. Each: {"hypothesis",
    "rows": [row numbers, 1-based], "within": [those the ablation brings within noise],
    "chosen_on": the label of the row its value was chosen on (the entry's ``chosen_on``) or None,
    "others_within": how many of the *other* rows it brings within noise}."""
    out = {}
    for i, row in enumerate(rows, 1):
        if not row.ablation:
            continue
        name = row.entry.get("hypothesis") or row.entry["ablation"]
        h = out.setdefault(name, {"hypothesis": name, "rows": [], "within": [], "chosen_on": None})
        h["rows"].append(i)
        if row.ablation["within"]:
            h["within"].append(i)
        if row.entry.get("chosen_on"):
            h["chosen_on"] = row.entry["chosen_on"]
    for h in out.values():
        chosen = [i for i in h["rows"] if rows[i - 1].entry["label"] == h["chosen_on"]]
        h["others_within"] = len([i for i in h["within"] if i not in chosen])
    return list(out.values())


def counts(rows: list[ReproductionRow]) -> dict:
    return {"rows": len(rows), "within": sum(r.verdict == "within noise" for r in rows),
            "explained": sum(r.verdict == "explained" for r in rows),
            "inconsistent": sum(r.verdict == "inconsistent in the report" for r in rows),
            "open": sum(r.verdict == "open" for r in rows)}


def summary_line(rows: list[ReproductionRow]) -> str:
    c = counts(rows)
    return (f"{c['rows']} rows: {c['within']} within noise under stated settings and named defaults; "
            f"{c['explained']} explained by a measured inferred ablation; {c['inconsistent']} inconsistent in the report; "
            f"{c['open']} open.")
