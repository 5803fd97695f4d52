"""The installation's security journal: what happened outside any one visit.

Refused actions (a role that may not approve, export, change settings…), retention runs and the
visits they purged, key rotations and recoveries, local-account changes. A visit's own audit trail
dies with the visit when retention purges it; the record *that* it was purged, by whom and when,
must outlive it, so it is written here.

``<data>/audit/security.jsonl`` uses the same hash chain as a visit's audit
(:class:`~scribe.storage.audit.AuditLog`, ids only) and its checkpoint, signed with the
installation's key when the keys are unlocked, is kept in ``security.checkpoint.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .audit import AuditLog, AuditReport, checkpoint_payload
from .disk import Disk
from .errors import StorageError, storage_error
from .locks import folder_lock

SCOPE = "security-journal"


class SecurityJournal:
    def __init__(self, data_path: Path, keys: Any = None):
        self.folder = Path(data_path) / "audit"
        self.keys = keys
        self._disk = Disk()
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise storage_error(exc, "creating the security journal", self.folder) from exc
        self._lock = folder_lock(self.folder)
        self._log = AuditLog(self.folder / "security.jsonl", self._disk, self._lock)
        self._checkpoint_path = self.folder / "security.checkpoint.json"

    def record(self, action: str, /, actor: str, **details: Any) -> None:
        """Append an entry (ids only) and move the signed checkpoint to it."""
        with self._lock:
            seq, head = self._log.append(action, actor, **details)
            cp: dict[str, Any] = {"seq": seq, "head": head}
            if self.keys is not None:
                cp.update(self.keys.sign(checkpoint_payload(SCOPE, seq, head)))
            try:
                self._disk.write(self._checkpoint_path, json.dumps(cp).encode())
            except OSError as exc:
                raise storage_error(exc, "writing the security journal", self._checkpoint_path) from exc

    def entries(self) -> list[dict]:
        return self._log.entries()

    def report(self) -> AuditReport:
        try:
            cp = json.loads(self._disk.read(self._checkpoint_path))
        except FileNotFoundError:
            cp = None
        except (OSError, ValueError) as exc:
            raise StorageError(f"The security journal's checkpoint is unreadable ({exc}).") from None

        def signed(checkpoint: dict) -> bool | None:
            if self.keys is None:
                return None
            if "signature" not in checkpoint:
                return None  # written while the keys were locked
            payload = checkpoint_payload(SCOPE, checkpoint.get("seq", -1), checkpoint.get("head", ""))
            return self.keys.verify(payload, checkpoint.get("key_id", ""), checkpoint["signature"])

        return self._log.verify(cp, signed)
