"""Digests of what produced a result: a results file is tied to its inputs by construction.

Interface:
    inputs(P, notebook)      # {"run", "scale", "parameters", "parameter_file", "notebook", "helpers", "data"}
    mismatches(recorded, wanted) -> [field names that differ]
    content_digest(record)   # sha256 of a record's own content: an edited results file no longer matches it
    code_digest(paths), FIT_CODE, RUN_CODE, file_sha256(path)

What a run's record must match (else the report refuses it and names the command that
rebuilds it): the parameters it ran with (the notebook's defaults merged with its parameter
file; the file's bytes are recorded, not compared: a comment is not a change), the notebook's cells (code and markdown, not outputs or
metadata, which Jupyter rewrites on save), the code that shapes what a run writes (``RUN_CODE``:
the course package, the figures and the pipeline's run-side modules, not the progress display,
the cluster, fetching, the report or the benchmarks), the data files (sha256 of their content,
verified on every load) and the scale. A fit's cache key digests the code that computes a fit
(``FIT_CODE``): the course package and the stacked trainer (pipeline/stacked.py), nothing else.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..mnist import DIGESTS, sha256
from .names import notebook_path, parameter_file
from .settings import INTERACTIVE, ROOT

HELPERS = ROOT / "helpers"
PIPELINE = HELPERS / "pipeline"
# The code a fit's numbers depend on (the fit cache's key): the course package and the stacked
# trainer, which computes linear fits many at a time; nothing else.
FIT_CODE = tuple(sorted((*HELPERS.glob("*.py"), PIPELINE / "stacked.py")))
# Pipeline modules that do not shape what a run writes: how progress is shown, where fits run,
# how data is fetched, how fast things are, how Jupyter saves, the build's stamps step, how papermill is started.
NOT_RUN_CODE = ("progress.py", "monitor.py", "cluster.py", "fetch.py", "bench.py", "speedbench.py", "cachebench.py",
                "labbench.py", "lab.py", "resolve.py", "execute.py")
# The code a notebook run's outputs depend on: the course, the figures and the run side of the pipeline.
RUN_CODE = tuple(sorted({*FIT_CODE, *(HELPERS / "figures").glob("*.py"), HELPERS / "figures" / "workbook.mplstyle",
                         *(p for p in PIPELINE.glob("*.py") if p.name not in NOT_RUN_CODE)}))


def file_sha256(path) -> str:
    return sha256(Path(path).read_bytes())


def code_digest(paths) -> str:
    """One sha256 over the files' paths (under helpers/) and contents (order-independent)."""
    h = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        name = path.relative_to(HELPERS).as_posix() if path.is_relative_to(HELPERS) else path.name
        h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def content_digest(record: dict) -> str:
    """sha256 of a record's content (canonical JSON) without its own ``content_sha256`` field."""
    return sha256(canonical({k: v for k, v in record.items() if k != "content_sha256"}).encode())


def canonical(value) -> str:
    """JSON with sorted keys: equal values give equal text, hence equal digests."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def notebook_digest(path) -> str:
    """sha256 of a notebook's cells (type and source): outputs and metadata do not count."""
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    return sha256(canonical([[c["cell_type"], "".join(c["source"])] for c in cells]).encode())


def inputs(P: dict, notebook: str) -> dict:
    """The digests of what a run with parameters ``P`` of ``notebook`` is made from, now."""
    path = None if P["run"] == INTERACTIVE else parameter_file(P["run"])
    return {"run": P["run"], "scale": P["scale"],
            "parameters": sha256(canonical(P).encode()),
            "parameter_file": file_sha256(path) if path is not None and path.exists() else None,
            "notebook": notebook_digest(notebook_path(notebook)),
            "helpers": code_digest(RUN_CODE),
            "data": DIGESTS[P["dataset"]]}


def mismatches(recorded: dict | None, wanted: dict) -> list[str]:
    recorded = recorded or {}
    return [key for key in wanted if recorded.get(key) != wanted[key]]
