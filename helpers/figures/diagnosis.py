"""What a run's history says about the run: measured, never typed (numpy only, no drawing).

Interface:
    diagnose(history, chance=None)   # "diverged (...)", "never left chance (...)", "... oscillates (...)", or None

A history is a ``Result.history`` dict (columns "epoch", "<split>_loss", "<split>_acc", ...).
The figures draw a flagged run dotted with its flag in the legend; the report names the flags
in its captions and tables.
"""
from __future__ import annotations

import numpy as np


def diagnose(history: dict, chance: float | None = None, margin: float = 0.05, swing: float = 0.03) -> str | None:
    """A short flag when a run's history shows trouble, else None. Measured, in this order:

    - "diverged (non-finite <column> from epoch k)": a loss or accuracy that is NaN or infinite;
    - "diverged (training loss rose from a to b)": the last training loss more than twice its
      first and more than four times its lowest;
    - "never left chance (...)": no accuracy of any split ever above ``chance + margin``
      (``chance`` = 1/classes; without it this test is skipped);
    - "hold-out accuracy oscillates (...)": over the second half of the record (at least four
      changes), at least half of the consecutive changes reverse the one before, each by more
      than ``swing`` (a fraction: 0.03 = 3 points); "oscillates at chance" when, besides, the
      hold-out accuracy over that half averages no more than ``chance + margin``.
    """
    epochs = list(history.get("epoch", []))
    for column, values in history.items():
        if column.endswith(("_loss", "_acc")):
            values = np.asarray([np.nan if v is None else v for v in values], dtype=float)
            bad = ~np.isfinite(values)
            if bad.any():
                first = int(np.argmax(bad))
                when = epochs[first] if first < len(epochs) else first
                return f"diverged (non-finite {column.replace('_', ' ')} from epoch {when})"
    flags = []
    train = np.asarray(history.get("train_loss", []), dtype=float)
    if len(train) >= 3 and train[-1] > 2 * train[0] and train[-1] > 4 * train.min():
        flags.append(f"diverged (training loss rose from {train[0]:.3g} to {train[-1]:.3g})")
    accuracy = {split: np.asarray(history[f"{split}_acc"], dtype=float)
                for split in ("holdout", "test", "train") if f"{split}_acc" in history}
    if chance is not None and accuracy and max(a.max() for a in accuracy.values()) <= chance + margin:
        best = next(iter(accuracy.values())).max()
        flags.append(f"never left chance (best {100 * best:.1f}% against chance {100 * chance:.0f}%)")
    holdout = accuracy.get("holdout")
    if holdout is not None:
        half = holdout[max(len(holdout) // 2 - 1, 0):]
        changes = np.diff(half)
        big = np.abs(changes) > swing
        reversals = big[1:] & big[:-1] & (np.sign(changes[1:]) != np.sign(changes[:-1]))
        if len(reversals) >= 3 and reversals.mean() >= 0.5:
            swings = f"swings of up to {100 * np.abs(changes).max():.0f} points"
            if chance is not None and half.mean() <= chance + margin:
                flags = [f for f in flags if not f.startswith("never left chance")]
                flags.append(f"oscillates at chance (hold-out accuracy {100 * half.mean():.0f}% on average, {swings})")
            else:
                flags.append(f"hold-out accuracy oscillates ({swings})")
    return "; ".join(flags) if flags else None
