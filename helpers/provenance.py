"""Digests of what produced a result: a results file is tied to its inputs by construction.

Interface:
    inputs(P, notebook)      # {"run", "scale", "parameters", "parameter_file", "notebook", "helpers", "data"}
    expected(run, scale)     # the same for a pipeline run from the files as they are now
    mismatches(recorded, wanted) -> [field names that differ]
    content_digest(record)   # sha256 of a record's own content: an edited results file no longer matches it
    code_digest(paths), TRAINING_CODE, RUN_CODE, file_sha256(path)

What a run's record must match (else the report refuses it and names the command that
rebuilds it): the parameters it ran with (the notebook's defaults merged with its parameter
file; the file's bytes are recorded, not compared: a comment is not a change), the notebook's cells (code and markdown, not outputs or
metadata, which Jupyter rewrites on save), the code in ``helpers/`` a run imports, the
data files (sha256 of their content, verified on every load) and the scale.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .fetch import DIGESTS

HELPERS = Path(__file__).resolve().parent
# The code a fit's numbers depend on (the fit cache's key): not plots, reports or plumbing.
TRAINING_CODE = tuple(HELPERS / f"{m}.py" for m in
                      ("activations", "config", "data", "fetch", "idx", "losses", "models", "optim", "train"))
# The code a notebook run imports: everything but the report builders and the benchmark.
RUN_CODE = tuple(sorted(p for p in (*HELPERS.glob("*.py"), HELPERS / "workbook.mplstyle")
                        if p.name not in ("report.py", "report_best.py", "bench.py", "__main__.py")))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path) -> str:
    return sha256(Path(path).read_bytes())


def code_digest(paths) -> str:
    """One sha256 over the files' names and contents (order-independent)."""
    h = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
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
    from .runs import INTERACTIVE, notebook_path, parameter_file
    path = None if P["run"] == INTERACTIVE else parameter_file(P["run"])
    return {"run": P["run"], "scale": P["scale"],
            "parameters": sha256(canonical(P).encode()),
            "parameter_file": file_sha256(path) if path is not None and path.exists() else None,
            "notebook": notebook_digest(notebook_path(notebook)),
            "helpers": code_digest(RUN_CODE),
            "data": DIGESTS[P["dataset"]]}


def expected(run: str, scale: str) -> dict:
    """What a pipeline run's record must hold to count as made from the current files.

    Not the parameter file's bytes (the record keeps them): a comment edited there changes
    nothing that runs, and make, which compares the effective parameters, reruns nothing."""
    from .runs import effective, notebook_of, parameter_file
    wanted = inputs(effective(parameter_file(run), scale), notebook_of(run))
    del wanted["parameter_file"]
    return wanted


def mismatches(recorded: dict | None, wanted: dict) -> list[str]:
    recorded = recorded or {}
    return [key for key in wanted if recorded.get(key) != wanted[key]]
