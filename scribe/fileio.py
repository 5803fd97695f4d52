"""Crash-safe file writes shared by every module that saves something.

A consultation must never be lost to a crash mid-write, so files are written to a temporary
sibling, flushed to disk and renamed over the target: a reader sees the old file or the new
one, never half of one. Callers turn the ``OSError`` into their own clear error.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX needs the directory entry flushed too)."""
    if sys.platform == "win32":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves either the old or the new file."""
    path = Path(path)
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
        tmp_name = None
        fsync_dir(path.parent)
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
