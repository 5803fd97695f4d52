"""One open visit in the app: the core's visit workflow, scheduled off the UI thread.

:class:`VisitSession` holds no rules and takes no decisions about the visit: recording,
transcript, draft, review, approval, amendment and export are steps of
:class:`scribe.workflow.VisitWorkflow`. The session runs the note's steps on workers (storage
writes on one serial worker, so they happen in order), leaves the audio half to its
:class:`~scribe.ui.capture.VisitCapture`, and turns what the steps return into signals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from ..domain import Encounter, NoteDraft, Segment, Transcript
from ..errors import ScribeError
from ..note_lines import LineChange
from ..storage import Visit, VisitRecord
from ..workflow import NoteChange, RecorderPhase, VisitWorkflow
from .capture import VisitCapture
from .context import AppContext
from .drafting import NoteDrafting
from .ops import BackgroundOp, OpContext, serial_pool

log = logging.getLogger(__name__)


class VisitSession(QObject):
    state_changed = Signal(str)  # the visit's workflow state (VisitState value) as stored
    recorder_state_changed = Signal(str)  # the recording strip (RecorderPhase)
    segments_added = Signal(object)  # list of Segment
    preview_changed = Signal(object)  # provisional segments after the final ones (list; [] clears)
    transcript_replaced = Signal(object)  # Transcript
    draft_started = Signal(object)  # [(section key, title)]
    draft_statement = Signal(str, object)  # section key, Statement (not yet grounded)
    draft_tokens = Signal(int)
    draft_failed = Signal(object)
    transcription_failed = Signal(object)  # the recogniser failed (its process crashed twice on a window, …)
    note_changed = Signal(object, str)  # NoteDraft, why (NoteChange)
    device_lost = Signal(str)
    storage_problem = Signal(str)
    message = Signal(str)  # for the status bar
    error = Signal(object)  # an exception to show the user
    exported = Signal(str)  # path

    def __init__(
        self,
        ctx: AppContext,
        visit: Visit,
        transcript: Transcript | None = None,
        note: NoteDraft | None = None,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.ctx = ctx
        self.visit = visit
        self.workflow = VisitWorkflow(
            visit,
            transcript=transcript,
            note=note,
            asr_model=ctx.settings.asr_model,
            make_drafter=ctx.make_drafter,
            vocabulary_files=ctx.settings.vocabulary_files,
        )
        phase = RecorderPhase.idle if transcript is None and note is None else RecorderPhase.done
        from .. import logs

        logs.register_phi(self.encounter.patient_name, self.encounter.patient_id)  # never in a log line
        self.capture = c = VisitCapture(ctx, self.workflow, lambda: self.actor, self.template, phase, self)
        for theirs, ours in (
            (c.phase_changed, self.recorder_state_changed),
            (c.segments_added, self.segments_added),
            (c.preview_changed, self.preview_changed),
            (c.transcript_replaced, self.transcript_replaced),
            (c.device_lost, self.device_lost),
            (c.storage_problem, self.storage_problem),
            (c.transcription_failed, self.transcription_failed),
            (c.message, self.message),
            (c.error, self.error),
        ):
            theirs.connect(ours)
        c.state_changed.connect(self._refresh_record)
        c.transcript_kept.connect(lambda _t: self.start_draft())
        self.drafter = d = NoteDrafting(ctx, self.workflow, self.template, self)
        c.rolling_note.connect(d.show_rolling)
        for theirs, ours in (
            (d.started, self.draft_started),
            (d.statement, self.draft_statement),
            (d.tokens, self.draft_tokens),
            (d.failed, self.draft_failed),
            (d.message, self.message),
            (d.error, self.error),
        ):
            theirs.connect(ours)
        d.state_changed.connect(self._refresh_record)
        d.drafted.connect(lambda note: self.note_changed.emit(note, NoteChange.drafted.value))
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.timeout.connect(self.save_if_dirty)

    # ------------------------------------------------------------------ what the widgets read
    @property
    def record(self) -> VisitRecord:
        return self.visit.record

    @property
    def encounter(self) -> Encounter:
        return self.workflow.encounter

    @property
    def note(self) -> NoteDraft | None:
        return self.workflow.note

    @property
    def transcript(self) -> Transcript | None:
        return self.workflow.transcript

    @property
    def segments(self) -> list[Segment]:
        return self.workflow.segments

    @property
    def dirty(self) -> bool:
        return self.workflow.dirty

    @property
    def state(self) -> str:
        return self.visit.state.value

    @property
    def clinician(self) -> str:
        """The person at the keyboard (from the OS account when the app has a security context)."""
        if self.ctx.user is not None:
            return self.ctx.user.name
        return self.encounter.clinician or self.ctx.clinician

    @property
    def actor(self) -> str:
        """What the visit's audit trail records for that person: the account."""
        return self.ctx.actor if self.ctx.user is not None else self.clinician

    def _allowed(self, action: str) -> bool:
        """Check the role (refusal shown and journaled) before doing ``action``."""
        try:
            self.ctx.check(action)
        except ScribeError as exc:
            self.error.emit(exc)
            return False
        return True

    @property
    def recorder_state(self) -> RecorderPhase:
        return self.capture.phase

    @property
    def elapsed(self) -> float:
        return self.capture.elapsed

    @property
    def level(self) -> float | None:
        return self.capture.level

    @property
    def is_recording(self) -> bool:
        return self.capture.phase.is_recording

    @property
    def is_busy(self) -> bool:
        return self.is_recording or self.capture.transcribing or self.drafting

    @property
    def drafting(self) -> bool:
        return self.drafter.running

    @property
    def closed(self) -> bool:
        return self.capture.closed

    def template(self):
        from ..drafting.templates import get_template

        return get_template(self.encounter.visit_type or self.ctx.settings.template, self.ctx.settings.template_folders)

    # ------------------------------------------------------------------ recording (VisitCapture)
    def start_recording(self, device: Any) -> None:
        if self._allowed("record"):
            self.capture.start(device)

    def toggle_recording(self, device: Any) -> None:
        if self.is_recording or self._allowed("record"):
            self.capture.toggle(device)

    def pause(self) -> None:
        self.capture.pause()

    def resume(self) -> None:
        self.capture.resume()

    def continue_with(self, device: Any) -> None:
        """After a lost microphone: keep recording this visit on ``device``."""
        self.capture.continue_with(device)

    def stop_recording(self) -> None:
        self.capture.stop()

    def transcribe_recorded_audio(self) -> None:
        """For a visit whose audio was saved but not (fully) transcribed, e.g. after a crash."""
        if not self.is_busy:
            self.capture.transcribe_saved()

    # ------------------------------------------------------------------ scheduling
    def _run(
        self,
        name: str,
        step: Callable[[OpContext], Any],
        *,
        why: NoteChange | None = None,
        say: Callable[[Any], str] | None = None,
        ok: Callable[[Any], None] | None = None,
    ) -> BackgroundOp:
        """Run a workflow step on the serial worker (storage writes stay in order). On success: the
        state is shown again, the note change ``why`` and the message ``say(result)`` are emitted,
        then ``ok(result)``. A failure is shown to the user."""

        def done(result: Any) -> None:
            self._refresh_record()
            if why is not None:
                self.note_changed.emit(result, why.value)
            if say is not None:
                self.message.emit(say(result))
            if ok is not None:
                ok(result)

        def fail(exc: BaseException) -> None:
            self._refresh_record()
            self.error.emit(exc)

        return BackgroundOp(step, on_success=done, on_failure=fail, name=name).start(serial_pool())

    def _refresh_record(self, _: Any = None) -> None:
        self.state_changed.emit(self.state)

    # ------------------------------------------------------------------ drafting (NoteDrafting)
    def start_draft(self) -> None:
        if not self.is_recording:
            self.drafter.start()

    def cancel_draft(self) -> None:
        self.drafter.cancel()

    # ------------------------------------------------------------------ review (rules in the workflow)
    def _edit(self, step: Callable[[], NoteDraft], why: NoteChange) -> None:
        if self.note is None:
            return
        if not self._allowed("edit"):
            if why == NoteChange.edited:
                self.note_changed.emit(self.note, NoteChange.reverted.value)
            return
        try:
            note = step()
        except ScribeError as exc:
            self.error.emit(exc)
            if why == NoteChange.edited:
                self.note_changed.emit(self.note, NoteChange.reverted.value)
            return
        if self.ctx.autosave_s > 0:
            self._autosave.start(int(self.ctx.autosave_s * 1000))
        self.note_changed.emit(note, why.value)

    def apply_changes(self, changes: list[LineChange]) -> None:
        if changes:
            self._edit(lambda: self.workflow.apply_changes(changes, self.clinician), NoteChange.edited)

    def add_fact(self, fact: Any) -> None:
        """Chart a fact from the "Said but not in the note" panel."""
        if self.transcript is not None:
            self._edit(lambda: self.workflow.chart_fact(fact, self.clinician), NoteChange.charted)

    def confirm(self, statement_id: str) -> None:
        self._edit(lambda: self.workflow.confirm(statement_id, self.clinician), NoteChange.confirmed)

    def approve(self, clinician: str, attestation: str | None) -> None:
        """Re-check against the transcript, sign as the signed-in user, save, lock (scribe.approval)."""
        if self.note is None or not self._allowed("approve"):
            return
        user = self.ctx.user
        if user is not None:
            clinician = user.name  # the approver is the signed-in person, never a typed name
        login, keys = (user.login if user is not None else None), self.ctx.keys
        self._autosave.stop()
        self._run(
            "approve",
            lambda _c: self.workflow.approve(clinician, attestation, login=login, keys=keys),
            why=NoteChange.approved,
            say=lambda _: f"Note approved and signed by {clinician}; it is locked.",
        )

    def amend(self, reason: str = "") -> None:
        if self.note is not None and self._allowed("edit"):
            self._run(
                "amend",
                lambda _c: self.workflow.amend(self.clinician, reason),
                why=NoteChange.amended,
                say=lambda n: f"Amending: version {n.version} is an editable copy of the approved note.",
            )

    def save_if_dirty(self) -> None:
        if self.workflow.dirty:
            actor = self.actor
            self._run("autosave", lambda _c: self.workflow.save_working_draft(actor))

    # ------------------------------------------------------------------ export
    def export(self, path: str) -> None:
        if self.note is not None and self._allowed("export"):
            org, actor, keys = self.ctx.settings.organization_name, self.actor, self.ctx.keys
            folders = self.ctx.settings.template_folders
            self._run(
                "export",  # the signature and the visit's audit entry are checked, not the file's word
                lambda _c: self.workflow.export_fhir(Path(path), actor, org, keys=keys, template_folders=folders),
                ok=lambda out: self.exported.emit(str(out)),
                say=lambda out: f"Exported FHIR DocumentReference to {out}.",
            )

    def send_to_ehr(self) -> None:
        sender = self.ctx.ehr_sender
        if sender is not None and self.note is not None and self._allowed("queue"):
            self._run("send-ehr", lambda ctx: self.workflow.send(sender, ctx.progress), say=str)

    def play_from(self, seconds: float, widget=None) -> None:
        if self.ctx.player is not None:
            self.ctx.player.play(self.visit, seconds, widget)

    def close(self, wait: bool = False) -> None:
        """Stop everything running for this visit (recording is saved, not discarded)."""
        self._autosave.stop()
        self.capture.close(wait)
        self.save_if_dirty()
        self.cancel_draft()
