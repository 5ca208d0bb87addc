"""Every record is tied to its inputs; Jupyter use cannot change what the report reads (issue 9).

The notebooks folder is copied to a scratch folder (``workbook`` fixture) so the tests can
add, edit and delete parameter files as a user would, without touching the repository.
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from helpers.pipeline import experiment, fetch, files, names, params, provenance, resolve, results, runfiles, settings
from helpers.pipeline.params import Parameters

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def workbook(tmp_path, monkeypatch):
    """notebooks/ copied to tmp (runs.NOTEBOOKS points there); output written under tmp/out."""
    notebooks = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    monkeypatch.setattr(settings, "NOTEBOOKS", notebooks)
    monkeypatch.setenv("WORKBOOK_OUTPUT", str(tmp_path / "out"))
    return notebooks


def pipeline_parameters(path, scale="smoke") -> Parameters:
    """What the notebook's parameters() gives a pipeline run of ``path``: the build's stamps step
    resolves it (as `make` does first), papermill injects the resolved values."""
    root = Path(os.environ["WORKBOOK_OUTPUT"])
    resolve.write_stamps([Path(path)], scale, root / "build")
    resolved = resolve.load_resolved(names.run_id(path), root)
    return experiment.parameters(dict(resolved["parameters"]), resolved["notebook"])


def restamp(path, scale="smoke"):
    """The stamps step `make` runs before anything else: the run resolved again from its files."""
    resolve.write_stamps([Path(path)], scale, Path(os.environ["WORKBOOK_OUTPUT"]) / "build")


def fake_run(P, figure=b"%PDF figure", summary=None):
    """What a notebook does at the end of a successful run: a figure, then write_results."""
    stem = experiment.figure_path(P, "curves")
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".pdf").write_bytes(figure)
    return experiment.write_results(P, summary or {"batch": {"test_acc": [0.5, 0.0]}}, {})


# --- run names come from paths ----------------------------------------------------------------

def test_a_new_parameter_file_gets_its_own_run_and_never_overwrites_another(workbook):
    """Issue 9: logistic_2v7.yaml with only overrides {digits: [2, 7]} used to replace logistic_2v3.json."""
    two_three = pipeline_parameters(workbook / "runs/01_logistic/zhu_guo_2v3.yaml")
    fake_run(two_three, summary={"batch": {"test_acc": [0.98, 0.0]}})
    before = results.results_file(two_three["run"]).read_bytes()
    new = workbook / "runs/01_logistic/logistic_2v7.yaml"
    new.write_text("overrides: {digits: [2, 7]}\n")
    two_seven = pipeline_parameters(new)
    assert two_seven["run"] == "runs/01_logistic/logistic_2v7"
    fake_run(two_seven, summary={"batch": {"test_acc": [0.91, 0.0]}})
    new.unlink()
    assert results.results_file(two_three["run"]).read_bytes() == before
    assert results.read_results(two_three["run"], "smoke")["summary"]["batch"]["test_acc"] == [0.98, 0.0]


def test_a_parameter_file_may_not_name_its_run_or_scale(workbook):
    path = workbook / "runs/01_logistic/zhu_guo_2v3.yaml"
    path.write_text("run: logistic_2v8\n")
    with pytest.raises(names.ParameterFileError, match=r"remove 'run'.*the run's name is its file's path"):
        resolve.effective(path, "full")


def test_base_in_a_parameter_file_is_rejected_in_favour_of_overrides(workbook):
    """Issue 9: `base: {lr: 0.1}` used to replace the whole dict and train a 10-class network."""
    path = workbook / "runs/01_logistic/zhu_guo_2v3.yaml"
    path.write_text("base: {lr: 0.1}\n")
    with pytest.raises(names.ParameterFileError, match=r"'base' would replace .* under `overrides:`"):
        resolve.effective(path, "full")
    path.write_text("overrides: {lr: 0.1}\n")
    values = resolve.effective(path, "full")
    config = params.base_config(values)
    assert (config.model, config.digits, config.lr) == ("logistic", (2, 3), 0.1)


def test_variants_in_a_file_update_the_defaults_field_by_field(workbook):
    path = workbook / "runs/01_logistic/zhu_guo_2v3.yaml"
    path.write_text("variants: {'mini-batch 10%, until converged': {lr: 0.2}}\n")
    values = resolve.effective(path, "full")
    defaults = runfiles.defaults("01_logistic")["variants"]["mini-batch 10%, until converged"]
    assert values["variants"] == {"mini-batch 10%, until converged": {**defaults, "lr": 0.2}}


# --- records refused unless made from the current inputs ---------------------------------------

def test_a_smoke_record_never_reaches_a_full_scale_report(workbook):
    P = pipeline_parameters(workbook / "runs/04_momentum/lim_chen.yaml", scale="smoke")
    fake_run(P)
    root = Path(os.environ["WORKBOOK_OUTPUT"])
    assert results.read_results(P["run"], "smoke", root)["run"] == P["run"]
    with pytest.raises(results.StaleResultsError, match=r"scale.*`make rerun RUN=runs/04_momentum/lim_chen`"):
        results.read_results(P["run"], "full", root)


CHANGES = [(lambda nb: (nb / "runs/04_momentum/lim_chen.yaml").write_text("seeds: [5]\n"), "effective parameters",
            "its parameter file changed since the build resolved it"),
           (lambda nb: _edit_first_markdown(nb / "04_momentum.ipynb"), "notebook's cells",
            "its notebook's cells changed since the build resolved it")]


@pytest.mark.parametrize("change, words, _", CHANGES)
def test_a_changed_input_makes_the_record_stale(workbook, change, words, _):
    P = pipeline_parameters(workbook / "runs/04_momentum/lim_chen.yaml")
    fake_run(P)
    change(workbook)
    restamp(workbook / "runs/04_momentum/lim_chen.yaml")      # the next `make` resolves the run again
    with pytest.raises(results.StaleResultsError, match=words):
        results.read_results(P["run"], "smoke")


@pytest.mark.parametrize("change, _, words", CHANGES)
def test_a_reader_between_two_builds_is_told_the_run_must_be_resolved_again(workbook, change, _, words):
    """07_across_runs opened in Jupyter after a file was edited, before the next `make`."""
    P = pipeline_parameters(workbook / "runs/04_momentum/lim_chen.yaml")
    fake_run(P)
    change(workbook)
    with pytest.raises(results.StaleResultsError, match=rf"{words}; rebuild it: `make rerun RUN=runs/04_momentum/lim_chen SCALE=smoke`"):
        results.read_results(P["run"], "smoke")


def _edit_first_markdown(path):
    nb = nbformat.read(path, 4)
    nb.cells[0].source += "\nOne more sentence."
    nbformat.write(nb, path)


def test_a_figure_that_is_not_the_records_own_is_refused(workbook):
    P = pipeline_parameters(workbook / "runs/04_momentum/lim_chen.yaml")
    fake_run(P)
    (results.figure_dir(P["run"]) / "curves.pdf").write_bytes(b"%PDF another figure")
    with pytest.raises(results.StaleResultsError, match="figure .*curves.pdf"):
        results.read_results(P["run"], "smoke")


def test_outputs_and_metadata_saved_by_jupyter_do_not_change_the_notebook_digest(workbook):
    path = workbook / "04_momentum.ipynb"
    before = provenance.notebook_digest(path)
    nb = nbformat.read(path, 4)
    nb.metadata["kernelspec"] = {"name": "someone-elses", "display_name": "x", "language": "python"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count = 7
            cell.outputs = [nbformat.v4.new_output("stream", text="saved by JupyterLab\n")]
    nbformat.write(nb, path)
    assert provenance.notebook_digest(path) == before


def test_git_stores_notebooks_without_outputs():
    """The nbstripout filter (`make env`) makes a notebook with outputs hash like the committed one."""
    if subprocess.run(["git", "config", "--get", "filter.nbstripout.clean"], cwd=ROOT, capture_output=True).returncode:
        if os.environ.get("CI"):
            pytest.fail("`make env` must install the nbstripout git filter")
        pytest.skip("the nbstripout git filter is not installed here (make env installs it)")
    path = "notebooks/04_momentum.ipynb"
    nb = nbformat.read(ROOT / path, 4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count = 3
            cell.outputs = [nbformat.v4.new_output("stream", text="output\n")]
    with_outputs = nbformat.writes(nb)
    index_blob = subprocess.run(["git", "ls-files", "-s", path], cwd=ROOT, capture_output=True, text=True).stdout.split()[1]
    clean_blob = subprocess.run(["git", "hash-object", "--stdin", "--path", path], cwd=ROOT, input=with_outputs,
                                capture_output=True, text=True).stdout.strip()
    assert clean_blob == index_blob, "a notebook with outputs must store exactly as the committed (clean) one"


# --- nothing half-written ----------------------------------------------------------------------

def test_a_failed_run_leaves_the_old_figures_and_results(workbook):
    P = pipeline_parameters(workbook / "runs/04_momentum/lim_chen.yaml")
    fake_run(P, figure=b"%PDF old")
    old = results.results_file(P["run"]).read_bytes()
    stem = experiment.figure_path(P, "curves")      # a rerun saves a new figure, then fails (lr: .inf)
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".pdf").write_bytes(b"%PDF new, from a run that failed")
    assert (results.figure_dir(P["run"]) / "curves.pdf").read_bytes() == b"%PDF old"
    assert results.results_file(P["run"]).read_bytes() == old
    assert results.read_results(P["run"], "smoke")["run"] == P["run"]
    fake_run(P, figure=b"%PDF new")                  # the next successful run replaces both
    assert (results.figure_dir(P["run"]) / "curves.pdf").read_bytes() == b"%PDF new"


def test_results_are_strict_json_and_a_nan_writes_nothing(workbook):
    P = pipeline_parameters(workbook / "runs/04_momentum/lim_chen.yaml")
    with pytest.raises(ValueError, match="NaN or infinite; not written"):
        fake_run(P, summary={"v": {"test_acc": [float("nan"), 0.0]}})
    assert not results.results_file(P["run"]).exists()
    assert not results.figure_dir(P["run"]).exists()


def test_files_the_build_writes_are_readable_by_others(tmp_path):
    files.atomic_write(tmp_path / "f.json", b"{}")
    assert stat.S_IMODE((tmp_path / "f.json").stat().st_mode) == 0o644


# --- bad input, clear errors -----------------------------------------------------------------------

@pytest.mark.parametrize("content, words", [
    ("- 1\n- 2\n", "holds a YAML list, not a mapping"),
    ("# only a comment\n", "is empty.*write `{}`"),
    ("lambdas: []\n", "lambdas=\\[\\] is not a non-empty list"),
    ("variants: {}\n", "variants={} is not a non-empty mapping"),
    ("overrides: {lr: .inf}\n", "lr=inf"),
    ("lamdas: [0.1]\n", "did you mean 'lambdas'"),
])
def test_bad_parameter_files_are_named_with_the_fix(workbook, content, words):
    path = workbook / "runs/01_logistic/zhu_guo_2v3.yaml"
    path.write_text(content)
    with pytest.raises(names.ParameterFileError, match=words):
        resolve.effective(path, "full")


def test_across_runs_with_wrong_sources_says_what_it_needs(workbook):
    path = workbook / "runs/07_across_runs/across_runs.yaml"
    path.write_text("sources: [runs/04_momentum/momentum]\n")
    with pytest.raises(names.ParameterFileError, match="must name two runs of 01_logistic"):
        resolve.effective(path, "full")


def test_across_runs_with_an_unknown_variant_lists_the_variants():
    record = {"run": "runs/01_logistic/x", "extra": {"weights": {"batch": [0.0]}, "biases": {"batch": 0.0}}}
    with pytest.raises(ValueError, match="no variant 'bacth'; its variants: batch"):
        experiment.weights_of(record, "bacth")


def test_a_runs_folder_is_checked_for_misplaced_files(workbook):
    runs_dir = workbook / "runs"
    (runs_dir / "09_nonexistent").mkdir()
    (runs_dir / "09_nonexistent" / "x.yaml").write_text("{}\n")
    (runs_dir / "01_logistic" / "typo.yml").write_text("{}\n")
    (runs_dir / "loose.yaml").write_text("{}\n")
    problems = "\n".join(names.check_layout(runs_dir))
    assert "09_nonexistent/: no notebook notebooks/09_nonexistent.ipynb" in problems
    assert "typo.yml: use the extension .yaml" in problems
    assert "loose.yaml: a parameter file goes in a folder named after its notebook" in problems
    assert names.check_layout(workbook / "runs-missing") == [f"{workbook / 'runs-missing'}: no such folder of parameter files (RUNS_DIR)"]


def test_a_truncated_gz_is_a_clear_source_failure(cache, tmp_path, offline):
    folder = tmp_path / "hand"
    folder.mkdir()
    import gzip
    whole = gzip.compress(np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8).tobytes())
    (folder / "train-images-idx3-ubyte.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(fetch.DataUnavailableError, match="cannot be decompressed .*truncated or damaged"):
        fetch.provision("mnist", folder, log=lambda *_: None)


# --- interactive use ----------------------------------------------------------------------------------

def test_run_all_twice_validates_only_what_the_parameters_cell_assigned():
    """IPython's In holds each executed cell; a second Run All sees the first run's leftovers."""
    cell = runfiles.parameters_cell("03_gradcheck")
    namespace = {**runfiles.defaults("03_gradcheck"), "entries": [("b2", (3,))], "table": [], "scale": "smoke",
                 "In": ["", cell, "P = experiment.parameters(globals(), '03_gradcheck')",
                        "entries = [('b2', (3,))]\ntable = gradcheck.check_gradients(f, params, 0.01, entries)",
                        cell, "P = experiment.parameters(globals(), '03_gradcheck')"]}
    assert params.validate(namespace, "03_gradcheck")["eps_table"] == 0.01
    namespace["In"][-2] = cell.replace("eps_table =", "eps_tabel =")
    with pytest.raises(ValueError, match="'eps_tabel' \\(did you mean 'eps_table'\\?\\)"):
        params.validate(namespace, "03_gradcheck")


def test_a_jupyter_run_writes_under_build_interactive_and_run_all_twice_works(monkeypatch):
    """Issue 9, as described: "Run All" twice in one kernel, as in JupyterLab (no WORKBOOK_OUTPUT)."""
    import nbclient
    monkeypatch.delenv("WORKBOOK_OUTPUT", raising=False)
    pipeline = results.results_file("runs/03_gradcheck/gradcheck", settings.pipeline_root("smoke"))
    before = pipeline.read_bytes() if pipeline.exists() else None
    nb = nbformat.read(ROOT / "notebooks" / "03_gradcheck.ipynb", 4)
    nb.cells = nb.cells + [nbformat.v4.new_code_cell(c.source, metadata=c.metadata) for c in nb.cells
                           if c.cell_type == "code"]       # the second "Run All", same kernel
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source += '\nscale = "smoke"'
    started = time.time()
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=300,
                            resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    written = ROOT / "build" / "interactive" / "build" / "results" / "interactive" / "03_gradcheck.json"
    assert written.stat().st_mtime >= started and json.loads(written.read_text())["parameters"]["scale"] == "smoke"
    assert (pipeline.read_bytes() if pipeline.exists() else None) == before


def test_a_float64_build_sets_every_fit_of_a_run_to_float64_and_keeps_the_files_overrides(workbook):
    """`make precision` (DTYPE=float64) resolves each run with dtype in its overrides, beside the file's own."""
    path = workbook / "runs/01_logistic/zhu_guo_2v8.yaml"
    values = resolve.effective(path, "full", "float64")
    assert values["overrides"]["dtype"] == "float64" and values["overrides"]["digits"] == [2, 8]
    assert params.base_config(values).dtype == "float64"
    assert params.base_config(resolve.effective(path, "full")).dtype == "float32"


def test_a_float64_build_refuses_a_run_that_sets_its_own_dtype(workbook):
    path = workbook / "runs/01_logistic/zhu_guo_2v3.yaml"
    path.write_text("variants: {'batch, until converged': {dtype: float32}}\n")
    with pytest.raises(names.ParameterFileError, match=r"variant 'batch, until converged' set dtype, which this float64 build"):
        resolve.effective(path, "full", "float64")
