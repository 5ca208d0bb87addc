"""The comparison behind "the same numbers bit for bit" (issue 24) finds a changed number and nothing else."""
import json

from helpers.pipeline import compare_builds

RECORD = {"run": "runs/x/y", "parameters": {"seeds": [0]}, "summary": {"v": {"test_acc": [0.97, 0.0]}},
          "extra": {}, "provenance": {"helpers": "aaa"}, "wall_time": 3.2, "content_sha256": "bbb",
          "runs": {"v": [{"config": {"lr": 0.1}, "digest": "c", "final": {"test_acc": 0.97},
                          "history": {"test_acc": [0.5, 0.97]}, "wall_time": 1.0}]}}


def build(root, record):
    path = root / "build" / "results" / "runs" / "x" / "y.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(record))
    return root


def test_provenance_and_wall_times_are_not_numbers_of_the_run(tmp_path, capsys):
    other = {**RECORD, "provenance": {"helpers": "zzz"}, "wall_time": 9.9, "content_sha256": "yyy",
             "runs": {"v": [{**RECORD["runs"]["v"][0], "wall_time": 7.0}]}}
    assert compare_builds.main([str(build(tmp_path / "a", RECORD)), str(build(tmp_path / "b", other))]) == 0
    assert "1 results files: 1 identical, 0 different" in capsys.readouterr().out


def test_one_changed_bit_in_a_history_is_found(tmp_path, capsys):
    changed = json.loads(json.dumps(RECORD))
    changed["runs"]["v"][0]["history"]["test_acc"][1] = 0.9700000000000001   # the next float64
    assert compare_builds.main([str(build(tmp_path / "a", RECORD)), str(build(tmp_path / "b", changed))]) == 1
    out = capsys.readouterr().out
    assert "DIFFERENT  runs/x/y.json" in out and "/runs/v[0]/history/test_acc[1]: 0.97 != 0.9700000000000001" in out


def test_a_field_added_later_at_its_default_is_no_difference_but_set_otherwise_it_is(tmp_path, capsys):
    """An earlier build's configs lack the fields added since (config.NEW_FIELD_DEFAULTS): at their
    default they are the behaviour from before them; set to anything else they are a difference."""
    newer = json.loads(json.dumps(RECORD))
    newer["runs"]["v"][0]["config"].update(schedule="inverse", warmup=0, beta1=0.9)
    assert compare_builds.main([str(build(tmp_path / "a", RECORD)), str(build(tmp_path / "b", newer))]) == 0
    newer["runs"]["v"][0]["config"]["warmup"] = 5
    assert compare_builds.main([str(build(tmp_path / "c", RECORD)), str(build(tmp_path / "d", newer))]) == 1
    assert "/runs/v[0]/config/warmup: only in the second" in capsys.readouterr().out
