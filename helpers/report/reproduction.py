"""The reproduction: every published number beside this build's, each with a measured verdict.

Interface:
    rows = compare_all(records, entries, n_test)   # one ReproductionRow per published entry (pipeline.published)
    compare_entry(record, entry, n_test)           # one entry beside its run's result (and its inferred ablation's)
    counts(rows)          # {"rows", "within", "explained", "inconsistent", "open"}
    summary_line(rows)    # "53 rows: 40 within noise under stated settings and named defaults; ..."
    hypotheses(rows)      # each question: its candidates' total distances over its rows, the one chosen
    gradcheck_rows(published_tables, eps)          # the reports' gradient-check tables against their bound (pipeline.published)

A row is *within noise* when the build's result under the report's stated settings and named
defaults is within the noise band of the published number; else *explained* when an inferred
hypothesis, chosen once for every row it concerns (report.questions: an entry's own ``ablation``,
or a question of report/hypotheses.yaml), brings it within the band; else *inconsistent in the
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

from ..pipeline import published
from ..pipeline.published import CHECK_NAMES, gradcheck_rows  # noqa: F401 (the reports' gradient tables, SPEC C)
from . import questions

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
    tried: tuple = ()             # every inferred hypothesis measured for it (questions.measure_tried)
    explained_by: str | None = None   # the chosen hypothesis that brings it within noise


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


def same_start_pair(record: dict, entry: dict, n_test: int | None) -> tuple[bool, str]:
    """The report's number and ``other_value`` (its number for ``other_variant``) come, by its stated
    procedure, from the same initial weights and data, differing only in λ. The build runs that
    procedure seed by seed: the pair's difference per seed is what λ moves. Inconsistent when the
    report's difference is beyond that: further from the build's mean difference than twice the
    largest per-seed deviation plus one hold-out image (the resolution of the published accuracy)."""
    metric, variant, other = entry["metric"], entry["variant"], entry["other_variant"]
    runs = record["runs"]
    scale = 100 if metric.endswith("acc") else 1
    diffs = [scale * (a["final"][metric] - b["final"][metric]) for a, b in zip(runs[variant], runs[other])]
    mean = sum(diffs) / len(diffs)
    one = 100 / n_test if metric.endswith("acc") and n_test else 0.0
    band = 2 * max(abs(d) for d in diffs) + one
    published_diff = float(entry["value"]) - float(entry["other_value"])
    spread = [100 * r["final"][metric] for r in runs[variant]]
    evidence = (f"from the same initial weights, λ moves it by {mean:+.2f} on average in this build (per seed "
                + ", ".join(f"{d:+.2f}" for d in diffs) + f"), while the report's {float(entry['value']):g} and "
                f"{float(entry['other_value']):g} ({other}) differ by {published_diff:+.2f}, beyond a band of {band:.2f}; "
                f"over seeds the build's own value spans {max(spread) - min(spread):.2f}")
    return abs(published_diff - mean) > band, evidence


CHECKS = {"stop_needs_rises": stop_needs_rises, "two_values": two_values, "same_start_pair": same_start_pair}
if set(CHECKS) != set(CHECK_NAMES):   # published.yaml is validated against CHECK_NAMES: the two lists are one
    raise ImportError(f"reproduction.CHECKS {sorted(CHECKS)} differ from published.CHECK_NAMES {sorted(CHECK_NAMES)}")


def _measured(entry: dict, records: dict, found: list, n_test: int | None, main: dict, inconsistent: bool,
              evidence) -> ReproductionRow:
    tried = questions.measure_tried(records, entry, published.inferred(entry, found), n_test, _measure)
    verdict = "within noise" if main["within"] else "inconsistent in the report" if inconsistent else "open"
    return ReproductionRow(entry, main["ours"], main["diff"], main["noise"], main["within"], None, verdict, evidence,
                           tuple(tried))


def _decide(rows: list[ReproductionRow]) -> list[ReproductionRow]:
    """Each question answered once across its rows (questions.choose); a row beyond noise that the
    chosen hypothesis brings within noise is explained. ``ablation``: what the table's "inferred"
    column shows: the explaining hypothesis, else a chosen one, else the first measured."""
    decided = questions.choose(rows)
    out = []
    for i, row in enumerate(rows, 1):
        by = None if row.within else questions.explained_by(row, i, decided)
        chosen = [t for t in row.tried if decided[t["question"]]["chosen"] == t["hypothesis"]]
        shown = next((t for t in row.tried if t["hypothesis"] == by), None) or (chosen or list(row.tried) or [None])[0]
        result = shown and (shown["confirmed"] or shown["measured"])
        ablation = result and {k: result[k] for k in ("ours", "diff", "within")} | {"hypothesis": shown["hypothesis"]}
        out.append(row._replace(ablation=ablation, explained_by=by, verdict="explained" if by else row.verdict))
    return out


def compare_entry(record: dict, entry: dict, n_test: int | None, records: dict | None = None,
                  found: list | None = None) -> ReproductionRow:
    """One published number beside the run's result and each inferred hypothesis measured for it
    (its ``ablation``; ``found``: the questions of report/hypotheses.yaml), judged alone; compare_all
    judges every row with each question answered once across all its rows."""
    return _decide([_row(record, entry, n_test, records or {entry["run"]: record}, found or [])])[0]


def _row(record, entry, n_test, records, found) -> ReproductionRow:
    main = _measure(record["summary"], entry["variant"], entry, n_test)
    inconsistent, evidence = CHECKS[entry["inconsistent"]](record, entry, n_test) if entry.get("inconsistent") else (False, None)
    return _measured(entry, records, found, n_test, main, inconsistent, evidence)


def compare_all(records: dict, entries: list[dict], n_test, found: list | None = None) -> list[ReproductionRow]:
    """``n_test(record, variant) -> int``: the test-set size a record's variant was scored on;
    ``found``: the questions (default: report/hypotheses.yaml)."""
    found = published.questions() if found is None else found
    rows = []
    for entry in entries:
        if entry["run"] not in records:
            raise KeyError(f"report/published.yaml cites run {entry['run']!r}, which this build does not have")
        record = records[entry["run"]]
        size = n_test(record, entry["variant"]) if entry["metric"].endswith("acc") else None
        rows.append(_row(record, entry, size, records, found))
    return _decide(rows)


def hypotheses(rows: list[ReproductionRow]) -> list[dict]:
    """Each question (an inferred setting) answered once across the rows it concerns: questions.choose's
    values, in order of first appearance."""
    return list(questions.choose(rows).values())


def counts(rows: list[ReproductionRow]) -> dict:
    return {"rows": len(rows), "within": sum(r.verdict == "within noise" for r in rows),
            "explained": sum(r.verdict == "explained" for r in rows),
            "inconsistent": sum(r.verdict == "inconsistent in the report" for r in rows),
            "open": sum(r.verdict == "open" for r in rows)}


def summary_line(rows: list[ReproductionRow]) -> str:
    c = counts(rows)
    return (f"{c['rows']} rows: {c['within']} within noise under stated settings and named defaults; "
            f"{c['explained']} explained by a measured inferred hypothesis; {c['inconsistent']} inconsistent in the report; "
            f"{c['open']} open.")
