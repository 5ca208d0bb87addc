"""Resolving a run: its notebook's defaults + its parameter file + its scale, validated once, in
the Makefile's stamps step; everything after it reads what that step wrote.

Interface:
    effective(path, scale[, dtype])   # the parameters a run of ``path`` executes with (validated); dtype: every
                                      # fit in that precision (the precision comparison, `make precision`)
    write_stamps(files, scale, out)   # what make compares: params/<run>.json, stamps/*.digest, stamps/runs.list,
                                      # and resolved/<run>.json: {run, scale, notebook, parameters, inputs};
                                      # and plan.json, every fit the runs will ask for (plan.py)
    load_resolved(run, root)   # that record of the build under ``root``: the notebook (experiment.parameters)
                               # and the results check (results.read_results) consume it, never the YAML
    python -m helpers.pipeline.resolve stamps --scale S --out BUILD [--dtype D] FILES...  (the Makefile's step)
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from ..config import Config
from .files import DiskFull, write_if_changed
from .names import ParameterFileError, check_layout, notebook_of, notebook_path, notebooks, run_id, shown
from .params import validate
from .provenance import RUN_CODE, code_digest, inputs, notebook_digest
from .plan import write_plan
from .runfiles import defaults, merge, read
from .specs import SPECS


def effective(path, scale: str, dtype: str | None = None) -> dict:
    """The parameters a run of ``path`` at ``scale`` executes with: defaults + file + run + scale,
    validated by the notebook's own rules (experiment.parameters). ``dtype``: every fit of the run in
    that precision (``overrides: {dtype: ...}``; the precision comparison's build, `make precision`)."""
    run = run_id(path)
    notebook = notebook_of(run)
    given = read(path)
    _refuse_configuration_fields(given, notebook, path)
    values = merge(defaults(notebook), given)
    values.update(run=run, scale=scale)
    if dtype is not None and "overrides" in SPECS[notebook]:
        _refuse_own_dtype(values, path, dtype)
        values["overrides"] = {**(values.get("overrides") or {}), "dtype": dtype}
    try:
        return dict(validate(values, notebook))
    except ValueError as error:
        raise ParameterFileError(f"{shown(path)}: {error}") from None


def _refuse_own_dtype(values: dict, path, dtype: str) -> None:
    """A build in one precision cannot honour a file or variant that sets its own: say which."""
    own = ["overrides"] if "dtype" in (values.get("overrides") or {}) else []
    own += [f"variant {name!r}" for name, fields in (values.get("variants") or {}).items()
            if isinstance(fields, dict) and "dtype" in fields]
    if own:
        raise ParameterFileError(f"{shown(path)}: {', '.join(own)} set dtype, which this {dtype} build sets for every "
                                 "fit: remove it there, or leave the run out of the precision comparison")


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


def write_stamps(files, scale: str, out: Path, run_set: str = "runs.list", dtype: str | None = None) -> None:
    """params/<run>.json (papermill's parameters) and resolved/<run>.json per file, stamps/<notebook>.digest
    per notebook, stamps/helpers.digest and stamps/<run_set> (the set of runs: adding or removing a file
    changes it, so the report is rebuilt; one per folder of runs, ``runs.list`` for notebooks/runs, so a
    build of two folders rewrites neither); each rewritten only when its content changes. A file that
    fails validation loses both and gets params/<run>.error, the message its run fails with; the
    others go on. ``out``: the build folder (<root>/build); ``dtype``: as in ``effective``."""
    for name in notebooks():
        write_if_changed(out / "stamps" / f"{name}.digest", notebook_digest(notebook_path(name)) + "\n")
    write_if_changed(out / "stamps" / "helpers.digest", code_digest(RUN_CODE) + "\n")
    names = {}
    for path in files:
        try:
            names[path] = run_id(path)
        except ParameterFileError:      # a name make cannot carry: `runs check` names it (make leaves it out)
            continue
    write_if_changed(out / "stamps" / run_set, "".join(f"{name}\n" for name in sorted(names.values())))
    resolved_runs = []
    for path, name in names.items():
        target, error = out / "params" / f"{name}.json", out / "params" / f"{name}.error"
        resolved = resolved_file(out.parent, name)
        try:
            values = effective(path, scale, dtype)
        except ParameterFileError as problem:   # its run fails with this message; the others go on
            target.unlink(missing_ok=True)
            resolved.unlink(missing_ok=True)
            write_if_changed(error, f"{problem}\n")
            continue
        error.unlink(missing_ok=True)
        notebook = notebook_of(name)
        record = {"run": name, "scale": scale, "notebook": notebook, "parameters": values,
                  "inputs": inputs(values, notebook)}
        write_if_changed(target, json.dumps(values, indent=1, ensure_ascii=False) + "\n")
        write_if_changed(resolved, json.dumps(record, indent=1, ensure_ascii=False) + "\n")
        resolved_runs.append(record)
    try:   # every fit the runs will ask for: the status line's estimate (never a reason to stop a build)
        write_plan(resolved_runs, out, scale)
    except (ValueError, KeyError, TypeError) as error:
        (out / "plan.json").unlink(missing_ok=True)
        print(f"runs: no plan of the build's fits ({type(error).__name__}: {error}); the status line estimates "
              "the fits as they are submitted", file=sys.stderr)


def resolved_file(root: Path, run: str) -> Path:
    """Where the stamps step of the build under ``root`` (the repository, build/smoke/) resolves ``run``."""
    return Path(root) / "build" / "resolved" / f"{run}.json"


def load_resolved(run: str, root: Path) -> dict:
    """The run as the stamps step of the build under ``root`` resolved it; ParameterFileError naming why
    there is none (its parameter file's problem, or no build yet) and how to make it."""
    path = resolved_file(root, run)
    error = Path(root) / "build" / "params" / f"{run}.error"
    if error.exists():
        raise ParameterFileError(error.read_text(encoding="utf-8").strip())
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParameterFileError(f"run {run!r} has not been resolved in {root} (no {path.name} in {path.parent}): "
                                 "`make` resolves every run before it runs one") from None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.pipeline.resolve", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    stamps = sub.add_parser("stamps", help="write every run's parameters and the code digests make compares")
    stamps.add_argument("--scale", choices=("full", "smoke"), required=True)
    stamps.add_argument("--out", required=True, help="the build folder: writes params/<run>.json, stamps/*.digest")
    stamps.add_argument("--runs-dir", help="also name the problems of this folder now (`check` fails on them later)")
    stamps.add_argument("--dtype", choices=("float32", "float64"),
                        help="every fit of every run in this precision (the precision comparison's build)")
    stamps.add_argument("files", nargs="*")
    args = parser.parse_args(argv)
    try:
        run_set = f"{Path(args.runs_dir).name}.list" if args.runs_dir else "runs.list"
        write_stamps(args.files, args.scale, Path(args.out), run_set, args.dtype)
        for problem in check_layout(args.runs_dir) if args.runs_dir else []:
            print(f"runs: {problem} (the other runs go on)", file=sys.stderr)
    except (ParameterFileError, DiskFull) as error:
        sys.exit(f"runs: {error}")      # the message on stderr, exit status 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
