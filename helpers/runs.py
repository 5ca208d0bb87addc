"""Runs: parameter files, the names derived from them, and the parameters they give a notebook.

Interface:
    run_id(path)                       # notebooks/runs/01_logistic/a.yaml -> "runs/01_logistic/a"
    parameter_file(run)                # the inverse
    notebook_of(run)                   # "01_logistic"
    defaults(notebook)                 # the notebook's parameters cell, as values
    effective(path, scale)             # defaults merged with the file (validated): what the run gets
    check_layout(runs_dir)             # [problems] of a folder of parameter files
    python -m helpers.runs params FILE --scale S --out OUT.json   (the Makefile's step before papermill)
    python -m helpers.runs check RUNS_DIR
    python -m helpers.runs stamps --scale S --out BUILD FILES...  (also writes stamps/runs.list: the set of runs)

A run's name is its parameter file's path under ``notebooks/`` without ``.yaml``: two
files cannot claim one name and nothing is typed twice. A file gives some of the notebook's
parameters; dict-valued ones (``base``, ``variants``, ``minibatch``) may not be given at all
(``overrides`` changes the configuration field by field), so no file can replace the model
silently. ``run`` and ``scale`` come from the path and the build, never from the file.
"""
from __future__ import annotations

import argparse
import ast
import difflib
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
INTERACTIVE = "interactive"          # the notebooks' default `run`: a Jupyter session, not the pipeline
DERIVED = ("run", "scale")           # set by the build, not by a parameter file
REPLACING = ("base", "minibatch")    # whole dicts a file may not replace (use `overrides`)


class ParameterFileError(ValueError):
    """A parameter file (or a folder of them) that cannot be run; the message says how to fix it."""


def run_id(path) -> str:
    """The run's name: the parameter file's path under notebooks/, without the suffix."""
    path = Path(path).resolve()
    try:
        relative = path.relative_to(NOTEBOOKS)
    except ValueError:
        raise ParameterFileError(f"{path}: parameter files live under {NOTEBOOKS}/<runs folder>/<notebook>/") from None
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
    return (f"{_shown(path)}: a run's name may only hold letters, digits, '_', '-' and '.' (make cannot build "
            f"{path.stem!r}): rename the file to {fixed}{path.suffix}")


def parameter_file(run: str) -> Path:
    return NOTEBOOKS / f"{run}.yaml"


def no_such_run(run: str) -> str | None:
    """None when ``run`` has a parameter file make can build; else what is wrong, with the closest existing runs."""
    if parameter_file(run).is_file():
        return name_problem(parameter_file(run))
    folder = parameter_file(run).parent
    known = sorted(run_id(p) for p in folder.glob("*.yaml") if name_ok(p.stem)) if folder.is_dir() else []
    close = difflib.get_close_matches(run, known, 1)
    return (f"run {run!r} has no parameter file notebooks/{run}.yaml" + (f" (did you mean {close[0]!r}?)" if close else "")
            + (f"; the runs in notebooks/{folder.relative_to(NOTEBOOKS).as_posix()}/: {', '.join(known)}" if known else ""))


def notebook_of(run: str) -> str:
    """The notebook a run executes: the folder its parameter file is in."""
    parts = run.split("/")
    if len(parts) != 3:
        raise ParameterFileError(f"run {run!r} is not <runs folder>/<notebook>/<name>")
    return parts[1]


def notebook_path(notebook: str) -> Path:
    return NOTEBOOKS / f"{notebook}.ipynb"


def notebooks() -> list[str]:
    return sorted(p.stem for p in NOTEBOOKS.glob("[0-9]*.ipynb"))


def parameters_cell(notebook: str) -> str:
    """Source of the cell tagged ``parameters`` (papermill's convention)."""
    path = notebook_path(notebook)
    if not path.exists():
        raise ParameterFileError(f"no notebook {path.relative_to(ROOT)}; notebooks: {', '.join(notebooks())}")
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return "".join(cell["source"])
    raise ParameterFileError(f"{path.relative_to(ROOT)} has no cell tagged 'parameters'")


def literal_assignments(source: str) -> dict | None:
    """{name: value} if ``source`` only assigns literals to names (a parameters cell), else None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    values = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            return None
        try:
            values[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            return None
    return values


def defaults(notebook: str) -> dict:
    values = literal_assignments(parameters_cell(notebook))
    if values is None:
        raise ParameterFileError(f"notebooks/{notebook}.ipynb: the parameters cell must only assign literals")
    return values


class _DuplicateKey(ValueError):
    """A key written twice in one YAML mapping, with the lines of both."""

    def __init__(self, key, line: int, first: int):
        super().__init__(key)
        self.key, self.line, self.first = key, line, first


class _StrictLoader(yaml.SafeLoader):
    """yaml.safe_load, except that a key given twice in one mapping is an error (PyYAML keeps the last)."""


def _mapping_without_duplicates(loader, node, deep=False):
    """SafeLoader's mapping, after checking that no key is written twice (a ``<<`` merge may still override)."""
    seen = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key, line = loader.construct_object(key_node, deep=True), key_node.start_mark.line + 1
        try:
            if key in seen:
                raise _DuplicateKey(key, line, seen[key])
        except TypeError:       # an unhashable key: construct_mapping below says so
            continue
        seen[key] = line
    return loader.construct_mapping(node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def _text(path: Path) -> str:
    """A parameter file's text; a byte that is not UTF-8 is named with its position."""
    content = path.read_bytes()
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        line = content[:error.start].count(b"\n") + 1
        column = error.start - (content.rfind(b"\n", 0, error.start) + 1) + 1
        raise ParameterFileError(f"{_shown(path)}: the byte at offset {error.start} (line {line}, column {column}), "
                                 f"0x{content[error.start]:02x}, is not UTF-8; save the file as UTF-8") from None


def read(path) -> dict:
    """The mapping a parameter file holds; ParameterFileError for anything else."""
    path = Path(path)
    name = _shown(path)
    try:
        content = yaml.load(_text(path), Loader=_StrictLoader)
    except _DuplicateKey as error:
        raise ParameterFileError(f"{name}, line {error.line}: key {error.key!r} is given twice (first on line "
                                 f"{error.first}); YAML would silently keep the last one: keep one") from None
    except yaml.YAMLError as error:
        raise ParameterFileError(f"{name}: not valid YAML ({error})") from None
    if content is None:
        raise ParameterFileError(f"{name} is empty: a parameter file is a mapping of the notebook's parameters "
                                 "(write `{}` to run the notebook's defaults)")
    if not isinstance(content, dict):
        raise ParameterFileError(f"{name} holds a YAML {type(content).__name__}, not a mapping: write `name: value` "
                                 "lines for the notebook's parameters")
    derived = [k for k in DERIVED if k in content]
    if derived:
        raise ParameterFileError(f"{name}: remove {', '.join(map(repr, derived))}: the run's name is its file's path "
                                 "and the scale is the build's (make SCALE=smoke)")
    replacing = [k for k in REPLACING if k in content]
    if replacing:
        raise ParameterFileError(f"{name}: {', '.join(map(repr, replacing))} would replace the notebook's whole "
                                 "configuration; give only the fields you change under `overrides:` instead")
    return content


def _shown(path) -> Path:
    """A path as the user typed it: relative to the repository when inside it."""
    path = Path(path).resolve()
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def merge(defaults_: dict, given: dict) -> dict:
    """The notebook's defaults updated by a file. ``variants`` lists the variants the run
    trains; one named like a default variant updates that variant field by field (so
    ``{"mini-batch 40": {"lr": 0.2}}`` keeps its batch size). Other keys are replaced."""
    merged = {**defaults_, **given}
    if isinstance(given.get("variants"), dict) and isinstance(defaults_.get("variants"), dict):
        known = defaults_["variants"]
        merged["variants"] = {name: {**known[name], **fields} if name in known and isinstance(fields, dict) else fields
                              for name, fields in given["variants"].items()}
    return merged


def effective(path, scale: str) -> dict:
    """The parameters a run of ``path`` at ``scale`` executes with: defaults + file + run + scale,
    validated by the notebook's own rules (experiment.parameters)."""
    from .params import parameters  # numpy-free import chain kept short for the Makefile step
    run = run_id(path)
    notebook = notebook_of(run)
    given = read(path)
    _refuse_configuration_fields(given, notebook, path)
    values = merge(defaults(notebook), given)
    values.update(run=run, scale=scale)
    try:
        return dict(parameters(values, notebook))
    except ValueError as error:
        raise ParameterFileError(f"{_shown(path)}: {error}") from None


def _refuse_configuration_fields(given: dict, notebook: str, path) -> None:
    """A configuration field (``lr:``) written at the top level of a file belongs under ``overrides:``."""
    import dataclasses
    from .config import Config
    from .params import SPECS
    if "overrides" not in SPECS[notebook]:
        return
    fields = [k for k in given if k not in SPECS[notebook] and k in {f.name for f in dataclasses.fields(Config)}]
    if fields:
        example = ", ".join(f"{k}: {json.dumps(given[k], ensure_ascii=False)}" for k in fields)
        what = "is a configuration field" if len(fields) == 1 else "are configuration fields"
        raise ParameterFileError(f"{_shown(path)}: {', '.join(map(repr, fields))} {what}, not a parameter of "
                                 f"notebooks/{notebook}.ipynb: write `overrides: {{{example}}}` to change every "
                                 "variant, or put it inside one variant")


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


def _write_if_changed(path: Path, text: str) -> None:
    """Leave the file (and its time stamp, which make reads) alone when the content is the same."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    from .fetch import atomic_write
    atomic_write(path, text.encode())


def write_stamps(files, scale: str, out: Path) -> None:
    """params/<run>.json per file, stamps/<notebook>.digest per notebook, stamps/helpers.digest and
    stamps/runs.list (the set of runs: adding or removing a file changes it, so the report is rebuilt);
    each rewritten only when its content changes. A file that fails validation loses its
    params file (its run then fails with the message) and the others go on."""
    from .provenance import RUN_CODE, code_digest, notebook_digest
    for name in notebooks():
        _write_if_changed(out / "stamps" / f"{name}.digest", notebook_digest(notebook_path(name)) + "\n")
    _write_if_changed(out / "stamps" / "helpers.digest", code_digest(RUN_CODE) + "\n")
    names = {}
    for path in files:
        try:
            names[path] = run_id(path)
        except ParameterFileError:      # a name make cannot carry: `runs check` names it (make leaves it out)
            continue
    _write_if_changed(out / "stamps" / "runs.list", "".join(f"{name}\n" for name in sorted(names.values())))
    for path, name in names.items():
        target = out / "params" / f"{name}.json"
        try:
            values = effective(path, scale)
        except ParameterFileError:
            target.unlink(missing_ok=True)
            continue
        _write_if_changed(target, json.dumps(values, indent=1, ensure_ascii=False) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.runs", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    params = sub.add_parser("params", help="write a run's effective parameters (JSON, for papermill -f)")
    params.add_argument("file")
    params.add_argument("--scale", choices=("full", "smoke"), required=True)
    params.add_argument("--out", required=True)
    check = sub.add_parser("check", help="check a folder of parameter files")
    check.add_argument("runs_dir")
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
            _write_if_changed(Path(args.out), json.dumps(values, indent=1, ensure_ascii=False) + "\n")
            print(f"runs: {args.out} written; the run itself did not start (rerun make)", file=sys.stderr)
            return 1
        else:
            problems = check_layout(args.runs_dir)
            if problems:
                print("runs: " + "\nruns: ".join(problems), file=sys.stderr)
                return 1
    except ParameterFileError as error:
        print(f"runs: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
