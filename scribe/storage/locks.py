"""Who may write a visit now: one writer per folder across processes, the open-audio registry,
process liveness and the OS file lock.

Every write to a visit (and to the EHR outbox) happens under :func:`folder_lock`: a reentrant lock
shared by the threads of a process and backed by an OS lock between processes, so the desktop app,
a scheduled ``scribe ehr drain`` and a script never interleave writes. A recording holds its own
OS lock for as long as the audio is open (:class:`FileLock`, released by the OS when its process
dies); a crashed recording's owner is told from a live one by that lock, or by its pid *and*
process start time (a reused pid is not alive).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from .errors import StorageError, storage_error

_folder_locks: dict[str, FolderLock] = {}
_open_writers: dict[str, FileLock | None] = {}  # visit folders with an open AudioWriter -> its OS lock
_guard = threading.Lock()


WRITE_WAIT_S = 15.0  # how long a writer waits for another process's write to the same visit


class FolderLock:
    """One writer per folder, across threads *and* processes, reentrant.

    The first (outermost) acquisition in a process takes an OS lock on ``<folder>/.lock`` and
    writes who holds it there; nested acquisitions by the same thread only count. Another process
    waits up to :data:`WRITE_WAIT_S` for it (a write takes milliseconds), then gets a clear
    :class:`~scribe.storage.StorageError` naming the holder, never a lost or interleaved write.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._rlock = threading.RLock()
        self._depth = 0
        self._file = FileLock(self.folder / ".lock", "locking the visit for writing")

    def acquire(self) -> bool:
        self._rlock.acquire()
        if self._depth == 0:
            try:
                if not self._file.acquire(timeout=WRITE_WAIT_S):
                    who = describe_owner(self._file.read_owner())
                    raise StorageError(
                        f"This visit is open for writing in another Scribe process ({who}); nothing was changed. "
                        "Close it there (or wait for that task to finish) and try again."
                    )
                self._file.write_owner({**this_process(), "since": time.time()})
            except BaseException:
                self._rlock.release()
                raise
        self._depth += 1
        return True

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._file.release()
        self._rlock.release()

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


def describe_owner(owner: dict) -> str:
    """``pid 123 on host ward-pc`` from what a lock holder recorded."""
    if not owner:
        return "another program"
    return f"pid {owner.get('pid', '?')} on {owner.get('host') or 'this computer'}"


def folder_lock(folder: Path) -> FolderLock:
    """The lock of one folder (every Visit/OutboxStore object on it in this process shares it)."""
    key = str(Path(folder).resolve())
    with _guard:
        lock = _folder_locks.get(key)
        if lock is None:
            lock = _folder_locks[key] = FolderLock(Path(folder))
        return lock


def writer_active(folder: Path) -> bool:
    """True while an AudioWriter of this process has the folder's audio open."""
    with _guard:
        return str(Path(folder).resolve()) in _open_writers


def set_writer_active(folder: Path, active: bool, lock: FileLock | None = None) -> None:
    """Register (with the recording's OS lock) or unregister (releasing it) an open AudioWriter."""
    key = str(Path(folder).resolve())
    with _guard:
        if active:
            _open_writers[key] = lock
            return
        held = _open_writers.pop(key, None)
    if held is not None:
        held.release()


# --------------------------------------------------------------------------- process liveness


def process_start_time(pid: int) -> float | None:
    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.Error, OSError, ValueError):
        return None


def this_process() -> dict[str, Any]:
    """What a lock holder records about itself (for the "open in pid … on …" message)."""
    pid = os.getpid()
    return {"pid": pid, "started": process_start_time(pid), "host": socket.gethostname()}


# --------------------------------------------------------------------------- OS file lock


def _try_lock(fd: int) -> bool:
    """One non-blocking attempt at the OS lock on ``fd``."""
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


class FileLock:
    """An exclusive, non-blocking OS file lock (released by the OS if the process dies)."""

    def __init__(self, path: Path, doing: str = "taking a lock"):
        self.path = path
        self.doing = doing  # for the error message: what the lock is for
        self._fd: int | None = None

    def acquire(self, timeout: float | None = None) -> bool:
        """Take the lock; False if another process holds it (after waiting up to ``timeout`` seconds).

        Waiting is a blocking OS lock request made on a helper thread, so a waiter is woken the
        moment the holder lets go (polling would let a busy holder take it again and again and
        starve the others); past the timeout the helper gives the lock straight back when it gets it.
        """
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise storage_error(exc, self.doing, self.path) from exc
        if _try_lock(fd):
            self._fd = fd
            return True
        if not timeout:
            os.close(fd)
            return False
        if sys.platform == "win32":  # msvcrt has no unbounded blocking lock: poll
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                time.sleep(0.005)
                if _try_lock(fd):
                    self._fd = fd
                    return True
            os.close(fd)
            return False
        import fcntl

        done = threading.Event()
        state = {"ok": False, "abandoned": False}
        guard = threading.Lock()

        def wait_for_it() -> None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError:
                with guard:
                    if state["abandoned"]:
                        os.close(fd)
                done.set()
                return
            with guard:
                if state["abandoned"]:  # the caller gave up: hand the lock straight back
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    os.close(fd)
                    return
                state["ok"] = True
            done.set()

        threading.Thread(target=wait_for_it, name="scribe-file-lock", daemon=True).start()
        done.wait(timeout)
        with guard:
            if state["ok"]:
                self._fd = fd
                return True
            state["abandoned"] = True
        return False

    @property
    def held(self) -> bool:
        return self._fd is not None

    def write_owner(self, info: dict) -> None:
        """Record who holds the lock (pid, host) inside the lock file, for the "open in …" message."""
        if self._fd is None:
            return
        data = json.dumps(info).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0) if hasattr(os, "pwrite") else os.write(self._fd, data)

    def read_owner(self) -> dict:
        """What the current holder recorded (``{}`` if nothing readable)."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return {}
        try:
            raw = os.read(fd, 4096)
        except OSError:  # Windows: the holder's byte range is locked against reading
            raw = b""
        finally:
            os.close(fd)
        try:
            value = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

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
