"""Fits as Dask tasks, cached by content (issue 10): the same bits serially, on a local cluster
and on a real scheduler with worker processes; a cache hit runs no fit; a killed worker's
fits are rescheduled."""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from helpers.pipeline import engine, provenance
from helpers.config import Config

ROOT = Path(__file__).resolve().parent.parent
DASK = str(Path(sys.executable).with_name("dask"))


def job(seed, **changes):
    settings = dict(model="softmax", n_train=2000, n_test=500, holdout="first", holdout_size=0.1, epochs=2,
                    batch_size=50, lr=0.1, init="zeros", progress=False, seed=seed)
    return (Config(**{**settings, **changes}),)


def same_bits(a, b):
    """Two lists of job results hold identical weights, histories and final metrics."""
    for (ra,), (rb,) in zip(a, b, strict=True):
        assert ra.history == rb.history and ra.final == rb.final
        for k in ra.params:
            np.testing.assert_array_equal(ra.params[k], rb.params[k])


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_CACHE", str(tmp_path / "fits"))
    return tmp_path / "fits"


@pytest.fixture
def serial(monkeypatch):
    monkeypatch.setenv("WORKBOOK_ENGINE", "serial")


def test_a_second_run_is_served_from_the_cache_without_fitting(cache, serial):
    jobs = [job(0), job(1)]
    first = engine.run(jobs, stats=(s1 := {}))
    second = engine.run(jobs, stats=(s2 := {}))
    assert (s1["computed"], s2["computed"], s2["cached"]) == (2, 0, 2)
    same_bits(first, second)


def test_a_change_to_the_training_code_misses_the_cache(cache, serial, tmp_path, monkeypatch):
    copies = []
    for path in provenance.FIT_CODE:
        copies.append(tmp_path / path.name)
        copies[-1].write_bytes(path.read_bytes())
    monkeypatch.setattr(provenance, "FIT_CODE", tuple(copies))
    engine.run([job(0)])
    with open(tmp_path / "train.py", "a") as f:
        f.write("\n# a change to the training loop\n")
    engine.run([job(0)], stats=(stats := {}))
    assert stats["computed"] == 1


def test_the_fit_key_digests_the_course_package_and_the_stacked_trainer_and_nothing_else():
    helpers_dir = Path(provenance.__file__).resolve().parents[1]
    outside = {p.relative_to(helpers_dir).as_posix() for p in provenance.FIT_CODE if p.parent != helpers_dir}
    assert outside == {"pipeline/stacked.py"}           # no other pipeline, figures or report file
    assert set(helpers_dir.glob("*.py")) <= set(provenance.FIT_CODE)
    assert {"train.py", "models.py", "losses.py", "optim.py", "data.py", "config.py"} <= {p.name for p in provenance.FIT_CODE}


def test_a_notebook_run_is_keyed_by_what_shapes_its_outputs_not_by_progress_or_fetching():
    run_code = {p.relative_to(Path(provenance.__file__).resolve().parents[1]).as_posix() for p in provenance.RUN_CODE}
    assert {"train.py", "figures/lines.py", "pipeline/experiment.py", "pipeline/results.py"} <= run_code
    assert not run_code & {"pipeline/progress.py", "pipeline/monitor.py", "pipeline/cluster.py", "pipeline/fetch.py",
                           "pipeline/bench.py", "report/build.py"}


def test_a_damaged_cache_entry_is_recomputed_never_used(cache, serial):
    (first,) = engine.run([job(0)])
    entry = next(cache.rglob("*.npz"))
    content = bytearray(entry.read_bytes())
    content[-10] ^= 0xFF
    entry.write_bytes(bytes(content))
    messages = []
    again = engine.run([job(0)], log=messages.append, stats=(stats := {}))
    assert stats["computed"] == 1 and "damaged" in messages[0]
    same_bits([first], again)


def test_a_local_cluster_gives_the_serial_bits(cache, monkeypatch):
    from distributed import Client, LocalCluster
    jobs = [job(seed, model="mlp", hidden=(16,), init="xavier") for seed in range(4)]
    monkeypatch.setenv("WORKBOOK_ENGINE", "serial")
    serial_results = engine.run(jobs)
    monkeypatch.setenv("WORKBOOK_ENGINE", "dask")
    monkeypatch.setenv("WORKBOOK_CACHE", str(cache.parent / "other"))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster):
        dask_results = engine.run(jobs, stats=(stats := {}))
    assert stats["where"] == "dask" and stats["computed"] == 4
    same_bits(serial_results, dask_results)


# --- a real scheduler and worker processes on 127.0.0.1 ---------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def scheduler(tmp_path):
    """`dask scheduler` and two `dask worker` processes; all stopped at the end, even on failure."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    log = open(tmp_path / "dask.log", "w")
    procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              env=env, stdout=log, stderr=log, start_new_session=True)]
    try:
        for _ in range(2):
            procs.append(subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--nworkers", "1",
                                           "--no-dashboard", "--host", "127.0.0.1"],
                                          env=env, stdout=log, stderr=log, start_new_session=True))
        from distributed import Client
        with Client(address, timeout=60) as c:
            c.wait_for_workers(2, timeout=60)
        yield address, procs
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        log.close()


def run_notebook(tmp_path, name, env):
    out = tmp_path / name
    done = subprocess.run(
        [sys.executable, "-m", "papermill", "-k", "python3", "--cwd", str(ROOT / "notebooks"), "--no-progress-bar",
         str(ROOT / "notebooks" / "04_momentum.ipynb"), str(tmp_path / f"{name}.ipynb"), "-p", "scale", "smoke"],
        env={**os.environ, **env, "WORKBOOK_OUTPUT": str(out), "WORKBOOK_CACHE": str(tmp_path / f"cache-{name}")},
        capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((out / "build" / "results" / "interactive" / "04_momentum.json").read_text())


def test_a_notebook_on_a_real_scheduler_gives_the_local_results(tmp_path, scheduler):
    address, _ = scheduler
    remote = run_notebook(tmp_path, "remote", {"DASK_SCHEDULER_ADDRESS": address, "WORKBOOK_ENGINE": "dask"})
    local = run_notebook(tmp_path, "local", {"WORKBOOK_ENGINE": "serial"})
    assert len(remote["runs"]) == 2 and remote["summary"] == local["summary"]
    assert [[r["history"] for r in v] for v in remote["runs"].values()] == \
           [[r["history"] for r in v] for v in local["runs"].values()]


def test_killing_a_worker_while_fits_run_still_gives_the_same_results(cache, scheduler, monkeypatch):
    address, procs = scheduler
    jobs = [job(seed, model="mlp", hidden=(64,), init="xavier", n_train=6000, epochs=4) for seed in range(6)]
    monkeypatch.setenv("WORKBOOK_ENGINE", "serial")
    expected = engine.run(jobs)
    from distributed import Client
    monkeypatch.setenv("WORKBOOK_ENGINE", "dask")
    monkeypatch.setenv("WORKBOOK_CACHE", str(cache.parent / "killed"))
    with Client(address, set_as_default=True) as c:
        got = {}
        runner = threading.Thread(target=lambda: got.update(results=engine.run(jobs)))
        runner.start()
        deadline = time.time() + 60
        while time.time() < deadline and not any(c.processing().values()):  # wait until fits are running
            time.sleep(0.1)
        victim = procs[1]
        os.killpg(victim.pid, signal.SIGKILL)
        runner.join(timeout=300)
    assert "results" in got, "the run did not finish after a worker was killed"
    same_bits(expected, got["results"])
