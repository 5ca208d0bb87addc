"""What JupyterLab shows while a cell's fits run on the notebook's own cluster (issue 29): the kernel's
status (the status bar reads the last status message the kernel sent on iopub) and the progress
bar's text after Kernel > Interrupt (the tqdm widget's state, as the kernel sends it to the browser).

A real kernel through jupyter_client, a student's session (no build cluster, no WORKBOOK_OUTPUT).
While the fits run, the test sends what JupyterLab sends when a notebook is opened or switched to:
the debugger's "debugInfo" request on the control channel. ipykernel answers it at once and ends it
with the status "idle", though the cell still runs: the bar read "Idle" for minutes."""
import time

from nbclient import NotebookClient
from nbclient.util import run_sync
import nbformat

from test_jupyter import INTERRUPTIBLE, KERNEL, ROOT, own_cluster, silent, student_env


def _states(messages: list) -> list:
    """The texts the widgets were given, in order (tqdm's bar: its count, its text; tqdm writes its
    spaces as figure spaces)."""
    return [m["content"]["data"]["state"]["value"].replace("\u2007", " ") for m in messages
            if m["msg_type"] == "comm_msg" and isinstance(m["content"].get("data", {}).get("state", {}).get("value"), str)]


def test_the_kernel_says_busy_while_fits_run_and_the_bar_says_interrupted_after(tmp_path):
    client, env = own_cluster(nbformat.v4.new_notebook(), tmp_path)
    with client.setup_kernel(env=env):
        silent(client, "from helpers.pipeline import cluster; cluster.client()")   # the student's cluster is up
        msg_id = client.kc.execute(INTERRUPTIBLE.format(epochs=200))
        statuses, mine, debug, interrupt_at = [], [], None, None
        while True:   # every iopub message until the cell's own last "idle"
            msg = run_sync(client.kc.get_iopub_msg)(timeout=60)
            parent = msg["parent_header"].get("msg_id")
            if msg["msg_type"] == "status":
                statuses.append((parent, msg["content"]["execution_state"]))
            if parent == msg_id:
                mine.append(msg)
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
            if debug is None and any("epoch" in t for t in _states(mine[-1:])):   # the fits run: a notebook switch
                debug = client.kc.session.msg("debug_request", {"type": "request", "seq": 1, "command": "debugInfo",
                                                                "arguments": {}})
                client.kc.control_channel.send(debug)   # what JupyterLab sends on switching to a notebook
                interrupt_at = time.monotonic() + 3
            if interrupt_at and time.monotonic() > interrupt_at:
                run_sync(client.km.interrupt_kernel)()   # Kernel > Interrupt, the fits still running
                interrupt_at = 0
    debug_idle = statuses.index((debug["header"]["msg_id"], "idle"))   # ipykernel said "idle" mid-cell ...
    after = statuses[debug_idle + 1:]
    assert after[0] == (msg_id, "busy"), f"the status after the debugger's request: {after[:3]}"   # ... and busy again
    assert after[-1] == (msg_id, "idle") and all(s == "busy" for _, s in after[:-1]), after
    texts = [t for t in _states(mine) if " done" in t or "running" in t]
    assert any("running" in t and "epoch" in t for t in texts), texts   # the bar named the running fits ...
    assert "interrupted:" in texts[-1] and "epoch" not in texts[-1], texts[-3:]   # ... and at the end says interrupted


BATCHES = """
from helpers.pipeline import engine, progress
from helpers.config import Config
base = Config(model="logistic", digits=(2, 3), n_train=400, holdout="first", holdout_size=0.1, epochs=3,
              batch_size=50, lr=0.1)
with progress.one_bar("logistic 2 vs 3"):
    for batch in range(3):   # as a search's batches of trials: three engine.run calls
        engine.run([(base.replace(lr=0.1 * (batch + 1), seed=s),) for s in range(2)], ["a", "b"])
    engine.run([(base.replace(lr=0.1, seed=0),)], ["again"])   # all from the cache
"""


def test_one_bar_per_class_however_many_batches_its_search_runs(tmp_path):
    """08_best's search cell: each class's batches of trials are engine.run calls; the student sees
    one bar per class, updated in place (it stacked dozens), that ends with every fit counted."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(BATCHES)])
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=600, resources={"metadata": {"path": str(ROOT / "notebooks")}})
    env = student_env(WORKBOOK_CACHE=str(tmp_path / "fits"), WORKBOOK_ENGINE="serial")
    client.execute(env=env)
    outputs = nb.cells[0].outputs
    bars = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(bars) == 1, [o.get("data", {}).get("text/plain", o.get("text")) for o in outputs]
    text = bars[0]["data"]["text/plain"]
    assert text.startswith("logistic 2 vs 3: 0/2 done"), text   # the bar as first drawn ...
    assert not [o for o in outputs if "from the cache (none trained now)" in o.get("text", "")], outputs
    widgets = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    progress = [w["state"] for w in widgets.values() if w["model_name"] == "FloatProgressModel"]
    assert [(p["value"], p["max"]) for p in progress] == [(7, 7)], progress   # ... and at the end: every fit
