"""The notebooks as a student reads and edits them (issue 29): short code lines, no "± 0.00" for
one seed, an edited setting never compared under its old name (a real kernel), one line naming
what 07 needs built, and 08's plan stated before its search."""
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from nbclient import NotebookClient

from helpers.pipeline import best, experiment, fits, results, runfiles, tables

from test_jupyter import KERNEL, smoke, student_env

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
LINE = 100


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_code_line_of_a_notebook_fits_in_100_characters(path):
    long = [(i, len(line), line[:60]) for i, cell in enumerate(nbformat.read(path, 4).cells)
            if cell.cell_type == "code" for line in cell.source.splitlines() if len(line) > LINE]
    assert long == [], f"{path.name}: code lines over {LINE} characters (cell, length, start): {long}"


def _summary(*accuracies):
    runs = {"v": [SimpleNamespace(final={"test_acc": a, "holdout_acc": a}) for a in accuracies]}
    return fits.summarise(runs)


def test_one_seed_prints_its_mean_alone_and_agreeing_seeds_print_plus_minus_zero():
    one, agree, differ = _summary(0.9712), _summary(0.97, 0.97), _summary(0.97, 0.95)
    assert tables.fmt(one["v"]["test_acc"]) == "97.12"
    assert tables.fmt(agree["v"]["test_acc"]) == "97.00 ± 0.00"
    assert tables.fmt(differ["v"]["test_acc"]) == "96.00 ± 1.00"
    assert "±" not in tables.table(one, ("holdout_acc", "test_acc"))
    assert tables.fmt([0.5, 0.0]) == "50.00 ± 0.00", "a record written before the seed count keeps its form"


def test_selection_reads_the_hold_out_set_and_breaks_a_tie_by_its_loss():
    summary = {"a": {"holdout_acc": [0.9, 0, 1], "holdout_loss": [0.3, 0, 1], "test_acc": [0.99, 0, 1]},
               "b": {"holdout_acc": [0.9, 0, 1], "holdout_loss": [0.2, 0, 1], "test_acc": [0.5, 0, 1]},
               "c": {"holdout_acc": [0.8, 0, 1], "holdout_loss": [0.1, 0, 1], "test_acc": [1.0, 0, 1]}}
    assert experiment.best_on_holdout(summary) == "b"


def test_01_in_jupyter_compares_with_the_run_its_defaults_stand_for():
    P = experiment.parameters(dict(runfiles.defaults("01_logistic"), scale="smoke"), "01_logistic")
    assert experiment.compared_run(P) == "runs/01_logistic/zhu_guo_2v3"
    assert experiment.published_values(P), "01's defaults are a run with a published test accuracy"


def _cells_up_to(nb, marker):
    end = next(i for i, c in enumerate(nb.cells) if marker in c.source)
    return nb.cells[:end + 1]


def test_an_edited_variant_is_marked_and_never_beside_the_old_published_number():
    """04 in a kernel as a student edits it: η of the first variant 0.01 -> 0.013, then Run All."""
    nb = nbformat.read(ROOT / "notebooks" / "04_momentum.ipynb", 4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source = params.source.replace('"γ 0.9, η 0.01": {"momentum": 0.9, "lr": 0.01}',
                                          '"γ 0.9, η 0.01": {"momentum": 0.9, "lr": 0.013}')
    assert "0.013" in params.source
    nb = smoke(nb)
    nb.cells = _cells_up_to(nb, "beside_published")
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=600,
                            resources={"metadata": {"path": str(ROOT / "notebooks")}})
    client.execute(env=student_env())
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    text = "\n".join(o.get("text", "") for o in outputs)
    markdown = "\n".join(o.get("data", {}).get("text/markdown", "") for o in outputs)
    assert "γ 0.9, η 0.01 (edited)" in text and "γ 0.01, η 0.01 " in text
    edited = next(line for line in markdown.splitlines() if "γ 0.9, η 0.01" in line and line.startswith("- "))
    unedited = next(line for line in markdown.splitlines() if line.startswith("- **γ 0.01, η 0.01**"))
    assert "(edited)" in edited and "published" not in edited
    assert "published: " in unedited, "the variant left as it was is still compared"
    assert "Edited in this session" in markdown and "runs/04_momentum/lim_chen.yaml" in markdown


def test_07_names_every_missing_source_and_the_one_command_that_builds_them(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBOOK_OUTPUT", raising=False)   # a Jupyter session, not a build
    monkeypatch.setattr(results, "pipeline_root", lambda scale: tmp_path)   # a fresh clone: nothing built
    P = experiment.parameters(dict(runfiles.defaults("07_across_runs"), scale="smoke"), "07_across_runs")
    with pytest.raises(experiment.MissingRuns) as raised:
        experiment.read_sources(P, P["sources"])
    lines = raised.value._render_traceback_()
    assert len(lines) == 1 and "\n" not in lines[0]
    assert lines[0].endswith("`make rerun RUN=runs/01_logistic/zhu_guo_2v3 SCALE=smoke && "
                             "make rerun RUN=runs/01_logistic/zhu_guo_2v8 SCALE=smoke`")


def test_08_in_jupyter_is_small_and_states_the_full_search_time_first():
    P = experiment.parameters(dict(runfiles.defaults("08_best")), "08_best")
    assert P["scale"] == "smoke" and best.trial_count(P) < P["trials"]
    text = best.plan(P)
    assert f"{P['trials']} trials for each of {len(P['classes'])} classes" in text
    assert f"about {P['budget_minutes']} minutes" in text and 'scale = "full"' in text


def test_the_bar_says_interrupted_after_an_interrupt_not_a_fit_still_running(monkeypatch, capsys):
    from helpers.pipeline import progress
    monkeypatch.delenv("WORKBOOK_OUTPUT", raising=False)   # a Jupyter session: the bar, not log lines
    bar = progress.FitBar(["γ 0.9, seed 0", "γ 0.9, seed 1"], 0)
    bar.epoch(0, 4, 100)
    bar.refresh()
    with pytest.raises(KeyboardInterrupt):
        try:
            raise KeyboardInterrupt
        finally:
            bar.close()
    last = capsys.readouterr().err.split("\r")[-1]
    assert "interrupted: 0 of 2 done" in last and "epoch 4/100" not in last, last


@pytest.mark.parametrize("run", ["runs/04_momentum/lim_chen", "runs/05_regularisation/shi"])
def test_a_published_number_beside_a_result_names_the_report_row_that_judges_it(run):
    """In the executed notebook of the smoke build (`make test` runs it first), each published
    number quoted beside a result carries its row of the report's reproduction table, and one line
    says where that table and its gap notes are."""
    import os
    from helpers.pipeline.published import published
    if "WORKBOOK_OUTPUT" not in os.environ:
        pytest.skip("needs the smoke build: run through `make test`")
    executed = nbformat.read(Path(os.environ["WORKBOOK_OUTPUT"]) / "build" / "executed" / f"{run}.ipynb", 4)
    shown = "\n".join(o.get("data", {}).get("text/markdown", "") for c in executed.cells if c.cell_type == "code"
                      for o in c.get("outputs", []))
    rows = [(i, e) for i, e in enumerate(published(), 1) if e["run"] == run and e["metric"] == "test_acc"]
    assert rows, run
    for i, e in rows:
        assert f"{e['value']:g} (report row #{i})" in shown, (i, e["label"], shown[-1500:])
    assert "report/report.html#reproduction" in shown and "the note on each gap" in shown


def test_01_s_published_numbers_name_the_report_rows_that_judge_them():
    """01 quotes published accuracies in its "first reaches" sentence: the executed smoke notebook
    names the report's reproduction-table rows for them (the numbering of report/published.yaml)."""
    import os
    from helpers.pipeline.published import published
    if "WORKBOOK_OUTPUT" not in os.environ:
        pytest.skip("needs the smoke build: run through `make test`")
    run = "runs/01_logistic/zhu_guo_2v3"
    executed = nbformat.read(Path(os.environ["WORKBOOK_OUTPUT"]) / "build" / "executed" / f"{run}.ipynb", 4)
    shown = "\n".join(o.get("data", {}).get("text/markdown", "") for c in executed.cells if c.cell_type == "code"
                      for o in c.get("outputs", []))
    rows = [i for i, e in enumerate(published(), 1) if e["run"] == run and e["metric"] == "test_acc"]
    assert rows and "report/report.html#reproduction" in shown
    assert f"{', '.join(f'#{r}' for r in rows)}, gives each one's verdict" in shown, shown[-800:]
