"""The parent's side of a worker process: start it, send requests, notice when it dies.

Protocol: length-prefixed pickles over the child's stdin (requests) and stdout (replies); the
child's stderr is read line by line into the log (its Python log records keep their level) and
its last lines are kept for a crash report. Requests carry an id; replies are routed by a reader
thread, so a quick request (``count_tokens``, ``set_threads``) is answered while a stream is
running. Streams are pulled: the child stays at most ``STREAM_AHEAD`` items ahead of the consumer,
so a consumer that pauses (the rolling note at Stop) pauses the model too, as it does in-process,
and closing the generator cancels the request in the child.

When the pipe ends, every request in flight fails with the crash error the owner chose (which
signal, from the exit status), and the next request starts a fresh child.
"""

from __future__ import annotations

import collections
import itertools
import logging
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import ModelCrashError

log = logging.getLogger(__name__)

STREAM_AHEAD = 2  # items a stream's child may produce before the consumer has taken them
_HEADER = struct.Struct("<Q")
LOG_PREFIX = "\x1elog\x1f"  # marks a child's log record on its stderr: prefix level \x1f name \x1f message


def write_frame(stream: BinaryIO, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def read_frame(stream: BinaryIO) -> Any:
    """The next object, or EOFError when the other side has gone."""
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError
    (n,) = _HEADER.unpack(head)
    data = stream.read(n)
    if len(data) < n:
        raise EOFError
    return pickle.loads(data)


@dataclass
class Spec:
    """How the child builds the object it hosts: ``module.qualname(*args, **kwargs)``. ``sys_path``
    entries are added first (tests host their fakes this way)."""

    module: str
    qualname: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    sys_path: tuple[str, ...] = ()

    def build(self) -> Any:
        import importlib

        for p in self.sys_path:
            if p not in sys.path:
                sys.path.insert(0, p)
        obj: Any = importlib.import_module(self.module)
        for part in self.qualname.split("."):
            obj = getattr(obj, part)
        return obj(*self.args, **self.kwargs)


def describe_exit(returncode: int | None) -> str:
    """``SIGSEGV, segmentation fault`` / ``exit status 3`` for a child's return code."""
    if returncode is None:
        return "no exit status"
    if returncode < 0:
        try:
            sig = signal.Signals(-returncode)
            text = (signal.strsignal(sig) or "").lower()
            return f"{sig.name}, {text}" if text else sig.name
        except ValueError:
            return f"signal {-returncode}"
    return f"exit status {returncode}"


class _Dead:
    """Put into the queue of every request in flight when the child goes away."""

    def __init__(self, error: BaseException):
        self.error = error


WORKER_FLAG = "--scribe-model-worker"


def worker_command(role: str) -> list[str]:
    """How to start a worker: ``python -m scribe.workers.host`` from a Python install; the frozen app
    (PyInstaller) has no ``-m``, so its own executable is started with :data:`WORKER_FLAG` and its entry
    point (packaging/pyinstaller/entry.py) turns into the worker host."""
    if getattr(sys, "frozen", False):
        return [sys.executable, WORKER_FLAG, role]
    return [sys.executable, "-m", "scribe.workers.host", role]


class _Child:
    """One running child process and its pipes (a fresh one replaces it after a crash)."""

    def __init__(self, role: str, spec: Spec, crash: Callable[[str], ModelCrashError]):
        self.role = role
        self.crash = crash
        env = dict(os.environ)
        # the child imports the same scribe as this process, however this process found it
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        env.setdefault("HF_HUB_OFFLINE", "1")
        self.proc = subprocess.Popen(
            worker_command(role),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        self.pid = self.proc.pid
        assert self.proc.stdin and self.proc.stdout and self.proc.stderr  # all three are PIPE
        self._stdin: BinaryIO = self.proc.stdin  # type: ignore[assignment]
        self._stdout: BinaryIO = self.proc.stdout  # type: ignore[assignment]
        self._stderr: BinaryIO = self.proc.stderr  # type: ignore[assignment]
        self._write_lock = threading.Lock()
        self._pending: dict[int, queue.SimpleQueue] = {}
        self._pending_lock = threading.Lock()
        self.error: ModelCrashError | None = None
        self.tail: collections.deque[str] = collections.deque(maxlen=40)
        self._stderr_done = threading.Event()
        self._death_reported = threading.Event()  # the reply reader has logged how the child ended
        self._closing = False
        threading.Thread(target=self._read_stderr, name=f"{role}-worker-stderr", daemon=True).start()
        self.ready: queue.SimpleQueue = queue.SimpleQueue()
        with self._pending_lock:
            self._pending[0] = self.ready  # the build's answer comes as request 0
        self._send(("build", 0, spec))
        threading.Thread(target=self._read_replies, name=f"{role}-worker-replies", daemon=True).start()

    # ---- pipes
    def _send(self, frame: tuple) -> None:
        if self.error is not None:
            raise self.error
        try:
            with self._write_lock:
                write_frame(self._stdin, frame)
        except (OSError, ValueError):  # broken pipe: the child died; say how (its exit status) if it did
            self._wait_dead()
            # the reply reader logs the death with the child's last output; the caller's error comes after it
            self._death_reported.wait(5)
            rc = self.proc.poll()
            raise self.error or self.crash(describe_exit(rc) if rc is not None else "its pipe closed") from None

    def _wait_dead(self) -> None:
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._stderr_done.wait(2)

    def _read_stderr(self) -> None:
        child_log = logging.getLogger(f"scribe.workers.{self.role}")
        for raw in iter(self._stderr.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if line.startswith(LOG_PREFIX):
                try:
                    level, name, message = line[len(LOG_PREFIX) :].split("\x1f", 2)
                    logging.getLogger(name).log(int(level), "%s", message.replace("\x1d", "\n"))
                    self.tail.append(message.replace("\x1d", "\n"))
                    continue
                except ValueError:
                    pass
            self.tail.append(line)
            child_log.debug("%s", line)
        self._stderr_done.set()

    def _read_replies(self) -> None:
        try:
            while True:
                kind, rid, payload = read_frame(self._stdout)
                with self._pending_lock:
                    q = self._pending.get(rid)
                if q is not None:
                    q.put((kind, payload))
        except Exception:  # EOF, or a torn frame from a dying child
            pass
        self._wait_dead()
        rc = self.proc.poll()
        how = describe_exit(rc)
        if self._closing:
            error = self.crash(f"it was closed ({how})")
        else:
            error = self.crash(how)
            tail = "\n".join(self.tail) or "(nothing)"
            log.error("The %s worker process (pid %s) ended: %s. Its last output:\n%s", self.role, self.pid, how, tail)
        self.error = error
        with self._pending_lock:
            pending, self._pending = list(self._pending.values()), {}
        self._death_reported.set()
        for q in pending:
            q.put(("dead", error))

    # ---- requests
    def open(self, rid: int) -> queue.SimpleQueue:
        q: queue.SimpleQueue = queue.SimpleQueue()
        with self._pending_lock:
            if self.error is not None:
                raise self.error
            self._pending[rid] = q
        return q

    def forget(self, rid: int) -> None:
        with self._pending_lock:
            self._pending.pop(rid, None)

    def send(self, frame: tuple) -> None:
        self._send(frame)

    @property
    def alive(self) -> bool:
        return self.error is None and self.proc.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the child to exit; kill it (by its pid) if it does not."""
        self._closing = True
        if self.proc.poll() is None:
            try:
                with self._write_lock:
                    write_frame(self._stdin, ("exit", -1, None))
            except (OSError, ValueError):
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pipe in (self._stdin, self._stdout, self._stderr):
            try:
                pipe.close()
            except OSError:
                pass


class WorkerProcess:
    """A child process hosting ``spec``'s object; restarted on the next request after a crash.

    ``crash(how)`` makes the error raised to requests in flight when the child dies (``how``
    names the signal or exit status). ``on_start(worker)`` runs after each (re)start, before the
    request that needed it (the LLM proxy restores its thread count there).
    """

    def __init__(
        self,
        role: str,
        spec: Spec,
        crash: Callable[[str], ModelCrashError],
        on_start: Callable[[WorkerProcess], None] | None = None,
    ):
        self.role = role
        self.spec = spec
        self.crash = crash
        self.on_start = on_start
        self._child: _Child | None = None
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self.starts = 0

    @property
    def pid(self) -> int | None:
        child = self._child
        return child.pid if child is not None and child.alive else None

    def _live(self) -> _Child:
        with self._lock:
            child = self._child
            if child is not None and child.alive:
                return child
            if child is not None:
                child.stop(timeout=1)
            child = self._child = _Child(self.role, self.spec, self.crash)
            kind, payload = child.ready.get()
            child.forget(0)
            if kind == "err":
                self._child = None
                child.stop(timeout=1)
                raise payload
            if kind == "dead":
                self._child = None
                raise payload
            self.starts += 1
            if self.on_start is not None:
                self.on_start(self)
            return child

    def _answer(self, child: _Child, q: queue.SimpleQueue, progress: Callable | None = None) -> Any:
        while True:
            kind, payload = q.get()
            if kind == "ok":
                return payload
            if kind == "progress" and progress is not None:
                progress(*payload)
                continue
            if kind in ("err", "dead"):
                raise payload

    def call(self, method: str, *args: Any, quick: bool = False, progress: Callable | None = None, **kwargs: Any):
        """Run ``method`` in the child and return its result (``quick``: on the child's side thread,
        next to a running stream; ``progress``: forwarded as ``progress=`` and reported here).
        ``".name"`` reads the attribute or property ``name`` instead."""
        child = self._live()
        rid = next(self._ids)
        q = child.open(rid)
        try:
            op = "quick" if quick else ("progress" if progress is not None else "call")
            child.send((op, rid, (method, args, kwargs)))
            return self._answer(child, q, progress)
        finally:
            child.forget(rid)

    def notify(self, method: str, *args: Any, **kwargs: Any) -> None:
        """Call ``method`` on the child's side thread without waiting (nothing if it is not running)."""
        child = self._child
        if child is not None and child.alive:
            try:
                child.send(("quick", 0, (method, args, kwargs)))
            except ModelCrashError:
                pass

    def stream(self, method: str, *args: Any, **kwargs: Any) -> Iterator[Any]:
        """Items of the generator ``method`` returns in the child, pulled one by one; closing this
        generator cancels the request there."""
        child = self._live()
        rid = next(self._ids)
        q = child.open(rid)
        finished = False
        try:
            child.send(("stream", rid, (method, args, kwargs)))
            while True:
                kind, payload = q.get()
                if kind == "item":
                    yield payload
                    child.send(("next", rid, None))
                elif kind == "end":
                    finished = True
                    return
                else:  # err / dead
                    finished = True
                    raise payload
        finally:
            child.forget(rid)
            if not finished and child.alive:
                try:
                    child.send(("cancel", rid, None))
                except ModelCrashError:
                    pass

    def close(self) -> None:
        with self._lock:
            child, self._child = self._child, None
        if child is not None:
            child.stop()

    def kill(self, sig: int | None = None) -> None:
        """Send ``sig`` (default SIGKILL) to the child: tests and benchmarks simulate crashes this way."""
        pid = self.pid
        if pid is not None:
            os.kill(pid, sig if sig is not None else getattr(signal, "SIGKILL", signal.SIGTERM))
