"""The recording strip and the live transcript of one open visit, scheduled off the UI thread.

:class:`VisitCapture` runs the audio half of :class:`scribe.workflow.VisitWorkflow`: the recorder
steps on the serial worker (start, pause, resume, another microphone, stop), the recogniser on
its own thread (:class:`~scribe.ui.workers.LiveTranscription`), and drafting during the visit.
It keeps the recording strip's phase (:class:`~scribe.workflow.RecorderPhase`) and says what
happened through signals; the note half is :class:`~scribe.ui.session.VisitSession`, which owns
a capture and passes its signals on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from ..domain import Transcript
from ..errors import ScribeError
from ..workflow import RecorderPhase, VisitWorkflow
from .context import AppContext
from .ops import BackgroundOp, OpContext, serial_pool
from .workers import LiveTranscription

log = logging.getLogger(__name__)


class VisitCapture(QObject):
    phase_changed = Signal(str)  # RecorderPhase
    state_changed = Signal()  # a step may have moved the visit's workflow state
    segments_added = Signal(object)  # list of Segment, numbered as the visit numbers them
    preview_changed = Signal(object)  # provisional segments after the final ones (list; [] clears)
    transcript_replaced = Signal(object)  # Transcript
    transcript_kept = Signal(object)  # the finished transcript is saved: the note can be drafted
    rolling_note = Signal(object, object)  # at Stop: (template, [(section key, statements)]) drafted during the visit
    device_lost = Signal(str)
    storage_problem = Signal(str)
    transcription_failed = Signal(object)  # the recogniser failed (its process crashed twice on a window, …)
    message = Signal(str)
    error = Signal(object)

    # emitted from recorder threads, delivered on the UI thread
    _device_lost_x = Signal(str)
    _storage_x = Signal(str)

    def __init__(
        self,
        ctx: AppContext,
        workflow: VisitWorkflow,
        actor: Callable[[], str],
        template: Callable[[], Any],
        phase: RecorderPhase,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.ctx = ctx
        self.workflow = workflow
        self._actor = actor  # who records (the visit's clinician)
        self._template = template  # the visit's note template (ScribeError if it is unknown)
        self.phase = phase
        self.asr: LiveTranscription | None = None  # the recogniser on its thread, while it runs
        self.closed = False
        self._device_lost_x.connect(self._on_device_lost, Qt.ConnectionType.QueuedConnection)
        self._storage_x.connect(self.storage_problem, Qt.ConnectionType.QueuedConnection)

    @property
    def elapsed(self) -> float:
        r = self.workflow.recorder
        return float(r.elapsed) if r is not None else self.workflow.recorded_seconds

    @property
    def level(self) -> float | None:
        r = self.workflow.recorder
        return float(r.level) if r is not None and self.phase == RecorderPhase.recording else None

    @property
    def transcribing(self) -> bool:
        return self.asr is not None and self.asr.running and not self.phase.is_recording

    def _set_phase(self, phase: RecorderPhase) -> None:
        self.phase = phase
        self.phase_changed.emit(phase.value)

    def _op(
        self,
        name: str,
        step: Callable[[OpContext], Any],
        during: RecorderPhase | None = None,
        after: RecorderPhase | None = None,
        failed_to: RecorderPhase | None = None,
        *,
        say: Callable[[Any], str] | None = None,
        ok: Callable[[Any], None] | None = None,
        cleanup: Callable[[], None] | None = None,
        serial: bool = True,
    ) -> None:
        """A step on a worker (the serial one unless ``serial`` is False): the strip shows
        ``during``, then ``after`` and the message ``say(result)`` before ``ok(result)``; if the
        step fails, ``cleanup()``, the strip shows ``failed_to`` and the error is shown."""

        def done(result: Any) -> None:
            if after is not None:  # first: the state's listeners must see the recorder as it now is
                self._set_phase(after)
            self.state_changed.emit()
            if say is not None:
                self.message.emit(say(result))
            if ok is not None:
                ok(result)

        def failed(exc: BaseException) -> None:
            if cleanup is not None:
                cleanup()
            if failed_to is not None:
                self._set_phase(failed_to)
            self.state_changed.emit()
            if isinstance(exc, ScribeError):  # the status bar must not go on saying what was under way
                self.message.emit(str(exc).split(": ", 1)[0].rstrip(".") + ".")
            self.error.emit(exc)

        if during is not None:
            self._set_phase(during)
        BackgroundOp(step, on_success=done, on_failure=failed, name=name).start(serial_pool() if serial else None)

    # ------------------------------------------------------------------ recording
    def start(self, device: Any) -> None:
        if self.phase != RecorderPhase.idle:
            return
        try:
            self.workflow.check_can_record()
            source = self.ctx.make_source(device)
        except ScribeError as exc:
            self.error.emit(exc)
            return
        asr = self._start_asr()

        def work(_ctx: OpContext) -> Any:
            return self.workflow.start_recording(
                source,
                asr.push,
                actor=self._actor(),
                on_device_lost=self._device_lost_x.emit,  # recorder thread -> queued to the UI thread
                on_storage_error=self._storage_x.emit,
            )

        def started(_recorder: Any) -> None:
            ctx = self.ctx
            if ctx.warm_interval_s > 0:
                try:
                    template = self._template()
                except ScribeError:
                    return
                hub = ctx.models
                self.workflow.start_live_drafting(lambda: hub.llm, template, every_s=ctx.warm_interval_s)

        self._op(
            "recorder-start",
            work,
            RecorderPhase.starting,
            RecorderPhase.recording,
            RecorderPhase.idle,
            say=lambda rec: f"Recording from {getattr(rec.source, 'name', 'microphone')}.",
            ok=started,
            cleanup=lambda: asr.stop(abort=True),
        )

    def toggle(self, device: Any) -> None:
        {
            RecorderPhase.idle: lambda: self.start(device),
            RecorderPhase.recording: self.pause,
            RecorderPhase.paused: self.resume,
        }.get(self.phase, lambda: None)()

    def pause(self) -> None:
        rec, paused = self.workflow.recorder, RecorderPhase.paused
        if self.phase == RecorderPhase.recording and rec is not None:
            self._op("recorder-pause", lambda _c: rec.pause(), paused, paused, paused)

    def resume(self) -> None:
        rec, recording = self.workflow.recorder, RecorderPhase.recording
        if self.phase == RecorderPhase.paused and rec is not None:
            self._op("recorder-resume", lambda _c: rec.resume(), recording, recording, recording)

    @Slot(str)
    def _on_device_lost(self, message: str) -> None:
        if self.phase in (RecorderPhase.recording, RecorderPhase.paused):
            self._set_phase(RecorderPhase.lost)
            self.device_lost.emit(message)

    def continue_with(self, device: Any) -> None:
        """After a lost microphone: keep recording this visit on ``device``."""
        rec = self.workflow.recorder
        if self.phase != RecorderPhase.lost or rec is None:
            return
        try:
            source = self.ctx.make_source(device)
        except ScribeError as exc:
            self.error.emit(exc)
            return
        self._op(
            "recorder-switch",
            lambda _c: rec.switch_source(source),
            RecorderPhase.starting,
            RecorderPhase.recording,
            RecorderPhase.lost,
            say=lambda _: f"Recording continues from {getattr(source, 'name', 'the new microphone')}.",
        )

    def stop(self) -> None:
        if self.phase not in (RecorderPhase.recording, RecorderPhase.paused, RecorderPhase.lost):
            return
        asr = self.asr
        self.workflow.hold_live_drafter()  # background drafting waits while the recogniser finishes
        self._show_rolling_note()

        def work(_ctx: OpContext) -> float:
            try:
                return self.workflow.stop_recording()
            finally:
                if asr is not None:
                    asr.end()  # flush the recogniser once the last chunk is in

        done = RecorderPhase.done
        say = lambda _: "Recording saved. Finishing the transcript…"  # noqa: E731
        self._op("recorder-stop", work, RecorderPhase.stopping, done, done, say=say)

    def _show_rolling_note(self) -> None:
        """At Stop: the sections drafted during the visit go on screen now, while the recogniser
        finishes (the session shows them; the draft then adds the rest)."""
        try:
            template = self._template()
        except ScribeError:
            return
        transcript = self.workflow.transcript_so_far()

        def kept(sections: list) -> None:
            if sections:
                self.rolling_note.emit(template, sections)

        BackgroundOp(
            lambda _c: self.workflow.rolling_sections(template, transcript),
            on_success=kept,
            on_failure=lambda exc: log.info("showing the rolling note failed: %s", exc),
            name="rolling-note",
        ).start()

    # ------------------------------------------------------------------ transcript
    def _start_asr(self) -> LiveTranscription:
        if self.asr is not None and self.asr.running:
            return self.asr
        wf = self.workflow
        self.asr = asr = LiveTranscription(
            self.ctx.models.wait_asr,
            self.ctx.make_transcriber,
            f"asr-{wf.encounter.encounter_id}",
            on_segments=None if wf.segments else wf.save_partial_transcript,  # (on the recogniser's thread)
            preview_interval_s=max(0.0, self.ctx.settings.asr_live_preview_s),
            parent=self,
        )
        asr.segments_ready.connect(lambda segs: self.segments_added.emit(wf.add_segments(segs)))
        asr.preview_ready.connect(lambda segs: self.preview_changed.emit(wf.shifted(segs)))
        asr.finished.connect(self._on_transcription_finished)
        asr.failed.connect(self._on_transcription_failed)
        asr.waiting_for_model.connect(
            lambda: self.message.emit("Recording; the transcript starts as soon as the speech model has loaded.")
        )
        asr.start()
        return asr

    def _on_transcription_finished(self, tail: list) -> None:
        self.preview_changed.emit([])
        if tail:
            self.segments_added.emit(self.workflow.add_segments(tail))
        self.asr = None
        if self.closed:
            return
        transcript, changed = self.workflow.finish_transcript()
        if changed:  # renumbered, or a drug correction taken back: keep the view and the evidence ids in step
            self.transcript_replaced.emit(transcript)
        self._op(
            "save-transcript",
            lambda _c: self.workflow.keep_transcript(),
            say=lambda t: f"Transcript complete: {len(t.segments)} passages.",
            ok=self.transcript_kept.emit,
        )

    def _on_transcription_failed(self, exc: BaseException) -> None:
        self.asr = None
        self.transcription_failed.emit(exc)
        self.error.emit(exc)

    def transcribe_saved(self) -> None:
        """For a visit whose audio was saved but not (fully) transcribed, e.g. after a crash."""
        self.workflow.restart_transcript()
        self.transcript_replaced.emit(Transcript())
        asr = self._start_asr()
        self.message.emit("Transcribing the saved recording…")

        def work(ctx: OpContext) -> float:
            try:
                return self.workflow.feed_saved_audio(asr.push, lambda: ctx.cancelled)
            finally:
                asr.end()

        self._op("feed-saved-audio", work, cleanup=lambda: asr.stop(abort=True), serial=False)

    def close(self, wait: bool = False) -> None:
        """Stop recording (the audio is saved) and the recogniser."""
        self.closed = True
        self.workflow.close()
        if self.phase.is_recording:
            self.phase = RecorderPhase.done
        if self.asr is not None:
            self.asr.stop(abort=True, wait_ms=10000 if wait else 0)
