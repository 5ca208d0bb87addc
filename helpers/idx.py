"""The IDX file format of MNIST and Fashion-MNIST: parse and build, nothing else.

Interface: ``parse_idx(raw: bytes, name) -> np.ndarray`` and
``build_idx(array: np.ndarray) -> bytes`` are exact inverses for uint8 arrays.

Layout (big-endian): a 4-byte magic ``0x00 0x00 <type> <ndim>``, then ``ndim``
uint32 dimension sizes, then the data in C order. MNIST uses type 0x08 (uint8):
images are ``0x00000803`` with dims (N, 28, 28), labels ``0x00000801`` with (N,).
Gzip-compressed files are recognised by their first two bytes and inflated.
"""
from __future__ import annotations

import gzip
import struct

import numpy as np

_UBYTE = 0x08
_GZIP_MAGIC = b"\x1f\x8b"


class IDXFormatError(ValueError):
    """The bytes are not a well-formed uint8 IDX file."""


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
    if zero != 0 or dtype != _UBYTE or not 1 <= ndim <= 3:
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


def build_idx(array: np.ndarray) -> bytes:
    """Serialise a uint8 array of 1 to 3 dimensions as uncompressed IDX bytes."""
    array = np.asarray(array)
    if array.dtype != np.uint8 or not 1 <= array.ndim <= 3:
        raise ValueError(f"build_idx needs a uint8 array of 1-3 dims, got {array.dtype} {array.shape}")
    header = struct.pack(f">HBB{array.ndim}I", 0, _UBYTE, array.ndim, *array.shape)
    return header + np.ascontiguousarray(array).tobytes()
