"""Text tables and sentences for the notebooks: mean ± std over seeds, beside the published numbers.

Interface: ``fmt([mean, std, seeds])``, ``cell(metric, [mean, std, seeds])``, ``table(summary, metrics)``,
``published_bullets(summary, run, entries)``, ``gradcheck_beside(ours, checked, eps)``. A summary is ``{variant: {metric: [mean, std, seeds]}}``
(fits.summarise; records written before the count have [mean, std]). One seed prints its mean alone:
"± 0.00" means several seeds that agree, never a single one.
"""
from __future__ import annotations

from .published import METRIC_WORDS


def fmt(mean_std, percent: bool = True, digits: int = 2) -> str:
    """'97.45 ± 0.12' from [mean, std, seeds] (accuracies as percent); '97.45' for one seed."""
    mean, std, *seeds = mean_std
    k = 100 if percent else 1
    if seeds == [1]:
        return f"{k * mean:.{digits}f}"
    return f"{k * mean:.{digits}f} ± {k * std:.{digits}f}"


# decimals per kind of number: accuracies as percent with 2, losses 4, epochs as whole numbers
DIGITS = {"epochs_run": 0, "best_epoch": 0, "weight_norm": 3}


def cell(metric: str, mean_std) -> str:
    """One metric's mean ± std with the precision of its kind."""
    return fmt(mean_std, percent=metric.endswith("acc"), digits=2 if metric.endswith("acc") else DIGITS.get(metric, 4))


def table(summary: dict, metrics=("holdout_acc", "test_acc", "test_loss", "epochs_run")) -> str:
    """The summary as a fixed-width text table: one row per variant, mean ± std per metric."""
    if not summary:
        return "(no runs)"
    width = max(len(name) for name in summary) + 2
    lines = [f"{'variant':<{width}}" + "".join(f"{m:>20}" for m in metrics)]
    for name, values in summary.items():
        cells = [cell(m, values[m]) if m in values else "-" for m in metrics]
        lines.append(f"{name:<{width}}" + "".join(f"{c:>20}" for c in cells))
    return "\n".join(lines)


def published_bullets(summary: dict, run: str, entries: list[dict]) -> str:
    """Markdown bullets, one per variant: test accuracy, loss and epochs (mean ± std over
    seeds), followed by what the course reports published for the same run and variant, each with
    the row of the report's reproduction table that judges it (an entry's ``row``: its place in
    report/published.yaml, the table's numbering), and one line saying where that table is."""
    quoted = {}
    for entry in entries:
        if entry["run"] == run:
            row = f" (report row #{entry['row']})" if "row" in entry else ""
            quoted.setdefault(entry["variant"], []).append(
                f"{entry.get('report', '')} {METRIC_WORDS[entry['metric']]} {entry['value']:g}{row}".strip())
    lines = []
    for name, s in summary.items():
        line = (f"- **{name}**: {fmt(s['test_acc'])}% test, loss {fmt(s['test_loss'], percent=False, digits=3)}, "
                f"{s['epochs_run'][0]:.0f} epochs on average")
        lines.append(line + (f"; published: {', '.join(quoted[name])}" if name in quoted else ""))
    if any("(report row #" in q for qs in quoted.values() for q in qs):
        lines.append("\nA gap between a result and a published number is judged in the report: its reproduction "
                     "table (report/report.html#reproduction) gives each row's verdict (within noise, inconsistent "
                     "in the report, open) and, below it, the note on each gap.")
    return "\n".join(lines)


def pointer_sentence(rows: list[int]) -> str:
    """One sentence naming the rows of the report's reproduction table that judge a notebook's gaps
    to published numbers ("" when there are none)."""
    if not rows:
        return ""
    return (f" The report judges these gaps: its reproduction table (report/report.html#reproduction), "
            f"row{'s' if len(rows) > 1 else ''} {', '.join(f'#{r}' for r in rows)}, gives each one's verdict.")


def gradcheck_beside(ours, checked: list[dict], eps: float) -> str:
    """The reports' gradient-check tables (published.gradcheck_rows), each difference against their
    bound ε², and the largest difference of each beside ``ours`` (gradcheck rows of this notebook)."""
    lines = [f"The reports' tables (report/gradcheck_published.yaml), |numerical − backprop| against ε² = {eps ** 2:.0e}:"]
    for report in dict.fromkeys(r["report"] for r in checked):
        lines.append(report)
        for r in (r for r in checked if r["report"] == report):
            verdict = ("passes" if r["passes"] else "breaks the bound") + ("" if r["same_sign"] else ", signs differ")
            lines.append(f"  {r['entry']:<48} {r['numerical']:>12.6g} {r['backprop']:>12.6g} {r['diff']:>9.2e}  {verdict}")
    largest = [f"this notebook {max(r.abs_diff for r in ours):.1e}"]
    for report in dict.fromkeys(r["report"] for r in checked):
        rows = [r for r in checked if r["report"] == report]
        broken = sum(not r["passes"] for r in rows)
        largest.append(f"{report} {max(r['diff'] for r in rows):.1e}"
                       + (f" ({broken} of {len(rows)} break the bound)" if broken else ""))
    lines.append("Largest |difference|: " + "; ".join(largest) + ".")
    lines.append("The report's verdict on these tables: its section Gradient check, table gradcheck-published "
                 "(report/report.html#tab:gradcheck-published).")
    return "\n".join(lines)
