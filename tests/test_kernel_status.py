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

from test_jupyter import INTERRUPTIBLE, KERNEL, ROOT, silent, student_env


def _states(messages: list) -> list:
    """The texts the widgets were given, in order (tqdm's bar: its count, its text; tqdm writes its
    spaces as figure spaces)."""
    return [m["content"]["data"]["state"]["value"].replace("\u2007", " ") for m in messages
            if m["msg_type"] == "comm_msg" and isinstance(m["content"].get("data", {}).get("state", {}).get("value"), str)]


def test_the_kernel_says_busy_while_fits_run_and_the_bar_says_interrupted_after(tmp_path):
    nb = nbformat.v4.new_notebook()
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=600, resources={"metadata": {"path": str(ROOT / "notebooks")}})
    env = student_env(WORKBOOK_CACHE=str(tmp_path / "fits"), WORKBOOK_WORKERS="2")
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    with client.setup_kernel(env=env):
        silent(client, "from helpers.pipeline import cluster; cluster.client()")   # the student's cluster is up
        msg_id = client.kc.execute(INTERRUPTIBLE.format(epochs=200))
        time.sleep(4)   # the fits run (the four take about 25 s on two quiet workers)
        debug = client.kc.session.msg("debug_request", {"type": "request", "seq": 1, "command": "debugInfo",
                                                        "arguments": {}})
        client.kc.control_channel.send(debug)   # what JupyterLab sends on switching to a notebook
        time.sleep(3)
        run_sync(client.km.interrupt_kernel)()
        client.wait_for_reply(msg_id)
        statuses, mine = [], []
        while True:   # every iopub message until the cell's own last "idle"
            msg = run_sync(client.kc.get_iopub_msg)(timeout=10)
            parent = msg["parent_header"].get("msg_id")
            if msg["msg_type"] == "status":
                statuses.append((parent, msg["content"]["execution_state"]))
            if parent == msg_id:
                mine.append(msg)
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
    debug_idle = statuses.index((debug["header"]["msg_id"], "idle"))   # ipykernel said "idle" mid-cell ...
    after = statuses[debug_idle + 1:]
    assert after[0] == (msg_id, "busy"), f"the status after the debugger's request: {after[:3]}"   # ... and busy again
    assert after[-1] == (msg_id, "idle") and all(s == "busy" for _, s in after[:-1]), after
    texts = [t for t in _states(mine) if " done" in t or "running" in t]
    assert any("running" in t and "epoch" in t for t in texts), texts   # the bar named the running fits ...
    assert "interrupted:" in texts[-1] and "epoch" not in texts[-1], texts[-3:]   # ... and at the end says interrupted
