"""The headless pipeline: audio -> transcript -> grounded draft -> approval -> FHIR.

One object owns the loaded models so the CLI and benchmarks load each model once and reuse it
across visits. The steps after the transcript are the app's: :class:`~scribe.workflow.VisitWorkflow`
(without a stored visit: the command line writes its own files). Every step reports progress
through one callback ``progress(fraction, message)``, so a terminal bar is trivial.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .domain import Encounter, NoteDraft, Transcript
from .errors import ApprovalError, InputError, ModelCrashError
from .settings import Settings, load_settings
from .transcript_io import save_json
from .workflow import VisitWorkflow

Progress = Callable[[float, str], None]


def _quiet(fraction: float, message: str) -> None:
    pass


@dataclass
class RunResult:
    transcript_path: Path
    note_path: Path
    fhir_path: Path | None
    transcript: Transcript
    note: NoteDraft
    messages: list[str] = field(default_factory=list)


class Pipeline:
    """Lazily loads the ASR engine and the LLM runtime from :class:`Settings`."""

    def __init__(self, settings: Settings | None = None, progress: Progress | None = None):
        self.settings = settings or load_settings()
        self.progress = progress or _quiet
        self._asr = None
        self._runtime = None
        self.notices: list[str] = []  # what the last draft wants the user to know (see NoteDrafter.stats)

    # -- models ------------------------------------------------------------------

    @property
    def asr(self):
        if self._asr is None:
            from .workers.asr import create_asr_engine

            # loads lazily on first use, so bad audio is refused before the model loads
            self._asr = create_asr_engine(self.settings.asr_model, self.settings)
        return self._asr

    @property
    def runtime(self):
        if self._runtime is None:
            from .drafting.runtimes import create_runtime

            runtime = create_runtime(self.settings, self.progress)
            runtime.load(self.progress)
            self._runtime = runtime
        return self._runtime

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.close()
            self._runtime = None
        close = getattr(self._asr, "close", None)
        if callable(close):
            close()
        self._asr = None

    # -- steps -------------------------------------------------------------------

    def transcribe(self, audio_path: Path) -> Transcript:
        return self.asr.transcribe_file(audio_path, progress=self.progress)

    def draft(
        self, transcript: Transcript, template: str = "soap", encounter: Encounter | None = None, on_event=None
    ) -> NoteDraft:
        return self._draft(self._workflow(transcript, template, encounter), template, on_event)

    def _workflow(self, transcript: Transcript, template: str, encounter: Encounter | None) -> VisitWorkflow:
        from .drafting.templates import get_template

        tpl = get_template(template, self.settings.template_folders)  # unknown template fails before the model loads
        workflow = VisitWorkflow(
            None,
            encounter or Encounter(visit_type=tpl.name),
            transcript=transcript,
            vocabulary_files=self.settings.vocabulary_files,
        )
        # silence, noise, music or small talk fails before the model loads, instead of an invented visit
        workflow.check_can_draft()
        return workflow

    def _draft(self, workflow: VisitWorkflow, template: str, on_event=None) -> NoteDraft:
        from .drafting.templates import get_template

        runtime = self.runtime
        self.progress(0.0, "drafting note")
        chars = [0]

        def relay(ev):
            if ev.kind == "token":
                chars[0] += len(ev.text)
                # a SOAP note is ~1500-2500 characters of JSON; good enough for a bar
                self.progress(min(0.99, chars[0] / 2500), "drafting note")
            if on_event:
                on_event(ev)

        note = workflow.draft(lambda: runtime, get_template(template, self.settings.template_folders), on_event=relay)
        self.notices = list(workflow.notices)  # one line each, for the user
        self.progress(1.0, "note drafted")
        return note

    def run(
        self,
        audio_path: Path,
        out_dir: Path,
        template: str = "soap",
        approver: Any = None,
        keys: Any = None,
        export: bool = True,
        confirm_unsupported: bool = False,
        encounter: Encounter | None = None,
        on_event=None,
    ) -> RunResult:
        """The whole job; writes transcript.json, note.json and (if approved) documentreference.json.

        ``approver`` (a :class:`scribe.access.User`) signs with ``keys`` after the note is re-checked
        against the transcript; ``export`` says whether that user may write the FHIR file.
        """
        from .drafting.templates import get_template

        get_template(template, self.settings.template_folders)  # validate arguments before the slow steps
        out_dir = Path(out_dir)
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise InputError(f"The output folder {out_dir} is a file; give a folder for --out.") from None
        except OSError as exc:
            raise InputError(f"Cannot create the output folder {out_dir}: {exc.strerror or exc}.") from None
        transcript = self.transcribe(Path(audio_path))
        transcript_path = out_dir / "transcript.json"
        save_json(transcript_path, transcript.model_dump_json(indent=1))

        workflow = self._workflow(transcript, template, encounter)
        try:
            note = self._draft(workflow, template, on_event)
        except ModelCrashError as exc:  # the transcript stays: drafting it again needs no re-transcription
            raise type(exc)(f"{exc} The transcript is kept in {transcript_path}.") from None
        messages: list[str] = list(self.notices)
        fhir_path = None
        if approver is not None:
            try:
                note = workflow.approve(
                    approver.name, confirm_flagged=confirm_unsupported, login=approver.login, keys=keys
                )
            except ApprovalError as exc:
                messages.append(f"Not approved: {exc}")
        note_path = out_dir / "note.json"
        save_json(note_path, note.model_dump_json(indent=1))
        if note.is_approved and not export:
            messages.append("Approved, not exported: writing the FHIR file needs the staff role.")
        elif note.is_approved:
            fhir_path = workflow.export_fhir(
                out_dir / "documentreference.json",
                approver.login,
                self.settings.organization_name,
                keys=keys,
                template_folders=self.settings.template_folders,
            )
        return RunResult(transcript_path, note_path, fhir_path, transcript, note, messages)


def load_note(path: Path) -> NoteDraft:
    """Read a note JSON written by Scribe, with one-line errors for anything else."""
    from pydantic import ValidationError

    from .transcript_io import validation_summary

    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p} is a folder, not a note file.")
    if not p.is_file():
        raise InputError(f"Note file not found: {p}")
    try:
        data = json.loads(p.read_bytes().decode("utf-8-sig"))
    except OSError as exc:
        raise InputError(f"Cannot read the note {p}: {exc.strerror or exc}.") from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise InputError(f"{p} is not a JSON note file.") from None
    if not isinstance(data, dict):
        raise InputError(f"{p} is JSON but not a Scribe note (not an object).")
    try:
        return NoteDraft.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{p} is not a Scribe note: {validation_summary(exc)}.") from None
