"""The build's status line: one line for a whole `make`, from the events its fits send.

Interface:
    monitor = BuildMonitor(address, starter)   # the build's cluster (started by ``starter``, a thread, if any)
    monitor.start(); ...; monitor.stop()       # prints the last line and writes the fit phase's record
    terminal = log_dask_apart(path)            # Dask's log to ``path``; the build's output stays clean

It listens to the cluster's progress topic (progress.TOPIC) and prints elapsed time, fits done /
running / waiting and an estimate of what remains of the build's fits (estimate.py: every fit of
the plan the stamps step wrote beside the fit-phase record, ``plan.json``, that was not cached, and
any fit submitted that the plan did not list): in place on a terminal, once a minute in a log. It
says nothing while the file ``monitor.quiet_file`` exists (the build's commands get its path as
$WORKBOOK_MONITOR_QUIET: `make test` creates it while pytest writes). At the end it writes
``build/fit-phase.json`` (settings.build_log; read by `make bench`): fit compute, wall time, workers,
utilisation = compute / the worker-seconds the fit phase had (workers counted every tick, so a lost
worker lowers what was available, never raises the utilisation above 1); and keeps this build's
seconds per cost unit in the cache folder (estimate.save_rates) for the next build's first estimates.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import settings
from .estimate import Estimator, load_rates, read_plan, save_rates
from .files import atomic_write
from .progress import TOPIC


class BuildMonitor:
    """Listens to the build's cluster and prints: elapsed, fits done / running / waiting, and an
    estimate of the rest of the build's fits (estimate.Estimator). At the end it writes
    ``build/fit-phase.json`` (read by `make bench`) and keeps the rates it measured."""

    def __init__(self, address: str, starter=None, out=None, stream=None):
        self.address, self.starter = address, starter
        self.out = out or settings.build_log()
        self.stream = stream or sys.stderr          # where the line goes (the build's terminal)
        self.tty = self.stream.isatty()
        self.interval = 2.0 if self.tty else 60.0
        self.submitted: set[str] = set()
        self.running: set[str] = set()
        self.finished: dict[str, float] = {}       # key -> seconds
        self.estimator, self.scale, self.planned = None, "full", 0
        self.first = self.last = None
        self.workers = 0                            # the most workers seen
        self.worker_seconds = self.worker_seconds_at_last = 0.0   # workers x seconds since the first fit
        self.ticked = None
        self.quiet_file = Path(tempfile.gettempdir()) / f"workbook-monitor-{os.getpid()}-{id(self)}.quiet"
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.begin = time.monotonic()

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        """Ends the listening thread and waits for its client to close (before the cluster does:
        a client left open as its scheduler goes logs a heartbeat traceback)."""
        self.stopping.set()
        self.thread.join(timeout=120)
        self.quiet_file.unlink(missing_ok=True)
        if self.tty and self.submitted:
            print(file=self.stream)
        if self.finished:
            print(self.line(), file=self.stream, flush=True)
            self._write_log()
            save_rates(self.scale, self._estimator().measured())

    def _estimator(self) -> Estimator:
        """Made at the first fit submitted: the stamps step has written this build's plan by then."""
        if self.estimator is None:
            self.scale, fits = read_plan(Path(self.out).parent / "plan.json")
            self.planned = sum(not f.get("cached") for f in fits)
            self.estimator = Estimator(fits, load_rates(self.scale))
        return self.estimator

    def handle(self, event) -> None:
        _, message = event
        key = message.get("key")
        now = time.monotonic()
        estimator = self._estimator()
        if message.get("event") == "submitted":
            self.first = self.first or now   # the fit phase starts with the first fit submitted
            self.submitted.add(key)
            estimator.submitted(key, float(message.get("cost", 1.0)), str(message.get("kind", "")),
                                str(message.get("setting", "")))
        elif message.get("event") == "epoch":
            self.first = self.first or now
            self.running.add(key)
            estimator.epoch(key, message["epoch"] / max(message["epochs"], 1), now)
        elif message.get("event") == "done":
            self.finished[key] = float(message["seconds"])
            self.running.discard(key)
            estimator.done(key, float(message["seconds"]))
            self.last = now
            self.worker_seconds_at_last = self.worker_seconds

    def line(self) -> str:
        elapsed = time.monotonic() - self.begin
        running = len(self.running)
        waiting = max(len(self.submitted) - len(self.finished) - running, 0)
        text = f"build: {_clock(elapsed)} elapsed | fits {len(self.finished)} done, {running} running, {waiting} waiting"
        estimator = self._estimator()
        to_go = sum(k not in estimator.finished for k in estimator.cost)
        left = estimator.remaining(time.monotonic(), self.workers) if self.workers else None
        if left is not None:
            text += f" | about {_clock(left)} left for the build's {to_go} fits to go"
        return text

    def _loop(self) -> None:
        if self.starter is not None:
            self.starter.join()
        from distributed import Client
        if self.stopping.is_set():   # the command ended before the cluster was up: nothing to listen to
            return
        try:
            client = Client(self.address, timeout=30)
        except OSError:
            return
        try:
            client.subscribe_topic(TOPIC, self.handle)
            shown = 0.0
            while not self.stopping.wait(0.5):
                self.tick(len(client.nthreads()))
                if self.submitted and time.monotonic() - shown >= self.interval:
                    shown = time.monotonic()
                    self.show()
        finally:
            client.close()

    def show(self) -> None:
        """The status line, in place on a terminal; nothing while the quiet file exists."""
        if not self.quiet_file.exists():
            end = "\r" if self.tty else "\n"
            print(("\033[K" if self.tty else "") + self.line(), end=end, file=self.stream, flush=True)

    def tick(self, workers: int, now: float | None = None) -> None:
        """Count the workers there are now: the worker-seconds the fit phase has had so far."""
        now = time.monotonic() if now is None else now
        if self.first is not None and self.ticked is not None:
            self.worker_seconds += workers * max(now - max(self.ticked, self.first), 0.0)
        self.ticked, self.workers = now, max(self.workers, workers)

    def _write_log(self) -> None:
        wall = (self.last - self.first) if self.first and self.last else 0.0
        compute = sum(self.finished.values())
        record = {"fits": len(self.finished), "fit_compute_s": round(compute, 1), "fit_phase_wall_s": round(wall, 1),
                  "workers": self.workers, "utilisation": self.utilisation(),
                  "build_wall_s": round(time.monotonic() - self.begin, 1)}
        atomic_write(self.out, (json.dumps(record, indent=1) + "\n").encode())

    def utilisation(self) -> float | None:
        """Fit compute / worker-seconds of the fit phase; at most 1 (the ticks, 0.5 s apart, can count a
        short phase's workers a little short)."""
        available = self.worker_seconds_at_last
        return round(min(sum(self.finished.values()) / available, 1.0), 3) if available > 0 else None


def log_dask_apart(path: Path):
    """What Dask logs in a build (this process and its worker processes, which inherit file
    descriptor 2: start-up, retirement, a heartbeat cut short at shutdown) goes to ``path``, not
    into the build's output; returns a stream on the former stderr, for the command and the line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    terminal = os.fdopen(os.dup(2), "w", buffering=1)
    with open(path, "wb") as log:   # this build's log
        os.dup2(log.fileno(), 2)
    return terminal


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60}:{seconds % 60:02d}"
