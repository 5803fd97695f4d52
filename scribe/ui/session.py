"""One open visit, wired to the core: recording, live transcript, draft, review, approval.

:class:`VisitSession` is the only UI object that calls the pipeline core for a visit. It holds
no rules of its own: approval, confirmation and amendment are ``scribe.approval``; grounding
is ``scribe.grounding``; files are ``scribe.storage``. It runs every slow or disk-touching
call on a worker (recorder control and storage writes on one serial worker so they happen
in order) and tells the widgets what happened through signals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from .. import approval
from ..asr.content import require_clinical_content
from ..domain import NoteDraft, Segment, Transcript
from ..errors import DraftingError, ScribeError, TranscriptError
from ..note_lines import LineChange, apply_changes
from .context import AppContext
from .ops import BackgroundOp, OpContext, lower_thread_priority, serial_pool
from .workers import TranscriptionWorker, WorkerThread

log = logging.getLogger(__name__)

DRAFTER_ACTOR = "scribe"  # audit name for machine-written content


class VisitSession(QObject):
    # visit workflow state (scribe.storage.VisitState value) as stored
    state_changed = Signal(str)
    # the recording strip: idle | starting | recording | paused | lost | stopping | done
    recorder_state_changed = Signal(str)
    segments_added = Signal(object)  # list of Segment
    preview_changed = Signal(object)  # provisional segments after the final ones (list; [] clears)
    transcript_replaced = Signal(object)  # Transcript
    draft_started = Signal(object)  # [(section key, title)]
    draft_statement = Signal(str, object)  # section key, Statement (not yet grounded)
    draft_tokens = Signal(int)
    draft_failed = Signal(object)
    note_changed = Signal(object, str)  # NoteDraft, why: loaded|drafted|edited|charted|confirmed|approved|amended
    device_lost = Signal(str)
    storage_problem = Signal(str)
    message = Signal(str)  # for the status bar
    error = Signal(object)  # an exception to show the user
    exported = Signal(str)  # path

    # emitted from recorder threads, delivered on the UI thread
    _device_lost_x = Signal(str)
    _storage_x = Signal(str)

    def __init__(
        self,
        ctx: AppContext,
        visit: Any,
        transcript: Transcript | None = None,
        note: NoteDraft | None = None,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.ctx = ctx
        self.visit = visit
        self.record = visit.record
        self.encounter = visit.record.encounter
        self.transcript: Transcript | None = transcript
        self.segments: list[Segment] = list(transcript.segments) if transcript else []
        self.note: NoteDraft | None = note
        self.recorder: Any = None
        self.recorder_state = "idle" if not self.segments and note is None else "done"
        self._worker: TranscriptionWorker | None = None
        self._worker_thread: WorkerThread | None = None
        self._seg_offset = (0, 0.0)  # (id offset, seconds offset) for a continued recording
        self.draft_op: BackgroundOp | None = None
        self._warm_op: BackgroundOp | None = None
        self._warmed_segments = 0
        self._live: Any = None  # scribe.drafting.incremental.LiveDrafter: the draft kept ahead during the visit
        self._rolling_shown: list[str] = []  # its sections put on screen at Stop
        self.dirty = False  # note edited since last save
        self.closed = False
        self._device_lost_x.connect(self._on_device_lost, Qt.ConnectionType.QueuedConnection)
        self._storage_x.connect(self.storage_problem, Qt.ConnectionType.QueuedConnection)
        self._warm_timer = QTimer(self)
        self._warm_timer.timeout.connect(self._warm)
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.timeout.connect(self.save_if_dirty)
        self._elapsed_before = float(getattr(self.record, "audio_seconds", 0.0) or 0.0) or (
            float(transcript.duration) if transcript is not None else 0.0
        )

    # ------------------------------------------------------------------ helpers
    @property
    def state(self) -> str:
        return getattr(self.record.state, "value", str(self.record.state))

    @property
    def clinician(self) -> str:
        return self.encounter.clinician or self.ctx.clinician

    @property
    def elapsed(self) -> float:
        r = self.recorder
        return float(r.elapsed) if r is not None else self._elapsed_before

    @property
    def level(self) -> float | None:
        r = self.recorder
        return float(r.level) if r is not None and self.recorder_state == "recording" else None

    @property
    def is_recording(self) -> bool:
        return self.recorder_state in ("starting", "recording", "paused", "lost", "stopping")

    @property
    def is_busy(self) -> bool:
        return self.is_recording or self.transcribing or self.drafting

    @property
    def transcribing(self) -> bool:
        return self._worker_thread is not None and self._worker_thread.is_running() and not self.is_recording

    @property
    def drafting(self) -> bool:
        return self.draft_op is not None and self.draft_op.running

    def template(self):
        from ..drafting.templates import get_template

        return get_template(self.encounter.visit_type or self.ctx.settings.template, self.ctx.settings.template_folders)

    def _serial(self, fn: Callable[[OpContext], Any], on_success=None, on_failure=None, name: str = "") -> BackgroundOp:
        op = BackgroundOp(fn, on_success=on_success, on_failure=on_failure or self.error.emit, name=name)
        return op.start(serial_pool())

    def _set_recorder_state(self, state: str) -> None:
        self.recorder_state = state
        self.recorder_state_changed.emit(state)

    def _refresh_record(self, _=None) -> None:
        self.record = self.visit.record
        self.state_changed.emit(self.state)

    def _set_visit_state(self, state: str, actor: str | None = None, then: Callable | None = None) -> None:
        actor = actor or self.clinician
        visit = self.visit

        def work(_ctx):
            visit.set_state(state, actor)
            return state

        def ok(_):
            self._refresh_record()
            if then:
                then()

        self._serial(work, ok, name=f"state-{state}")

    # ------------------------------------------------------------------ recording
    def start_recording(self, device: Any) -> None:
        if self.recorder_state not in ("idle",):
            return
        if self.note is not None:
            self.error.emit(
                ScribeError("This visit already has a note; start a new visit to record another conversation.")
            )
            return
        from ..recording import Recorder

        try:
            source = self.ctx.make_source(device)
        except ScribeError as exc:
            self.error.emit(exc)
            return
        worker = self._start_worker()
        self.recorder = Recorder(
            self.visit,
            source,
            listeners=[worker.push],
            on_device_lost=self._device_lost_x.emit,  # recorder thread -> queued to the UI thread
            on_storage_error=self._storage_x.emit,
            actor=self.clinician,
        )
        self._set_recorder_state("starting")
        recorder = self.recorder
        visit = self.visit
        replay_saved = not self.segments  # a recovered recording without transcript: transcribe it all

        def work(_ctx):
            if replay_saved and visit.has_audio():
                # Continuing an interrupted visit: the recogniser first hears what was saved, so
                # the transcript covers the whole visit, in order, before the new audio arrives.
                samples, rate = visit.load_audio()
                for i in range(0, len(samples), int(rate)):
                    worker.push(samples[i : i + int(rate)])
            recorder.start()

        def ok(_):
            base = recorder.elapsed
            if base > 0 and not replay_saved:  # the saved part is transcribed: new segments follow on
                next_id = max((s.id for s in self.segments), default=-1) + 1
                self._seg_offset = (next_id, base)
            self._set_recorder_state("recording")
            self._refresh_record()
            if self.ctx.warm_interval_s > 0:
                self._warm_timer.start(int(self.ctx.warm_interval_s * 1000))
                self._warm()  # the instructions, at once: the transcript then only adds lines
            self.message.emit(f"Recording from {getattr(recorder.source, 'name', 'microphone')}.")

        def failed(exc):
            self.recorder = None
            self._stop_worker(abort=True)
            self._set_recorder_state("idle")
            self.error.emit(exc)

        self._serial(work, ok, failed, name="recorder-start")

    def pause(self) -> None:
        if self.recorder_state != "recording":
            return
        rec = self.recorder
        self._set_recorder_state("paused")
        self._serial(lambda _c: rec.pause(), name="recorder-pause")

    def resume(self) -> None:
        if self.recorder_state != "paused":
            return
        rec = self.recorder
        self._set_recorder_state("recording")
        self._serial(lambda _c: rec.resume(), name="recorder-resume")

    def toggle_recording(self, device: Any) -> None:
        {"idle": lambda: self.start_recording(device), "recording": self.pause, "paused": self.resume}.get(
            self.recorder_state, lambda: None
        )()

    @Slot(str)
    def _on_device_lost(self, message: str) -> None:
        if self.recorder is None or self.recorder_state not in ("recording", "paused"):
            return
        self._set_recorder_state("lost")
        self.device_lost.emit(message)

    def continue_with(self, device: Any) -> None:
        """After a lost microphone: keep recording this visit on ``device``."""
        if self.recorder_state != "lost" or self.recorder is None:
            return
        rec = self.recorder
        try:
            source = self.ctx.make_source(device)
        except ScribeError as exc:
            self.error.emit(exc)
            return
        self._set_recorder_state("starting")

        def ok(_):
            self._set_recorder_state("recording")
            self.message.emit(f"Recording continues from {getattr(source, 'name', 'the new microphone')}.")

        def failed(exc):
            self._set_recorder_state("lost")
            self.error.emit(exc)

        self._serial(lambda _c: rec.switch_source(source), ok, failed, name="recorder-switch")

    def stop_recording(self) -> None:
        if self.recorder_state not in ("recording", "paused", "lost"):
            return
        rec = self.recorder
        worker = self._worker
        self._warm_timer.stop()
        if self._live is not None:
            self._live.hold()  # background drafting waits while the recogniser finishes
            self._show_rolling_note(self._live)
        self._set_recorder_state("stopping")

        def work(_ctx):
            try:
                return rec.stop()
            finally:
                if worker is not None:
                    worker.end()  # flush the recogniser once the last chunk is in

        def ok(seconds):
            self._elapsed_before = float(seconds or 0.0)
            self._set_recorder_state("done")
            self._refresh_record()
            self.message.emit("Recording saved. Finishing the transcript…")
            self._set_visit_state("transcribing", DRAFTER_ACTOR)

        def failed(exc):
            self._set_recorder_state("done")
            self.error.emit(exc)

        self._serial(work, ok, failed, name="recorder-stop")

    # ------------------------------------------------------------------ transcription
    def _start_worker(self) -> TranscriptionWorker:
        if self._worker is not None and self._worker_thread is not None and self._worker_thread.is_running():
            return self._worker
        visit = self.visit
        hub = self.ctx.models
        asr_model = self.ctx.settings.asr_model

        def save_partial(segments: list) -> None:  # worker thread
            visit.save_transcript(
                Transcript(
                    segments=segments,
                    duration=segments[-1].end if segments else 0.0,
                    source="audio.wav",
                    asr_model=asr_model,
                ),
                DRAFTER_ACTOR,
            )

        self._worker = TranscriptionWorker(
            hub.wait_asr,
            self.ctx.make_transcriber,
            on_segments=None if self.segments else save_partial,
            preview_interval_s=max(0.0, self.ctx.settings.asr_live_preview_s),
        )
        self._worker.segments_ready.connect(self._on_segments, Qt.ConnectionType.QueuedConnection)
        self._worker.preview_ready.connect(self._on_preview, Qt.ConnectionType.QueuedConnection)
        self._worker.finished.connect(self._on_transcription_finished, Qt.ConnectionType.QueuedConnection)
        self._worker.failed.connect(self._on_transcription_failed, Qt.ConnectionType.QueuedConnection)
        self._worker.waiting_for_model.connect(
            lambda: self.message.emit("Recording; the transcript starts as soon as the speech model has loaded."),
            Qt.ConnectionType.QueuedConnection,
        )
        self._worker_thread = WorkerThread(self._worker, f"asr-{self.visit.encounter_id}")
        self._worker_thread.start()
        return self._worker

    def _stop_worker(self, abort: bool = False) -> None:
        if self._worker is not None and abort:
            self._worker.abort()
        if self._worker_thread is not None:
            self._worker_thread.quit(wait_ms=5000 if abort else 0)

    def _shift(self, segments: list) -> list:
        id_off, t_off = self._seg_offset
        if not id_off and not t_off:
            return segments
        return [
            s.model_copy(update={"id": s.id + id_off, "start": s.start + t_off, "end": s.end + t_off}) for s in segments
        ]

    @Slot(object)
    def _on_segments(self, segments: list) -> None:
        segments = self._shift(segments)
        self.segments.extend(segments)
        self.segments_added.emit(segments)
        if self._live is not None and self.is_recording:
            self._live.offer(self._build_transcript())  # an update in flight warms these lines too

    @Slot(object)
    def _on_preview(self, segments: list) -> None:
        if self._worker is not None:  # a late preview after the worker finished is stale
            self.preview_changed.emit(self._shift(segments))

    @Slot(object)
    def _on_transcription_finished(self, tail: list) -> None:
        self.preview_changed.emit([])
        if tail:
            self._on_segments(tail)
        self._worker_thread = None
        self._worker = None
        if self.closed:
            return
        transcript = self._build_transcript()
        if [x.id for x in transcript.segments] != [x.id for x in self.segments]:
            self.segments = list(transcript.segments)  # renumbered: keep view and evidence ids in step
            self.transcript_replaced.emit(transcript)
        self.transcript = transcript
        visit = self.visit

        def work(_ctx):
            visit.save_transcript(transcript, DRAFTER_ACTOR)

        def ok(_):
            try:  # silence, noise, music or small talk: no draft (scribe.asr.content)
                require_clinical_content(transcript, self.ctx.settings.vocabulary_files)
            except TranscriptError as exc:
                self.error.emit(exc)
                self._set_visit_state("recorded", DRAFTER_ACTOR)
                return
            self.message.emit(f"Transcript complete: {len(transcript.segments)} passages.")
            self.start_draft()

        self._serial(work, ok, name="save-transcript")

    @Slot(object, str)
    def _on_transcription_failed(self, exc: BaseException, _tb: str) -> None:
        self._worker_thread = None
        self._worker = None
        self.error.emit(exc)

    def _build_transcript(self) -> Transcript:
        from ..asr.engine import transcript_from_segments

        duration = max(self._elapsed_before, self.segments[-1].end if self.segments else 0.0)
        return transcript_from_segments(
            self.segments, duration=duration, source="audio.wav", asr_model=self.ctx.settings.asr_model
        )

    def transcribe_recorded_audio(self) -> None:
        """For a visit whose audio was saved but not (fully) transcribed, e.g. after a crash."""
        if self.is_busy:
            return
        self.segments = []
        self.transcript_replaced.emit(Transcript())
        self._seg_offset = (0, 0.0)
        worker = self._start_worker()
        visit = self.visit
        self._set_visit_state("transcribing", DRAFTER_ACTOR)
        self.message.emit("Transcribing the saved recording…")

        def work(ctx: OpContext):
            samples, rate = visit.load_audio()
            step = int(rate)
            for i in range(0, len(samples), step):
                if ctx.cancelled:
                    break
                worker.push(samples[i : i + step])
            worker.end()
            return len(samples) / rate

        def ok(seconds):
            self._elapsed_before = float(seconds)

        def failed(exc):
            worker.abort()
            self.error.emit(exc)

        BackgroundOp(work, on_success=ok, on_failure=failed, name="feed-saved-audio").start()

    # ------------------------------------------------------------------ drafting
    def _show_rolling_note(self, live) -> None:
        """At Stop: the sections drafted during the visit go on screen now, while the recogniser
        finishes; the draft then adds the rest without showing them twice."""
        transcript = self._build_transcript()
        try:
            template = self.template()
        except ScribeError:
            return
        if live.drafter.template != template:
            return

        def shown(kept):
            if not kept or self.drafting or self.note is not None:
                return
            self._rolling_shown = [key for key, _ in kept]
            self.draft_started.emit([(s.key, s.title) for s in template.sections])
            for key, statements in kept:
                for st in statements:
                    self.draft_statement.emit(key, st)
            self.message.emit("Finishing the transcript; the first sections were drafted during the visit…")

        BackgroundOp(
            lambda _ctx: live.kept_sections(transcript),
            on_success=shown,
            on_failure=lambda exc: log.info("showing the rolling note failed: %s", exc),
            name="rolling-note",
        ).start()

    def _warm(self) -> None:
        """While recording: keep the draft ahead of the transcript (warm prompt, rolling sections)."""
        hub = self.ctx.models
        if hub.llm is None or (self._warm_op is not None and self._warm_op.running):
            return
        if len(self.segments) <= self._warmed_segments and self._live is not None:
            return
        self._warmed_segments = len(self.segments)
        transcript = self._build_transcript()
        try:
            template = self.template()
        except ScribeError:
            return
        if self._live is None or self._live.runtime is not hub.llm:
            from ..drafting.incremental import LiveDrafter

            self._live = LiveDrafter(self.ctx.make_drafter(hub.llm, template))
        live = self._live
        live.offer(transcript)  # (offers come from the UI thread only, so the newest stays last)

        def work(_ctx):
            lower_thread_priority()  # as the final draft
            return live.update()

        def again(done):
            # a question took ~20 s: go on at once with what was said meanwhile, not at the next tick
            if done == "answered" and self._warm_timer.isActive():  # (incremental.Update.answered: a str enum)
                QTimer.singleShot(0, self._warm)

        self._warm_op = BackgroundOp(
            work,
            on_success=again,
            on_failure=lambda exc: log.info("warming the prompt failed: %s", exc),
            name="warm-llm",
        ).start()

    def start_draft(self) -> None:
        if self.drafting or self.is_recording:
            return
        transcript = self.transcript or self._build_transcript()
        try:
            require_clinical_content(transcript, self.ctx.settings.vocabulary_files)
        except TranscriptError as exc:
            self.error.emit(exc)
            return
        try:
            template = self.template()
        except ScribeError as exc:
            self.error.emit(exc)
            return
        hub = self.ctx.models
        visit = self.visit
        encounter = self.encounter
        live, self._live = self._live, None  # a re-draft starts from scratch
        if live is not None and (live.runtime is not hub.llm or live.drafter.template != template):
            live = None  # the model or template changed since the visit: draft from scratch
        shown, self._rolling_shown = (self._rolling_shown if live is not None else []), []
        if not shown:
            self.draft_started.emit([(s.key, s.title) for s in template.sections])
        self.message.emit("Writing the note…")
        tokens = [0]
        make_drafter = self.ctx.make_drafter

        def work(ctx: OpContext) -> NoteDraft:
            lower_thread_priority()
            visit.set_state("drafting", DRAFTER_ACTOR)
            ctx.report(("state", "drafting"))
            if hub.llm is None:
                ctx.report(("message", "Waiting for the language model to finish loading…"))
            runtime = hub.wait_llm(None)
            if live is not None and live.runtime is runtime:
                events = live.stream(
                    transcript, encounter, shown=shown
                )  # what was drafted during the visit, then the rest
            else:
                events = make_drafter(runtime, template).stream(transcript, encounter)
            note = None
            for ev in events:
                if ctx.cancelled:
                    raise DraftingError("Drafting was cancelled.")
                if ev.kind == "token":
                    tokens[0] += 1
                    if tokens[0] % 8 == 0:
                        ctx.report(("tokens", tokens[0]))
                elif ev.kind == "statement":
                    ctx.report(("statement", ev.section_key, ev.statement))
                elif ev.kind == "done":
                    note = ev.note
            if note is None:
                raise DraftingError("The language model did not finish the note.")
            note = visit.save_note(note, DRAFTER_ACTOR)
            visit.set_state("draft", DRAFTER_ACTOR)
            return note

        def progress(item):
            kind = item[0]
            if kind == "statement":
                self.draft_statement.emit(item[1], item[2])
            elif kind == "tokens":
                self.draft_tokens.emit(item[1])
            elif kind == "state":
                self._refresh_record()
            elif kind == "message":
                self.message.emit(item[1])

        def ok(note: NoteDraft):
            self.note = note
            self.dirty = False
            self._refresh_record()
            flagged = len(note.unresolved())
            self.note_changed.emit(note, "drafted")
            self.message.emit(
                f"Note drafted. {flagged} statement(s) need your review."
                if flagged
                else "Note drafted. Review it, then approve."
            )

        def failed(exc):
            self._refresh_record()
            self.draft_failed.emit(exc)
            self.error.emit(exc)

        self.draft_op = BackgroundOp(
            work, on_success=ok, on_failure=failed, on_progress=progress, name="draft-note"
        ).start()

    def cancel_draft(self) -> None:
        if self.draft_op is not None:
            self.draft_op.cancel()

    # ------------------------------------------------------------------ review (all rules in scribe.approval)
    def _changed(self, note: NoteDraft, why: str) -> None:
        self.note = note
        self.dirty = True
        if self.ctx.autosave_s > 0:
            self._autosave.start(int(self.ctx.autosave_s * 1000))
        self.note_changed.emit(note, why)

    def apply_changes(self, changes: list[LineChange]) -> None:
        if self.note is None or not changes:
            return
        try:
            note = apply_changes(self.note, changes, self.clinician, self.transcript)
        except ScribeError as exc:
            self.error.emit(exc)
            self.note_changed.emit(self.note, "reverted")
            return
        self._changed(note, "edited")

    def add_fact(self, fact) -> None:
        """Chart a fact from the "Said but not in the note" panel (scribe.omissions.chart_fact: the
        physician's statement, citing what was said, attributed, audited and grounded)."""
        if self.note is None or self.transcript is None:
            return
        from ..omissions import chart_fact

        try:
            note, _ = chart_fact(self.note, fact, self.clinician, self.transcript)
        except ScribeError as exc:
            self.error.emit(exc)
            return
        self._changed(note, "charted")

    def confirm(self, statement_id: str) -> None:
        if self.note is None:
            return
        try:
            note = approval.confirm_statement(self.note, statement_id, self.clinician)
        except ScribeError as exc:
            self.error.emit(exc)
            return
        self._changed(note, "confirmed")

    def approve(self, clinician: str, attestation: str | None) -> None:
        """Sign the note (ApprovalError if anything is unresolved), save, lock."""
        if self.note is None:
            return
        try:
            note = approval.approve(self.note, clinician, attestation)
        except ScribeError as exc:
            self.error.emit(exc)
            return
        self.note = note
        self._autosave.stop()
        visit = self.visit

        def work(_ctx):
            saved = visit.save_note(note, clinician)
            visit.set_state("approved", clinician)
            return saved

        def ok(saved):
            self.note = saved
            self.dirty = False
            self._refresh_record()
            self.note_changed.emit(saved, "approved")
            self.message.emit(f"Note approved by {clinician} and locked.")

        self._serial(work, ok, name="approve")

    def amend(self, reason: str = "") -> None:
        if self.note is None:
            return
        try:
            note = approval.amend(self.note, self.clinician, reason)
        except ScribeError as exc:
            self.error.emit(exc)
            return
        self.note = note
        visit = self.visit

        def work(_ctx):
            saved = visit.save_note(note, self.clinician)
            visit.set_state("draft", self.clinician)
            return saved

        def ok(saved):
            self.note = saved
            self.dirty = False
            self._refresh_record()
            self.note_changed.emit(saved, "amended")
            self.message.emit(f"Amending: version {saved.version} is an editable copy of the approved note.")

        self._serial(work, ok, name="amend")

    def save_if_dirty(self) -> None:
        if not self.dirty or self.note is None or self.note.approval is not None:
            return
        note = self.note
        visit = self.visit
        self.dirty = False

        def ok(saved):
            if self.note is note:  # no edit in the meantime: adopt the stored version number
                self.note = saved

        self._serial(lambda _c: visit.save_working_draft(note, self.clinician), ok, name="autosave")

    # ------------------------------------------------------------------ export
    def export(self, path: str) -> None:
        from .export import export_fhir_file

        note = self.note
        if note is None:
            return
        visit = self.visit
        org = self.ctx.settings.organization_name
        folders = self.ctx.settings.template_folders
        who = self.clinician

        def work(_ctx):
            out = export_fhir_file(note, path, org, folders)
            visit.set_state("exported", who)
            visit.audit("exported_fhir", who, path=str(out), version=note.version)
            return str(out)

        def ok(out):
            self._refresh_record()
            self.exported.emit(out)
            self.message.emit(f"Exported FHIR DocumentReference to {out}.")

        self._serial(work, ok, name="export")

    def send_to_ehr(self) -> None:
        sender = self.ctx.ehr_sender
        if sender is None or self.note is None:
            return
        note = self.note
        visit = self.visit

        def work(ctx):
            receipt = sender.send(note, ctx.progress)
            visit.refresh()  # the sender marks the visit exported on disk: show it
            return receipt

        def ok(receipt):
            self._refresh_record()
            self.message.emit(str(receipt))

        self._serial(work, ok, name="send-ehr")

    # ------------------------------------------------------------------ playback
    def play_from(self, seconds: float, widget=None) -> None:
        if self.ctx.player is not None:
            self.ctx.player.play(self.visit, seconds, widget)

    # ------------------------------------------------------------------ shutdown
    def close(self, wait: bool = False) -> None:
        """Stop everything running for this visit (recording is saved, not discarded)."""
        self.closed = True
        self._warm_timer.stop()
        self._autosave.stop()
        if self._live is not None:
            self._live.close()
        if self.recorder is not None and self.recorder_state in ("recording", "paused", "lost", "starting"):
            rec = self.recorder
            try:
                rec.stop()
            except ScribeError as exc:
                log.error("stopping the recorder on close: %s", exc)
            self.recorder_state = "done"
        self.save_if_dirty()
        if self._worker is not None:
            self._worker.abort()
        if self._worker_thread is not None:
            self._worker_thread.quit(wait_ms=10000 if wait else 0)
        self.cancel_draft()
