"""Speech recognition in a worker process: a :class:`FasterWhisperEngine` whose decoding runs there.

The proxy wraps the engine from the outside: the child hosts a real engine built with the same
arguments, and this subclass forwards the calls that touch the model (:meth:`load`,
:meth:`decode_window`, :meth:`count_tokens`) while everything built on them — the streaming
transcriber, whole-file transcription, sentence splitting of what comes back — runs unchanged on
top. A window's audio goes to the child and its segments come back (~2 MB per 27 s window).

Decoding a window is a pure function of its inputs, so a window whose process died under it is
decoded once more by a fresh process (a process killed from outside, out of memory); a second death
on the same window is a :class:`~scribe.errors.RecognitionCrashed` for the caller.
"""

from __future__ import annotations

import logging
from typing import Any

from ..asr.engine import FasterWhisperEngine
from ..errors import ModelCrashError, RecognitionCrashed
from ..settings import Settings, load_settings
from .process import Spec, WorkerProcess

log = logging.getLogger(__name__)


def _crashed(how: str) -> RecognitionCrashed:
    return RecognitionCrashed(
        f"The speech recogniser's process stopped ({how}); the audio is kept, and transcribing it again starts "
        "a fresh one."
    )


class HostedEngine:
    """What the child hosts: a real engine, with its answers in a form that crosses the pipe."""

    def __init__(self, model: str | None, settings: Settings, **kwargs: Any):
        self.engine = FasterWhisperEngine(model, settings, **kwargs)

    def load_and_describe(self, progress=None) -> dict:
        self.engine.load(progress)
        return {"hotwords": self.engine.hotwords, "model_path": self.engine.model_path}

    def decode_window_list(self, audio, **kwargs: Any) -> list:
        return list(self.engine.decode_window(audio, **kwargs))

    def count_tokens(self, text: str) -> int:
        return self.engine.count_tokens(text)

    def score_texts(self, audio, requests: list) -> list:
        return self.engine.score_texts(audio, requests)

    def is_common_word(self, word: str) -> bool:
        return self.engine.is_common_word(word)

    def correct_and_report(
        self, audio, offset: float, segments: list, context: list | None = None, after: list | None = None
    ) -> tuple[list, list]:
        """The corrected segments and the corrections made (the parent keeps the running list)."""
        before = len(self.engine.corrections)
        out = self.engine.correct(audio, offset, segments, context or (), after or ())
        return out, self.engine.corrections[before:]


class ProcessASREngine(FasterWhisperEngine):
    """:class:`FasterWhisperEngine` with the model in a worker process (same constructor)."""

    def __init__(self, model: str | None = None, settings: Settings | None = None, **kwargs: Any):
        settings = settings or load_settings()
        super().__init__(model, settings, **kwargs)
        spec = Spec(__name__, "HostedEngine", (model, settings), kwargs)
        self.worker = WorkerProcess("asr", spec, _crashed)
        self._ready = False
        self._common_words: dict[str, bool] = {}

    @property
    def loaded(self) -> bool:
        return self._ready and self.worker.pid is not None

    @property
    def pid(self) -> int | None:
        return self.worker.pid

    def load(self, progress=None) -> None:
        with self._lock:
            if self.loaded:
                return
            info = self.worker.call("load_and_describe", progress=progress or (lambda *_: None))
            self.hotwords, self.model_path = info["hotwords"], info["model_path"]
            self._hotword_set = frozenset(t.strip().lower() for t in self.hotwords.split(",") if t.strip())
            self._ready = True

    def _twice(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.worker.call(method, *args, **kwargs)
        except ModelCrashError as exc:
            log.warning("the speech recogniser's process died (%s); decoding the window again in a fresh one", exc)
            return self.worker.call(method, *args, **kwargs)

    def count_tokens(self, text: str) -> int:
        return self._twice("count_tokens", text)

    def score_texts(self, audio, requests: list[tuple[str | None, list[str]]]) -> list[list[float]]:
        return self._twice("score_texts", audio, requests)

    def is_common_word(self, word: str) -> bool:
        with self._lock:
            known = self._common_words.get(word)
        if known is None:
            known = bool(self._twice("is_common_word", word))
            with self._lock:
                self._common_words[word] = known
        return known

    def correct(self, audio, offset: float, segments: list, context=(), after=()) -> list:
        """The child's term correction (:meth:`FasterWhisperEngine.correct`): one round trip per window,
        the term index and the scoring next to the model."""
        if not self.correct_terms or not segments:
            return segments
        self.load()
        out, changes = self._twice("correct_and_report", audio, offset, segments, list(context), list(after))
        self.corrections.extend(changes)
        return out

    def decode_window(self, audio, **kwargs: Any):
        """The child's :meth:`FasterWhisperEngine.decode_window`, all segments at once."""
        self.load()
        yield from self._twice("decode_window_list", audio, **kwargs)

    def close(self) -> None:
        self.worker.close()
        self._ready = False


def create_asr_engine(model: str | None = None, settings: Settings | None = None, **kwargs: Any) -> FasterWhisperEngine:
    """The speech recogniser the settings ask for: in a worker process (``isolate_models``, the
    default) or in this one."""
    settings = settings or load_settings()
    cls = ProcessASREngine if settings.isolate_models else FasterWhisperEngine
    return cls(model, settings, **kwargs)
