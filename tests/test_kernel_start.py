"""A kernel that does not come up is started again; a notebook's own failure is not retried.

The build starts one kernel per run at once; on a loaded machine one can die while it binds its
ports ("Kernel died before replying to kernel_info"), which failed a CI run. These tests give
papermill, through helpers/pipeline/execute.py as the Makefile calls it, a real kernel behind a
launcher that dies on its first start, and check what the log and the executed notebook show.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent

LAUNCHER = '''
import os, sys
from pathlib import Path
starts = Path(sys.argv[1])
starts.write_text(starts.read_text() + "x" if starts.exists() else "x")
if len(starts.read_text()) <= int(sys.argv[2]):
    sys.exit(1)                       # dies before it answers, as a kernel whose port was taken does
os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", "-f", sys.argv[3]])
'''


@pytest.fixture
def flaky(tmp_path):
    """A kernel spec 'flaky' whose first ``deaths`` starts die; returns (env, starts file, set deaths)."""
    (tmp_path / "launcher.py").write_text(LAUNCHER)
    spec = tmp_path / "jupyter" / "kernels" / "flaky"
    spec.mkdir(parents=True)
    starts = tmp_path / "starts"

    def make(deaths: int) -> dict:
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, str(tmp_path / "launcher.py"), str(starts), str(deaths), "{connection_file}"],
            "display_name": "flaky", "language": "python"}))
        return {"JUPYTER_DATA_DIR": str(tmp_path / "jupyter"), "PATH": os.environ["PATH"],
                "HOME": str(tmp_path)}
    return make, starts


def notebook(path, source):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nbformat.write(nb, path)
    return path


def execute(tmp_path, env, source):
    done = subprocess.run([sys.executable, "-m", "helpers.pipeline.execute", "-k", "flaky", "--no-progress-bar",
                           "--log-output", "--start-timeout", "30", str(notebook(tmp_path / "in.ipynb", source)),
                           str(tmp_path / "out.ipynb")], cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=240)
    return done


def test_a_kernel_that_died_as_it_started_is_started_again_and_the_notebook_runs(tmp_path, flaky):
    make, starts = flaky
    done = execute(tmp_path, make(deaths=1), "print(6 * 7)")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Kernel died before replying to kernel_info" in done.stdout
    assert "starting it again, attempt 2 of 3" in done.stdout
    assert starts.read_text() == "xx"                                  # one death, one good start
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert out.cells[0].outputs[0]["text"] == "42\n"


def test_a_kernel_that_never_starts_fails_after_three_starts(tmp_path, flaky):
    make, starts = flaky
    done = execute(tmp_path, make(deaths=10), "print(1)")
    assert done.returncode != 0
    assert starts.read_text() == "xxx"
    assert done.stdout.count("starting it again") == 2


def test_a_cell_s_error_is_not_retried(tmp_path, flaky):
    make, starts = flaky
    done = execute(tmp_path, make(deaths=0), "raise ValueError('the notebook itself is wrong')")
    assert done.returncode != 0
    assert "the notebook itself is wrong" in done.stdout + done.stderr
    assert "starting it again" not in done.stdout
    assert starts.read_text() == "x"
