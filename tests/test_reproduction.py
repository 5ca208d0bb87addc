"""Verdicts on the published numbers, and the published files themselves (issue 11)."""
import math
from pathlib import Path

import pytest
import yaml

from helpers.pipeline import published
from helpers.report import reproduction

ROOT = Path(__file__).resolve().parent.parent


def record(summary):
    return {"run": "r", "summary": summary}


def entry(**changes):
    return {"run": "r", "variant": "v", "metric": "test_acc", "value": 93.0, "report": "Shi", "provenance": "stated",
            **changes}


def test_accuracy_band_is_binomial_and_seed_noise():
    row = reproduction.compare_entry(record({"v": {"test_acc": [0.935, 0.002]}}), entry(), 2000)
    assert row.noise == pytest.approx(2 * math.hypot(100 * math.sqrt(0.93 * 0.07 / 2000), 0.2))
    assert row.diff == pytest.approx(0.5) and row.within and row.verdict == "within noise"


def test_a_gap_is_explained_only_by_an_ablation_within_the_band():
    summary = {"v": {"test_acc": [0.96, 0.0]}, "v (inferred)": {"test_acc": [0.931, 0.0]}}
    row = reproduction.compare_entry(record(summary), entry(ablation="v (inferred)"), 10000)
    assert (row.within, row.ablation["within"], row.verdict) == (False, True, "explained")
    summary["v (inferred)"]["test_acc"] = [0.99, 0.0]
    assert reproduction.compare_entry(record(summary), entry(ablation="v (inferred)"), 10000).verdict == "open"


def test_loss_and_epoch_band_is_spread_plus_ten_percent():
    row = reproduction.compare_entry(record({"v": {"epochs_run": [23.0, 1.0]}}), entry(metric="epochs_run", value=20), None)
    assert row.noise == pytest.approx(2 * 1.0 + 2.0) and row.within


def test_summary_line_counts_each_verdict():
    rows = [reproduction.compare_entry(record({"v": {"test_acc": [a, 0.0]}, "v (inferred)": {"test_acc": [0.93, 0.0]}}),
                                 entry(ablation="v (inferred)"), 10000) for a in (0.93, 0.99, 0.931)]
    assert reproduction.summary_line(rows) == ("3 rows: 2 within noise under stated settings and named defaults; "
                                               "1 explained by a measured inferred ablation; 0 inconsistent in the report; "
                                               "0 open.")


def stop_record(*losses_per_seed, epochs=(5.0, 0.0), patience=3):
    runs = [{"config": {"patience": patience}, "history": {"holdout_loss": list(losses)}} for losses in losses_per_seed]
    return {"run": "r", "summary": {"v": {"epochs_run": list(epochs)}}, "runs": {"v": runs}}


def test_first_rise_is_the_first_epoch_above_its_predecessor():
    assert reproduction.first_rise([1.0, 0.9, 0.8, 0.85, 0.7]) == 3
    assert reproduction.first_rise([1.0, 0.9, 0.8]) is None


def test_a_stop_the_build_cannot_have_under_the_stated_rule_is_inconsistent():
    """Published: stopped at epoch 20 after 3 rises, so rising by epoch 18; ours falls to epoch 24
    (first rise 25) in one seed and to 29 in the other: both later than 18."""
    falling = [1.0 - 0.01 * e for e in range(25)] + [0.8, 0.81, 0.82]
    longer = [1.0 - 0.01 * e for e in range(30)] + [0.8, 0.81, 0.82]
    row = reproduction.compare_entry(stop_record(falling, longer, epochs=(28.0, 0.0)), entry(metric="epochs_run", value=20,
                               inconsistent="stop_needs_rises"), None)
    assert row.verdict == "inconsistent in the report"
    assert row.evidence == ("stopping at epoch 20 after 3 rises needs the hold-out loss rising by epoch 18; "
                            "under the stated settings it falls until epoch 24–29 (2 seeds)")


def test_a_stop_the_build_can_have_stays_open():
    rises_early = [1.0, 0.9, 0.8, 0.85, 0.9, 0.95] + [0.5] * 40
    row = reproduction.compare_entry(stop_record(rises_early, epochs=(40.0, 0.0)), entry(metric="epochs_run", value=20,
                               inconsistent="stop_needs_rises"), None)
    assert row.verdict == "open" and "falls until epoch 2 (1 seed)" in row.evidence


def test_within_noise_wins_over_a_named_inconsistency():
    falling = [1.0 - 0.01 * e for e in range(40)]
    row = reproduction.compare_entry(stop_record(falling, epochs=(20.0, 0.0)), entry(metric="epochs_run", value=20,
                               inconsistent="stop_needs_rises"), None)
    assert row.verdict == "within noise"


def test_the_published_gradient_check_tables_judged_by_their_own_bound():
    tables = yaml.safe_load((ROOT / "report" / "gradcheck_published.yaml").read_text())
    rows = reproduction.gradcheck_rows(tables, 1e-2)
    shi_fails = [r["entry"] for r in rows if r["report"] == "Shi" and not r["passes"]]
    assert shi_fails == ["hidden bias", "input→hidden weight 1", "input→hidden weight 2"]
    assert all(r["passes"] for r in rows if r["report"] == "Lim & Chen")
    printed = [r for r in rows if "printed" in r]
    assert len(printed) == 1 and not printed[0]["printed_matches"]
    assert printed[0]["diff"] == pytest.approx(1.1185e-9, rel=1e-3)


def test_every_published_entry_names_its_report_provenance_and_an_inferred_ablation():
    entries = published.published()
    assert len(entries) >= 50
    assert {e["report"] for e in entries} == {"Zhu & Guo", "Zhu & Guo (early)", "Aagaard", "Shi", "Lim & Chen"}
    assert {e["provenance"] for e in entries} <= {"stated", "default"}
    assert all("inferred" in e["ablation"] for e in entries if "ablation" in e)


def test_published_rejects_an_ablation_not_labelled_inferred(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("- {spec: A, report: Shi, label: x, run: r, variant: v, metric: test_acc, value: 1, "
                   "provenance: stated, ablation: v2}\n")
    with pytest.raises(ValueError, match="an ablation's variant name says it is inferred"):
        published.published(bad)


def test_every_cited_run_variant_and_ablation_exists_in_the_build():
    """The smoke build (`make test` runs it first) holds every run, variant and ablation published.yaml cites."""
    import os
    from helpers import report
    if "WORKBOOK_OUTPUT" not in os.environ:
        pytest.skip("needs the smoke build: run through `make test`")
    records = report.load_records("smoke")
    for e in published.published():
        if e["run"] == report.DATA_RUN:
            continue
        assert e["run"] in records, e["run"]
        variants = records[e["run"]]["summary"]
        assert e["variant"] in variants and e.get("ablation", e["variant"]) in variants, (e["run"], e["variant"])


def test_a_number_the_report_states_twice_beyond_noise_is_inconsistent():
    """98 (abstract) and 97 (text) on 1,999 test images: 1 point apart, band 2·sqrt(.98·.02/1999) = 0.63."""
    rec = record({"v": {"test_acc": [0.9715, 0.0]}})
    row = reproduction.compare_entry(rec, entry(value=98.0, inconsistent="two_values", other_value=97.0), 1999)
    band = 2 * 100 * math.sqrt(0.98 * 0.02 / 1999)
    assert row.verdict == "inconsistent in the report"
    assert row.evidence == (f"the report gives 98 and, elsewhere, 97: 1.00 apart against a noise band of {band:.2f}; "
                            "ours, 97.15, is within noise of 97")


def test_two_values_within_noise_of_each_other_are_no_inconsistency():
    rec = record({"v": {"test_acc": [0.95, 0.0]}})
    row = reproduction.compare_entry(rec, entry(value=98.0, inconsistent="two_values", other_value=97.9), 1999)
    assert row.verdict == "open" and row.evidence.endswith("ours, 95.00, is within noise of neither")


def test_one_hypothesis_counts_the_other_rows_it_brings_within_noise():
    summary = {"v": {"test_acc": [0.96, 0.0]}, "v (inferred)": {"test_acc": [0.931, 0.0]},
               "w (inferred)": {"test_acc": [0.99, 0.0]}}
    rows = [reproduction.compare_entry(record(summary), entry(label=label, ablation=ablation, hypothesis="η/B",
                                                        **({"chosen_on": "a"} if label == "b" else {})), 10000)
            for label, ablation in (("a", "v (inferred)"), ("b", "v (inferred)"), ("c", "w (inferred)"))]
    rows.append(reproduction.compare_entry(record(summary), entry(label="d", ablation="v (inferred)"), 10000))
    got = reproduction.hypotheses(rows)
    assert [h["hypothesis"] for h in got] == ["η/B", "v (inferred)"]
    assert got[0] == {"hypothesis": "η/B", "rows": [1, 2, 3], "within": [1, 2], "chosen_on": "a", "others_within": 1}
    assert got[1]["rows"] == [4] and got[1]["chosen_on"] is None and got[1]["others_within"] == 1
