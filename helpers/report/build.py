"""The report's records, and the executed report notebook made reproducible.

Interface:
    records = load_records(scale)   # {run: record} for every parameter file in notebooks/runs, refused when stale
    stable_ids(path)                # number an executed notebook's cells in place (cell-0, cell-1, ...)
    python -m helpers.report stable-ids FILE   # the same, from the Makefile
    RUNS_DIR

Numbers are never typed in the report: they are read from these records. The published numbers
(SPEC.md) live in one YAML file (helpers.pipeline.published); each is compared with the same
variant and metric here (report.reproduction).
"""
from __future__ import annotations

from ..pipeline import results
from ..pipeline.settings import NOTEBOOKS

RUNS_DIR = NOTEBOOKS / "runs"


def load_records(scale: str = "full", runs_dir=RUNS_DIR) -> dict:
    """{run: record} for every parameter file in ``runs_dir``; each record is refused (StaleResultsError,
    naming the command that rebuilds it) unless it was made from the current inputs at ``scale``."""
    return results.load_all(runs_dir, scale)


def stable_ids(path) -> None:
    """Number the cells of an executed notebook (cell-0, cell-1, ...) in place: papermill and
    nbformat give cells random ids, which would change the HTML export's bytes on every build."""
    import nbformat
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"
    nbformat.write(nb, path)
