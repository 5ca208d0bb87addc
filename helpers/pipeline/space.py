"""A search space: the Config fields a search varies, each with its kind and range.

Interface:
    space = Space({"lr": ["log", 1e-3, 1.0], "batch_size": ["choice", 32, 128]})   # checked against Config
    space.suggest(trial) -> {field: value}     # one setting, drawn by an Optuna trial's sampler
    chosen(base, params) -> Config             # the configuration a trial's params describe
    describe(params) -> "η 0.031, γ 0.87, batch 64, T none"
    rung_epochs(cap, rung)                     # the epochs of a trial's first, prunable fit

Kinds: [log, low, high] (a number range sampled on a log scale), [float, low, high],
[int, low, high], [choice, value, ...]. Numbers given as text are cast once (config.number_from_text).
"""
from __future__ import annotations

from ..config import Config, number_from_text

KINDS = {"log": "a number range sampled on a log scale: [log, low, high] with 0 < low < high",
         "float": "a number range: [float, low, high] with low < high",
         "int": "an integer range: [int, low, high] with low < high",
         "choice": "a list of values: [choice, value, value, ...] (null allowed)"}
class SearchError(ValueError):
    """A search space or search setting that cannot be searched; the message says how to fix it."""


class Space:
    """The fields a search varies, each with its kind and range (``KINDS``), checked against Config."""

    def __init__(self, spec: dict):
        if not isinstance(spec, dict) or not spec:
            raise SearchError(f"space={spec!r}: give a non-empty mapping {{Config field: [kind, ...]}}")
        fields = set(Config.__dataclass_fields__)
        self.spec = {}
        for name, entry in spec.items():
            if name not in fields:
                raise SearchError(f"space: {name!r} is not a Config field; valid: {', '.join(sorted(fields))}")
            if not isinstance(entry, (list, tuple)) or not entry or entry[0] not in KINDS:
                raise SearchError(f"space: {name}={entry!r}: give one of {'; '.join(KINDS.values())}")
            kind, values = entry[0], [number_from_text(v) if entry[0] in ("log", "float") else v for v in entry[1:]]
            ok = (len(values) >= 1) if kind == "choice" else (
                len(values) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
                and values[0] < values[1] and (kind != "log" or values[0] > 0)
                and (kind != "int" or all(isinstance(v, int) for v in values)))
            if not ok:
                raise SearchError(f"space: {name}={entry!r} is not {KINDS[kind]}")
            self.spec[name] = (kind, values)

    def suggest(self, trial) -> dict:
        """One setting from ``trial`` (an optuna.Trial): {field: value}."""
        out = {}
        for name, (kind, values) in self.spec.items():
            if kind == "choice":
                out[name] = trial.suggest_categorical(name, values)
            elif kind == "int":
                out[name] = trial.suggest_int(name, *values)
            else:
                out[name] = trial.suggest_float(name, *values, log=kind == "log")
        return out

    def to_dict(self) -> dict:
        return {name: [kind, *values] for name, (kind, values) in self.spec.items()}


SETTING_WORDS = {"lr": "η", "momentum": "γ", "batch_size": "batch", "l2": "L2 λ", "anneal_T": "T", "init": "init"}


def describe(params: dict) -> str:
    """A chosen setting in one line: 'η 0.031, γ 0.87, batch 64, T none'."""
    def show(v):
        return "none" if v is None else f"{v:.2g}" if isinstance(v, float) else str(v)
    return ", ".join(f"{SETTING_WORDS.get(k, k)} {show(v)}" for k, v in params.items())


def chosen(base: Config, params: dict) -> Config:
    """The configuration a trial's ``params`` describe."""
    return base.replace(**params)


def rung_epochs(cap: int, rung: float | None) -> int | None:
    """The epochs of a trial's first fit: ``rung`` x ``cap`` (at least 1), or None when that is
    no shorter than the cap (no rung: the trial trains to its cap at once)."""
    if not rung:
        return None
    epochs = max(1, round(cap * rung))
    return epochs if epochs < cap else None
