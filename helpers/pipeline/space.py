"""A search space: the Config fields a search varies, each with its kind and range.

Interface:
    space = Space({"lr": ["log", 1e-3, 1.0], "batch_size": ["choice", 32, 128]})   # checked against Config
    space.suggest(trial) -> {parameter: value} # one setting, drawn by an Optuna trial's sampler
    Space({"optimizer": ["choice", "momentum", "adamw"], "optimizer: adamw": {"lr": [...]}})   # a branch
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
    """The fields a search varies, each with its kind and range (``KINDS``), checked against Config.

    A key ``"field: value"`` opens a branch: a mapping of fields drawn only when the choice ``field``
    (drawn before it, at the same level) came out ``value`` (its text; null for None), e.g.
    ``{"optimizer": [choice, momentum, adamw], "optimizer: adamw": {"lr": [log, 1e-4, 1e-2]}}``. A field
    of a branch is an Optuna parameter of its own, ``"lr|optimizer=adamw"`` (``field_of`` gives "lr"),
    so each branch has its own range and sampler model."""

    def __init__(self, spec: dict):
        if not isinstance(spec, dict) or not spec:
            raise SearchError(f"space={spec!r}: give a non-empty mapping {{Config field: [kind, ...]}}")
        self.spec, self.when, self.tree = {}, {}, {}   # parameter -> (kind, values) / its conditions; the spec
        self._parse(spec, (), self.tree)

    def _parse(self, spec: dict, conditions: tuple, tree: dict) -> None:
        fields = set(Config.__dataclass_fields__)
        for name, entry in spec.items():
            if isinstance(name, str) and ":" in name:
                tree[name] = {}
                self._parse(self._branch(name, entry), conditions + (self._condition(name, conditions),),
                            tree[name])
                continue
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
            parameter = "|".join([name, *(f"{f}={_text(v)}" for f, v in conditions)])
            self.spec[parameter], self.when[parameter] = (kind, values), conditions
            tree[name] = [kind, *values]

    def _branch(self, key: str, entry) -> dict:
        if not isinstance(entry, dict) or not entry:
            raise SearchError(f"space: {key!r} opens a branch: give it a non-empty mapping {{Config field: [kind, ...]}}")
        return entry

    def _condition(self, key: str, conditions: tuple) -> tuple:
        """("field", value) of a branch key "field: value": a choice drawn before it at the same level."""
        field, text = (part.strip() for part in key.split(":", 1))
        drawn = [p for p in self.spec if field_of(p) == field and self.when[p] == conditions]
        if not drawn or self.spec[drawn[0]][0] != "choice":
            raise SearchError(f"space: branch {key!r}: {field!r} must be a choice listed before it at the same level")
        values = [v for v in self.spec[drawn[0]][1] if _text(v) == text]
        if not values:
            raise SearchError(f"space: branch {key!r}: {text!r} is not one of {field}'s choices "
                              f"{[_text(v) for v in self.spec[drawn[0]][1]]}")
        return field, values[0]

    def suggest(self, trial) -> dict:
        """One setting from ``trial`` (an optuna.Trial): {parameter: value}, the branches its choices opened."""
        out = {}
        for name, (kind, values) in self.spec.items():
            if not all(f in out_fields(out) and out_fields(out)[f] == v for f, v in self.when[name]):
                continue
            if kind == "choice":
                out[name] = trial.suggest_categorical(name, values)
            elif kind == "int":
                out[name] = trial.suggest_int(name, *values)
            else:
                out[name] = trial.suggest_float(name, *values, log=kind == "log")
        return out

    def corners(self) -> list[dict]:
        """{field: value} per branch path: the low end of each range (the choice that opens the path):
        settings the space may draw, for checking the configurations it makes."""
        paths = {self.when[p] for p in self.spec} | {()}
        out = []
        for path in sorted(paths, key=len):
            opened = dict(path)
            out.append({field_of(p): opened.get(field_of(p), values[0]) for p, (_, values) in self.spec.items()
                        if self.when[p] == path[:len(self.when[p])]})
        return out

    def fields(self) -> list[str]:
        """The Config fields searched, once each, in order."""
        return list(dict.fromkeys(field_of(p) for p in self.spec))

    def to_dict(self) -> dict:
        return self.tree


def field_of(parameter: str) -> str:
    """The Config field of a search parameter: "lr|optimizer=adamw" -> "lr"."""
    return parameter.split("|", 1)[0]


def out_fields(params: dict) -> dict:
    """{field: value} of a setting given as {parameter: value}."""
    return {field_of(p): v for p, v in params.items()}


def _text(value) -> str:
    return "null" if value is None else str(value)


SETTING_WORDS = {"lr": "η", "momentum": "γ", "batch_size": "batch", "l2": "L2 λ", "anneal_T": "T", "init": "init",
                 "optimizer": "", "weight_decay": "decay λ", "schedule": "η schedule", "warmup": "warm-up"}


def describe(params: dict) -> str:
    """A chosen setting in one line: 'η 0.031, γ 0.87, batch 64, T none'."""
    def show(v):
        return "none" if v is None else f"{v:.2g}" if isinstance(v, float) else str(v)
    fields = out_fields(params)
    if fields.get("schedule") == "inverse":     # η0/(1 + t/T), or a constant η without T
        fields["schedule"] = "1/(1 + t/T)" if fields.get("anneal_T") is not None else "constant"
    return ", ".join(f"{SETTING_WORDS.get(k, k)} {show(v)}".strip() for k, v in fields.items())


def chosen(base: Config, params: dict) -> Config:
    """The configuration a trial's ``params`` describe."""
    return base.replace(**out_fields(params))


def rung_epochs(cap: int, rung: float | None) -> int | None:
    """The epochs of a trial's first fit: ``rung`` x ``cap`` (at least 1), or None when that is
    no shorter than the cap (no rung: the trial trains to its cap at once)."""
    if not rung:
        return None
    epochs = max(1, round(cap * rung))
    return epochs if epochs < cap else None
