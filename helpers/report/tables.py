"""The report's numbers and tables, read from the records (no number is typed here).

Interface:
    number(mean_std, metric)                         # "97.45 ± 0.12": accuracies in percent, std left out for one seed
    decimals(metric)                                 # decimals shown for a metric
    summary_table(record, metrics, caption, variants=None, label=None)   # a run's variants, with their flags
    coinciding(rows, columns)                        # groups of variants whose rows show the same numbers
    run_table(records)                               # each run: digests, seeds, epochs, flagged variants
    gradcheck_table(record)                          # this build's gradient check (SPEC C)
    published_gradcheck_table(checked, eps)          # the reports' own gradient checks, recomputed
    METRICS                                          # column heads, plain text
Each returns a Piece (pieces.tabular): LaTeX with an HTML twin.
"""
from __future__ import annotations

from ..pipeline.published import METRIC_WORDS
from .flagged import flag_note, flags, short_flag
from .pieces import Piece, code, tabular

METRICS = dict(METRIC_WORDS)   # column heads, plain text (escaped for each export)


def decimals(metric: str) -> int:
    """Decimals shown: accuracies in percent 2, epoch counts 0, facts about the data 6, losses and norms 3."""
    return 2 if metric.endswith("acc") else 0 if metric in ("epochs_run", "best_epoch") else \
        6 if metric.startswith("first_") else 3


def number(mean_std, metric: str) -> str:
    """'97.45 ± 0.12' for accuracies (as percent), losses, epochs; std left out for one seed."""
    mean, std = mean_std[:2]
    scale, digits = (100 if metric.endswith("acc") else 1), decimals(metric)
    text_ = f"{scale * mean:.{digits}f}"
    return text_ if std == 0 else f"{text_} ± {scale * std:.{digits}f}"


def summary_table(record: dict, metrics, caption: str, variants=None, label: str | None = None) -> Piece:
    """One row per variant of a run: mean ± std over seeds of each metric (``label``: tab:<run
    name> by default); a variant whose history is flagged says so in a last column and the caption."""
    summary = record["summary"]
    variants = list(variants or summary)
    flagged = flags(record, variants)
    rows = [[name] + [number(summary[name][m], m) if m in summary[name] else "–" for m in metrics]
            + ([short_flag(flagged[name]) if name in flagged else ""] if flagged else []) for name in variants]
    header = ["variant"] + [METRICS[m] for m in metrics] + (["flag"] if flagged else [])
    if flagged:
        caption += f". Flagged from the histories: {flag_note(flagged)}"
    same = coinciding(rows, len(metrics))
    if same:
        caption += (". Identical rows: " + "; ".join(" and ".join(group) for group in same)
                    + " show the same numbers to the digits given (different settings, the same measured result)")
    # the variant column wraps when the table would not fit the line (16.6 cm; \\small: ~0.17 cm a character)
    width = lambda column: 0.17 * max(len(str(cell)) for cell in column) + 0.45   # noqa: E731
    others = sum(width([h] + [row[k] for row in rows]) for k, h in enumerate(header) if k)
    first = "l" if width(["variant"] + variants) + others <= 16.2 else f"p{{{max(3.5, 16.2 - others - 0.45):.1f}cm}}"
    return tabular(header, rows, caption, label or record["run"].split("/")[-1],
                   align=first + "r" * len(metrics) + ("l" if flagged else ""),
                   flagged={i for i, name in enumerate(variants) if name in flagged})


def coinciding(rows: list, columns: int) -> list[list[str]]:
    """The groups of rows (by their first cell, the variant) whose next ``columns`` cells are all
    the same: a reader sees identical rows and is told so rather than left to wonder."""
    groups: dict = {}
    for row in rows:
        groups.setdefault(tuple(row[1:1 + columns]), []).append(str(row[0]))
    return [names for names in groups.values() if len(names) > 1]


def run_table(records: dict) -> Piece:
    """Each run: configuration digests, seeds, epochs run (range), flagged variants. No wall
    times: a rebuild from the same inputs gives the same document, byte for byte."""
    rows = []
    for run, record in records.items():
        results = [r for rs in record["runs"].values() for r in rs]
        digests = sorted({r["digest"] for r in results})
        seeds = record["parameters"].get("seeds", [])
        epochs = [r["final"]["epochs_run"] for r in results]
        digest = "–"
        if digests:
            first, more = code(digests[0]), f" +{len(digests) - 1}" if len(digests) > 1 else ""
            digest = Piece(str.__str__(first) + more, first.html + more, "digest")
        rows.append([run.removeprefix("runs/"), digest, ",".join(map(str, seeds)) or "–",
                     f"{min(epochs)}–{max(epochs)}" if epochs else "–", str(len(flags(record))) if results else "–"])
    return tabular(["run", "config digest", "seeds", "epochs", "flagged"], rows,
                   "Runs of this build: first configuration digest (+ how many more variants), seeds, "
                   "epochs run, variants whose history a check flagged", "runs")


def gradcheck_table(record: dict) -> Piece:
    """The six-entry gradient check (SPEC C) with the O(ε²) bound in the caption."""
    eps = record["parameters"]["eps_table"]
    rows = [[r["parameter"], str(tuple(r["index"])), f"{r['numerical']:.8g}", f"{r['backprop']:.8g}",
             f"{r['abs_diff']:.2e}"] for r in record["extra"]["table"]]
    worst = max(r["abs_diff"] for r in record["extra"]["table"])
    return tabular(["parameter", "index", "numerical", "backprop", "abs. diff"], rows,
                   f"Central differences at ε = {eps:g} against backprop: largest difference {worst:.1e}, "
                   f"bound ε² = {eps ** 2:.0e}", record["run"].split("/")[-1], align="llrrr")


def published_gradcheck_table(checked: list[dict], eps: float) -> Piece:
    """The reports' own gradient-check tables (reproduction.gradcheck_rows) with each entry's
    |numerical − backprop| recomputed and judged against their bound ε²."""
    rows, group = [], None
    for r in checked:
        if r["report"] != group:
            group = r["report"]
            rows.append(group)
        printed = f"{r['printed']:.2e} (does not match)" if "printed" in r and not r["printed_matches"] else \
            f"{r['printed']:.2e}" if "printed" in r else ""
        rows.append([r["entry"], f"{r['numerical']:.6g}", f"{r['backprop']:.6g}", f"{r['diff']:.2e}", printed,
                     ("passes" if r["passes"] else "breaks the bound") + ("" if r["same_sign"] else ", signs differ")])
    return tabular(["entry", "numerical", "backprop", "|difference|", "printed", f"bound ε² = {eps ** 2:.0e}"], rows,
                   f"The gradient-check tables the reports published (ε = {eps:g}), each difference recomputed from "
                   "their values and judged by their own O(ε²) bound", "gradcheck-published", align="p{3.3cm}rrrp{2.2cm}p{2.5cm}",
                   size="\\footnotesize", tabcolsep="4pt")
