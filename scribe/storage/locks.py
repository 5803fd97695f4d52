"""Who may write a visit now: per-folder thread locks, the open-audio registry, process liveness
and the OS file lock.

Threads of one process share one ``RLock`` per folder (:func:`folder_lock`); a recording's
owner is told from a crashed one by its pid *and* process start time (a reused pid is not
alive); :class:`FileLock` is an OS lock released by the OS when its process dies.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from pathlib import Path
from typing import Any

import psutil

from .errors import storage_error

_folder_locks: dict[str, threading.RLock] = {}
_open_writers: set[str] = set()  # visit folders with an open AudioWriter in this process
_guard = threading.Lock()


def folder_lock(folder: Path) -> threading.RLock:
    """The process-wide lock of one folder (every Visit/OutboxStore object on it shares it)."""
    key = str(Path(folder).resolve())
    with _guard:
        lock = _folder_locks.get(key)
        if lock is None:
            lock = _folder_locks[key] = threading.RLock()
        return lock


def writer_active(folder: Path) -> bool:
    """True while an AudioWriter of this process has the folder's audio open."""
    with _guard:
        return str(Path(folder).resolve()) in _open_writers


def set_writer_active(folder: Path, active: bool) -> None:
    with _guard:
        (_open_writers.add if active else _open_writers.discard)(str(Path(folder).resolve()))


# --------------------------------------------------------------------------- process liveness


def process_start_time(pid: int) -> float | None:
    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.Error, OSError, ValueError):
        return None


def this_process() -> dict[str, Any]:
    """What a recording lock records about its owner (see :func:`owner_alive`)."""
    pid = os.getpid()
    return {"pid": pid, "started": process_start_time(pid), "host": socket.gethostname()}


def owner_alive(lock: dict) -> bool:
    """True if the process a lock record names is still running (and is the same process)."""
    try:
        pid = int(lock["pid"])
    except (KeyError, TypeError, ValueError):
        return False
    if lock.get("host") not in (None, socket.gethostname()):
        return True  # another machine on a shared folder: assume alive, never steal
    if not psutil.pid_exists(pid):
        return False
    started = lock.get("started")
    if started is None:
        return True
    now_started = process_start_time(pid)
    return now_started is None or abs(now_started - float(started)) < 2.0  # else pid was reused


# --------------------------------------------------------------------------- OS file lock


class FileLock:
    """An exclusive, non-blocking OS file lock (released by the OS if the process dies)."""

    def __init__(self, path: Path, doing: str = "taking a lock"):
        self.path = path
        self.doing = doing  # for the error message: what the lock is for
        self._fd: int | None = None

    def acquire(self) -> bool:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise storage_error(exc, self.doing, self.path) from exc
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            if sys.platform == "win32":
                import msvcrt

                try:
                    msvcrt.locking(self._fd, msvcrt.LK_UNLCK, 1)
                except OSError:
                    pass
            else:
                import fcntl

                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> FileLock:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()
