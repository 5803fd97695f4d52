"""The headless pipeline: audio -> transcript -> grounded draft -> approval -> FHIR.

One object owns the loaded models so the CLI, the desktop app and benchmarks load each model
once and reuse it across visits. Every step reports progress through one callback
``progress(fraction, message)`` so a terminal bar and a Qt progress bar are both trivial.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .approval import approve, approve_all_flagged_confirmed
from .domain import Encounter, NoteDraft, Transcript
from .errors import ApprovalError
from .settings import Settings, load_settings
from .transcript_io import save_json

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

    # -- models ------------------------------------------------------------------

    @property
    def asr(self):
        if self._asr is None:
            from .asr.engine import FasterWhisperEngine

            # loads lazily on first use, so bad audio is refused before the model loads
            self._asr = FasterWhisperEngine(self.settings.asr_model, self.settings)
        return self._asr

    @property
    def runtime(self):
        if self._runtime is None:
            from .drafting.runtimes import create_runtime

            runtime = create_runtime(self.settings, self.progress)
            runtime.load(self.progress)
            self._runtime = runtime
        return self._runtime

    def drafter(self, template: str):
        from .drafting.drafter import NoteDrafter
        from .drafting.templates import get_template

        return NoteDrafter(self.runtime, get_template(template, self.settings.template_folders))

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.close()
            self._runtime = None
        self._asr = None

    # -- steps -------------------------------------------------------------------

    def transcribe(self, audio_path: Path) -> Transcript:
        return self.asr.transcribe_file(audio_path, progress=self.progress)

    def draft(
        self, transcript: Transcript, template: str = "soap", encounter: Encounter | None = None, on_event=None
    ) -> NoteDraft:
        from .drafting.templates import get_template

        tpl = get_template(template, self.settings.template_folders)  # unknown template fails before the model loads
        from .asr.content import require_clinical_content

        # silence, noise, music or small talk: say so instead of letting the model invent a visit
        require_clinical_content(transcript, self.settings.vocabulary_files)
        encounter = encounter or Encounter(visit_type=tpl.name)
        drafter = self.drafter(template)
        self.progress(0.0, "drafting note")
        chars = [0]

        def relay(ev):
            if ev.kind == "token":
                chars[0] += len(ev.text)
                # a SOAP note is ~1500-2500 characters of JSON; good enough for a bar
                self.progress(min(0.99, chars[0] / 2500), "drafting note")
            if on_event:
                on_event(ev)

        note = drafter.draft(transcript, encounter, on_event=relay)
        self.progress(1.0, "note drafted")
        return note

    def run(
        self,
        audio_path: Path,
        out_dir: Path,
        template: str = "soap",
        approve_as: str | None = None,
        confirm_unsupported: bool = False,
        encounter: Encounter | None = None,
        on_event=None,
    ) -> RunResult:
        """The whole job; writes transcript.json, note.json and (if approved) documentreference.json."""
        from .drafting.templates import get_template
        from .fhir.validate import write_document_reference

        get_template(template, self.settings.template_folders)  # validate arguments before the slow steps
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        transcript = self.transcribe(Path(audio_path))
        transcript_path = out_dir / "transcript.json"
        save_json(transcript_path, transcript.model_dump_json(indent=1))

        note = self.draft(transcript, template, encounter, on_event=on_event)
        messages: list[str] = []
        fhir_path = None
        if approve_as:
            try:
                note = (
                    approve_all_flagged_confirmed(note, approve_as)
                    if confirm_unsupported
                    else approve(note, approve_as)
                )
            except ApprovalError as exc:
                messages.append(f"Not approved: {exc}")
        note_path = out_dir / "note.json"
        save_json(note_path, note.model_dump_json(indent=1))
        if note.is_approved:
            fhir_path = out_dir / "documentreference.json"
            write_document_reference(
                note,
                fhir_path,
                organization=self.settings.organization_name,
                template_folders=self.settings.template_folders,
            )
        return RunResult(transcript_path, note_path, fhir_path, transcript, note, messages)


def load_note(path: Path) -> NoteDraft:
    """Read a note JSON written by Scribe, with one-line errors."""
    from pydantic import ValidationError

    from .errors import InputError

    p = Path(path)
    if not p.is_file():
        raise InputError(f"Note file not found: {p}")
    try:
        return NoteDraft.model_validate(json.loads(p.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError(f"{p} is not a JSON note file.") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"{p} is not a Scribe note: {'.'.join(map(str, first['loc']))}: {first['msg']}.") from None
