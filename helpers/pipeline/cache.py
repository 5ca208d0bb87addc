"""The fit cache: each job's results stored under the content key of what computes them.

Interface:
    k = key(job)                    # sha256 of the job's configurations, the course code, the data's sha256s
    load_cached(k, job) -> [Result, ...] | None    # None when absent or damaged (a damaged entry is removed)
    store(k, results)
    identity(config)                # what determines a fit's numbers: every Config field but ``progress``

Where: ``$WORKBOOK_CACHE``, default ``.cache/fits/`` (settings.cache_dir; `make clean-cache`
clears it). The key digests the course package (provenance.COURSE_CODE) and nothing else of
the code: editing the pipeline, the figures or the report refits nothing. Entries are written
atomically with a sha256 of their payload and checked on every read: a damaged entry is
recomputed, never used.
"""
from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

from .. import train
from ..config import Config
from ..mnist import DIGESTS
from . import provenance, settings
from .files import atomic_write

MAGIC = b"workbook-fit-cache-1\n"


def identity(config: Config) -> dict:
    """What determines a fit's numbers: every field but the progress bar."""
    return {k: v for k, v in config.to_dict().items() if k != "progress"}


def key(job: tuple, code: str | None = None) -> str:
    """``code``: the training code's digest, when the caller has it (run() reads the files once)."""
    code = code or provenance.code_digest(provenance.COURSE_CODE)
    content = {"configs": [identity(c) for c in job], "code": code,
               "data": sorted({d for c in job for d in DIGESTS[c.dataset].values()})}
    return hashlib.sha256(provenance.canonical(content).encode()).hexdigest()


def _entry(k: str) -> Path:
    return settings.cache_dir() / k[:2] / f"{k}.pkl"


def load_cached(k: str, job: tuple, log=print) -> list | None:
    """The cached results of ``job``, or None when absent or damaged (a damaged entry is removed)."""
    path = _entry(k)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return None
    header, _, payload = content[len(MAGIC):].partition(b"\n")
    try:
        if not content.startswith(MAGIC) or header.decode() != hashlib.sha256(payload).hexdigest():
            raise ValueError("checksum mismatch")
        results = pickle.loads(payload)
        if not (isinstance(results, list) and len(results) == len(job)
                and all(isinstance(r, train.Result) for r in results)):
            raise ValueError("unexpected content")
    except Exception as error:  # noqa: BLE001 - any damage means: recompute
        log(f"engine: cache entry {path} is damaged ({error}); recomputing it")
        path.unlink(missing_ok=True)
        return None
    for result, config in zip(results, job):
        result.config = config  # the same fit; keep the caller's progress setting
    return results


def store(k: str, results: list) -> None:
    payload = pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL)
    atomic_write(_entry(k), MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
