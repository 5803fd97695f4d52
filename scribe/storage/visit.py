"""One consultation on disk: its record and state, audio, transcript, note versions and audit trail.

Files of a visit folder (see :mod:`scribe.storage` for the layout); every byte goes through
the store's :class:`~scribe.storage.disk.Disk`.
"""

from __future__ import annotations

import json
import logging
import os
import re
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..audio import SAMPLE_RATE
from ..domain import Encounter, NoteDraft, Transcript, utcnow
from ..errors import ApprovalError
from . import locks
from .audit import AuditLog, check_actor, sha256_hex
from .disk import Disk, write_file, write_model
from .errors import StorageError, storage_error
from .wav import HEADER_SIZE, AudioWriter, decode_wav, repair_wav, wav_seconds

log = logging.getLogger(__name__)

STORE_SCHEMA_VERSION = 1

VISIT_FILE = "visit.json"
AUDIO_FILE = "audio.wav"
LOCK_FILE = "recording.lock"
TRANSCRIPT_FILE = "transcript.json"
NOTE_FILE = "note.json"
AUDIT_FILE = "audit.jsonl"
_NOTE_VERSION = re.compile(r"note\.v(\d+)\.json")


class VisitState(str, Enum):
    recording = "recording"  # audio is being captured (or the app died while it was)
    interrupted = "interrupted"  # a crashed/aborted recording; audio repaired, awaiting the user's decision
    recorded = "recorded"  # recording finished normally; audio complete, nothing running yet
    transcribing = "transcribing"
    drafting = "drafting"
    draft = "draft"  # a note draft exists and awaits review
    approved = "approved"  # the latest note is approved (signed)
    exported = "exported"  # sent to the EHR


class VisitRecord(BaseModel):
    """``visit.json``: rewritten atomically on every change."""

    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    schema_version: int = STORE_SCHEMA_VERSION
    encounter: Encounter
    state: VisitState = VisitState.recording
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    audio_seconds: float = 0.0
    note_version: int | None = None

    @property
    def encounter_id(self) -> str:
        return self.encounter.encounter_id


class Visit:
    """One consultation on disk. Obtain via :meth:`VisitStore.create` / :meth:`VisitStore.open`.

    Methods are thread-safe (one lock per visit folder, shared by all Visit objects for it).
    """

    def __init__(self, folder: Path, record: VisitRecord, disk: Disk | None = None):
        self.folder = Path(folder)
        self.record = record
        self._disk = disk or Disk()
        self._lock = locks.folder_lock(self.folder)
        self._audit = AuditLog(self.folder / AUDIT_FILE, self._disk, self._lock)

    def __repr__(self) -> str:
        return f"Visit({self.encounter_id!r}, state={self.record.state.value})"

    @property
    def encounter_id(self) -> str:
        return self.record.encounter.encounter_id

    @property
    def state(self) -> VisitState:
        return self.record.state

    # ------------------------------------------------------------------ record
    def _reload_record(self) -> VisitRecord:
        try:
            return VisitRecord.model_validate_json(self._disk.read(self.folder / VISIT_FILE))
        except (OSError, ValueError, ValidationError):
            return self.record

    def _update_record(self, **changes: Any) -> VisitRecord:
        with self._lock:
            rec = self._reload_record().model_copy(update={**changes, "updated_at": utcnow()})
            rec = VisitRecord.model_validate(rec.model_dump())
            write_model(self._disk, self.folder / VISIT_FILE, rec, "saving the visit record")
            self.record = rec
            return rec

    def refresh(self) -> VisitRecord:
        """Re-read visit.json (e.g. after another component changed the state)."""
        with self._lock:
            self.record = self._reload_record()
            return self.record

    def set_state(self, state: VisitState | str, actor: str = "system") -> None:
        """Persist a new workflow state and audit who changed it.

        ``approved`` and ``exported`` require the latest saved note to be approved (its
        Approval hash matches its content), else :class:`ApprovalError`.
        """
        state = VisitState(state)
        with self._lock:
            old = self._reload_record().state
            if state in (VisitState.approved, VisitState.exported):
                note = self.load_note()
                if note is None or not note.is_approved:
                    raise ApprovalError(
                        "This visit's note is not approved (or changed after approval); review and approve it first."
                    )
            self._update_record(state=state)
            self.audit("state", actor, **{"from": old.value, "to": state.value})

    # ------------------------------------------------------------------ audio
    @property
    def audio_path(self) -> Path:
        return self.folder / AUDIO_FILE

    @property
    def lock_path(self) -> Path:
        return self.folder / LOCK_FILE

    def has_audio(self) -> bool:
        try:
            return self._disk.size(self.audio_path) > HEADER_SIZE
        except OSError:
            return False

    def _lock_record(self) -> dict | None:
        try:
            lock = json.loads(self._disk.read(self.lock_path))
        except (OSError, ValueError):
            return None
        return lock if isinstance(lock, dict) else None

    def recording_owner_alive(self) -> bool:
        """True if a live process holds this visit's audio open for writing."""
        lock = self._lock_record()
        return lock is not None and locks.owner_alive(lock)

    def _lock_pid(self) -> int | None:
        try:
            return int((self._lock_record() or {})["pid"])
        except (KeyError, TypeError, ValueError):
            return None

    def is_recording_now(self) -> bool:
        """True if an AudioWriter is open on this visit in this process or a live other one."""
        return locks.writer_active(self.folder) or (self.recording_owner_alive() and self._lock_pid() != os.getpid())

    def open_audio_writer(self, sample_rate: int = SAMPLE_RATE, flush_interval: float = 0.5) -> AudioWriter:
        """Open ``audio.wav`` for appending (created if missing). Appending continues a recording
        after a lost device or a crash; a torn tail from a crash is repaired first."""
        with self._lock:
            if self.is_recording_now():
                raise StorageError(
                    "This visit is already being recorded (in this window or another Scribe "
                    "process); stop that recording first."
                )
            write_file(self._disk, self.lock_path, json.dumps(locks.this_process()).encode(), "locking the recording")
            try:
                writer = AudioWriter(
                    self.audio_path, sample_rate, flush_interval, on_close=self._writer_closed, disk=self._disk
                )
            except BaseException:
                self._remove_lock()
                raise
            locks.set_writer_active(self.folder, True)
            self.audit("audio_opened", "system", seconds_before=round(writer.seconds, 3), sample_rate=sample_rate)
            return writer

    def _remove_lock(self) -> None:
        try:
            self.lock_path.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            log.warning("could not remove %s", self.lock_path)

    def _writer_closed(self, writer: AudioWriter) -> None:
        with self._lock:
            locks.set_writer_active(self.folder, False)
            self._remove_lock()
            try:
                self._update_record(audio_seconds=round(writer.committed_seconds, 3))
                self.audit("audio_closed", "system", seconds=round(writer.committed_seconds, 3))
            except StorageError:
                log.exception("could not record audio duration for %s", self.encounter_id)

    def audio_seconds(self) -> float:
        """Seconds of audio on disk (from the file length; works on a live or crashed file)."""
        try:
            return wav_seconds(self._disk, self.audio_path)
        except (OSError, ValueError):
            return 0.0

    def load_audio(self) -> tuple[np.ndarray, int]:
        """(float32 mono samples, sample rate) of the visit audio; StorageError if none."""
        try:
            return decode_wav(self._disk.read(self.audio_path))
        except (OSError, ValueError) as exc:
            raise StorageError(f"This visit has no readable audio ({self.audio_path}): {exc}") from None

    def recover(self, state: VisitState | str = VisitState.interrupted, actor: str = "system") -> float:
        """Repair the audio after a crash and return the seconds recovered.

        Fixes the WAV header sizes from the file length and drops a torn final sample, removes
        the stale recording lock, stores the duration and moves the visit to ``state``
        (``interrupted`` by default: the UI then offers "continue recording" or "transcribe").
        Safe to call more than once. Refuses while another live process is recording it.
        """
        state = VisitState(state)
        with self._lock:
            if self.is_recording_now():
                raise StorageError("This visit is being recorded right now; stop that recording first.")
            seconds = 0.0
            if self.audio_path.exists():
                try:
                    with self._disk.open_stream(self.audio_path) as stream:
                        info, data_bytes = repair_wav(stream)
                except ValueError as exc:
                    raise StorageError(f"The audio of this visit cannot be repaired: {exc}.") from None
                except OSError as exc:
                    raise storage_error(exc, "repairing the audio", self.audio_path) from exc
                seconds = data_bytes / 2 / info.sample_rate
            self._remove_lock()
            old = self._reload_record().state
            self._update_record(audio_seconds=round(seconds, 3), state=state)
            self.audit("recovered", actor, seconds=round(seconds, 3), **{"from": old.value, "to": state.value})
            return seconds

    # ------------------------------------------------------------------ transcript
    def save_transcript(self, t: Transcript, actor: str = "system") -> None:
        with self._lock:
            data = write_model(self._disk, self.folder / TRANSCRIPT_FILE, t, "saving the transcript")
            self.audit(
                "transcript_saved", actor, segments=len(t.segments), duration=t.duration, sha256=sha256_hex(data)
            )

    def load_transcript(self) -> Transcript | None:
        path = self.folder / TRANSCRIPT_FILE
        try:
            return Transcript.model_validate_json(self._disk.read(path))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, ValidationError) as exc:
            raise StorageError(f"The saved transcript {path} is unreadable: {exc}") from None

    # ------------------------------------------------------------------ notes
    def _version_files(self) -> list[tuple[int, Path]]:
        out = []
        for p in self.folder.glob("note.v*.json"):
            m = _NOTE_VERSION.fullmatch(p.name)
            if m:
                out.append((int(m.group(1)), p))
        return sorted(out)

    def _latest_version(self) -> int:
        versions = self._version_files()
        return versions[-1][0] if versions else 0

    def save_note(self, note: NoteDraft, actor: str) -> NoteDraft:
        """Save a new version of the note; returns the note as stored.

        Versions are never overwritten: if ``note.version`` is not above the latest saved
        version it is renumbered to latest + 1. Writes ``note.v<N>.json`` and ``note.json``
        (atomically) and audits the actor with the content hash (``note_approved`` when the
        note carries a valid approval, else ``note_saved``).
        """
        check_actor(actor)
        with self._lock:
            latest = self._latest_version()
            if note.version <= latest:
                note = note.model_copy(update={"version": latest + 1})
            data = write_model(self._disk, self.folder / f"note.v{note.version}.json", note, "saving the note")
            write_file(self._disk, self.folder / NOTE_FILE, data, "saving the note")
            self._update_record(note_version=note.version)
            details: dict[str, Any] = {
                "version": note.version,
                "note_id": note.note_id,
                "content_sha256": note.content_hash(),
                "file_sha256": sha256_hex(data),
            }
            if note.approval is not None:
                details["approved_by"] = note.approval.approved_by
                details["approval_valid"] = note.is_approved
            action = "note_approved" if note.is_approved else "note_saved"
            self.audit(action, actor, **details)
            return note

    def save_working_draft(self, note: NoteDraft, actor: str) -> NoteDraft:
        """Save edits in progress without creating a version.

        Versions mark milestones a reader of the chart cares about (drafted, approved, amended);
        an autosave every half minute of typing would bury them. The working state goes to
        ``note.json`` only (atomically, so a crash loses at most the last autosave interval),
        and the audit log records who changed it with its content hash. An approved note is a
        milestone and must go through :meth:`save_note`.
        """
        check_actor(actor)
        if note.approval is not None:
            raise StorageError("An approved note is saved as a version (save_note), not as a working draft.")
        with self._lock:
            latest = self._latest_version()
            if latest == 0:  # nothing to work on yet: the first save is a version
                return self.save_note(note, actor)
            if note.version != latest:
                note = note.model_copy(update={"version": latest})
            data = write_model(self._disk, self.folder / NOTE_FILE, note, "saving the note")
            self.audit(
                "note_edited",
                actor,
                version=note.version,
                note_id=note.note_id,
                content_sha256=note.content_hash(),
                file_sha256=sha256_hex(data),
            )
            return note

    def load_note(self) -> NoteDraft | None:
        """The latest note version (falls back to the newest readable note.v<N>.json)."""
        try:
            return NoteDraft.model_validate_json(self._disk.read(self.folder / NOTE_FILE))
        except FileNotFoundError:
            pass
        except (OSError, ValueError, ValidationError) as exc:
            log.warning("note.json of %s unreadable (%s); using the version files", self.encounter_id, exc)
        versions = self.note_versions()
        return versions[-1] if versions else None

    def note_versions(self) -> list[NoteDraft]:
        """Every saved version, oldest first (unreadable version files are skipped and logged)."""
        out = []
        for _, path in self._version_files():
            try:
                out.append(NoteDraft.model_validate_json(self._disk.read(path)))
            except (OSError, ValueError, ValidationError) as exc:
                log.warning("skipping unreadable note version %s: %s", path, exc)
        return out

    # ------------------------------------------------------------------ audit
    @property
    def audit_path(self) -> Path:
        return self._audit.path

    def audit(self, action: str, actor: str, **details: Any) -> None:
        """Append an attributed, hash-chained entry to audit.jsonl (fsynced)."""
        self._audit.append(action, actor, **details)

    def audit_log(self) -> list[dict]:
        """All readable audit entries, oldest first (unparseable lines are skipped)."""
        return self._audit.entries()

    def verify_audit(self) -> bool:
        """True if every line is intact and chained to its predecessor."""
        return self._audit.verify()
