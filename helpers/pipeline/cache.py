"""The fit cache: each job's results stored under the content key of what computes them.

Interface:
    k = key(job)                    # sha256 of the job's configurations, the course code, the data's sha256s
    load_cached(k, job) -> [Result, ...] | None    # None when absent, damaged or foreign (such an entry is removed)
    store(k, results)
    identity(config)                # what determines a fit's numbers: every Config field but ``progress``

Where: ``$WORKBOOK_CACHE``, default ``.cache/fits/`` (settings.cache_dir; `make clean-cache`
clears it). The key digests the code that computes a fit (provenance.FIT_CODE: the course package and
the stacked trainer) and nothing else: editing the rest of the pipeline, the figures or the report refits nothing.

Data only: an entry is one ``.npz`` file, written atomically, read with ``allow_pickle=False``:
its fits' weights (returned and last) packed in one flat numeric array per dtype, and everything
else (the format, the key, each fit's history, final metrics, wall time, where each of its weights
lies) as one JSON text in the array ``meta``. Loading an entry builds arrays and parses JSON,
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
    code = code or provenance.code_digest(provenance.FIT_CODE)
    content = {"configs": [identity(c) for c in job], "code": code,
               "data": sorted({d for c in job for d in DIGESTS[c.dataset].values()})}
    return hashlib.sha256(provenance.canonical(content).encode()).hexdigest()


def entry(k: str) -> Path:
    return settings.cache_dir() / k[:2] / f"{k}.npz"


def _old_entry(k: str) -> Path:
    return settings.cache_dir() / k[:2] / f"{k}.pkl"


def encode(k: str, results: list) -> bytes:
    """The bytes of an entry: numeric arrays and one JSON text, nothing a reader would execute.
    The weights of all its fits are packed into one flat array per dtype (``data.<dtype>``); the JSON
    says where each lies (name, dtype, shape, offset): two members to read, whatever the model."""
    packed, fits = {}, []

    def place(weights):
        if weights is None:
            return None
        listed = []
        for name, w in weights.items():
            w = np.asarray(w)
            if w.dtype.kind not in "fiu":
                raise TypeError(f"fit cache: {name} is a {w.dtype} array; only numbers are stored")
            parts = packed.setdefault(w.dtype.str, [])
            listed.append([name, w.dtype.str, list(w.shape), sum(p.size for p in parts)])
            parts.append(w.ravel())
        return listed
    for r in results:
        fits.append({"history": r.history, "final": r.final, "wall_time": r.wall_time,
                     "params": place(r.params), "last": place(r.last_params)})
    meta = json.dumps({"format": FORMAT, "key": k, "fits": fits}, ensure_ascii=False)
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(meta), **{f"data.{d}": np.concatenate(parts) for d, parts in packed.items()})
    return buffer.getvalue()


def decode(content: bytes, k: str, job: tuple) -> list:
    """The results an entry holds, for ``job`` (whose configurations they take); ValueError (or a
    zip/CRC error) for anything that is not such an entry."""
    with np.load(io.BytesIO(content), allow_pickle=False) as npz:
        meta = json.loads(str(npz["meta"][()]))
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("key") != k:
            raise ValueError("not an entry of this cache for this job")
        fits = meta["fits"]
        if not isinstance(fits, list) or len(fits) != len(job):
            raise ValueError(f"it holds {len(fits) if isinstance(fits, list) else 'no'} fits, the job has {len(job)}")
        data = {name[5:]: npz[name] for name in npz.files if name.startswith("data.")}
    if any(a.dtype.kind not in "fiu" or a.dtype.str != d or a.ndim != 1 for d, a in data.items()):
        raise ValueError("its weights are not flat numeric arrays")

    def weights(listed):
        if listed is None:
            return None
        out = {}
        for name, dtype, shape, offset in listed:
            size = int(np.prod(shape))
            if dtype not in data or offset < 0 or offset + size > data[dtype].size:
                raise ValueError(f"the weights {name} lie outside its arrays")
            out[name] = data[dtype][offset:offset + size].reshape(shape)
        return out
    results = []
    for i, (fit, config) in enumerate(zip(fits, job)):
        if not (isinstance(fit.get("history"), dict) and isinstance(fit.get("final"), dict)
                and isinstance(fit.get("wall_time"), (int, float))):
            raise ValueError(f"fit {i}: history, final or wall_time missing")
        results.append(train.Result(config, weights(fit["params"]), fit["history"], fit["final"],
                                    float(fit["wall_time"]), weights(fit["last"])))
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

