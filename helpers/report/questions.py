"""Inferred hypotheses, each tested across every row it concerns and chosen once per question.

Interface:
    tried = measure_tried(records, entry, items, n_test, measure)  # each hypothesis measured for one row
    decided = choose(rows)        # per question: each candidate's total distance, the stated one's, the chosen
    explained_by(row, decided)    # the chosen hypothesis that brings the row within noise, or None

A *question* is an unstated setting (pipeline.published.questions; an entry's own ``ablation`` is a
question of one candidate). Each candidate is measured on every row the question concerns (its
``variant``: one seed per candidate when it is a grid, in another run); its *total distance* is the
sum over those rows of |ours − published| / noise band. The question's answer is the candidate
with the smallest total, and only if that total is below the stated settings' own total over the
same rows: one setting for all the rows, never one per row. A row beyond noise under its stated
settings is *explained* when the chosen candidate brings it within noise, measured on its
``confirm`` variant (the candidate repeated on every seed) when the candidate names one; a grid
candidate whose confirmation is not in the build explains nothing.
"""
from __future__ import annotations

import math


def measure_tried(records: dict, entry: dict, items: list[dict], n_test, measure) -> list[dict]:
    """``measure(summary, variant, entry, n_test) -> {"ours", "diff", "noise", "within"}``. Each item of
    pipeline.published.inferred, with ``measured`` (its variant, or None when the build has no such
    run or variant) and ``confirmed`` (its confirm variant on every seed, or None)."""
    out = []
    for item in items:
        record, own = records.get(item["run"]), records.get(entry["run"])
        variant, confirm = _present(record, item["variant"]), _present(own, item["confirm"])
        got = _try(measure, record, variant, entry, n_test)
        confirmed = _try(measure, own, confirm, entry, n_test) if confirm else None
        out.append({**item, "variant": variant, "confirm": confirm or item["confirm"], "measured": got, "confirmed": confirmed,
                    "distance": abs(got["diff"]) / got["noise"] if got else math.inf})
    return out


def _present(record, names):
    """The first of ``names`` (a name or a list) that ``record`` holds, else the first (None: none)."""
    names = [names] if isinstance(names, str) or names is None else list(names)
    held = [n for n in names if record and n in record["summary"]]
    return (held or names)[0]


def _try(measure, record, variant, entry, n_test):
    if record is None or variant not in record["summary"] or entry["metric"] not in record["summary"][variant]:
        return None
    return measure(record["summary"], variant, entry, n_test)


def _distance(row) -> float:
    return abs(row.diff) / row.noise if row.noise else (0.0 if row.diff == 0 else math.inf)


def choose(rows) -> dict:
    """{question: {"question", "rows": [row numbers, 1-based], "stated": total distance under the
    stated settings, "totals": {hypothesis: total (inf when a row was not measured)}, "chosen":
    hypothesis or None, "within": {hypothesis: [rows it brings within noise]}}}, in order of first
    appearance."""
    out = {}
    for i, row in enumerate(rows, 1):
        for t in row.tried:
            q = out.setdefault(t["question"], {"question": t["question"], "rows": [], "stated": 0.0, "totals": {},
                                               "within": {}})
            if i not in q["rows"]:
                q["rows"].append(i)
                q["stated"] += _distance(row)
            q["totals"][t["hypothesis"]] = q["totals"].get(t["hypothesis"], 0.0) + t["distance"]
            result = t["confirmed"] or (None if t["confirm"] else t["measured"])
            hits = q["within"].setdefault(t["hypothesis"], [])
            if result and result["within"]:
                hits.append(i)
    for q in out.values():
        # a candidate must be measured on every row of its question (else its total is inf)
        counted = {h: total for h, total in q["totals"].items()
                   if sum(h == t["hypothesis"] for i in q["rows"] for t in rows[i - 1].tried
                          if t["question"] == q["question"]) == len(q["rows"])}
        q["totals"] = {h: counted.get(h, math.inf) for h in q["totals"]}
        best = min(q["totals"], key=q["totals"].get)
        q["chosen"] = best if q["totals"][best] < q["stated"] else None
    return out


def explained_by(row, number: int, decided: dict) -> str | None:
    """The hypothesis, chosen by its question, that brings row ``number`` within noise (None: none)."""
    for t in row.tried:
        q = decided[t["question"]]
        if q["chosen"] == t["hypothesis"] and number in q["within"][t["hypothesis"]]:
            return t["hypothesis"]
    return None
