"""LaTeX pieces of the report, built from the results files of this build.

Interface: every function returns a LaTeX string for the report notebook to display
(``IPython.display.Latex``); nbconvert passes it to ``report.tex`` unchanged.
    records = load()                                   # {run: results record} from build/results/
    figure("momentum", "curves", caption)              # a figure from figures/<run>/<name>.pdf
    summary_table(records["momentum"], metrics, caption)
    reproduction_table(records, experiment.published())   # report/published.yaml
    run_table(records)
Numbers are never typed here: they are read from the records. The published numbers
(SPEC.md) live in one YAML file; each is compared with the same variant and metric here.
"""
from __future__ import annotations

import json
import math
import os
import platform
from functools import lru_cache
from pathlib import Path

import matplotlib
import numpy as np

from . import data
from .config import Config
from . import results
from .published import METRIC_WORDS
from .results import output_root
from .runs import ROOT
from .train import load_splits

RUNS_DIR = ROOT / "notebooks" / "runs"
_GREEK = {"λ": "$\\lambda$", "η": "$\\eta$", "γ": "$\\gamma$", "±": "$\\pm$", "‖": "$\\|$", "−": "$-$",
          "ε": "$\\varepsilon$", "×": "$\\times$", "σ": "$\\sigma$", "′": "$'$", "≤": "$\\le$", "≥": "$\\ge$"}
_SPECIAL = {"\\": "\\textbackslash{}", "&": "\\&", "%": "\\%", "$": "\\$", "#": "\\#", "_": "\\_",
            "{": "\\{", "}": "\\}", "~": "\\textasciitilde{}", "^": "\\textasciicircum{}"}


def escape(text) -> str:
    """Plain text (with λ, η, γ, ±...) as LaTeX text: specials escaped, Greek as math."""
    return "".join(_GREEK.get(ch, _SPECIAL.get(ch, ch)) for ch in str(text))


METRICS = {metric: escape(words) for metric, words in METRIC_WORDS.items()}  # column heads


def load(scale: str = "full", runs_dir=RUNS_DIR) -> dict:
    """{run: record} for every parameter file in ``runs_dir``; each record is refused (StaleResultsError,
    naming the command that rebuilds it) unless it was made from the current inputs at ``scale``."""
    return results.load_all(runs_dir, scale)


def figure(run: str, name: str, caption: str, width: float = 1.0) -> str:
    """A figure environment for figures/<run>/<name>.pdf (path relative to report/)."""
    path = output_root() / "figures" / run / f"{name}.pdf"
    if not path.exists():
        raise FileNotFoundError(f"figure {path} is missing: rerun the notebook that makes it (`make notebooks`)")
    return (f"\\begin{{figure}}[H]\n\\centering\n\\includegraphics[width={width}\\linewidth]"
            f"{{../figures/{run}/{name}.pdf}}\n\\caption{{{escape(caption)}}}\n\\label{{fig:{run}-{name}}}\n"
            "\\end{figure}\n")


def tabular(header: list[str], rows: list[list[str]], caption: str, label: str, align: str | None = None,
            size: str = "\\small") -> str:
    """A booktabs table; cells are LaTeX already (use ``escape`` for text)."""
    align = align or "l" + "r" * (len(header) - 1)
    body = "\n".join(" & ".join(row) + " \\\\" for row in rows)
    return (f"\\begin{{table}}[H]\n\\centering\n{size}\n\\caption{{{escape(caption)}}}\n\\label{{tab:{label}}}\n"
            f"\\begin{{tabular}}{{{align}}}\n\\toprule\n{' & '.join(header)} \\\\\n\\midrule\n{body}\n"
            "\\bottomrule\n\\end{tabular}\n\\end{table}\n")


def _digits(metric: str) -> int:
    """Decimals shown: accuracies in percent 2, epoch counts 0, losses and norms 3."""
    return 2 if metric.endswith("acc") else 0 if metric in ("epochs_run", "best_epoch") else 3


def number(mean_std, metric: str) -> str:
    """'97.45 $\\pm$ 0.12' for accuracies (as percent), losses, epochs; std left out for one seed."""
    mean, std = mean_std
    scale, digits = (100 if metric.endswith("acc") else 1), _digits(metric)
    text = f"{scale * mean:.{digits}f}"
    return text if std == 0 else f"{text} $\\pm$ {scale * std:.{digits}f}"


def summary_table(record: dict, metrics, caption: str, variants=None, label: str | None = None) -> str:
    """One row per variant of a run: mean ± std over seeds of each metric (``label``: tab:<run> by default)."""
    summary = record["summary"]
    rows = [[escape(name)] + [number(summary[name][m], m) if m in summary[name] else "--" for m in metrics]
            for name in (variants or summary)]
    return tabular(["variant"] + [METRICS[m] for m in metrics], rows, caption, label or record["run"].split("/")[-1])


@lru_cache(maxsize=None)
def _n_test(config_json: str) -> int:
    return len(load_splits(Config.from_dict(json.loads(config_json)).replace(progress=False)).y_test)


def compare(records: dict, entry: dict) -> dict:
    """One published number beside ours: {ours: (mean, std), diff, noise, gap}.

    Accuracies are compared in percentage points; the noise band is twice the combined
    standard error of a single published run on our test set size (binomial, sqrt(p(1-p)/n))
    and of our spread over seeds. Other metrics: twice our std plus 10% of the published value.
    """
    record = records[entry["run"]]
    mean, std = record["summary"][entry["variant"]][entry["metric"]]
    value = float(entry["value"])
    if entry["metric"].endswith("acc"):
        config = record["runs"][entry["variant"]][0]["config"]
        n = _n_test(json.dumps(config, sort_keys=True))
        p = value / 100
        mean, std = 100 * mean, 100 * std
        noise = 2 * math.hypot(100 * math.sqrt(p * (1 - p) / n), std)
    else:
        noise = 2 * std + 0.1 * abs(value)
    diff = mean - value
    return {"ours": (mean, std), "diff": diff, "noise": noise, "gap": abs(diff) > noise}


def reproduction_table(records: dict, entries: list[dict]) -> tuple[str, list[tuple[int, dict]]]:
    """The SPEC numbers beside ours; returns (table, [(row number, entry) for each gap beyond noise])."""
    rows, gaps = [], []
    for i, entry in enumerate(entries, 1):
        c = compare(records, entry)
        mean, std = c["ours"]
        digits = _digits(entry["metric"])
        flag = "gap" if c["gap"] else "noise"
        if c["gap"]:
            gaps.append((i, entry))
        rows.append([str(i), escape(entry["spec"]), escape(entry["label"]), METRICS[entry["metric"]],
                     f"{float(entry['value']):.{digits}f}", f"{mean:.{digits}f}" + (f" $\\pm$ {std:.{digits}f}" if std else ""),
                     f"{c['diff']:+.{digits}f}", f"{c['noise']:.{digits}f}", flag])
    header = ["\\#", "SPEC", "setting", "metric", "published", "workbook", "diff", "noise", ""]
    table = tabular(header, rows, "Published numbers (SPEC.md) beside this build's, same settings; mean ± std over seeds",
                    "reproduction", align="rlp{4.8cm}lrrrrl", size="\\footnotesize")
    return table, gaps


def run_table(records: dict) -> str:
    """Each run: configuration digests, seeds, epochs run (range), wall time."""
    rows = []
    for run, record in records.items():
        results = [r for rs in record["runs"].values() for r in rs]
        digests = sorted({r["digest"] for r in results})
        seeds = record["parameters"].get("seeds", [])
        epochs = [r["final"]["epochs_run"] for r in results]
        rows.append([escape(run), f"\\texttt{{{digests[0]}}}" + (f" +{len(digests) - 1}" if len(digests) > 1 else "")
                     if digests else "--", escape(",".join(map(str, seeds))) or "--",
                     f"{min(epochs)}--{max(epochs)}" if epochs else "--", f"{record['wall_time']:.1f}"])
    return tabular(["run", "config digest", "seeds", "epochs", "wall time (s)"], rows,
                   "Runs of this build: first configuration digest (+ how many more variants), seeds, "
                   "epochs run, wall time", "runs")


def escape_markdown(text: str) -> str:
    """Markdown for pandoc with Greek letters and ± as raw LaTeX math (the text font has no Greek).
    ``\\ensuremath{..}``, not ``$..$``: pandoc ignores a closing $ followed by a digit ("$\\eta$0")."""
    return "".join(f"\\ensuremath{{{_GREEK[ch].strip('$')}}}" if ch in _GREEK else ch for ch in text)


def gradcheck_table(record: dict) -> str:
    """The six-entry gradient check (SPEC C) with the O(ε²) bound in the caption."""
    eps = record["parameters"]["eps_table"]
    rows = [[escape(r["parameter"]), escape(str(tuple(r["index"]))), f"{r['numerical']:.8g}", f"{r['backprop']:.8g}",
             f"{r['abs_diff']:.2e}"] for r in record["extra"]["table"]]
    worst = max(r["abs_diff"] for r in record["extra"]["table"])
    return tabular(["parameter", "index", "numerical", "backprop", "abs.\\ diff"], rows,
                   f"Central differences at ε = {eps:g} against backprop: largest difference {worst:.1e}, "
                   f"bound ε² = {eps ** 2:.0e}", record["run"].split("/")[-1], align="llrrr")


def data_facts(dataset: str = "mnist") -> dict:
    """The first training image and the training set after /255 (SPEC "Data" lists the values)."""
    x, y = data.load(dataset, "train", flatten=True)
    first = x[0] / 255.0
    scaled = x / 255.0
    return {"label": int(y[0]), "pixel_sum": int(x[0].sum(dtype=np.int64)), "mean": float(first.mean()),
            "std": float(first.std()), "set_mean": float(scaled.mean()), "set_std": float(scaled.std())}


def environment() -> str:
    """A markdown line naming the interpreter and the numerical packages of this build."""
    return (f"Built with Python {platform.python_version()}, numpy {np.__version__} and matplotlib "
            f"{matplotlib.__version__} on {platform.machine()}, {os.cpu_count()} CPU cores.")
