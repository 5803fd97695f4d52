"""Objects the worker-process tests host in a child (``Spec(..., sys_path=(TESTS,))``).

They are about the process boundary (streaming, cancelling, crashing), not about models: the real
runtimes cross the same boundary in tests/test_workers.py and the UI tests.
"""

from __future__ import annotations

import ctypes
import json
import os
import time
from pathlib import Path

from fake_runtime import FakeRuntime

from scribe.errors import DraftingError


def null_dereference() -> None:
    """Crash as llama.cpp did on the NULL grammar: a read at address 0, a synchronous SIGSEGV in this
    thread (``os.kill`` would deliver it to whichever thread, possibly after this one had answered)."""
    ctypes.string_at(0)


NOTE = {
    "subjective": [{"text": "The patient reports a dry cough for three days.", "evidence": [1]}],
    "objective": [{"text": "Lungs are clear.", "evidence": [2]}],
    "assessment": [{"text": "Viral upper respiratory infection.", "evidence": [3]}],
    "plan": [{"text": "Rest and fluids; return if fever.", "evidence": [3]}],
    # the drafter's questions read only the fields they ask for
    "history_of_present_illness": ["The patient reports a dry cough for three days."],
    "assessment_and_plan": [
        {"problem": "Viral upper respiratory infection", "assessment": "", "plan": ["Rest and fluids."]}
    ],
}


class SlowLLM(FakeRuntime):
    """Streams a fixed answer a few characters at a time, ``delay_s`` apart, and keeps count of what
    it did so the parent can ask (through quick calls)."""

    name = "slow"
    model_name = "slow-fake"
    supports_constrained_json = True

    def __init__(self, delay_s: float = 0.02, context_window: int = 4096, n_threads: int = 2, crash_flag: str = ""):
        super().__init__(context_window=context_window)
        self.delay_s = delay_s
        self.n_threads = n_threads
        self.crash_flag = crash_flag  # while this file exists, every stream crashes the process
        self.threads = n_threads
        self.threads_seen: list[int] = []
        self.produced = 0
        self.closed_streams = 0
        self.count_calls = 0
        self.warmed: list[int] = []
        self.loaded = False

    def load(self, progress=None) -> None:
        if progress:
            progress(0.0, "loading slow-fake")
        self.loaded = True
        if progress:
            progress(1.0, "slow-fake ready")

    def count_tokens(self, text: str) -> int:
        self.count_calls += 1
        return len(text.split())

    def warm(self, messages) -> None:
        self.warmed.append(sum(len(m["content"].split()) for m in messages))

    def cached_tokens(self) -> int:
        return self.warmed[-1] if self.warmed else 0

    def set_threads(self, n) -> None:
        self.threads = n or self.n_threads

    def stats(self) -> dict:
        return {
            "produced": self.produced,
            "closed_streams": self.closed_streams,
            "count_calls": self.count_calls,
            "threads_seen": self.threads_seen,
            "threads": self.threads,
            "pid": os.getpid(),
        }

    def _answer(self, messages, json_schema) -> str:
        prompt = messages[-1]["content"]
        if "fail with a drafting error" in prompt:
            raise DraftingError("The model cannot process this chat (scripted).")
        if "fail with a value error" in prompt:
            raise ValueError("Requested tokens exceed context window of 4096")
        keys = list((json_schema or {}).get("properties", {})) or list(NOTE)
        return json.dumps({k: NOTE.get(k, []) for k in keys})

    def stream_chat(self, messages, *, json_schema=None, max_tokens=1024, temperature=0.0, stop=None):
        text = self._answer(messages, json_schema)
        try:
            for i in range(0, len(text), 4):
                if self.crash_flag and Path(self.crash_flag).exists():
                    null_dereference()
                time.sleep(self.delay_s)
                self.produced += 1
                self.threads_seen.append(self.threads)
                yield text[i : i + 4]
        finally:
            self.closed_streams += 1

    def chat(self, messages, **kw) -> str:
        return "".join(self.stream_chat(messages, **kw))

    def exit_now(self, status: int = 3) -> None:
        os._exit(status)

    def close(self) -> None:
        pass


class BrokenModel:
    """Refuses to be built, as a runtime with a corrupt model file does."""

    def __init__(self):
        from scribe.errors import ModelError

        raise ModelError("Language model file broken.gguf is not a GGUF file (corrupt or wrong format).")


class CrashingEngine:
    """A speech recogniser whose every window crashes the process while ``crash_flag`` exists, and
    otherwise hears one fixed sentence per window (for the app's recognition-crash test)."""

    def __init__(self, model=None, settings=None, crash_flag: str = "", **_):
        self.crash_flag = crash_flag

    def load_and_describe(self, progress=None) -> dict:
        return {"hotwords": "", "model_path": None}

    def decode_window_list(self, audio, offset: float = 0.0, first_id: int = 0, **_) -> list:
        from scribe.domain import Segment

        if Path(self.crash_flag).exists():
            null_dereference()
        seconds = len(audio) / 16000
        return [
            Segment(id=first_id, start=offset, end=offset + min(seconds, 2.0), text="The patient reports a dry cough.")
        ]

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def correct_and_report(self, audio, offset: float, segments: list, context=None, after=None) -> tuple[list, list]:
        if Path(self.crash_flag).exists():
            null_dereference()
        return segments, []  # the fixed sentence has no term to correct
