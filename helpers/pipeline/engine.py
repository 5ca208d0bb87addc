"""Fits as tasks: each fit (or warm-started chain of fits) is one Dask task, cached by content.

Interface:
    results = run(jobs, labels)     # jobs: [(Config, ...)], one tuple per task; -> [[Result, ...]] in order
    cache.key(job)                  # the content key of a job: its cache entry and its Dask task name
    cost(job)                       # its estimated cost: long fits start first (Dask priority)

A job is a tuple of configurations: one fit, or a chain that warm-starts each fit from the
previous one's weights (train.sweep). Where fits run (cluster.py): the scheduler at
``$DASK_SCHEDULER_ADDRESS``, else a local cluster started on first use in a process of its own
(``$WORKBOOK_WORKERS`` worker processes, default one per core); ``$WORKBOOK_ENGINE=serial``, or a
single task to compute without a scheduler, runs in this process (the numbers are the same bits).
Linear fits of one call that share their images and batches are one task (stacks.py): trained
together as one array program (stacked.fit_stacked), each fit cached under its own key.
Workers load and verify the data themselves (data.load), once per data setting per process.
Progress (progress.py): one bar per call naming the running fits and their epochs; an interrupt
cancels what is left and says how many fits are done (those are cached: run again to continue).

Every job is first looked up in the fit cache (cache.py): changing the pipeline, the figures
or a notebook reruns no fit; changing one variant reruns one fit. Fits run with BLAS on one
thread (threadpoolctl), the same bits wherever they run.
"""
from __future__ import annotations

import functools
import json
import time

from threadpoolctl import threadpool_limits

from .. import train
from ..config import Config
from . import cluster, progress, provenance, settings, stacked, stacks
from .cache import key, load_cached, store
from .estimate import kind, priority, probes, read_plan, setting
# Config fields that do not change the arrays a fit trains on: jobs that differ only in
# these share their splits in a worker.
NOT_DATA = {"model", "hidden", "activation", "init", "bias", "reduction", "l1", "l2", "l2_gradient",
            "penalise_bias", "optimizer", "lr", "momentum", "batch_size", "shuffle", "epochs", "anneal_T",
            "anneal_per", "early_stopping", "monitor", "patience", "restore", "seed", "eval_every", "progress"}
NOT_DATA |= {"bias_input", "min_delta", "stop_after"}   # the training options of issue 18
NOT_DATA |= {"beta1", "beta2", "adam_eps", "weight_decay", "schedule", "lr_drop", "warmup"}   # issue 27's


# --- the task ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=3)
def _splits(data_key: str):
    return train.load_splits(Config.from_dict(json.loads(data_key)))


def _data_key(config: Config) -> str:
    fields = {k: v for k, v in config.to_dict().items() if k not in NOT_DATA}
    # load_splits builds a Config: keep the fields that make a valid one (a pair needs a logistic model)
    fields.update(model="logistic" if config.digits is not None else "softmax", progress=False)
    return provenance.canonical(fields)


def execute(job: tuple, progress_key: str | None = None, on_epoch=None) -> list:
    """Run one job here (in a worker or in this process): one fit, or a warm-started chain.
    Its epochs are reported as progress events (``progress_key``) and to ``on_epoch(fit, epoch, n)``."""
    started = time.perf_counter()
    splits = _splits(_data_key(job[0]))
    quiet = [c.replace(progress=False) for c in job]   # progress goes through the reporter, not stderr
    report = progress.epoch_reporter(progress_key or "", on_epoch)
    with threadpool_limits(limits=1, user_api="blas"):   # one BLAS thread: fast, and the same bits everywhere
        if len(job) == 1:
            results = [train.fit(quiet[0], splits, on_epoch=functools.partial(report, 0))]
        else:
            results = train.sweep(quiet, splits, on_epoch=report)
    for result, config in zip(results, job):
        result.config = config
    progress.report_done(progress_key or "", time.perf_counter() - started)
    return results


def execute_stack(jobs: list, keys: list, task: str = "", on_epoch=None) -> list:
    """Run single-fit ``jobs`` that share a stack key as one array program (stacked.fit_stacked), here;
    -> [[Result] per job]. Each fit reports its epochs and its share of the time under its own key."""
    splits = _splits(_data_key(jobs[0][0]))
    reports = [progress.epoch_reporter(k, on_epoch, task) for k in keys]
    with threadpool_limits(limits=1, user_api="blas"):
        results = stacked.fit_stacked([job[0].replace(progress=False) for job in jobs], splits,
                                      on_epoch=lambda fit, epoch, n: reports[fit](fit, epoch, n))
    for result, job, k in zip(results, jobs, keys):
        result.config = job[0]
        progress.report_done(k, result.wall_time)
    return [[result] for result in results]


class Interrupted(KeyboardInterrupt):
    """Kernel > Interrupt while fits ran: one line in the notebook, not a traceback."""

    def _render_traceback_(self):   # IPython shows these lines instead of the traceback
        return [str(self)]


def cost(job: tuple) -> float:
    """A fit's estimated cost: epochs x training images x weights, summed over a chain (for the
    order fits start in: long ones first, so a build does not end waiting on one started last)."""
    total = 0.0
    for config in job:
        images = config.n_train or 60000
        sizes = [784, *(config.hidden or ()), 10 if config.digits is None else 1]
        weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
        total += config.epochs * images * weights
    return total


def run(jobs: list, labels: list | None = None, log=print, stats: dict | None = None, quiet: bool = False) -> list:
    """[[Result per config of job] for each job], in order; cached jobs are not recomputed.

    ``labels``: a name per job for progress and errors (e.g. "l2 λ=0.01, seed 1").
    ``stats``: filled with {"cached": n, "computed": m, "where": "dask"|"serial"}.
    ``quiet``: no progress bar and no per-fit lines (`make bench` prints figures only).
    An interrupt (KeyboardInterrupt) cancels the fits not yet finished and raises Interrupted
    saying how many are done: the finished ones are cached, so running the cell again continues.
    """
    jobs = [tuple(job) for job in jobs]
    labels = labels or [f"job {i + 1}" for i in range(len(jobs))]
    code = provenance.code_digest(provenance.FIT_CODE)   # read the training code once, not per job
    keys = [key(job, code) for job in jobs]
    results = [load_cached(k, job, log) for k, job in zip(keys, jobs)]
    todo = [i for i, r in enumerate(results) if r is None]
    groups = stacks.tasks(jobs, todo)   # linear fits that share their data: one task, one array program
    where = "serial" if settings.serial() or (len(groups) <= 1 and settings.scheduler_address() is None) else "dask"
    if stats is not None:
        stats.update(cached=len(jobs) - len(todo), computed=len(todo), where=where)
    if not todo:
        if not quiet:
            progress.all_cached(len(jobs))
        return results
    bar = progress.FitBar(labels, len(jobs) - len(todo), quiet=quiet)
    try:
        if where == "serial":
            for members, stacked_ in groups:
                show = lambda fit, epoch, n, m=members, s=stacked_: (  # noqa: E731 (a chain's fits are one job)
                    bar.epoch(m[fit if s else 0], epoch, n), bar.refresh())
                out = _labelled(execute_stack, [jobs[i] for i in members], _label(labels, members),
                                [keys[i] for i in members], "", show) if stacked_ else \
                    [_labelled(execute, jobs[members[0]], labels[members[0]], keys[members[0]], show)]
                for i, result in zip(members, out):
                    results[i] = result
                    store(keys[i], result)
                    bar.done(i, result[-1].wall_time)
        else:
            _run_on_dask(jobs, keys, labels, groups, results, bar)
    except KeyboardInterrupt:
        done = sum(r is not None for r in results)
        raise Interrupted(f"interrupted: {done} of {len(jobs)} fits done; run the cell again to continue") from None
    finally:
        bar.close()
    return results


def _label(labels: list, members: list) -> str:
    return f"a stack of {len(members)} fits ({'; '.join(labels[i] for i in members)})"


def _labelled(fn, job, label, *args):
    try:
        return fn(job, *args)
    except Exception as error:
        error.add_note(f"engine: while running {label}")
        raise


def _run_on_dask(jobs, keys, labels, groups, results, bar) -> None:
    from distributed.scheduler import KilledWorker
    c = cluster.client()
    index = {f"fit-{keys[i]}": i for members, _ in groups for i in members}

    def on_event(event):
        message = event[1]
        i = index.get(f"fit-{message.get('key')}")
        if i is not None and message.get("event") == "epoch":
            bar.epoch(i, message["epoch"], message["epochs"])
    c.subscribe_topic(progress.TOPIC, on_event)
    # the content key is the task's name: the same fit asked twice (by two notebooks of one
    # build) is computed once by the scheduler; the plan's probes (one fit of each kind: the status
    # line's estimate learns each kind's pace early), then long fits first (priority)
    futures, first = {}, probes(read_plan(settings.output_root() / "build" / "plan.json")[1])
    for members, stacked_ in groups:
        rank = priority([keys[i] for i in members], max(cost(jobs[i]) for i in members), first)
        if stacked_:   # a stack: one task, named from its fits' keys; each fit is announced under its own
            name = stacks.task_key([keys[i] for i in members])
            future = c.submit(execute_stack, [jobs[i] for i in members], [keys[i] for i in members], name,
                              key=f"fit-{name}", pure=False, retries=0, priority=rank)
        else:
            i = members[0]
            future = c.submit(execute, jobs[i], keys[i], key=f"fit-{keys[i]}", pure=False, retries=0,
                              priority=rank)
        futures[future] = members, stacked_
        for i in members:
            progress.announce(c, keys[i], cost(jobs[i]), labels[i], kind(jobs[i]), setting(jobs[i]))
    pending, checked = set(futures), time.monotonic()
    try:
        while pending:
            finished = [future for future in pending if future.done()]
            pending.difference_update(finished)
            for future in finished:
                members, stacked_ = futures[future]
                label = _label(labels, members) if stacked_ else labels[members[0]]
                try:
                    out = future.result() if stacked_ else [future.result()]
                except KilledWorker as error:
                    raise RuntimeError(f"{label}: Dask workers died {error.args[-1] if error.args else ''} "
                                       "times while running this fit; nothing was written") from None
                except Exception as error:
                    error.add_note(f"engine: while running {label} on Dask")
                    raise
                for i, result in zip(members, out):
                    results[i] = result
                    store(keys[i], result)
                    bar.done(i, result[-1].wall_time)
            bar.refresh()
            if pending and not finished:
                time.sleep(0.25)   # an interrupt lands here, between two looks at the futures
            if pending and time.monotonic() - checked > 5:
                checked = time.monotonic()
                if not c.nthreads():
                    cluster.wait_for_a_worker(c)   # an error after a while without any worker
    finally:
        c.unsubscribe_topic(progress.TOPIC)
        if pending:
            c.cancel(list(pending))
        for future in futures:
            future.release()
