"""The package's shape (issue 24): the course code alone at the top of helpers/, the machinery in
sub-packages beneath it, arrows one way, every module small."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HELPERS = ROOT / "helpers"
COURSE = sorted(HELPERS.glob("*.py"))
SUBPACKAGES = ("pipeline", "figures", "report")
LIBRARIES_THE_COURSE_MAY_NOT_USE = {"tqdm", "dask", "distributed", "yaml", "matplotlib", "optuna", "threadpoolctl",
                                    "IPython", "nbformat", "papermill"}


def imports(path: Path) -> set[str]:
    """Every module a file imports, absolute ("numpy", "helpers.pipeline.settings")."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}   # `from . import pipeline` counts too
    return found


def test_the_course_package_imports_numpy_the_standard_library_and_itself_only():
    wrong = {}
    for path in COURSE:
        bad = sorted(m for m in imports(path)
                     if m.split(".")[0] in LIBRARIES_THE_COURSE_MAY_NOT_USE
                     or any(m.startswith(f"helpers.{sub}") for sub in SUBPACKAGES)
                     or (m.split(".")[0] not in ("helpers", "numpy", "__future__") and m.split(".")[0] not in sys.stdlib_module_names))
        if bad:
            wrong[path.name] = bad
    assert wrong == {}


def test_importing_the_whole_course_package_loads_no_machinery():
    """What a student's `import helpers.train` really loads: numpy, and none of the pipeline's libraries."""
    modules = " ".join(f"helpers.{p.stem}" for p in COURSE if p.stem != "__init__")
    code = f"import sys, importlib\nfor m in '{modules}'.split(): importlib.import_module(m)\nprint(' '.join(sys.modules))"
    loaded = set(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split())
    assert "numpy" in loaded
    assert {m for m in loaded if m.split(".")[0] in LIBRARIES_THE_COURSE_MAY_NOT_USE} == set()
    assert {m for m in loaded if m.startswith(tuple(f"helpers.{sub}" for sub in SUBPACKAGES))} == set()


def test_arrows_run_one_way_course_pipeline_figures_report():
    below = {"pipeline": ("figures", "report"), "figures": ("report",)}
    wrong = []
    for sub, forbidden in below.items():
        for path in sorted((HELPERS / sub).glob("*.py")):
            wrong += [f"{path.relative_to(ROOT)} imports {m}" for m in imports(path)
                      if any(m.startswith(f"helpers.{f}") for f in forbidden)]
    assert wrong == []


def test_figures_use_only_the_pipeline_s_file_writer():
    used = {m for path in (HELPERS / "figures").glob("*.py") for m in imports(path) if m.startswith("helpers.pipeline")}
    assert used <= {"helpers.pipeline.files", "helpers.pipeline.files.atomic_write"}


def test_no_module_is_over_250_lines():
    long = {str(p.relative_to(ROOT)): n for p in HELPERS.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 250}
    assert long == {}


def test_the_checker_sees_a_forbidden_import(tmp_path):
    """The import reader behind these tests finds a relative import of the pipeline (it can fail)."""
    fake = HELPERS / "_probe_layout_test.py"
    fake.write_text("from .pipeline import settings\nimport yaml\n")
    try:
        found = imports(fake)
    finally:
        fake.unlink()
    assert "helpers.pipeline.settings" in found and "yaml" in found
