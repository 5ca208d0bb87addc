"""Results files and figures: written together and atomically, read only when still current.

Interface:
    figure_path(P, "curves")             # where a notebook saves a figure (staged until the run succeeds)
    write_results(P, summary, runs, extra=None, sources=())   # figures + results, atomically (wall time from P.started)
    read_results(run, scale)             # a pipeline run's record, refused unless made from the current files
    expected(run, scale, root)           # what that record must hold: the inputs the build's stamps step resolved
    results_file(run, root=None)

Where: the pipeline (the Makefile) sets ``$WORKBOOK_OUTPUT`` (the repository at full scale,
``build/smoke/`` at smoke scale); a notebook run anywhere else (JupyterLab, a script)
writes under ``build/interactive/``, so it can never overwrite what the report reads.

A record holds the run's parameters, per-seed results, summary and ``provenance``: the
digests of its inputs (provenance.py) and of every figure it wrote, plus, for runs that read
other runs, the digests of those results files; and ``content_sha256``, the digest of all of
that. ``read_results`` recomputes what the record should hold from the files as they are
(and its digest from its content) and refuses a record that differs, naming the run, what
changed and the command that reruns it (``make rerun RUN=<run>``). A failed run writes
nothing: its figures wait in ``build/staging/<pid>/`` (one folder per process, so two builds
never share one) and replace the old ones only with the new results.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from . import provenance
from .files import atomic_write
from . import resolve
from .names import no_such_run, notebook_path, parameter_file, run_id
from .settings import INTERACTIVE, in_pipeline, output_root, pipeline_root


WHAT = {"scale": "the scale (the record's is another)", "parameters": "its effective parameters",
        "parameter_file": "its parameter file", "notebook": "its notebook's cells", "helpers": "the helpers code",
        "data": "the data files", "run": "its name"}


class StaleResultsError(RuntimeError):
    """A results file that is missing, or was not made from the current inputs."""


def _run_dir(P) -> str:
    """Where a run's files go: its name, or interactive/<notebook> for a Jupyter session."""
    return f"{INTERACTIVE}/{P.notebook}" if P["run"] == INTERACTIVE else P["run"]


def results_file(run: str, root: Path | None = None) -> Path:
    return (root or output_root()) / "build" / "results" / f"{run}.json"


def figure_dir(run: str, root: Path | None = None) -> Path:
    return (root or output_root()) / "figures" / run


def _staging_root() -> Path:
    return output_root() / "build" / "staging"


def _staging(P: dict) -> Path:
    """This process's staging folder for the run: two builds running at once never share one."""
    return _staging_root() / str(os.getpid()) / _run_dir(P)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (its staging folder may be in use)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:     # someone else's process
        return True
    return True


def start_run(P) -> None:
    """A run begins: what a failed run of the same name staged is not this run's, and what
    processes that have ended (a killed build) staged is removed."""
    shutil.rmtree(_staging(P), ignore_errors=True)
    for folder in _staging_root().glob("*"):
        if folder.name.isdigit() and not _alive(int(folder.name)):
            shutil.rmtree(folder, ignore_errors=True)


def figure_path(P: dict, name: str) -> Path:
    """Where to save figure ``name`` (figures.save adds .pdf and .png); it joins figures/<run>/
    when write_results succeeds."""
    return _staging(P) / name


def rebuild_command(run: str, scale: str) -> str:
    """The command that reruns ``run`` whatever make thinks of it (so it fixes an edited record or figure too)."""
    return f"make rerun RUN={run}" + (" SCALE=smoke" if scale == "smoke" else "")


def _strict_json(record: dict) -> bytes:
    try:
        return json.dumps(record, indent=1, allow_nan=False, ensure_ascii=False).encode()
    except ValueError:
        raise ValueError(f"run {record['run']}: a result is NaN or infinite; not written "
                         "(a diverged fit should have raised: report this)") from None


def write_results(P, summary: dict, runs: dict, extra: dict | None = None,
                  sources=()) -> Path:
    """Promote the staged figures to figures/<run>/ and write the record, both atomically.

    ``runs``: {variant: [train.Result per seed]}; ``sources``: records this run read (their
    files' digests are recorded, so a changed source makes this record stale too).
    """
    run = _run_dir(P)
    staged, final = _staging(P), figure_dir(run)
    figures = {p.name: provenance.file_sha256(p) for p in sorted(staged.glob("*"))} if staged.exists() else {}
    record = {"run": P["run"], "parameters": dict(P),
              "provenance": {**P.inputs, "figures": figures,
                             "sources": {r["run"]: r["digest"] for r in sources}},
              "summary": summary, "extra": extra or {}, "wall_time": time.perf_counter() - P.started,
              "runs": {name: [r.to_json() for r in results] for name, results in runs.items()}}
    content = _strict_json(record)
    record = json.loads(content)            # the digest of what a reader will parse
    content = _strict_json({**record, "content_sha256": provenance.content_digest(record)})
    path = results_file(run)
    old = final.with_name(final.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    final.parent.mkdir(parents=True, exist_ok=True)
    if staged.exists():
        staged.rename(final)
    else:
        final.mkdir()
    atomic_write(path, content)
    shutil.rmtree(old, ignore_errors=True)
    _remove_empty_parents(staged, _staging_root())
    return path


def _remove_empty_parents(folder: Path, root: Path) -> None:
    """Remove ``folder``'s now empty parents up to (not including) ``root``."""
    for parent in folder.parents:
        if parent == root or not parent.is_relative_to(root):
            return
        try:
            parent.rmdir()
        except OSError:         # not empty: another run's staging
            return


def read_results(run: str, scale: str = "full", root: Path | None = None) -> dict:
    """The record of pipeline run ``run`` at ``scale``, checked against the current inputs.

    ``root``: where the pipeline wrote it (default: where this process writes if that is the
    pipeline, else the pipeline's folder for ``scale``). The returned record carries
    ``digest``: the sha256 of its file, for runs that read it (write_results ``sources``).
    """
    if root is None:
        root = output_root() if in_pipeline() else pipeline_root(scale)
    path = results_file(run, root)
    unknown = no_such_run(run)
    if unknown:
        raise StaleResultsError(f"no results for run {run!r}: {unknown}")
    fix = f"rebuild it: `{rebuild_command(run, scale)}`"
    if not path.exists():
        raise StaleResultsError(f"no results for run {run!r} at {path}: {fix}")
    content = path.read_bytes()
    record = _parse(content, run, path, fix)
    recorded = record.get("provenance") or {}
    try:
        wanted = expected(run, scale, root)
    except ValueError as error:
        raise StaleResultsError(f"run {run!r}: {error}; {fix}") from None
    changed = provenance.mismatches(recorded, wanted)
    if changed:
        what = ", ".join(WHAT.get(c, c) for c in changed)
        raise StaleResultsError(f"run {run!r}: {path} was not made from the current inputs ({what} changed "
                                f"since); {fix}")
    figures = figure_dir(run, root)
    for name, digest in recorded.get("figures", {}).items():
        if not (figures / name).exists() or provenance.file_sha256(figures / name) != digest:
            raise StaleResultsError(f"run {run!r}: figure {figures / name} is missing or not the one its results "
                                    f"were made with; {fix}")
    for source, digest in recorded.get("sources", {}).items():
        current = results_file(source, root)
        if not current.exists() or provenance.file_sha256(current) != digest:
            raise StaleResultsError(f"run {run!r} read {source}, whose results have changed since; {fix}")
    record["digest"] = provenance.sha256(content)
    return record


def expected(run: str, scale: str, root: Path) -> dict:
    """What a pipeline run's record must hold to count as made from the current files: the inputs
    the build's stamps step resolved for it (resolve.load_resolved), at ``scale``.

    The parameter file's bytes are recorded, not compared (a comment edited there changes nothing
    that runs). Files changed since that step (a Jupyter reader between two builds) are refused:
    the run must be resolved again (``changed_since``)."""
    resolved = resolve.load_resolved(run, root)
    wanted = {**resolved["inputs"], "scale": scale}
    changed = changed_since(resolved)
    if changed:
        raise ValueError(f"{' and '.join(changed)} changed since the build resolved it")
    del wanted["parameter_file"]
    return wanted


def changed_since(resolved: dict) -> list[str]:
    """Which of a resolved run's input files differ now: its parameter file, its notebook's cells, the
    code its outputs depend on (digests of files: no parameter file is read or validated)."""
    inputs, path = resolved["inputs"], parameter_file(resolved["run"])
    now = {"parameter_file": provenance.file_sha256(path) if path.exists() else None,
           "notebook": provenance.notebook_digest(notebook_path(resolved["notebook"])),
           "helpers": provenance.code_digest(provenance.RUN_CODE)}
    return [WHAT[key] for key, digest in now.items() if inputs.get(key) != digest]


def _parse(content: bytes, run: str, path: Path, fix: str) -> dict:
    """A results file's record, refused unless its content is what the run wrote (its ``content_sha256``)."""
    try:
        record = json.loads(content)
    except ValueError as error:
        raise StaleResultsError(f"run {run!r}: {path} is not a results file ({error}); {fix}") from None
    if not isinstance(record, dict) or record.get("content_sha256") != provenance.content_digest(record):
        raise StaleResultsError(f"run {run!r}: {path} was changed after the run wrote it (its content no longer "
                                f"matches its content_sha256); {fix}")
    return record


def load_all(runs_dir, scale: str, root: Path | None = None) -> dict:
    """{run: record} for every parameter file in ``runs_dir`` (each checked by read_results)."""
    paths = sorted(Path(runs_dir).glob("*/*.yaml"))
    if not paths:
        raise FileNotFoundError(f"no parameter files in {runs_dir}")
    records = {}
    for path in paths:
        run = run_id(path)
        records[run] = read_results(run, scale, root)
    return records
