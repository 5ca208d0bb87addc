"""Where fits run, refused at the door when it cannot work (issue 19, cases 7, 11, 12): a worker
count that is not a positive integer, a scheduler that does not answer. Each stops at once with
a message naming the variable and the fix, from `make`'s engine and from a notebook's fits."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.pipeline import cluster, engine
from helpers.config import Config

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("value", ["0", "abc", "-2", "1.5"])
def test_a_worker_count_that_is_not_a_positive_integer_stops_the_build_at_once(value, monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    env = {k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"}
    done = subprocess.run([sys.executable, "-m", "helpers.pipeline.cluster", "--", "true"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**env, "WORKBOOK_WORKERS": value, "WORKBOOK_ENGINE": "dask"})
    assert done.returncode == 2
    assert f"WORKBOOK_WORKERS={value!r} is not a positive integer" in done.stderr and "unset it" in done.stderr


def test_a_notebook_asking_for_zero_workers_is_told_why(monkeypatch):
    monkeypatch.setenv("WORKBOOK_WORKERS", "0")
    with pytest.raises(cluster.ClusterError, match="WORKBOOK_WORKERS='0' is not a positive integer"):
        cluster.workers_wanted()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]   # nobody listens once the socket is closed


def test_an_unreachable_scheduler_stops_the_build_naming_the_variable():
    address = f"tcp://127.0.0.1:{closed_port()}"
    done = subprocess.run([sys.executable, "-m", "helpers.pipeline.cluster", "--", "true"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "DASK_SCHEDULER_ADDRESS": address,
                                                       "WORKBOOK_ENGINE": "dask", "WORKBOOK_CONNECT_TIMEOUT": "3"})
    assert done.returncode == 2
    assert f"cannot reach the Dask scheduler at DASK_SCHEDULER_ADDRESS={address}" in done.stderr
    assert "unset DASK_SCHEDULER_ADDRESS" in done.stderr


def test_an_unreachable_scheduler_stops_a_notebooks_fits_naming_the_variable(monkeypatch, tmp_path):
    address = f"tcp://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", address)
    monkeypatch.setenv("WORKBOOK_ENGINE", "dask")
    monkeypatch.setenv("WORKBOOK_CACHE", str(tmp_path))
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 3)
    try:    # no default client of an earlier test may answer for the unreachable one
        from distributed import default_client
        default_client().close()
    except ValueError:
        pass
    jobs = [(Config(model="softmax", n_train=500, n_test=100, holdout="first", holdout_size=0.1, epochs=1, seed=s),)
            for s in range(2)]
    with pytest.raises(cluster.ClusterError, match="DASK_SCHEDULER_ADDRESS=.*unset DASK_SCHEDULER_ADDRESS"):
        engine.run(jobs)


def test_a_build_on_its_own_dask_cluster_ends_without_a_traceback(tmp_path):
    """A real build with the Dask engine (make starts the cluster, the run's fits are computed on its
    workers: an empty fit cache), as `make` is run from a terminal: its output is the build's lines
    only; whatever Dask logs, shutdown included (a worker's heartbeat cut short as the cluster
    closes), goes to build/smoke/build/cluster.log."""
    env = {k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"}
    env.update(WORKBOOK_CACHE=str(tmp_path / "fits"))
    done = subprocess.run(["make", "rerun", "RUN=runs/05_regularisation/shi", "SCALE=smoke"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "runs/05_regularisation/shi done" in output and " done, 0 running, 0 waiting" in output, output
    for sign in ("Traceback", "Exception in callback", "heartbeat", "distributed."):
        assert sign not in output, output
    assert (ROOT / "build" / "smoke" / "build" / "cluster.log").exists()
