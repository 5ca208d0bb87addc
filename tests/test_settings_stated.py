"""Issue 30, 1: what the report says follows what ran. Every caption and sentence of
report/report.ipynb that states a setting is made from the configurations in the records
(helpers.report.describe), never typed: a run whose parameter file changes the network is
described as the network it trained.
"""
import html
import json
import os
import subprocess
from pathlib import Path

import pytest

from helpers.config import Config
from helpers.report import describe

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ROOT / "build" / "smoke"


def _record(variants: dict) -> dict:
    """A record as a run writes it: each variant's seeds with the configuration they ran."""
    return {"runs": {name: [{"config": Config(**fields).to_dict()}] for name, fields in variants.items()},
            "summary": {name: {"test_acc": (0.9, 0.0), "test_loss": (0.3, 0.0), "epochs_run": (3, 0)} for name in variants}}


def _cell(starting: str) -> str:
    cells = json.loads((ROOT / "report" / "report.ipynb").read_text(encoding="utf-8"))["cells"]
    return next("".join(c["source"]) for c in cells if "".join(c["source"]).startswith(starting))


class _Report:
    """What the report's cells call, keeping the captions they pass."""
    def __init__(self):
        self.captions = []

    def summary_table(self, record, metrics, caption, variants=None, label=None):
        self.captions.append(caption)

    def figure(self, run, name, caption, record=None, variants=None):
        self.captions.append(caption)


def test_a_network_is_described_from_the_configuration_it_ran_with():
    overridden = _record({"γ 0.9, η 0.01": dict(hidden=[64], activation="relu", optimizer="momentum", momentum=0.9)})
    assert describe.network(overridden) == "784-64-10 ReLU"
    default = _record({"a": dict(optimizer="momentum", momentum=0.9), "b": dict(optimizer="momentum", momentum=0.01)})
    assert describe.network(default) == "784-128-10 tanh"
    mixed = _record({"sigmoid": dict(activation="sigmoid"), "ReLU": dict(activation="relu")})
    assert describe.network(mixed) == "784-128-10"                      # never one activation for both
    assert describe.network(_record({"s": dict(model="softmax")})) == "784-10"
    assert describe.network(_record({"l": dict(model="logistic", digits=[2, 3])})) == "784-1"


def test_the_momentum_caption_of_a_relu_64_run_says_784_64_10_relu():
    """The report's own momentum cell, run on a record whose parameter file set hidden [64], ReLU."""
    record = _record({"γ 0.9, η 0.01": dict(hidden=[64], activation="relu", optimizer="momentum", momentum=0.9)})
    shown = _Report()
    exec(_cell("for name, who in ((\"lim_chen\", \"Lim & Chen (rule unstated"),
         {"run": lambda name: record, "report": shown, "describe": describe, "display": lambda piece: None})
    assert shown.captions[0] == "Momentum on the 784-64-10 ReLU network, Lim & Chen (rule unstated: classic)"
    assert all("tanh" not in caption and "128" not in caption for caption in shown.captions)


def test_settings_are_written_as_the_reports_write_them():
    assert [describe.value(x) for x in (0.01, 0.05, 0.1, 1e-3, 1e-4, 7.8125e-05, 1000, 300, 0.0)] == \
        ["0.01", "0.05", "0.1", "1e-3", "1e-4", "7.81e-5", "1,000", "300", "0.0"]
    record = _record({"a": dict(l2=1e-3, lr=0.01), "b": dict(l2=1e-3, lr=0.01, activation="relu")})
    assert describe.penalties(record) == "L2 λ 1e-3"
    assert describe.penalties(_record({"a": dict(l2=1e-3), "b": dict(l2=1e-4)})) == ""   # they differ: not stated
    assert describe.penalties(_record({"a": {}})) == "no penalty"
    assert describe.batches(_record({"a": dict(batch_size=None)})) == "full-batch gradient descent"
    first = _record({"a": dict(model="softmax", n_train=20000, holdout="first", holdout_size=0.1, n_test=2000)})
    assert (describe.training(first, 60000), describe.held_out(first), describe.test_images(first)) == \
        ("the first 20,000 training images", "the first 2,000 of them", "the last 2,000 test images")
    after = _record({"a": dict(n_train=20000, holdout="next", holdout_size=2000, holdout_gap=1, bias="input", bias_input=1 / 255)})
    assert (describe.held_out(after), describe.bias_input(after)) == ("the 2,000 after them (skipping image 20,000)", "1/255")
    shuffled = _record({"a": dict(holdout="shuffle", holdout_size=0.2)})
    assert (describe.training(shuffled, 60000), describe.split(shuffled), describe.test_images(shuffled)) == \
        ("all 60,000 training images", "80/20", "the full test set")


@pytest.fixture(scope="module")
def smoke_report():
    """The smoke report notebook as `make html SCALE=smoke` executes it (what `make test` builds)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    done = subprocess.run(["make", "-C", str(ROOT), "html", "SCALE=smoke"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    notebook = json.loads((SMOKE / "report" / "build" / "report.ipynb").read_text(encoding="utf-8"))
    texts = [html.unescape("".join(o.get("data", {}).get("text/html") or o.get("data", {}).get("text/markdown") or ""))
             for c in notebook["cells"] for o in c.get("outputs", [])]
    os.environ.setdefault("WORKBOOK_OUTPUT", str(SMOKE) + "/")
    from helpers import report
    return "\n".join(texts), report.load_records("smoke")


def test_the_smoke_report_states_the_settings_its_records_ran_with(smoke_report):
    shown, records = smoke_report
    run = lambda name: records[f"runs/{name}"]  # noqa: E731
    expected = [
        f"Momentum on the {describe.network(run('04_momentum/lim_chen'))} network",
        f"rule unstated: {describe.rule(run('04_momentum/lim_chen'))}",
        f"Lim & Chen (η {describe.value(describe.common(run('06_activations/lim_chen'), 'lr'))}, "
        f"{describe.penalties(run('06_activations/lim_chen'))})",
        f"softmax regression with mini-batches of {describe.common(run('02_softmax/shi'), 'batch_size')}",
        f"up to {describe.value(describe.common(run('02_softmax/zhu_guo_early'), 'epochs'))} epochs per λ",
        f"Logistic regression, Zhu & Guo, {describe.pair(run('01_logistic/zhu_guo_2v8'))}",
        f"Aagaard {describe.training(describe.first(run('01_logistic/aagaard_2v3')), 60000)} with "
        f"{describe.held_out(describe.first(run('01_logistic/aagaard_2v3')))} held out",
    ]
    missing = [e for e in expected if e not in shown]
    assert not missing, missing
    # smoke scale shortens the runs: the early chain's epoch cap is the smoke one, not the full study's 1,000
    assert describe.common(run("02_softmax/zhu_guo_early"), "epochs") != 1000
    assert "up to 1,000 epochs per λ" not in shown


def test_the_search_section_states_what_make_best_searches_from_its_configurations():
    """'Beyond the reports' is written from the search's classes: a class made a 784-64-10 ReLU network on the
    first 5,000 images says so, and nothing of the default set-up's 784-128-10 or 60,000 is left."""
    from helpers.report import best
    base = {"model": "mlp", "hidden": [64], "activation": "relu", "n_train": 5000, "n_test": None,
            "holdout": "shuffle", "holdout_size": 0.2, "restore": "best", "test_select": "last", "digits": None}
    text = best.search_setup({"network, ReLU": {"base": base, "space": {"lr": ["log", 0.01, 1.0], "l2": ["log", 1e-7, 1e-3]}}},
                             60000)
    assert "*network, ReLU* (784-64-10 ReLU): the first 5,000 training images (20% drawn at random held out) " \
           "and the full test set." in text
    assert "(learning rate, L2 λ; the best hold-out epoch's weights are kept)" in text
    assert "784-128-10" not in text and "60,000" not in text


def test_without_a_search_the_section_describes_the_search_s_parameter_file():
    from helpers.report import best
    text = best.search_setup(best.search_classes(None, "smoke"), 60000)
    assert "*logistic 2 vs 3* and *logistic 2 vs 8*: the first 2,000 training images" in text   # the smoke scale's subset
