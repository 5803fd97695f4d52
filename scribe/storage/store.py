"""All visits under one root folder: create, open, list, find the ones to recover."""

from __future__ import annotations

import builtins
import logging
import re
from pathlib import Path

from pydantic import ValidationError

from ..domain import Encounter, utcnow
from .crypto import EncryptedDisk
from .disk import Disk, write_model
from .errors import StorageError, StoreProblem, VisitNotFound, first_line, storage_error
from .keys import KeyStore
from .outbox import OUTBOX_DIR, OutboxStore
from .visit import VISIT_FILE, Visit, VisitRecord, VisitState

log = logging.getLogger(__name__)

_SAFE_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")


def is_valid_visit_id(encounter_id: str) -> bool:
    """A visit id names its folder: letters, digits, ``.``, ``_``, ``-`` only (at most 128)."""
    return isinstance(encounter_id, str) and bool(_SAFE_ID.match(encounter_id))


class VisitStore:
    """All visits under one root folder (normally ``settings.data_path / "visits"``).

    ``disk`` is the byte seam every file goes through (plain files by default).
    """

    def __init__(self, root: Path, disk: Disk | None = None, keys: KeyStore | None = None):
        self.root = Path(root).expanduser()
        self.keys = keys
        # with keys: every file sealed with its visit's key, folders named so they reveal nothing
        self.disk = disk or (EncryptedDisk(keys, self.root) if keys is not None else Disk())
        self.problems: list[StoreProblem] = []  # filled by list(): folders that were skipped
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise storage_error(exc, "creating the data folder", self.root) from exc
        if not self.root.is_dir():
            raise StorageError(
                f"Scribe's data folder {self.root} is not a folder. Choose another data folder in Settings."
            )
        try:
            self.disk.check_writable(self.root)
        except OSError as exc:
            raise storage_error(exc, "checking the data folder is writable", self.root) from exc

    def _folder(self, encounter_id: str) -> Path:
        """The visit's folder: an opaque name with keys (a folder from before keeps its old name)."""
        if not is_valid_visit_id(encounter_id):
            raise StorageError(
                f"'{encounter_id}' cannot be used as a visit id: use letters, digits, '.', '_' or '-' only."
            )
        if self.keys is None:
            return self.root / encounter_id
        opaque = self.root / self.keys.opaque_name("visit", encounter_id)
        legacy = self.root / encounter_id
        return legacy if not opaque.exists() and (legacy / VISIT_FILE).exists() else opaque

    def scope_of(self, encounter_id: str) -> str:
        """The key scope (folder name) of a visit."""
        return self._folder(encounter_id).name

    def _visit(self, folder: Path, record: VisitRecord) -> Visit:
        return Visit(folder, record, self.disk, self.keys)

    def create(
        self, encounter: Encounter, actor: str = "system", state: VisitState | str = VisitState.recording
    ) -> Visit:
        """Create the visit folder and record. StorageError if the id is taken or disk fails."""
        folder = self._folder(encounter.encounter_id)
        try:
            folder.mkdir(mode=0o700)  # readable by the owner only
        except FileExistsError:
            raise StorageError(f"A visit with id {encounter.encounter_id} already exists.") from None
        except OSError as exc:
            raise storage_error(exc, "creating the visit folder", folder) from exc
        now = utcnow()
        record = VisitRecord(encounter=encounter, state=VisitState(state), created_at=now, updated_at=now)
        write_model(self.disk, folder / VISIT_FILE, record, "creating the visit")
        self.disk.sync_folder(self.root)
        visit = self._visit(folder, record)
        visit.audit("created", actor, state=record.state.value)  # ids only: no MRN or name in the audit
        return visit

    def _read_record(self, path: Path) -> VisitRecord:
        return VisitRecord.model_validate_json(self.disk.read(path))

    def open(self, encounter_id: str) -> Visit:
        folder = self._folder(encounter_id)
        path = folder / VISIT_FILE
        try:
            record = self._read_record(path)
        except FileNotFoundError:
            raise VisitNotFound(f"There is no saved visit with id {encounter_id}.") from None
        except OSError as exc:
            raise storage_error(exc, "reading the visit", path) from exc
        except (ValueError, ValidationError) as exc:
            raise StorageError(f"The visit record {path} is corrupt and cannot be opened: {first_line(exc)}") from None
        return self._visit(folder, record)

    def __contains__(self, encounter_id: str) -> bool:
        try:
            return (self._folder(encounter_id) / VISIT_FILE).is_file()
        except StorageError:
            return False

    def list(self) -> list[VisitRecord]:
        """Every readable visit, newest first. Unreadable folders are skipped, logged and put
        in ``self.problems``; this never raises for a bad visit."""
        records: list[VisitRecord] = []
        problems: list[StoreProblem] = []
        try:
            entries = sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))
        except OSError as exc:
            raise storage_error(exc, "listing visits", self.root) from exc
        for folder in entries:
            try:
                records.append(self._read_record(folder / VISIT_FILE))
            except FileNotFoundError:
                problems.append(StoreProblem(folder, "no visit.json (incomplete or foreign folder)"))
            except (OSError, ValueError, ValidationError, StorageError) as exc:
                problems.append(StoreProblem(folder, f"unreadable visit.json: {first_line(exc)}"))
        for p in problems:
            log.warning("skipping visit folder %s: %s", p.folder, p.message)
        self.problems = problems
        records.sort(key=lambda r: r.created_at, reverse=True)
        return records

    def outbox(self) -> OutboxStore:
        """The EHR export queue kept beside the visits (``<root>/.outbox``)."""
        if self.keys is None:
            return OutboxStore(self.root / OUTBOX_DIR, self.disk)
        return OutboxStore(self.root / OUTBOX_DIR, self.disk, self.keys.opaque_name, self.scope_of)

    def purge(self, encounter_id: str) -> str:
        """Delete a visit for good: its EHR outbox entries, its folder, and (with keys) its keys, so
        what may survive elsewhere (backups, disk sectors) is unreadable. Returns the visit's key
        scope (an opaque id) for the caller's journal; the visit's own audit trail goes with it."""
        import shutil

        from .crypto import audio_scope

        folder = self._folder(encounter_id)
        if not (folder / VISIT_FILE).exists():
            raise VisitNotFound(f"There is no saved visit with id {encounter_id}.")
        visit = self.open(encounter_id)
        with visit._lock:
            if visit.is_recording_now():
                raise StorageError("This visit is being recorded right now; it cannot be deleted.")
            self.outbox().remove_for(encounter_id)
            if self.keys is not None:  # the keys first: from here on the files are unreadable anyway
                self.keys.destroy_visit_key(audio_scope(folder.name))
                self.keys.destroy_visit_key(folder.name)
            try:
                shutil.rmtree(folder)
            except OSError as exc:
                raise storage_error(exc, "deleting the visit", folder) from exc
        self.disk.sync_folder(self.root)
        return folder.name

    def recoverable(self) -> builtins.list[VisitRecord]:  # (``list`` is a method here)
        """Visits whose recording was cut off (state ``recording`` with no live recorder, or
        ``interrupted``) and that have audio on disk, newest first."""
        out = []
        for rec in self.list():
            if rec.state not in (VisitState.recording, VisitState.interrupted):
                continue
            visit = self._visit(self._folder(rec.encounter_id), rec)
            if not visit.has_audio():
                continue
            if rec.state == VisitState.recording and visit.is_recording_now():
                continue
            out.append(rec)
        return out
