"""Issue 30, 2-5: every failure names its cause and the fix; `make best` is one build at a time.

Make's side runs in a scratch tree (test_nothing_silent's ``Tree``: this .venv and data, papermill a
stand-in unless a test says otherwise), each case as the person met it: a second real `make best`,
a real path with a space, a real full disk (a tmpfs, mounted when this process may), a real kernel
that never answers, a real malformed DASK_SCHEDULER_ADDRESS, a real damaged SQLite study.
"""
import errno
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.pipeline import files, monitor, search
from helpers.pipeline.space import SearchError
from test_nothing_silent import Tree, _wait_for

BEST = "build/smoke/build/executed/runs-best/08_best/best.ipynb"


@pytest.fixture
def tree(tmp_path) -> Tree:
    return Tree.fresh(tmp_path / "tree")


# --- 2. a second `make best` waits for the first --------------------------------------------------

def test_2_a_second_make_best_waits_for_the_first_and_says_so(tree):
    first = tree.start("best", "SCALE=smoke", env={"FAKE_SLEEP": "4"})
    _wait_for(lambda: tree.log.exists())                   # the first search is running, the lock held
    second = tree.start("best", "SCALE=smoke")
    line = second.stdout.readline()
    while "data" in line:                                  # `make data` runs before the lock
        line = second.stdout.readline()
    assert "another build is running in this tree" in line and "waiting" in line, line
    assert second.poll() is None                           # it waits while the first runs
    assert first.wait(timeout=300) == 0
    rest = second.stdout.read()
    assert second.wait(timeout=300) == 0, rest
    assert "UpdateFinishedTrialError" not in rest


def test_2_two_make_best_run_the_search_once_never_side_by_side(tree):
    first = tree.start("best", "SCALE=smoke", env={"FAKE_SLEEP": "3"})
    _wait_for(lambda: tree.log.exists())
    second = tree.start("best", "SCALE=smoke")
    assert first.wait(timeout=300) == 0 and second.wait(timeout=300) == 0
    ran = tree.ran()
    assert len(ran) == 1 and ran[0].startswith(BEST), ran   # the second found it done: one search, one log


# --- 3. a clone path with a space is refused at once, naming the cause and the fix -----------------

def test_3_a_path_with_a_space_is_refused_by_make_env_in_one_line(tmp_path):
    (tmp_path / "my work").mkdir()
    spaced = Tree.fresh(tmp_path / "my work" / "wb")
    done = spaced.make("env")
    assert done.returncode != 0
    said = (done.stdout + done.stderr).strip().splitlines()
    assert len(said) == 1 and "contains a space" in said[0] and str(spaced.root) in said[0] \
        and "path without spaces" in said[0], said
    assert not (spaced.root / "build").exists()
    moved = Tree(shutil.move(spaced.root, tmp_path / "wb"))      # the fix: the same clone, moved
    again = moved.make("env")
    assert again.returncode == 0 and "is up to date" in again.stdout, again.stdout + again.stderr


# --- 4. a full disk, a damaged study, a malformed scheduler address, a kernel that never starts ----

@pytest.fixture
def full_disk(tmp_path):
    """A 1 MB tmpfs at tmp_path/disk, filled (a real ENOSPC); skipped where this process may not mount."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root): the full-disk cases are not run")
    try:
        subprocess.run(["dd", "if=/dev/zero", f"of={disk / 'filler'}", "bs=4k"], capture_output=True)
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=True)


def test_4_a_full_disk_says_no_space_left_with_the_path_and_leaves_no_part_file(full_disk):
    target = full_disk / "results" / "run.json"
    with pytest.raises(OSError) as raised:
        files.atomic_write(target, b"x" * 10_000)
    message = str(raised.value)
    assert raised.value.errno == errno.ENOSPC
    assert "No space left on device" in message and str(target) in message and "free space" in message
    assert not [p for p in full_disk.rglob("*.part")]
    (full_disk / "filler").unlink()                         # the cause removed: the same write succeeds
    files.atomic_write(target, b"x" * 10_000)
    assert target.read_bytes() == b"x" * 10_000


def test_4_a_build_on_a_full_disk_names_it(tree, full_disk):
    (tree.root / "build").symlink_to(full_disk)             # the build's outputs on the full disk
    done = tree.make("notebooks", "SCALE=smoke")
    said = done.stdout + done.stderr
    assert done.returncode != 0
    named = [line for line in said.splitlines() if "No space left on device" in line]
    assert named and str(tree.root / "build") in named[0] and "free space" in named[0], said
    assert "Traceback" not in said
    (full_disk / "filler").unlink()                         # the cause removed: the build goes through
    again = tree.make("notebooks", "SCALE=smoke")
    assert again.returncode == 0, again.stdout + again.stderr


def test_4_a_damaged_study_names_the_file_and_the_fix(tmp_path, monkeypatch):
    storage = tmp_path / "smoke.sqlite3"
    monkeypatch.setenv("WORKBOOK_STUDY_STORAGE", f"sqlite:///{storage}")
    study = search.open_study("damaged", "smoke")
    for _ in range(30):
        trial = study.ask()
        study.tell(trial, trial.suggest_float("lr", 0.0, 1.0))
    del study
    with open(storage, "r+b") as f:                         # what a crash or a full disk leaves: pages overwritten
        for offset in range(4096, storage.stat().st_size, 4096):
            f.seek(offset)
            f.write(b"\xff" * 64)
    with pytest.raises(SearchError) as raised:
        search.open_study("damaged", "smoke")
    message = str(raised.value)
    assert str(storage) in message and "make clean-studies" in message and "damaged" in message
    assert "\n" not in message
    storage.unlink()                                        # the fix as said: the search starts again
    assert search.open_study("damaged", "smoke").trials == []


def test_4_a_malformed_scheduler_address_is_one_line(tree):
    done = tree.make("notebooks", "SCALE=smoke", env={"DASK_SCHEDULER_ADDRESS": "bogus", "WORKBOOK_ENGINE": "dask"})
    assert done.returncode != 0
    engine = [line for line in (done.stdout + done.stderr).splitlines() if line.startswith("engine:")]
    assert len(engine) == 1 and "DASK_SCHEDULER_ADDRESS='bogus'" in engine[0] and "tcp://HOST:PORT" in engine[0], done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert tree.ran() == []


def test_4_a_kernel_that_does_not_start_in_time_says_a_rerun_fixes_it(tree, tmp_path):
    kernels = tmp_path / "jupyter" / "kernels" / "silent"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({"argv": ["sleep", "30"], "display_name": "silent", "language": "python"}))
    (tree.root / "papermill.py").unlink()                   # the real papermill (not the stand-in) ...
    # ... on a kernel that never answers
    done = subprocess.run(["make", "--no-print-directory", "rerun", "RUN=runs/03_gradcheck/gradcheck", "SCALE=smoke",
                           "KERNEL=silent", "KERNEL_START_TIMEOUT=2"], cwd=tree.root, capture_output=True, text=True,
                          env={**tree.env, "JUPYTER_DATA_DIR": str(tmp_path / "jupyter")}, timeout=300)
    assert done.returncode != 0
    assert "Kernel didn't respond in 2 seconds" in done.stdout
    assert "did not start within 2 s" in done.stdout and "rerun the same make command" in done.stdout \
        and "KERNEL_START_TIMEOUT=" in done.stdout, done.stdout


# --- 5. the status line is silent while pytest writes; utilisation never above 1 ---------------------

def test_5_the_status_line_is_silent_while_the_quiet_file_exists(capsys):
    shown = monitor.BuildMonitor("tcp://127.0.0.1:1")
    shown.quiet_file.touch()
    try:
        shown.show()
        assert capsys.readouterr().err == ""
    finally:
        shown.quiet_file.unlink()
    shown.show()
    assert "fits 0 done" in capsys.readouterr().err


def test_5_the_build_s_commands_get_the_quiet_file_and_it_is_gone_after(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DASK_SCHEDULER_ADDRESS", "WORKBOOK_ENGINE")}
    env.update(WORKBOOK_BUILD_LOG=str(tmp_path / "fit-phase.json"), WORKBOOK_WORKERS="1")
    done = subprocess.run([sys.executable, "-m", "helpers.pipeline.cluster", "--", "sh", "-c",
                           'touch "$WORKBOOK_MONITOR_QUIET" && echo "$WORKBOOK_MONITOR_QUIET"'],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    quiet = Path(done.stdout.strip().splitlines()[-1])
    assert quiet.name.endswith(".quiet") and not quiet.exists()


def test_5_a_lost_worker_never_gives_a_utilisation_above_one():
    build = monitor.BuildMonitor("tcp://127.0.0.1:1", out=Path(os.devnull))
    start = time.monotonic()
    build.tick(2, start)
    build.first = start                       # the first fit submitted
    build.tick(2, start + 10)                 # two workers for 10 s ...
    build.tick(1, start + 20)                 # ... then one lost: one for the next 10 s (30 worker-s in all)
    build.finished = {"a": 12.0, "b": 13.0}   # 25 s of fits
    build.last, build.worker_seconds_at_last = start + 20, build.worker_seconds
    assert build.worker_seconds == pytest.approx(30.0)
    assert build.utilisation() == pytest.approx(25 / 30, abs=1e-3)   # compute / (wall x workers now) would say 1.25
    assert build.workers == 2
    build.worker_seconds_at_last = 20.0       # fewer worker-seconds than compute (ticks missed): clamped
    assert build.utilisation() == 1.0
