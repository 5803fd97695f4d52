"""The child's side: ``python -m scribe.workers.host ROLE`` hosts one object for the app.

Reads requests from stdin, answers on stdout (see :mod:`scribe.workers.process`). stdout is taken
over for the protocol at once and file descriptor 1 pointed at stderr, so whatever a native library
prints cannot corrupt a reply. Requests run one at a time on a worker thread, as they would hold
the runtime's lock in-process; ``quick`` ones (token counts, thread counts) run on a side thread
meanwhile. faulthandler writes the Python stack to stderr on a fatal signal, and the parent logs it.
The host exits when the parent asks or its stdin closes (the parent has gone).
"""

from __future__ import annotations

import faulthandler
import logging
import os
import queue
import sys
import threading
import traceback
from typing import Any

from .process import LOG_PREFIX, STREAM_AHEAD, read_frame, write_frame


class _LogToParent(logging.Handler):
    """One line per record, with its level and logger, for the parent to log again."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            msg = self.format(record).replace("\n", "\x1d")
            sys.stderr.write(f"{LOG_PREFIX}{record.levelno}\x1f{record.name}\x1f{msg}\n")
            sys.stderr.flush()
        except Exception:  # noqa: BLE001 - logging must never take the host down
            pass


class _Stream:
    """Credits and cancellation for one streamed request."""

    def __init__(self):
        self.credits = STREAM_AHEAD
        self.cancelled = False
        self.cond = threading.Condition()

    def take(self) -> bool:
        """Wait for a credit; False if the request was cancelled."""
        with self.cond:
            while self.credits <= 0 and not self.cancelled:
                self.cond.wait()
            self.credits -= 1
            return not self.cancelled

    def give(self) -> None:
        with self.cond:
            self.credits += 1
            self.cond.notify()

    def cancel(self) -> None:
        with self.cond:
            self.cancelled = True
            self.cond.notify()


class Host:
    def __init__(self, out):
        self.out = out
        self.obj: Any = None
        self._write_lock = threading.Lock()
        self._work: queue.SimpleQueue = queue.SimpleQueue()
        self._quick: queue.SimpleQueue = queue.SimpleQueue()
        self._streams: dict[int, _Stream] = {}

    def reply(self, kind: str, rid: int, payload: Any = None) -> None:
        with self._write_lock:
            try:
                write_frame(self.out, (kind, rid, payload))
            except (OSError, ValueError):
                os._exit(0)  # the parent has gone
            except Exception as exc:  # noqa: BLE001 - an unpicklable result or exception
                write_frame(self.out, ("err", rid, RuntimeError(f"{type(exc).__name__}: {exc}")))

    def fail(self, rid: int, exc: BaseException) -> None:
        logging.getLogger("scribe.workers.host").debug("request %s failed:\n%s", rid, traceback.format_exc())
        self.reply("err", rid, exc)

    # ---- threads
    def _run_work(self) -> None:
        while True:
            op, rid, body = self._work.get()
            if op == "build":
                try:
                    self.obj = body.build()
                    self.reply("ok", rid)
                except BaseException as exc:  # noqa: BLE001 - reported to the parent
                    self.fail(rid, exc)
            elif op == "stream":
                self._stream(rid, *body)
            elif op == "exit":
                return
            else:
                self._call(op, rid, *body)

    def _run_quick(self) -> None:
        while True:
            rid, body = self._quick.get()
            self._call("quick", rid, *body)

    def _call(self, op: str, rid: int, method: str, args: tuple, kwargs: dict) -> None:
        try:
            if op == "progress":
                kwargs = dict(kwargs, progress=lambda f, m: self.reply("progress", rid, (f, m)))
            if method.startswith("."):  # an attribute or property, read (".context_window")
                result = getattr(self.obj, method[1:])
            else:
                result = getattr(self.obj, method)(*args, **kwargs)
            if op != "quick" or rid:
                self.reply("ok", rid, result)
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            self.fail(rid, exc)

    def _stream(self, rid: int, method: str, args: tuple, kwargs: dict) -> None:
        state = self._streams[rid]
        gen = None
        try:
            gen = iter(getattr(self.obj, method)(*args, **kwargs))
            while state.take():
                try:
                    item = next(gen)
                except StopIteration:
                    break
                self.reply("item", rid, item)
            self.reply("end", rid)
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            self.fail(rid, exc)
        finally:
            if gen is not None and hasattr(gen, "close"):
                gen.close()  # a cancelled request releases the runtime now
            self._streams.pop(rid, None)

    # ---- main loop
    def serve(self, inp) -> None:
        work = threading.Thread(target=self._run_work, name="host-work", daemon=True)
        work.start()
        threading.Thread(target=self._run_quick, name="host-quick", daemon=True).start()
        while True:
            try:
                op, rid, body = read_frame(inp)
            except EOFError:
                break  # the parent has gone
            if op in ("call", "progress", "build"):
                self._work.put((op, rid, body))
            elif op == "stream":
                self._streams[rid] = _Stream()
                self._work.put((op, rid, body))
            elif op == "quick":
                self._quick.put((rid, body))
            elif op == "next":
                state = self._streams.get(rid)
                if state is not None:
                    state.give()
            elif op == "cancel":
                state = self._streams.get(rid)
                if state is not None:
                    state.cancel()
            elif op == "exit":
                for state in list(self._streams.values()):
                    state.cancel()
                self._work.put(("exit", rid, None))
                work.join(timeout=10)
                break
        close = getattr(self.obj, "close", None)
        if callable(close):
            try:
                close()
            except Exception:  # noqa: BLE001 - exiting anyway
                pass


def main(role: str | None = None) -> None:
    role = role or (sys.argv[1] if len(sys.argv) > 1 else "worker")
    inp = os.fdopen(os.dup(0), "rb")
    out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)  # stray prints (Python or native) go to stderr, never into the protocol
    sys.stdout = sys.stderr
    faulthandler.enable(all_threads=True)
    handler = _LogToParent()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("scribe.workers.host").debug("%s worker started (pid %s)", role, os.getpid())
    Host(out).serve(inp)
    sys.stderr.flush()
    os._exit(0)  # model threads may still be parked in native code: do not wait for them


if __name__ == "__main__":
    main()
