"""Numerical gradient check by central differences.

Interface: ``check_gradients(loss_fn, params, eps, entries) -> list[Row]`` where
``loss_fn(params) -> (loss, grads)`` is any model's loss at fixed data (grads keyed like
params). For each chosen entry w of each parameter array:

    order 2:  numerical = (E(w + ε) - E(w - ε)) / 2ε,                   error O(ε²)
    order 4:  numerical = (8[E(w + ε) - E(w - ε)] - [E(w + 2ε) - E(w - 2ε)]) / 12ε,  O(ε⁴)
    abs_diff  = |numerical - backprop|,       rel_diff = abs_diff / max(|numerical|, |backprop|)

Run it in float64 (the parameters are copied to float64 here). Rounding puts a floor of
about ulp(E)/ε ≈ 2e-16 |E|/ε under |numerical - backprop|: order 2 with ε = 1e-5 resolves
entries down to ~1e-3 |E| at 1e-7 relative, order 4 with ε = 1e-3 (truncation ~ε⁴)
down to ~1e-5 |E|, which is what the strict check uses.

Each row carries that ``floor`` (|E| u c / ε, u the float64 unit roundoff, c = 1 for order 2
and 1.5 for order 4: the stencil's weights). ``resolved(row, rtol)`` says whether the
quotient can show a relative error of ``rtol`` at that entry at all; an unresolved entry
(a gradient near 1e-6 on an image with ink everywhere, say) agrees when ``abs_diff <= floor``.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Row(NamedTuple):
    layer: int          # weight layer number: W2/b2 -> 2
    parameter: str      # key in params, e.g. "W2"
    index: tuple        # entry inside that array
    numerical: float
    backprop: float
    abs_diff: float
    rel_diff: float
    floor: float        # rounding floor of the difference quotient (see the module docstring)


def check_gradients(loss_fn, params: dict, eps: float = 1e-3, entries=None, order: int = 4) -> list[Row]:
    """Compare ``loss_fn``'s gradients with central differences of ``order`` 2 or 4.

    ``entries``: None for every entry of every parameter (small models only), or a list of
    (parameter name, index tuple) pairs. ``params`` is not modified.
    """
    if not eps > 0:
        raise ValueError(f"eps={eps!r} must be > 0")
    if order not in (2, 4):
        raise ValueError(f"order={order!r}: choose 2 or 4")
    params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    loss, grads = loss_fn(params)
    floor = abs(float(loss)) * np.finfo(np.float64).eps * (1.0 if order == 2 else 1.5) / eps
    grads = {k: np.array(v, dtype=np.float64) for k, v in grads.items()}
    if entries is None:
        entries = [(name, idx) for name, w in params.items() for idx in np.ndindex(w.shape)]
    rows = []
    for name, idx in entries:
        if name not in params:
            raise ValueError(f"parameter {name!r} is not one of {sorted(params)}")
        w = params[name]
        idx = tuple(int(i) for i in idx)
        numerical = _central_difference(loss_fn, params, w, idx, eps, order)
        backprop = float(grads[name][idx])
        diff = abs(numerical - backprop)
        scale = max(abs(numerical), abs(backprop))
        rows.append(Row(int(name[1:]) if name[1:].isdigit() else 0, name, idx,
                        numerical, backprop, diff, diff / scale if scale else 0.0, floor))
    return rows


def resolved(row: Row, rtol: float = 1e-7) -> bool:
    """Whether the difference quotient can resolve a relative error of ``rtol`` at this entry."""
    return max(abs(row.numerical), abs(row.backprop)) * rtol > row.floor


def agrees(row: Row, rtol: float = 1e-7) -> bool:
    """Relative error below ``rtol`` where the quotient resolves it, within rounding elsewhere."""
    return row.rel_diff < rtol if resolved(row, rtol) else row.abs_diff <= row.floor


def _central_difference(loss_fn, params, w, idx, eps, order) -> float:
    """The order-2 or order-4 central difference of the loss in entry ``w[idx]``."""
    saved = w[idx]

    def loss_at(value):
        w[idx] = value
        return loss_fn(params)[0]

    try:
        near = loss_at(saved + eps) - loss_at(saved - eps)
        if order == 2:
            return near / (2 * eps)
        far = loss_at(saved + 2 * eps) - loss_at(saved - 2 * eps)
        return (8 * near - far) / (12 * eps)
    finally:
        w[idx] = saved


def max_rel_diff(rows: list[Row]) -> float:
    return max(row.rel_diff for row in rows)


def format_table(rows: list[Row]) -> str:
    """The rows as a fixed-width text table, one line per entry."""
    lines = [f"{'layer':>5} {'param':>5} {'index':>10} {'numerical':>14} {'backprop':>14} "
             f"{'abs diff':>10} {'rel diff':>10}"]
    for r in rows:
        lines.append(f"{r.layer:>5} {r.parameter:>5} {str(r.index):>10} {r.numerical:>14.8g} "
                     f"{r.backprop:>14.8g} {r.abs_diff:>10.2e} {r.rel_diff:>10.2e}")
    return "\n".join(lines)
