"""The byte seam: every byte of patient data Scribe keeps is read or written through a :class:`Disk`.

The rest of the storage package says *what* to keep (a visit record, a note version, an audit
line, audio samples); this module is the only code that touches the bytes on disk:

- :meth:`Disk.read` / :meth:`Disk.write`: whole files, written atomically (temporary file,
  ``fsync``, ``os.replace``, ``fsync`` of the folder), so a crash leaves the old or the new file;
- :meth:`Disk.append`: a durable append (the audit trail, one line at a time);
- :meth:`Disk.open_stream`: the one file that grows in place (the consultation audio), as a
  :class:`Stream` with positioned reads and writes.

Encryption at rest is a ``Disk`` that encrypts in these calls and is handed to
:class:`~scribe.storage.VisitStore`; nothing else changes. ``size`` is the size of what
``read`` returns, so callers never ``stat`` a file for its content length.

Errors are plain ``OSError`` (``FileNotFoundError`` for a missing file); the callers turn them
into :class:`~scribe.storage.StorageError` sentences that say what was being done.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from pydantic import BaseModel

from ..fileio import fsync_dir, write_atomic
from .errors import storage_error


class Stream:
    """A file opened for positioned reads and writes (the audio while it is recorded)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fh = open(self.path, "r+b", buffering=0)  # closed by close()

    def size(self) -> int:
        return self._fh.seek(0, os.SEEK_END)

    def read_at(self, offset: int, n: int) -> bytes:
        self._fh.seek(offset)
        return self._fh.read(n)

    def write_at(self, offset: int, data: bytes) -> None:
        """Write all of ``data`` at ``offset`` (not yet durable: call :meth:`sync`)."""
        self._fh.seek(offset)
        view = memoryview(data)
        while view:
            n = self._fh.write(view)
            if not n:
                raise OSError(errno.EIO, "short write")
            view = view[n:]

    def truncate(self, size: int) -> None:
        self._fh.truncate(size)

    def sync(self) -> None:
        """Make every write so far durable (``fsync``)."""
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Disk:
    """Plain files on the local disk (no encryption yet)."""

    def read(self, path: Path) -> bytes:
        return Path(path).read_bytes()

    def size(self, path: Path) -> int:
        return Path(path).stat().st_size

    def write(self, path: Path, data: bytes) -> None:
        write_atomic(Path(path), data)

    def append(self, path: Path, data: bytes) -> None:
        """Append ``data`` at the end of ``path`` (created 0600 if missing) and ``fsync``."""
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)

    def sync_folder(self, folder: Path) -> None:
        """Make a new entry in ``folder`` durable (a created visit folder)."""
        fsync_dir(folder)

    def open_stream(self, path: Path) -> Stream:
        """Open an existing file for positioned reads and writes."""
        return Stream(path)

    def check_writable(self, folder: Path) -> None:
        """Really write a file in ``folder`` (``os.access`` lies for root and network shares)."""
        probe = None
        try:
            fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=folder)
            os.write(fd, b"ok")
            os.fsync(fd)
            os.close(fd)
        finally:
            if probe is not None:
                try:
                    os.unlink(probe)
                except OSError:
                    pass


def write_file(disk: Disk, path: Path, data: bytes, doing: str) -> None:
    """:meth:`Disk.write`, with a failure told as a :class:`StorageError` saying what was being done."""
    try:
        disk.write(path, data)
    except OSError as exc:
        raise storage_error(exc, doing, path) from exc


def write_model(disk: Disk, path: Path, model: BaseModel, doing: str) -> bytes:
    """Write a pydantic model as indented JSON, atomically; returns the bytes written."""
    data = model.model_dump_json(indent=2).encode("utf-8")
    write_file(disk, path, data, doing)
    return data
