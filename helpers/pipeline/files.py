"""Writing files so that a crash never leaves half of one: the pipeline's one way to write.

Interface:
    atomic_write(path, content)        # temp file in the same folder, fsync, rename; a full disk: DiskFull,
                                       # one line naming the file and the fix
    write_if_changed(path, text)       # the same, but leaves an identical file (and its time stamp) alone
"""
from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` via a temp file in the same folder and a rename.

    The file is readable by everyone (mode 0644, as a plain ``open`` would leave it under
    the usual umask; ``mkstemp`` alone gives 0600)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as error:
        raise _named(error, path) from None
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        raise _named(error, path) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class DiskFull(OSError):
    """No space left (or over quota) where a file was written: its message names the file and the fix."""


def _named(error: OSError, path: Path) -> OSError:
    """A full disk (or quota) as one line naming the file and the fix; any other OSError as it was."""
    if error.errno not in (errno.ENOSPC, errno.EDQUOT):
        return error
    return DiskFull(error.errno, f"{os.strerror(error.errno)}: cannot write {os.path.abspath(path)}; free space on "
                    "that disk (e.g. `make clean`, or remove old files) and run the same command again")


def write_if_changed(path: Path, text: str) -> None:
    """Leave the file (and its time stamp, which make reads) alone when the content is the same."""
    path = Path(path)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    atomic_write(path, text.encode())
