"""The MNIST and Fashion-MNIST files: their IDX format and their verified reading.

Interface:
    images = parse_idx(raw, name)          # IDX bytes (raw or gzip) -> read-only uint8 array
    content = read_verified(dataset, name) # one file's bytes from the data folder, sha256 checked
    data_dir()                             # $MNIST_DATA_DIR, else data/ in the repository

IDX layout (big-endian): a 4-byte magic ``0x00 0x00 <type> <ndim>``, then ``ndim`` uint32
dimension sizes, then the data in C order. MNIST uses type 0x08 (uint8): images are
``0x00000803`` with dims (N, 28, 28), labels ``0x00000801`` with (N,).

Every file is checked against the sha256 of the official *uncompressed* file (``DIGESTS``):
a file that differs is moved aside and never used. Reading is all this module does: `make data`
(helpers.pipeline.fetch) puts the files there; a missing one is an error naming that command.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import struct
from pathlib import Path

import numpy as np

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
# sha256 of the uncompressed official files (they match public checksum lists).
DIGESTS = {
    "mnist": dict(zip(FILES, (
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"))),
    "fashion-mnist": dict(zip(FILES, (
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"))),
}
UBYTE = 0x08
_GZIP_MAGIC = b"\x1f\x8b"


class IDXFormatError(ValueError):
    """The bytes are not a well-formed uint8 IDX file."""


class ChecksumError(ValueError):
    """A file's content does not have the expected sha256."""


def check_dataset(dataset: str) -> str:
    if dataset not in DIGESTS:
        raise ValueError(f"dataset={dataset!r} is not known; choose one of {sorted(DIGESTS)}")
    return dataset


def data_dir_setting() -> str | None:
    """``$MNIST_DATA_DIR`` as set (None when unset): the one place it is read."""
    return os.environ.get("MNIST_DATA_DIR") or None


def data_dir() -> Path:
    """Root of the data folder: ``$MNIST_DATA_DIR`` or ``<repo>/data``."""
    env = data_dir_setting()
    return Path(env) if env else Path(__file__).resolve().parent.parent / "data"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def verify(dataset: str, name: str, content: bytes, origin: str) -> bytes:
    """Return ``content`` if its sha256 is the official one, else raise ChecksumError."""
    expected, actual = DIGESTS[dataset][name], sha256(content)
    if actual != expected:
        raise ChecksumError(
            f"{name} from {origin} has the wrong sha256 (uncompressed content):\n"
            f"  expected {expected}\n  actual   {actual}\n"
            f"It was not used. Remedy: obtain an intact copy of the official {dataset} file "
            "and run `make data` again (or pass its folder with --from DIR).")
    return content


def read_verified(dataset: str, name: str) -> bytes:
    """Content of one file of the data folder, checked; a corrupt file is moved aside, then raises.

    Raises FileNotFoundError when the file is not there (run ``make data``).
    """
    path = data_dir() / check_dataset(dataset) / name
    content = path.read_bytes()
    try:
        return verify(dataset, name, content, str(path))
    except ChecksumError as err:
        os.replace(path, path.with_name(path.name + ".corrupt"))
        raise ChecksumError(f"{err}\nThe cached copy was moved aside to {path.name}.corrupt; "
                            "`make data` fetches it again.") from None


def decompress(raw: bytes) -> bytes:
    """Inflate ``raw`` if it is gzip data, else return it unchanged."""
    return gzip.decompress(raw) if raw[:2] == _GZIP_MAGIC else raw


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse uncompressed (or gzip) IDX bytes into a read-only uint8 array.

    ``name`` only labels error messages. Raises IDXFormatError on a wrong magic
    number, a non-uint8 type, or a size that disagrees with the header.
    """
    raw = decompress(raw)
    if len(raw) < 4:
        raise IDXFormatError(f"{name}: {len(raw)} bytes is too short for an IDX header")
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != UBYTE or not 1 <= ndim <= 3:
        raise IDXFormatError(
            f"{name}: bad magic number 0x{raw[:4].hex()} (expected 0x00000801 for labels "
            "or 0x00000803 for images); is this really an MNIST IDX file?")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXFormatError(f"{name}: truncated header ({len(raw)} of {header} bytes)")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise IDXFormatError(
            f"{name}: header says shape {shape} ({expected} bytes) but the file has "
            f"{len(raw)} bytes; the file is truncated or corrupt, fetch it again")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)
