"""``make bench``: how fast the fits run here, as figures and ratios measured in one run.

Printed (nothing is asserted: speed is not a test):
  - the MLP epoch (784-128-10, batch 128, 48,000 images, float32, no evaluation) against the
    single-thread GEMM floor: the time numpy's matmul alone needs, on one thread, for the
    products that epoch performs (per batch X·W1, A·W2, Aᵀ·δ2, δ2·W2ᵀ, Xᵀ·δ1);
  - that epoch as ``fit`` runs it (BLAS pinned to one thread) and under numpy's default
    threads, each on a quiet machine and with one core kept busy by another process;
  - a batch of fits on a local Dask cluster with 1 worker and with 2 (the speed-up);
  - what loading the fit cache costs, in its data-only format and in the pickle format it replaced
    (cachebench.py);
  - the estimate of a from-scratch `make report` (every fit of notebooks/runs at full scale computed):
    the status line's estimator (estimate.py) on the whole plan, with the rates earlier builds kept,
    beside the last full build's record (build/fit-phase.json) when there is one.
It prints figures only: the fits it times show no progress (engine.run(quiet=True)).
Every time is the best of several interleaved repeats (this is a shared virtual machine).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from ..config import Config
from ..data import load
from ..train import build_model, run_epoch
from . import cachebench, settings


def best_of(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def gemm_floor(n: int, batch: int, sizes=(784, 128, 10), seed: int = 0):
    """(run, flops): ``run()`` does one epoch's matrix products of a one-hidden-layer network."""
    d, h, k = sizes
    rng = np.random.default_rng(seed)
    f32 = lambda *shape: rng.standard_normal(shape).astype(np.float32)  # noqa: E731
    x, w1, w2, a, d2 = f32(batch, d), f32(d, h), f32(h, k), f32(batch, h), f32(batch, k)
    z1, z2, g2, d1, g1 = (np.empty(s, np.float32) for s in ((batch, h), (batch, k), (h, k), (batch, h), (d, h)))
    batches = n // batch

    def epoch():
        for _ in range(batches):
            np.matmul(x, w1, out=z1)
            np.matmul(a, w2, out=z2)
            np.matmul(a.T, d2, out=g2)
            np.matmul(d2, w2.T, out=d1)
            np.matmul(x.T, a, out=g1)

    flops = 2 * batches * batch * (2 * d * h + 3 * h * k)
    return epoch, flops


def epoch_runner(config: Config, x, y):
    """``run()`` trains ``config``'s model for one epoch (no evaluation) on (x, y)."""
    model = build_model(config, x.shape[1])
    rng = np.random.default_rng(config.seed)
    params = model.init(rng, config.init, np.dtype(config.dtype))
    grads = {k: np.empty_like(v) for k, v in params.items()}
    state = dict.fromkeys(params)
    return lambda: run_epoch(model, params, state, grads, x, y, config, rng, 0, 0)


def pinned(fn):
    """``fn`` with BLAS on one thread, as the engine runs every fit."""
    def run():
        with threadpool_limits(limits=1, user_api="blas"):
            fn()
    return run


@contextmanager
def one_core_busy():
    """Another process spinning on one core for the duration."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)
        yield
    finally:
        spinner.kill()
        spinner.wait()


def fits_on_workers(workers: int, jobs: list) -> float:
    """Wall time of ``jobs`` on a fresh local cluster with ``workers`` processes (cache bypassed)."""
    from distributed import Client, LocalCluster

    from . import engine
    with cachebench.restored("WORKBOOK_CACHE"), tempfile.TemporaryDirectory() as cache, LocalCluster(n_workers=workers, threads_per_worker=1,
                                                              processes=True, dashboard_address=None) as cluster, \
            Client(cluster):
        os.environ["WORKBOOK_CACHE"] = cache
        engine.run(jobs[:workers], log=lambda *_: None, quiet=True)   # warm-up: workers load the data
        os.environ["WORKBOOK_CACHE"] = cache + "/timed"
        start = time.perf_counter()
        engine.run(jobs, log=lambda *_: None, quiet=True)
        return time.perf_counter() - start


def build_estimate(workers: int) -> str:
    """The status line's estimate (estimate.Estimator) of a from-scratch full `make report`: every fit
    of the runs in notebooks/runs, none cached, at the rates kept from earlier full builds."""
    from .estimate import REFERENCE, Estimator, load_rates
    from .names import runs
    from .plan import plan
    from .resolve import effective
    resolved = []
    for run in runs(settings.NOTEBOOKS / "runs"):
        try:
            resolved.append({"run": run, "notebook": run.split("/")[1],
                             "parameters": effective(settings.NOTEBOOKS / f"{run}.yaml", "full")})
        except ValueError:   # a file with a problem: `make report` names it; its fits are not counted
            continue
    fits = plan(resolved, "full")["fits"]
    rates = load_rates("full", log=lambda *_: None)
    what = (f"from-scratch `make report` (full scale: {len(resolved)} runs of notebooks/runs, "
            f"{sum(f['fits'] for f in fits)} fits in {len(fits)} tasks, on {workers} workers)")
    kept = (settings.cache_dir() / "rates.json").exists()
    source = "the rates earlier builds kept here" if kept else \
        f"the reference build's rates ({REFERENCE.name}: no full build has kept its rates here yet)"
    left = Estimator([{**f, "cached": False} for f in fits], rates).remaining(0.0, workers)
    known = sum(f["setting"] in rates["settings"] for f in fits)
    return (f"build estimate: {what}: about {left / 60:.1f} min of fitting, from {source} "
            f"({known} of the {len(fits)} tasks' settings measured, the rest by kind of model)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m helpers.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--fits", type=int, default=8, help="fits in the 1-vs-2-worker comparison")
    args = parser.parse_args(argv)
    os.environ.pop("DASK_SCHEDULER_ADDRESS", None)
    os.environ["WORKBOOK_ENGINE"] = "dask"

    images, labels = load("mnist", "train", flatten=True)
    x48, y48 = (images[:48000] / np.float32(255)).astype(np.float32), labels[:48000]
    floor_run, flops = gemm_floor(48000, 128)
    net = Config(model="mlp", hidden=(128,), activation="tanh", optimizer="momentum", momentum=0.9,
                 lr=0.01, batch_size=128, progress=False)
    epoch = epoch_runner(net, x48, y48)
    runs = {"floor": pinned(floor_run), "pinned": pinned(epoch), "default": epoch}
    for run in runs.values():
        run()  # warm-up: allocations, BLAS threads
    best = {}
    for busy in (False, True):
        with one_core_busy() if busy else _nothing():
            for _ in range(args.repeats):   # interleaved: each sees the same machine state
                for name, run in runs.items():
                    best[name, busy] = min(best.get((name, busy), float("inf")), best_of(1, run))

    jobs = [(net.replace(n_train=12000, holdout="first", holdout_size=0.1, epochs=3, seed=s),)
            for s in range(args.fits)]
    one = fits_on_workers(1, jobs)
    two = fits_on_workers(2, jobs)

    floor = best["floor", False]
    print(f"machine: {os.cpu_count()} cores, numpy {np.__version__}, float32")
    print(f"GEMM floor, one thread, 784-128-10 epoch    {floor:7.3f} s   ({flops / 1e9:.1f} GFLOP at "
          f"{flops / floor / 1e9:.0f} GFLOP/s)")
    for busy in (False, True):
        where = "one core busy" if busy else "quiet machine"
        p, d = best["pinned", busy], best["default", busy]
        print(f"mlp epoch, {where:14s} as fit runs it {p:7.3f} s = {p / floor:.2f} x floor;  "
              f"numpy's default threads {d:7.3f} s = {d / p:.2f} x pinned")
    print(f"{args.fits} fits on 1 worker {one:6.1f} s, on 2 workers {two:6.1f} s: speed-up {one / two:.2f} x")
    root = settings.ROOT
    phase = root / "build" / "fit-phase.json"
    if phase.exists():   # written by the last full build's cluster (helpers.pipeline.monitor.BuildMonitor)
        b = json.loads(phase.read_text())
        print(f"last full build (build/fit-phase.json): {b['fits']} fits, {b['fit_compute_s'] / 60:.1f} min of fit compute in a fit phase of "
              f"{b['fit_phase_wall_s'] / 60:.1f} min on {b['workers']} workers: utilisation {b['utilisation']:.0%} "
              f"(compute / (wall x workers)); whole build {b['build_wall_s'] / 60:.1f} min")
    else:
        print("last full build: no build/fit-phase.json yet (make report writes it)")
    print(cachebench.line())
    print(build_estimate(os.cpu_count() or 1))


@contextmanager
def _nothing():
    yield


if __name__ == "__main__":
    main()
