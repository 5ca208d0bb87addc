"""JupyterLab as the project's notebooks need it: a save that leaves `git status` clean.

Interface:
    strip_on_save(model, path, contents_manager, **kwargs)   # jupyter_server's pre_save_hook

`make env` registers the hook for every Jupyter server started from .venv (a file in
``.venv/etc/jupyter/jupyter_server_config.json``). A file git stores through the nbstripout filter
(.gitattributes: the experiment and report notebooks) is written exactly as that filter would
store it: no outputs, no execution counts, no volatile metadata. git compares a file's size before
its content, so a file saved *with* outputs shows as modified in `git status` even when the filter
makes it identical; saved stripped, it does not. The open notebook keeps its outputs in the
browser; the executed copies with outputs are the pipeline's (build/executed/) and a session's
figures and results are under build/interactive/. Other notebooks are saved as they are.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat


def _filtered(os_path: Path) -> bool:
    """Does git store this file through the nbstripout filter?"""
    done = subprocess.run(["git", "check-attr", "filter", "--", os_path.name], cwd=os_path.parent,
                          capture_output=True, text=True)
    return done.returncode == 0 and done.stdout.strip().endswith(": filter: nbstripout")


def strip_on_save(model, path, contents_manager, **kwargs) -> None:
    """Replace a notebook model's content by what git's nbstripout filter would store."""
    if model.get("type") != "notebook" or not path:
        return
    os_path = Path(contents_manager._get_os_path(path))
    if not _filtered(os_path):
        return
    text = nbformat.writes(nbformat.from_dict(model["content"]))
    done = subprocess.run([sys.executable, "-m", "nbstripout"], input=text, capture_output=True, text=True,
                          cwd=os_path.parent, check=True)   # reads the repository's extrakeys, as git's filter does
    model["content"] = nbformat.reads(done.stdout, as_version=4)
