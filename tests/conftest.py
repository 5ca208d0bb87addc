"""Shared fixtures: an isolated data cache, and a skip-free guard for real-data tests."""
import pytest

from helpers.pipeline import fetch, files


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty data cache under tmp_path (MNIST_DATA_DIR points at it)."""
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def offline(monkeypatch):
    """Every network and pip source fails at once, as on a machine with no internet."""
    def no_network(url, timeout=None):
        raise fetch.urllib.error.URLError("simulated: name or service not known")

    class FailedRun:
        returncode, stdout, stderr = 1, "", "ERROR: simulated: no matching distribution"

    monkeypatch.setattr(fetch.urllib.request, "urlopen", no_network)
    monkeypatch.setattr(fetch.subprocess, "run", lambda *a, **k: FailedRun())
