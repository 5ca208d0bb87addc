"""The report's pieces, built from the records of this build, each in two forms.

Interface: every function returns a piece the report notebook shows with ``display(piece)``:
a ``Piece`` is LaTeX (it is that str) with an HTML twin; a ``Text`` is markdown (which
nbconvert's pandoc turns into LaTeX, Greek as ``\\ensuremath``) with an HTML twin whose math is
MathML. nbconvert's LaTeX exporter takes text/latex (else text/markdown), its HTML exporter
text/html: one executed notebook, two exports. Nothing in the HTML needs the network: figures
are embedded PNGs (figures/<run>/<name>.png beside each .pdf), math is pre-rendered MathML.
    records = load(scale)                                  # {run: record}
    figure(run, "curves", caption, record=records[run])    # flags measured from the histories join the caption
    summary_table(record, metrics, caption)                # ... and a "flag" column
    rows = reproduction.compare_all(records, entries, n_test)   # the judgement: helpers.reproduction
    reproduction_figure(rows)                              # the reproduction at a glance (plots.reproduction)
    table, gaps = reproduction_table(rows)                 # report/published.yaml beside this build, by report
    run_table(records); gradcheck_table(record); text(markdown); abstract(markdown)
Numbers are never typed here: they are read from the records. The published numbers
(SPEC.md) live in one YAML file; each is compared with the same variant and metric here.
"""
from __future__ import annotations

import base64
import html
import json
import os
import platform
import re
from functools import lru_cache
from pathlib import Path

import matplotlib
import numpy as np

from . import data, plots
from .config import Config
from . import results
from .published import METRIC_WORDS
from .results import output_root
from .runs import ROOT
from .train import load_splits


RUNS_DIR = ROOT / "notebooks" / "runs"
_GREEK = {"λ": "$\\lambda$", "η": "$\\eta$", "γ": "$\\gamma$", "±": "$\\pm$", "‖": "$\\|$", "−": "$-$",
          "ε": "$\\varepsilon$", "×": "$\\times$", "σ": "$\\sigma$", "′": "$'$", "≤": "$\\le$", "≥": "$\\ge$",
          "…": "\\ldots{}", "→": "$\\to$", "μ": "$\\mu$", "²": "$^2$", "–": "--"}
_SPECIAL = {"\\": "\\textbackslash{}", "&": "\\&", "%": "\\%", "$": "\\$", "#": "\\#", "_": "\\_",
            "{": "\\{", "}": "\\}", "~": "\\textasciitilde{}", "^": "\\textasciicircum{}"}
_MARKDOWN = "markdown+lists_without_preceding_blankline"   # what nbconvert hands pandoc


def escape(text) -> str:
    """Plain text (with λ, η, γ, ±...) as LaTeX text: specials escaped, Greek as math."""
    return "".join(_GREEK.get(ch, _SPECIAL.get(ch, ch)) for ch in str(text))


def escape_markdown(text: str) -> str:
    """Markdown for pandoc with Greek letters and ± as raw LaTeX math (the text font has no Greek).
    ``\\ensuremath{..}``, not ``$..$``: pandoc ignores a closing $ followed by a digit ("$\\eta$0")."""
    return "".join(f"\\ensuremath{{{_GREEK[ch].strip('$')}}}" if ch in _GREEK and _GREEK[ch].startswith("$")
                   else ch for ch in text)


METRICS = dict(METRIC_WORDS)   # column heads, plain text (escaped for each export)


def load(scale: str = "full", runs_dir=RUNS_DIR) -> dict:
    """{run: record} for every parameter file in ``runs_dir``; each record is refused (StaleResultsError,
    naming the command that rebuilds it) unless it was made from the current inputs at ``scale``."""
    return results.load_all(runs_dir, scale)


# --- pieces: one object, a LaTeX and an HTML form; each exporter takes its own ---

class Piece(str):
    """LaTeX (the str itself: ``Latex(piece)``, ``"..." in piece`` keep working) with an HTML twin."""

    def __new__(cls, latex: str, html_text: str, name: str = "piece"):
        piece = super().__new__(cls, latex)
        piece.html, piece.name = html_text, name
        return piece

    def _repr_latex_(self) -> str:
        return str.__str__(self)

    def _repr_html_(self) -> str:
        return self.html

    def _repr_pretty_(self, printer, cycle):   # text/plain in the executed notebook: a name, not the LaTeX
        printer.text(repr(self))

    def __repr__(self) -> str:
        return f"<report {self.name}>"


class Text(str):
    """Markdown (the str itself, Greek escaped for the LaTeX export) with an HTML twin."""

    def __new__(cls, markdown: str, html_text: str):
        text = super().__new__(cls, markdown)
        text.html = html_text
        return text

    def _repr_markdown_(self) -> str:
        return str.__str__(self)

    def _repr_html_(self) -> str:
        return self.html

    def _repr_pretty_(self, printer, cycle):
        printer.text(repr(self))

    def __repr__(self) -> str:
        return "<report text>"


def _pandoc(markdown: str, to: str) -> str:
    import pypandoc   # the pinned pypandoc-binary: pandoc itself, no network
    extra = ["--wrap=none"] + (["--mathml"] if to == "html" else [])
    return pypandoc.convert_text(markdown, to, format=_MARKDOWN, extra_args=extra).strip()


def markdown_html(markdown: str) -> str:
    """Markdown (Unicode Greek, $..$ math) as HTML with the math as MathML (rendered by the
    browser, no script, no network)."""
    return _pandoc(markdown, "html")


def text(markdown: str) -> Text:
    """A paragraph for both exports: Greek as ``\\ensuremath`` for LaTeX, Unicode and MathML in HTML."""
    return Text(escape_markdown(markdown), f'<div class="text">{markdown_html(markdown)}</div>')


def abstract(markdown: str) -> Piece:
    """The abstract: LaTeX's abstract environment, an HTML section. Links to a section
    (``[the reproduction section](#reproduction)``) work in both (pandoc names sections so)."""
    latex = _pandoc(escape_markdown(markdown), "latex")
    return Piece(f"\\begin{{abstract}}{latex}\\end{{abstract}}",
                 f'<section class="abstract"><h2>Abstract</h2>{markdown_html(markdown)}</section>', "abstract")


def _cell_latex(cell) -> str:
    return str.__str__(cell) if isinstance(cell, Piece) else escape(cell)


def _cell_html(cell) -> str:
    return cell.html if isinstance(cell, Piece) else html.escape(str(cell))


def code(text_: str) -> Piece:
    """A cell in typewriter type (a digest)."""
    return Piece(f"\\texttt{{{escape(text_)}}}", f"<code>{html.escape(text_)}</code>", "code")


def _label(text_: str) -> str:
    return re.sub(r"[^A-Za-z0-9:_-]+", "-", text_)


LONG_TABLE = 32   # rows: a longer table becomes a longtable, which breaks across pages


def tabular(header: list, rows: list, caption: str, label: str, align: str | None = None,
            size: str = "\\small", flagged=(), tabcolsep: str | None = None) -> Piece:
    """A booktabs table in LaTeX and the same table in HTML. Cells are plain text (escaped here
    for each form) or Pieces (``code``); a row that is a str, not a list, heads a group of rows.
    ``flagged``: indices of rows whose run a history check flagged (marked in HTML);
    ``tabcolsep``: narrower column gaps for a wide table (LaTeX's default is 6pt)."""
    columns = re.findall(r"p\{[^}]*\}|[lrc]", align or "l" + "r" * (len(header) - 1))
    n = len(columns)
    latex_rows, html_rows = [], []
    for i, row in enumerate(rows):
        if isinstance(row, str):
            latex_rows.append(("\\midrule\n" if latex_rows else "") + f"\\multicolumn{{{n}}}{{l}}{{\\textbf{{{escape(row)}}}}} \\\\")
            html_rows.append(f'<tr class="group"><th colspan="{n}">{html.escape(row)}</th></tr>')
            continue
        latex_rows.append(" & ".join(_cell_latex(c) for c in row) + " \\\\")
        cells = "".join(f'<td {_html_column(c)}>{_cell_html(v)}</td>' for c, v in zip(columns, row))
        html_rows.append(f'<tr class="flagged">{cells}</tr>' if i in flagged else f"<tr>{cells}</tr>")
    size += f"\n\\setlength{{\\tabcolsep}}{{{tabcolsep}}}" if tabcolsep else ""
    heads = " & ".join(_cell_latex(h) for h in header) + " \\\\"
    body = "\n".join(latex_rows)
    if len(rows) > LONG_TABLE:   # a float cannot break across pages: a longtable, its head repeated
        latex = (f"{{{size}\n\\begin{{longtable}}{{{''.join(columns)}}}\n\\caption{{{escape(caption)}}}\\label{{tab:{label}}}\\\\\n"
                 f"\\toprule\n{heads}\n\\midrule\n\\endfirsthead\n"
                 f"\\multicolumn{{{n}}}{{l}}{{\\emph{{Table \\thetable{{}} (continued)}}}} \\\\\n\\toprule\n{heads}\n\\midrule\n\\endhead\n"
                 f"\\bottomrule\n\\endlastfoot\n{body}\n\\end{{longtable}}}}\n")
    else:
        latex = (f"\\begin{{table}}[H]\n\\centering\n{size}\n\\caption{{{escape(caption)}}}\n\\label{{tab:{label}}}\n"
                 f"\\begin{{tabular}}{{{''.join(columns)}}}\n\\toprule\n{heads}\n"
                 f"\\midrule\n{body}\n\\bottomrule\n\\end{{tabular}}\n\\end{{table}}\n")
    head = "".join(f'<th {_html_column(c)}>{_cell_html(h)}</th>' for c, h in zip(columns, header))
    wide = " wide" if n >= 8 else ""
    markup = (f'<table class="booktabs{wide}" id="tab:{html.escape(label)}"><caption>{html.escape(caption)}</caption>'
              f"<thead><tr>{head}</tr></thead><tbody>{''.join(html_rows)}</tbody></table>")
    return Piece(latex, markup, f"table {label}")


def _html_column(column: str) -> str:
    """A column's HTML class, and for a LaTeX p{width} column the same width as its minimum (the
    text wraps there in both forms, so a table fits the page's column in HTML as in the PDF)."""
    return f'class="p" style="min-width: {column[2:-1]}"' if column.startswith("p{") else f'class="{column}"'


# --- figures ---

LINE_WIDTH = 6.5   # inches: the PDF's text width (A4 less 2.2 cm margins) less a little


def figure(run: str, name: str, caption: str, width: float | None = None, record: dict | None = None,
           variants=None) -> Piece:
    """figures/<run>/<name>: the PDF for LaTeX (path relative to the .tex), the PNG embedded for HTML.

    Printed at the figure's own size (at most the line; ``width``: at most that fraction of it),
    so its text keeps the one type scale of plots.save. ``record``: the run's record; each of
    its ``variants`` (default: all) whose history ``flags`` marks is named in the caption."""
    folder = output_root() / "figures" / run
    pdf, png = folder / f"{name}.pdf", folder / f"{name}.png"
    if not pdf.exists():
        raise FileNotFoundError(f"figure {pdf} is missing: rerun the notebook that makes it (`make notebooks`)")
    if not png.exists():
        raise FileNotFoundError(f"figure {png} is missing (plots.save writes it beside the PDF): `make notebooks`")
    inches = _png_width(png)
    limit = LINE_WIDTH * (width or 1.0)
    size = "width=\\linewidth" if inches >= LINE_WIDTH and not width else f"width={min(inches, limit):.2f}in"
    note = flag_note(flags(record, variants)) if record is not None else ""
    stop = "" if not note or caption.rstrip().endswith((".", ":", ";")) else "."
    latex_caption = escape(caption) + stop + (f" \\textbf{{Flagged from the histories}}: {escape(note)}." if note else "")
    html_caption = html.escape(caption) + stop + (f" <strong>Flagged from the histories</strong>: {html.escape(note)}." if note else "")
    label = f"fig:{run}-{name}"
    latex = (f"\\begin{{figure}}[H]\n\\centering\n\\includegraphics[{size}]{{../figures/{run}/{name}.pdf}}\n"
             f"\\caption{{{latex_caption}}}\n\\label{{{label}}}\n\\end{{figure}}\n")
    encoded = base64.b64encode(png.read_bytes()).decode("ascii")
    markup = (f'<figure id="{html.escape(_label(label))}"><img src="data:image/png;base64,{encoded}" '
              f'alt="{html.escape(caption)}" style="--print-width: {min(inches, limit):.2f}in"/>'
              f"<figcaption>{html_caption}</figcaption></figure>")
    return Piece(latex, markup, f"figure {run}/{name}")


def _png_width(path: Path) -> float:
    """A PNG's width in inches: pixels over its pHYs density (plots.save writes it), else savefig.dpi."""
    content = path.read_bytes()
    pixels = int.from_bytes(content[16:20], "big")
    at = content.find(b"pHYs")
    if at > 0 and content[at + 12] == 1:   # unit: metre
        return pixels / (int.from_bytes(content[at + 4:at + 8], "big") * 0.0254)
    return pixels / 200


# --- what the histories say: a run that diverged, oscillated or never left chance ---

def _chance(config: dict) -> float:
    digits = config.get("digits")
    return 1 / len(digits) if digits else 0.5 if config.get("model") == "logistic" else 0.1


def flags(record: dict, variants=None) -> dict:
    """{variant: flag} for each variant of a run whose history ``plots.diagnose`` flags (chance
    from the configuration: 1/2 for a digit pair, 1/10 else); a flag that holds for some seeds
    only names them."""
    found = {}
    for variant in (variants or record["runs"]):
        results = record["runs"].get(variant, [])
        seen = [(r["config"].get("seed"), plots.diagnose(r["history"], chance=_chance(r["config"])))
                for r in results if r.get("history")]
        bad = [(seed, flag) for seed, flag in seen if flag]
        if bad:
            found[variant] = bad[0][1] + ("" if len(bad) == len(seen) else
                                          f" (seed{'s' if len(bad) > 1 else ''} {', '.join(str(s) for s, _ in bad)})")
    return found


def _short(flag: str) -> str:
    return "; ".join(part.split(" (")[0] for part in flag.split("; "))


def flag_note(flagged: dict) -> str:
    """The flags for a caption: each variant with its measurement when one is flagged for a
    reason, else the variants grouped by reason ("diverged: a, b; oscillates at chance: c")."""
    by_reason: dict[str, list[str]] = {}
    for variant, flag in flagged.items():
        for part in flag.split("; "):
            by_reason.setdefault(_short(part), []).append((variant, part))
    parts = []
    for reason, found in by_reason.items():
        parts.append(f"{found[0][0]}: {found[0][1]}" if len(found) == 1 else
                     f"{reason}: {', '.join(variant for variant, _ in found)}")
    return "; ".join(parts)


# --- numbers and tables ---

def _digits(metric: str) -> int:
    """Decimals shown: accuracies in percent 2, epoch counts 0, facts about the data 6, losses and norms 3."""
    return 2 if metric.endswith("acc") else 0 if metric in ("epochs_run", "best_epoch") else \
        6 if metric.startswith("first_") else 3


def number(mean_std, metric: str) -> str:
    """'97.45 ± 0.12' for accuracies (as percent), losses, epochs; std left out for one seed."""
    mean, std = mean_std
    scale, digits = (100 if metric.endswith("acc") else 1), _digits(metric)
    text_ = f"{scale * mean:.{digits}f}"
    return text_ if std == 0 else f"{text_} ± {scale * std:.{digits}f}"


def summary_table(record: dict, metrics, caption: str, variants=None, label: str | None = None) -> Piece:
    """One row per variant of a run: mean ± std over seeds of each metric (``label``: tab:<run
    name> by default); a variant whose history is flagged says so in a last column and the caption."""
    summary = record["summary"]
    variants = list(variants or summary)
    flagged = flags(record, variants)
    rows = [[name] + [number(summary[name][m], m) if m in summary[name] else "–" for m in metrics]
            + ([_short(flagged[name]) if name in flagged else ""] if flagged else []) for name in variants]
    header = ["variant"] + [METRICS[m] for m in metrics] + (["flag"] if flagged else [])
    if flagged:
        caption += f". Flagged from the histories: {flag_note(flagged)}"
    # the variant column wraps when the table would not fit the line (16.6 cm; \\small: ~0.17 cm a character)
    width = lambda column: 0.17 * max(len(str(cell)) for cell in column) + 0.45   # noqa: E731
    others = sum(width([h] + [row[k] for row in rows]) for k, h in enumerate(header) if k)
    first = "l" if width(["variant"] + variants) + others <= 16.2 else f"p{{{max(3.5, 16.2 - others - 0.45):.1f}cm}}"
    return tabular(header, rows, caption, label or record["run"].split("/")[-1],
                   align=first + "r" * len(metrics) + ("l" if flagged else ""),
                   flagged={i for i, name in enumerate(variants) if name in flagged})


@lru_cache(maxsize=None)
def _n_test(config_json: str) -> int:
    return len(load_splits(Config.from_dict(json.loads(config_json)).replace(progress=False)).y_test)


VERDICT_WORDS = {"noise": "within noise", "explained": "explained", "inconsistent": "inconsistent", "open": "open"}
_VERDICT_KEYS = {"within noise": "noise", "explained": "explained", "inconsistent in the report": "inconsistent",
                 "open": "open"}


def _measured(rows) -> list[dict]:
    """Rows judged by helpers.reproduction (its ``Row``s), as the figure and the table read them:
    one judgement, drawn and tabulated as it was made."""
    measured = []
    for row in rows:
        kind = _VERDICT_KEYS[row.verdict]
        measured.append({"entry": row.entry, "ours": tuple(row.ours), "diff": row.diff, "noise": row.noise,
                         "gap": kind != "noise", "verdict": kind,
                         "ablation": {"ours": tuple(row.ablation["ours"])} if row.ablation else None})
    return measured


def _group(entry: dict) -> str:
    return entry.get("report") or f"SPEC {entry['spec']}"


def reproduction_rows(rows) -> list[dict]:
    """What plots.reproduction draws: one dict per published number (entries' order, numbered),
    from the rows helpers.reproduction judged."""
    drawn = []
    for i, m in enumerate(_measured(rows), 1):
        entry = m["entry"]
        drawn.append({"group": _group(entry), "label": f"{i}. {entry['label']} · {METRICS[entry['metric']]}",
                      "published": float(entry["value"]), "mean": m["ours"][0], "std": m["ours"][1],
                      "noise": m["noise"], "digits": _digits(entry["metric"]),
                      "provenance": entry.get("provenance", "stated"), "verdict": m["verdict"],
                      "ablation": {"mean": m["ablation"]["ours"][0], "std": m["ablation"]["ours"][1]}
                      if m["ablation"] else None})
    return drawn


def reproduction_figure(rows, name: str = "reproduction") -> Piece:
    """The reproduction at a glance (plots.reproduction) of the rows helpers.reproduction judged,
    saved as figures/report/<name>.pdf|png."""
    import matplotlib.pyplot as plt
    from .reproduction import summary_line
    ax = plots.reproduction(reproduction_rows(rows))
    plots.save(ax.figure, output_root() / "figures" / "report" / name)
    plt.close(ax.figure)
    return figure("report", name, f"The reproduction at a glance: {summary_line(rows)} Each row: the "
                  "workbook's mean ± std over seeds, placed by its distance from the published number in noise bands "
                  "(grey: within noise); colour: the verdict; marker: how the setting was fixed; hollow diamond: the "
                  "measured inferred ablation. The numbers are in the table below.")


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
        mean, std = m["ours"]
        digits = _digits(entry["metric"])
        if m["gap"]:
            gaps.append((i, entry))
        row = [str(i), entry["label"], METRICS[entry["metric"]], entry.get("provenance", "stated"),
               f"{float(entry['value']):.{digits}f}", f"{mean:.{digits}f}" + (f" ± {std:.{digits}f}" if std else ""),
               f"{m['diff']:+.{digits}f}", f"{m['noise']:.{digits}f}",
               Piece(escape(VERDICT_WORDS[m["verdict"]]), f'<span class="verdict {m["verdict"]}">{VERDICT_WORDS[m["verdict"]]}</span>')]
        if any_ablation:
            a = m["ablation"]
            row.append(f"{a['ours'][0]:.{digits}f}" + (f" ± {a['ours'][1]:.{digits}f}" if a["ours"][1] else "")
                       if a else "")
        rows.append(row)
    header = ["#", "setting", "metric", "basis", "published", "workbook", "diff", "noise", "verdict"] + \
             (["inferred"] if any_ablation else [])
    table = tabular(header, rows, "Published numbers (SPEC.md) beside this build's, grouped by report; basis: how "
                    "the setting was fixed (stated by the report, or a named default where it is silent); workbook: "
                    "mean ± std over seeds under those settings; inconsistent: in the report itself, as the gap notes "
                    "measure" + ("; inferred: the measured inferred ablation"
                                                                    if any_ablation else ""),
                    "reproduction", align="rp{2.8cm}llrrrrl" + ("r" if any_ablation else ""), size="\\footnotesize",
                    tabcolsep="3pt")
    return table, sorted(gaps, key=lambda gap: gap[0])


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


DATA_RUN = "data"


def data_record(dataset: str = "mnist") -> dict:
    """The data facts the reports printed, as a record the reproduction compares like a run's:
    the first training image's mean and std as uint8 / 256 (Lim & Chen's printout)."""
    x, _ = data.load(dataset, "train", flatten=True)
    first = x[0] / 256.0
    return {"run": DATA_RUN, "summary": {"first image / 256": {"first_mean": [float(first.mean()), 0.0],
                                                                "first_std": [float(first.std()), 0.0]}}}


def n_test(record: dict, variant: str) -> int:
    """How many test images a record's variant was scored on (for the binomial noise band)."""
    return _n_test(json.dumps(record["runs"][variant][0]["config"], sort_keys=True))


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


def gap_notes(rows) -> str:
    """Markdown, one bullet per published number beyond noise under its stated settings: the
    measured ablation and what it showed, or "open gap: not explained" and what was tried."""
    bullets = []
    for i, row in enumerate(rows, 1):
        if row.verdict == "within noise":
            continue
        e, digits = row.entry, _digits(row.entry["metric"])
        unit = "%" if e["metric"].endswith("acc") else ""
        text = (f"- **{i}. {e['report']}, {e['label']}** ({METRIC_WORDS[e['metric']]}): published {float(e['value']):.{digits}f}{unit}, "
                f"ours {row.ours[0]:.{digits}f}{unit} under the {'stated settings' if e['provenance'] == 'stated' else 'stated settings and named defaults'}")
        if row.ablation:
            a = row.ablation
            text += (f"; the inferred ablation *{e['ablation']}* gives {a['ours'][0]:.{digits}f}{unit}, "
                     + ("within noise of the published number: explained by that setting (inferred, not stated)."
                        if a["within"] else f"still {abs(a['diff']):.{digits}f} away: **open gap: not explained** (tried: {e['ablation']}).")
                     )
        elif row.verdict != "inconsistent in the report":
            text += "; **open gap: not explained** (no ablation run)."
        if row.evidence:
            text += (f"; **inconsistent in the report**: {row.evidence}." if row.verdict == "inconsistent in the report"
                     else f"; its stated rule checked against the build: {row.evidence}.")
        if e.get("note"):
            text += f" {e['note']}"
        bullets.append(text)
    text = "The numbers beyond noise under the stated settings:\n\n" + "\n".join(bullets) if bullets else \
        "Every published number is reproduced within noise under the stated settings and named defaults."
    tested = hypotheses_text(rows)
    return text + ("\n\n" + tested if tested else "")


def hypotheses_text(rows) -> str:
    """Markdown, one bullet per inferred setting (reproduction.hypotheses): the rows it was applied
    to unchanged, the row its value was chosen on (if any) and how many other rows it brings within noise."""
    from .reproduction import hypotheses
    bullets = []
    for h in hypotheses(rows):
        numbers = ", ".join(map(str, h["rows"]))
        chosen = (f"its value was chosen on “{h['chosen_on']}”; of the other {len(h['rows']) - 1} rows it brings "
                  f"{h['others_within']} within noise" if h["chosen_on"] else
                  f"no row is named as the one its value was chosen on; it brings {h['others_within']} of them within noise")
        bullets.append(f"- *{h['hypothesis']}*: applied unchanged to row{'s' if len(h['rows']) > 1 else ''} {numbers}; {chosen}.")
    return "Each inferred setting across the rows it concerns:\n\n" + "\n".join(bullets) if bullets else ""


def stable_ids(path) -> None:
    """Number the cells of an executed notebook (cell-0, cell-1, ...) in place: papermill and
    nbformat give cells random ids, which would change the HTML export's bytes on every build."""
    import nbformat
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"
    nbformat.write(nb, path)
