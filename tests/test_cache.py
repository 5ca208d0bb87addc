"""The fit cache holds data only (issue 25): an entry is arrays in an .npz read with
allow_pickle=False and JSON; an entry that would run code under the old pickle format is refused
and recomputed with nothing executed; what the cache gives back is the computed result, bit for bit."""
import hashlib
import json
import pickle

import numpy as np
import pytest

from helpers.config import Config
from helpers.pipeline import cache, engine

OLD_MAGIC = b"workbook-fit-cache-1\n"   # the old format: header, sha256 of the payload, a pickle


def job(seed=0, **changes):
    settings = dict(model="softmax", n_train=1500, n_test=300, holdout="first", holdout_size=0.1, epochs=2,
                    batch_size=50, lr=0.1, init="zeros", progress=False, seed=seed)
    return (Config(**{**settings, **changes}),)


class Planted:
    """Unpickling this creates ``marker``: what a crafted entry did to a build that loaded pickles."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def old_format(payload: bytes) -> bytes:
    return OLD_MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload


@pytest.fixture
def serial_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_CACHE", str(tmp_path / "fits"))
    monkeypatch.setenv("WORKBOOK_ENGINE", "serial")
    return tmp_path / "fits"


def identical(a, b):
    """Results equal bit for bit: every array (dtype, shape, bytes), every history and final number
    (their JSON text: a float's repr and int/float kinds included) and the wall time."""
    assert len(a) == len(b)
    for ra, rb in zip(a, b):
        assert json.dumps(ra.history) == json.dumps(rb.history) and json.dumps(ra.final) == json.dumps(rb.final)
        assert ra.wall_time == rb.wall_time and ra.config == rb.config
        for wa, wb in ((ra.params, rb.params), (ra.last_params, rb.last_params)):
            assert (wa is None) == (wb is None)
            for name in wa or {}:
                assert wa[name].dtype == wb[name].dtype and wa[name].tobytes() == wb[name].tobytes()


def test_an_entry_that_would_run_code_is_refused_and_recomputed_with_nothing_executed(serial_cache, tmp_path):
    the_job = job(0)
    k = cache.key(the_job)
    payload = pickle.dumps([Planted(tmp_path / "marker")])
    probe = tmp_path / "probe"   # the planted payload does run code when unpickled: the test can fail
    pickle.loads(pickle.dumps([Planted(probe)]))
    assert probe.exists()
    for path in (cache.entry(k), cache.entry(k).with_suffix(".pkl")):   # the new name and the old one
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(old_format(payload))
    messages = []
    (got,) = engine.run([the_job], log=messages.append, stats=(stats := {}))
    assert not (tmp_path / "marker").exists()
    assert stats["computed"] == 1 and len(messages) == 2
    assert "old pickle format" in messages[0] and "not a fit-cache entry" in messages[1]
    assert not cache.entry(k).with_suffix(".pkl").exists()
    with np.load(cache.entry(k), allow_pickle=False) as npz:   # the recomputed entry is data only
        assert all(npz[name].dtype.kind in "fiuU" for name in npz.files)
    (again,) = engine.run([the_job], stats=(stats := {}))
    assert stats["cached"] == 1
    identical(got, again)


@pytest.mark.parametrize("chain", [False, True])
def test_a_result_from_the_cache_is_the_computed_one_bit_for_bit(serial_cache, chain):
    jobs = [job(1, model="mlp", hidden=(8,), init="xavier", early_stopping="best", patience=1, epochs=3)]
    if chain:   # a warm-started chain: each fit's last weights are kept too
        jobs = [(job(1, l2=0.01)[0], job(1, l2=0.001)[0], job(1, l2=0.0001)[0])]
    computed = engine.run(jobs, stats=(s1 := {}))
    loaded = engine.run(jobs, stats=(s2 := {}))
    assert (s1["computed"], s2["cached"]) == (1, 1)
    identical(computed[0], loaded[0])
    assert computed[0][-1].last_params is not None


def test_another_job_s_entry_is_refused(serial_cache):
    a, b = job(2), job(3)
    engine.run([a])
    cache.entry(cache.key(b)).parent.mkdir(parents=True, exist_ok=True)
    cache.entry(cache.key(b)).write_bytes(cache.entry(cache.key(a)).read_bytes())
    messages = []
    (got,) = engine.run([b], log=messages.append, stats=(stats := {}))
    assert stats["computed"] == 1 and "not a fit-cache entry" in messages[0]
    assert got[0].config.seed == 3
