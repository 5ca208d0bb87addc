"""The smoke report's HTML, opened in a real browser (headless Chromium, Debian's `chromium`).

`make html SCALE=smoke` builds build/smoke/report/report.html from the executed report notebook;
the page must be whole without the network: no request other than the file itself (or data:
URIs), every image decoded, no TeX left in the text (math is MathML), every table of the
LaTeX report present, the reproduction figure leading its section. A screenshot of the first
screen is saved beside it (build/smoke/report/screenshot.png).

Locally the test skips, saying why, when Chromium (or the playwright driver) is missing; with
CI set it fails instead (.ci/run installs Chromium the way it installs TeX). Playwright only
drives the system Chromium: `playwright install` (a browser download) is never needed.
"""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ROOT / "build" / "smoke"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Tables every report has (ids in the HTML as the labels in report.tex: \label{tab:...}); the
# per-run tables are named after their runs, and must match report.tex's one for one.
TABLES = {"reproduction", "runs"}


def _missing(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"CI must check the HTML report in a browser: {reason} (see .ci/run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def page():
    """The smoke report open in headless Chromium, with what it asked the network for."""
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        _missing(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is missing (pip install -r requirements.txt)")
    done = subprocess.run(["make", "-C", str(ROOT), "html", "SCALE=smoke"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = SMOKE / "report" / "report.html"
    url = report.resolve().as_uri()
    blocked, errors = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1100, "height": 1400}, offline=True)

        def route(request_route):   # every request but the report itself is recorded and refused
            if request_route.request.url == url:
                request_route.continue_()
            else:
                blocked.append(request_route.request.url)
                request_route.abort()
        context.route("**/*", route)
        tab = context.new_page()
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tab.on("request", lambda request: None if request.url == url or request.url.startswith("data:")
               else blocked.append(request.url))
        tab.goto(url, wait_until="load")
        tab.wait_for_function("Array.from(document.images).every(img => img.complete)")
        tab.screenshot(path=str(report.with_name("screenshot.png")))
        yield {"tab": tab, "blocked": blocked, "errors": errors, "report": report}
        browser.close()


def test_no_request_leaves_the_file(page):
    assert page["blocked"] == [], f"the report asked the network for {sorted(set(page['blocked']))[:5]}"
    assert page["tab"].evaluate("document.scripts.length") == 0, "a script in the report (MathJax? a CDN?)"
    assert page["errors"] == []


def test_every_image_is_embedded_and_decoded(page):
    images = page["tab"].evaluate(
        "Array.from(document.images).map(i => [i.src.slice(0, 22), i.complete, i.naturalWidth, i.width])")
    assert len(images) >= 14, "a figure went missing"
    for src, complete, natural, shown in images:
        assert src == "data:image/png;base64," and complete and natural > 0 and shown > 0


def test_the_text_has_no_raw_tex_and_the_math_is_mathml(page):
    text = page["tab"].evaluate("document.body.innerText")
    assert not re.findall(r"\$[^$\n]+\$", text), "TeX math left as $...$ in the visible text"
    assert not re.findall(r"\\(?:begin|end|label|ref|textbf|ensuremath|caption|includegraphics|[a-z]+)\{", text), \
        "a LaTeX command left in the visible text"
    assert "\\begin" not in text and "\\pm" not in text and "\\lambda" not in text
    maths = page["tab"].evaluate("document.querySelectorAll('math').length")
    assert maths >= 20, "the equations of the Gradients section should be MathML"
    # MathML is laid out by the browser (a box with a size), not shown as source
    assert page["tab"].evaluate("document.querySelector('math').getBoundingClientRect().width") > 0
    assert "Smoke build" in text and "Abstract" in text


def test_every_table_and_figure_of_the_pdf_is_in_the_page(page):
    ids = set(page["tab"].evaluate("Array.from(document.querySelectorAll('table.booktabs')).map(t => t.id)"))
    assert {f"tab:{name}" for name in TABLES} <= ids and len(ids) >= 8
    tex = page["report"].with_name("report.tex")
    if tex.exists():   # the LaTeX export of the same executed notebook: the same tables and figures
        source = tex.read_text()
        assert ids == {f"tab:{label}" for label in re.findall(r"\\label\{tab:([^}]+)\}", source)}
        figures = page["tab"].evaluate("document.querySelectorAll('figure img').length")
        assert figures == len(re.findall(r"\\includegraphics\[", source))
    rows = page["tab"].evaluate("document.querySelectorAll('#tab\\\\:reproduction tbody tr:not(.group)').length")
    assert rows >= 40, "a published number has no row"


def test_the_reproduction_figure_leads_its_section_and_the_table_follows(page):
    order = page["tab"].evaluate("""() => {
        const heading = document.getElementById('reproduction');
        const after = el => heading.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING;
        const figure = Array.from(document.querySelectorAll('figure')).find(after);
        const table = Array.from(document.querySelectorAll('table.booktabs')).find(after);
        return [figure && figure.id, table && table.id,
                !!(figure && table && (figure.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING))];
    }""")
    assert order == ["fig:report-reproduction", "tab:reproduction", True]


def test_the_first_screen_is_saved(page):
    shot = page["report"].with_name("screenshot.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_every_table_fits_the_column_it_is_in(page):
    """No table is wider than the page's text column (none scrolls or is cut off), in particular
    the reports' own gradient-check table, whose p{} columns wrap at the PDF's widths."""
    too_wide = page["tab"].evaluate("""() => {
        const main = document.querySelector('main.report');
        const style = getComputedStyle(main);
        const column = main.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        return Array.from(document.querySelectorAll('table.booktabs'))
            .filter(t => t.getBoundingClientRect().width > column + 0.5)
            .map(t => [t.id, Math.round(t.getBoundingClientRect().width), Math.round(column)]);
    }""")
    assert too_wide == []
