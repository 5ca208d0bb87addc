"""Docs from code (issues 21, 24): every name the README's helpers table documents exists, every
course module is in the package docstring's reading order and every pipeline module in the
pipeline's docstring."""
import importlib
import re
from pathlib import Path

import helpers
import helpers.pipeline

ROOT = Path(__file__).resolve().parent.parent


def documented_names() -> list[tuple[str, str]]:
    """(module under helpers, name) for each `module.name` reference in the README's function table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("| function |", text.index("## The helpers package")):]
    table = table[:table.index("\n\n")]
    names = []
    for row in table.splitlines()[2:]:
        module = None
        for ref in re.findall(r"`([^`]+)`", row.split("|")[1]):
            parts = ref.split("(")[0].strip().split(".")
            for cut in range(len(parts) - 1, 0, -1):   # the longest prefix that is a module: pipeline.fits.summarise
                try:
                    importlib.import_module("helpers." + ".".join(parts[:cut]))
                except ModuleNotFoundError:
                    continue
                module, parts = ".".join(parts[:cut]), parts[cut:]
                break
            names.append((module, parts[0]))   # `prepare` after `data.first_n`: the module named before it
    return names


def test_every_name_the_readme_documents_exists():
    names = documented_names()
    assert len(names) > 60
    missing = [f"{m}.{n}" for m, n in names if not hasattr(importlib.import_module(f"helpers.{m}"), n)]
    assert missing == []


def test_the_package_docstrings_list_every_module():
    course = sorted(p.stem for p in (ROOT / "helpers").glob("*.py") if p.stem != "__init__")
    pipeline = sorted(p.stem for p in (ROOT / "helpers" / "pipeline").glob("*.py") if p.stem != "__init__")
    assert [m for m in course if f"``{m}``" not in helpers.__doc__] == []
    assert [m for m in pipeline if f"``{m}``" not in helpers.pipeline.__doc__] == []
