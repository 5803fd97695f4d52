"""Small pieces of the UI layer on their own: BackgroundOp, the ASR worker thread (the line diff the
editor uses is tested in tests/test_note_lines.py).

No model is used; the worker test feeds a stand-in recogniser (UI mechanics only).
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from scribe.errors import ApprovalError

from .conftest import FakeStreamingTranscriber, close_message_boxes, message_boxes


def test_background_op_success_progress_and_errors(qtbot):
    from scribe.ui.ops import BackgroundOp

    seen, threads = [], []

    def work(ctx):
        threads.append(threading.current_thread())
        for i in range(3):
            ctx.progress(i / 3, f"step {i}")
        return 42

    done = []
    op = BackgroundOp(work, on_success=done.append, on_progress=seen.append, name="t")
    op.start()
    qtbot.waitUntil(lambda: done == [42], timeout=5000)
    assert threads[0] is not threading.main_thread(), "the work ran off the UI thread"
    assert [m for _, m in seen] == ["step 0", "step 1", "step 2"]

    # a ScribeError is shown verbatim; anything else as a short generic message
    for exc, expect in (
        (ApprovalError("Approve the note first."), "Approve the note first."),
        (ZeroDivisionError("boom"), "Something went wrong inside Scribe"),
    ):

        def fail(_ctx, exc=exc):
            raise exc

        BackgroundOp(fail, name="f").start()
        qtbot.waitUntil(lambda: bool(message_boxes()), timeout=5000)
        texts = close_message_boxes()
        assert any(expect in t for t in texts), texts
        assert not any("boom" in t and "Traceback" in t for t in texts)


def test_background_op_can_be_cancelled(qtbot):
    from scribe.ui.ops import BackgroundOp

    steps = []

    def work(ctx):
        while not ctx.cancelled:
            steps.append(1)
            time.sleep(0.01)
        return "stopped"

    out = []
    op = BackgroundOp(work, on_success=out.append).start()
    qtbot.waitUntil(lambda: len(steps) > 2, timeout=3000)
    op.cancel()
    qtbot.waitUntil(lambda: out == ["stopped"], timeout=3000)


def test_transcription_worker_streams_segments_from_its_own_thread(qtbot):
    """UI mechanics only: a stand-in recogniser that emits one segment per 2 s of audio."""
    from scribe.ui.workers import TranscriptionWorker, WorkerThread

    ready = threading.Event()

    def provider(timeout):
        if not ready.wait(timeout if timeout is not None else 10):
            raise RuntimeError("still loading")
        return object()

    worker = TranscriptionWorker(provider, FakeStreamingTranscriber)
    got, waited, finished = [], [], []
    worker.segments_ready.connect(got.extend)
    worker.waiting_for_model.connect(lambda: waited.append(1))
    worker.finished.connect(finished.append)
    thread = WorkerThread(worker, "test-asr")
    thread.start()
    for _ in range(50):  # 5 s of audio in 100 ms chunks, pushed before the model is ready
        worker.push(np.zeros(1600, dtype=np.float32))
    qtbot.waitUntil(lambda: bool(waited), timeout=3000)
    ready.set()
    qtbot.waitUntil(lambda: len(got) == 2, timeout=5000)
    worker.end()
    qtbot.waitUntil(lambda: bool(finished), timeout=5000)
    qtbot.waitUntil(lambda: not thread.is_running(), timeout=5000)
    assert [s.start for s in got] == [0.0, 2.0]
    assert worker.fed_seconds == pytest.approx(5.0)


def test_a_burst_of_streamed_statements_is_laid_out_once_per_section(qtbot, monkeypatch):
    """At Stop the rolling note arrives as a burst; laying out each statement on its own stalled the UI."""
    from scribe.domain import Statement
    from scribe.ui.note_editor import NoteEditor, SectionEdit

    editor = NoteEditor()
    qtbot.addWidget(editor)
    editor.begin_stream([("subjective", "Subjective"), ("plan", "Plan")])
    formats = []
    real = SectionEdit._format_blocks
    monkeypatch.setattr(SectionEdit, "_format_blocks", lambda self: (formats.append(self.key), real(self))[1])
    for i in range(60):
        editor.stream_statement("subjective" if i < 40 else "plan", Statement(text=f"Statement {i}."))
    assert formats == []  # nothing laid out yet: the burst is collected first
    qtbot.waitUntil(lambda: len(editor.sections["plan"].lines()) == 20, timeout=2000)
    assert editor.sections["subjective"].lines() == [f"Statement {i}." for i in range(40)]
    assert formats == ["subjective", "plan"]
    editor.stream_statement("plan", Statement(text="Late statement."))
    qtbot.waitUntil(lambda: editor.sections["plan"].lines()[-1] == "Late statement.", timeout=2000)
    assert len(editor.sections["plan"].lines()) == 21
