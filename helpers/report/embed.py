"""A notebook's figure in the report: the PDF for LaTeX, the PNG embedded in the HTML.

Interface:
    figure(run, name, caption, width=None, record=None, variants=None)   # Piece of figures/<run>/<name>
    LINE_WIDTH

Printed at the figure's own size (at most the line), so its text keeps the one type scale of
figures.save; the flags measured from the run's histories join the caption. Nothing in the HTML
needs the network: the PNG (written beside each PDF) is embedded.
"""
from __future__ import annotations

import base64
import html
from pathlib import Path

from ..pipeline.settings import output_root
from .flagged import flag_note, flags
from .pieces import Piece, escape, html_id

LINE_WIDTH = 6.5   # inches: the PDF's text width (A4 less 2.2 cm margins) less a little


def figure(run: str, name: str, caption: str, width: float | None = None, record: dict | None = None,
           variants=None) -> Piece:
    """figures/<run>/<name>: the PDF for LaTeX (path relative to the .tex), the PNG embedded for HTML.

    Printed at the figure's own size (at most the line; ``width``: at most that fraction of it),
    so its text keeps the one type scale of figures.save. ``record``: the run's record; each of
    its ``variants`` (default: all) whose history ``flags`` marks is named in the caption."""
    folder = output_root() / "figures" / run
    pdf, png = folder / f"{name}.pdf", folder / f"{name}.png"
    if not pdf.exists():
        raise FileNotFoundError(f"figure {pdf} is missing: rerun the notebook that makes it (`make notebooks`)")
    if not png.exists():
        raise FileNotFoundError(f"figure {png} is missing (figures.save writes it beside the PDF): `make notebooks`")
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
    markup = (f'<figure id="{html.escape(html_id(label))}"><img src="data:image/png;base64,{encoded}" '
              f'alt="{html.escape(caption)}" style="--print-width: {min(inches, limit):.2f}in"/>'
              f"<figcaption>{html_caption}</figcaption></figure>")
    return Piece(latex, markup, f"figure {run}/{name}")


def _png_width(path: Path) -> float:
    """A PNG's width in inches: pixels over its pHYs density (figures.save writes it), else savefig.dpi."""
    content = path.read_bytes()
    pixels = int.from_bytes(content[16:20], "big")
    at = content.find(b"pHYs")
    if at > 0 and content[at + 12] == 1:   # unit: metre
        return pixels / (int.from_bytes(content[at + 4:at + 8], "big") * 0.0254)
    return pixels / 200
