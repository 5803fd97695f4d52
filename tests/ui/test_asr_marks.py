"""What the app shows of the recogniser's own checks: corrected drug names marked in the transcript, and
no draft for a recording with no consultation in it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextCharFormat

from scribe.asr.content import NO_CLINICAL_CONVERSATION
from scribe.domain import Segment, SpeakerRole, Word
from scribe.recording import FileReplaySource
from scribe.ui import theme
from scribe.ui.transcript_view import TranscriptView, corrected_tooltip

from .conftest import close_message_boxes, message_boxes, start_visit


def _segment(seg_id, start, speaker, words, corrected=None):
    """A segment whose words at the positions in ``corrected`` replaced what was heard."""
    corrected = corrected or {}
    out, t = [], start
    for i, w in enumerate(words.split()):
        out.append(Word(start=t, end=t + 0.3, word=w, original=corrected.get(i)))
        t += 0.35
    return Segment(id=seg_id, start=start, end=t, text=" ".join(w.word for w in out), speaker=speaker, words=out)


def test_corrected_words_are_marked_with_what_was_heard(qtbot, tmp_path):
    view = TranscriptView()
    qtbot.addWidget(view)
    view.resize(760, 140)
    view.set_segments(
        [
            _segment(0, 75.8, SpeakerRole.clinician, "What are you taking right now?"),
            _segment(
                1,
                78.0,
                SpeakerRole.patient,
                "I take lisinopril 10 milligrams once a day and metformin 500 milligrams twice a day.",
                {2: "list of upro", 9: "met for me"},
            ),
            _segment(
                2,
                223.6,
                SpeakerRole.clinician,
                "I'm going to increase your lisinopril from 10 mg to 20 mg.",
                {5: "list in April"},
            ),
            _segment(3, 229.0, SpeakerRole.clinician, "Continue the atorvastatin 20 mg at night.", {2: "adornastatin"}),
        ]
    )
    view.show()
    qtbot.waitExposed(view)
    text = view.plain_text()
    assert "I take lisinopril 10 milligrams" in text and "list of upro" not in text
    assert view.corrected == [
        (1, "lisinopril", "list of upro"),
        (1, "metformin", "met for me"),
        (2, "lisinopril", "list in April"),
        (3, "atorvastatin", "adornastatin"),
    ]
    # the corrected word is underlined (dotted, accent colour) and its tooltip says what was heard
    doc = view.document()
    pos = text.index("atorvastatin") + 3
    cursor = view.textCursor()
    cursor.setPosition(pos)
    fmt = cursor.charFormat()
    assert fmt.underlineStyle() == QTextCharFormat.UnderlineStyle.DotLine
    assert fmt.underlineColor() == theme.colors().accent
    assert fmt.toolTip() == corrected_tooltip("adornastatin") and "adornastatin" in fmt.toolTip()
    cursor.setPosition(text.index("Continue") + 3)
    assert cursor.charFormat().underlineStyle() == QTextCharFormat.UnderlineStyle.NoUnderline
    assert not cursor.charFormat().toolTip()
    # hovering shows it: the tooltip under the word's on-screen position
    cursor.setPosition(pos)
    rect = view.cursorRect(cursor)
    assert "adornastatin" in view.tooltip_at(QPoint(rect.center().x(), rect.center().y()))
    assert doc.blockCount() == 4

    shot = view.grab()
    path = tmp_path / "transcript-corrected.png"
    assert shot.save(str(path)) and path.stat().st_size > 1000
    if os.environ.get("SCRIBE_SCREENSHOT_DIR"):
        shot.save(str(Path(os.environ["SCRIBE_SCREENSHOT_DIR"]) / "transcript-corrected.png"))


SMALL_TALK = [
    ("en-us", "Morning! Did you catch the game last night?"),
    ("en-us+f3", "I did, what a finish. We watched it at my brother's place with the kids."),
    ("en-us", "The weather was lovely on Saturday too. We went down to the beach for a walk."),
    ("en-us+f3", "Lucky you. We painted the fence and then had a barbecue with the neighbours."),
    ("en-us", "Shall we get a coffee later, around three, at the usual place?"),
    ("en-us+f3", "Sure, see you at three."),
]


@pytest.fixture(scope="module")
def small_talk_wav(tmp_path_factory) -> Path:
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        pytest.skip("espeak-ng and sox are needed to make the recording (apt-get install espeak-ng sox)")
    folder = tmp_path_factory.mktemp("small-talk")
    parts = []
    for i, (voice, text) in enumerate(SMALL_TALK):
        raw = folder / f"t{i}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "160", "-w", str(raw), text], check=True)
        part = folder / f"p{i}.wav"
        subprocess.run(
            ["sox", "-R", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(part), "pad", "0", "0.6"], check=True
        )
        parts.append(str(part))
    out = folder / "small_talk.wav"
    subprocess.run(["sox", "-R", *parts, str(out)], check=True)
    return out


@pytest.mark.slow
def test_small_talk_recording_gets_no_draft(qtbot, make_window, ui_model_settings, real_asr, real_llm, small_talk_wav):
    win = make_window(
        ui_model_settings,
        asr=real_asr,
        llm=real_llm,
        source_factory=lambda _device: FileReplaySource(small_talk_wav, realtime=False),
    )
    page = win.page
    session = start_visit(qtbot, win)
    qtbot.waitUntil(lambda: page.recording.record_button.isEnabled(), timeout=5000)
    qtbot.mouseClick(page.recording.record_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.recording.indicator.text == "RECORDING", timeout=10000)
    qtbot.wait(1500)
    qtbot.mouseClick(page.recording.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(message_boxes()), timeout=180000)
    texts = close_message_boxes()
    assert any(NO_CLINICAL_CONVERSATION in t for t in texts), texts
    assert any("no note was drafted" in t for t in texts), texts
    # the words were heard (this is a non-clinical chat, not silence), and nothing was drafted
    assert "game" in page.transcript.plain_text().lower() or "weather" in page.transcript.plain_text().lower()
    qtbot.wait(500)
    assert session.note is None and not session.drafting
