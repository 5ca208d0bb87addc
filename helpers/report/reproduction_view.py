"""The reproduction as the report shows it: the rows report.reproduction judged, drawn, tabulated and told.

Interface:
    reproduction_rows(rows)           # what figures.reproduction_chart draws: one dict per published number
    reproduction_figure(rows)         # Piece: the chart, saved as figures/report/reproduction.pdf|png
    table, gaps = reproduction_table(rows)   # Piece: published beside ours, by report; the numbers beyond noise
    gap_notes(rows)                   # markdown: each number beyond noise, every hypothesis measured for it
    hypotheses_text(rows)             # markdown: each question, its candidates' totals over its rows, the chosen
    gradcheck_verdict(checked, eps)   # one sentence per report on its published gradient check
    VERDICT_WORDS

``rows``: reproduction.compare_all's Rows. One judgement, drawn and tabulated as it was made.
"""
from __future__ import annotations

import matplotlib.pyplot as plt

from .. import figures
from ..pipeline.settings import output_root
from .embed import figure
from .pieces import Piece, escape, tabular
from .reproduction import hypotheses, summary_line
from .tables import METRICS, decimals

VERDICT_WORDS = {"noise": "within noise", "explained": "explained", "inconsistent": "inconsistent", "open": "open"}
VERDICT_KEYS = {"within noise": "noise", "explained": "explained", "inconsistent in the report": "inconsistent",
                 "open": "open"}


def _measured(rows) -> list[dict]:
    """Rows judged by report.reproduction (its ``Row``s), as the figure and the table read them."""
    measured = []
    for row in rows:
        kind = VERDICT_KEYS[row.verdict]
        measured.append({"entry": row.entry, "ours": tuple(row.ours), "diff": row.diff, "noise": row.noise,
                         "gap": kind != "noise", "verdict": kind,
                         "ablation": {"ours": tuple(row.ablation["ours"])} if row.ablation else None})
    return measured


def _group(entry: dict) -> str:
    return entry.get("report") or f"SPEC {entry['spec']}"


def _plus_minus(mean: float, std: float, digits: int) -> str:
    return f"{mean:.{digits}f}" + (f" ± {std:.{digits}f}" if std else "")


def reproduction_rows(rows) -> list[dict]:
    """What figures.reproduction_chart draws: one dict per published number (entries' order,
    numbered), from the rows report.reproduction judged."""
    drawn = []
    for i, m in enumerate(_measured(rows), 1):
        entry = m["entry"]
        drawn.append({"group": _group(entry), "label": f"{i}. {entry['label']} · {METRICS[entry['metric']]}",
                      "published": float(entry["value"]), "mean": m["ours"][0], "std": m["ours"][1],
                      "noise": m["noise"], "digits": decimals(entry["metric"]),
                      "provenance": entry.get("provenance", "stated"), "verdict": m["verdict"],
                      "ablation": {"mean": m["ablation"]["ours"][0], "std": m["ablation"]["ours"][1]}
                      if m["ablation"] else None})
    return drawn


def reproduction_figure(rows, name: str = "reproduction") -> Piece:
    """The reproduction at a glance (figures.reproduction_chart) of the rows report.reproduction
    judged, saved as figures/report/<name>.pdf|png."""
    ax = figures.reproduction_chart(reproduction_rows(rows))
    figures.save(ax.figure, output_root() / "figures" / "report" / name)
    plt.close(ax.figure)
    return figure("report", name, f"The reproduction at a glance: {summary_line(rows)} Each row: the "
                  "workbook's mean ± std over seeds, placed by its distance from the published number in noise bands "
                  "(grey: within noise); colour: the verdict; marker: how the setting was fixed; hollow diamond: the "
                  "inferred hypothesis chosen for the row's question (else the one measured). The numbers are in the table below.")


def reproduction_table(rows) -> tuple[Piece, list[tuple[int, dict]]]:
    """The published numbers beside ours, grouped by report (numbered in the entries' order);
    returns (table, [(row number, entry) for each number beyond noise under its stated settings],
    in number order). ``rows``: as reproduction_figure."""
    measured = _measured(rows)
    rows, gaps, group = [], [], None
    any_ablation = any(m["ablation"] for m in measured)
    order = {g: k for k, g in enumerate(dict.fromkeys(_group(m["entry"]) for m in measured))}
    numbered = sorted(enumerate(measured, 1), key=lambda im: order[_group(im[1]["entry"])])   # by report, as the figure
    for i, m in numbered:
        entry = m["entry"]
        if _group(entry) != group:
            group = _group(entry)
            rows.append(group)
        digits = decimals(entry["metric"])
        if m["gap"]:
            gaps.append((i, entry))
        row = [str(i), entry["label"], METRICS[entry["metric"]], entry.get("provenance", "stated"),
               f"{float(entry['value']):.{digits}f}", _plus_minus(*m["ours"], digits),
               f"{m['diff']:+.{digits}f}", f"{m['noise']:.{digits}f}",
               Piece(escape(VERDICT_WORDS[m["verdict"]]), f'<span class="verdict {m["verdict"]}">{VERDICT_WORDS[m["verdict"]]}</span>')]
        if any_ablation:
            row.append(_plus_minus(*m["ablation"]["ours"], digits) if m["ablation"] else "")
        rows.append(row)
    header = ["#", "setting", "metric", "basis", "published", "workbook", "diff", "noise", "verdict"] + \
             (["inferred"] if any_ablation else [])
    table = tabular(header, rows, "Published numbers (SPEC.md) beside this build's, grouped by report; basis: how "
                    "the setting was fixed (stated by the report, or a named default where it is silent); workbook: "
                    "mean ± std over seeds under those settings; inconsistent: in the report itself, as the gap notes "
                    "measure" + ("; inferred: the inferred hypothesis chosen once across the rows it concerns (else the first measured), "
                                 "the gap notes list every one measured"
                                                                    if any_ablation else ""),
                    "reproduction", align="rp{12cm}llrrrrl" + ("r" if any_ablation else ""), size="\\footnotesize",
                    tabcolsep="3pt", landscape=True)   # sideways: a row is one line (it took 3 or 4 at 2.8 cm)
    return table, sorted(gaps, key=lambda gap: gap[0])


def gradcheck_verdict(checked: list[dict], eps: float) -> str:
    """One sentence per report: which of its published entries pass its own bound."""
    sentences = []
    for report_name in dict.fromkeys(r["report"] for r in checked):
        mine = [r for r in checked if r["report"] == report_name]
        broken = [r["entry"] for r in mine if not r["passes"]]
        signs = sum(not r["same_sign"] for r in mine)
        wrong = [r for r in mine if "printed" in r and not r["printed_matches"]]
        s = (f"{report_name}: {len(mine) - len(broken)} of {len(mine)} entries pass the bound ε² = {eps ** 2:.0e}"
             + (f"; {', '.join(broken)} break it" if broken else "") + (f", {signs} with opposite signs" if signs else ""))
        for r in wrong:
            s += (f"; the printed difference for {r['entry']} ({r['printed']:.2e}) contradicts its own values, "
                  f"which differ by {r['diff']:.2e}")
        sentences.append(s + ".")
    return " ".join(sentences) + " This build's differences are in the table above it."


def _tried_text(row, digits: int, unit: str) -> str:
    """Each inferred hypothesis measured for the row: its result and whether it is within noise."""
    parts, missing = [], []
    for tr in row.tried:
        got = tr["confirmed"] or tr["measured"]
        seeds = " (one seed)" if tr["confirmed"] is None and tr["confirm"] else ""
        if got:
            parts.append(f"*{tr['hypothesis']}* {got['ours'][0]:.{digits}f}{unit}{seeds}" + (" (within noise)" if got["within"] else ""))
        else:
            missing.append(tr["hypothesis"])
    return "; ".join(parts + ([f"not in this build: {', '.join(missing)}"] if missing else []))


def gap_notes(rows) -> str:
    """Markdown, one bullet per published number beyond noise under its stated settings: the
    hypothesis that explains it, or every hypothesis measured for it and "open gap: not explained"."""
    bullets = []
    for i, row in enumerate(rows, 1):
        if row.verdict == "within noise":
            continue
        e, digits = row.entry, decimals(row.entry["metric"])
        unit = "%" if e["metric"].endswith("acc") else ""
        text = (f"- **{i}. {e['report']}, {e['label']}** ({METRICS[e['metric']]}): published {float(e['value']):.{digits}f}{unit}, "
                f"ours {row.ours[0]:.{digits}f}{unit} under the {'stated settings' if e['provenance'] == 'stated' else 'stated settings and named defaults'}")
        if row.explained_by:
            text += (f"; **explained by the inferred hypothesis *{row.explained_by}***, chosen once for every row it "
                     f"concerns, which gives {row.ablation['ours'][0]:.{digits}f}{unit} (inferred, not stated)")
        if row.tried:
            text += f"; hypotheses measured: {_tried_text(row, digits, unit)}"
        if row.verdict == "open":
            text += "; **open gap: not explained**" + ("" if row.tried else " (no hypothesis run)")
        if row.evidence:
            text += (f"; **inconsistent in the report**: {row.evidence}" if row.verdict == "inconsistent in the report"
                     else f"; its report checked against the build: {row.evidence}")
        text += "."
        if e.get("note"):
            text += f" {e['note']}"
        bullets.append(text)
    text = "The numbers beyond noise under the stated settings:\n\n" + "\n".join(bullets) if bullets else \
        "Every published number is reproduced within noise under the stated settings and named defaults."
    tested = hypotheses_text(rows)
    return text + ("\n\n" + tested if tested else "")


def _chosen_text(rows, q) -> str:
    """The chosen candidate of question ``q`` and the rows it brings within noise (or why it brings none)."""
    if not q["chosen"]:
        return "no candidate beats the stated settings: none is chosen"
    hits = q["within"][q["chosen"]]
    if hits:
        gaps = [i for i in hits if not rows[i - 1].within]
        return (f"chosen: *{q['chosen']}*, which brings row{'s' if len(hits) > 1 else ''} {', '.join(map(str, hits))} "
                f"within noise (of those beyond noise under the stated settings: {', '.join(map(str, gaps)) or 'none'})")
    tried = [t for i in q["rows"] for t in rows[i - 1].tried if t["hypothesis"] == q["chosen"]]
    unconfirmed = any(t["confirm"] for t in tried) and not any(t["confirmed"] for t in tried)
    return (f"chosen: *{q['chosen']}*, which brings no row within noise"
            + (" (its three-seed confirmation is not in this build)" if unconfirmed else ""))


def hypotheses_text(rows) -> str:
    """Markdown, one bullet per question (reproduction.hypotheses): the rows it concerns, each
    candidate's total distance over them beside the stated settings', the one chosen and the rows
    it brings within noise."""
    bullets = []
    for q in hypotheses(rows):
        numbers = ", ".join(map(str, q["rows"]))
        measured = [f"*{h}* {v:.1f}" for h, v in q["totals"].items() if v != float("inf")]
        missing = [h for h, v in q["totals"].items() if v == float("inf")]
        totals = "; ".join(measured + ([f"not measured on every row in this build: {', '.join(missing)}"] if missing else []))
        bullets.append(f"- **{q['question']}** (rows {numbers}): total distance in noise bands, stated settings "
                       f"{q['stated']:.1f}; {totals}; {_chosen_text(rows, q)}.")
    return ("Each inferred setting is tested across every row it concerns and chosen once, by its total distance "
            "over those rows (the sum of |ours − published| / noise band), never per row:\n\n" + "\n".join(bullets)
            if bullets else "")
