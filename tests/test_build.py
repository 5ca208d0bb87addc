"""The build graph and the build's progress (issue 17): what make actually applies, checked with
`make -pn` (make's own database), and the status line's arithmetic rebuilt by hand."""
import subprocess
import time
from pathlib import Path

import pytest

from helpers.pipeline import engine
from helpers.config import Config
from helpers.pipeline.monitor import BuildMonitor
from helpers.pipeline.progress import FitBar

ROOT = Path(__file__).resolve().parent.parent


def make_database(*args) -> str:
    return subprocess.run(["make", "-pn", "SCALE=smoke", *args], cwd=ROOT, capture_output=True, text=True).stdout


def prerequisites(database: str, target: str) -> set[str]:
    line = next(l for l in database.splitlines() if l.startswith(f"{target}:"))
    return set(line.split(":", 1)[1].replace("|", " ").split())


def test_the_across_runs_notebook_waits_for_every_logistic_run_in_makes_own_graph():
    database = make_database("notebooks-graph")
    across = sorted(ROOT.glob("notebooks/runs/07_across_runs/*.yaml"))
    logistic = {f"build/smoke/build/executed/runs/01_logistic/{p.stem}.ipynb"
                for p in ROOT.glob("notebooks/runs/01_logistic/*.yaml")}
    assert across and logistic
    for path in across:
        needs = prerequisites(database, f"build/smoke/build/executed/runs/07_across_runs/{path.stem}.ipynb")
        assert logistic <= needs, f"make does not order {path.name} after {sorted(logistic - needs)}"


def test_every_run_of_the_build_is_in_flight_at_once_by_default():
    runs = len(list(ROOT.glob("notebooks/runs/0*/*.yaml")))
    value = subprocess.run(["make", "-s", "--eval", "print-jobs: ; @echo $(JOBS)", "print-jobs"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    assert int(value) >= runs


def net(epochs, n_train, hidden=(128,)):
    return Config(model="mlp", hidden=hidden, epochs=epochs, n_train=n_train, holdout="first", holdout_size=0.1)


def test_long_fits_get_the_higher_priority():
    short, long_ = (net(5, 1000),), (net(100, 48000),)
    assert engine.cost(long_) == 100 * 48000 * (784 * 128 + 128 * 10)
    assert engine.cost(long_) > engine.cost(short)
    chain = (net(10, 1000), net(10, 1000))
    assert engine.cost(chain) == 2 * engine.cost((net(10, 1000),))


@pytest.fixture
def monitor(tmp_path, monkeypatch):
    """A monitor with no plan and no kept rates (its fits are learnt as they are submitted)."""
    monkeypatch.setenv("WORKBOOK_CACHE", str(tmp_path / "fits"))
    return BuildMonitor("tcp://127.0.0.1:1", out=tmp_path / "build" / "fit-phase.json")


def test_the_status_line_counts_fits_and_estimates_what_is_left(monitor):
    monitor.workers = 2
    for key, cost, kind in (("a", 10.0, "mlp"), ("b", 10.0, "mlp"), ("c", 20.0, "mlp"), ("d", 40.0, "softmax"),
                            ("e", 100.0, "logistic"), ("f", 100.0, "logistic")):
        monitor.handle((0, {"event": "submitted", "key": key, "cost": cost, "kind": kind}))
    monitor.handle((0, {"event": "done", "key": "a", "seconds": 30.0}))      # mlp: 3 s per cost unit
    monitor.handle((0, {"event": "done", "key": "e", "seconds": 10.0}))      # logistic: 0.1 s per unit
    monitor.handle((0, {"event": "epoch", "key": "b", "epoch": 5, "epochs": 10}))
    line = monitor.line()
    assert "fits 2 done, 1 running, 3 waiting" in line
    # per kind's rate: b half done: 5 units x 3 s = 15 s on one worker; then longest first on the worker
    # free first: c 20 x 3 = 60 s on the other; softmax d, none done yet: 40 units at the overall rate
    # (40 s / 110 units) after b; logistic f 100 x 0.1 = 10 s after that: the last worker is free at 60 s
    b, c, d, f = 15, 60, 40 * 40 / 110, 10
    left = round(max(c, b + d + f))
    assert f"about {left // 60}:{left % 60:02d} left for the build's 4 fits to go" in line


def test_a_pipeline_run_prints_one_line_per_fit(monkeypatch, capsys):
    monkeypatch.setenv("WORKBOOK_OUTPUT", "/tmp/somewhere")
    bar = FitBar(["tanh, seed 0", "tanh, seed 1"], cached=1)
    bar.epoch(1, 7, 100)
    bar.done(1, 12.5)
    bar.close()
    assert capsys.readouterr().out.splitlines() == ["fits: 1 to run, 1 from the cache",
                                                    "fits: 2/2 done: tanh, seed 1, 7 epochs in 12.5 s"]


def test_a_kind_with_no_finished_fit_is_estimated_from_its_running_fits(monitor):
    monitor.workers = 1
    monitor.handle((0, {"event": "submitted", "key": "m1", "cost": 100.0, "kind": "mlp"}))
    monitor.handle((0, {"event": "submitted", "key": "m2", "cost": 100.0, "kind": "mlp"}))
    monitor.handle((0, {"event": "epoch", "key": "m1", "epoch": 1, "epochs": 4}))
    monitor.estimator.started["m1"] -= 50.0             # m1 started 50 s ago and is a quarter done
    rate = monitor.estimator.rates(time.monotonic())[0]["mlp"]
    assert abs(rate - 50.0 / 25.0) < 0.01               # 50 s for 25 cost units
    assert "about 5:" in monitor.line()                  # m1's 75 units + m2's 100 units at 2 s each = 350 s


def test_a_notebook_bar_keeps_the_cached_count_and_names_the_running_fit(monkeypatch):
    monkeypatch.delenv("WORKBOOK_OUTPUT", raising=False)
    bar = FitBar(["γ 0.9, seed 0", "γ 0.5, seed 0"], cached=1)
    assert bar._postfix() == "1 from the cache, starting the fits (workers load the data)"
    bar.epoch(1, 3, 10)
    assert bar._postfix() == "1 from the cache, running γ 0.5, seed 0: epoch 3/10"
    bar.done(1)
    bar.close()
    assert (bar.bar.n, bar._postfix()) == (2, "1 from the cache")
    assert "done" in str(bar.bar) and ", , " not in str(bar.bar)


def test_make_test_and_make_references_record_their_fit_phase_beside_the_smoke_plan():
    """`make test` is a smoke build whatever SCALE says: its status line reads the smoke plan and keeps
    its rates as smoke rates (before, it wrote build/fit-phase.json and kept smoke rates as "full")."""
    database = subprocess.run(["make", "-pn", "help"], cwd=ROOT, capture_output=True, text=True).stdout
    engines = {line.split(" := ", 1)[0]: line.split(" := ", 1)[1] for line in database.splitlines()
               if line.startswith(("ENGINE := ", "SMOKE_ENGINE := "))}
    assert f"WORKBOOK_BUILD_LOG={ROOT}/build/smoke/build/fit-phase.json " in engines["SMOKE_ENGINE"]
    assert f"WORKBOOK_BUILD_LOG={ROOT}/build/fit-phase.json " in engines["ENGINE"]    # SCALE=full: the full build's
    recipes = database.split("\n\n")
    for target in ("test", "references"):
        recipe = next(block for block in recipes if block.startswith(f"{target}:") or f"\n{target}:" in block)
        assert "$(SMOKE_ENGINE)" in recipe and "$(ENGINE)" not in recipe, recipe


def test_the_report_builds_the_grids_first_and_keeps_their_run_set_apart():
    """`make report`: the grids of notebooks/runs-grid, then the runs and the report (one lock, one cluster);
    each folder of runs has its own run set, so the two phases do not rewrite each other's (else every
    second `make report` would rerun the report notebook)."""
    database = make_database("report-with-grids")
    recipe = database.split("\nreport-with-grids:", 1)[1].split("\n\n", 1)[0]
    grids, runs = recipe.find("notebooks-graph RUNS_DIR=$(GRID_RUNS)"), recipe.find("report-graph")
    assert 0 <= grids < runs, recipe

    def value(name, runs_dir="notebooks/runs"):
        return subprocess.run(["make", "-s", f"RUNS_DIR={runs_dir}", "--eval", f"print-it: ; @echo $({name})", "print-it"],
                              cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert value("GRID_RUNS") == "notebooks/runs-grid"
    assert value("RUN_SET") == "build/stamps/runs.list"
    assert value("RUN_SET", "notebooks/runs-grid") == "build/stamps/runs-grid.list"


def test_make_best_records_its_fit_phase_apart_from_the_runs():
    """`make bench` prints the last build's fit phase from build/fit-phase.json: a search run after
    `make report` used to overwrite it with the search's own record (budget-bound, 78 % utilisation)."""
    database = subprocess.run(["make", "-pn", "help"], cwd=ROOT, capture_output=True, text=True).stdout
    engine = next(line.split(" := ", 1)[1] for line in database.splitlines() if line.startswith("BEST_ENGINE := "))
    assert f"WORKBOOK_BUILD_LOG={ROOT}/build/fit-phase-best.json " in engine
    recipe = next(block for block in database.split("\n\n") if "\nbest:" in block or block.startswith("best:"))
    assert "$(BEST_ENGINE)" in recipe and "$(ENGINE)" not in recipe, recipe
