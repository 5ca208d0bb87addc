"""Where fits run: the Dask client, a local cluster, and one cluster for a whole build.

Interface:
    client()                        # this process's Dask client (made on first use, checked alive)
    workers_wanted()                # $WORKBOOK_WORKERS checked (a positive integer), else the cores
    start_local_cluster(port=0)     # worker processes x 1 thread, BLAS on one thread
    python -m helpers.pipeline.cluster -- CMD...   # run CMD with a cluster shared through DASK_SCHEDULER_ADDRESS
    python -m helpers.pipeline.cluster serve       # (internal) a cluster living as long as its parent's pipe

Which client: this process's default client if any; else the scheduler at
``$DASK_SCHEDULER_ADDRESS`` (Dask's convention: a cluster, or the one `make` starts for a build);
else a local cluster started in a process of its own (``serve``), in its own session. Kernel >
Interrupt in Jupyter signals the kernel's whole process group: workers started inside the kernel
would die with it and leave the next run waiting on a cluster with no workers. The serving
process outlives interrupts and ends when the kernel (its stdin's writer) goes; its log goes to
``build/interactive/cluster.log``, not into the notebook. A dead local cluster is replaced, and
the notebook is told so.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from . import settings

ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
CONNECT_TIMEOUT = settings.connect_timeout()   # seconds to reach a scheduler
WORKER_TIMEOUT = 60      # seconds a cluster may have no worker before the fits stop with an error


class ClusterError(RuntimeError):
    """The cluster cannot run fits: unreachable, no workers, or mis-configured."""


def workers_wanted() -> int:
    """$WORKBOOK_WORKERS as a positive integer (else every core); anything else is an error."""
    text = settings.workers_text()
    if text is None:
        return os.cpu_count() or 1
    try:
        workers = int(text)
    except ValueError:
        workers = 0
    if workers < 1:
        raise ClusterError(f"WORKBOOK_WORKERS={text!r} is not a positive integer: set it to the number of "
                           "worker processes (e.g. WORKBOOK_WORKERS=2), or unset it to use every core")
    return workers


def dashboard_available() -> bool:
    """Dask serves its dashboard only with bokeh installed; without it there is no link to print."""
    try:
        import bokeh  # noqa: F401
        return True
    except ImportError:
        return False


def start_local_cluster(port: int = 0, workers: int | None = None):
    """A local cluster: ``workers`` single-threaded worker processes (default workers_wanted())."""
    from distributed import LocalCluster
    workers = workers or workers_wanted()
    dashboard = ":0" if dashboard_available() else None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, scheduler_port=port,
                           host="127.0.0.1", dashboard_address=dashboard, env=ONE_BLAS_THREAD)
    return cluster


def describe_cluster(cluster) -> str:
    link = f", dashboard {cluster.dashboard_link}" if dashboard_available() else ""
    return (f"{len(cluster.workers)} worker process(es) x 1 thread, scheduler {cluster.scheduler_address}{link}")


# --- a local cluster in its own process ---------------------------------------------------------

class _Served:
    """A ``serve`` process and the address its cluster listens on."""

    def __init__(self):
        workers = workers_wanted()   # checked here, so a bad value is reported in the notebook
        log_path = settings.cluster_log()
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = log_path
        with open(log_path, "ab") as log:   # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "helpers.pipeline.cluster", "serve", str(workers)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=log, start_new_session=True, text=True,
                env={**os.environ, **ONE_BLAS_THREAD})
        line = _readline(self.process.stdout, timeout=120)
        if not line.startswith("tcp://"):
            self.process.kill()
            raise ClusterError(f"the local Dask cluster did not start (see {log_path}): {line or 'no answer'}")
        self.address, _, self.description = line.strip().partition(" ")

    def alive(self) -> bool:
        return self.process.poll() is None


def _readline(stream, timeout: float) -> str:
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return got[0] if got else ""


_served: list[_Served] = []   # this process's local cluster, if it started one


def _local_address() -> str:
    """The address of this process's local cluster, started (or replaced, saying so) as needed."""
    if _served and _served[0].alive():
        return _served[0].address
    if _served:
        print("engine: the local Dask cluster had stopped; started a new one", flush=True)
        _served.clear()
    served = _Served()
    _served.append(served)
    print(f"engine: started a local Dask cluster, {served.description}", flush=True)
    return served.address


def client():
    """The client fits run on (see the module docstring), checked to have a worker."""
    from distributed import Client, default_client
    try:
        c = default_client()
    except ValueError:
        c = None
    if c is not None and _served and c.scheduler.address == _served[0].address and not _served[0].alive():
        c.close()   # its cluster is gone: make a new one
        c = None
    if c is None:
        address = settings.scheduler_address()
        if address:
            try:
                c = Client(address, set_as_default=True, timeout=CONNECT_TIMEOUT)
            except (OSError, ValueError, TypeError) as error:
                raise ClusterError(unreachable(address, error)) from None
        else:
            c = Client(_local_address(), set_as_default=True, timeout=CONNECT_TIMEOUT)
    wait_for_a_worker(c)
    return c


def unreachable(address: str, error: Exception) -> str:
    """One line for a DASK_SCHEDULER_ADDRESS that gives no scheduler: malformed (Dask's ValueError,
    e.g. no port) or not answering (OSError)."""
    if isinstance(error, OSError):
        return (f"cannot reach the Dask scheduler at DASK_SCHEDULER_ADDRESS={address} ({error}): "
                "start that scheduler, or unset DASK_SCHEDULER_ADDRESS to use a local cluster")
    return (f"DASK_SCHEDULER_ADDRESS={address!r} is not a scheduler address ({error}): give one as "
            "tcp://HOST:PORT, or unset DASK_SCHEDULER_ADDRESS to use a local cluster")


def wait_for_a_worker(c, timeout: float = WORKER_TIMEOUT) -> None:
    """Return once the cluster has a worker; ClusterError after ``timeout`` seconds without one."""
    deadline = time.monotonic() + timeout
    while not c.nthreads():
        if time.monotonic() > deadline:
            where = settings.scheduler_address()
            hint = (f"the cluster at DASK_SCHEDULER_ADDRESS={where} has no worker: start workers there "
                    "(`dask worker <address>`), or unset DASK_SCHEDULER_ADDRESS") if where else \
                "the local Dask cluster has no worker: restart the kernel"
            raise ClusterError(f"no Dask worker for {timeout:.0f} s: {hint}")
        time.sleep(0.5)


def serve(workers: int) -> int:
    """Run a local cluster, print its address, and stop it when stdin closes (the parent exited)."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # an interrupt is meant for the kernel, never the cluster
    cluster = start_local_cluster(workers=workers)
    print(cluster.scheduler_address, describe_cluster(cluster), flush=True)
    try:
        sys.stdin.read()
    finally:
        cluster.close()
    return 0


# --- one cluster for a whole build ------------------------------------------------------------

def main(argv=None) -> int:
    """``python -m helpers.pipeline.cluster -- CMD ...``: run CMD with $DASK_SCHEDULER_ADDRESS pointing at a
    local cluster started for it (or the one already set), show the build's progress
    (monitor.BuildMonitor), and stop the cluster afterwards."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:
        return serve(int(argv[1]))
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print("usage: python -m helpers.pipeline.cluster -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    if settings.serial():
        return subprocess.call(argv)
    try:
        workers = workers_wanted()
    except ClusterError as error:
        print(f"engine: {error}", file=sys.stderr)
        return 2
    address = settings.scheduler_address()
    if address:
        from distributed import Client
        try:
            Client(address, timeout=CONNECT_TIMEOUT).close()
        except (OSError, ValueError, TypeError) as error:
            print(f"engine: {unreachable(address, error)}", file=sys.stderr)
            return 2
        return _with_monitor(argv, address, None)
    # The cluster starts while the command starts (clients wait for the scheduler to answer),
    # so a build with nothing to do costs almost nothing extra. Dask's own log: monitor.log_dask_apart.
    from .monitor import log_dask_apart
    terminal = log_dask_apart(settings.build_log().parent / "cluster.log")
    port = _free_port()
    started: list = []
    starter = threading.Thread(target=lambda: started.append(start_local_cluster(port, workers)), daemon=True)
    starter.start()
    try:
        return _with_monitor(argv, f"tcp://127.0.0.1:{port}", starter, terminal)
    finally:
        starter.join()
        for cluster in started:   # the monitor's client is closed by now; workers retire, then the scheduler
            cluster.close()


def _with_monitor(argv, address, starter, terminal=None) -> int:
    from .monitor import BuildMonitor
    monitor = BuildMonitor(address, starter, stream=terminal)
    monitor.start()
    try:
        return subprocess.call(argv, stderr=terminal, env={**os.environ, "DASK_SCHEDULER_ADDRESS": address,
                                                           "WORKBOOK_MONITOR_QUIET": str(monitor.quiet_file)})
    finally:
        monitor.stop()   # its client closes before the cluster does


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
