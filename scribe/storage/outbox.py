"""Durable storage for the EHR export queue (``scribe.ehr.outbox`` owns the item format)."""

from __future__ import annotations

import builtins
import json
import logging
import re
import threading
from pathlib import Path

from . import locks
from .disk import Disk, write_file
from .errors import StorageError, StoreProblem, first_line, storage_error

log = logging.getLogger(__name__)

OUTBOX_DIR = ".outbox"  # under the visit store root; the leading dot keeps it out of VisitStore.list()
_OUTBOX_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,200}$")


class OutboxStore:
    """``<visits root>/.outbox/<item id>.json``: one JSON object per queued export.

    Each item is rewritten atomically on every state change, so an export survives a crash or a
    restart at any point. ``drain.lock`` is held (OS file lock) by the one process that is
    sending, so the desktop app and a staff script never send the same item at once. What
    happens to each item is also written to the visit's hash-chained audit trail by the caller.
    """

    def __init__(self, folder: Path, disk: Disk | None = None):
        self.folder = Path(folder)
        self.disk = disk or Disk()
        self.problems: list[StoreProblem] = []
        self._lock = locks.folder_lock(self.folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise storage_error(exc, "creating the EHR outbox folder", self.folder) from exc

    @property
    def lock(self) -> threading.RLock:
        """Process-wide lock for read-modify-write of items (shared by every OutboxStore on the folder)."""
        return self._lock

    def _path(self, item_id: str) -> Path:
        if not isinstance(item_id, str) or not _OUTBOX_ID.match(item_id):
            raise StorageError(f"'{item_id}' is not a valid outbox item id.")
        return self.folder / f"{item_id}.json"

    def save(self, item_id: str, data: dict) -> None:
        raw = json.dumps(data, indent=1, sort_keys=True, default=str).encode("utf-8")
        write_file(self.disk, self._path(item_id), raw, "saving the EHR outbox")

    def load(self, item_id: str) -> dict | None:
        path = self._path(item_id)
        try:
            return json.loads(self.disk.read(path))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StorageError(f"The outbox entry {path} is unreadable: {first_line(exc)}") from None

    def list(self) -> builtins.list[dict]:
        """Every readable item (unreadable files are skipped, logged and put in ``problems``)."""
        out, problems = [], []
        try:
            paths = sorted(p for p in self.folder.glob("*.json") if not p.name.startswith("."))
        except OSError as exc:
            raise storage_error(exc, "reading the EHR outbox", self.folder) from exc
        for path in paths:
            try:
                data = json.loads(self.disk.read(path))
                if not isinstance(data, dict):
                    raise ValueError("not a JSON object")
                out.append(data)
            except (OSError, ValueError) as exc:
                problems.append(StoreProblem(path, f"unreadable outbox entry: {first_line(exc)}"))
        for p in problems:
            log.warning("skipping %s: %s", p.folder, p.message)
        self.problems = problems
        return out

    def try_drain_lock(self) -> locks.FileLock | None:
        """The cross-process sending lock, or None if another process holds it. Release with ``.release()``."""
        lock = locks.FileLock(self.folder / "drain.lock", "locking the EHR outbox")
        return lock if lock.acquire() else None
