"""Early stopping, and which epoch's weights a fit returns.

Interface:
    keeper = Keeper(config, params, history)   # after epoch 0's row is recorded
    stop = keeper.update(epoch, params)        # after each epoch's row: True when training should stop
    epoch, params = keeper.returned(last_epoch, params)

The monitored hold-out metric m (``config.monitor``; an accuracy counts as -m, so lower is better):
    "best"      stop after ``patience`` epochs without a new best;
    "rise"      stop after ``patience`` epochs in a row each worse than the one before;
    "converged" stop after ``patience`` epochs in a row with |m(e) - m(e-1)| < ``min_delta``;
none of them before more than ``stop_after`` values are recorded. ``restore``: the best epoch's
weights ("best", the default with "best"/"rise"), the last ("last") or those two epochs before
the last ("back2", Zhu & Guo's logistic code).
"""
from __future__ import annotations

import collections

from .config import Config


class Keeper:
    """Tracks the monitored hold-out metric per epoch (the best epoch, early stopping) and
    keeps the weights ``restore`` may return."""

    def __init__(self, config: Config, params: dict, history: dict):
        self.config, self.history = config, history
        self.enabled = config.early_stopping is not None
        self.mode = config.restore or ("best" if self.enabled and config.early_stopping != "converged" else "last")
        self.sign = -1.0 if config.monitor.endswith("acc") else 1.0   # lower is better after sign
        self.tracking = config.monitor in history
        if (self.enabled or self.mode == "best") and not self.tracking:
            raise ValueError(f"{'early stopping' if self.enabled else 'restore best'} monitors "
                             f"{config.monitor!r} but there is no hold-out set")
        self.best_epoch, self.bad = 0, 0
        self.best = self.previous = self._value()
        self.best_params = _copy(params) if self.mode == "best" else None
        self.recent = collections.deque([(0, _copy(params))], maxlen=3) if self.mode == "back2" else None

    def _value(self) -> float:
        return self.sign * self.history[self.config.monitor][-1] if self.tracking else 0.0

    def update(self, epoch: int, params: dict) -> bool:
        """Record this epoch; True when training should stop."""
        value = self._value()
        if value < self.best:
            self.best, self.best_epoch = value, epoch
            if self.best_params is not None:
                self.best_params = _copy(params)
        if self.recent is not None:
            self.recent.append((epoch, _copy(params)))
        if self.config.early_stopping == "best":
            self.bad = 0 if self.best_epoch == epoch else self.bad + 1
        elif self.config.early_stopping == "converged":  # consecutive epochs that changed it by < min_delta
            self.bad = self.bad + 1 if abs(value - self.previous) < self.config.min_delta else 0
        else:  # "rise": consecutive epochs worse than the one before (a higher loss, a lower accuracy)
            self.bad = self.bad + 1 if value > self.previous else 0
        self.previous = value
        checked = epoch + 1 > self.config.stop_after   # values recorded so far: epochs 0..epoch
        return self.enabled and checked and self.bad >= self.config.patience

    def returned(self, last_epoch: int, params: dict) -> tuple[int, dict]:
        """(epoch, weights) that fit returns after ``last_epoch``, the last epoch run."""
        if self.mode == "best":
            return self.best_epoch, self.best_params
        if self.mode == "back2":    # the oldest of the last three: epoch max(last_epoch - 2, 0)
            return self.recent[0]
        return last_epoch, params


def _copy(params: dict) -> dict:
    return {k: v.copy() for k, v in params.items()}
