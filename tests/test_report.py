"""The report's LaTeX pieces, the published-number comparison, and the smoke PDF itself."""
import json
import math
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import experiment, report

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ROOT / "build" / "smoke"


def test_escape_turns_specials_into_text_and_greek_into_math():
    assert report.escape("L2 λ=1e-4, 50% & a_b") == "L2 $\\lambda$=1e-4, 50\\% \\& a\\_b"
    assert report.escape_markdown("η0 ± 1") == "\\ensuremath{\\eta}0 \\ensuremath{\\pm} 1"


def test_number_formats_percent_loss_and_epochs():
    assert report.number([0.97456, 0.0012], "test_acc") == "97.46 $\\pm$ 0.12"
    assert report.number([0.1234, 0.0], "test_loss") == "0.123"
    assert report.number([31.0, 2.0], "epochs_run") == "31 $\\pm$ 2"


def record(mean, std, n_test=2000, metric="test_acc"):
    config = {"model": "softmax", "n_train": 20000, "n_test": n_test, "holdout": "first", "holdout_size": 0.1}
    return {"r": {"run": "r", "summary": {"v": {metric: [mean, std]}}, "runs": {"v": [{"config": config}]}}}


def test_accuracy_gap_is_judged_against_the_binomial_and_seed_noise():
    entry = {"run": "r", "variant": "v", "metric": "test_acc", "value": 93.0}
    c = report.compare(record(0.935, 0.002), entry)
    expected_noise = 2 * math.hypot(100 * math.sqrt(0.93 * 0.07 / 2000), 0.2)
    assert c["diff"] == pytest.approx(0.5) and c["noise"] == pytest.approx(expected_noise)
    assert not c["gap"]
    assert report.compare(record(0.96, 0.002), entry)["gap"]


def test_loss_gap_uses_spread_plus_ten_percent():
    entry = {"run": "r", "variant": "v", "metric": "test_loss", "value": 0.2}
    c = report.compare(record(0.25, 0.01, metric="test_loss"), entry)
    assert c["noise"] == pytest.approx(2 * 0.01 + 0.02) and c["gap"]


def test_published_file_is_valid_and_every_entry_names_a_known_metric():
    entries = experiment.published(ROOT / "report" / "published.yaml")
    assert len(entries) >= 40 and {e["spec"] for e in entries} == set("ABDEF")


def test_published_file_rejects_a_misspelt_key(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("- {spec: A, label: x, run: r, variant: v, metirc: test_acc, value: 1}\n")
    with pytest.raises(ValueError, match=r"unknown keys \['metirc'\], missing \['metric'\]"):
        experiment.published(bad)


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
    assert "Missing character" not in log, "a glyph the font lacks: map it in report._GREEK"


def test_smoke_pdf_holds_every_figure_and_table(smoke_pdf):
    _, tex, log = smoke_pdf
    figures = re.findall(r"\\includegraphics\[[^]]*\]\{\.\./figures/([^}]+)\}", tex)
    assert len(figures) >= 13 and all((SMOKE / "figures" / f).exists() for f in figures)
    tables = set(re.findall(r"\\label\{tab:([^}]+)\}", tex))
    assert {"reproduction", "runs", "gradcheck", "momentum", "regularisation", "activations", "softmax"} <= tables
    results = json.loads((SMOKE / "build" / "results" / "momentum.json").read_text())
    assert report.number(results["summary"]["classic, γ 0.9, η 0.01"]["test_acc"], "test_acc") in tex
