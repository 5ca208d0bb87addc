"""How far a linear logistic classifier can go on a class's test set: the exact optimum of the
L2-penalised loss at every λ of a grid, each scored on the test set.

The loss is the course's (models.py): E(w, b) = (1/N) Σ_n CE(σ(x_n·w + b), t_n) + λ Σ w², the bias
unpenalised; its optimum is unique for λ > 0. Newton's method finds it in float64: with p = σ(Xw + b),
    g = Xᵀ(p − t)/N + 2λw,   H = Xᵀ diag(p(1 − p)) X / N + 2λI   (bias row and column unpenalised),
    step: [w; b] −= H⁻¹ g, halved until E falls; done when max |step| < 1e-10.
Along the path each λ starts from the previous one's optimum (λ falling).

This is a feasibility check, not a selection: it reads the test set at every λ, so the best of the
path is a ceiling over it (the most any λ of that convex problem reaches here), never a result. It
answers whether a target can be met by the class's model and data at all, whatever the training rule.

Interface:
    w, b = optimum(x, t, l2)                 # Newton, float64; RuntimeError if it does not converge
    path = l2_path(splits, lambdas)          # [{"l2", "holdout_errors", "test_errors"}] trained on splits.x_train
    rows = ceilings(setups)                  # per logistic class: the path trained on the training set, and on
                                             # training + hold-out (what a final refit would use)
    ceiling_table(rows) -> markdown;  ceiling_text(rows) -> one sentence per class (the report's)
"""
from __future__ import annotations

import numpy as np

from ..train import load_splits

LAMBDAS = tuple(float(v) for v in np.logspace(-2, -7, 11))   # the searches' L2 range, 1e-7 to 1e-2, ×√10 apart
TOLERANCE = 1e-10
MAX_STEPS = 100


def _loss(z, t, w, l2) -> float:
    return float(np.mean(np.logaddexp(0.0, z) - t * z) + l2 * (w @ w))


def optimum(x: np.ndarray, t: np.ndarray, l2: float, start=None) -> tuple[np.ndarray, float]:
    """The weights and bias minimising the mean cross-entropy + l2·|w|² (Newton, float64)."""
    if not l2 > 0:
        raise ValueError(f"l2={l2!r}: the optimum is unique only for a positive penalty")
    x = np.hstack([np.asarray(x, np.float64), np.ones((len(x), 1))])
    t = np.asarray(t, np.float64)
    n, d = x.shape
    theta = np.zeros(d) if start is None else np.concatenate([start[0], [start[1]]]).astype(np.float64)
    ridge = np.full(d, 2 * l2)
    ridge[-1] = 0.0
    z = x @ theta
    for _ in range(MAX_STEPS):
        p = 0.5 * (1 + np.tanh(z / 2))                       # σ(z), stable for any z
        grad = x.T @ (p - t) / n + ridge * theta
        hess = (x.T * (p * (1 - p) / n)) @ x
        hess[np.diag_indices(d)] += ridge
        step = np.linalg.solve(hess, grad)
        before, scale = _loss(z, t, theta[:-1], l2), 1.0
        while scale > 1e-8:
            trial = theta - scale * step
            z_trial = x @ trial
            if _loss(z_trial, t, trial[:-1], l2) <= before:
                break
            scale /= 2
        theta, z = trial, z_trial
        if np.max(np.abs(scale * step)) < TOLERANCE:
            return theta[:-1], float(theta[-1])
    raise RuntimeError(f"Newton's method did not converge in {MAX_STEPS} steps at l2={l2:g}")


def _errors(x, t, w, b) -> int:
    return int(np.sum((np.asarray(x, np.float64) @ w + b > 0) != (np.asarray(t) > 0.5)))


def l2_path(splits, lambdas=LAMBDAS, holdout_in_training: bool = False) -> list[dict]:
    """Per λ (largest first): hold-out and test errors of the optimum on the training set (plus the
    hold-out set when ``holdout_in_training``: then its hold-out errors are training errors)."""
    x, t = splits.x_train, splits.y_train
    if holdout_in_training:
        x, t = np.vstack([x, splits.x_holdout]), np.concatenate([t, splits.y_holdout])
    out, start = [], None
    for l2 in sorted(lambdas, reverse=True):
        start = optimum(x, t, l2, start)
        out.append({"l2": l2, "holdout_errors": _errors(splits.x_holdout, splits.y_holdout, *start),
                    "test_errors": _errors(splits.x_test, splits.y_test, *start)})
    return out


def ceilings(setups: dict, lambdas=LAMBDAS) -> dict:
    """{class: {"n_test", "n_train", "path", "path_with_holdout"}} for the logistic classes of ``setups``
    (best.setups), their data in float64."""
    out = {}
    for name, setup in setups.items():
        if setup.base.model != "logistic":
            continue
        splits = load_splits(setup.base.replace(dtype="float64"))
        out[name] = {"n_test": len(splits.y_test), "n_train": len(splits.y_train), "n_holdout": len(splits.y_holdout),
                     "path": l2_path(splits, lambdas),
                     "path_with_holdout": l2_path(splits, lambdas, holdout_in_training=True)}
    return out


def best_of(path: list[dict], errors: str = "test_errors") -> dict:
    """The path's point with the fewest ``errors`` (test, or "holdout_errors": what the hold-out would
    choose), the largest λ among ties."""
    return min(path, key=lambda p: (p[errors], -p["l2"]))


def ceiling_table(rows: dict) -> str:
    """Markdown: per class, the fewest test errors any λ reaches, trained without and with the hold-out."""
    lines = ["| class | test images | trained on | fewest test errors over λ (test-chosen) | at λ | "
             "λ the hold-out would choose: test errors |", "|---|---|---|---|---|---|"]
    for name, row in rows.items():
        for key, what in (("path", f"training set ({row['n_train']})"),
                          ("path_with_holdout", f"training + hold-out ({row['n_train'] + row['n_holdout']})")):
            top = best_of(row[key])
            chosen = best_of(row["path"], "holdout_errors") if key == "path" else None
            n = row["n_test"]
            hold_out = f"{chosen['test_errors']} ({_pct(chosen['test_errors'], n)})" if chosen else "–"
            lines.append(f"| {name} | {n} | {what} | {top['test_errors']} ({_pct(top['test_errors'], n)}) | "
                         f"{top['l2']:.2g} | {hold_out} |")
    return "\n".join(lines)


def _pct(errors: int, n: int) -> str:
    return f"{100 * (1 - errors / n):.2f} %"


def ceiling_text(rows: dict) -> str:
    """Markdown: what the feasibility check found, one sentence per logistic class."""
    out, grid = [], sorted({p["l2"] for row in rows.values() for p in row["path"]})
    for name, row in rows.items():
        n, top, with_holdout = row["n_test"], best_of(row["path"]), best_of(row["path_with_holdout"])
        chosen = best_of(row["path"], "holdout_errors")
        out.append(f"{name}: at best {top['test_errors']} errors on its {n} test images ({_pct(top['test_errors'], n)}, "
                   f"λ {top['l2']:.2g}), {with_holdout['test_errors']} when the hold-out is trained on too "
                   f"({_pct(with_holdout['test_errors'], n)}); the λ the hold-out would choose makes "
                   f"{chosen['test_errors']} ({_pct(chosen['test_errors'], n)})")
    return ("**How far a linear model can go here** (a feasibility check that reads the test set, so a ceiling, never "
            f"a result): the exact optimum of the L2-penalised logistic loss at {len(grid)} values of λ from "
            f"{grid[0]:g} to {grid[-1]:g} (Newton's method, float64; `helpers/pipeline/ceiling.py`) gives " +
            "; ".join(out) + ".") if out else ""
