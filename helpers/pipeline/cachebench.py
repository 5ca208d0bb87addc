"""What the data-only fit cache costs in load time: ``n`` entries loaded in the cache's format
(cache.py: .npz + JSON) and in the pickle format it replaced, back to back (a line of `make bench`).

Interface:
    old, new = load_times(results_by_kind, n)   # seconds to load n entries in each format (best of repeats)
    python -m helpers.pipeline.cachebench       # fits a few real results, then prints the line

The old format (a header, the payload's sha256, a pickle) is rebuilt here only to be timed: its
entries are written by this process into a temporary folder and read back from there, never from a
cache folder.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from ..config import Config
from . import cache

OLD_MAGIC = b"workbook-fit-cache-1\n"


def _old_load(path: Path) -> list:
    content = path.read_bytes()
    header, _, payload = content[len(OLD_MAGIC):].partition(b"\n")
    if header.decode() != hashlib.sha256(payload).hexdigest():
        raise ValueError("checksum mismatch")
    return pickle.loads(payload)   # our own temporary file (see the module's docstring)


def load_times(samples: list, n: int = 100, repeats: int = 5) -> tuple[float, float]:
    """(old, new): the best of ``repeats`` times to load ``n`` entries, cycling through ``samples``
    ([(job, results)]), each format read back to back with the other in every repeat."""
    with tempfile.TemporaryDirectory() as folder:
        entries = []
        for i in range(n):
            job, results = samples[i % len(samples)]
            k = hashlib.sha256(f"{i}".encode()).hexdigest()
            old, new = Path(folder) / f"{k}.pkl", Path(folder) / f"{k}.npz"
            payload = pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL)
            old.write_bytes(OLD_MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
            new.write_bytes(cache.encode(k, results))
            entries.append((k, job, old, new))
        best = {"old": float("inf"), "new": float("inf")}
        for _ in range(repeats):
            start = time.perf_counter()
            for _k, _job, old, _new in entries:
                _old_load(old)
            best["old"] = min(best["old"], time.perf_counter() - start)
            start = time.perf_counter()
            for k, job, _old, new in entries:
                cache.decode(new.read_bytes(), k, job)
            best["new"] = min(best["new"], time.perf_counter() - start)
    return best["old"], best["new"]


def real_samples() -> list:
    """[(job, results)]: one real fit of each kind of model the build fits (their weights at full size:
    784 inputs), trained on 1,000 images for 30 epochs (a 31-row history), and a warm-started chain of 3."""
    from . import engine
    base = dict(n_train=1000, n_test=500, holdout="first", holdout_size=0.1, epochs=30, lr=0.05,
                batch_size=100, progress=False)
    jobs = [(Config(model="logistic", digits=(2, 3), init="zeros", **base),),
            (Config(model="softmax", init="zeros", **base),),
            (Config(model="mlp", hidden=(128,), activation="tanh", init="xavier", **base),),
            tuple(Config(model="softmax", init="zeros", l2=lam, **base) for lam in (0.1, 0.01, 0.001))]
    with tempfile.TemporaryDirectory() as folder, restored("WORKBOOK_CACHE", "WORKBOOK_ENGINE"):
        os.environ.update(WORKBOOK_CACHE=folder, WORKBOOK_ENGINE="serial")
        results = engine.run(jobs, log=lambda *_: None, quiet=True)
    return list(zip(jobs, results))


@contextmanager
def restored(*names: str):
    """The environment variables ``names`` as they were once the block ends (timed fits use caches of their own)."""
    saved = {name: os.environ.get(name) for name in names}
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None) if value is None else os.environ.__setitem__(name, value)


def line(n: int = 100) -> str:
    old, new = load_times(real_samples(), n)
    return (f"fit cache: {n} entries load in {new * 1000:.0f} ms as .npz + JSON, {old * 1000:.0f} ms in the old "
            f"pickle format: {new / old:.2f} x the old time")


if __name__ == "__main__":
    print(line())
