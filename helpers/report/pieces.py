"""The report's pieces: each one object in two forms, LaTeX for the PDF and HTML for the page.

Interface:
    Piece(latex, html, name)     # LaTeX (it is that str) with an HTML twin: text/latex and text/html
    Text(markdown, html)         # markdown (Greek escaped for LaTeX) with an HTML twin: text/markdown and text/html
    text(markdown)               # a paragraph (Text); abstract(markdown): the abstract (Piece)
    markdown_html(markdown)      # HTML with the math as MathML (pandoc, no network)
    escape(text), escape_markdown(text)   # plain text as LaTeX; markdown with Greek as \\ensuremath
    code(text)                   # a cell in typewriter type
    tabular(header, rows, caption, label, ...)   # a booktabs table (a longtable past LONG_TABLE rows) and its HTML
    html_id(text)                # a label as an HTML id

nbconvert's LaTeX exporter takes text/latex (else text/markdown, which pandoc turns into LaTeX,
Greek as ``\\ensuremath``), its HTML exporter text/html: one executed notebook, two exports.
"""
from __future__ import annotations

import html
import re

_GREEK = {"λ": "$\\lambda$", "η": "$\\eta$", "γ": "$\\gamma$", "±": "$\\pm$", "‖": "$\\|$", "−": "$-$",
          "ε": "$\\varepsilon$", "×": "$\\times$", "σ": "$\\sigma$", "′": "$'$", "≤": "$\\le$", "≥": "$\\ge$",
          "…": "\\ldots{}", "→": "$\\to$", "μ": "$\\mu$", "²": "$^2$", "–": "--"}
_SPECIAL = {"\\": "\\textbackslash{}", "&": "\\&", "%": "\\%", "$": "\\$", "#": "\\#", "_": "\\_",
            "{": "\\{", "}": "\\}", "~": "\\textasciitilde{}", "^": "\\textasciicircum{}"}
_MARKDOWN = "markdown+lists_without_preceding_blankline"   # what nbconvert hands pandoc
LONG_TABLE = 32   # rows: a longer table becomes a longtable, which breaks across pages


def escape(text) -> str:
    """Plain text (with λ, η, γ, ±...) as LaTeX text: specials escaped, Greek as math."""
    return "".join(_GREEK.get(ch, _SPECIAL.get(ch, ch)) for ch in str(text))


def escape_markdown(text: str) -> str:
    """Markdown for pandoc with Greek letters and ± as raw LaTeX math (the text font has no Greek).
    ``\\ensuremath{..}``, not ``$..$``: pandoc ignores a closing $ followed by a digit ("$\\eta$0")."""
    return "".join(f"\\ensuremath{{{_GREEK[ch].strip('$')}}}" if ch in _GREEK and _GREEK[ch].startswith("$")
                   else ch for ch in text)


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


def code(text_: str) -> Piece:
    """A cell in typewriter type (a digest)."""
    return Piece(f"\\texttt{{{escape(text_)}}}", f"<code>{html.escape(text_)}</code>", "code")


def html_id(text_: str) -> str:
    """A LaTeX label as an HTML id: anything but letters, digits and :_- becomes a hyphen."""
    return re.sub(r"[^A-Za-z0-9:_-]+", "-", text_)


def _cell_latex(cell) -> str:
    return str.__str__(cell) if isinstance(cell, Piece) else escape(cell)


def _cell_html(cell) -> str:
    return cell.html if isinstance(cell, Piece) else html.escape(str(cell))


def tabular(header: list, rows: list, caption: str, label: str, align: str | None = None,
            size: str = "\\small", flagged=(), tabcolsep: str | None = None, landscape: bool = False) -> Piece:
    """A booktabs table in LaTeX and the same table in HTML. Cells are plain text (escaped here
    for each form) or Pieces (``code``); a row that is a str, not a list, heads a group of rows.
    ``flagged``: indices of rows whose run a history check flagged (marked in HTML);
    ``tabcolsep``: narrower column gaps for a wide table (LaTeX's default is 6pt); ``landscape``: a
    long table on pages of its own turned sideways in the PDF (pdflscape), its wide p{} column kept
    to 4 cm in HTML. A long table's last row carries the label ``end:<label>`` (the page it ends on)."""
    columns = re.findall(r"p\{[^}]*\}|[lrc]", align or "l" + "r" * (len(header) - 1))
    n = len(columns)
    html_columns = [re.sub(r"p\{.*\}", "p{4cm}", c) for c in columns] if landscape else columns
    latex_rows, html_rows = [], []
    for i, row in enumerate(rows):
        if isinstance(row, str):
            latex_rows.append(("\\midrule\n" if latex_rows else "") + f"\\multicolumn{{{n}}}{{l}}{{\\textbf{{{escape(row)}}}}} \\\\")
            html_rows.append(f'<tr class="group"><th colspan="{n}">{html.escape(row)}</th></tr>')
            continue
        latex_rows.append(" & ".join(_cell_latex(c) for c in row) + " \\\\")
        cells = "".join(f'<td {_html_column(c)}>{_cell_html(v)}</td>' for c, v in zip(html_columns, row))
        html_rows.append(f'<tr class="flagged">{cells}</tr>' if i in flagged else f"<tr>{cells}</tr>")
    size += f"\n\\setlength{{\\tabcolsep}}{{{tabcolsep}}}" if tabcolsep else ""
    heads = " & ".join(_cell_latex(h) for h in header) + " \\\\"
    body = "\n".join(latex_rows)
    if len(rows) > LONG_TABLE:   # a float cannot break across pages: a longtable, its head repeated
        body = body.removesuffix(" \\\\") + f"\\label{{end:{label}}} \\\\"
        latex = (f"{{{size}\n\\begin{{longtable}}{{{''.join(columns)}}}\n\\caption{{{escape(caption)}}}\\label{{tab:{label}}}\\\\\n"
                 f"\\toprule\n{heads}\n\\midrule\n\\endfirsthead\n"
                 f"\\multicolumn{{{n}}}{{l}}{{\\emph{{Table \\thetable{{}} (continued)}}}} \\\\\n\\toprule\n{heads}\n\\midrule\n\\endhead\n"
                 f"\\bottomrule\n\\endlastfoot\n{body}\n\\end{{longtable}}}}\n")
        latex = f"\\begin{{landscape}}\n{latex}\\end{{landscape}}\n" if landscape else latex
    else:
        latex = (f"\\begin{{table}}[H]\n\\centering\n{size}\n\\caption{{{escape(caption)}}}\n\\label{{tab:{label}}}\n"
                 f"\\begin{{tabular}}{{{''.join(columns)}}}\n\\toprule\n{heads}\n"
                 f"\\midrule\n{body}\n\\bottomrule\n\\end{{tabular}}\n\\end{{table}}\n")
    head = "".join(f'<th {_html_column(c)}>{_cell_html(h)}</th>' for c, h in zip(html_columns, header))
    wide = " wide" if n >= 8 else ""
    markup = (f'<table class="booktabs{wide}" id="tab:{html.escape(label)}"><caption>{html.escape(caption)}</caption>'
              f"<thead><tr>{head}</tr></thead><tbody>{''.join(html_rows)}</tbody></table>")
    return Piece(latex, markup, f"table {label}")


def _html_column(column: str) -> str:
    """A column's HTML class, and for a LaTeX p{width} column the same width as its minimum (the
    text wraps there in both forms, so a table fits the page's column in HTML as in the PDF)."""
    return f'class="p" style="min-width: {column[2:-1]}"' if column.startswith("p{") else f'class="{column}"'
