"""Progress a person can follow: one bar per notebook cell, one status line per build.

Interface:
    bar = FitBar(labels, cached)      # one engine.run call: cached fits count as done
    bar.epoch(i, epoch, max_epochs)   # fit i is running; bar.done(i, seconds); bar.close()
    BuildMonitor(address, ...)        # `make`'s cluster: fits done / running / waiting, elapsed, estimate
    report_epoch(key, fit, epoch, max_epochs), report_done(key, seconds)   # from a Dask worker
    announce(client, key, cost, label) # a fit submitted (its estimated cost, for the estimate)

In JupyterLab the bar is a widget (tqdm.auto) that names the running fits and their epochs and
refreshes in place; where the pipeline logs (``$WORKBOOK_OUTPUT`` set) it prints one line per
fit; when every fit comes from the cache it says so in one line. Workers report epochs as Dask
events on the topic ``TOPIC`` (at most two a second per fit); the build's monitor listens to
the same topic and prints one status line, in place on a terminal and once a minute in a log.
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

TOPIC = "workbook-progress"
MIN_INTERVAL = 0.5   # seconds between two epoch events of one fit


def _pipeline() -> bool:
    return "WORKBOOK_OUTPUT" in os.environ


class FitBar:
    """The progress of one engine.run call: ``len(labels)`` fits, ``cached`` of them from the cache."""

    def __init__(self, labels: list[str], cached: int):
        self.labels, self.total, self.finished, self.cached = labels, len(labels), cached, cached
        self.running: dict[int, tuple[int, int]] = {}
        self.lock = threading.Lock()
        self.bar = None
        if _pipeline():
            print(f"fits: {self.total - cached} to run, {cached} from the cache", flush=True)
        else:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=self.total, initial=cached, desc="fits", unit="fit",
                            bar_format="{desc}: {n}/{total} done {bar} {elapsed}{postfix}")
            self.refresh()

    def epoch(self, i: int, epoch: int, max_epochs: int) -> None:
        with self.lock:
            self.running[i] = (epoch, max_epochs)

    def _postfix(self) -> str:
        with self.lock:
            running = "; ".join(f"{self.labels[i]}: epoch {e}/{n}" for i, (e, n) in sorted(self.running.items()))
        parts = [f"{self.cached} from the cache"] if self.cached else []
        if running:
            parts.append(f"running {running}")
        elif self.finished < self.total:   # before a fit's first epoch: workers start, load the data
            parts.append("starting the fits (workers load the data)")
        return ", ".join(parts)   # tqdm puts ", " before a postfix

    def refresh(self) -> None:
        """Show which fits run and at which epoch (called from the thread that owns the display)."""
        if self.bar is not None:
            self.bar.set_postfix_str(self._postfix(), refresh=True)

    def done(self, i: int, seconds: float | None = None) -> None:
        with self.lock:
            epochs = self.running.pop(i, None)
        self.finished += 1
        if self.bar is None:
            took = f" in {seconds:.1f} s" if seconds else ""
            ran = f", {epochs[0]} epochs" if epochs else ""
            print(f"fits: {self.finished}/{self.total} done: {self.labels[i]}{ran}{took}", flush=True)
        else:
            self.bar.update()
            self.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.refresh()
            self.bar.close()


def all_cached(n: int) -> None:
    print(f"fits: all {n} from the cache (none trained now)", flush=True)


# --- events from workers ----------------------------------------------------------------------

def _log_event(message: dict) -> None:
    try:
        from distributed import get_worker
        get_worker().log_event(TOPIC, message)
    except (ImportError, ValueError):   # not in a worker: nobody listens
        pass


class FitCancelled(Exception):
    """The fit's Dask task was cancelled (its notebook was interrupted): training stops."""


def _cancelled(task_key: str) -> bool:
    """In a Dask worker: has this worker let go of ``task_key`` (cancelled by every client that
    wanted it)? Dask cannot stop a running task; the fit asks once per epoch and stops itself."""
    try:
        from distributed import get_worker
        worker = get_worker()
    except (ImportError, ValueError):
        return False
    task = worker.state.tasks.get(task_key)
    return task is None or task.state in ("cancelled", "released")


def epoch_reporter(key: str, on_epoch=None):
    """A callback ``(fit, epoch, max_epochs)`` that reports to the topic (rate-limited) and to
    ``on_epoch`` (in this process), and raises FitCancelled once the task ``fit-<key>`` is cancelled."""
    last = [0.0]

    def report(fit: int, epoch: int, max_epochs: int) -> None:
        if on_epoch is not None:
            on_epoch(fit, epoch, max_epochs)
        if key and _cancelled(f"fit-{key}"):
            raise FitCancelled(f"fit-{key} was cancelled at epoch {epoch}")
        now = time.monotonic()
        if now - last[0] >= MIN_INTERVAL or epoch == max_epochs:
            last[0] = now
            _log_event({"event": "epoch", "key": key, "fit": fit, "epoch": epoch, "epochs": max_epochs})
    return report


def report_done(key: str, seconds: float) -> None:
    _log_event({"event": "done", "key": key, "seconds": seconds})


def announce(client, key: str, cost: float, label: str, kind: str) -> None:
    """Tell the build's monitor that a fit was submitted, with its estimated cost and its kind of
    model (each kind's seconds per cost unit are learnt apart: early stopping differs by kind)."""
    try:
        client.log_event(TOPIC, {"event": "submitted", "key": key, "cost": cost, "label": label, "kind": kind})
    except Exception:  # noqa: BLE001 - progress must never stop a fit
        pass


# --- the build's status line ------------------------------------------------------------------

class BuildMonitor:
    """Listens to the build's cluster and prints: elapsed, fits done / running / waiting, and an
    estimate of what remains (the fits submitted so far, at the seconds per cost unit the
    finished ones took, over the workers). At the end it writes ``build/fit-phase.json``
    (read by `make bench`): fit compute, wall time, workers, utilisation."""

    def __init__(self, address: str, starter=None, started=(), out=None):
        self.address, self.starter, self.started = address, starter, started
        self.out = out or os.environ.get("WORKBOOK_BUILD_LOG")
        self.tty = sys.stderr.isatty()
        self.interval = 2.0 if self.tty else 60.0
        self.submitted: dict[str, float] = {}
        self.kinds: dict[str, str] = {}             # key -> kind of model
        self.started: dict[str, float] = {}         # key -> when its first epoch was reported
        self.progress: dict[str, float] = {}       # key -> fraction of its epochs done
        self.finished: dict[str, float] = {}       # key -> seconds
        self.first = self.last = None
        self.workers = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.begin = time.monotonic()

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)
        if self.tty and self.submitted:
            print(file=sys.stderr)
        if self.finished:
            print(self.line(), file=sys.stderr, flush=True)
            self._write_log()

    def handle(self, event) -> None:
        _, message = event
        key = message.get("key")
        now = time.monotonic()
        if message.get("event") == "submitted":
            self.first = self.first or now   # the fit phase starts with the first fit submitted
            self.submitted.setdefault(key, float(message.get("cost", 1.0)))
            self.kinds.setdefault(key, str(message.get("kind", "")))
        elif message.get("event") == "epoch":
            self.first = self.first or now
            self.started.setdefault(key, now)
            # a chain's later fits restart the count: keep the largest fraction seen
            self.progress[key] = max(self.progress.get(key, 0.0), message["epoch"] / max(message["epochs"], 1))
        elif message.get("event") == "done":
            self.finished[key] = float(message["seconds"])
            self.progress.pop(key, None)
            self.last = now

    def line(self) -> str:
        elapsed = time.monotonic() - self.begin
        running = len(self.progress)
        waiting = max(len(self.submitted) - len(self.finished) - running, 0)
        text = f"build: {_clock(elapsed)} elapsed | fits {len(self.finished)} done, {running} running, {waiting} waiting"
        rates = self._rates()
        if rates and self.workers:
            overall = rates.get(None)
            left = sum(self.submitted[k] * (1.0 - self.progress.get(k, 0.0)) * rates.get(self.kinds.get(k), overall)
                       for k in self.submitted if k not in self.finished)
            text += f" | about {_clock(left / self.workers)} left for the fits submitted so far"
        return text

    def _rates(self, now: float | None = None) -> dict:
        """Seconds per cost unit per kind of model and overall (key None): from the finished fits,
        or, for a kind none of whose fits has finished, from its running fits' share of epochs done."""
        now = time.monotonic() if now is None else now
        seconds, costs = {}, {}

        def add(kind, took, cost):
            for k in (kind, None):
                seconds[k], costs[k] = seconds.get(k, 0.0) + took, costs.get(k, 0.0) + cost
        for k, took in self.finished.items():
            if k in self.submitted:
                add(self.kinds.get(k), took, self.submitted[k])
        finished_kinds = {self.kinds.get(k) for k in self.finished}
        for k, fraction in self.progress.items():
            if k in self.submitted and k in self.started and self.kinds.get(k) not in finished_kinds and fraction > 0:
                add(self.kinds.get(k), now - self.started[k], self.submitted[k] * fraction)
        return {kind: seconds[kind] / costs[kind] for kind in seconds if costs[kind] > 0}

    def _loop(self) -> None:
        if self.starter is not None:
            self.starter.join()
        from distributed import Client
        try:
            client = Client(self.address, timeout=30)
        except OSError:
            return
        try:
            client.subscribe_topic(TOPIC, self.handle)
            shown = 0.0
            while not self.stopping.wait(0.5):
                self.workers = len(client.nthreads()) or self.workers
                if self.submitted and time.monotonic() - shown >= self.interval:
                    shown = time.monotonic()
                    end = "\r" if self.tty else "\n"
                    print(("\033[K" if self.tty else "") + self.line(), end=end, file=sys.stderr, flush=True)
        finally:
            client.close()

    def _write_log(self) -> None:
        from .fetch import atomic_write
        from .runs import ROOT
        wall = (self.last - self.first) if self.first and self.last else 0.0
        compute = sum(self.finished.values())
        record = {"fits": len(self.finished), "fit_compute_s": round(compute, 1), "fit_phase_wall_s": round(wall, 1),
                  "workers": self.workers, "utilisation": round(compute / (wall * self.workers), 3) if wall and self.workers else None,
                  "build_wall_s": round(time.monotonic() - self.begin, 1)}
        path = Path(self.out) if self.out else ROOT / "build" / "fit-phase.json"
        atomic_write(path, (json.dumps(record, indent=1) + "\n").encode())


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60}:{seconds % 60:02d}"
