"""Runs and their names: the one home of the rules that tie a parameter file to its run.

Interface:
    run_id(path)          # notebooks/runs/01_logistic/a.yaml -> "runs/01_logistic/a"
    parameter_file(run)   # the inverse
    notebook_of(run)      # "01_logistic";  notebook_path(notebook);  notebooks()
    name_ok(name), name_problem(path), no_such_run(run)
    check_layout(runs_dir)   # [problems] of a folder of parameter files, each with its fix
    python -m helpers.pipeline.names runs RUNS_DIR   # the run names make builds, one a line (the Makefile asks)
    python -m helpers.pipeline.names check RUNS_DIR  # the problems, exit 1 if any

A run's name is its parameter file's path under ``notebooks/`` without ``.yaml``: two files
cannot claim one name and nothing is typed twice. A name's parts may hold letters, digits,
'_', '-' and '.': what make and the shell carry as they are.
"""
from __future__ import annotations

import difflib
import sys
from pathlib import Path

from . import settings


class ParameterFileError(ValueError):
    """A parameter file (or a folder of them) that cannot be run; the message says how to fix it."""


def run_id(path) -> str:
    """The run's name: the parameter file's path under notebooks/, without the suffix."""
    path = Path(path).resolve()
    try:
        relative = path.relative_to(settings.NOTEBOOKS)
    except ValueError:
        raise ParameterFileError(f"{path}: parameter files live under {settings.NOTEBOOKS}/<runs folder>/<notebook>/") from None
    if path.suffix != ".yaml" or len(relative.parts) != 3:
        raise ParameterFileError(f"{path}: expected notebooks/<runs folder>/<notebook>/<name>.yaml")
    problem = name_problem(path)
    if problem:
        raise ParameterFileError(problem)
    return relative.with_suffix("").as_posix()


def name_ok(name: str) -> bool:
    """A run name's part may hold letters, digits, '_', '-' and '.': what make and the shell carry as is."""
    return bool(name) and name.replace("_", "").replace("-", "").replace(".", "").isalnum()


def name_problem(path) -> str | None:
    """Why make cannot build a parameter file's run (a space splits its name in two, ':' or '%' mean
    something to make), with the name to use instead; None when the name is fine."""
    path = Path(path)
    if name_ok(path.stem):
        return None
    fixed = "".join(ch if name_ok(ch) else "_" for ch in path.stem)
    return (f"{shown(path)}: a run's name may only hold letters, digits, '_', '-' and '.' (make cannot build "
            f"{path.stem!r}): rename the file to {fixed}{path.suffix}")


def parameter_file(run: str) -> Path:
    return settings.NOTEBOOKS / f"{run}.yaml"


def no_such_run(run: str) -> str | None:
    """None when ``run`` has a parameter file make can build; else what is wrong, with the closest existing runs."""
    if parameter_file(run).is_file():
        return name_problem(parameter_file(run))
    folder = parameter_file(run).parent
    known = sorted(run_id(p) for p in folder.glob("*.yaml") if name_ok(p.stem)) if folder.is_dir() else []
    close = difflib.get_close_matches(run, known, 1)
    return (f"run {run!r} has no parameter file notebooks/{run}.yaml" + (f" (did you mean {close[0]!r}?)" if close else "")
            + (f"; the runs in notebooks/{folder.relative_to(settings.NOTEBOOKS).as_posix()}/: {', '.join(known)}" if known else ""))


def notebook_of(run: str) -> str:
    """The notebook a run executes: the folder its parameter file is in."""
    parts = run.split("/")
    if len(parts) != 3:
        raise ParameterFileError(f"run {run!r} is not <runs folder>/<notebook>/<name>")
    return parts[1]


def notebook_path(notebook: str) -> Path:
    return settings.NOTEBOOKS / f"{notebook}.ipynb"


def notebooks() -> list[str]:
    return sorted(p.stem for p in settings.NOTEBOOKS.glob("[0-9]*.ipynb"))


def check_layout(runs_dir) -> list[str]:
    """Problems of a folder of parameter files, each with its fix (empty: fine)."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        return [f"{runs_dir}: no such folder of parameter files (RUNS_DIR)"]
    known = notebooks()
    problems = []
    for path in sorted(runs_dir.iterdir()):
        if path.is_file() and path.suffix in (".yaml", ".yml"):
            problems.append(f"{path}: a parameter file goes in a folder named after its notebook, "
                            f"e.g. {runs_dir}/{known[0]}/{path.stem}.yaml")
        elif path.is_dir() and path.name not in known:
            problems.append(f"{path}/: no notebook notebooks/{path.name}.ipynb; folders must be named after one of "
                            f"{', '.join(known)}")
        elif path.is_dir():
            problems += [f"{p}: use the extension .yaml" for p in sorted(path.glob("*.yml"))]
            problems += [problem for p in sorted(path.glob("*.yaml")) if (problem := name_problem(p))]
    if not list(runs_dir.glob("*/*.yaml")):
        problems.append(f"{runs_dir}: no parameter files (<notebook>/<name>.yaml)")
    return problems


def shown(path) -> Path:
    """A path as the user typed it: relative to the repository when inside it."""
    path = Path(path).resolve()
    return path.relative_to(settings.ROOT) if path.is_relative_to(settings.ROOT) else path


def runs(runs_dir) -> list[str]:
    """The runs make builds from ``runs_dir``: parameter files in a folder named after a notebook,
    whose names make can carry (the others are check_layout's to name)."""
    known = set(notebooks())
    return sorted(run_id(p) for p in Path(runs_dir).glob("*/*.yaml")
                  if p.parent.name in known and name_ok(p.stem))


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) != 2 or argv[0] not in ("runs", "check"):
        print("usage: python -m helpers.pipeline.names runs|check RUNS_DIR", file=sys.stderr)
        return 2
    if argv[0] == "runs":
        print("\n".join(runs(argv[1])))
        return 0
    problems = check_layout(argv[1])
    if problems:
        print("runs: " + "\nruns: ".join(problems), file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
