"""The notebooks as a student runs them in JupyterLab (issue 16): a real kernel, driven through
nbclient / jupyter_client, and what the student sees: the images each cell displays on a first
and a second "Run All" in the same kernel, and an interrupt during a fit followed by a rerun.

The kernels run like a JupyterLab session (no ``WORKBOOK_OUTPUT``: results go to
build/interactive/) at smoke scale (the value papermill's injected cell would set). Under
`make test` the fits come from the build's cache and cluster."""
import json
import os
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.util import run_sync

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))
KERNEL = "mnist-workbook"

# Counts the figures a cell makes. It runs at post_execute before the inline backend's own hook
# (registered later, when the first figure loads the backend), which displays and closes them.
COUNT_FIGURES = """
import matplotlib.pyplot as _plt
_figures_made, _open_before = [], None
def _before_cell(info):
    global _open_before
    _open_before = set(_plt.get_fignums())
def _after_cell():
    global _open_before
    if _open_before is not None:
        _figures_made.append(len(set(_plt.get_fignums()) - _open_before))
        _open_before = None
get_ipython().events.register("pre_run_cell", _before_cell)
get_ipython().events.register("post_execute", _after_cell)
"""


def student_env(**changes) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "WORKBOOK_OUTPUT"}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", **changes)
    return env


def silent(client, code: str, expression: str | None = None):
    """Run ``code`` in the kernel without a cell (no history, no pre_run_cell); return ``expression``."""
    msg_id = client.kc.execute(code, silent=True, store_history=False,
                               user_expressions={"value": expression} if expression else {})
    reply = client.wait_for_reply(msg_id)
    assert reply["content"]["status"] == "ok", reply["content"]
    if expression:
        return json.loads(reply["content"]["user_expressions"]["value"]["data"]["text/plain"].strip("'"))


def smoke(nb):
    """``nb`` with papermill's injected cell after the parameters cell: ``scale = "smoke"``."""
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    injected = nbformat.v4.new_code_cell('# Parameters\nscale = "smoke"\n', metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(at + 1, injected)
    return nb


def images(cell) -> int:
    return sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))


def run_all(client, nb) -> list:
    """Execute every cell in order, as Run All does; the (copied) cells with their outputs."""
    cells = []
    for index, cell in enumerate(nb.cells):
        cell = nbformat.from_dict(json.loads(json.dumps(cell)))
        if cell.cell_type == "code":
            cell.outputs = []
            client.execute_cell(cell, index)
        cells.append(cell)
    return cells


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_every_figure_a_cell_makes_is_displayed_on_two_runs_in_one_kernel(stem):
    nb = smoke(nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4))
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=600, resources={"metadata": {"path": str(ROOT / "notebooks")}})
    with client.setup_kernel(env=student_env()):
        silent(client, COUNT_FIGURES)
        for attempt in ("first Run All", "second Run All"):
            silent(client, "_figures_made.clear()")
            cells = run_all(client, nb)
            made = silent(client, "", "__import__('json').dumps(_figures_made)")
            code = [c for c in cells if c.cell_type == "code"]
            assert len(made) == len(code)
            shown = [images(c) for c in code]
            assert shown == made, f"{stem}, {attempt}: figures made per code cell {made}, images displayed {shown}"
            stderr = [o.get("text", "") for c in code for o in c.get("outputs", [])
                      if o.get("output_type") == "stream" and o.get("name") == "stderr"]
            assert stderr == [], f"{stem}, {attempt}: a normal run printed to stderr (a red box): {stderr}"
            if stem != "07_across_runs" or attempt == "first Run All":
                assert sum(made) > 0, f"{stem} made no figure: the count would prove nothing"


INTERRUPTIBLE = """
from helpers.pipeline import experiment
from helpers.config import Config
base = Config(model="mlp", hidden=(64,), activation="tanh", init="xavier", n_train=12000, holdout="first",
              holdout_size=0.1, batch_size=50, lr=0.05, epochs={epochs})
runs = experiment.run_variants(base, {{"η 0.05": {{}}}}, seeds=[0, 1, 2, 3])
print("fits finished:", len(runs["η 0.05"]))
"""


def own_cluster(nb, tmp_path):
    """(client, env) of a student's session on ``nb`` with its own cluster of two workers (no build
    cluster) and an empty fit cache: the fits run now."""
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=600, resources={"metadata": {"path": str(ROOT / "notebooks")}})
    env = student_env(WORKBOOK_CACHE=str(tmp_path / "fits"), WORKBOOK_WORKERS="2")
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    return client, env


def test_an_interrupt_stops_the_fits_in_one_line_and_the_next_run_works(tmp_path):
    """Kernel > Interrupt during fits on the kernel's own local cluster (no build cluster): the
    cell ends with one line, the workers survive, and running the cell again finishes."""
    nb = nbformat.v4.new_notebook()
    client, env = own_cluster(nb, tmp_path)
    with client.setup_kernel(env=env):
        silent(client, "from helpers.pipeline import cluster; cluster.client()")   # the student's cluster is up
        workers_before = silent(client, "", "__import__('json').dumps(len(cluster.client().nthreads()))")
        msg_id = client.kc.execute(INTERRUPTIBLE.format(epochs=200))
        time.sleep(4)   # the fits are running (the four take about 25 s on two quiet workers)
        run_sync(client.km.interrupt_kernel)()
        reply = client.wait_for_reply(msg_id)
        assert reply["content"]["status"] == "error"
        errors = []
        while True:   # the iopub messages of that execution
            msg = run_sync(client.kc.get_iopub_msg)(timeout=10)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "error":
                errors.append(msg["content"])
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        assert len(errors) == 1 and len(errors[0]["traceback"]) == 1, "\n".join(errors[0]["traceback"]) if errors else errors
        assert errors[0]["traceback"][0].startswith("interrupted: ") and "of 4 fits done; run the cell again" \
            in errors[0]["traceback"][0], errors[0]["traceback"]
        assert silent(client, "", "__import__('json').dumps(len(cluster.client().nthreads()))") == workers_before == 2
        time.sleep(2)   # the running fits stop at their next epoch: the workers go idle
        busy = silent(client, "", "__import__('json').dumps(list(cluster.client().run("
                                  "lambda: __import__('psutil').Process().cpu_percent(interval=2)).values()))")
        assert max(busy) < 50, f"worker CPU after the interrupt: {busy} %"
        nb.cells.append(cell := nbformat.v4.new_code_cell(INTERRUPTIBLE.format(epochs=200)))
        client.execute_cell(cell, 0)
        text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
        assert "fits finished: 4" in text


def test_a_notebook_saved_after_a_run_leaves_git_status_as_it_was(tmp_path):
    """Run, then save as JupyterLab does: a PUT to a Jupyter server started from .venv (so with the
    configuration `make env` installs), carrying the kernel's own language_info, outputs, an image
    and execution counts. `git status` shows no change, and the browser's copy kept its outputs."""
    import socket
    import subprocess
    import urllib.request
    from jupyter_client.manager import start_new_kernel
    if subprocess.run(["git", "config", "--get", "filter.nbstripout.clean"], cwd=ROOT, capture_output=True).returncode:
        pytest.fail("the nbstripout git filter is not installed: `make env` installs it")
    path = "notebooks/01_logistic.ipynb"
    status = lambda: subprocess.run(["git", "status", "--porcelain", "--", path], cwd=ROOT,   # noqa: E731
                                    capture_output=True, text=True, check=True).stdout
    km, kc = start_new_kernel(kernel_name=KERNEL)
    try:
        language_info = kc.kernel_info(reply=True, timeout=60)["content"]["language_info"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert {"version", "mimetype", "codemirror_mode"} <= set(language_info)   # what a save adds
    original, before = (ROOT / path).read_bytes(), status()
    nb = json.loads(original)
    nb["metadata"]["language_info"] = language_info
    for count, cell in enumerate((c for c in nb["cells"] if c["cell_type"] == "code"), 1):
        cell["execution_count"] = count
        cell["outputs"] = [{"output_type": "display_data", "metadata": {},
                            "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}}]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "jupyter"), "server", "--no-browser", f"--port={port}",
                               "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=t", f"--ServerApp.root_dir={ROOT}",
                               "--allow-root"], stdout=subprocess.DEVNULL, stderr=open(tmp_path / "server.log", "w"))
    url = f"http://127.0.0.1:{port}/api/contents/{path}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token=t", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        body = json.dumps({"type": "notebook", "format": "json", "content": nb}).encode()
        request = urllib.request.Request(url, data=body, method="PUT",
                                         headers={"Authorization": "token t", "Content-Type": "application/json"})
        assert urllib.request.urlopen(request, timeout=30).status == 200
        assert status() == before, "a saved notebook shows as modified in git"
    finally:
        server.terminate()
        server.wait(timeout=20)
        (ROOT / path).write_bytes(original)
