"""What a stored study holds: its trials as rows, and the compute they cost.

Interface:
    trials_table(study) -> [{number, state, value, params, epochs, diverged, started, finished}]
    compute(study) -> {trials, pruned, diverged, epochs, epochs_unpruned, seconds, ..., saved}
    finished(study) -> the trials complete or pruned
    state(trial) -> "COMPLETE" | "PRUNED" | "FAIL" | "RUNNING" | "WAITING"
"""
from __future__ import annotations

FINISHED = ("COMPLETE", "PRUNED")


def state(trial) -> str:
    """A trial's state by name: COMPLETE, PRUNED, FAIL, RUNNING or WAITING."""
    return trial.state.name


def finished(study) -> list:
    return [t for t in study.get_trials(deepcopy=False) if state(t) in FINISHED]


def compute(study) -> dict:
    """The compute of a study's trials, in epochs and in seconds: what they trained, and what the
    same trials would have trained without pruning (each straight to its cap, once);
    ``saved`` = 1 − epochs / epochs_unpruned (negative when the rungs cost more than pruning saved)."""
    trials = [t for t in study.get_trials(deepcopy=False) if "seconds" in t.user_attrs]
    out = {"trials": len(trials), "pruned": sum(state(t) == "PRUNED" for t in trials),
           "diverged": sum("diverged" in t.user_attrs for t in trials)}
    for unit in ("epochs", "seconds"):
        used = "epochs_trained" if unit == "epochs" else "seconds"
        out[unit] = sum(t.user_attrs[used] for t in trials)
        out[f"{unit}_unpruned"] = sum(t.user_attrs.get(f"{unit}_unpruned", t.user_attrs[used]) for t in trials)
    out["saved"] = 1 - out["epochs"] / out["epochs_unpruned"] if out["epochs_unpruned"] else 0.0
    out["saved_seconds"] = 1 - out["seconds"] / out["seconds_unpruned"] if out["seconds_unpruned"] else 0.0
    return out


def trials_table(study) -> list[dict]:
    """Every trial as {number, state, value (the monitored hold-out metric; a pruned trial's best
    reported), params, epochs, diverged, started, finished (POSIX seconds, or None)}."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        if state(t) == "RUNNING" or state(t) == "WAITING":
            continue
        values = list(t.intermediate_values.values())
        best = max if study.direction.name == "MAXIMIZE" else min
        value = t.value if t.value is not None else (best(values) if values else None)
        rows.append({"number": t.number, "state": state(t), "value": value, "params": t.params,
                     "epochs": t.user_attrs.get("epochs_trained"), "diverged": t.user_attrs.get("diverged"),
                     "started": _stamp(t.datetime_start), "finished": _stamp(t.datetime_complete)})
    return rows


def _stamp(when) -> float | None:
    return None if when is None else when.timestamp()
