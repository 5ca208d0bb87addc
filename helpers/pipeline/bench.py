"""``make bench``: how fast the fits run here, as figures and ratios measured in one run.

Printed (nothing is asserted: speed is not a test):
  - the network epoch (784-128-10, batch 128, 48,000 images, no evaluation) as ``fit`` runs it, in
    float32 and in float64, each beside its single-thread GEMM floor: the time numpy's matmul alone
    needs, on one thread, for the products that epoch performs (per batch X·W1, A·W2, Aᵀ·δ2, δ2·W2ᵀ,
    Xᵀ·δ1); and the evaluation after an epoch (history.evaluate on 48,000 + 12,000 + 10,000 images)
    beside its floor, the forward products alone (speedbench.py);
  - that float32 epoch under numpy's default threads against one thread, quiet and with one core busy;
  - a logistic run's fits (zhu_guo_2v3's penalty sweep, epochs capped) one by one and stacked as one
    array program (helpers.pipeline.stacked): the stacked/unstacked ratio;
  - a batch of network fits on a local Dask cluster with 1 worker and with 2 (the speed-up);
  - the last full build's fit phase and utilisation (build/fit-phase.json), when there is one;
  - what loading the fit cache costs, in its data-only format and in the pickle format it replaced
    (cachebench.py);
  - the estimate of a from-scratch `make report` (every fit of notebooks/runs and runs-grid at full scale):
    the status line's estimator (estimate.py) on the whole plan, with the rates earlier builds kept.
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
from . import cachebench, settings, speedbench


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
    of the runs in notebooks/runs and notebooks/runs-grid, none cached, at the rates kept from earlier full builds."""
    from .estimate import REFERENCE, Estimator, load_rates
    from .names import runs
    from .plan import plan
    from .resolve import effective
    resolved = []   # the report's runs and the grids `make report` builds first
    for run in [*runs(settings.NOTEBOOKS / "runs"), *runs(settings.NOTEBOOKS / "runs-grid")]:
        try:
            resolved.append({"run": run, "notebook": run.split("/")[1],
                             "parameters": effective(settings.NOTEBOOKS / f"{run}.yaml", "full")})
        except ValueError:   # a file with a problem: `make report` names it; its fits are not counted
            continue
    fits = plan(resolved, "full")["fits"]
    rates = load_rates("full", log=lambda *_: None)
    what = (f"from-scratch `make report` (full scale: {len(resolved)} runs of notebooks/runs and runs-grid, "
            f"{sum(f['fits'] for f in fits)} fits in {len(fits)} tasks, on {workers} workers)")
    kept = (settings.cache_dir() / "rates.json").exists()
    source = "the rates earlier builds kept here" if kept else \
        f"the reference build's rates ({REFERENCE.name}: no full build has kept its rates here yet)"
    left = Estimator([{**f, "cached": False} for f in fits], rates).remaining(0.0, workers)
    known = sum(f["setting"] in rates["settings"] for f in fits)
    return (f"build estimate: {what}: about {left / 60:.1f} min of fitting, from {source} "
            f"({known} of the {len(fits)} tasks' settings measured, the rest by kind of model)")


NET = Config(model="mlp", hidden=(128,), activation="tanh", optimizer="momentum", momentum=0.9, lr=0.01,
             batch_size=128, progress=False)


def network_line(images, labels, dtype: str, repeats: int) -> str:
    """The 784-128-10 epoch (48,000 images, batch 128) and its evaluation (48,000 + 12,000 + 10,000
    images, as a full-scale run of 04-06 evaluates after each epoch) beside their floors, in ``dtype``."""
    x = (images / 255).astype(dtype)
    config = NET.replace(dtype=dtype)
    floor, flops = speedbench.gemm_floor(48000, 128, dtype=np.dtype(dtype))
    eval_floor, evaluation = speedbench.eval_runs(config, [(x[:48000], labels[:48000]), (x[48000:], labels[48000:]),
                                                           (x[:10000], labels[:10000])])
    t = speedbench.best_of(repeats, {"floor": floor, "epoch": speedbench.epoch_runner(config, x[:48000], labels[:48000]),
                                     "least": speedbench.least_epoch(x[:48000], labels[:48000]),
                                     "eval floor": eval_floor, "eval": evaluation})
    return (f"network 784-128-10, {dtype}: training epoch {t['epoch']:6.3f} s = {t['epoch'] / t['floor']:.2f} x its GEMM "
            f"floor {t['floor']:.3f} s ({flops / t['floor'] / 1e9:.0f} GFLOP/s); the least numpy epoch (the products on "
            f"fresh batches with every pass they need, speedbench.least_epoch) {t['least']:6.3f} s = "
            f"{t['least'] / t['floor']:.2f} x; evaluation {t['eval']:6.3f} s = {t['eval'] / t['eval floor']:.2f} x its "
            f"floor {t['eval floor']:.3f} s")


def threads_line(images, labels, repeats: int) -> str:
    """The float32 epoch pinned to one thread against numpy's default threads, quiet and with a core busy."""
    x = (images[:48000] / np.float32(255)).astype(np.float32)
    epoch = speedbench.epoch_runner(NET, x, labels[:48000])
    best = {}
    for busy in (False, True):   # pinned and default interleaved, each round seeing the same machine
        with one_core_busy() if busy else _nothing():
            t = speedbench.best_of(repeats, {"pinned": pinned(epoch), "default": epoch}, blas_threads=None)
            best[busy] = t["pinned"], t["default"]
    (quiet, quiet_default), (busy, busy_default) = best[False], best[True]
    return (f"network epoch float32, numpy's default threads: {quiet_default / quiet:.2f} x pinned on a quiet machine, "
            f"{busy_default / busy:.2f} x with one core busy (pinned: {quiet:.3f} s quiet, {busy:.3f} s busy)")


def stacked_line(repeats: int, run: str = "runs/01_logistic/zhu_guo_2v3", epochs: int = 30) -> str:
    """The logistic run's penalty sweep (its second engine.run call: every penalty and λ), each fit
    capped at ``epochs``: one by one (train.fit) against stacked (stacked.fit_stacked), in its dtype."""
    from ..train import load_splits
    from .plan import jobs_of
    from .resolve import effective
    parameters = effective(settings.NOTEBOOKS / f"{run}.yaml", "full")
    configs = [job[0].replace(epochs=epochs, progress=False) for job in jobs_of(parameters, run.split("/")[1])[-1]]
    splits = load_splits(configs[0])
    alone, stacked = speedbench.stacked_vs_alone(configs, splits)
    t = speedbench.best_of(max(repeats // 2, 1), {"alone": alone, "stacked": stacked})
    return (f"logistic run {run}, its {len(configs)} penalty fits ({epochs} full-batch epochs each, {configs[0].dtype}): "
            f"one by one {t['alone']:.2f} s, stacked {t['stacked']:.2f} s: stacked/unstacked time "
            f"{t['stacked'] / t['alone']:.2f} ({t['alone'] / t['stacked']:.1f} x faster)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m helpers.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--fits", type=int, default=8, help="fits in the 1-vs-2-worker comparison")
    args = parser.parse_args(argv)
    os.environ.pop("DASK_SCHEDULER_ADDRESS", None)
    os.environ["WORKBOOK_ENGINE"] = "dask"

    images, labels = load("mnist", "train", flatten=True)
    print(f"machine: {os.cpu_count()} cores, numpy {np.__version__}; BLAS on one thread, as the engine runs fits, "
          "unless said; each time the best of interleaved repeats")
    for dtype in ("float32", "float64"):
        print(network_line(images, labels, dtype, args.repeats))
    print(threads_line(images, labels, args.repeats))
    print(stacked_line(args.repeats))
    jobs = [(NET.replace(n_train=12000, holdout="first", holdout_size=0.1, epochs=3, seed=s),)
            for s in range(args.fits)]
    one = fits_on_workers(1, jobs)
    two = fits_on_workers(2, jobs)
    print(f"{args.fits} network fits on 1 worker {one:6.1f} s, on 2 workers {two:6.1f} s: speed-up {one / two:.2f} x")
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
