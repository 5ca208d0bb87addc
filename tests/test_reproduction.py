"""Verdicts on the published numbers, and the published files themselves (issue 11)."""
import math
from pathlib import Path

import pytest
import yaml

from helpers.pipeline import published
from helpers.report import reproduction_view
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
                                               "1 explained by a measured inferred hypothesis; 0 inconsistent in the report; "
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
    found = published.questions()
    for e in published.published():
        if e["run"] == report.DATA_RUN:
            continue
        assert e["run"] in records, e["run"]
        variants = records[e["run"]]["summary"]
        assert e["variant"] in variants and e.get("ablation", e["variant"]) in variants, (e["run"], e["variant"])
        for tried in published.inferred(e, found):     # each hypothesis a question names, in a run of this build
            if tried["run"] in records or not tried["run"].startswith("runs-grid/"):
                held = records[tried["run"]]["summary"]
                names = tried["variant"] if isinstance(tried["variant"], list) else [tried["variant"]]
                assert any(n in held for n in names), (tried["run"], names)


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


def test_one_hypothesis_is_judged_across_all_its_rows_not_per_row():
    """"η/B" brings row a within noise but breaks b and c: over the three rows its total distance is
    above the stated settings', so it is not chosen and explains nothing, not even a."""
    summary = {"v": {"test_acc": [0.96, 0.0]}, "w": {"test_acc": [0.93, 0.0]}, "v (inferred)": {"test_acc": [0.931, 0.0]},
               "w (inferred)": {"test_acc": [0.99, 0.0]}}
    rec = record(summary)
    entries = [entry(label="a", ablation="v (inferred)", hypothesis="η/B"),
               entry(label="b", variant="w", ablation="w (inferred)", hypothesis="η/B"),
               entry(label="c", variant="w", ablation="w (inferred)", hypothesis="η/B")]
    rows = reproduction.compare_all({"r": rec}, entries, lambda r, v: 10000, found=[])
    (q,) = reproduction.hypotheses(rows)
    assert q["rows"] == [1, 2, 3] and q["within"]["η/B"] == [1] and q["chosen"] is None
    assert q["totals"]["η/B"] > q["stated"] and [r.verdict for r in rows] == ["open", "within noise", "within noise"]
    alone = reproduction.compare_all({"r": rec}, entries[:1], lambda r, v: 10000, found=[])
    assert alone[0].verdict == "explained" and alone[0].explained_by == "η/B"


QUESTION = {"question": "the stop rule", "rows": {"report": "Shi"},
            "candidates": [{"hypothesis": "best", "variants": "{variant}, best (inferred)"},
                           {"hypothesis": "half", "variants": {"v": "v, half (inferred)", "w": "w"}},
                           {"hypothesis": "grid", "variants": ["{variant}, g (inferred)"], "run": "g/{notebook}/{name}",
                            "confirm": "{variant}, g (inferred)"}]}


def test_a_question_picks_one_candidate_for_all_its_rows_by_total_distance():
    """Two rows: "best" brings both within noise (total lowest), "half" only v; the grid candidate,
    measured on one seed in another run, is best of all but has no three-seed confirmation."""
    summary = {"v": {"test_acc": [0.96, 0.0]}, "w": {"test_acc": [0.96, 0.0]},
               "v, best (inferred)": {"test_acc": [0.932, 0.0]}, "w, best (inferred)": {"test_acc": [0.932, 0.0]},
               "v, half (inferred)": {"test_acc": [0.93, 0.0]}}
    grid = {"run": "g/n/r", "summary": {"v, g (inferred)": {"test_acc": [0.93, 0.0]},
                                          "w, g (inferred)": {"test_acc": [0.93, 0.0]}}}
    entries = [entry(run="x/n/r", label="a"), entry(run="x/n/r", label="b", variant="w")]
    records = {"x/n/r": record(summary), "g/n/r": grid}
    rows = reproduction.compare_all(records, entries, lambda r, v: 10000, found=[QUESTION])
    (q,) = reproduction.hypotheses(rows)
    assert q["chosen"] == "grid" and q["totals"]["grid"] == 0.0 and q["within"]["grid"] == []
    assert [r.verdict for r in rows] == ["open", "open"]      # chosen, but not confirmed: explains nothing
    summary.update({"v, g (inferred)": {"test_acc": [0.931, 0.001]}, "w, g (inferred)": {"test_acc": [0.929, 0.001]}})
    rows = reproduction.compare_all(records, entries, lambda r, v: 10000, found=[QUESTION])
    assert [(r.verdict, r.explained_by) for r in rows] == [("explained", "grid")] * 2
    del grid["summary"]["w, g (inferred)"]                   # a grid point missing: the candidate is not comparable
    rows = reproduction.compare_all(records, entries, lambda r, v: 10000, found=[QUESTION])
    (q,) = reproduction.hypotheses(rows)
    assert q["totals"]["grid"] == math.inf and q["chosen"] == "best"
    assert [(r.verdict, r.explained_by) for r in rows] == [("explained", "best")] * 2
    assert "chosen: *best*, which brings rows 1, 2 within noise (of those beyond noise under the stated settings: 1, 2)" in reproduction_view.hypotheses_text(rows)


def test_the_questions_file_names_inferred_variants_and_concerns_its_rows():
    found = published.questions()
    entries = published.published()
    assert {q["question"].split(":")[0] for q in found} == {"Shi", "Lim & Chen"}
    for q in found:
        tried = {e["label"] + e["metric"]: [t for t in published.inferred(e, [q]) if t["question"] == q["question"]]
                 for e in entries}
        concerned = {k: v for k, v in tried.items() if v}
        assert concerned, q["question"]
        for k, v in concerned.items():                        # every candidate concerns every row of its question
            assert {t["hypothesis"] for t in v} == {c["hypothesis"] for c in q["candidates"]}, k


def test_a_candidate_variant_not_labelled_inferred_is_refused(tmp_path):
    bad = tmp_path / "h.yaml"
    bad.write_text(yaml.safe_dump([{"question": "q", "rows": {"report": "Shi"},
                                    "candidates": [{"hypothesis": "h", "variants": {"v": "v2"}}]}]))
    with pytest.raises(ValueError, match="each variant says it is inferred"):
        published.questions(bad)


def runs_of(finals: dict) -> dict:
    return {"run": "r", "summary": {v: {"holdout_acc": [sum(f) / len(f), 0.0]} for v, f in finals.items()},
            "runs": {v: [{"final": {"holdout_acc": a}} for a in f] for v, f in finals.items()}}


def test_two_numbers_from_the_same_start_further_apart_than_lambda_moves_them_are_inconsistent():
    """Zhu & Guo's L1 λ 1e-4 (89.45) and λ 5e-4 (88.45) hold-out: the same initial weights, data and
    procedure, only λ differs; here λ moves the hold-out accuracy by at most 0.05 points a seed."""
    rec = runs_of({"a": [0.872, 0.872, 0.8725], "b": [0.872, 0.8725, 0.872]})
    e = entry(variant="a", metric="holdout_acc", value=89.45, inconsistent="same_start_pair", other_value=88.45,
              other_variant="b")
    row = reproduction.compare_entry(rec, e, 2000)
    assert row.verdict == "inconsistent in the report"
    assert row.evidence.startswith("from the same initial weights, λ moves it by +0.00 on average in this build "
                                   "(per seed +0.00, -0.05, +0.05)") and "differ by +1.00, beyond a band of 0.15" in row.evidence
    close = reproduction.compare_entry(rec, {**e, "other_value": 89.35}, 2000)
    assert close.verdict == "open" and "differ by +0.10" in close.evidence
