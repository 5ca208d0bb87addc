"""Where the pipeline reads and writes, and the environment settings it takes: the one place
each is derived (a leaf: it imports nothing of the project).

Paths: ``ROOT`` (the repository), ``NOTEBOOKS``; ``INTERACTIVE``, the ``run`` of a notebook
opened in Jupyter rather than run by the pipeline.
Environment (read when asked, so a test or a build may set them):
    WORKBOOK_OUTPUT           output_root(): where this process writes (set by the Makefile)
    WORKBOOK_CACHE            cache_dir(): the fit cache (default .cache/fits)
    WORKBOOK_ENGINE           serial(): "serial" runs fits in this process, else on Dask
    WORKBOOK_WORKERS          workers_text(): worker processes of a local cluster
    WORKBOOK_CONNECT_TIMEOUT  connect_timeout(): seconds to reach a scheduler
    WORKBOOK_STUDY_STORAGE    study_storage(scale): the search's Optuna storage
    WORKBOOK_BUILD_LOG        build_log(): where the build's fit phase is recorded
    DASK_SCHEDULER_ADDRESS    scheduler_address(): a cluster to use (None: start a local one)
    MNIST_DATA_DIR            where the data is: read by the course package (helpers.mnist.data_dir_setting)
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
INTERACTIVE = "interactive"          # the notebooks' default `run`: a Jupyter session, not the pipeline
SCALES = ("full", "smoke")


def pipeline_root(scale: str) -> Path:
    """Where the pipeline writes a build of ``scale``: the repository, or build/smoke/."""
    return ROOT if scale == "full" else ROOT / "build" / "smoke"


def in_pipeline() -> bool:
    """Is this process part of a build (the Makefile sets WORKBOOK_OUTPUT)?"""
    return "WORKBOOK_OUTPUT" in os.environ


def output_root() -> Path:
    """Where this process writes: ``$WORKBOOK_OUTPUT`` (the pipeline) or build/interactive/."""
    env = os.environ.get("WORKBOOK_OUTPUT")
    return Path(env) if env else ROOT / "build" / INTERACTIVE


def cache_dir() -> Path:
    return Path(os.environ.get("WORKBOOK_CACHE", ROOT / ".cache" / "fits"))


def serial() -> bool:
    return os.environ.get("WORKBOOK_ENGINE", "dask") == "serial"


def scheduler_address() -> str | None:
    return os.environ.get("DASK_SCHEDULER_ADDRESS") or None


def workers_text() -> str | None:
    return os.environ.get("WORKBOOK_WORKERS")


def connect_timeout() -> float:
    return float(os.environ.get("WORKBOOK_CONNECT_TIMEOUT", 20))


def study_storage(scale: str) -> str:
    """$WORKBOOK_STUDY_STORAGE (any Optuna storage URL), else SQLite in .cache/studies/<scale>.sqlite3."""
    url = os.environ.get("WORKBOOK_STUDY_STORAGE")
    if url:
        return url
    path = ROOT / ".cache" / "studies" / f"{scale}.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def build_log() -> Path:
    return Path(os.environ.get("WORKBOOK_BUILD_LOG") or ROOT / "build" / "fit-phase.json")


def cluster_log() -> Path:
    return ROOT / "build" / INTERACTIVE / "cluster.log"
