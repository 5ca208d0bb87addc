"""Which fits of one engine.run call train together as one array program (helpers.pipeline.stacked).

Interface:
    tasks(jobs, todo) -> [(indices, stacked)]   # the tasks that compute the jobs ``todo`` (indices into jobs)
    task_key(keys) -> str                      # a stack's task name, from its fits' cache keys

The grouping is a fixed function of the call's jobs, never of the cache: single-fit jobs of one
``stacked.stack_key`` (the same images, linear model and batches), two or more of them among all
the jobs of the call, cached or not, form a stack. Its fits still to compute train together,
through ``stacked.fit_stacked`` even when only one of them is left (a session that changed one
variant): a fit of a stack gets the same numbers whichever of its companions were cached. A job
whose key no other job shares (a network, a warm-started chain, a lone linear fit) runs alone
through ``train.fit``, exactly as before stacks existed. Each fit keeps its own cache entry.
"""
from __future__ import annotations

import hashlib

from .stacked import stack_key


def tasks(jobs: list[tuple], todo: list[int]) -> list[tuple[list[int], bool]]:
    """[(job indices, stacked)] covering ``todo`` in its order: one task per stack, one per other job."""
    groups: dict = {}
    for i, job in enumerate(jobs):
        k = stack_key(job[0]) if len(job) == 1 else None
        if k is not None:
            groups.setdefault(k, []).append(i)
    stack_of = {i: tuple(members) for members in groups.values() if len(members) > 1 for i in members}
    out, seen = [], set()
    for i in todo:
        if i not in stack_of:
            out.append(([i], False))
        elif stack_of[i] not in seen:
            seen.add(stack_of[i])
            out.append(([j for j in stack_of[i] if j in todo], True))
    return out


def task_key(keys: list[str]) -> str:
    """The Dask name of a stack's task (prefixed "fit-" like a fit's): a digest of its fits' keys."""
    return "stack-" + hashlib.sha256(" ".join(keys).encode()).hexdigest()[:40]
