"""Resolving a run: its notebook's defaults + its parameter file + its scale, validated once.

Interface:
    effective(path, scale)     # the parameters a run of ``path`` executes with (validated)
    write_stamps(files, scale, out)   # what make compares: params/<run>.json, stamps/*.digest, stamps/runs.list
    python -m helpers.pipeline.resolve stamps --scale S --out BUILD FILES...  (the Makefile's step)
    python -m helpers.pipeline.resolve params FILE --scale S --out OUT.json
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from ..config import Config
from .files import write_if_changed
from .names import ParameterFileError, check_layout, notebook_of, notebook_path, notebooks, run_id, shown
from .params import parameters
from .provenance import RUN_CODE, code_digest, notebook_digest
from .runfiles import defaults, merge, read
from .specs import SPECS


def effective(path, scale: str) -> dict:
    """The parameters a run of ``path`` at ``scale`` executes with: defaults + file + run + scale,
    validated by the notebook's own rules (experiment.parameters)."""
    run = run_id(path)
    notebook = notebook_of(run)
    given = read(path)
    _refuse_configuration_fields(given, notebook, path)
    values = merge(defaults(notebook), given)
    values.update(run=run, scale=scale)
    try:
        return dict(parameters(values, notebook))
    except ValueError as error:
        raise ParameterFileError(f"{shown(path)}: {error}") from None


def _refuse_configuration_fields(given: dict, notebook: str, path) -> None:
    """A configuration field (``lr:``) written at the top level of a file belongs under ``overrides:``."""
    if "overrides" not in SPECS[notebook]:
        return
    fields = [k for k in given if k not in SPECS[notebook] and k in {f.name for f in dataclasses.fields(Config)}]
    if fields:
        example = ", ".join(f"{k}: {json.dumps(given[k], ensure_ascii=False)}" for k in fields)
        what = "is a configuration field" if len(fields) == 1 else "are configuration fields"
        raise ParameterFileError(f"{shown(path)}: {', '.join(map(repr, fields))} {what}, not a parameter of "
                                 f"notebooks/{notebook}.ipynb: write `overrides: {{{example}}}` to change every "
                                 "variant, or put it inside one variant")


def write_stamps(files, scale: str, out: Path) -> None:
    """params/<run>.json per file, stamps/<notebook>.digest per notebook, stamps/helpers.digest and
    stamps/runs.list (the set of runs: adding or removing a file changes it, so the report is rebuilt);
    each rewritten only when its content changes. A file that fails validation loses its
    params file (its run then fails with the message) and the others go on."""
    for name in notebooks():
        write_if_changed(out / "stamps" / f"{name}.digest", notebook_digest(notebook_path(name)) + "\n")
    write_if_changed(out / "stamps" / "helpers.digest", code_digest(RUN_CODE) + "\n")
    names = {}
    for path in files:
        try:
            names[path] = run_id(path)
        except ParameterFileError:      # a name make cannot carry: `runs check` names it (make leaves it out)
            continue
    write_if_changed(out / "stamps" / "runs.list", "".join(f"{name}\n" for name in sorted(names.values())))
    for path, name in names.items():
        target = out / "params" / f"{name}.json"
        try:
            values = effective(path, scale)
        except ParameterFileError:
            target.unlink(missing_ok=True)
            continue
        write_if_changed(target, json.dumps(values, indent=1, ensure_ascii=False) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.pipeline.resolve", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    params = sub.add_parser("params", help="write a run's effective parameters (JSON, for papermill -f)")
    params.add_argument("file")
    params.add_argument("--scale", choices=("full", "smoke"), required=True)
    params.add_argument("--out", required=True)
    stamps = sub.add_parser("stamps", help="write every run's parameters and the code digests make compares")
    stamps.add_argument("--scale", choices=("full", "smoke"), required=True)
    stamps.add_argument("--out", required=True, help="the build folder: writes params/<run>.json, stamps/*.digest")
    stamps.add_argument("--runs-dir", help="also name the problems of this folder now (`check` fails on them later)")
    stamps.add_argument("files", nargs="*")
    args = parser.parse_args(argv)
    try:
        if args.command == "stamps":
            write_stamps(args.files, args.scale, Path(args.out))
            problems = check_layout(args.runs_dir) if args.runs_dir else []
            for problem in problems:
                print(f"runs: {problem} (the other runs go on)", file=sys.stderr)
        elif args.command == "params":
            values = effective(args.file, args.scale)
            write_if_changed(Path(args.out), json.dumps(values, indent=1, ensure_ascii=False) + "\n")
            print(f"runs: {args.out} written; the run itself did not start (rerun make)", file=sys.stderr)
            return 1
    except ParameterFileError as error:
        print(f"runs: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
