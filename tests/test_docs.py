"""Docs from code (issue 21): every name the README's helpers table and helpers/__init__.py
document exists, and every module of helpers/ is listed in the package docstring."""
import importlib
import re
from pathlib import Path

import helpers

ROOT = Path(__file__).resolve().parent.parent


def documented_names() -> list[str]:
    """`module.name` references in the README's table of the helpers package (first column)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("| function |", text.index("## The helpers package")):]
    table = table[:table.index("\n\n")]
    names = []
    for row in table.splitlines()[2:]:
        first = row.split("|")[1]
        module = None
        for ref in re.findall(r"`([^`]+)`", first):
            head = ref.split("(")[0].strip()
            if "." in head:
                module, _, name = head.partition(".")
            else:
                name = head     # `prepare` after `data.first_n`, ...: the module named before it
            names.append(f"{module}.{name.split('.')[0]}")
    return names


def test_every_name_the_readme_documents_exists():
    names = documented_names()
    assert len(names) > 20
    missing = [n for n in names if not hasattr(importlib.import_module(f"helpers.{n.split('.')[0]}"), n.split(".")[1])]
    assert missing == []


def test_the_package_docstring_lists_every_module():
    modules = sorted(p.stem for p in (ROOT / "helpers").glob("*.py") if p.stem != "__init__")
    unlisted = [m for m in modules if f"``{m}``" not in helpers.__doc__]
    assert unlisted == []
