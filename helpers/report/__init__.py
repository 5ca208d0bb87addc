"""The report's pieces, built from the records of this build, each in two forms: ``from helpers import report``.

Every piece the report notebook shows with ``display(piece)`` is LaTeX with an HTML twin (a
``Piece``) or markdown with an HTML twin (a ``Text``): one executed notebook, two exports.
    records = report.load_records(scale)                             # build: {run: record}, refused when stale
    report.figure(run, name, caption, record=records[run])           # embed: flags from the histories in the caption
    report.summary_table(record, metrics, caption); report.run_table(records)   # tables (also number, gradcheck_table)
    rows = reproduction.compare_all(records, entries, report.n_test) # helpers.report.reproduction: the judgement
    report.reproduction_figure(rows); table, gaps = report.reproduction_table(rows); report.gap_notes(rows)
    report.text(markdown); report.abstract(markdown)                 # pieces
Submodules: ``report.reproduction`` (the judgement), ``report.best`` (the search's section; its times: ``report.search_time``) and
``report.precision`` (the appendix: every row judged in float32 and in float64);
the others: pieces, flagged, embed, tables, facts, reproduction_view, build.
"""
from . import best, reproduction
from .build import load_records
from .embed import figure
from .facts import DATA_RUN, data_facts, data_record, environment, n_test
from .flagged import flag_note, flags
from .pieces import LONG_TABLE, Piece, Text, abstract, code, escape, escape_markdown, tabular, text
from .reproduction_view import gap_notes, gradcheck_verdict, reproduction_figure, reproduction_rows, reproduction_table
from .tables import METRICS, gradcheck_table, number, published_gradcheck_table, run_table, summary_table

__all__ = ["DATA_RUN", "LONG_TABLE", "METRICS", "Piece", "Text", "abstract", "best", "code", "data_facts",
           "data_record", "environment", "escape", "escape_markdown", "figure", "flag_note", "flags", "gap_notes",
           "gradcheck_table", "gradcheck_verdict", "load_records", "n_test", "number", "published_gradcheck_table",
           "reproduction", "reproduction_figure", "reproduction_rows", "reproduction_table", "run_table",
           "summary_table", "tabular", "text"]
