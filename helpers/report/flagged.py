"""What the histories say: the variants of a run that diverged, oscillated or never left chance.

Interface:
    flags(record, variants=None)   # {variant: flag} for each variant whose history figures.diagnose flags
    flag_note(flagged)             # the flags as a caption's sentence
    short_flag(flag)               # "diverged; oscillates at chance": a flag without its measurements

Measured from each seed's history (chance from the configuration: 1/2 for a digit pair, 1/10
else), never typed; the captions and tables of the report name them.
"""
from __future__ import annotations

from .. import figures


def _chance(config: dict) -> float:
    digits = config.get("digits")
    return 1 / len(digits) if digits else 0.5 if config.get("model") == "logistic" else 0.1


def flags(record: dict, variants=None) -> dict:
    """{variant: flag} for each variant of a run whose history ``figures.diagnose`` flags (chance
    from the configuration: 1/2 for a digit pair, 1/10 else); a flag that holds for some seeds
    only names them."""
    found = {}
    for variant in (variants or record["runs"]):
        results = record["runs"].get(variant, [])
        seen = [(r["config"].get("seed"), figures.diagnose(r["history"], chance=_chance(r["config"])))
                for r in results if r.get("history")]
        bad = [(seed, flag) for seed, flag in seen if flag]
        if bad:
            found[variant] = bad[0][1] + ("" if len(bad) == len(seen) else
                                          f" (seed{'s' if len(bad) > 1 else ''} {', '.join(str(s) for s, _ in bad)})")
    return found


def short_flag(flag: str) -> str:
    """A flag's reasons without their measurements ("diverged; oscillates at chance")."""
    return "; ".join(part.split(" (")[0] for part in flag.split("; "))


def flag_note(flagged: dict) -> str:
    """The flags for a caption: each variant with its measurement when one is flagged for a
    reason, else the variants grouped by reason ("diverged: a, b; oscillates at chance: c")."""
    by_reason: dict[str, list[str]] = {}
    for variant, flag in flagged.items():
        for part in flag.split("; "):
            by_reason.setdefault(short_flag(part), []).append((variant, part))
    parts = []
    for reason, found in by_reason.items():
        parts.append(f"{found[0][0]}: {found[0][1]}" if len(found) == 1 else
                     f"{reason}: {', '.join(variant for variant, _ in found)}")
    return "; ".join(parts)
