"""The notebooks' parameters, their validation, and the nbval references' freshness."""
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from helpers.pipeline import experiment, params, resolve, results, runfiles, settings, tables

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
STEMS = [nb.stem for nb in NOTEBOOKS]


def test_every_notebook_has_a_spec_and_a_run():
    assert STEMS and set(STEMS) == set(params.SPECS)
    for stem in STEMS:
        # 08_best's one run is `make best`'s, kept apart from the report's runs
        folder = "runs-best" if stem == "08_best" else "runs"
        assert list((ROOT / "notebooks" / folder / stem).glob("*.yaml")), f"no parameter file for {stem}"


@pytest.mark.parametrize("stem", STEMS)
def test_papermill_parameters_match_the_validation(stem):
    inspected = pm.inspect_notebook(str(ROOT / "notebooks" / f"{stem}.ipynb"))
    assert set(inspected) == set(params.SPECS[stem])
    namespace = {name: eval(p["default"]) for name, p in inspected.items()}  # noqa: S307 (our own file)
    assert params.validate(namespace, stem)["run"] == namespace["run"] == settings.INTERACTIVE
    assert runfiles.defaults(stem) == namespace, "helpers.pipeline.runfiles reads the same defaults as papermill"


@pytest.mark.parametrize("stem", STEMS)
def test_reference_is_regenerated_from_the_current_notebook(stem):
    source = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", 4)
    reference = nbformat.read(ROOT / "tests" / "notebooks" / f"{stem}.ipynb", 4)
    cells = [c for c in reference.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    assert [(c.cell_type, c.source) for c in cells] == [(c.cell_type, c.source) for c in source.cells], \
        f"notebooks/{stem}.ipynb changed: run `make references` to regenerate its nbval reference"


def namespace(stem, **changes):
    inspected = pm.inspect_notebook(str(ROOT / "notebooks" / f"{stem}.ipynb"))
    return {**{name: eval(p["default"]) for name, p in inspected.items()}, **changes}  # noqa: S307


def test_misspelt_parameter_is_named_with_a_suggestion():
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) 'lamdas' \(did you mean 'lambdas'\?\)"):
        params.validate(namespace("01_logistic", lamdas=[0.1]), "01_logistic")


def test_ill_typed_parameters_are_rejected():
    with pytest.raises(ValueError, match=r"parameter seeds='0' is not a non-empty list of integers"):
        params.validate(namespace("04_momentum", seeds="0"), "04_momentum")
    with pytest.raises(ValueError, match=r"parameter scale='huge' is not one of \['full', 'smoke'\]"):
        params.validate(namespace("04_momentum", scale="huge"), "04_momentum")
    with pytest.raises(ValueError, match="lr=-1.0"):
        params.validate(namespace("04_momentum", overrides={"lr": "-1"}), "04_momentum")


def test_yaml_strings_are_cast_to_numbers():
    values = params.validate(namespace("01_logistic", lambdas=["1e-3", 0.1]), "01_logistic")
    assert values["lambdas"] == [0.001, 0.1]


def test_misspelt_parameter_fails_a_papermill_run(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="did you mean 'eps_table'"):
        pm.execute_notebook(str(ROOT / "notebooks" / "03_gradcheck.ipynb"), str(tmp_path / "out.ipynb"),
                            parameters={"eps_tabel": 0.1, "scale": "smoke"}, kernel_name="python3",
                            cwd=str(ROOT / "notebooks"), progress_bar=False)


RUN_FILES = sorted((ROOT / "notebooks").glob("runs*/*/*.yaml"))  # MNIST and Fashion-MNIST runs


@pytest.mark.parametrize("path", RUN_FILES, ids=[f"{p.parent.parent.name}/{p.parent.name}/{p.stem}" for p in RUN_FILES])
def test_every_parameter_file_validates(path):
    values = resolve.effective(path, "full")
    assert values["run"] == f"{path.parent.parent.name}/{path.parent.name}/{path.stem}", "a run's name is its path"


def test_unknown_penalty_is_rejected():
    with pytest.raises(ValueError, match=r"penalties \['l3'\] unknown"):
        params.validate(namespace("01_logistic", penalties=["l3"]), "01_logistic")


def test_reading_a_run_that_has_not_run_says_how_to_run_it(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBOOK_OUTPUT", str(tmp_path))
    with pytest.raises(results.StaleResultsError,
                       match="no results for run 'runs/01_logistic/zhu_guo_2v3'.*`make rerun RUN=runs/01_logistic/zhu_guo_2v3`"):
        experiment.read_results("runs/01_logistic/zhu_guo_2v3")


def test_reading_a_run_with_no_parameter_file_names_the_runs_there(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBOOK_OUTPUT", str(tmp_path))
    with pytest.raises(results.StaleResultsError, match="'runs/01_logistic/logistic_2v3' has no parameter file "
                       "notebooks/runs/01_logistic/logistic_2v3.yaml.*runs/01_logistic/zhu_guo_2v3"):
        experiment.read_results("runs/01_logistic/logistic_2v3")


def test_sweep_names_one_variant_per_penalty_and_lambda():
    assert experiment.penalty_variants(["l2", "l1"], [0.1, 1e-4], {"lr": 1}) == {
        "l2 λ=0.1": {"lr": 1, "l2": 0.1}, "l2 λ=0.0001": {"lr": 1, "l2": 0.0001},
        "l1 λ=0.1": {"lr": 1, "l1": 0.1}, "l1 λ=0.0001": {"lr": 1, "l1": 0.0001}}


def test_measured_quotes_the_published_numbers_of_the_same_variant():
    summary = {"classic, γ 0.9, η 0.01": {"test_acc": [0.9712, 0.0011], "test_loss": [0.0981, 0.002],
                                          "epochs_run": [61.0, 2.0]},
               "unquoted": {"test_acc": [0.5, 0.0], "test_loss": [1.0, 0.0], "epochs_run": [3.0, 0.0]}}
    entries = [{"run": "runs/04_momentum/momentum", "variant": "classic, γ 0.9, η 0.01", "report": "Lim & Chen",
                "metric": "test_acc", "value": 96.68},
               {"run": "runs/04_momentum/momentum", "variant": "classic, γ 0.9, η 0.01", "report": "Lim & Chen",
                "metric": "epochs_run", "value": 100}]
    first, second = tables.published_bullets(summary, "runs/04_momentum/momentum", entries).split("\n")
    assert first == ("- **classic, γ 0.9, η 0.01**: 97.12 ± 0.11% test, loss 0.098 ± 0.002, 61 epochs on average; "
                     "published: Lim & Chen test % 96.68, Lim & Chen epochs 100")
    assert second.endswith("3 epochs on average")


def test_a_softmax_selection_must_name_penalties_lambdas_and_warm_start():
    with pytest.raises(ValueError, match="selection=.* is not {} or {penalties"):
        params.validate(namespace("02_softmax", selection={"penalties": ["l2"], "lambdas": [0.1]}), "02_softmax")
    with pytest.raises(ValueError, match="nothing to run"):
        params.validate(namespace("02_softmax", selection={}, variants={}), "02_softmax")


def test_a_softmax_selection_takes_lambda_sets():
    sets = {"penalties": ["l2"], "lambdas": [[0.01, 0.001], [0.05]], "warm_start": True}
    values = params.validate(namespace("02_softmax", selection=sets), "02_softmax")
    assert values["selection"]["lambdas"] == [[0.01, 0.001], [0.05]]
    with pytest.raises(ValueError, match="selection=.* is not {} or {penalties"):
        params.validate(namespace("02_softmax", selection={**sets, "lambdas": [[0.01], []]}), "02_softmax")


def test_numbers_yaml_reads_as_text_become_floats_in_config_fields():
    """papermill reads the parameters JSON as YAML 1.1, where 1e-05 (no dot) is a string: the run
    must record the float its file says, or its record never matches its file."""
    values = params.validate(namespace("01_logistic", overrides={"early_stopping": "converged", "min_delta": "1e-05"},
                                         variants={"a": {"l2": "1e-05", "holdout": "first"}}), "01_logistic")
    assert values["overrides"] == {"early_stopping": "converged", "min_delta": 1e-05}
    assert values["variants"]["a"] == {"l2": 1e-05, "holdout": "first"}
