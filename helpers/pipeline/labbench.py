"""What a student waits for in JupyterLab: 04_momentum with one changed variant, Run All.

Interface:
    python -m helpers.pipeline.labbench [TREE ...] [--repeats N]
    changed_variant(notebook) -> the notebook, its parameters cell holding one new variant
    run_all(tree, cache) -> seconds

For each TREE (a checkout of this repository with its `make env` done; default: this one) the
notebook ``notebooks/04_momentum.ipynb`` of that tree is edited as a student would edit it (the
parameters cell's ``variants`` replaced by one variant no build has run: γ 0.5, η 0.01, full scale,
3 seeds, so 3 network fits) and executed top to bottom in a kernel of that tree's own
``.venv`` python, through nbclient, as JupyterLab's Run All does. Its fits go to a fresh empty
cache (``WORKBOOK_CACHE``, a temporary folder), so every run trains the 3 fits and the tree's own
cache is never touched. Trees are timed in turn, ``--repeats`` rounds (interleaved: this is a
shared machine), and the table the notebook prints is shown, so the runs can be seen to agree.
Speed is not a test: this prints figures only.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from .settings import ROOT

NOTEBOOK = Path("notebooks") / "04_momentum.ipynb"
VARIANT = '    "γ 0.5, η 0.01": {"momentum": 0.5, "lr": 0.01},\n'


def changed_variant(nb):
    """``nb`` with its parameters cell's ``variants = {...}`` holding only VARIANT (a copy)."""
    nb = copy.deepcopy(nb)
    cell = next((c for c in nb.cells if "parameters" in c.metadata.get("tags", [])), None)
    if cell is None or "variants = {\n" not in cell.source:
        raise ValueError(f"{NOTEBOOK} has no parameters cell with 'variants = {{' on a line of its own: "
                         "this benchmark edits that cell")
    start = cell.source.index("variants = {\n")
    end = cell.source.index("\n}\n", start) + 3
    cell.source = cell.source[:start] + "variants = {\n" + VARIANT + "}\n" + cell.source[end:]
    return nb


def run_all(tree: Path, cache: str) -> tuple[float, str]:
    """Run All of the changed notebook in ``tree``'s own kernel: (seconds, the table it printed)."""
    python = tree / ".venv" / "bin" / "python"
    if not python.exists():
        raise SystemExit(f"labbench: {tree} has no .venv/bin/python: run `make env` in it first")
    nb = changed_variant(nbformat.read(tree / NOTEBOOK, 4))
    with tempfile.TemporaryDirectory() as specs:
        (Path(specs) / "tree").mkdir()
        (Path(specs) / "tree" / "kernel.json").write_text(json.dumps(
            {"argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
             "display_name": tree.name, "language": "python"}))
        km = KernelManager(kernel_name="tree", kernel_spec_manager=KernelSpecManager(kernel_dirs=[specs]))
        client = NotebookClient(nb, km=km, timeout=3600,
                                resources={"metadata": {"path": str(tree / "notebooks")}})
        started = time.perf_counter()
        client.execute(env={**os.environ, "WORKBOOK_CACHE": cache})   # the kernel's own: a fresh cache
        seconds = time.perf_counter() - started
    table = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" and "NBVAL_CHECK_OUTPUT" in c.source
                    for o in c.get("outputs", []))
    return seconds, table


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m helpers.pipeline.labbench", description=__doc__.split("\n")[0])
    parser.add_argument("trees", nargs="*", type=Path, default=[ROOT], help="checkouts to time (default: this one)")
    parser.add_argument("--repeats", type=int, default=1, help="rounds over the trees (default 1)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be a positive integer, not {args.repeats}")
    times = {tree.resolve(): [] for tree in args.trees}
    for round_ in range(args.repeats):
        for tree in times:
            with tempfile.TemporaryDirectory() as cache:
                seconds, table = run_all(tree, cache)
            times[tree].append(seconds)
            print(f"round {round_ + 1}: {tree}: Run All of 04_momentum with one changed variant "
                  f"(3 network fits, full scale): {seconds:.1f} s\n{table}", flush=True)
    best = {tree: min(t) for tree, t in times.items()}
    first = next(iter(best))
    for tree, seconds in best.items():
        print(f"best of {args.repeats}: {seconds:7.1f} s  {tree}"
              + (f"  ({best[first] / seconds:.2f} x sooner than {first.name})" if tree != first else ""))


if __name__ == "__main__":
    main()
