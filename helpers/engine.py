"""Fits as tasks: each fit (or warm-started chain of fits) is one Dask task, cached by content.

Interface:
    results = run(jobs, labels)     # jobs: [(Config, ...)], one tuple per task; -> [[Result, ...]] in order
    client()                        # the Dask client fits run on (started on first use)
    key(job)                        # the content key of a job: its cache entry and its Dask task name
    python -m helpers.engine -- CMD...   # run CMD with a local cluster shared through DASK_SCHEDULER_ADDRESS

A job is a tuple of configurations: one fit, or a chain that warm-starts each fit from the
previous one's weights (train.sweep). Where fits run:
  - ``$DASK_SCHEDULER_ADDRESS`` (Dask's own convention) names a running scheduler: the fits
    go there (a cluster, or the one `make` starts for a whole build);
  - otherwise a local cluster is started on first use, one single-threaded worker process
    per core (``$WORKBOOK_WORKERS`` to change), and its dashboard address is printed;
  - ``$WORKBOOK_ENGINE=serial``, or a single job to compute without a scheduler, runs in
    this process (for debugging; the numbers are the same bits).
Workers load and verify the data themselves (data.load), once per data setting per process.

The cache (``$WORKBOOK_CACHE``, default ``.cache/fits/``; `make clean-cache` clears it) maps
key(job) = sha256(configurations, the training code in helpers/, the data's sha256s) to the
job's results. Entries are written atomically with a sha256 of their payload and checked on
every read: a damaged entry is recomputed, never used. Changing plots or notebooks reruns
no fit; changing one variant reruns one fit.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import socket
import subprocess
import sys
import threading
from pathlib import Path

from . import provenance, train
from .config import Config
from .fetch import DIGESTS, atomic_write
from .runs import ROOT

MAGIC = b"workbook-fit-cache-1\n"
# Config fields that do not change the arrays a fit trains on: jobs that differ only in
# these share their splits in a worker.
NOT_DATA = {"model", "hidden", "activation", "init", "bias", "reduction", "l1", "l2", "l2_gradient",
            "penalise_bias", "optimizer", "lr", "momentum", "batch_size", "shuffle", "epochs", "anneal_T",
            "anneal_per", "early_stopping", "monitor", "patience", "restore", "seed", "eval_every", "progress"}
NOT_DATA |= {"bias_input", "min_delta", "stop_after"}   # the training options of issue 18


def cache_dir() -> Path:
    return Path(os.environ.get("WORKBOOK_CACHE", ROOT / ".cache" / "fits"))


def _identity(config: Config) -> dict:
    """What determines a fit's numbers: every field but the progress bar."""
    return {k: v for k, v in config.to_dict().items() if k != "progress"}


def key(job: tuple, code: str | None = None) -> str:
    """``code``: the training code's digest, when the caller has it (run() reads the files once)."""
    code = code or provenance.code_digest(provenance.TRAINING_CODE)
    content = {"configs": [_identity(c) for c in job], "code": code,
               "data": sorted({d for c in job for d in DIGESTS[c.dataset].values()})}
    return hashlib.sha256(provenance.canonical(content).encode()).hexdigest()


# --- the cache ------------------------------------------------------------------------

def _entry(k: str) -> Path:
    return cache_dir() / k[:2] / f"{k}.pkl"


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


# --- the task ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=3)
def _splits(data_key: str):
    return train.load_splits(Config.from_dict(json.loads(data_key)))


def _data_key(config: Config) -> str:
    fields = {k: v for k, v in config.to_dict().items() if k not in NOT_DATA}
    # load_splits builds a Config: keep the fields that make a valid one (a pair needs a logistic model)
    fields.update(model="logistic" if config.digits is not None else "softmax", progress=False)
    return provenance.canonical(fields)


def execute(job: tuple) -> list:
    """Run one job here (in a worker or in this process): one fit, or a warm-started chain."""
    splits = _splits(_data_key(job[0]))
    quiet = [c.replace(progress=False) for c in job] if _in_worker() else list(job)
    results = [train.fit(quiet[0], splits)] if len(job) == 1 else train.sweep(quiet, splits)
    for result, config in zip(results, job):
        result.config = config
    return results


def _in_worker() -> bool:
    try:
        from distributed import get_worker
        get_worker()
        return True
    except (ImportError, ValueError):
        return False


# --- where jobs run ---------------------------------------------------------------------------

def start_local_cluster(port: int = 0):
    """A local cluster: one single-threaded worker process per core ($WORKBOOK_WORKERS), BLAS
    pinned to one thread; prints its dashboard address."""
    from distributed import LocalCluster
    workers = int(os.environ.get("WORKBOOK_WORKERS", os.cpu_count() or 1))
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, scheduler_port=port,
                           dashboard_address=":0",
                           env={"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    print(f"engine: started a local Dask cluster, {workers} worker process(es) x 1 thread, "
          f"scheduler {cluster.scheduler_address}, dashboard {cluster.dashboard_link}", file=sys.stderr)
    return cluster


_local_cluster = functools.lru_cache(maxsize=1)(start_local_cluster)  # one per process, on first use


def client():
    """The client fits run on: this process's default client if any, else the scheduler at
    ``$DASK_SCHEDULER_ADDRESS``, else a local cluster started now (once per process)."""
    from distributed import Client, default_client
    try:
        return default_client()
    except ValueError:
        pass
    address = os.environ.get("DASK_SCHEDULER_ADDRESS")
    return Client(address, set_as_default=True) if address else Client(_local_cluster(), set_as_default=True)


def _serial() -> bool:
    return os.environ.get("WORKBOOK_ENGINE", "dask") == "serial"


def _bar(total: int, desc: str):
    """Widgets in JupyterLab; plain lines where the pipeline logs (WORKBOOK_OUTPUT is set)."""
    if "WORKBOOK_OUTPUT" in os.environ:
        from tqdm import tqdm
        return tqdm(total=total, desc=desc, file=sys.stderr, mininterval=10, ascii=True)
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc)


def run(jobs: list, labels: list | None = None, log=print, stats: dict | None = None) -> list:
    """[[Result per config of job] for each job], in order; cached jobs are not recomputed.

    ``labels``: a name per job for progress and errors (e.g. "l2 λ=0.01, seed 1").
    ``stats``: filled with {"cached": n, "computed": m, "where": "dask"|"serial"}.
    """
    jobs = [tuple(job) for job in jobs]
    labels = labels or [f"job {i + 1}" for i in range(len(jobs))]
    code = provenance.code_digest(provenance.TRAINING_CODE)   # read the training code once, not per job
    keys = [key(job, code) for job in jobs]
    results = [load_cached(k, job, log) for k, job in zip(keys, jobs)]
    todo = [i for i, r in enumerate(results) if r is None]
    where = "serial" if _serial() or (len(todo) <= 1 and "DASK_SCHEDULER_ADDRESS" not in os.environ) else "dask"
    if stats is not None:
        stats.update(cached=len(jobs) - len(todo), computed=len(todo), where=where)
    if not todo:
        return results
    bar = _bar(len(jobs), f"fits ({len(jobs) - len(todo)} cached)")
    bar.update(len(jobs) - len(todo))
    try:
        if where == "serial":
            for i in todo:
                bar.set_postfix_str(labels[i], refresh=True)
                results[i] = _labelled(execute, jobs[i], labels[i])
                store(keys[i], results[i])
                bar.update()
        else:
            _run_on_dask(jobs, keys, labels, todo, results, bar)
    finally:
        bar.close()
    return results


def _labelled(fn, job, label):
    try:
        return fn(job)
    except Exception as error:
        error.add_note(f"engine: while running {label}")
        raise


def _run_on_dask(jobs, keys, labels, todo, results, bar) -> None:
    from distributed import as_completed
    from distributed.scheduler import KilledWorker
    c = client()
    # the content key is the task's name: the same fit asked twice (by two notebooks of one
    # build) is computed once by the scheduler
    futures = {c.submit(execute, jobs[i], key=f"fit-{keys[i]}", pure=False, retries=0): i for i in todo}
    try:
        for future in as_completed(futures):
            i = futures[future]
            try:
                results[i] = future.result()
            except KilledWorker as error:
                raise RuntimeError(f"{labels[i]}: Dask workers died {error.args[-1] if error.args else ''} "
                                   "times while running this fit; nothing was written") from None
            except Exception as error:
                error.add_note(f"engine: while running {labels[i]} on Dask")
                raise
            store(keys[i], results[i])
            bar.set_postfix_str(labels[i], refresh=False)
            bar.update()
    finally:
        for future in futures:
            future.release()


# --- one cluster for a whole build --------------------------------------------------------------

def main(argv=None) -> int:
    """``python -m helpers.engine -- CMD ...``: run CMD with $DASK_SCHEDULER_ADDRESS pointing at
    a local cluster started for it (or the one already set), and stop the cluster afterwards."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print("usage: python -m helpers.engine -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    if "DASK_SCHEDULER_ADDRESS" in os.environ or _serial():
        return subprocess.call(argv)
    # The cluster starts while the command starts (clients wait for the scheduler to answer),
    # so a build with nothing to do costs almost nothing extra.
    port = _free_port()
    started: list = []
    starter = threading.Thread(target=lambda: started.append(start_local_cluster(port)), daemon=True)
    starter.start()
    try:
        return subprocess.call(argv, env={**os.environ, "DASK_SCHEDULER_ADDRESS": f"tcp://127.0.0.1:{port}"})
    finally:
        starter.join()
        for cluster in started:
            cluster.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
