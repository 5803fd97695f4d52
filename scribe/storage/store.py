"""All visits under one root folder: create, open, list, find the ones to recover."""

from __future__ import annotations

import builtins
import logging
import re
from pathlib import Path

from pydantic import ValidationError

from ..domain import Encounter, utcnow
from .disk import Disk, write_model
from .errors import StorageError, StoreProblem, VisitNotFound, first_line, storage_error
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

    def __init__(self, root: Path, disk: Disk | None = None):
        self.root = Path(root).expanduser()
        self.disk = disk or Disk()
        self.problems: list[StoreProblem] = []  # filled by list(): folders that were skipped
        try:
            self.root.mkdir(parents=True, exist_ok=True)
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
        if not is_valid_visit_id(encounter_id):
            raise StorageError(
                f"'{encounter_id}' cannot be used as a visit id: use letters, digits, '.', '_' or '-' only."
            )
        return self.root / encounter_id

    def _visit(self, folder: Path, record: VisitRecord) -> Visit:
        return Visit(folder, record, self.disk)

    def create(
        self, encounter: Encounter, actor: str = "system", state: VisitState | str = VisitState.recording
    ) -> Visit:
        """Create the visit folder and record. StorageError if the id is taken or disk fails."""
        folder = self._folder(encounter.encounter_id)
        try:
            folder.mkdir()
        except FileExistsError:
            raise StorageError(f"A visit with id {encounter.encounter_id} already exists.") from None
        except OSError as exc:
            raise storage_error(exc, "creating the visit folder", folder) from exc
        now = utcnow()
        record = VisitRecord(encounter=encounter, state=VisitState(state), created_at=now, updated_at=now)
        write_model(self.disk, folder / VISIT_FILE, record, "creating the visit")
        self.disk.sync_folder(self.root)
        visit = self._visit(folder, record)
        visit.audit("created", actor, state=record.state.value, patient_id=encounter.patient_id)
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
            except (OSError, ValueError, ValidationError) as exc:
                problems.append(StoreProblem(folder, f"unreadable visit.json: {first_line(exc)}"))
        for p in problems:
            log.warning("skipping visit folder %s: %s", p.folder, p.message)
        self.problems = problems
        records.sort(key=lambda r: r.created_at, reverse=True)
        return records

    def outbox(self) -> OutboxStore:
        """The EHR export queue kept beside the visits (``<root>/.outbox``)."""
        return OutboxStore(self.root / OUTBOX_DIR, self.disk)

    def recoverable(self) -> builtins.list[VisitRecord]:  # (``list`` is a method here)
        """Visits whose recording was cut off (state ``recording`` with no live recorder, or
        ``interrupted``) and that have audio on disk, newest first."""
        out = []
        for rec in self.list():
            if rec.state not in (VisitState.recording, VisitState.interrupted):
                continue
            visit = self._visit(self.root / rec.encounter_id, rec)
            if not visit.has_audio():
                continue
            if rec.state == VisitState.recording and visit.is_recording_now():
                continue
            out.append(rec)
        return out
