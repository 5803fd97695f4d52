"""The visit's audit trail: an append-only, hash-chained log of who did what (``audit.jsonl``).

Each line is compact, key-sorted ASCII JSON::

    {"action": "state", "actor": "dr.house", "details": {"from": "draft", "to": "approved"},
     "hash": "<sha256>", "prev": "<sha256>", "seq": 7, "ts": "2025-01-01T10:00:00.123456+00:00"}

``prev`` is the SHA-256 (hex) of the previous line's bytes (without the newline; 64 zeros
for the first line) and ``hash`` is the SHA-256 of the line's own JSON without the ``hash``
key. Editing, inserting, reordering or deleting any line except a whole trailing run breaks
the chain and :meth:`AuditLog.verify` returns ``False``. (Cutting off the tail or rewriting
the whole file with fresh hashes needs an external anchor/signing key: future work that
belongs here, next to encryption.)
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from pathlib import Path
from typing import Any

from ..domain import utcnow
from .disk import Disk
from .errors import StorageError, storage_error

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64


def canonical(obj: dict) -> str:
    """The one serialisation that is hashed: compact, key-sorted, ASCII."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def sha256_hex(data: str | bytes) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def check_actor(actor: str) -> None:
    """Every change is attributed: refuse an empty user name."""
    if not isinstance(actor, str) or not actor.strip():
        raise StorageError("Every change must be attributed: the user name (actor) is empty.")


class AuditLog:
    """One visit's ``audit.jsonl``; ``lock`` is the visit folder's lock (appends are serialised)."""

    def __init__(self, path: Path, disk: Disk, lock: threading.RLock):
        self.path = Path(path)
        self._disk = disk
        self._lock = lock

    def _read(self) -> bytes:
        try:
            return self._disk.read(self.path)
        except FileNotFoundError:
            return b""

    def _tail(self) -> tuple[int, str, bool]:
        """(next seq, sha256 of the last line, file ends with newline)."""
        raw = self._read()
        if not raw:
            return 0, GENESIS_HASH, True
        body = raw.rstrip(b"\n")
        last = body.rsplit(b"\n", 1)[-1]
        try:
            seq = int(json.loads(last)["seq"]) + 1
        except (ValueError, KeyError, TypeError):
            seq = len(body.split(b"\n"))  # torn/corrupt last line: keep appending, verify() will flag it
        return seq, sha256_hex(last), raw.endswith(b"\n")

    def append(self, action: str, actor: str, **details: Any) -> None:
        """Append an attributed, hash-chained entry (fsynced)."""
        check_actor(actor)
        details = json.loads(json.dumps(details, default=str))
        with self._lock:
            try:
                seq, prev, ends_nl = self._tail()
                entry = {
                    "seq": seq,
                    "ts": utcnow().isoformat(),
                    "actor": actor,
                    "action": action,
                    "details": details,
                    "prev": prev,
                }
                entry["hash"] = sha256_hex(canonical(entry))
                line = ("" if ends_nl else "\n") + canonical(entry) + "\n"
                self._disk.append(self.path, line.encode("ascii"))
            except OSError as exc:
                raise storage_error(exc, "writing the audit trail", self.path) from exc

    def entries(self) -> list[dict]:
        """All readable entries, oldest first (unparseable lines are skipped)."""
        out = []
        for line in self._read().splitlines():
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except ValueError:
                log.warning("unparseable audit line in %s", self.path)
        return out

    def verify(self) -> bool:
        """True if every line is intact and chained to its predecessor."""
        try:
            raw = self._read()
        except OSError:
            return False
        if raw and not raw.endswith(b"\n"):
            return False
        prev = GENESIS_HASH
        for i, line in enumerate(raw.split(b"\n")[:-1] if raw else []):
            try:
                entry = json.loads(line)
                claimed = entry.pop("hash")
            except (ValueError, KeyError, AttributeError):
                return False
            if entry.get("seq") != i or entry.get("prev") != prev or claimed != sha256_hex(canonical(entry)):
                return False
            entry["hash"] = claimed
            if canonical(entry).encode("ascii") != line:
                return False  # e.g. whitespace or key-order edits
            prev = sha256_hex(line)
        return True
