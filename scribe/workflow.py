"""One visit from the first word recorded to the exported note: the steps, their order and the
visit's state machine, in one Qt-free place.

The desktop app (``scribe.ui.session.VisitSession``) and the command line (``scribe.pipeline``)
both drive a visit through :class:`VisitWorkflow`. The app only decides *when* each step runs
(which worker thread) and turns what the steps return into Qt signals: the split Anki uses,
logic in the library, the UI hearing typed change notices (:class:`NoteChange`).

The visit's workflow state (``VisitState``, kept in ``visit.json``) moves only here; the note's
steps check it against :data:`TRANSITIONS`::

    recording --stop_recording--> transcribing --keep_transcript--> (no speech: recorded)
    transcribing | recorded | interrupted | draft --draft--> drafting --> draft
    draft --approve--> approved --export_fhir--> exported
    approved | exported --amend--> draft

(``VisitStore`` creates a visit in ``recording``; ``Recorder`` keeps the state while it records;
``Visit.recover`` marks a crashed recording ``interrupted``.)

Threads: methods marked *fast* touch no disk and no model and may run on the UI thread; every
other method blocks (disk, models) and belongs on a worker. A workflow without a stored visit
(``visit=None``: the command line, which writes its own files) keeps its state in memory.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import approval
from .asr.content import require_clinical_content
from .domain import Encounter, NoteDraft, Segment, Statement, Transcript
from .errors import ApprovalError, DraftCancelled, DraftingError, ScribeError, TranscriptError
from .note_lines import LineChange, apply_changes
from .storage import Visit, VisitState
from .threads import lower_thread_priority

if TYPE_CHECKING:  # for annotations only: the drafting modules load with the model, off the UI thread
    from .drafting.drafter import DraftEvent, NoteDrafter
    from .drafting.incremental import LiveDrafter
    from .drafting.runtimes import LLMRuntime
    from .drafting.templates import Template
    from .recording import AudioSource, Recorder

log = logging.getLogger(__name__)

DRAFTER_ACTOR = "scribe"  # audit name for machine-written content

MakeDrafter = Callable[[Any, Any], Any]  # (runtime, template) -> NoteDrafter


class NoteChange(StrEnum):
    """Why the visit's note changed (what the app's ``note_changed`` signal carries)."""

    drafted = "drafted"
    edited = "edited"  # the physician's line edits
    charted = "charted"  # a fact the note left out, added from "Said but not in the note"
    confirmed = "confirmed"  # a flagged statement taken as written
    approved = "approved"
    amended = "amended"  # a new, editable version of the approved note
    reverted = "reverted"  # an edit was refused: the note is as it was


class RecorderPhase(StrEnum):
    """The recording strip of an open visit (finer than VisitState: it includes the seconds while
    a microphone opens or the last audio is written)."""

    idle = "idle"  # nothing recorded in this window yet
    starting = "starting"
    recording = "recording"
    paused = "paused"
    lost = "lost"  # the microphone stopped delivering: continue on another or stop
    stopping = "stopping"
    done = "done"

    @property
    def is_recording(self) -> bool:
        return self in (
            RecorderPhase.starting,
            RecorderPhase.recording,
            RecorderPhase.paused,
            RecorderPhase.lost,
            RecorderPhase.stopping,
        )


_S = VisitState
# The note's steps: the states each may start from, and the state it leaves the visit in.
TRANSITIONS: dict[str, tuple[frozenset[VisitState], VisitState]] = {
    # (recording: a visit opened after a crash whose transcript was saved; drafting: a failed draft, again)
    "draft": (frozenset({_S.recording, _S.recorded, _S.interrupted, _S.transcribing, _S.drafting, _S.draft}), _S.draft),
    "approve": (frozenset({_S.drafting, _S.draft}), _S.approved),
    "amend": (frozenset({_S.approved, _S.exported}), _S.draft),
    "export": (frozenset({_S.approved, _S.exported}), _S.exported),
}
_STEP_NAMES = {"draft": "drafted", "approve": "approved", "amend": "amended", "export": "exported"}


def _state_of(note: NoteDraft | None) -> VisitState:
    """Where a visit kept in memory stands (the command line works on note files)."""
    if note is None:
        return VisitState.recorded
    return VisitState.approved if note.approval is not None else VisitState.draft


def _default_drafter(runtime: Any, template: Any) -> Any:
    from .drafting.drafter import NoteDrafter

    return NoteDrafter(runtime, template)


class VisitWorkflow:
    """One visit's transcript and note through record, transcribe, draft, review, approve, amend
    and export, with the rules of ``scribe.approval`` and every change kept by ``scribe.storage``.

    ``visit`` is the stored visit (None: nothing is stored, the caller keeps the results).
    ``make_drafter(runtime, template)`` builds the drafter (tests pass scripted ones).
    """

    def __init__(
        self,
        visit: Visit | None,
        encounter: Encounter | None = None,
        *,
        transcript: Transcript | None = None,
        note: NoteDraft | None = None,
        asr_model: str | None = None,
        make_drafter: MakeDrafter = _default_drafter,
        vocabulary_files: Sequence[str] | None = None,
    ):
        self.visit = visit
        if encounter is None:
            encounter = visit.record.encounter if visit is not None else note.encounter if note is not None else None
        self.encounter = encounter or Encounter()
        self.transcript = transcript
        self.note = note
        self.asr_model = asr_model
        self.make_drafter = make_drafter
        self.vocabulary_files = tuple(vocabulary_files or ())  # the clinic's words count as clinical
        self.segments: list[Segment] = list(transcript.segments) if transcript is not None else []
        self.recorder: Recorder | None = None
        self.recorded_seconds = (visit.record.audio_seconds if visit is not None else 0.0) or (
            transcript.duration if transcript is not None else 0.0
        )
        self.dirty = False  # the note was edited since it was last saved
        self.notices: list[str] = []  # the last draft's one-line warnings
        self._state = visit.state if visit is not None else _state_of(note)
        self._offset = (0, 0.0)  # (id, seconds) added to a continued recording's new segments
        self._live: LiveDrafter | None = None  # keeps the draft ahead of the transcript while recording
        self._warmed_segments = 0
        self._rolling_shown: list[str] = []  # sections of the live draft already on screen at Stop
        self._live_stop = threading.Event()
        self._live_thread: threading.Thread | None = None
        self._lock = threading.RLock()  # the note in memory; never held across disk writes

    # ------------------------------------------------------------------ state
    @property
    def state(self) -> VisitState:
        return self.visit.state if self.visit is not None else self._state

    def _check(self, step: str) -> VisitState:
        """The state ``step`` leaves the visit in; ScribeError if it may not run in this state."""
        allowed, after = TRANSITIONS[step]
        if self.state not in allowed:
            raise ScribeError(f"The note cannot be {_STEP_NAMES[step]} while the visit is {self.state.value}.")
        return after

    def _enter(self, state: VisitState, actor: str) -> None:
        if self.visit is not None:
            self.visit.set_state(state, actor)
        self._state = state

    def _keep_version(self, note: NoteDraft, actor: str) -> NoteDraft:
        return self.visit.save_note(note, actor) if self.visit is not None else note

    # ------------------------------------------------------------------ recording
    def check_can_record(self) -> None:
        """*fast*: ScribeError if this visit may not record (one conversation per visit)."""
        if self.note is not None:
            raise ScribeError("This visit already has a note; start a new visit to record another conversation.")

    def start_recording(
        self,
        source: AudioSource,
        listener: Callable[[np.ndarray], None],
        *,
        actor: str,
        on_device_lost: Callable[[str], None] | None = None,
        on_storage_error: Callable[[str], None] | None = None,
    ) -> Recorder:
        """Record into the visit from ``source``; ``listener`` hears the audio (the recogniser).

        A recording continued after a crash without a transcript first plays the saved audio to
        the listener, so the transcript covers the whole visit in order; otherwise the new
        segments follow the ones already there (ids and times)."""
        from .recording import Recorder

        visit = self._stored()
        self.check_can_record()
        replay_saved = not self.segments
        if replay_saved and visit.has_audio():
            samples, rate = visit.load_audio()
            for i in range(0, len(samples), int(rate)):
                listener(samples[i : i + int(rate)])
        recorder = Recorder(
            visit,
            source,
            listeners=[listener],
            on_device_lost=on_device_lost,
            on_storage_error=on_storage_error,
            actor=actor,
        )
        self.recorder = recorder  # before it starts: closing the visit meanwhile stops it
        try:
            recorder.start()
        except BaseException:
            self.recorder = None
            raise
        if not replay_saved and recorder.seconds_before > 0:
            self._offset = (max((s.id for s in self.segments), default=-1) + 1, recorder.seconds_before)
        return recorder

    def stop_recording(self) -> float:
        """Stop and save the recording; the visit waits for its transcript. Returns its seconds."""
        recorder = self.recorder
        if recorder is None:
            return self.recorded_seconds
        self.recorded_seconds = recorder.stop()
        self._enter(VisitState.transcribing, DRAFTER_ACTOR)
        return self.recorded_seconds

    def feed_saved_audio(self, listener: Callable[[np.ndarray], None], cancelled: Callable[[], bool]) -> float:
        """Transcribe the recording already saved (e.g. after a crash): the transcript starts
        over and the saved audio is played to ``listener`` (the recogniser) second by second."""
        visit = self._stored()
        self.restart_transcript()
        self._enter(VisitState.transcribing, DRAFTER_ACTOR)
        samples, rate = visit.load_audio()
        step = int(rate)
        for i in range(0, len(samples), step):
            if cancelled():
                break
            listener(samples[i : i + step])
        self.recorded_seconds = len(samples) / rate
        return self.recorded_seconds

    def _stored(self) -> Visit:
        if self.visit is None:
            raise ScribeError("This step needs a saved visit.")
        return self.visit

    # ------------------------------------------------------------------ transcript
    def restart_transcript(self) -> None:
        """*fast*: forget the segments so far (the saved audio is transcribed again)."""
        self.segments = []
        self._offset = (0, 0.0)

    def shifted(self, segments: Iterable[Segment]) -> list[Segment]:
        """*fast*: segments of the recogniser as this visit numbers them (after the saved ones)."""
        id_off, t_off = self._offset
        if not id_off and not t_off:
            return list(segments)
        return [
            s.model_copy(update={"id": s.id + id_off, "start": s.start + t_off, "end": s.end + t_off}) for s in segments
        ]

    def add_segments(self, segments: Iterable[Segment]) -> list[Segment]:
        """*fast*: newly final segments from the recogniser; returns them as the visit numbers them.
        While recording, the live drafter is offered the longer transcript."""
        new = self.shifted(segments)
        self.segments.extend(new)
        if self._live is not None and self.recorder is not None:
            self._live.offer(self.transcript_so_far())  # an update in flight warms these lines too
        return new

    def transcript_so_far(self) -> Transcript:
        """*fast*: the transcript of the final segments so far (numbered in time order)."""
        from .asr.engine import transcript_from_segments

        duration = max(self.recorded_seconds, self.segments[-1].end if self.segments else 0.0)
        return transcript_from_segments(self.segments, duration=duration, source="audio.wav", asr_model=self.asr_model)

    def save_partial_transcript(self, segments: list[Segment]) -> None:
        """Keep what the recogniser has finalised so far (a crash then loses no transcript)."""
        self._stored().save_transcript(
            Transcript(
                segments=segments,
                duration=segments[-1].end if segments else 0.0,
                source="audio.wav",
                asr_model=self.asr_model,
            ),
            DRAFTER_ACTOR,
        )

    def finish_transcript(self) -> tuple[Transcript, bool]:
        """*fast*: the recogniser has finished: the visit's transcript, and whether its segments changed
        (renumbered, or a drug correction the visit does not bear out taken back: the view and the evidence
        ids must follow)."""
        from .asr.engine import settle_segments

        self.segments, withdrawn = settle_segments(self.segments, self.vocabulary_files)
        transcript = self.transcript_so_far()
        changed = bool(withdrawn) or [s.id for s in transcript.segments] != [s.id for s in self.segments]
        self.segments = list(transcript.segments)
        self.transcript = transcript
        return transcript, changed

    def keep_transcript(self) -> Transcript:
        """Save the finished transcript. TranscriptError (and the visit back to ``recorded``) when
        no speech was recognised: there is nothing to draft."""
        transcript = self.transcript or self.transcript_so_far()
        if self.visit is not None:
            self.visit.save_transcript(transcript, DRAFTER_ACTOR)
        try:  # silence, noise, music or small talk: no draft (scribe.asr.content)
            require_clinical_content(transcript, self.vocabulary_files)
        except TranscriptError:
            self._enter(VisitState.recorded, DRAFTER_ACTOR)
            raise
        return transcript

    def content_refusal(self) -> str | None:
        """Why the saved transcript was not drafted from, when the no-clinical-conversation gate refuses
        it (silence, noise, small talk); else None. A visit left ``recorded`` with a transcript was either
        refused here or interrupted, and the page must not call a refused one "not transcribed"."""
        if self.transcript is None:
            return None
        try:
            require_clinical_content(self.transcript, self.vocabulary_files)
        except TranscriptError as exc:
            return str(exc)
        return None

    # ------------------------------------------------------------------ drafting during the visit
    def offer_to_live_drafter(self, runtime: LLMRuntime, template: Template) -> LiveDrafter | None:
        """*fast*: while recording, give the live drafter the transcript so far (creating it for this
        model and template). Returns it when there is something new to work on, else None."""
        if len(self.segments) <= self._warmed_segments and self._live is not None:
            return None
        self._warmed_segments = len(self.segments)
        if self._live is None or self._live.runtime is not runtime:
            from .drafting.incremental import LiveDrafter

            self._live = LiveDrafter(self.make_drafter(runtime, template))
        self._live.offer(self.transcript_so_far())
        return self._live

    def start_live_drafting(self, get_runtime: Callable[[], Any], template: Template, *, every_s: float) -> None:
        """*fast*: while recording, keep the draft ahead of the transcript on a low-priority thread.

        Every ``every_s`` seconds the live drafter is offered the transcript so far and brings the
        draft up to it (warms the prompt Stop will send, answers a rolling question); after an
        answer (~20 s of work) it goes on at once, so what was said meanwhile is not left for
        Stop. ``get_runtime()`` is None until the model has loaded."""
        if self._live_thread is not None:
            return
        stop = self._live_stop

        def run() -> None:
            from .drafting.incremental import Update

            lower_thread_priority()  # as the final draft
            wait = 0.0  # the instructions at once: the transcript then only adds lines
            while not stop.wait(wait):
                wait = every_s
                runtime = get_runtime()
                live = self.offer_to_live_drafter(runtime, template) if runtime is not None else None
                try:
                    if live is not None and live.update() == Update.answered:
                        wait = 0.0
                except Exception as exc:  # noqa: BLE001 - the draft at Stop starts from scratch instead
                    log.warning("drafting during the visit failed: %s", exc, exc_info=True)

        self._live_thread = threading.Thread(target=run, name="scribe-live-draft", daemon=True)
        self._live_thread.start()

    def hold_live_drafter(self) -> None:
        """*fast*: Stop was pressed: no more updates during the visit, and one in flight waits
        while the recogniser finishes."""
        self._live_stop.set()
        if self._live is not None:
            self._live.hold()

    @property
    def live_drafter(self) -> LiveDrafter | None:
        """The drafter keeping the note ahead of the transcript while recording (None before and after)."""
        return self._live

    def rolling_sections(self, template: Template, transcript: Transcript) -> list[tuple[str, list[Statement]]]:
        """At Stop: the sections the live drafter keeps for ``transcript`` (drafted during the visit)."""
        live = self._live
        if live is None or live.drafter.template != template:
            return []
        return live.kept_sections(transcript)

    def mark_rolling_shown(self, keys: list[str]) -> None:
        """*fast*: these rolling sections are on screen; the draft adds the rest without repeating them."""
        self._rolling_shown = list(keys)

    def rolling_shown_for(self, runtime: Any, template: Template) -> list[str]:
        """*fast*: the sections already on screen that a draft with ``runtime`` and ``template`` keeps."""
        live = self._live
        if live is None or live.runtime is not runtime or live.drafter.template != template:
            return []
        return list(self._rolling_shown)

    def close_live_drafter(self) -> None:
        self._live_stop.set()
        if self._live is not None:
            self._live.close()

    # ------------------------------------------------------------------ draft
    def check_can_draft(self) -> Transcript:
        """*fast*: the transcript to draft from; TranscriptError if it is empty or names nothing clinical
        (silence, noise or small talk must not become an invented visit)."""
        transcript = self.transcript or self.transcript_so_far()
        require_clinical_content(transcript, self.vocabulary_files)
        self._check("draft")
        return transcript

    def draft(
        self,
        get_runtime: Callable[[], LLMRuntime],
        template: Template,
        *,
        on_event: Callable[[DraftEvent], None] | None = None,
        on_drafting: Callable[[], None] | None = None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> NoteDraft:
        """Draft the note and keep it as a new version (visit: drafting -> draft).

        ``get_runtime()`` returns the model, waiting for it to load if need be (it is called once
        the visit shows "drafting"; ``on_drafting`` is told then). What the live drafter drafted
        during the visit with this model and template is used, and the rest drafted now;
        otherwise the whole note is drafted from the transcript. ``on_event`` hears every
        DraftEvent (tokens, sections, statements). The drafter's one-line notices (a part drafted
        without its format, ...) are in :attr:`notices` afterwards.
        """
        transcript = self.check_can_draft()
        self._enter(VisitState.drafting, DRAFTER_ACTOR)
        if on_drafting is not None:
            on_drafting()
        model = get_runtime()
        shown = self.rolling_shown_for(model, template)
        live, self._live, self._rolling_shown = self._live, None, []  # a re-draft starts from scratch
        drafter: NoteDrafter
        if live is not None and live.runtime is model and live.drafter.template == template:
            drafter = live.drafter
            events = live.stream(transcript, self.encounter, shown=shown)  # drafted during the visit, then the rest
        else:
            drafter = self.make_drafter(model, template)
            events = drafter.stream(transcript, self.encounter)
        note = None
        for ev in events:
            if cancelled():
                raise DraftCancelled("Drafting was cancelled.")
            if on_event is not None:
                on_event(ev)
            if ev.kind == "done":
                note = ev.note
        if note is None:
            raise DraftingError("The language model did not finish the note.")
        self.notices = list(drafter.stats.extra.get("notices", []))
        note = self._keep_version(note, DRAFTER_ACTOR)
        self._enter(self._check("draft"), DRAFTER_ACTOR)
        with self._lock:
            self.note, self.dirty = note, False
        return note

    # ------------------------------------------------------------------ review (rules: scribe.approval)
    def apply_changes(self, changes: list[LineChange], clinician: str) -> NoteDraft:
        """*fast*: the physician's line edits, attributed and grounded again; ScribeError (nothing
        changed) if one breaks a rule."""
        with self._lock:
            note = apply_changes(self._require_note(), changes, clinician, self.transcript)
            self.note, self.dirty = note, True
            return note

    def chart_fact(self, fact: Any, clinician: str) -> NoteDraft:
        """*fast*: chart a fact the note left out (``scribe.omissions``): the physician's statement,
        citing what was said, attributed and grounded."""
        from .omissions import chart_fact

        with self._lock:
            if self.transcript is None:
                raise TranscriptError("This visit has no transcript to chart from.")
            note, _ = chart_fact(self._require_note(), fact, clinician, self.transcript)
            self.note, self.dirty = note, True
            return note

    def confirm(self, statement_id: str, clinician: str) -> NoteDraft:
        """*fast*: the physician takes a flagged statement as written."""
        with self._lock:
            note = approval.confirm_statement(self._require_note(), statement_id, clinician)
            self.note, self.dirty = note, True
            return note

    def save_working_draft(self, clinician: str) -> NoteDraft | None:
        """Keep edits in progress (no new version); None when there was nothing to keep."""
        with self._lock:
            note = self.note
            if not self.dirty or note is None or note.approval is not None:
                return None
            self.dirty = False
        saved = self.visit.save_working_draft(note, clinician) if self.visit is not None else note
        with self._lock:
            if self.note is note:  # no edit in the meantime: adopt the stored version number
                self.note = saved
        return saved

    def approve(
        self,
        clinician: str,
        attestation: str | None = None,
        *,
        confirm_flagged: bool = False,
        login: str | None = None,
        keys: Any = None,
        medications: Any = None,
    ) -> NoteDraft:
        """Re-check the note against the transcript, sign it as it is now and keep it (a new version;
        visit: approved). ApprovalError while a statement carries a safety flag, unless
        ``confirm_flagged`` confirms each first (the CLI's ``--confirm-unsupported``). ``login`` is the
        signed-in account (the audit's actor); ``keys`` the installation's signing keys
        (:mod:`scribe.approval`): an approval without them is unsigned and no export accepts it."""
        actor = login or clinician
        with self._lock:
            note = self._require_note()
            transcript = self.transcript or (self.transcript_so_far() if self.segments else None)
            if self.visit is not None:  # an approval is a new version, and the signature covers its number
                note = note.model_copy(update={"version": max(note.version, self.visit.next_version())})
            kw: dict[str, Any] = {"transcript": transcript, "login": login, "keys": keys, "medications": medications}
            if confirm_flagged:
                signed = approval.approve_all_flagged_confirmed(note, clinician, **kw)
            else:
                signed = approval.approve(note, clinician, attestation, **kw)
            after = self._check("approve")
            self.note = signed  # locked from now on: a later edit is refused
        saved = self._keep_version(signed, actor)
        self._enter(after, actor)
        with self._lock:
            self.note, self.dirty = saved, False
        return saved

    def amend(self, clinician: str, reason: str = "") -> NoteDraft:
        """Start a new, editable version of the approved note (visit: draft)."""
        with self._lock:
            note = approval.amend(self._require_note(), clinician, reason)
            after = self._check("amend")
            self.note = note
        saved = self._keep_version(note, clinician)
        self._enter(after, clinician)
        with self._lock:
            self.note, self.dirty = saved, False
        return saved

    def _require_note(self) -> NoteDraft:
        if self.note is None:
            raise ApprovalError("This visit has no note yet.")
        return self.note

    # ------------------------------------------------------------------ export
    def export_fhir(
        self,
        path: Path,
        clinician: str,
        organization: str | None,
        keys: Any = None,
        template_folders: Sequence[Path] = (),
    ) -> Path:
        """Write the approved note as a validated FHIR DocumentReference (visit: exported).
        ``path`` is a file, or a folder to name the file in. With ``keys``, the approval's signature
        and (for a stored visit) its audit entry are verified first: the file's word is not trusted."""
        from .fhir.validate import default_file_name, write_document_reference

        after = self._check("export")
        note = self._require_note()
        if keys is not None:
            approval.verify_for_export(note, keys, self.visit)
        target = Path(path)
        write_document_reference(note, target, organization=organization, template_folders=template_folders)
        out = target / default_file_name(note) if target.is_dir() else target
        self._enter(after, clinician)
        if self.visit is not None:  # ids only: a path can carry the patient's name
            self.visit.audit("exported_fhir", clinician, version=note.version, note_id=note.note_id)
        return out

    def send(self, sender: Any, progress: Any = None) -> str:
        """Send the approved note with an EHR sender (it marks the visit exported); its receipt."""
        receipt = sender.send(self._require_note(), progress)
        if self.visit is not None:
            self.visit.refresh()
        return str(receipt)

    # ------------------------------------------------------------------ end
    def close(self) -> None:
        """The visit is closed: stop recording (the audio is saved) and background drafting."""
        self.close_live_drafter()
        from .recording import RecorderState

        recorder = self.recorder
        if recorder is not None and recorder.state != RecorderState.stopped:  # (a Stop in progress finishes alone)
            try:
                recorder.stop()
            except ScribeError as exc:
                log.error("stopping the recorder on close: %s", exc)
