"""Progress a person can follow: one bar per notebook cell, one status line per build.

Interface:
    bar = FitBar(labels, cached)      # one engine.run call: cached fits count as done (quiet=True: shows nothing)
    bar.epoch(i, epoch, max_epochs)   # fit i is running; bar.done(i, seconds); bar.close() (says
                                      # "interrupted" when closed by an interrupt)
    report_epoch(key, fit, epoch, max_epochs), report_done(key, seconds)   # from a Dask worker
    announce(client, key, cost, label, kind, setting)   # a fit submitted (its cost, for the estimate)
    kernel_busy()                     # in a Jupyter kernel: the status "busy" again (the bar's refresh calls it)
    with one_bar(desc[, kept]): ...   # the engine.run calls inside share one bar (08_best: one per class)

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
from contextlib import contextmanager

from .settings import in_pipeline

TOPIC = "workbook-progress"
MIN_INTERVAL = 0.5   # seconds between two epoch events of one fit


class FitBar:
    """The progress of one engine.run call: ``len(labels)`` fits, ``cached`` of them from the cache."""

    def __init__(self, labels: list[str], cached: int, quiet: bool = False):
        self.labels, self.total, self.finished, self.cached = labels, len(labels), cached, cached
        self.running: dict[int, tuple[int, int]] = {}
        self.lock = threading.Lock()
        self.bar, self.quiet, self.shared = None, quiet, False
        if quiet:
            pass
        elif in_pipeline():
            print(f"fits: {self.total - cached} to run, {cached} from the cache", flush=True)
        else:
            self.bar, self.shared = _bar(self.total, cached)
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
        """Show which fits run and at which epoch (called from the thread that owns the display,
        several times a second while fits run), and keep the kernel's status "busy" (kernel_busy)."""
        if self.bar is not None:
            self.bar.set_postfix_str(self._postfix(), refresh=True)
            kernel_busy()

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
                done, total = (self.bar.n, self.bar.total) if self.shared else (self.finished, self.total)
                self.bar.set_postfix_str(f"{what}: {done} of {total} done", refresh=True)
            if not self.shared:
                self.bar.close()


_said_busy = [0.0]


def kernel_busy(every: float = 1.0) -> None:
    """In a Jupyter kernel running a cell: send the status "busy" again (at most every ``every`` s).

    JupyterLab's status bar shows the last status the kernel sent. A request on the kernel's
    control channel (the debugger's, sent when a notebook is opened or switched to; a reconnect's
    kernel_info) is answered while the cell runs and ends with "idle": without this, the bar read
    "Idle" for the minutes the fits ran. The status names the running cell's request as its parent."""
    kernelbase = sys.modules.get("ipykernel.kernelbase")
    now = time.monotonic()
    if kernelbase is None or not kernelbase.Kernel.initialized() or now - _said_busy[0] < every:
        return
    _said_busy[0] = now
    kernel = kernelbase.Kernel.instance()
    parent = kernel.get_parent("shell")
    if parent and parent.get("header", {}).get("msg_type") == "execute_request":
        kernel._publish_status("busy", "shell", parent=parent)


def all_cached(n: int) -> None:
    if _groups and not in_pipeline():   # inside one_bar: counted on its bar
        bar, _ = _bar(n, n)
        bar.set_postfix_str(f"{_groups[-1]['cached']} from the cache", refresh=True)
        return
    print(f"fits: all {n} from the cache (none trained now)", flush=True)


# --- one bar for many engine.run calls ---------------------------------------------------------

_groups: list[dict] = []   # the one_bar blocks open, innermost last


@contextmanager
def one_bar(desc: str, kept: dict | None = None):
    """The engine.run calls inside share one bar named ``desc``, updated in place (08_best: one
    bar per model class, not one per batch of trials); where the pipeline logs, nothing changes.
    ``kept``: a dict the caller keeps across blocks, so a later block for the same ``desc`` adds to
    the same bar (classes whose batches interleave); the caller closes them: ``close_bars(kept)``."""
    group = (kept or {}).get(desc) or {"desc": desc, "bar": None, "cached": 0}
    if kept is not None:
        kept[desc] = group
    _groups.append(group)
    try:
        yield
        if group["bar"] is not None:
            group["bar"].set_postfix_str(f"{group['cached']} from the cache" if group["cached"] else "", refresh=True)
    finally:
        _groups.remove(group)
        if kept is None:
            close_bars({desc: group})


def close_bars(kept: dict) -> None:
    for group in kept.values():
        if group["bar"] is not None:
            group["bar"].close()


def _bar(total: int, cached: int):
    """(bar, shared): the open one_bar's bar grown by ``total`` fits (``cached`` done), else a new one."""
    from tqdm.auto import tqdm
    group = _groups[-1] if _groups else None
    if group is not None and group["bar"] is not None:
        bar = group["bar"]
        bar.total += total
        if hasattr(bar, "container"):   # the notebook widget's own maximum
            bar.container.children[1].max = bar.total
        bar.update(cached)
    else:
        bar = tqdm(total=total, initial=cached, desc=group["desc"] if group else "fits", unit="fit",
                   bar_format="{desc}: {n}/{total} done {bar} {elapsed}{postfix}")
        if group is not None:
            group["bar"] = bar
    if group is not None:
        group["cached"] += cached
    return bar, group is not None


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
