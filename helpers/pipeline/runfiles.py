"""Parameter files and parameters cells: what a run's YAML file and its notebook's defaults say.

Interface:
    read(path)                 # the mapping a parameter file holds (strict YAML: a key given twice is an error)
    defaults(notebook)         # the notebook's parameters cell, as values
    literal_assignments(src)   # {name: value} of a cell that only assigns literals, else None
    merge(defaults, given)     # the defaults updated by a file (variants field by field)

A file gives some of the notebook's parameters; dict-valued ones (``base``, ``minibatch``)
may not be given at all (``overrides`` changes the configuration field by field), so no file
can replace the model silently. ``run`` and ``scale`` come from the path and the build.
YAML is read with PyYAML's safe loader only: nothing read from disk can run code.
"""
from __future__ import annotations

import ast
import json
from pathlib import Path

import yaml

from .names import ParameterFileError, notebook_path, notebooks, shown
from .settings import ROOT

DERIVED = ("run", "scale")           # set by the build, not by a parameter file
REPLACING = ("base", "minibatch")    # whole dicts a file may not replace (use `overrides`)


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
        raise ParameterFileError(f"{shown(path)}: the byte at offset {error.start} (line {line}, column {column}), "
                                 f"0x{content[error.start]:02x}, is not UTF-8; save the file as UTF-8") from None


def read(path) -> dict:
    """The mapping a parameter file holds; ParameterFileError for anything else."""
    path = Path(path)
    name = shown(path)
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


