"""The timings of `make bench` taken in one process, BLAS on one thread (as the engine runs fits).

Interface:
    gemm_floor(n, batch, dtype)      -> (run, flops): one epoch's matrix products of 784-128-10, alone
    least_epoch(x, labels, batch)    -> run(): the least numpy work a training epoch needs (below)
    epoch_runner(config, x, y)       -> run(): one training epoch as ``fit`` runs it (no evaluation)
    eval_runs(config, sets)          -> (floor, run): an epoch's evaluation (history.evaluate on each
                                        split) and its floor, the forward products X·W1 and A·W2 alone
    stacked_vs_alone(configs, splits) -> (run alone, run stacked): ``train.fit`` per config, and
                                        ``stacked.fit_stacked`` of them all
    best_of(repeats, runs)           -> {name: best seconds}, the runs interleaved (a shared machine)
"""
from __future__ import annotations

import time

import numpy as np
from threadpoolctl import threadpool_limits

from ..history import evaluate
from ..train import build_model, fit, run_epoch
from .stacked import fit_stacked


def best_of(repeats: int, runs: dict, blas_threads: int | None = 1) -> dict:
    """Each run's best time over ``repeats`` rounds, one of each per round, after a warm-up; BLAS on
    ``blas_threads`` threads (None: numpy's default, for runs that set their own)."""
    best = dict.fromkeys(runs, float("inf"))
    with threadpool_limits(limits=blas_threads, user_api="blas"):
        for run in runs.values():
            run()
        for _ in range(repeats):
            for name, run in runs.items():
                start = time.perf_counter()
                run()
                best[name] = min(best[name], time.perf_counter() - start)
    return best


def gemm_floor(n: int, batch: int, sizes=(784, 128, 10), seed: int = 0, dtype=np.float32):
    """(run, flops): ``run()`` does one epoch's matrix products of a one-hidden-layer network:
    per batch X·W1, A·W2, Aᵀ·δ2, δ2·W2ᵀ and Xᵀ·δ1, into buffers allocated once."""
    d, h, k = sizes
    rng = np.random.default_rng(seed)
    draw = lambda *shape: rng.standard_normal(shape).astype(dtype)  # noqa: E731
    x, w1, w2, a, d2 = draw(batch, d), draw(d, h), draw(h, k), draw(batch, h), draw(batch, k)
    z1, z2, g2, d1, g1 = (np.empty(s, dtype) for s in ((batch, h), (batch, k), (h, k), (batch, h), (d, h)))
    batches = n // batch

    def epoch():
        for _ in range(batches):
            np.matmul(x, w1, out=z1)
            np.matmul(a, w2, out=z2)
            np.matmul(a.T, d2, out=g2)
            np.matmul(d2, w2.T, out=d1)
            np.matmul(x.T, a, out=g1)

    return epoch, 2 * batches * batch * (2 * d * h + 3 * h * k)


def least_epoch(x: np.ndarray, labels: np.ndarray, batch: int = 128, hidden: int = 128, seed: int = 0):
    """``run()`` does, per batch of a fresh permutation of ``x``, only what a training step of 784-128-10
    (tanh, softmax, classic momentum) cannot skip, each a numpy call into a buffer allocated once: the
    gather of the batch, the five products, the two bias additions and sums, tanh and its derivative
    (1 − a²)δ, the softmax cross-entropy's δ, and v ← γv − g, W ← W + v on the four arrays. No loss value,
    no checks, no schedule: a lower bound of a numpy epoch, what the GEMM floor leaves out."""
    n, d = x.shape
    k, dtype, rng = int(labels.max()) + 1, x.dtype, np.random.default_rng(seed)
    params = [rng.standard_normal(s).astype(dtype) * dtype.type(0.01) for s in ((d, hidden), (hidden,), (hidden, k), (k,))]
    grads, velocity = [np.empty_like(w) for w in params], [np.zeros_like(w) for w in params]
    xb, z1, z2, d1, t1 = (np.empty(s, dtype) for s in ((batch, d), (batch, hidden), (batch, k), (batch, hidden), (batch, hidden)))
    ones, rows, gamma, scale = np.ones(batch, dtype), np.arange(batch), dtype.type(0.9), dtype.type(0.01 / batch)

    def epoch():
        order = rng.permutation(n)
        w1, b1, w2, b2 = params
        for start in range(0, n - batch + 1, batch):
            take = order[start:start + batch]
            np.take(x, take, axis=0, out=xb, mode="clip")
            np.matmul(xb, w1, out=z1)
            np.add(z1, b1, out=z1)
            np.tanh(z1, out=z1)
            np.matmul(z1, w2, out=z2)
            np.add(z2, b2, out=z2)
            np.subtract(z2, z2.max(axis=1, keepdims=True), out=z2)
            np.exp(z2, out=z2)
            np.divide(z2, z2.sum(axis=1, keepdims=True), out=z2)
            z2[rows, labels[take]] -= 1
            np.multiply(z2, scale, out=z2)          # δ times η/N, as fit folds η into the gradients
            np.matmul(z1.T, z2, out=grads[2])
            np.matmul(ones, z2, out=grads[3])
            np.matmul(z2, w2.T, out=d1)
            np.multiply(z1, z1, out=t1)
            np.subtract(1, t1, out=t1)
            np.multiply(d1, t1, out=d1)
            np.matmul(xb.T, d1, out=grads[0])
            np.matmul(ones, d1, out=grads[1])
            for w, g, v in zip(params, grads, velocity):
                v *= gamma
                v -= g
                w += v
    return epoch


def epoch_runner(config, x, y):
    """``run()`` trains ``config``'s model for one epoch (no evaluation) on (x, y)."""
    model = build_model(config, x.shape[1])
    rng = np.random.default_rng(config.seed)
    params = model.init(rng, config.init, np.dtype(config.dtype))
    grads = {k: np.empty_like(v) for k, v in params.items()}
    state = dict.fromkeys(params)
    return lambda: run_epoch(model, params, state, grads, x, y, config, rng, 0, 0)


def eval_runs(config, sets: list):
    """(floor, run) for the evaluation after an epoch: ``run`` is history.evaluate on each (x, y) of
    ``sets`` (train, hold-out, test), ``floor`` only the forward products it needs."""
    model = build_model(config, sets[0][0].shape[1])
    params = model.init(np.random.default_rng(0), config.init, np.dtype(config.dtype))
    outs = [(np.empty((len(x), params["W1"].shape[1]), x.dtype), np.empty((len(x), params["W2"].shape[1]), x.dtype))
            for x, _ in sets]

    def floor():
        for (x, _), (a, z) in zip(sets, outs):
            np.matmul(x, params["W1"], out=a)
            np.matmul(a, params["W2"], out=z)

    def run():
        for x, y in sets:
            evaluate(model, params, x, y)
    return floor, run


def stacked_vs_alone(configs, splits):
    """(alone, stacked): ``run()``s that train ``configs`` one by one with ``fit``, and as one stack."""
    return (lambda: [fit(c, splits) for c in configs]), (lambda: fit_stacked(configs, splits))
