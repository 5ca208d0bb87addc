"""The report's pieces (LaTeX and HTML), the published-number comparison, the history flags,
the figures' one look, and the smoke PDF itself (the smoke HTML: test_report_html.py)."""
import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from IPython.core.formatters import DisplayFormatter

from helpers import figures, report
from helpers.pipeline.published import published
from helpers.report import reproduction

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ROOT / "build" / "smoke"


def test_escape_turns_specials_into_text_and_greek_into_math():
    assert report.escape("L2 λ=1e-4, 50% & a_b") == "L2 $\\lambda$=1e-4, 50\\% \\& a\\_b"
    assert report.escape_markdown("η0 ± 1") == "\\ensuremath{\\eta}0 \\ensuremath{\\pm} 1"


def test_number_formats_percent_loss_and_epochs_as_plain_text_escaped_per_export():
    assert report.number([0.97456, 0.0012], "test_acc") == "97.46 ± 0.12"
    assert report.number([0.1234, 0.0], "test_loss") == "0.123"
    assert report.number([31.0, 2.0], "epochs_run") == "31 ± 2"
    assert report.escape(report.number([0.97456, 0.0012], "test_acc")) == "97.46 $\\pm$ 0.12"


def record(mean, std, n_test=2000, metric="test_acc"):
    config = {"model": "softmax", "n_train": 20000, "n_test": n_test, "holdout": "first", "holdout_size": 0.1}
    return {"r": {"run": "r", "summary": {"v": {metric: [mean, std]}}, "runs": {"v": [{"config": config}]}}}


def test_published_file_is_valid_and_every_entry_names_a_known_metric():
    entries = published(ROOT / "report" / "published.yaml")
    assert len(entries) >= 40 and {e["spec"][0] for e in entries} >= set("ABDEF")   # sections A-F (B1, B2...)


def test_published_file_rejects_a_misspelt_key(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("- {spec: A, label: x, run: r, variant: v, metirc: test_acc, value: 1}\n")
    with pytest.raises(ValueError, match=r"unknown keys \['metirc'\].*missing \[.*'metric'"):
        published(bad)


def test_missing_figure_says_which_and_how_to_make_it(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBOOK_OUTPUT", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="figures/nope/curves.pdf is missing.*make notebooks"):
        report.figure("nope", "curves", "caption")


def test_data_facts_match_the_spec():
    """SPEC "Data": the first training image (a 5, pixel sum 27525) after /255, and the whole set."""
    facts = report.data_facts()
    assert (facts["label"], facts["pixel_sum"]) == (5, 27525)
    assert facts["mean"] == pytest.approx(0.13768007202881152, abs=1e-12)
    assert facts["std"] == pytest.approx(0.31234834873571493, abs=1e-12)
    assert facts["set_mean"] == pytest.approx(0.1306604762738429, abs=1e-9)
    assert facts["set_std"] == pytest.approx(0.30810780385646264, abs=1e-9)


# --- one notebook, two exports: every piece carries LaTeX and HTML; each exporter takes its own ---

def mimetypes(obj) -> dict:
    data, _ = DisplayFormatter().format(obj)
    return data


def test_a_piece_offers_latex_to_the_pdf_and_html_to_the_page_and_stays_a_string():
    table = report.tabular(["variant", "test %"], ["Shi & co", ["L2 λ 0.01 <b>", "97.46 ± 0.12"]], "A & B", "t")
    data = mimetypes(table)
    assert {"text/latex", "text/html", "text/plain"} <= set(data) and data["text/plain"] == "<report table t>"
    latex, page = data["text/latex"], data["text/html"]
    assert "L2 $\\lambda$ 0.01 <b> & 97.46 $\\pm$ 0.12 \\\\" in latex and "\\caption{A \\& B}" in latex
    assert "\\multicolumn{2}{l}{\\textbf{Shi \\& co}}" in latex and str(table) == latex
    assert '<table class="booktabs" id="tab:t"><caption>A &amp; B</caption>' in page
    assert "<td class=\"l\">L2 λ 0.01 &lt;b&gt;</td>" in page and '<th colspan="2">Shi &amp; co</th>' in page
    assert "$" not in page and "\\" not in page


def test_a_long_table_breaks_across_pages_and_keeps_its_label():
    rows = [[str(i), "x"] for i in range(report.LONG_TABLE + 1)]
    long = report.tabular(["#", "v"], ["group"] + rows, "Long", "long", tabcolsep="3pt")
    assert "\\begin{longtable}{lr}" in long and "\\label{tab:long}" in long and "\\endhead" in long
    assert "\\setlength{\\tabcolsep}{3pt}" in long and "\\begin{table}" not in long
    short = report.tabular(["#", "v"], rows[:3], "Short", "short")
    assert "\\begin{table}[H]" in short and "longtable" not in short


def test_text_goes_to_latex_as_markdown_and_to_html_with_mathml():
    text = report.text("λ is **small**: $\\sqrt{p(1-p)/n}$ ± 1")
    data = mimetypes(text)
    assert "text/latex" not in data and data["text/markdown"] == "\\ensuremath{\\lambda} is **small**: $\\sqrt{p(1-p)/n}$ \\ensuremath{\\pm} 1"
    page = data["text/html"]
    assert "<strong>small</strong>" in page and "λ" in page and "±" in page
    assert "<math" in page and "<msqrt>" in page and "$" not in re.sub(r"<annotation.*?</annotation>", "", page)


def test_abstract_links_the_reproduction_section_in_both_exports():
    piece = report.abstract("**Smoke.** 92.04% see [the reproduction section](#reproduction), η 0.1")
    assert piece.startswith("\\begin{abstract}\\textbf{Smoke.} 92.04\\%") and "\\hyperref[reproduction]" in piece
    assert "\\ensuremath{\\eta} 0.1" in piece and piece.endswith("\\end{abstract}")
    assert '<a href="#reproduction">' in piece.html and "<strong>Smoke.</strong>" in piece.html


def history(holdout, train_loss=None, epochs=None):
    n = len(holdout)
    return {"epoch": list(range(epochs or n)), "train_loss": train_loss or list(np.linspace(0.7, 0.2, n)),
            "holdout_loss": list(np.linspace(0.7, 0.3, n)), "holdout_acc": list(holdout),
            "test_acc": list(holdout), "train_acc": list(holdout)}


def test_diagnose_finds_divergence_chance_and_oscillation_and_leaves_healthy_runs_alone():
    healthy = history(np.linspace(0.5, 0.97, 30))
    assert figures.diagnose(healthy, chance=0.5) is None
    wiggly = history(0.9 + 0.005 * (-1) ** np.arange(30))            # swings of 1 point: noise, not oscillation
    assert figures.diagnose(wiggly, chance=0.5) is None
    flat = history(np.full(30, 0.52))
    assert figures.diagnose(flat, chance=0.5).startswith("never left chance (best 52.0%")
    assert figures.diagnose(flat) is None                                # chance unknown: not judged
    swinging = history(0.5 + 0.2 * (-1) ** np.arange(100))             # 2 vs 3, λ 0.1: 30% <-> 70% for 100 epochs
    assert figures.diagnose(swinging, chance=0.5).startswith("oscillates at chance (hold-out accuracy 50% on average")
    assert figures.diagnose(history(0.8 + 0.1 * (-1) ** np.arange(20)), chance=0.1).startswith("hold-out accuracy oscillates")
    rising = history(np.linspace(0.5, 0.9, 10), train_loss=[0.69, 0.2, 0.15, 0.3, 1, 2, 4, 6, 8, 9])
    assert figures.diagnose(rising) == "diverged (training loss rose from 0.69 to 9)"
    broken = history(np.linspace(0.5, 0.9, 10))
    broken["holdout_loss"][4] = float("nan")
    assert figures.diagnose(broken) == "diverged (non-finite holdout loss from epoch 4)"


def run_record(histories, digits=(2, 3)):
    return {"run": "runs/01_logistic/r", "summary": {v: {"test_acc": [0.9, 0.0]} for v in histories},
            "runs": {v: [{"config": {"digits": list(digits), "seed": seed}, "history": h} for seed, h in enumerate(hs)]
                     for v, hs in histories.items()}}


def test_flags_use_the_task_s_chance_and_name_the_seeds_when_not_all_are_flagged():
    good, bad = history(np.linspace(0.5, 0.97, 30)), history(0.5 + 0.2 * (-1) ** np.arange(30))
    record = run_record({"batch": [good, good], "l2 λ=0.1": [bad, bad], "l1 λ=0.1": [good, bad]})
    flagged = report.flags(record)
    assert set(flagged) == {"l2 λ=0.1", "l1 λ=0.1"}
    assert flagged["l2 λ=0.1"].startswith("oscillates at chance") and flagged["l1 λ=0.1"].endswith("(seed 1)")
    table = report.summary_table(record, ["test_acc"], "Sweep", label="sweep")
    assert "oscillates at chance & " not in table and "& oscillates at chance \\\\" in table   # the row's flag column
    assert "Flagged from the histories: oscillates at chance: l2 λ=0.1, l1 λ=0.1" in table.html
    assert table.html.count('<tr class="flagged">') == 2


def test_figure_embeds_the_png_prints_at_its_own_size_and_flags_in_the_caption(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBOOK_OUTPUT", str(tmp_path))
    folder = tmp_path / "figures" / "runs" / "01_logistic" / "r"
    folder.mkdir(parents=True)
    ax = figures.weight_images([np.ones(784)] * 3)                       # a small figure: printed small, not blown up
    figures.save(ax.figure, folder / "weights")
    plt.close(ax.figure)
    record = run_record({"l2 λ=0.1": [history(0.5 + 0.2 * (-1) ** np.arange(30))]})
    piece = report.figure("runs/01_logistic/r", "weights", "Weights (λ)", record=record)
    width = float(re.search(r"width=([0-9.]+)in", piece).group(1))
    assert 1.5 < width < 3.5 and "{../figures/runs/01_logistic/r/weights.pdf}" in piece
    assert "\\textbf{Flagged from the histories}: l2 $\\lambda$=0.1: oscillates at chance" in piece
    src = re.search(r'src="data:image/png;base64,([^"]+)"', piece.html).group(1)
    assert base64.b64decode(src) == (folder / "weights.png").read_bytes()
    assert f"--print-width: {width:.2f}in" in piece.html and "<figcaption>Weights (λ). <strong>Flagged" in piece.html


def test_rows_measured_by_report_reproduction_are_drawn_and_tabulated_as_judged():
    config = {"model": "softmax"}
    record = {"run": "r", "summary": {"stated": {"test_acc": [0.96, 0.0]}, "inferred": {"test_acc": [0.931, 0.0]}},
              "runs": {"stated": [{"config": config}], "inferred": [{"config": config}]}}
    entry = {"run": "r", "variant": "stated", "metric": "test_acc", "value": 93.0, "report": "Shi",
             "provenance": "default", "ablation": "inferred", "label": "x", "spec": "D"}
    rows = [reproduction.compare_entry(record, entry, 2000), reproduction.compare_entry(record, {**entry, "value": 96.0}, 2000)]
    assert reproduction.counts(rows) == {"rows": 2, "within": 1, "explained": 1, "inconsistent": 0, "open": 0}
    drawn = report.reproduction_rows(rows)
    assert [r["verdict"] for r in drawn] == ["explained", "noise"] and drawn[0]["ablation"]["mean"] == pytest.approx(93.1)
    table, gaps = report.reproduction_table(rows)
    assert [i for i, _ in gaps] == [1] and "explained" in table and "within noise" in table


def test_the_reproduction_figure_has_a_row_per_number_grouped_by_report():
    rows = [{"group": g, "label": f"{i}. x", "published": 90.0, "mean": 90.0 + d, "std": 0.1, "noise": 1.0, "digits": 2,
             "provenance": p, "verdict": v, "ablation": a}
            for i, (g, d, p, v, a) in enumerate([("Shi", 0.5, "stated", "noise", None),
                                                  ("Shi", 3.0, "inferred", "explained", {"mean": 90.2, "std": 0}),
                                                  ("Aagaard", 40.0, "default", "open", None)], 1)]
    ax = figures.reproduction_chart(rows)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    texts = [t.get_text() for t in ax.texts]
    assert labels == ["1. x", "2. x", "3. x"] and {"Shi", "Aagaard", "published", "workbook", "130.00 ± 0.10"} <= set(texts)
    assert ax.get_xlim()[1] < 5 and ax.figure.get_size_inches()[0] == pytest.approx(figures.TEXT_WIDTH)
    plt.close(ax.figure)


# --- figures a reader can read: one type scale, fixed colours per series ---

def test_every_figure_prints_at_most_the_text_width_with_one_type_scale(tmp_path):
    with figures.style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))    # what the notebooks ask for
    figures.curves(history(np.linspace(0.5, 0.9, 10)), "acc", ax=left, title="curves")
    figures.save(fig, tmp_path / "wide")
    assert fig.get_size_inches()[0] == pytest.approx(figures.TEXT_WIDTH)
    weights = figures.weight_images([np.ones(784)] * 10, means=np.ones((784, 10)), title="weights")
    figures.save(weights.figure, tmp_path / "weights")
    assert weights.figure.get_size_inches()[0] <= figures.TEXT_WIDTH
    assert weights.title.get_fontsize() == left.title.get_fontsize() == 10
    assert left.xaxis.label.get_fontsize() == 9 and left.get_legend().get_texts()[0].get_fontsize() == 8
    assert weights.get_xticklabels()[0].get_fontsize() == left.get_xticklabels()[0].get_fontsize() == 8
    plt.close("all")


def test_the_same_series_has_the_same_colour_in_every_figure():
    h = history(np.linspace(0.5, 0.9, 10))
    ax = figures.curves(h, "acc")
    assert [line.get_color() for line in ax.lines] == [figures.SERIES["train"], figures.SERIES["holdout"], figures.SERIES["test"]]
    other = [dict(history(np.linspace(0.5, 0.9, 10) - 0.01 * k), holdout_loss=list(np.linspace(0.7, 0.3, 10) + 0.01 * k))
             for k in range(3)]   # distinct curves: curves on one line get a note in their legend
    runs = {"sigmoid, η 0.01, L2": other[0], "tanh, η 0.01, L2": other[1], "ReLU, η 0.01, L2": other[2]}
    first = figures.compare(runs, "loss", "holdout", dashed="train")
    second = figures.compare(dict(reversed(list({"ReLU, η 0.1": other[0], "sigmoid, η 0.5": other[1],
                                                 "tanh, η 0.1": other[2]}.items()))), "acc")
    colour = {line.get_label(): line.get_color() for a in (first, second) for line in a.lines if not line.get_label().startswith("_")}
    assert colour["sigmoid, η 0.01, L2"] == colour["sigmoid, η 0.5"] == figures.SERIES["sigmoid"]
    assert colour["ReLU, η 0.01, L2"] == colour["ReLU, η 0.1"] == figures.SERIES["relu"]
    sweep = figures.colours([f"l2 λ={lam}" for lam in (0.1, 0.001, 0.01)])
    assert len(set(sweep)) == 3 and sweep[1] == figures.colours(["l1 λ=0.001", "l1 λ=0.1"])[0]   # ordered by λ
    assert figures.OKABE_ITO["blue"] == "#0072B2" and "#F0E442" not in figures.OKABE_ITO.values()
    plt.close("all")


def test_long_labels_wrap_and_two_panels_share_one_legend_beneath():
    h = history(np.linspace(0.5, 0.9, 10))
    runs = {"L2 λ 0.01 (gradient λW), stop after 3 epochs without a new best (inferred)": h, "L1 λ 0.01": h}
    left, right = figures.validation_and_test(runs)
    assert left.get_legend() is None and right.get_legend() is None
    (legend,) = left.figure.legends
    texts = [t.get_text() for t in legend.get_texts()]
    assert len(texts) == 2 and all(len(line) <= figures.LEGEND_WRAP for t in texts for line in t.split("\n"))
    assert figures.colours(["sigmoid", "tanh", "sigmoid, N(0,1) weights (inferred)"])[:2] == [figures.SERIES["sigmoid"], figures.SERIES["tanh"]]
    assert len(set(figures.colours(["sigmoid", "tanh", "sigmoid, N(0,1) weights (inferred)"]))) == 3
    plt.close("all")


def test_a_flagged_run_is_drawn_dotted_and_says_why_in_its_legend():
    ax = figures.compare({"fine": history(np.linspace(0.5, 0.9, 30)), "bad": history(0.5 + 0.3 * (-1) ** np.arange(30))}, "acc", "holdout")
    fine, bad = ax.lines
    assert fine.get_linestyle() == "-" and bad.get_linestyle() == ":"
    assert bad.get_label() == "bad [hold-out accuracy oscillates]"
    plt.close(ax.figure)


# --- the smoke report, compiled by `make pdf SCALE=smoke` (the LaTeX path on every change) ---

@pytest.fixture(scope="module")
def smoke_pdf():
    if shutil.which("xelatex") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must compile the report: install TeX (see .ci/run)")
        pytest.skip("no xelatex here (apt-get install -y texlive-xetex texlive-fonts-recommended texlive-plain-generic)")
    done = subprocess.run(["make", "-C", str(ROOT), "pdf", "SCALE=smoke"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    folder = SMOKE / "report"
    return folder / "report.pdf", (folder / "report.tex").read_text(), (folder / "build" / "report.log").read_text()


def test_smoke_pdf_has_pages_and_no_broken_references(smoke_pdf):
    pdf, tex, log = smoke_pdf
    pages = int(re.search(r"Output written on \S+ \((\d+) pages", log).group(1))
    assert pdf.stat().st_size > 50_000 and pages >= 6
    assert "undefined" not in log.lower() and "multiply defined" not in log
    assert "Overfull \\hbox" not in log, "something runs off the page"
    assert "Missing character" not in log, "a glyph the font lacks: map it in report.pieces._GREEK"


def test_smoke_pdf_holds_every_figure_and_table(smoke_pdf):
    _, tex, log = smoke_pdf
    figures = re.findall(r"\\includegraphics\[[^]]*\]\{\.\./figures/([^}]+)\}", tex)
    assert len(figures) >= 13 and all((SMOKE / "figures" / f).exists() for f in figures)
    assert "report/reproduction.pdf" in figures, "the reproduction at a glance"
    tables = set(re.findall(r"\\label\{tab:([^}]+)\}", tex))
    assert {"reproduction", "runs"} <= tables and len(tables) >= 8
    momentum = json.loads(sorted((SMOKE / "build" / "results").glob("**/04_momentum/*.json"))[0].read_text())
    numbers = [report.escape(report.number(s["test_acc"], "test_acc")) for s in momentum["summary"].values()]
    assert any(n in tex for n in numbers), "the momentum table's numbers come from its results file"
