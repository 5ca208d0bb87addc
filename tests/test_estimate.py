"""The build's estimate from its whole plan (issue 25): the plan lists every fit the runs ask for,
the estimator replayed on a recorded full build is within 25 % of what remains from the first fifth
on (with the rates an earlier build keeps), kept rates a build cannot read are ignored with one line,
and `make bench`'s fits print nothing."""
import json
from pathlib import Path

from helpers.config import Config
from helpers.pipeline import cache, engine, estimate, plan, provenance, replay, settings

ROOT = Path(__file__).resolve().parent.parent
RECORDED = ROOT / "tests" / "recorded" / "full_build_fc92bc9.json"   # python -m helpers.pipeline.replay record <tree>


def test_replayed_on_a_recorded_build_the_estimate_is_within_a_quarter_of_what_remains():
    recorded = json.loads(RECORDED.read_text())
    kept = replay.kept_rates(recorded)
    second = replay.replay(recorded, kept)                          # a second from-scratch build on this machine
    other_settings = replay.replay(recorded, {"kinds": kept["kinds"]})   # only the kinds' rates carry over
    assert replay.worst(second, 0.2, 0.9) <= 0.25
    assert replay.worst(other_settings, 0.2, 0.9) <= 0.25
    # the replay runs the record as the build did: 130 tasks on 2 workers end near its recorded 30.5 min fit phase
    end = second[-1][0] + second[-1][2]
    assert 0.9 * 1828.7 <= end <= 1.05 * 1828.7


def test_the_plan_lists_every_fit_the_smoke_build_ran():
    """The stamps step's plan (build/smoke/build/plan.json) against the fits the smoke runs recorded."""
    root = settings.output_root()
    planned = json.loads((root / "build" / "plan.json").read_text())
    resolved = [json.loads(p.read_text()) for p in sorted((root / "build" / "resolved" / "runs").rglob("*.json"))]
    jobs = [job for r in resolved for stage in plan.jobs_of(r["parameters"], r["notebook"]) for job in stage]
    code = provenance.code_digest(provenance.COURSE_CODE)
    assert {f["key"] for f in planned["fits"]} == {cache.key(job, code) for job in jobs}
    assert all(cache.cached(f["key"]) for f in planned["fits"])     # every planned fit was computed (or found)
    ran = set()
    for path in (root / "build" / "results" / "runs").rglob("*.json"):
        for results in json.loads(path.read_text())["runs"].values():
            ran |= {provenance.canonical(cache.identity(Config.from_dict(r["config"]))) for r in results}
    assert ran and ran == {provenance.canonical(cache.identity(c)) for job in jobs for c in job}


def test_kept_rates_that_are_not_a_record_are_ignored_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_CACHE", str(tmp_path))
    estimate.save_rates("full", {"kinds": {"mlp stops early": [60.0, 1e12, 2]}, "settings": {}})
    assert estimate.load_rates("full")["kinds"] == {"mlp stops early": 60.0 / 1e12}
    (tmp_path / estimate.RATES).write_text('{"full": {"kinds": {"mlp": "fast"}}}')
    lines = []
    assert estimate.load_rates("full", log=lines.append) == {"kinds": {}, "settings": {}}
    assert len(lines) == 1 and "ignoring" in lines[0] and str(tmp_path) in lines[0]


def test_quiet_fits_print_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKBOOK_CACHE", str(tmp_path))
    monkeypatch.setenv("WORKBOOK_ENGINE", "serial")
    monkeypatch.setenv("WORKBOOK_OUTPUT", str(tmp_path / "out"))   # as in a build, where fits print a line each
    job = (Config(model="softmax", n_train=500, n_test=100, epochs=1, batch_size=100, init="zeros", progress=False),)
    engine.run([job], quiet=True)
    engine.run([job], quiet=True)                                   # from the cache
    engine.run([job])
    out = capsys.readouterr()
    assert out.out == "fits: all 1 from the cache (none trained now)\n" and out.err == ""
