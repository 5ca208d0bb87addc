"""The report's precision appendix (issue 26): each published row judged on the float32 build and on the
float64 one (`make precision`), and the rule for float32 as the default stated from those judgements."""
import pytest

from helpers.report import precision, reproduction


def row(acc, value=93.0):
    entry = {"run": "r", "variant": "v", "metric": "test_acc", "value": value, "report": "Shi",
             "provenance": "stated", "label": "η 0.1"}
    return reproduction.compare_entry({"run": "r", "summary": {"v": {"test_acc": [acc, 0.001]}}}, entry, 2000)


def test_each_row_keeps_both_measurements_their_difference_and_both_verdicts():
    [c] = precision.compare([row(0.930)], [row(0.933)])
    assert c["f32"] == pytest.approx((93.0, 0.1)) and c["f64"] == pytest.approx((93.3, 0.1))
    assert c["diff"] == pytest.approx(0.3) and c["inside"] and c["verdict32"] == c["verdict64"] == "within noise"


def test_a_difference_beyond_the_rows_band_or_a_changed_verdict_breaks_the_rule():
    same = precision.compare([row(0.930)], [row(0.931)])
    assert "holds: no verdict depends on the precision" in precision.precision_text(same)
    moved = precision.compare([row(0.930)], [row(0.990)])
    assert (moved[0]["inside"], moved[0]["verdict64"]) == (False, "open")
    text = precision.precision_text(moved)
    assert "1 change verdict in float64 (rows: 1)" in text and "1 move by more than their noise band (rows: 1)" in text
    assert "does not hold" in text


def test_the_two_judgements_must_be_of_the_same_rows():
    with pytest.raises(ValueError, match="not of the same rows"):
        precision.compare([row(0.93)], [row(0.93, value=95.0)])


def test_without_a_float64_build_the_appendix_names_the_command(tmp_path, monkeypatch):
    monkeypatch.setattr(precision, "float64_root", lambda scale: tmp_path)
    records, missing = precision.load_float64("smoke", {})
    assert records is None and missing.startswith("has not been run (`make precision SCALE=smoke` runs it")
