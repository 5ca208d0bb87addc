"""The fit cache: each job's results stored under the content key of what computes them.

Interface:
    k = key(job)                    # sha256 of the job's configurations, the course code, the data's sha256s
    load_cached(k, job) -> [Result, ...] | None    # None when absent, damaged or foreign (such an entry is removed)
    store(k, results)
    identity(config)                # what determines a fit's numbers: every Config field but ``progress``

Where: ``$WORKBOOK_CACHE``, default ``.cache/fits/`` (settings.cache_dir; `make clean-cache`
clears it). The key digests the course package (provenance.COURSE_CODE) and nothing else of
the code: editing the pipeline, the figures or the report refits nothing.

Data only: an entry is one ``.npz`` file, written atomically, read with ``allow_pickle=False``:
each fit's weights as plain numeric arrays (``<fit>.params.<name>``, ``<fit>.last.<name>``) and
everything else (the format, the key, each fit's history, final metrics, wall time, which weights
it holds) as one JSON text in the array ``meta``. Loading an entry builds arrays and parses JSON,
nothing else: a file planted in a shared cache folder can make a build recompute a fit, never run
code. The zip's CRC-32 of every member is checked on read; an entry that does not open, fails a
check or is another job's (its key, its number of fits) is removed and recomputed, with one line
saying so. Entries of the old pickle format (``<key>.pkl``) are never opened: they are removed.
"""
from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np

from .. import train
from ..config import Config
from ..mnist import DIGESTS
from . import provenance, settings
from .files import atomic_write

FORMAT = "workbook-fit-cache-2"


def identity(config: Config) -> dict:
    """What determines a fit's numbers: every field but the progress bar."""
    return {k: v for k, v in config.to_dict().items() if k != "progress"}


def key(job: tuple, code: str | None = None) -> str:
    """``code``: the training code's digest, when the caller has it (run() reads the files once)."""
    code = code or provenance.code_digest(provenance.COURSE_CODE)
    content = {"configs": [identity(c) for c in job], "code": code,
               "data": sorted({d for c in job for d in DIGESTS[c.dataset].values()})}
    return hashlib.sha256(provenance.canonical(content).encode()).hexdigest()


def entry(k: str) -> Path:
    return settings.cache_dir() / k[:2] / f"{k}.npz"


def _old_entry(k: str) -> Path:
    return settings.cache_dir() / k[:2] / f"{k}.pkl"


def encode(k: str, results: list) -> bytes:
    """The bytes of an entry: numeric arrays and one JSON text, nothing a reader would execute."""
    arrays, fits = {}, []
    for i, r in enumerate(results):
        for part, weights in (("params", r.params), ("last", r.last_params)):
            for name, w in (weights or {}).items():
                arrays[f"{i}.{part}.{name}"] = np.asarray(w)
        fits.append({"history": r.history, "final": r.final, "wall_time": r.wall_time,
                     "params": list(r.params), "last": None if r.last_params is None else list(r.last_params)})
    meta = json.dumps({"format": FORMAT, "key": k, "fits": fits}, ensure_ascii=False)
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(meta), **arrays)
    return buffer.getvalue()


def decode(content: bytes, k: str, job: tuple) -> list:
    """The results an entry holds, for ``job`` (whose configurations they take); ValueError (or a
    zip/CRC error) for anything that is not such an entry."""
    with np.load(io.BytesIO(content), allow_pickle=False) as npz:
        names = set(npz.files)
        meta = json.loads(str(npz["meta"][()]))
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("key") != k:
            raise ValueError("not an entry of this cache for this job")
        fits = meta["fits"]
        if not isinstance(fits, list) or len(fits) != len(job):
            raise ValueError(f"it holds {len(fits) if isinstance(fits, list) else 'no'} fits, the job has {len(job)}")

        def weights(i, part, listed):
            if listed is None:
                return None
            wanted = {f"{i}.{part}.{name}" for name in listed}
            if not wanted <= names:
                raise ValueError(f"fit {i} lacks its {part} arrays")
            out = {name: npz[f"{i}.{part}.{name}"] for name in listed}
            if any(w.dtype.kind not in "fiu" for w in out.values()):
                raise ValueError(f"fit {i}: a {part} array is not numeric")
            return out
        results = []
        for i, (fit, config) in enumerate(zip(fits, job)):
            if not (isinstance(fit.get("history"), dict) and isinstance(fit.get("final"), dict)
                    and isinstance(fit.get("wall_time"), (int, float))):
                raise ValueError(f"fit {i}: history, final or wall_time missing")
            results.append(train.Result(config, weights(i, "params", fit["params"]), fit["history"], fit["final"],
                                        float(fit["wall_time"]), weights(i, "last", fit["last"])))
    return results


def load_cached(k: str, job: tuple, log=print) -> list | None:
    """The cached results of ``job`` (with the caller's configurations, progress setting included),
    or None when absent, damaged or foreign (such an entry is removed)."""
    old = _old_entry(k)
    if old.exists():   # never opened: a pickle can run code when it is loaded
        old.unlink(missing_ok=True)
        log(f"engine: cache entry {old} is in the old pickle format, which is never loaded; removed it, recomputing")
    path = entry(k)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return decode(content, k, job)
    except Exception as error:  # noqa: BLE001 - any damage means: recompute
        reason = str(error) or type(error).__name__
        log(f"engine: cache entry {path} is damaged or not a fit-cache entry ({reason}); recomputing it")
        path.unlink(missing_ok=True)
        return None


def store(k: str, results: list) -> None:
    atomic_write(entry(k), encode(k, results))


def cached(k: str) -> bool:
    """Is there an entry for key ``k`` (not opened: the estimate of a build asks this of every planned fit)?"""
    return entry(k).exists()

