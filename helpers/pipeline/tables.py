"""Text tables and sentences for the notebooks: mean ± std over seeds, beside the published numbers.

Interface: ``fmt([mean, std, seeds])``, ``cell(metric, [mean, std, seeds])``, ``table(summary, metrics)``,
``published_bullets(summary, run, entries)``. A summary is ``{variant: {metric: [mean, std, seeds]}}``
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
    seeds), followed by what the course reports published for the same run and variant."""
    quoted = {}
    for entry in entries:
        if entry["run"] == run:
            quoted.setdefault(entry["variant"], []).append(
                f"{entry.get('report', '')} {METRIC_WORDS[entry['metric']]} {entry['value']:g}".strip())
    lines = []
    for name, s in summary.items():
        line = (f"- **{name}**: {fmt(s['test_acc'])}% test, loss {fmt(s['test_loss'], percent=False, digits=3)}, "
                f"{s['epochs_run'][0]:.0f} epochs on average")
        lines.append(line + (f"; published: {', '.join(quoted[name])}" if name in quoted else ""))
    return "\n".join(lines)
