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
GRID_DIR = NOTEBOOKS / "runs-grid"   # inferred-hypothesis grids (`make report` builds them first): in the report when current


def load_records(scale: str = "full", runs_dir=RUNS_DIR, grid_dir=GRID_DIR, log=print) -> dict:
    """{run: record} for every parameter file in ``runs_dir``; each record is refused (StaleResultsError,
    naming the command that rebuilds it) unless it was made from the current inputs at ``scale``. Plus
    each run of ``grid_dir`` that was built from the current inputs (`make report` builds them first): one that is missing
    or stale is left out, and a stale one is named with the command that rebuilds it."""
    records = results.load_all(runs_dir, scale)
    for path in sorted(grid_dir.glob("*/*.yaml")) if grid_dir else []:
        run = results.run_id(path)
        try:
            records[run] = results.read_results(run, scale)
        except results.StaleResultsError as error:
            if "no results for run" not in str(error):
                log(f"left out of the report: {error}")
    return records


def stable_ids(path) -> None:
    """Number the cells of an executed notebook (cell-0, cell-1, ...) in place: papermill and
    nbformat give cells random ids, which would change the HTML export's bytes on every build."""
    import nbformat
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"
    nbformat.write(nb, path)
