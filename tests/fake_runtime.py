"""The one fake language model of the test suite, checked against the runtime Protocol.

Tests about *mechanics* (streaming, parsing, retries, the visit workflow, the UI) need a model
that answers at once and says what they want. :class:`FakeRuntime` implements every member of
:class:`scribe.drafting.runtimes.LLMRuntime`; a test's own fake subclasses it and overrides
:meth:`FakeRuntime.answer` (what to say) or the one method whose behaviour it tests. mypy checks
this module against the Protocol (pyproject ``[tool.mypy] files``) and
``tests/test_fake_runtime.py`` checks that every fake in ``tests/`` derives from it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from scribe.drafting.runtimes import LLMRuntime, Progress


def prompt_text(messages: list[dict]) -> str:
    """A chat request as one text (what the fakes record and search)."""
    return "\n".join(m["content"] for m in messages)


class FakeRuntime:
    """Answers each request with the next scripted answer (the last one repeats), streamed in pieces.

    ``prompts`` and ``warm_prompts`` record every request's and warm call's messages (joined by
    newlines). ``count_tokens`` counts whitespace-separated words; a prompt plus ``max_tokens``
    over ``context_window`` raises ``ValueError`` as llama.cpp does.
    """

    name = "fake"
    model_name = "fake-llm"
    supports_constrained_json = False

    def __init__(self, answers: Iterable[str] = (), *, context_window: int = 8192, delay: float = 0.0, piece: int = 12):
        self.answers = list(answers)
        self._context_window = context_window
        self.delay = delay  # seconds before each piece (a slow model)
        self.piece = piece  # characters per streamed piece
        self.prompts: list[str] = []
        self.warm_prompts: list[str] = []
        self.calls = 0

    @property
    def context_window(self) -> int:
        return self._context_window

    @context_window.setter
    def context_window(self, value: int) -> None:
        self._context_window = value

    def load(self, progress: Progress | None = None) -> None:
        pass

    def answer(self, messages: list[dict], json_schema: dict | None) -> str:
        """What to say to this request (override to compute it)."""
        if not self.answers:
            raise AssertionError("the fake language model has no answer scripted for this request")
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def stream_chat(
        self,
        messages: list[dict],
        *,
        json_schema: dict | None = None,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        stop: list[str] | None = None,
    ) -> Iterator[str]:
        self.calls += 1
        prompt = prompt_text(messages)
        self.prompts.append(prompt)
        n = self.count_tokens(prompt)
        if n + max_tokens > self.context_window:  # as llama.cpp reports it
            raise ValueError(f"Requested tokens ({n + max_tokens}) exceed context window of {self.context_window}")
        text = self.answer(messages, json_schema)
        for i in range(0, len(text), self.piece):
            if self.delay:
                time.sleep(self.delay)
            yield text[i : i + self.piece]

    def chat(self, messages: list[dict], **kw: Any) -> str:
        return "".join(self.stream_chat(messages, **kw))

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def warm(self, messages: list[dict]) -> None:
        self.warm_prompts.append(prompt_text(messages))

    def close(self) -> None:
        pass


def _conforms(runtime: FakeRuntime) -> LLMRuntime:
    return runtime  # mypy: FakeRuntime has every member of the Protocol, with compatible types
