"""Progress a person can follow: one bar per notebook cell, one status line per build.

Interface:
    bar = FitBar(labels, cached)      # one engine.run call: cached fits count as done (quiet=True: shows nothing)
    bar.epoch(i, epoch, max_epochs)   # fit i is running; bar.done(i, seconds); bar.close() (says
                                      # "interrupted" when closed by an interrupt)
    report_epoch(key, fit, epoch, max_epochs), report_done(key, seconds)   # from a Dask worker
    announce(client, key, cost, label, kind, setting)   # a fit submitted (its cost, for the estimate)

In JupyterLab the bar is a widget (tqdm.auto) that names the running fits and their epochs and
refreshes in place; where the pipeline logs (``$WORKBOOK_OUTPUT`` set) it prints one line per
fit; when every fit comes from the cache it says so in one line. Workers report epochs as Dask
events on the topic ``TOPIC`` (at most two a second per fit); the build's monitor (monitor.py)
listens to the same topic.
"""
from __future__ import annotations

import sys
import threading
import time

from .settings import in_pipeline

TOPIC = "workbook-progress"
MIN_INTERVAL = 0.5   # seconds between two epoch events of one fit


class FitBar:
    """The progress of one engine.run call: ``len(labels)`` fits, ``cached`` of them from the cache."""

    def __init__(self, labels: list[str], cached: int, quiet: bool = False):
        self.labels, self.total, self.finished, self.cached = labels, len(labels), cached, cached
        self.running: dict[int, tuple[int, int]] = {}
        self.lock = threading.Lock()
        self.bar, self.quiet = None, quiet
        if quiet:
            pass
        elif in_pipeline():
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
        if self.quiet:
            return
        if self.bar is None:
            took = f" in {seconds:.1f} s" if seconds else ""
            ran = f", {epochs[0]} epochs" if epochs else ""
            print(f"fits: {self.finished}/{self.total} done: {self.labels[i]}{ran}{took}", flush=True)
        else:
            self.bar.update()
            self.refresh()

    def close(self) -> None:
        """The bar's last state; closed while an exception propagates (engine.run's ``finally``),
        it says "interrupted" (Kernel > Interrupt) or "stopped by an error", never a fit running."""
        if self.bar is not None:
            error = sys.exc_info()[1]
            if error is None:
                self.refresh()
            else:
                with self.lock:
                    self.running.clear()
                what = "interrupted" if isinstance(error, KeyboardInterrupt) else "stopped by an error"
                self.bar.set_postfix_str(f"{what}: {self.finished} of {self.total} done", refresh=True)
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


def epoch_reporter(key: str, on_epoch=None, task: str | None = None):
    """A callback ``(fit, epoch, max_epochs)`` that reports to the topic (rate-limited) and to
    ``on_epoch`` (in this process), and raises FitCancelled once the task ``fit-<task>`` is cancelled
    (``task``: the key of the Dask task that runs this fit, when it is not the fit's own: a stack)."""
    last = [0.0]
    task = task or key

    def report(fit: int, epoch: int, max_epochs: int) -> None:
        if on_epoch is not None:
            on_epoch(fit, epoch, max_epochs)
        if task and _cancelled(f"fit-{task}"):
            raise FitCancelled(f"fit-{task} was cancelled at epoch {epoch}")
        now = time.monotonic()
        if now - last[0] >= MIN_INTERVAL or epoch == max_epochs:
            last[0] = now
            _log_event({"event": "epoch", "key": key, "fit": fit, "epoch": epoch, "epochs": max_epochs})
    return report


def report_done(key: str, seconds: float) -> None:
    _log_event({"event": "done", "key": key, "seconds": seconds})


def announce(client, key: str, cost: float, label: str, kind: str, setting: str = "") -> None:
    """Tell the build's monitor that a fit was submitted, with its estimated cost, its kind and its
    setting (estimate.py learns seconds per cost unit by each)."""
    try:
        client.log_event(TOPIC, {"event": "submitted", "key": key, "cost": cost, "label": label, "kind": kind,
                                 "setting": setting})
    except Exception:  # noqa: BLE001 - progress must never stop a fit
        pass
