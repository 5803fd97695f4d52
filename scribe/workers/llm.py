"""A language-model runtime in a worker process, with the :class:`LLMRuntime` interface.

The child builds the real runtime (llama.cpp or transformers) from a :class:`~scribe.workers.process.Spec`;
the parent keeps an unloaded copy of it for what it knows without the model (name, threads, the
configured context). The KV cache, and so the prefix :meth:`warm` prefills, lives in the child.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from ..errors import DraftingCrashed, ModelCrashError
from .process import Spec, WorkerProcess

log = logging.getLogger(__name__)

_COUNT_CACHE = 8192  # texts whose token count is remembered (the rolling note counts each line again and again)


def _crashed(how: str) -> DraftingCrashed:
    return DraftingCrashed(
        f"The language model's process stopped ({how}) while writing; nothing else was affected, and drafting "
        "again starts a fresh one."
    )


class ProcessRuntime:
    """Proxy for a runtime hosted by :mod:`scribe.workers.host`; the same interface, other process."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self._local = spec.build()  # unloaded: constructing a runtime loads nothing
        self.name: str = self._local.name
        self.model_name: str = self._local.model_name
        self.supports_constrained_json: bool = bool(self._local.supports_constrained_json)
        self.n_threads: int = getattr(self._local, "n_threads", 1)
        self._want_threads: int | None = None
        self._window: int | None = None
        self._counts: OrderedDict[str, int] = OrderedDict()
        self._counts_lock = threading.Lock()  # the rolling note counts on one thread, the draft on another
        self.worker = WorkerProcess("llm", spec, _crashed, on_start=self._started)

    def _started(self, worker: WorkerProcess) -> None:
        if self._want_threads is not None:
            worker.call("set_threads", self._want_threads, quick=True)

    def __repr__(self) -> str:
        return f"<ProcessRuntime {self.name} {self.model_name!r} pid={self.worker.pid}>"

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The worker process's id while it runs."""
        return self.worker.pid

    # -- interface ----------------------------------------------------------------------------

    def load(self, progress=None) -> None:
        self.worker.call("load", progress=progress or (lambda *_: None))
        self._window = self.worker.call(".context_window", quick=True)

    @property
    def context_window(self) -> int:
        return self._window if self._window is not None else self._local.context_window

    def count_tokens(self, text: str) -> int:
        """Counted in the child once per text (a round trip), then remembered here."""
        with self._counts_lock:
            n = self._counts.get(text)
            if n is not None:
                self._counts.move_to_end(text)
                return n
        n = self._retrying("count_tokens", text)
        with self._counts_lock:
            self._counts[text] = n
            if len(self._counts) > _COUNT_CACHE:
                self._counts.popitem(last=False)
        return n

    def _retrying(self, method: str, *args: Any) -> Any:
        """An idempotent call: once more on a fresh process if the first one died under it."""
        try:
            return self.worker.call(method, *args, quick=method == "count_tokens")
        except ModelCrashError as exc:
            log.warning("%s: the language model's process died (%s); asking a fresh one", method, exc)
            return self.worker.call(method, *args, quick=method == "count_tokens")

    def stream_chat(self, messages: list[dict], **kw: Any) -> Iterator[str]:
        """The child runtime's ``stream_chat`` (``json_schema``, ``max_tokens``, ``temperature``, ``stop``),
        pulled piece by piece; closing this generator cancels the request there."""
        yield from self.worker.stream("stream_chat", messages, **kw)

    def chat(self, messages: list[dict], **kw: Any) -> str:
        return "".join(self.stream_chat(messages, **kw))

    def warm(self, messages: list[dict]) -> None:
        self._retrying("warm", messages)

    def set_threads(self, n: int | None) -> None:
        """Applied by the child between tokens, even mid-answer (and again after a restart)."""
        self._want_threads = n
        self.worker.notify("set_threads", n)

    def free_threads(self) -> int:
        """Measured here: the cores other programs keep busy (this process tree's own work aside)."""
        from ..threads import free_cores

        return free_cores(self.n_threads)

    def cached_tokens(self) -> int:
        """Tokens in the child's KV cache (0 when it has none): shows the warm prefix survives."""
        return self.worker.call("cached_tokens", quick=True)

    def close(self) -> None:
        """Stop the worker process (its memory is freed at once); a later call starts a new one."""
        self.worker.close()
        self._window = None
