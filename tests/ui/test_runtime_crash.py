"""A native crash in a model runtime leaves the app up and the visit intact (issue 11).

The language model and the speech recogniser run in worker processes (scribe.workers). Here the
worker is killed mid-draft (SIGSEGV as llama.cpp's NULL grammar did, and SIGKILL), or the recogniser
crashes on every window: the window stays up, the recording and the transcript on disk are whole,
the banner offers Retry, and Retry finishes the job with a fresh process.

The models in the workers are scripted (tests/worker_fakes.py) so the crash comes at a known
moment; everything else is real: the proxies, the pipes, the recorder, the store, the session.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from scribe.recording import FileReplaySource
from scribe.settings import Settings
from scribe.workers.llm import ProcessRuntime
from scribe.workers.process import Spec

from .conftest import (
    FakeASR,
    FakeRuntime,
    FakeStreamingTranscriber,
    close_message_boxes,
    message_boxes,
    start_visit,
    wait_for_note,
)

TESTS = str(Path(__file__).resolve().parents[1])
NOTE_JSON = '{"history_of_present_illness": ["The patient reports a dry cough."]}'  # every question reads its fields


def settings() -> Settings:
    return Settings(asr_model="tiny.en", llm_model="smollm2-135m")


def replay(speech_clip):
    return lambda _device: FileReplaySource(speech_clip, realtime=True, speed=4.0)


def record_and_stop(qtbot, win):
    session = start_visit(qtbot, win)
    page = win.page
    qtbot.waitUntil(lambda: page.recording.record_button.isEnabled(), timeout=5000)
    qtbot.mouseClick(page.recording.record_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.recording.indicator.text == "RECORDING", timeout=10000)
    qtbot.waitUntil(lambda: session.elapsed > 4.0, timeout=20000)
    qtbot.mouseClick(page.recording.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.recording.indicator.text == "RECORDED", timeout=10000)
    return session


@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGKILL], ids=["SIGSEGV", "SIGKILL"])
def test_language_model_killed_mid_draft_then_retry(qtbot, make_window, speech_clip, sig):
    llm = ProcessRuntime(Spec("worker_fakes", "SlowLLM", (), {"delay_s": 0.05}, sys_path=(TESTS,)))
    llm.load()
    try:
        win = make_window(
            settings(),
            asr=FakeASR(),
            llm=llm,
            source_factory=replay(speech_clip),
            make_transcriber=FakeStreamingTranscriber,
            autosave_s=0,
        )
        statements = []
        session = record_and_stop(qtbot, win)
        session.draft_statement.connect(lambda key, st: statements.append(st.text))
        page, visit = win.page, session.visit
        qtbot.waitUntil(lambda: bool(statements), timeout=60000)  # the note is streaming in
        first = llm.pid
        llm.worker.kill(sig)

        qtbot.waitUntil(lambda: page.info_banner.isVisible(), timeout=60000)
        banner = page.info_banner.label.text()
        assert banner.startswith("Drafting failed") and sig.name in banner, banner
        assert page.info_button.text() == "Retry"
        assert any(sig.name in t for t in close_message_boxes())
        assert win.isVisible() and session.note is None and not session.drafting
        # the visit on disk is whole: every second of audio, the transcript the app shows
        assert visit.has_audio() and visit.audio_seconds() == pytest.approx(session.elapsed, abs=0.6)
        saved = visit.load_transcript()
        assert saved is not None and [s.text for s in saved.segments] == [s.text for s in session.segments]
        assert len(saved.segments) >= 2

        qtbot.mouseClick(page.info_button, Qt.MouseButton.LeftButton)  # Retry
        wait_for_note(qtbot, win, timeout=60000)
        assert not message_boxes() and not page.info_banner.isVisible()
        assert llm.pid not in (None, first)  # a fresh process drafted it
        assert "dry cough" in page.editor.text()
        assert visit.load_note() is not None and visit.load_note().statements()

        # the physician edits; the model process dies while idle: nothing they see changes
        plan = page.editor.sections["plan"]
        plan.setFocus()
        plan.moveCursor(plan.textCursor().MoveOperation.End)
        qtbot.keyClicks(plan, "Follow up in one week.")
        qtbot.waitUntil(lambda: any("one week" in s.text for s in session.note.statements()), timeout=5000)
        assert session.dirty
        llm.worker.kill(signal.SIGSEGV)
        qtbot.wait(500)
        QApplication.processEvents()
        assert win.isVisible() and "Follow up in one week." in page.editor.text() and session.dirty
        session.save_if_dirty()
        qtbot.waitUntil(lambda: any("one week" in s.text for s in visit.load_note().statements()), timeout=5000)
    finally:
        llm.close()


def test_recogniser_crashing_on_every_window_then_retry(qtbot, make_window, speech_clip, tmp_path):
    from scribe.workers.asr import ProcessASREngine

    flag = tmp_path / "crash-asr"
    flag.touch()
    asr = ProcessASREngine("tiny.en", settings())
    asr.worker.spec = Spec("worker_fakes", "CrashingEngine", (), {"crash_flag": str(flag)}, sys_path=(TESTS,))
    try:
        win = make_window(settings(), asr=asr, llm=FakeRuntime(NOTE_JSON), source_factory=replay(speech_clip))
        page = win.page
        session = start_visit(qtbot, win)
        qtbot.waitUntil(lambda: page.recording.record_button.isEnabled(), timeout=5000)
        qtbot.mouseClick(page.recording.record_button, Qt.MouseButton.LeftButton)
        # the live preview's first window crashes the recogniser, twice: the recording goes on
        qtbot.waitUntil(lambda: page.info_banner.isVisible(), timeout=60000)
        banner = page.info_banner.label.text()
        assert banner.startswith("Transcription failed") and "SIGSEGV" in banner and "recording goes on" in banner
        assert not page.info_button.isEnabled()  # Retry once stopped
        assert any("SIGSEGV" in t for t in close_message_boxes())
        assert session.recorder_state == "recording" and win.isVisible()
        qtbot.waitUntil(lambda: session.elapsed > 5.0, timeout=20000)
        qtbot.mouseClick(page.recording.stop_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.recording.indicator.text == "RECORDED", timeout=10000)
        visit = session.visit
        qtbot.waitUntil(lambda: page.info_button.isEnabled(), timeout=10000)  # offers to transcribe the recording
        qtbot.waitUntil(lambda: visit.state == "transcribing", timeout=10000)
        assert visit.has_audio() and visit.audio_seconds() == pytest.approx(session.elapsed, abs=0.6)

        flag.unlink()  # whatever made it crash is gone
        qtbot.mouseClick(page.info_button, Qt.MouseButton.LeftButton)
        wait_for_note(qtbot, win, timeout=60000)
        saved = visit.load_transcript()
        assert saved is not None and saved.segments and saved.segments[0].text == "The patient reports a dry cough."
        assert "dry cough" in page.editor.text()
    finally:
        asr.close()
