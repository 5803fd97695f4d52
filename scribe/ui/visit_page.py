"""The workspace for one visit: header, recording strip, transcript beside the note, actions.

It shows what the :class:`~scribe.ui.session.VisitSession` reports and forwards clicks to it.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..approval import blocking_statements
from ..errors import ScribeError
from ..workflow import NoteChange, RecorderPhase
from . import theme
from .dialogs import ApprovalDialog
from .export import default_export_name
from .note_editor import LineInfo, NoteEditor
from .omissions_panel import OmissionsPanel
from .ops import BackgroundOp, show_error
from .recording_panel import DONE_TEXT, MicrophoneCombo, RecordingPanel
from .session import VisitSession
from .settings_dialog import preferred_microphone
from .transcript_view import TranscriptView
from .visit_list import state_color, state_label

log = logging.getLogger(__name__)

EXPORT_DIR_KEY = "export/last_dir"


def _passages(n: int) -> str:
    return f"{n} passage" if n == 1 else f"{n} passages"


class Banner(QFrame):
    """A coloured strip with a message and actions (device lost, interrupted visit…)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("banner")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(12, 8, 12, 8)
        self.label = QLabel()
        self.label.setObjectName("bannerText")
        self.label.setWordWrap(True)
        lay.addWidget(self.label, 1)
        self.actions_layout = QHBoxLayout()
        lay.addLayout(self.actions_layout)
        self.hide()


class VisitPage(QWidget):
    closed_visit = Signal()
    visit_changed = Signal()  # state changed: refresh the visit list

    def __init__(self, ctx: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("visitPage")
        self.ctx = ctx
        self.session: VisitSession | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(14, 12, 14, 10)
        outer.setSpacing(10)

        # header
        head = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        self.title = QLabel("")
        self.title.setObjectName("pageTitle")
        self.subtitle = QLabel("")
        self.subtitle.setObjectName("muted")
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        head.addLayout(titles, 1)
        self.state_chip = QLabel("")
        self.state_chip.setObjectName("stateChip")
        head.addWidget(self.state_chip, 0, Qt.AlignmentFlag.AlignTop)
        outer.addLayout(head)

        # recording
        self.recording = RecordingPanel(ctx.list_devices)
        pref = preferred_microphone(ctx.settings)
        if pref:
            self.recording.microphones.set_preferred(pref)
        self.recording.record_requested.connect(self._record)
        self.recording.pause_requested.connect(lambda: self.session and self.session.pause())
        self.recording.stop_requested.connect(lambda: self.session and self.session.stop_recording())
        outer.addWidget(self.recording)

        # device lost
        self.device_banner = Banner()
        self.device_banner.setObjectName("banner")
        self.device_banner.label.setObjectName("deviceLostText")
        self.banner_mics = MicrophoneCombo(ctx.list_devices)
        self.banner_mics.setObjectName("bannerMicrophones")
        self.continue_button = QPushButton("Continue with this microphone")
        self.continue_button.setObjectName("continueButton")
        self.continue_button.clicked.connect(self._continue)
        self.banner_stop = QPushButton("Stop && draft with what was recorded")
        self.banner_stop.clicked.connect(lambda: self.session and self.session.stop_recording())
        for w in (self.banner_mics, self.continue_button, self.banner_stop):
            self.device_banner.actions_layout.addWidget(w)
        outer.addWidget(self.device_banner)

        # interrupted / not transcribed / draft failed
        self.info_banner = Banner()
        self.info_banner.setObjectName("banner")
        self.info_button = QPushButton("")
        self.info_button.setObjectName("infoBannerButton")
        self.info_button.clicked.connect(self._info_action)
        self.info_banner.actions_layout.addWidget(self.info_button)
        outer.addWidget(self.info_banner)

        # transcript | note
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 6, 0)
        t_head = QHBoxLayout()
        t_title = QLabel("Transcript")
        t_title.setObjectName("sectionTitle")
        t_head.addWidget(t_title)
        t_head.addStretch(1)
        self.transcript_status = QLabel("")
        self.transcript_status.setObjectName("muted")
        t_head.addWidget(self.transcript_status)
        lv.addLayout(t_head)
        self.transcript = TranscriptView()
        lv.addWidget(self.transcript, 1)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(6, 0, 0, 0)
        n_head = QHBoxLayout()
        self.note_title = QLabel("Note")
        self.note_title.setObjectName("sectionTitle")
        n_head.addWidget(self.note_title)
        n_head.addStretch(1)
        self.flag_count = QLabel("")
        self.flag_count.setObjectName("flagCount")
        n_head.addWidget(self.flag_count)
        rv.addLayout(n_head)
        self.editor = NoteEditor()
        rv.addWidget(self.editor, 1)
        self.omissions = OmissionsPanel()
        self.omissions.setObjectName("omissionsPanel")
        self.omissions.hide()
        self.omissions.add_requested.connect(lambda fact: self.session and self.session.add_fact(fact))
        self.omissions.segments_requested.connect(self.transcript.highlight)
        rv.addWidget(self.omissions)
        self._omission_gen = 0

        actions = QHBoxLayout()
        self.lock_label = QLabel("")
        self.lock_label.setObjectName("lockLabel")
        self.lock_label.setWordWrap(True)
        actions.addWidget(self.lock_label, 1)
        self.redraft_button = QPushButton("Redraft")
        self.redraft_button.setObjectName("redraftButton")
        self.redraft_button.setToolTip("Write the note again from the transcript (your edits are discarded)")
        self.redraft_button.clicked.connect(self._redraft)
        self.amend_button = QPushButton("Amend")
        self.amend_button.setObjectName("amendButton")
        self.amend_button.setToolTip("Start a new version of the approved note")
        self.amend_button.clicked.connect(self._amend)
        self.approve_button = QPushButton("Approve…")
        self.approve_button.setObjectName("primary")
        self.approve_button.setAccessibleName("Approve")
        self.approve_button.setToolTip("Sign the note (Ctrl+Shift+A)")
        self.approve_button.clicked.connect(self.approve)
        self.export_button = QPushButton("Export FHIR…")
        self.export_button.setObjectName("exportButton")
        self.export_button.setToolTip("Save the approved note as a FHIR DocumentReference (JSON)")
        self.export_button.clicked.connect(self.export)
        self.send_button = QPushButton(getattr(ctx.ehr_sender, "label", "Send to EHR"))
        self.send_button.setObjectName("sendButton")
        self.send_button.clicked.connect(lambda: self.session and self.session.send_to_ehr())
        self.send_button.setVisible(ctx.ehr_sender is not None)
        for b in (self.redraft_button, self.amend_button, self.approve_button, self.export_button, self.send_button):
            b.setMinimumHeight(32)
            actions.addWidget(b)
        rv.addLayout(actions)

        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 6)
        outer.addWidget(self.splitter, 1)

        self.editor.statement_selected.connect(self._statement_selected)
        self.editor.changes_ready.connect(lambda ch: self.session and self.session.apply_changes(ch))
        self.editor.confirm_requested.connect(lambda sid: self.session and self.session.confirm(sid))
        self.editor.play_requested.connect(self._play_statement)
        self.transcript.play_requested.connect(self._play_segment)
        self.transcript.segment_activated.connect(self._play_segment)

        self._tick = QTimer(self)
        self._tick.setInterval(50)
        self._tick.timeout.connect(self._update_meter)
        self._info_kind = ""
        self._update_actions()

    # ------------------------------------------------------------------ binding
    def bind(self, session: VisitSession) -> None:
        self.unbind()
        self.session = session
        s = session
        s.state_changed.connect(self._state_changed)
        s.recorder_state_changed.connect(self._recorder_state)
        s.segments_added.connect(self._segments_added)
        s.preview_changed.connect(self.transcript.set_preview)
        s.transcript_replaced.connect(lambda t: self._show_transcript(t.segments))
        s.draft_started.connect(self._draft_started)
        s.draft_statement.connect(self.editor.stream_statement)
        s.draft_tokens.connect(lambda n: self.editor.status_label.setText(f"Writing the note… ({n} words so far)"))
        s.draft_failed.connect(self._draft_failed)
        s.transcription_failed.connect(self._transcription_failed)
        s.note_changed.connect(self._note_changed)
        s.device_lost.connect(self._device_lost)
        s.storage_problem.connect(self._storage_problem)
        s.error.connect(lambda exc: show_error(self, exc))
        enc = s.encounter
        self.title.setText(enc.patient_name)
        try:
            vt = s.template().title
        except ScribeError:
            vt = enc.visit_type
        self.subtitle.setText(f"MRN {enc.patient_id}  ·  Encounter {enc.encounter_id}  ·  {vt}  ·  {s.clinician}")
        self.device_banner.hide()
        self.info_banner.hide()  # the last visit's news ("No clinical conversation…") is not this patient's
        self._show_transcript(s.segments)
        if s.note is not None:
            self.editor.set_note(s.note)
            self._update_omissions(s.note)
        else:
            self.omissions.hide()
            self.editor.set_placeholder("Press Record to start. The note is drafted here when you stop.")
        self.recording.set_state(s.recorder_state)
        self.recording.set_progress(None, s.elapsed)
        self._state_changed(s.state)

    def unbind(self) -> None:
        if self.session is not None:
            for sig in (
                self.session.state_changed,
                self.session.recorder_state_changed,
                self.session.segments_added,
                self.session.preview_changed,
                self.session.transcript_replaced,
                self.session.draft_started,
                self.session.draft_statement,
                self.session.draft_tokens,
                self.session.draft_failed,
                self.session.transcription_failed,
                self.session.note_changed,
                self.session.device_lost,
                self.session.storage_problem,
                self.session.error,
            ):
                try:
                    sig.disconnect()
                except (RuntimeError, TypeError):
                    pass
        self.session = None
        self._tick.stop()

    # ------------------------------------------------------------------ recording
    def _record(self) -> None:
        if self.session is None:
            return
        s = self.session
        if s.recorder_state == RecorderPhase.paused:
            s.resume()
        else:
            mics = self.recording.microphones
            mics.stop_refreshing()
            self.recording.record_button.setEnabled(False)  # one click, one recording
            mics.after_refresh(lambda: s.start_recording(mics.current_device()) if s is self.session else None)

    def toggle_recording(self) -> None:
        if self.session is not None:
            self.recording.toggle()

    def stop_recording(self) -> None:
        if self.session is not None:
            self.session.stop_recording()

    def _recorder_state(self, state: str) -> None:
        panel_state = {"starting": "recording", "stopping": "done"}.get(state, state)
        self.recording.set_state(panel_state if state != "starting" else "idle")
        if state == "starting":
            self.recording.record_button.setEnabled(False)
            self.recording.record_button.setText("Starting…")
        else:
            self.recording.record_button.setText("Record")
        if self.session is not None and self.session.note is None and not self.editor.streaming:
            if state in ("recording", "paused", "lost", "starting"):
                self.editor.set_placeholder("Recording… The note is drafted here when you press “Stop & draft note”.")
            elif state == "stopping":
                self.editor.set_placeholder("Finishing the transcript; the note follows in a moment…")
        if state in ("recording", "paused", "lost"):
            self._tick.start()
            if state == "recording":
                self.transcript_status.setText("live")
        else:
            self._tick.stop()
            self._update_meter()
        if state != "lost":
            self.device_banner.hide()
        if state == "stopping":
            self.transcript_status.setText("finishing…")
        self._update_actions()

    def _update_meter(self) -> None:
        if self.session is not None:
            self.recording.set_progress(self.session.level, self.session.elapsed)

    def _device_lost(self, message: str) -> None:
        self.device_banner.label.setText(f"<b>Microphone disconnected.</b> {message}")
        self.banner_mics.refresh()
        self.device_banner.show()
        self.recording.set_state("lost")

    def _continue(self) -> None:
        if self.session is not None:
            s, mics = self.session, self.banner_mics
            mics.stop_refreshing()
            mics.after_refresh(lambda: s.continue_with(mics.current_device()) if s is self.session else None)

    def _storage_problem(self, message: str) -> None:
        win = self.window()
        if isinstance(win, QMainWindow):
            win.statusBar().showMessage(message, 15000)
        show_error(self, ScribeError(message))

    # ------------------------------------------------------------------ transcript
    def _show_transcript(self, segments) -> None:
        self.transcript.set_segments(segments)
        self.editor.set_transcript_starts({s.id: s.start for s in segments})
        self.transcript_status.setText(_passages(len(self.transcript.segment_ids)) if segments else "")

    def _segments_added(self, segments: list) -> None:
        self.transcript.append_segments(segments)
        self.editor.starts.update({s.id: s.start for s in segments})

    # ------------------------------------------------------------------ note
    def _draft_started(self, sections: list) -> None:
        self.info_banner.hide()
        self.transcript_status.setText(_passages(len(self.transcript.segment_ids)))
        self.editor.begin_stream(sections)
        self._update_actions()

    def _draft_failed(self, exc: BaseException) -> None:
        self.editor.streaming = False
        self.editor.status_label.setText("The note could not be drafted.")
        self._show_info(
            "draft",
            f"Drafting failed: {exc if isinstance(exc, ScribeError) else 'internal error (see the log)'}",
            "Retry",
        )
        self._update_actions()

    def _transcription_failed(self, exc: BaseException) -> None:
        """The recording is on disk whatever happened to the recogniser: Retry transcribes it again."""
        s = self.session
        recording = s is not None and s.is_recording
        self._show_info(
            "transcribe",
            f"Transcription failed: {exc if isinstance(exc, ScribeError) else 'internal error (see the log)'}"
            + (" The recording goes on: Retry once you have stopped." if recording else ""),
            "Retry",
        )
        self.info_button.setEnabled(not recording)  # Stop shows the banner again, with Retry enabled
        self._update_actions()

    def _note_changed(self, note: Any, why: str) -> None:
        keep = why in (NoteChange.edited, NoteChange.confirmed)
        msg = {
            NoteChange.drafted: "Draft written by the language model: check every statement against the transcript.",
            NoteChange.amended: f"Amendment: version {note.version} (the approved version {note.amends_version} stays on record).",
        }.get(NoteChange(why), "")
        self.editor.set_note(note, message=msg, keep_text=keep)
        if why == NoteChange.charted and note.events and note.events[-1].statement_id:
            self.editor.select_statement(note.events[-1].statement_id)
        self._update_omissions(note)
        self._update_actions()

    def _update_omissions(self, note: Any) -> None:
        """Recompute the "Said but not in the note" rows off the UI thread; the newest request wins."""
        s = self.session
        transcript = s.transcript if s is not None else None
        if note is None or transcript is None:
            self.omissions.hide()
            return
        self._omission_gen += 1
        gen = self._omission_gen

        def work(_ctx):
            from ..omissions import uncovered

            return uncovered(note, transcript)

        def ok(items):
            if gen == self._omission_gen:
                self.omissions.set_locked(note.approval is not None)
                self.omissions.set_items(items)

        BackgroundOp(work, on_success=ok, on_failure=lambda exc: log.warning("omission check failed: %s", exc)).start()

    def _statement_selected(self, info: LineInfo | None) -> None:
        self.transcript.highlight(list(info.evidence) if info is not None else [])

    def _play_statement(self, statement_id: str) -> None:
        s = self.session
        if s is None or s.note is None:
            return
        found = s.note.find_statement(statement_id)
        if found is None or not found[1].evidence:
            return
        starts = [t for t in map(self.transcript.segment_start, found[1].evidence) if t is not None]
        if starts:
            s.play_from(min(starts), self)

    def _play_segment(self, seg_id: int) -> None:
        t = self.transcript.segment_start(seg_id)
        if self.session is not None and t is not None:
            self.session.play_from(t, self)

    def _redraft(self) -> None:
        s = self.session
        if s is None:
            return
        if s.note is not None:
            ans = QMessageBox.question(
                self,
                "Redraft note",
                "Write the note again from the transcript? Your edits to this draft are replaced by a new draft.",
            )
            if ans != QMessageBox.StandardButton.Yes:
                return
        s.start_draft()

    # ------------------------------------------------------------------ approval / export
    def approve(self) -> None:
        s = self.session
        if s is None or s.note is None or s.note.approval is not None:
            return
        self.editor.commit()  # apply edits typed in the last moment
        pending = s.note.unresolved()
        if pending:
            self.editor.go_to_next_flagged()
            show_error(
                self,
                ScribeError(
                    f"{len(pending)} statement(s) are flagged and must be edited or confirmed before approval."
                ),
            )
            return
        dlg = ApprovalDialog(s.note, s.clinician, self, signed_in=s.ctx.user is not None)
        dlg.accepted.connect(lambda: s.approve(dlg.clinician, dlg.attestation_text))
        dlg.open()
        self._approval_dialog = dlg

    def _amend(self) -> None:
        if self.session is not None:
            self.session.amend()

    def export(self) -> None:
        s = self.session
        if s is None or s.note is None:
            return
        start = str(QSettings().value(EXPORT_DIR_KEY, "") or s.ctx.settings.data_path)
        from pathlib import Path

        path, _ = QFileDialog.getSaveFileName(
            self, "Export FHIR DocumentReference", str(Path(start) / default_export_name(s.note)), "FHIR JSON (*.json)"
        )
        if path:
            QSettings().setValue(EXPORT_DIR_KEY, str(Path(path).parent))
            s.export(path)

    # ------------------------------------------------------------------ state
    def refresh_theme(self) -> None:
        """Colours are baked into the transcript text and the chips: redraw them."""
        s = self.session
        if s is None:
            return
        keep = list(self.transcript.highlighted)
        self._show_transcript(s.segments)
        self.transcript.highlight(keep)
        self._state_changed(s.state)
        for ed in self.editor.sections.values():
            ed.viewport().update()

    def _state_changed(self, state: str) -> None:
        self.recording.done_label.setText(DONE_TEXT)  # (a visit with no note says otherwise below)
        c = state_color(state)
        self.state_chip.setText(f"  {state_label(state)}  ")
        self.state_chip.setStyleSheet(
            f"QLabel#stateChip {{ color: white; background: {c.name()}; border-radius: 10px; padding: 3px 8px; font-weight: 600; }}"
        )
        s = self.session
        if s is not None and not s.is_busy and s.note is None:
            if state in ("interrupted", "recording", "recorded", "transcribing") and s.visit.has_audio():
                refusal = s.workflow.content_refusal() if state == "recorded" else None
                if refusal is not None:  # transcribed, and found to hold no visit: say so, not "interrupted"
                    self._show_info("transcribe", refusal, "Transcribe again")
                    # and nothing on the page may still promise a note ("the note follows in a moment…")
                    self.editor.set_placeholder("No note was drafted: no clinical conversation was recorded.")
                    self.recording.done_label.setText("Recording finished and saved; no note was drafted from it.")
                    n = len(self.transcript.segment_ids)
                    self.transcript_status.setText(_passages(n) if n else "")
                else:
                    self._show_info(
                        "transcribe",
                        "This visit's recording was saved but not transcribed (it was interrupted).",
                        "Transcribe and draft note",
                    )
            elif state == "drafting" or (s.transcript is not None and not s.transcript.is_empty()):
                self._show_info("draft", "The transcript is ready but the note was not drafted.", "Draft note")
        self._update_actions()
        self.visit_changed.emit()

    def _show_info(self, kind: str, text: str, button: str) -> None:
        self._info_kind = kind
        self.info_banner.label.setText(text)
        self.info_button.setText(button)
        self.info_button.setEnabled(True)
        self.info_banner.show()

    def _info_action(self) -> None:
        s = self.session
        if s is None:
            return
        self.info_banner.hide()
        if self._info_kind == "transcribe":
            self.recording.set_state("done")
            s.transcribe_recorded_audio()
        else:
            s.start_draft()

    def _update_actions(self) -> None:
        s = self.session
        note = s.note if s is not None else None
        busy = s is not None and s.is_busy
        approval = note.approval if note is not None else None
        approved = approval is not None
        flagged = len(blocking_statements(note)) if note is not None else 0
        hints = note.grounding.review if note is not None and note.grounding is not None else 0
        self.approve_button.setEnabled(note is not None and not approved and not busy and flagged == 0)
        self.approve_button.setVisible(note is not None and not approved)
        self.export_button.setVisible(note is not None)
        self.send_button.setVisible(note is not None and self.ctx.ehr_sender is not None)
        self.editor.inspector.setVisible(note is not None or self.editor.streaming)
        self.approve_button.setToolTip(
            f"{flagged} flagged statement(s) must be edited or confirmed first (F8 goes to the next one)"
            if flagged
            else "Sign the note (Ctrl+Shift+A)"
        )
        self.amend_button.setVisible(approved)
        self.export_button.setEnabled(note is not None and note.is_approved)
        self.send_button.setEnabled(note is not None and note.is_approved)
        self.redraft_button.setVisible(note is not None and not approved)
        self.redraft_button.setEnabled(not busy and s is not None and bool(s.segments))
        c = theme.colors()
        hint_text = f"  ·  {hints} hint{'s' if hints != 1 else ''}" if hints else ""
        if flagged:
            self.flag_count.setText(f"⚠ {flagged} to review{hint_text}")
            self.flag_count.setStyleSheet(f"color: {c.unsupported_fg.name()}; font-weight: 600;")
        elif note is not None:
            self.flag_count.setText(f"✓ nothing flagged{hint_text}")
            self.flag_count.setStyleSheet(f"color: {c.confirmed_fg.name()};")
        else:
            self.flag_count.setText("")
        if note is not None and approval is not None:
            when = approval.approved_at.astimezone().strftime("%d %b %Y %H:%M")
            self.lock_label.setText(f"<b>Locked.</b> Approved by {approval.approved_by} on {when}. Amend to change it.")
            self.note_title.setText(f"Note · version {note.version} · approved")
        else:
            self.lock_label.setText("")
            self.note_title.setText(f"Note · version {note.version} · draft" if note is not None else "Note")
