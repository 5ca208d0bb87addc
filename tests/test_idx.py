import gzip

import numpy as np
import pytest

from helpers.mnist import IDXFormatError, parse_idx
from helpers.pipeline.fetch import build_idx


def test_roundtrip_images_and_labels():
    images = np.arange(2 * 28 * 28, dtype=np.uint64).astype(np.uint8).reshape(2, 28, 28)
    labels = np.array([7, 3], dtype=np.uint8)
    raw = build_idx(images)
    assert raw[:4] == b"\x00\x00\x08\x03" and raw[4:16] == (2).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
    np.testing.assert_array_equal(parse_idx(raw), images)
    np.testing.assert_array_equal(parse_idx(build_idx(labels)), labels)


def test_gzip_is_inflated():
    labels = np.array([1, 2, 3], dtype=np.uint8)
    np.testing.assert_array_equal(parse_idx(gzip.compress(build_idx(labels))), labels)


def test_bad_magic_is_rejected():
    raw = bytearray(build_idx(np.zeros(3, np.uint8)))
    raw[2] = 0x0D  # float type instead of ubyte
    with pytest.raises(IDXFormatError, match="bad magic number 0x00000d01"):
        parse_idx(bytes(raw), "labels")


def test_truncated_file_is_rejected():
    raw = build_idx(np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(IDXFormatError, match="truncated or corrupt"):
        parse_idx(raw[:-1], "images")
    with pytest.raises(IDXFormatError, match="truncated header"):
        parse_idx(raw[:10], "images")


def test_build_rejects_non_uint8():
    with pytest.raises(ValueError, match="uint8"):
        build_idx(np.zeros(3, np.float32))
