"""The built smoke report as a reader meets it (issues 29 and 30): its LaTeX, its PDF's pages, its
HTML page. `make pdf SCALE=smoke` and `make html SCALE=smoke` build what is missing (under
`make test` the smoke runs are built first)."""
import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers.pipeline.published import published_gradcheck

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "build" / "smoke" / "report"


def _make(target: str) -> None:
    done = subprocess.run(["make", "-C", str(ROOT), target, "SCALE=smoke"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


@pytest.fixture(scope="module")
def tex() -> str:
    if shutil.which("xelatex") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must compile the report: install TeX (see .ci/run)")
        pytest.skip("no xelatex here (apt-get install -y texlive-xetex texlive-fonts-recommended texlive-plain-generic)")
    _make("pdf")
    return (REPORT / "report.tex").read_text()


@pytest.fixture(scope="module")
def page() -> str:
    """The HTML page's text, as a browser shows it (tags dropped, entities decoded)."""
    _make("html")
    markup = (REPORT / "report.html").read_text()
    markup = re.sub(r"<(script|style|math)\b.*?</\1>", " ", markup, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def test_the_data_section_is_one_paragraph_in_the_pdf(tex):
    section = tex[tex.index(r"\section{Data and preprocessing}"):]
    paragraphs = [p for p in re.split(r"\n\s*\n", section.split(r"\section", 2)[1]) if p.strip()]
    first = " ".join(paragraphs[1].split())   # after the heading, its lines joined
    assert "MNIST has 60,000 training and 10,000 test images" in first and "The regression reports" in first, first


def test_no_unclosed_entry_no_literal_subscript_and_the_article_follows_the_number(tex, page):
    assert "(listed twice &" not in tex and "(listed twice, same entry)" in tex
    assert "(listed twice, same entry)" in page
    assert r"\eta_{\mathrm{avg}}" in tex and "η_avg" not in page and r"\_avg" not in tex
    for text in (tex, page):
        wrong = re.findall(r"\b[aA] (?:8|11|18)[\d,]*(?:-| )", text) + re.findall(r"\b[aA]n (?:[1-79]|1[02-79])\d?(?:-| )", text)
        assert not wrong, wrong
    assert "of an 8-unit network" in tex, "the strict check's network is stated with its article"


def test_the_reproduction_table_takes_a_line_a_row_on_at_most_two_sideways_pages(tex):
    """It took three portrait pages at 3 or 4 lines a row: 53 rows at one line each fill two
    landscape pages; the pages come from xelatex's record of where the table starts and ends."""
    start = tex.index(r"\label{tab:reproduction}")
    assert tex.rfind(r"\begin{landscape}", 0, start) > tex.rfind(r"\end{landscape}", 0, start)
    aux = (REPORT / "build" / "report.aux").read_text()
    first, last = (int(re.search(r"\\newlabel\{%s\}\{\{\d+\}\{(\d+)\}" % name, aux).group(1))
                   for name in ("tab:reproduction", "end:reproduction"))
    assert last - first <= 1, f"the table runs from page {first} to page {last}"
    rows = len(re.findall(r"^\d+ & ", tex[start:tex.index(r"\end{longtable}", start)], flags=re.M))
    assert rows >= 50, rows   # the count that makes one line a row necessary


def test_a_gradient_table_entry_that_yaml_would_cut_at_a_comma_is_refused(tmp_path):
    path = tmp_path / "tables.yaml"
    path.write_text("Shi:\n  - {entry: hidden bias (listed twice, same entry), numerical: 1.0, backprop: 1.0}\n")
    with pytest.raises(ValueError, match=r"Shi entry 1 \(hidden bias \(listed twice\): unknown keys .*quote"):
        published_gradcheck(path)
    assert published_gradcheck()["Lim & Chen"][-1]["entry"].endswith("(listed twice, same entry)")
