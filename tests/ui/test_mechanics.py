"""UI mechanics: buttons, shortcuts, banners, dialogs, locking.

Tests marked "UI mechanics only" use a fake speech model and/or a fake language model so they
run in seconds; they check what the widgets do with what the core returns, not the core
itself (the whole-visit test and the core's own tests do that with real models). Everything
else here is real: the visit store, the recorder, the replayed audio, grounding and approval.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from scribe.domain import Encounter, Segment, SpeakerRole, Transcript
from scribe.recording import FileReplaySource
from scribe.settings import Settings
from scribe.storage import VisitStore

from .conftest import (
    FakeASR,
    FakeRuntime,
    FakeStreamingTranscriber,
    click_line,
    close_message_boxes,
    message_boxes,
    start_visit,
    wait_for_note,
)

TRANSCRIPT = Transcript(
    segments=[
        Segment(
            id=0, start=0.6, end=2.9, text="What medications are you taking right now?", speaker=SpeakerRole.clinician
        ),
        Segment(
            id=1,
            start=3.4,
            end=9.8,
            text="I take lisinopril ten milligrams once a day and metformin five hundred milligrams twice a day.",
            speaker=SpeakerRole.patient,
        ),
        Segment(id=2, start=10.3, end=12.0, text="Any allergies to medications?", speaker=SpeakerRole.clinician),
        Segment(id=3, start=12.5, end=14.6, text="Yes, I'm allergic to penicillin.", speaker=SpeakerRole.patient),
        Segment(
            id=4,
            start=15.1,
            end=24.0,
            text="Your blood pressure today is 148 over 92, so I'm going to increase the "
            "lisinopril to 20 milligrams daily.",
            speaker=SpeakerRole.clinician,
        ),
    ],
    duration=24.5,
    source="audio.wav",
)

# the fake model's answer to every question the drafter asks (each question reads the fields it asked for):
# a history of two sentences, a blood pressure, one problem with its plan (warfarin was never said)
NOTE_JSON = json.dumps(
    {
        "history_of_present_illness": [
            "Takes lisinopril 10 mg once daily and metformin 500 mg twice daily.",
            "Allergic to penicillin.",
        ],
        "vital_signs": ["Blood pressure 148/92."],
        "assessment_and_plan": [
            {
                "problem": "Blood pressure above goal",
                "assessment": "",
                "plan": ["Increase lisinopril to 20 mg daily.", "Start warfarin 5 mg daily."],
            }
        ],
    }
)


def fast_settings(**kw) -> Settings:
    return Settings(asr_model="tiny.en", llm_model="smollm2-135m", **kw)


def visit_with_transcript(store: VisitStore, name="Ahmed Khan", mrn="MRN-7"):
    visit = store.create(
        Encounter(patient_name=name, patient_id=mrn, clinician="dr.test"), actor="dr.test", state="recorded"
    )
    visit.save_transcript(TRANSCRIPT)
    return visit


def open_in_list(qtbot, win, encounter_id: str) -> None:
    qtbot.waitUntil(lambda: win.visits.item_for(encounter_id) is not None, timeout=5000)
    item = win.visits.item_for(encounter_id)
    rect = win.visits.list.visualItemRect(item)
    qtbot.mouseClick(win.visits.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert win.visits.list.currentItem() is item
    qtbot.keyClick(win.visits.list, Qt.Key.Key_Return)  # Enter opens the selected visit
    qtbot.waitUntil(lambda: win.session is not None and win.session.visit.encounter_id == encounter_id, timeout=5000)


# --------------------------------------------------------------------------- new visit


def test_new_visit_needs_consent_unless_policy_turns_it_off(qtbot, make_window):
    """UI mechanics only (no model is used)."""
    win = make_window(fast_settings())
    session = start_visit(qtbot, win)  # asserts Start is disabled until consent is ticked
    audit = [e["action"] for e in session.visit.audit_log()]
    assert "consent" in audit
    assert win.windowTitle().startswith("Maria Lopez")

    win2 = make_window(fast_settings(require_consent=False))
    qtbot.mouseClick(win2.visits.new_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(win2, "_new_dialog", None) is not None and win2._new_dialog.isVisible())
    dlg = win2._new_dialog
    assert not dlg.consent.isVisible()
    qtbot.keyClicks(dlg.patient_name, "John Doe")
    qtbot.keyClicks(dlg.mrn, "123")
    assert dlg.ok_button.isEnabled()
    dlg.reject()


def test_window_opens_before_models_load_and_shows_progress(qtbot, tmp_path):
    """UI mechanics only: the loaders are fakes that take a moment and report progress."""
    from scribe.ui.app import build_window
    from scribe.ui.models import ModelHub

    def slow(kind):
        def load(settings, progress):
            for i in range(5):
                progress(i / 5, f"loading {kind}")
                time.sleep(0.1)
            return kind

        return load

    s = fast_settings(data_dir=str(tmp_path / "d"))
    hub = ModelHub(s, asr_loader=slow("asr"), llm_loader=slow("llm"))
    win = build_window(
        QApplication.instance(), s, store=VisitStore(tmp_path / "v"), models=hub, list_devices=lambda: []
    )
    qtbot.addWidget(win)
    win.show()
    t0 = time.monotonic()
    hub.load()
    assert time.monotonic() - t0 < 0.2, "load() returns at once"
    qtbot.waitUntil(lambda: win.model_progress.isVisible(), timeout=3000)
    assert "loading" in win.asr_status.text()
    qtbot.waitUntil(lambda: "ready" in win.llm_status.text(), timeout=10000)
    assert "ready" in win.asr_status.text()
    qtbot.waitUntil(lambda: not win.model_progress.isVisible(), timeout=3000)


# --------------------------------------------------------------------------- recording


def test_record_pause_resume_stop_with_shortcuts(qtbot, make_window, speech_clip):
    """UI mechanics only: fake speech model and fake language model (real recorder and storage)."""
    win = make_window(
        fast_settings(),
        asr=FakeASR(),
        llm=FakeRuntime(NOTE_JSON),
        source_factory=lambda dev: FileReplaySource(speech_clip, realtime=True),
        make_transcriber=FakeStreamingTranscriber,
    )
    session = start_visit(qtbot, win)
    page = win.page
    shortcut = QKeySequence("Ctrl+Shift+R")
    assert win.record_action.shortcut() == shortcut
    win.record_action.trigger()  # what Ctrl+Shift+R does, from anywhere in the app
    qtbot.waitUntil(lambda: page.recording.indicator.text == "RECORDING", timeout=5000)
    qtbot.waitUntil(lambda: session.elapsed > 2.5, timeout=10000)
    qtbot.waitUntil(lambda: len(page.transcript.segment_ids) >= 1, timeout=10000)
    assert "Clinician" not in page.transcript.plain_text()  # fake segments have no speaker
    assert "00:00" in page.transcript.plain_text()

    win.record_action.trigger()  # pause
    qtbot.waitUntil(lambda: page.recording.indicator.text == "PAUSED", timeout=5000)
    assert page.recording.pause_button.text() == "Resume"
    qtbot.wait(300)
    paused_at = session.elapsed
    qtbot.wait(700)
    assert session.elapsed == pytest.approx(paused_at, abs=0.11), "paused audio is not recorded"

    qtbot.mouseClick(page.recording.pause_button, Qt.MouseButton.LeftButton)  # resume
    qtbot.waitUntil(lambda: page.recording.indicator.text == "RECORDING", timeout=5000)
    qtbot.waitUntil(lambda: session.elapsed > paused_at + 1.0, timeout=10000)

    win.stop_action.trigger()  # Ctrl+Shift+E
    wait_for_note(qtbot, win, timeout=30000)
    assert page.recording.indicator.text == "RECORDED"
    assert not page.recording.stop_button.isEnabled()
    assert session.visit.audio_seconds() == pytest.approx(session.elapsed, abs=0.6)
    actions = [e["action"] for e in session.visit.audit_log()]
    assert "recording_paused" in actions and "recording_resumed" in actions


def test_small_talk_is_refused_and_the_banner_says_so_not_interrupted(qtbot, make_window, speech_clip):
    """UI mechanics only: a fake recogniser that hears small talk. The gate refuses it with a message; the
    visit stays "recorded" with its transcript, and its banner (also when reopened) says why there is no
    draft and offers to transcribe again, instead of claiming the recording was interrupted."""
    win = make_window(
        fast_settings(),
        asr=FakeASR(),
        llm=FakeRuntime(NOTE_JSON),
        source_factory=lambda dev: FileReplaySource(speech_clip, realtime=True),
        make_transcriber=lambda engine: FakeStreamingTranscriber(engine, "Lovely weather today, did you park nearby?"),
    )
    session = start_visit(qtbot, win)
    page = win.page
    win.record_action.trigger()
    qtbot.waitUntil(lambda: len(page.transcript.segment_ids) >= 1, timeout=10000)
    win.stop_action.trigger()
    qtbot.waitUntil(lambda: bool(message_boxes()), timeout=30000)
    assert any("No clinical conversation was recorded" in t for t in close_message_boxes())
    qtbot.waitUntil(lambda: page.info_banner.isVisible(), timeout=5000)
    banner = page.info_banner.label.text()
    assert banner.startswith("No clinical conversation was recorded") and "no note was drafted" in banner
    assert "interrupted" not in banner and page.info_button.text() == "Transcribe again"
    assert session.note is None and session.visit.load_transcript() is not None
    # nothing else on the page still promises a note
    assert page.editor.status_label.text() == "No note was drafted: no clinical conversation was recorded."
    assert "no note was drafted" in page.recording.done_label.text()
    assert page.transcript_status.text() in ("1 passage", "2 passages")  # (the fake recogniser: one per 2 s)
    assert win.statusBar().currentMessage() == "No clinical conversation was recorded."
    encounter_id = session.visit.encounter_id
    win.open_visit(encounter_id)  # reopened from the list: the same banner, read from the stored transcript
    qtbot.waitUntil(lambda: page.info_banner.isVisible(), timeout=5000)
    assert page.info_banner.label.text().startswith("No clinical conversation was recorded")
    start_visit(qtbot, win, "Bo Chen", "MRN-0043")  # the next patient's page does not carry this visit's banner
    qtbot.waitUntil(lambda: win.session.visit.encounter_id != encounter_id, timeout=10000)
    assert page.title.text() == "Bo Chen" and not page.info_banner.isVisible()


class PreviewingTranscriber(FakeStreamingTranscriber):
    """UI mechanics only: finals every 6 s of audio; a preview of the open tail in between."""

    def feed(self, chunk):
        self.fed += len(chunk) / 16000
        out = []
        while self.fed - self.emitted >= 6.0:
            out.append(
                Segment(
                    id=self.next,
                    start=self.emitted,
                    end=self.emitted + 6.0,
                    text=f"Final passage {self.next}. The cough started three days ago.",
                )
            )
            self.next += 1
            self.emitted += 6.0
        return out

    def preview(self):
        if self.fed - self.emitted < 0.5:
            return None
        return [
            Segment(id=self.next, start=self.emitted, end=self.fed, text=f"still talking {self.fed - self.emitted:.1f}")
        ]


def test_live_preview_shows_words_before_they_are_final(qtbot, make_window, speech_clip):
    """UI mechanics only: the not-yet-final tail shows in grey italics and gives way to final text."""
    settings = fast_settings()
    settings.asr_live_preview_s = 0.5
    win = make_window(
        settings,
        asr=FakeASR(),
        llm=FakeRuntime(NOTE_JSON),
        source_factory=lambda dev: FileReplaySource(speech_clip, realtime=True),
        make_transcriber=PreviewingTranscriber,
    )
    start_visit(qtbot, win)
    page = win.page
    view = page.transcript
    qtbot.mouseClick(page.recording.record_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "still talking" in view.plain_text(), timeout=10000)
    assert view.segment_ids == []  # seen before anything is final
    cursor = view.document().find("still talking")
    assert cursor.charFormat().fontItalic()
    assert cursor.charFormat().foreground().color() != view.palette().text().color()
    qtbot.waitUntil(lambda: len(view.segment_ids) >= 1, timeout=15000)
    text = view.plain_text()
    assert "Final passage 0." in text
    assert text.count("still talking") <= 1  # replaced, never stacked
    qtbot.waitUntil(lambda: text != view.plain_text() and "still talking" in view.plain_text(), timeout=10000)
    assert view.plain_text().index("Final passage 0.") < view.plain_text().index("still talking")
    qtbot.mouseClick(page.recording.stop_button, Qt.MouseButton.LeftButton)
    wait_for_note(qtbot, win, timeout=30000)
    assert "still talking" not in view.plain_text() and view.preview_text == ""
    assert view.segment_ids == [s.id for s in win.session.transcript.segments]


def test_lost_microphone_banner_continue_with_another(qtbot, make_window, speech_clip):
    """UI mechanics only: fake speech/language models; the recorder, replay source and storage are real."""
    opened = []

    def factory(device):
        opened.append(device)
        # the first microphone "dies" after 1.5 s of audio; the spare one works
        return FileReplaySource(speech_clip, realtime=True, fail_after=1.5 if len(opened) == 1 else None)

    win = make_window(
        fast_settings(),
        asr=FakeASR(),
        llm=FakeRuntime(NOTE_JSON),
        source_factory=factory,
        make_transcriber=FakeStreamingTranscriber,
    )
    session = start_visit(qtbot, win)
    page = win.page
    qtbot.waitUntil(lambda: page.recording.microphones.count() == 2, timeout=5000)
    assert page.recording.microphones.current_device() == "Replay microphone"
    qtbot.mouseClick(page.recording.record_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.device_banner.isVisible(), timeout=10000)
    assert "Microphone disconnected" in page.device_banner.label.text()
    assert "saved" in page.device_banner.label.text()
    assert page.recording.indicator.text == "MIC LOST"
    lost_at = session.elapsed
    assert lost_at == pytest.approx(1.5, abs=0.2)

    mics = page.banner_mics
    qtbot.waitUntil(lambda: mics.count() == 2, timeout=5000)
    mics.setCurrentIndex(mics.findData("Spare USB microphone"))
    qtbot.mouseClick(page.continue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.recording.indicator.text == "RECORDING", timeout=5000)
    assert not page.device_banner.isVisible()
    assert opened == ["Replay microphone", "Spare USB microphone"]
    qtbot.waitUntil(lambda: session.elapsed > lost_at + 1.0, timeout=10000)
    qtbot.mouseClick(page.recording.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: session.recorder_state == "done", timeout=10000)
    assert session.visit.audio_seconds() == pytest.approx(session.elapsed, abs=0.3), "nothing recorded was lost"
    assert session.visit.audio_seconds() > lost_at + 1.0
    actions = [e["action"] for e in session.visit.audit_log()]
    assert "device_lost" in actions and "source_switched" in actions


# --------------------------------------------------------------------------- review


def test_streamed_draft_flags_edit_undo_confirm_and_lock(qtbot, make_window, tmp_path):
    """UI mechanics only: the language model is a fake that always writes NOTE_JSON (one
    statement of it, warfarin, is not in the transcript). Grounding and approval are the real core."""
    store = VisitStore(tmp_path / "visits")
    visit = visit_with_transcript(store)
    llm = FakeRuntime(NOTE_JSON, delay=0.01)
    win = make_window(fast_settings(), asr=FakeASR(), llm=llm, store=store)
    open_in_list(qtbot, win, visit.encounter_id)
    page = win.page
    session = win.session
    assert page.transcript.segment_ids == [0, 1, 2, 3, 4]
    assert "Patient: I take lisinopril" in page.transcript.plain_text()
    assert page.info_banner.isVisible() and page.info_button.text() == "Draft note"

    streamed = []
    session.draft_statement.connect(lambda k, st: streamed.append(k))
    qtbot.mouseClick(page.info_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.editor.streaming, timeout=5000)
    assert all(ed.isReadOnly() for ed in page.editor.sections.values()), "no typing into a note being written"
    wait_for_note(qtbot, win, timeout=20000)
    assert streamed[:2] == ["subjective", "subjective"] and "plan" in streamed
    assert page.state_chip.text().strip() == "Draft – to review"

    plan = page.editor.sections["plan"]
    warfarin = next(s for s in session.note.statements() if "warfarin" in s.text)
    assert warfarin.status.value == "unsupported"
    line = plan.line_of(warfarin.id)
    assert plan.marked_lines()[line] == "unsupported"
    assert not page.approve_button.isEnabled()
    assert "1 to review" in page.flag_count.text()

    # hovering the line explains why
    from scribe.ui.note_editor import status_tooltip

    tip = status_tooltip(plan.line_info(line), plan.starts)
    assert "warfarin" in tip and "Not supported" in tip

    # selecting a supported statement highlights its evidence
    click_line(qtbot, plan, 0)
    assert page.transcript.highlighted == [4]
    assert page.editor.inspector.play_button.isEnabled()
    assert "00:15" in page.editor.inspector.label.text()

    # edit the flagged line into something the transcript supports -> no longer flagged
    click_line(qtbot, plan, line)
    assert page.editor.inspector.confirm_button.isEnabled()
    cur = plan.textCursor()
    cur.select(cur.SelectionType.LineUnderCursor)
    plan.setTextCursor(cur)
    qtbot.keyClicks(plan, "Allergic to penicillin; avoid penicillins.")
    qtbot.waitUntil(lambda: not session.note.unresolved(), timeout=5000)
    assert page.approve_button.isEnabled()
    assert any("avoid penicillins" in s.text for s in session.note.statements())
    assert any(
        e.action in ("edited", "added") and "avoid penicillins" in e.detail and e.actor == session.clinician
        for e in session.note.events
    )

    # undo brings the flagged text back (and the flag)
    plan.setFocus()
    qtbot.keySequence(plan, QKeySequence.StandardKey.Undo)
    qtbot.waitUntil(lambda: "warfarin" in plan.toPlainText(), timeout=3000)
    qtbot.waitUntil(lambda: len(session.note.unresolved()) == 1, timeout=5000)
    assert not page.approve_button.isEnabled()
    qtbot.keySequence(plan, QKeySequence.StandardKey.Redo)
    qtbot.waitUntil(lambda: not session.note.unresolved(), timeout=5000)
    qtbot.keySequence(plan, QKeySequence.StandardKey.Undo)
    qtbot.waitUntil(lambda: len(session.note.unresolved()) == 1, timeout=5000)

    # F8 goes to the flagged statement; Ctrl+Shift+C confirms it
    page.editor.go_to_next_flagged()
    assert page.editor.current_info().status == "unsupported"
    qtbot.mouseClick(page.editor.inspector.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.approve_button.isEnabled(), timeout=3000)
    flagged_id = next(s.id for s in session.note.statements() if "warfarin" in s.text)
    assert plan.marked_lines()[plan.line_of(flagged_id)] == "confirmed"

    # approve through the dialog; everything is read-only afterwards
    qtbot.mouseClick(page.approve_button, Qt.MouseButton.LeftButton)
    dlg = page._approval_dialog
    qtbot.waitUntil(dlg.isVisible)
    assert dlg.approver.text() == "dr.test"
    qtbot.mouseClick(dlg.agree, Qt.MouseButton.LeftButton, pos=QPoint(8, dlg.agree.height() // 2))
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.editor.locked, timeout=5000)
    before = plan.toPlainText()
    plan.setFocus()
    qtbot.keyClicks(plan, "tampering")
    assert plan.toPlainText() == before
    assert not page.editor.inspector.confirm_button.isEnabled()
    assert session.visit.load_note().is_approved
    assert [v.version for v in session.visit.note_versions()][-1] == session.note.version


def test_one_confirmation_of_a_corrected_drug_clears_its_flag_on_every_statement(qtbot, make_window, tmp_path):
    """Whisper heard "met for me"; Scribe's term correction wrote metformin. Both statements naming it
    are flagged "listen to the recording"; the physician listens once and confirms one of them, and
    the other stops blocking approval but keeps the hint. (The model is a fake; grounding, approval
    and the editor are real.)"""
    from scribe.domain import Word

    heard = [
        ("I", None),
        ("take", None),
        ("metformin", "met for me"),
        ("five", None),
        ("hundred", None),
        ("milligrams", None),
        ("twice", None),
        ("a", None),
        ("day.", None),
    ]
    words = [Word(start=3.4 + i * 0.5, end=3.8 + i * 0.5, word=w, original=o) for i, (w, o) in enumerate(heard)]
    transcript = Transcript(
        segments=[
            Segment(id=0, start=0.6, end=2.9, text="What medications are you taking?", speaker=SpeakerRole.clinician),
            Segment(
                id=1, start=3.4, end=8.0, text=" ".join(w for w, _ in heard), speaker=SpeakerRole.patient, words=words
            ),
            Segment(id=2, start=8.5, end=11.0, text="Keep taking it twice a day.", speaker=SpeakerRole.clinician),
        ],
        duration=11.5,
        source="audio.wav",
    )
    store = VisitStore(tmp_path / "visits")
    visit = store.create(
        Encounter(patient_name="Ahmed Khan", patient_id="MRN-7", clinician="dr.test"), actor="dr.test", state="recorded"
    )
    visit.save_transcript(transcript)
    answer = json.dumps(
        {
            "history_of_present_illness": ["Takes metformin 500 mg twice a day."],
            "assessment_and_plan": [
                {"problem": "Diabetes", "assessment": "", "plan": ["Continue metformin 500 mg twice a day."]}
            ],
        }
    )
    win = make_window(fast_settings(), asr=FakeASR(), llm=FakeRuntime(answer, delay=0.0), store=store)
    open_in_list(qtbot, win, visit.encounter_id)
    page, session = win.page, win.session
    qtbot.mouseClick(page.info_button, Qt.MouseButton.LeftButton)
    wait_for_note(qtbot, win, timeout=20000)
    flagged = [s for s in session.note.statements() if "metformin" in s.text.lower()]
    assert len(flagged) == 2 and all(s.status.value == "unsupported" for s in flagged)
    assert all(any(i.kind == "corrected" for i in s.issues) for s in flagged)
    assert not page.approve_button.isEnabled()

    page.editor.go_to_next_flagged()
    first = page.editor.current_info()
    assert first.status == "unsupported" and "listen to the recording" in page.editor.inspector.label.text()
    qtbot.mouseClick(page.editor.inspector.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not session.note.unresolved(), timeout=5000)
    qtbot.waitUntil(page.approve_button.isEnabled, timeout=3000)
    by_id = {s.id: s for s in session.note.statements()}
    other = next(s for s in flagged if s.id != first.id)
    assert by_id[first.id].status.value == "confirmed"
    assert by_id[other.id].status.value == "supported"
    (hint,) = [i for i in by_id[other.id].issues if i.kind == "corrected"]
    assert hint.severity.value == "review" and "confirmed it was said" in hint.detail
    section = next(ed for ed in page.editor.sections.values() if ed.line_of(other.id) >= 0)
    assert section.marked_lines()[section.line_of(other.id)] != "unsupported"  # the gutter agrees
    assert [(e.action, e.actor, e.detail) for e in session.note.events][-1] == (
        "term_confirmed",
        "dr.test",
        "metformin",
    )


def test_redraft_failure_shows_message_and_retry(qtbot, make_window, tmp_path):
    """UI mechanics only: a fake language model that answers garbage (the core's DraftingError)."""
    store = VisitStore(tmp_path / "visits")
    visit = visit_with_transcript(store)
    win = make_window(fast_settings(), asr=FakeASR(), llm=FakeRuntime("this is not json at all"), store=store)
    open_in_list(qtbot, win, visit.encounter_id)
    qtbot.mouseClick(win.page.info_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(message_boxes()), timeout=20000)
    texts = close_message_boxes()
    assert any("language model" in t for t in texts), texts
    assert win.page.info_banner.isVisible() and win.page.info_button.text() == "Retry"
    assert win.session.note is None


def test_reopen_visits_from_list(qtbot, make_window, tmp_path):
    """UI mechanics only (no model is used): the list shows state; double-click reopens."""
    store = VisitStore(tmp_path / "visits")
    a = visit_with_transcript(store, "Ana Silva", "A-1")
    b = visit_with_transcript(store, "Bo Chen", "B-2")
    win = make_window(fast_settings(), store=store)
    qtbot.waitUntil(lambda: win.visits.item_for(b.encounter_id) is not None, timeout=5000)
    assert "Recorded" in win.visits.item_for(a.encounter_id).text()
    assert win.visits.list.item(0).text() == "TODAY"
    open_in_list(qtbot, win, a.encounter_id)
    assert win.page.title.text() == "Ana Silva"
    win.session.message.emit("Note approved and signed by dr.test; it is locked.")
    assert win.statusBar().currentMessage().startswith("Note approved")
    open_in_list(qtbot, win, b.encounter_id)
    assert win.page.title.text() == "Bo Chen"
    assert win.statusBar().currentMessage() == ""  # the last patient's news is not shown over this one
    assert "penicillin" in win.page.transcript.plain_text()
    qtbot.keyClicks(win.visits.filter, "ana")
    assert win.visits.item_for(b.encounter_id) is None and win.visits.item_for(a.encounter_id) is not None


# --------------------------------------------------------------------------- crash recovery

CRASH = r"""
import os, signal, sys, time
import numpy as np
from scribe.domain import Encounter
from scribe.storage import VisitStore
store = VisitStore(sys.argv[1])
visit = store.create(Encounter(encounter_id="enc-crash", patient_name="Crash Test", patient_id="C-1"), state="recording")
w = visit.open_audio_writer(16000, flush_interval=0.2)
t = np.arange(16000 * 3) / 16000
w.write((0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32))
w.flush()
print("written", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_crash_recovery_prompt_at_launch(qtbot, make_window, tmp_path):
    """UI mechanics only for the transcript (fake speech model); the crash, the store's
    recovery and the audio are real: a child process is killed while it records."""
    root = tmp_path / "visits"
    proc = subprocess.run(
        [sys.executable, "-c", CRASH, str(root)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=str(Path(__file__).resolve().parents[2]),
    )
    assert "written" in proc.stdout, proc.stderr
    store = VisitStore(root)
    assert [r.encounter_id for r in store.recoverable()] == ["enc-crash"]

    win = make_window(
        fast_settings(),
        asr=FakeASR(),
        llm=FakeRuntime(NOTE_JSON),
        store=store,
        make_transcriber=FakeStreamingTranscriber,
    )
    win.check_recovery()  # what the app does right after the window appears
    qtbot.waitUntil(
        lambda: getattr(win, "_recovery_dialog", None) is not None and win._recovery_dialog.isVisible(), timeout=5000
    )
    dlg = win._recovery_dialog
    assert "Crash Test" in dlg.list.item(0).text()
    qtbot.mouseClick(dlg.recover_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.session is not None and win.session.visit.encounter_id == "enc-crash", timeout=10000)
    page = win.page
    assert store.open("enc-crash").audio_seconds() == pytest.approx(3.0, abs=0.01)
    qtbot.waitUntil(lambda: page.info_banner.isVisible(), timeout=5000)
    assert page.info_button.text() == "Transcribe and draft note"
    assert page.state_chip.text().strip() == "Interrupted"
    qtbot.mouseClick(page.info_button, Qt.MouseButton.LeftButton)
    wait_for_note(qtbot, win, timeout=30000)
    assert len(page.transcript.segment_ids) == 1  # the fake recogniser: one segment per 2 s
    assert not store.recoverable()


# --------------------------------------------------------------------------- settings, theme


def test_settings_dialog_locked_by_policy_and_saved(qtbot, make_window, tmp_path, monkeypatch):
    """UI mechanics only (no model is used)."""
    from scribe.settings import load_settings

    policy = tmp_path / "policy.toml"
    policy.write_text('llm_model = "qwen2.5-coder-1.5b"\nrequire_consent = true\n')
    monkeypatch.setenv("SCRIBE_POLICY", str(policy))
    settings = load_settings()
    assert "llm_model" in settings.locked
    win = make_window(settings)
    win.settings_action.trigger()
    qtbot.waitUntil(lambda: getattr(win, "_settings_dialog", None) is not None and win._settings_dialog.isVisible())
    dlg = win._settings_dialog
    assert not dlg.llm_model.isEnabled() and "organisation" in dlg.llm_model.toolTip()
    assert not dlg.require_consent.isEnabled()
    assert dlg.asr_model.isEnabled()
    qtbot.waitUntil(lambda: dlg.packs.item(0, 3).text() != "checking…", timeout=5000)
    names = [dlg.packs.item(r, 0).text() for r in range(dlg.packs.rowCount())]
    assert "smollm2-135m" in names and "MB" in dlg.packs.item(0, 2).text()
    i = dlg.template.findData("progress")
    assert i >= 0
    dlg.template.setCurrentIndex(i)
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert not dlg.isVisible()
    saved = Path(os.environ["SCRIBE_SETTINGS"]).read_text()
    assert 'template = "progress"' in saved and "llm_model" not in saved
    assert load_settings().template == "progress"


def test_default_microphone_is_a_setting_it_can_lock(qtbot, make_window, tmp_path, monkeypatch):
    """UI mechanics only: the microphone comes from the settings layer, so policy can set and lock it."""
    from scribe.settings import load_settings

    win = make_window(load_settings())
    win.settings_action.trigger()
    qtbot.waitUntil(lambda: getattr(win, "_settings_dialog", None) is not None and win._settings_dialog.isVisible())
    dlg = win._settings_dialog
    assert dlg.microphone.isEnabled()
    chosen = "Spare USB microphone"
    qtbot.waitUntil(lambda: dlg.microphone.findData(chosen) >= 0, timeout=5000)
    dlg.microphone.setCurrentIndex(dlg.microphone.findData(chosen))
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert load_settings().microphone == chosen
    qtbot.waitUntil(lambda: win.page.recording.microphones.current_device() == chosen, timeout=5000)

    policy = tmp_path / "policy.toml"
    policy.write_text(f'microphone = "{chosen}"\n')
    monkeypatch.setenv("SCRIBE_POLICY", str(policy))
    locked = load_settings()
    win2 = make_window(locked)
    qtbot.waitUntil(lambda: win2.page.recording.microphones.current_device() == chosen, timeout=5000)
    win2.settings_action.trigger()
    qtbot.waitUntil(lambda: getattr(win2, "_settings_dialog", None) is not None and win2._settings_dialog.isVisible())
    assert not win2._settings_dialog.microphone.isEnabled()
    win2._settings_dialog.reject()


def test_theme_toggle_light_dark(qtbot, make_window):
    """UI mechanics only (no model is used)."""
    from scribe.ui import theme

    win = make_window(fast_settings())
    win.theme.set_mode("light")
    light = QApplication.palette().window().color().lightness()
    assert not theme.colors().dark
    win.theme.toggle()
    assert theme.colors().dark
    assert QApplication.palette().window().color().lightness() < light
    win.theme.set_mode("light")


# --------------------------------------------------------------------------- drafting during the visit


class RecordingRuntime(FakeRuntime):
    """The fake model, keeping the prompts it was asked to warm and to answer."""

    def __init__(self):
        super().__init__(NOTE_JSON)  # (FakeRuntime records warm_prompts and prompts)


def test_stop_drafts_from_the_state_kept_warm_during_the_visit(qtbot, make_window, speech_clip):
    """UI mechanics only (fake speech and language models): while recording, the session keeps the
    prompt warm on a timer; at Stop the first request extends the last warmed prompt, so a real
    model only prefills the tail (tests/test_incremental.py checks that with llama.cpp)."""

    llm = RecordingRuntime()
    win = make_window(
        fast_settings(),
        asr=FakeASR(),
        llm=llm,
        source_factory=lambda dev: FileReplaySource(speech_clip, realtime=True, speed=2.0),
        make_transcriber=FakeStreamingTranscriber,
        warm_interval_s=0.3,
    )
    session = start_visit(qtbot, win)
    win.record_action.trigger()
    qtbot.waitUntil(lambda: len(llm.warm_prompts) >= 2, timeout=20000)
    assert not llm.prompts  # nothing drafted before Stop: the visit is short, only warmed
    win.stop_action.trigger()
    wait_for_note(qtbot, win, timeout=30000)
    last_warm, first_stop = llm.warm_prompts[-1], llm.prompts[0]
    assert first_stop.startswith(last_warm) and len(first_stop) > len(last_warm)
    assert session.workflow.live_drafter is None  # used up; a re-draft starts from scratch
    assert session.note.statements()


def test_stop_shows_the_rolling_sections_at_once_and_drafts_only_the_rest(qtbot, make_window, speech_clip, monkeypatch):
    """UI mechanics only (fake models): the history, medications, review of systems and exam are asked
    during the visit; at Stop the sections they make up are on screen while the recogniser finishes,
    and only the assessment and plan (and follow-up) are asked for. Nothing is shown twice."""
    from scribe.drafting import incremental

    monkeypatch.setitem(incremental.LiveDrafter.__init__.__kwdefaults__, "refresh_tokens", 20)

    class Sectioned(RecordingRuntime):
        supports_constrained_json = True

        session = None
        after_stop: list[bool] = []  # per request: asked after Stop was pressed

        def stream_chat(self, messages, **kw):
            live = self.session.workflow.live_drafter
            self.after_stop.append(
                live is None or live._abort
            )  # (the session hands its LiveDrafter to the draft at Stop)
            time.sleep(1.5)  # an answer takes longer than a segment (1 s here): lines are finalised meanwhile
            yield from super().stream_chat(messages, **kw)

        @property
        def asked(self) -> list[str]:  # the question each request's last line asks
            from scribe.drafting.questions import questions_for
            from scribe.drafting.templates import get_template

            questions = questions_for(get_template("soap"))
            return [next((q.key for q in questions if q.text in p), "?") for p in self.prompts]

    llm = Sectioned()
    win = make_window(
        fast_settings(),
        asr=FakeASR(),
        llm=llm,
        source_factory=lambda dev: FileReplaySource(speech_clip, realtime=True, speed=2.0),
        make_transcriber=lambda engine: FakeStreamingTranscriber(
            engine, text="The patient reports a dry cough and a fever; her blood pressure is fine."
        ),  # a visit long enough to be judged by its clinical words (scribe.asr.content)
        warm_interval_s=0.3,
    )
    session = llm.session = start_visit(qtbot, win)
    started: list[list] = []
    streamed: list[str] = []
    session.draft_started.connect(started.append)
    session.draft_statement.connect(lambda key, st: streamed.append(key))
    win.record_action.trigger()
    qtbot.waitUntil(
        lambda: (
            session.workflow.live_drafter is not None
            and set(session.workflow.live_drafter.answers) == {q.key for q in session.workflow.live_drafter.rolling}
        ),
        timeout=30000,
    )
    # the lines finalised while a section was drafted were warmed by that same update (offered by the session)
    qtbot.waitUntil(lambda: session.workflow.live_drafter.stats.caught_up >= 1, timeout=20000)
    win.stop_action.trigger()
    wait_for_note(qtbot, win, timeout=30000)
    assert len(started) == 1  # the rolling sections were not cleared and streamed again
    assert streamed.count("subjective") == 2 and streamed.index("subjective") < streamed.index("plan")
    stop_requests = [section for section, after in zip(llm.asked, llm.after_stop) if after]
    assert stop_requests[0] == "assessment_plan" and "hpi" not in stop_requests
    editor = win.page.editor
    assert editor.sections["subjective"].lines() == [
        "Takes lisinopril 10 mg once daily and metformin 500 mg twice daily.",
        "Allergic to penicillin.",
    ]
    from scribe.textnorm import normalise

    # the fake model's blood pressure is kept only if the recognised transcript has it (it is the last line)
    said_bp = "148" in normalise(session.transcript.text)
    assert [s.key for s in session.note.sections if s.statements] == (
        ["subjective", "objective", "assessment", "plan"] if said_bp else ["subjective", "assessment", "plan"]
    )
