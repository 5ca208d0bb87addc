"""Issue 19: nothing silent, nothing stuck: the report is exactly the runs on disk.

One test (or two) per numbered case of the issue, at smoke scale. Make's own decisions are
tested in a scratch copy of the tree (the ``tree`` fixture) in which papermill is a stand-in
that writes an empty notebook and an empty results file, so a whole build takes seconds; the
Python pieces are tested directly. Cases 7, 11 and 12 (the Dask side) are not here.
"""
import fcntl
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from helpers import data, train
from helpers.pipeline import fetch, names, resolve, results, settings
from helpers.config import Config
from test_provenance import fake_run, pipeline_parameters, restamp, workbook  # noqa: F401 (workbook is a fixture)

ROOT = Path(__file__).resolve().parent.parent
RUNS = 15                                   # the parameter files of notebooks/runs
FAKE_PAPERMILL = '''
import json, os, re, sys, time
from pathlib import Path
out = next(a for a in sys.argv[1:] if a.endswith((".part", ".part.ipynb")))
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(out + "\\n")
time.sleep(float(os.environ.get("FAKE_SLEEP", "0")))
Path(out).write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
run = re.match(r"(.*)build/executed/(.*)[.]ipynb[.][0-9]+[.]part$", out)
if run:
    results = Path(run[1] or ".") / "build" / "results" / (run[2] + ".json")
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text("{}")
'''


class Tree:
    """A scratch copy of the repository's Makefile, helpers, notebooks and report, on this .venv and data."""

    def __init__(self, root: Path):
        self.root, self.log = root, root / "papermill.log"
        self.env = {k: v for k, v in os.environ.items() if k not in (
            "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "WORKBOOK_BUILD_LOCK", "WORKBOOK_OUTPUT", "DASK_SCHEDULER_ADDRESS")}
        self.env.update(PYTHONPATH=str(root), FAKE_LOG=str(self.log), WORKBOOK_ENGINE="serial")

    @classmethod
    def fresh(cls, root: Path) -> "Tree":
        """A new scratch tree at ``root``, nothing built."""
        root.mkdir()
        for name in ("Makefile", "requirements.txt", "environment.yml", "pyproject.toml"):
            shutil.copy2(ROOT / name, root / name)
            os.utime(root / name, (0, 0))        # never newer than .venv/.installed: make must not touch the venv
        for name in ("helpers", "notebooks", "report"):
            shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.part"))
        for name in (".venv", "data"):
            (root / name).symlink_to(ROOT / name)
        (root / "papermill.py").write_text(FAKE_PAPERMILL)
        return cls(root)

    @classmethod
    def copy(cls, tree: "Tree", root: Path) -> "Tree":
        """A copy of ``tree`` at ``root`` (time stamps kept, so what was up to date still is)."""
        shutil.copytree(tree.root, root, symlinks=True)
        return cls(root)

    def command(self, *args) -> list[str]:
        return ["make", "--no-print-directory", f"PAPERMILL={sys.executable} {self.root / 'papermill.py'}", *args]

    def make(self, *args, env=None) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(*args), cwd=self.root, env={**self.env, **(env or {})},
                              capture_output=True, text=True, timeout=300)

    def start(self, *args, env=None) -> subprocess.Popen:
        return subprocess.Popen(self.command(*args), cwd=self.root, env={**self.env, **(env or {})},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)

    def ran(self) -> list[str]:
        """The notebooks the stand-in papermill wrote since the last call (and forget them)."""
        lines = self.log.read_text().split() if self.log.exists() else []
        self.log.unlink(missing_ok=True)
        return lines


REPORT_NB = "build/smoke/report/build/report.ipynb"


@pytest.fixture
def tree(tmp_path) -> Tree:
    return Tree.fresh(tmp_path / "tree")


@pytest.fixture(scope="module")
def _built(tmp_path_factory) -> Tree:
    built = Tree.fresh(tmp_path_factory.mktemp("built") / "tree")
    done = built.make(REPORT_NB, "SCALE=smoke")
    assert done.returncode == 0 and f"running the report notebook on {RUNS} runs" in done.stdout, done.stdout + done.stderr
    built.ran()
    return built


@pytest.fixture
def built_tree(_built, tmp_path) -> Tree:
    """A scratch tree whose smoke runs and report notebook are built (by the stand-in) and up to date."""
    return Tree.copy(_built, tmp_path / "tree")


# --- 1, 2. a deleted run stays in the report; an edited results file reaches it ---------------------

def test_1_2_the_report_depends_on_the_set_of_runs_and_on_their_results_files(built_tree):
    tree = built_tree
    again = tree.make(REPORT_NB, "SCALE=smoke")
    assert "report notebook" not in again.stdout and tree.ran() == []      # nothing changed: nothing runs
    extra = tree.root / "notebooks/runs/01_logistic/logistic_2v7.yaml"
    extra.write_text("overrides: {digits: [2, 7]}\n")
    done = tree.make(REPORT_NB, "SCALE=smoke")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"running the report notebook on {RUNS + 1} runs" in done.stdout
    tree.ran()
    extra.unlink()                                                          # 1: a run removed
    after = tree.make(REPORT_NB, "SCALE=smoke")
    assert after.returncode == 0, after.stdout + after.stderr
    assert f"running the report notebook on {RUNS} runs" in after.stdout
    assert (tree.root / "build/smoke/build/stamps/runs.list").read_text().split() == sorted(
        names.run_id(p) for p in (ROOT / "notebooks/runs").glob("*/*.yaml"))
    tree.ran()
    (tree.root / "build/smoke/build/results/runs/02_softmax/shi.json").write_text('{"edited": true}')   # 2
    edited = tree.make(REPORT_NB, "SCALE=smoke")
    assert edited.returncode == 0 and "running the report notebook" in edited.stdout
    assert tree.ran() == [REPORT_NB.replace("report.ipynb", "report.part.ipynb")]   # the report (which refuses
                                                                                    # the record), no run


def test_1_the_set_of_runs_is_rewritten_only_when_it_changes(workbook, tmp_path):
    files = sorted((workbook / "runs").glob("*/*.yaml"))
    resolve.write_stamps(files, "smoke", tmp_path)
    listed = tmp_path / "stamps/runs.list"
    os.utime(listed, (1, 1))
    resolve.write_stamps(files, "smoke", tmp_path)
    assert listed.stat().st_mtime == 1                                      # same set: make sees no change
    resolve.write_stamps(files[1:], "smoke", tmp_path)
    assert listed.stat().st_mtime > 1 and names.run_id(files[0]) not in listed.read_text().split()


def test_2_an_edited_record_is_refused_with_the_command_that_reruns_it(workbook):
    P = pipeline_parameters(workbook / "runs/02_softmax/shi.yaml")
    path = fake_run(P, summary={"batch": {"test_acc": [0.864, 0.0]}})
    assert results.read_results(P["run"], "smoke")["summary"]["batch"]["test_acc"] == [0.864, 0.0]
    path.write_text(path.read_text().replace("0.864", "0.964"))
    with pytest.raises(results.StaleResultsError, match=r"runs/02_softmax/shi.json was changed after the run wrote "
                       r"it .*rebuild it: `make rerun RUN=runs/02_softmax/shi SCALE=smoke`"):
        results.read_results(P["run"], "smoke")


def _edit_record(P):
    path = results.results_file(P["run"])
    path.write_text(path.read_text().replace('"test_acc": [', '"test_acc": [0.1, '))


@pytest.mark.parametrize("damage", [
    _edit_record,
    lambda P: results.figure_dir(P["run"]).joinpath("curves.pdf").write_bytes(b"%PDF edited"),
    lambda P: results.results_file(P["run"]).unlink(),
], ids=["edited record", "edited figure", "deleted record"])
def test_every_refusal_names_the_same_rerun_command(workbook, damage):
    P = pipeline_parameters(workbook / "runs/02_softmax/shi.yaml")
    fake_run(P)
    damage(P)
    with pytest.raises(results.StaleResultsError, match="rebuild it: `make rerun RUN=runs/02_softmax/shi SCALE=smoke`$"):
        results.read_results(P["run"], "smoke")


def test_the_rerun_command_works_as_printed(built_tree):
    """`make rerun RUN=...` (every refusal's command) reruns the run even though make finds it up to date,
    as it is after a record or figure was edited in place."""
    tree = built_tree
    command = shlex.split(results.rebuild_command("runs/02_softmax/shi", "smoke"))
    assert tree.make("notebooks", "SCALE=smoke").returncode == 0 and tree.ran() == []   # up to date
    assert command[0] == "make"
    done = tree.make(*command[1:])                                                      # as printed
    assert done.returncode == 0, done.stdout + done.stderr
    assert [Path(p).name.split(".")[0] for p in tree.ran()] == ["shi"]
    wrong = tree.make("rerun", "RUN=runs/02_softmax/sih")
    assert wrong.returncode != 0 and "RUN='runs/02_softmax/sih' names no parameter file" in wrong.stdout


# --- 3. two builds at once ------------------------------------------------------------------------

def _hold(lock: Path):
    lock.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock, "a")
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return handle


def _wait_for(predicate, seconds=60):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_3_a_second_build_waits_for_the_first_and_says_so(tree):
    holder = _hold(tree.root / ".cache/build.lock")          # a build is running in this tree
    second = tree.start("notebooks", "SCALE=smoke")
    first_line = second.stdout.readline()
    while "data" in first_line:                               # `make data` runs before the lock
        first_line = second.stdout.readline()
    assert "another build is running in this tree" in first_line and "waiting" in first_line
    time.sleep(1)
    assert second.poll() is None and tree.ran() == []          # it waits, and runs nothing meanwhile
    holder.close()
    assert second.wait(timeout=300) == 0
    assert len(tree.ran()) == RUNS


def test_3_a_killed_build_leaves_no_lock_behind(tree):
    build = tree.start("notebooks", "SCALE=smoke", env={"FAKE_SLEEP": "60"})
    _wait_for(lambda: tree.log.exists())                       # a run is under way, the lock held
    with pytest.raises(BlockingIOError):
        _hold(tree.root / ".cache/build.lock")
    os.killpg(build.pid, signal.SIGKILL)
    build.wait()
    _wait_for(lambda: subprocess.run(["pgrep", "-s", str(build.pid)], capture_output=True).returncode != 0, 10)
    _hold(tree.root / ".cache/build.lock").close()            # free at once


def test_3_each_process_stages_its_own_figures_and_removes_only_dead_ones(workbook):
    P = pipeline_parameters(workbook / "runs/04_momentum/lim_chen.yaml")
    staging = settings.output_root() / "build" / "staging"
    dead = subprocess.Popen([sys.executable, "-c", ""])
    dead.wait()
    for pid in (os.getppid(), dead.pid):
        (staging / str(pid) / P["run"]).mkdir(parents=True)
    results.start_run(P)
    assert results.figure_path(P, "x").is_relative_to(staging / str(os.getpid()))
    assert (staging / str(os.getppid())).exists() and not (staging / str(dead.pid)).exists()


# --- 4. duplicate YAML keys -----------------------------------------------------------------------

@pytest.mark.parametrize("content, key, lines", [
    ('variants: {"a": {lr: 0.1}, "a": {lr: 0.2}}\n', "'a'", (1, 1)),
    ("seeds: [0]\nlambdas: [0.1]\nseeds: [1]\n", "'seeds'", (3, 1)),
])
def test_4_a_key_given_twice_is_refused_with_the_file_key_and_lines(workbook, content, key, lines):
    path = workbook / "runs/01_logistic/zhu_guo_2v3.yaml"
    path.write_text(content)
    with pytest.raises(names.ParameterFileError, match=rf"zhu_guo_2v3.yaml, line {lines[0]}: key {key} is given twice "
                       rf"\(first on line {lines[1]}\).*keep one"):
        resolve.effective(path, "smoke")


# --- 5. a stale PDF beside a new HTML -------------------------------------------------------------

def test_5_without_tex_the_report_removes_a_pdf_older_than_its_tex(built_tree, tmp_path):
    no_tex = tmp_path / "bin"
    no_tex.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        for tool in Path(folder).glob("*") if Path(folder).is_dir() else ():
            if tool.name != "xelatex" and not (no_tex / tool.name).exists():
                (no_tex / tool.name).symlink_to(tool)
    tree = built_tree
    report = tree.root / "build/smoke/report"
    for name in ("report.tex", "report.html"):
        (report / name).write_text("new")                     # newer than the report notebook: up to date
    (report / "report.pdf").write_bytes(b"%PDF old")
    os.utime(report / "report.pdf", (1, 1))
    done = tree.make("report", "SCALE=smoke", env={"PATH": str(no_tex)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "removed build/smoke/report/report.pdf: it was made from an older report.tex" in done.stdout
    assert not (report / "report.pdf").exists()
    (report / "report.pdf").write_bytes(b"%PDF of this tex")  # newer than the tex: it matches, it stays
    assert tree.make("report", "SCALE=smoke", env={"PATH": str(no_tex)}).returncode == 0
    assert (report / "report.pdf").exists()


# --- 6. batch_size larger than the data ------------------------------------------------------------

def test_6_a_batch_larger_than_the_data_is_recorded_as_what_ran():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((30, 4)).astype(np.float32), rng.integers(0, 2, 30)
    splits = data.Splits(x, y, x[:0], y[:0], x[:10], y[:10])
    config = Config(model="logistic", digits=(2, 3), epochs=2, progress=False)
    assert train.fit(config.replace(batch_size=1088), splits).final["batch_size"] == 30
    assert train.fit(config.replace(batch_size=8), splits).final["batch_size"] == 8


# --- 8. a comment-only edit ---------------------------------------------------------------------------

def test_8_a_comment_edited_in_a_parameter_file_is_not_a_change(workbook):
    path = workbook / "runs/04_momentum/lim_chen.yaml"
    P = pipeline_parameters(path)
    fake_run(P)
    path.write_text("# a new comment\n" + path.read_text())
    assert resolve.effective(path, "smoke") == dict(P)                     # make reruns nothing ...
    restamp(path)                                                          # (its stamps step resolves it again)
    assert results.read_results(P["run"], "smoke")["run"] == P["run"]   # ... and the report takes the record


# --- 9. a typo in sources, a space in a file name ---------------------------------------------------

def test_9_a_typo_in_sources_names_the_run_it_meant(workbook):
    path = workbook / "runs/07_across_runs/zhu_guo.yaml"
    path.write_text("sources: [runs/01_logistic/zhu_guo_2v3, runs/01_logistic/zhu_guo_2v9]\n")
    with pytest.raises(names.ParameterFileError, match=r"zhu_guo.yaml: 07_across_runs: sources: run "
                       r"'runs/01_logistic/zhu_guo_2v9' has no parameter file notebooks/runs/01_logistic/zhu_guo_2v9.yaml "
                       r"\(did you mean 'runs/01_logistic/zhu_guo_2v8'\?\)"):
        resolve.effective(path, "smoke")


def test_9_a_bad_name_or_a_bad_file_blocks_only_its_own_run(tree):
    (tree.root / "notebooks/runs/01_logistic/my run.yaml").write_text("overrides: {digits: [2, 7]}\n")
    (tree.root / "notebooks/runs/04_momentum/bad.yaml").write_bytes(b"seeds: [0]\n# caf\xe9\n")
    done = tree.make("notebooks", "SCALE=smoke")
    assert done.returncode != 0
    assert sorted(Path(p).parent.name + "/" + Path(p).name.split(".")[0] for p in tree.ran()) == sorted(
        f"{p.parent.name}/{p.stem}" for p in (ROOT / "notebooks/runs").glob("*/*.yaml"))    # every other run ran
    assert ("notebooks/runs/01_logistic/my run.yaml: a run's name may only hold letters, digits, '_', '-' and '.' "
            "(make cannot build 'my run'): rename the file to my_run.yaml") in done.stderr
    assert ("notebooks/runs/04_momentum/bad.yaml: the byte at offset 16 (line 2, column 6), 0xe9, is not UTF-8"
            in done.stderr)


# --- 10. a non-UTF-8 byte ----------------------------------------------------------------------------

def test_10_a_byte_that_is_not_utf8_is_named_and_blocks_only_its_file(workbook, tmp_path):
    bad = workbook / "runs/04_momentum/lim_chen.yaml"
    bad.write_bytes(b"seeds: [0, 1]\n# r\xe9sum\xe9\n")
    with pytest.raises(names.ParameterFileError, match=r"runs/04_momentum/lim_chen.yaml: the byte at offset 17 \(line 2, "
                       r"column 4\), 0xe9, is not UTF-8; save the file as UTF-8"):
        resolve.effective(bad, "smoke")
    good = workbook / "runs/04_momentum/shi.yaml"
    resolve.write_stamps([bad, good], "smoke", tmp_path)
    assert (tmp_path / "params/runs/04_momentum/shi.json").exists()
    assert not (tmp_path / "params/runs/04_momentum/lim_chen.json").exists()


# --- 13. the Python API takes what its messages promise ----------------------------------------------

def test_13_config_takes_lists_and_numpy_scalars():
    assert Config(model="mlp", hidden=[128]).hidden == (128,)
    config = Config(model="logistic", digits=[2, 3], epochs=np.int64(3), lr=np.float64(0.5))
    assert (config.digits, config.epochs, type(config.epochs), config.lr) == ((2, 3), 3, int, 0.5)
    assert config.digest() == Config(model="logistic", digits=(2, 3), epochs=3, lr=0.5).digest()
    with pytest.raises(ValueError, match="hidden=\\(0,\\): a non-empty list of positive layer widths"):
        Config(hidden=[0])


# --- 14. a configuration field at the top level; a misspelt MNIST_DATA_DIR ---------------------------

def test_14_a_top_level_configuration_field_points_at_overrides(workbook):
    path = workbook / "runs/04_momentum/lim_chen.yaml"
    path.write_text("lr: 0.1\n")
    with pytest.raises(names.ParameterFileError, match=r"lim_chen.yaml: 'lr' is a configuration field, not a parameter "
                       r"of notebooks/04_momentum.ipynb: write `overrides: \{lr: 0.1\}`"):
        resolve.effective(path, "smoke")


def test_14_a_misspelt_data_folder_is_named(tmp_path, monkeypatch, offline):
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path / "dtaa"))
    typo = re.escape(str(tmp_path / "dtaa"))
    with pytest.raises(fetch.DataUnavailableError, match=rf"MNIST_DATA_DIR={typo}: no folder {typo} exists \(a typo\?\)"):
        fetch.provision("mnist", log=lambda *_: None)


# --- issue 27: the report's last line says how to get the search section, and how long it takes ------

def test_the_report_ends_with_how_to_get_the_search_section_and_its_time_here(built_tree):
    done = built_tree.make("report", "SCALE=smoke")
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("report: no search section (how far each model class goes): the search has not been run")
    assert "`make best SCALE=smoke` runs it" in last and "minutes of searching on this machine" in last
    assert last.endswith("then `make report` again")
