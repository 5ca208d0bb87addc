"""Spending `make best`'s budget where it pays: which model class's study gets the next batch of trials.

Interface:
    gain(study, batch) -> float          # how much the class's last batch improved its best hold-out score
    score(study, batch, n, total) -> (score, parts)    # the rule below, for one class
    pick(studies, batch) -> class | None                # the class whose study gets the next batch

The rule (a UCB rule on gain per minute). Every class first gets one batch (``batch`` trials:
something to compare). Then, until the budget's deadline or until every study has its
``trials``, the next batch goes to the class with the highest

    score = (gain + EXPLORE · sqrt(2 ln N / n)) / minutes

    gain     the relative fall of the class's best hold-out error over its last batch:
             (e_before − e_after) / e_before, e = 1 − accuracy (or the hold-out loss it minimises),
             e_before the best of the trials before that batch, e_after of all; 1 after one batch
    n, N     the batches this class had, and all classes together (the bonus: a class not tried
             lately gets its turn again)
    minutes  the compute one batch of this class costs: its trials' seconds so far / its batches

so a class whose last trials still improved it, and that is cheap to try, goes first; a class
that stopped improving waits until the bonus of the others' turns brings it back. The scores are
computed from the stored studies, so an interrupted search resumes with the same information.
"""
from __future__ import annotations

import math

from .trials import finished, state

EXPLORE = 0.1


def _errors(study, leave_out=()) -> list[float]:
    """The hold-out error of each complete trial (1 − accuracy, or the loss), but those numbered in ``leave_out``."""
    maximise = study.direction.name == "MAXIMIZE"
    return [1 - t.value if maximise else t.value for t in study.get_trials(deepcopy=False)
            if state(t) == "COMPLETE" and t.value is not None and t.number not in leave_out]


def complete(study) -> bool:
    return any(state(t) == "COMPLETE" for t in study.get_trials(deepcopy=False))


def gain(study, batch: int) -> float:
    """(e_before − e_after) / e_before over the study's last ``batch`` finished trials (1: nothing before them)."""
    done = sorted(t.number for t in finished(study))
    if len(done) <= batch:
        return 1.0
    before, after = _errors(study, set(done[-batch:])), _errors(study)
    if not before or not after:
        return 1.0
    e_before, e_after = min(before), min(after)
    return max(e_before - e_after, 0.0) / e_before if e_before > 0 else 0.0


def batches(study, batch: int) -> int:
    return max(1, math.ceil(len(finished(study)) / batch))


def minutes(study, batch: int) -> float:
    """Compute a batch of this study's trials costs: its trials' seconds so far per batch, in minutes."""
    seconds = sum(t.user_attrs.get("seconds", 0.0) for t in study.get_trials(deepcopy=False))
    return max(seconds / batches(study, batch) / 60, 1e-3)


def score(study, batch: int, total: int) -> tuple[float, dict]:
    """The class's score (module docstring) and its parts; ``total``: the batches of every class."""
    n = batches(study, batch)
    parts = {"gain": gain(study, batch), "bonus": EXPLORE * math.sqrt(2 * math.log(max(total, 1)) / n),
             "minutes": minutes(study, batch), "batches": n}
    return (parts["gain"] + parts["bonus"]) / parts["minutes"], parts


def pick(studies: dict, batch: int, cap: int) -> tuple[str | None, dict]:
    """The class whose study gets the next batch: one without a complete trial first (in order), else the
    highest score among those below ``cap`` trials; None when every study has its trials."""
    open_ = {name: s for name, s in studies.items() if len(finished(s)) < cap}
    for name, s in open_.items():
        if not complete(s):
            return name, {"first": True}
    if not open_:
        return None, {}
    total = sum(batches(s, batch) for s in studies.values())
    scored = {name: score(s, batch, total) for name, s in open_.items()}
    name = max(scored, key=lambda k: scored[k][0])
    return name, {"score": scored[name][0], **scored[name][1]}
