"""Two builds' results, number for number: what a refactor must leave bit for bit the same.

Interface:
    python -m helpers.pipeline.compare_builds BEFORE AFTER    # two build roots (each holding build/results/)
    differences(before_record, after_record) -> ["/summary/…: a != b", ...]

Compared per results file: the run's parameters, summary and extra and, per variant and seed,
each fit's config, config digest, final metrics and history. JSON floats round-trip exactly, so
equal values are equal bits. Not compared: ``provenance`` (the digests of the code and notebook
cells a change alters by construction), wall times and ``content_sha256``. Exit status 1 when a
file differs or the two builds hold different sets of results.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..config import NEW_FIELD_DEFAULTS

IGNORED = ("provenance", "wall_time", "content_sha256")


def numbers(record: dict) -> dict:
    """The part of a record that holds what the run computed. A configuration field added later
    (config.NEW_FIELD_DEFAULTS) that holds its default is left out: it is the behaviour from before it."""
    kept = {k: v for k, v in record.items() if k not in (*IGNORED, "runs")}
    kept["runs"] = {name: [{k: _without_new_defaults(v) if k == "config" else v for k, v in fit.items()
                            if k != "wall_time"} for fit in fits]
                    for name, fits in record.get("runs", {}).items()}
    return kept


def _without_new_defaults(config):
    if not isinstance(config, dict):
        return config
    return {k: v for k, v in config.items() if not (k in NEW_FIELD_DEFAULTS and v == NEW_FIELD_DEFAULTS[k])}


def differences(a, b, where: str = "") -> list[str]:
    """Where two JSON values differ (a value, a type, a key or a length), as paths."""
    if type(a) is not type(b):
        return [f"{where}: {a!r} != {b!r}"]
    if isinstance(a, dict):
        found = [f"{where}/{k}: only in {'the first' if k in a else 'the second'}" for k in sorted(set(a) ^ set(b))]
        return found + [d for k in sorted(set(a) & set(b)) for d in differences(a[k], b[k], f"{where}/{k}")]
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} entries != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{where}[{i}]")]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m helpers.pipeline.compare_builds BEFORE AFTER  (build roots)", file=sys.stderr)
        return 2
    before, after = (Path(root) / "build" / "results" for root in argv)
    files = [sorted(p.relative_to(folder) for p in folder.rglob("*.json")) for folder in (before, after)]
    if files[0] != files[1]:
        print(f"different sets of results: {sorted(set(files[0]) ^ set(files[1]))}")
        return 1
    different = 0
    for name in files[0]:
        found = differences(*(numbers(json.loads((folder / name).read_text(encoding="utf-8"))) for folder in (before, after)))
        different += bool(found)
        print(f"{'identical' if not found else 'DIFFERENT'}  {name}", *(f"\n    {line}" for line in found[:5]), sep="")
    print(f"{len(files[0])} results files: {len(files[0]) - different} identical, {different} different")
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
