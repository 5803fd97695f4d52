"""The visit's audit trail: an append-only, hash-chained, checkpointed log of who did what.

``audit.jsonl`` holds one compact, key-sorted ASCII JSON object per line::

    {"action": "state", "actor": "dr.house", "details": {"from": "draft", "to": "approved"},
     "hash": "<sha256>", "prev": "<sha256>", "seq": 7, "ts": "2025-01-01T10:00:00.123456+00:00"}

``prev`` is the SHA-256 of the previous line's bytes (64 zeros for the first line) and ``hash`` the
SHA-256 of the line's own JSON without ``hash``: editing, inserting, reordering or deleting a line
breaks the chain. A chain alone cannot show that its tail was cut off, that the whole file was
deleted, or that it was rewritten with fresh hashes, so every append also produces a **checkpoint**
``{"seq", "head"}`` (the last entry's number and line hash) signed with the installation's Ed25519
key (:class:`~scribe.storage.keys.KeyStore`), which the visit keeps in its (encrypted) record.
:meth:`AuditLog.verify` checks the chain *and* that it ends exactly at a validly signed checkpoint,
and names the first broken link.

A write cut short (a full disk, a crash) leaves a torn last line. It is not tampering: the next
append records the torn bytes' length and hash in a ``torn`` field and chains past them, and
:meth:`AuditLog.verify` reports the torn line as such and still verifies the rest.

Entries carry ids only (note ids, versions, hashes, states, logins): never a name, an MRN, a file
path or free text. :func:`ids_only` enforces it for every caller.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..domain import utcnow
from .disk import Disk
from .errors import StorageError, storage_error

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
WITHHELD = "[withheld]"  # a detail value that is not an id (free text, a name): never written
# Keys whose values describe a person or a place on disk, whatever they look like.
_NOT_IDS = {"patient_id", "patient_name", "mrn", "name", "path", "reason", "message", "error", "last_error", "text"}
_ID = re.compile(r"^[\w.:/@+=#-]{0,160}$", re.ASCII)


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


def ids_only(value: Any, key: str = "") -> Any:
    """``value`` with everything that is not an id, a number or a state replaced by ``[withheld]``."""
    if key in _NOT_IDS:
        return WITHHELD
    if value is None or isinstance(value, bool) or isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): ids_only(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [ids_only(v) for v in value]
    text = getattr(value, "value", value)  # enums
    text = str(text)
    return text if _ID.match(text) else WITHHELD


@dataclass
class AuditReport:
    """What :meth:`AuditLog.verify` found. ``ok`` is False only for damage or tampering."""

    ok: bool
    entries: int = 0
    problem: str = ""  # one sentence: the first broken link, or what is missing
    broken_at: int | None = None  # line number (0-based) of the first broken link
    torn: list[int] = field(default_factory=list)  # lines left incomplete by an interrupted write
    unsigned_tail: int = 0  # entries after the last signed checkpoint (a crash right after a write)
    signed: bool = False  # the checkpoint is signed by this installation's key

    def text(self) -> str:
        if not self.ok:
            return f"Audit trail damaged or altered: {self.problem}"
        notes = []
        if self.torn:
            notes.append(f"{len(self.torn)} incomplete entry from an interrupted write (disk full or crash) skipped")
        if self.unsigned_tail:
            notes.append(f"the last {self.unsigned_tail} entry not yet covered by a checkpoint")
        extra = f" ({'; '.join(notes)})" if notes else ""
        return f"Audit trail intact: {self.entries} entries{', signed checkpoint' if self.signed else ''}{extra}."


class AuditLog:
    """One visit's ``audit.jsonl``; ``lock`` is the visit folder's lock (appends are serialised)."""

    def __init__(self, path: Path, disk: Disk, lock: Any):
        self.path = Path(path)
        self._disk = disk
        self._lock = lock

    def _read(self) -> bytes:
        try:
            return self._disk.read(self.path)
        except FileNotFoundError:
            return b""

    @staticmethod
    def _last_good(raw: bytes) -> tuple[int, str, bytes]:
        """(next seq, hash of the last complete line, torn tail bytes) of the file's contents."""
        torn = b""
        body = raw
        if raw and not raw.endswith(b"\n"):
            cut = raw.rfind(b"\n") + 1
            body, torn = raw[:cut], raw[cut:]
        lines = [line for line in body.split(b"\n") if line]
        for line in reversed(lines):
            try:
                return int(json.loads(line)["seq"]) + 1, sha256_hex(line), torn
            except (ValueError, KeyError, TypeError):
                continue  # an earlier torn line: skip back to the last whole entry
        return 0, GENESIS_HASH, torn

    def append(self, action: str, /, actor: str, **details: Any) -> tuple[int, str]:
        """Append an attributed, hash-chained entry (fsynced); returns (seq, line hash) for the checkpoint."""
        check_actor(actor)
        details = ids_only(json.loads(json.dumps(details, default=str)))
        with self._lock:
            try:
                seq, prev, torn = self._last_good(self._read())
                entry: dict[str, Any] = {
                    "seq": seq,
                    "ts": utcnow().isoformat(),
                    "actor": actor,  # a login or a staff name: who did it is the point of an audit
                    "action": action,
                    "details": details,
                    "prev": prev,
                }
                if torn:
                    entry["torn"] = {"bytes": len(torn), "sha256": sha256_hex(torn)}
                entry["hash"] = sha256_hex(canonical(entry))
                line = canonical(entry)
                self._disk.append(self.path, (("\n" if torn else "") + line + "\n").encode("ascii"))
            except OSError as exc:
                raise storage_error(exc, "writing the audit trail", self.path) from exc
        return seq, sha256_hex(line)

    def entries(self) -> list[dict]:
        """All readable entries, oldest first (torn or unparseable lines are skipped)."""
        out = []
        for line in self._read().splitlines():
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except ValueError:
                log.warning("unparseable audit line in %s", self.path)
        return out

    def verify(self, checkpoint: dict | None = None, check_signature: Any = None) -> AuditReport:
        """Check the chain, then that it ends at ``checkpoint`` (``check_signature(cp) -> bool|None``).

        Without a checkpoint (a visit from before checkpoints) only the chain is checked.
        """
        missing = False
        try:
            raw = self._disk.read(self.path)
        except FileNotFoundError:
            raw, missing = b"", True
        except OSError as exc:
            return AuditReport(False, problem=f"the audit file cannot be read ({exc}).")
        lines = raw.split(b"\n")
        tail = lines.pop()  # b"" when the file ends with a newline, else a torn last line
        rep = AuditReport(True)
        prev, expected_seq, pending_torn = GENESIS_HASH, 0, None
        for i, line in enumerate(lines):
            try:
                entry = json.loads(line)
                claimed = entry.pop("hash")
                ok_shape = isinstance(entry, dict)
            except (ValueError, KeyError, AttributeError, TypeError):
                ok_shape = False
            if not ok_shape:
                pending_torn = (i, line)  # accepted only if the next entry records it as torn
                continue
            if pending_torn is not None:
                torn = entry.get("torn") or {}
                if torn.get("sha256") != sha256_hex(pending_torn[1]) or torn.get("bytes") != len(pending_torn[1]):
                    return _broken(rep, pending_torn[0], "a line is not an audit entry and no later entry explains it.")
                rep.torn.append(pending_torn[0])
                pending_torn = None
            if entry.get("seq") != expected_seq:
                return _broken(
                    rep, i, f"entry {entry.get('seq')} follows entry {expected_seq - 1} (one is missing or moved)."
                )
            if entry.get("prev") != prev:
                return _broken(
                    rep, i, f"entry {expected_seq} does not chain to the entry before it (edited, inserted or removed)."
                )
            if claimed != sha256_hex(canonical(entry)):
                return _broken(
                    rep, i, f"entry {expected_seq} was edited after it was written (its hash does not match)."
                )
            entry["hash"] = claimed
            if canonical(entry).encode("ascii") != line:
                return _broken(rep, i, f"entry {expected_seq} was re-formatted after it was written.")
            prev, expected_seq = sha256_hex(line), expected_seq + 1
        if pending_torn is not None:
            return _broken(rep, pending_torn[0], "a line is not an audit entry and no later entry explains it.")
        if tail:
            rep.torn.append(len(lines))  # the last write was cut short; the next append will chain past it
        rep.entries = expected_seq
        if checkpoint is None:
            return rep
        cp_seq, cp_head = checkpoint.get("seq"), checkpoint.get("head")
        if check_signature is not None:
            signed = check_signature(checkpoint)
            if signed is False:
                return _broken(rep, None, "its checkpoint is not signed by this installation (forged or rewritten).")
            rep.signed = bool(signed)
        if not isinstance(cp_seq, int) or cp_seq < 0:
            return _broken(rep, None, "its checkpoint is unreadable.")
        if expected_seq == 0:
            return _broken(
                rep,
                None,
                f"the audit file is {'missing' if missing else 'empty'} but the checkpoint records {cp_seq + 1} entries (deleted).",
            )
        if expected_seq <= cp_seq:
            return _broken(
                rep,
                expected_seq,
                f"it ends at entry {expected_seq - 1} but the checkpoint records entry {cp_seq} (the end was cut off).",
            )
        head_line = [ln for ln in lines if ln and _seq_of(ln) == cp_seq]
        if not head_line or sha256_hex(head_line[-1]) != cp_head:
            return _broken(
                rep, cp_seq, f"entry {cp_seq} is not the one the checkpoint signed (the file was rewritten)."
            )
        rep.unsigned_tail = expected_seq - 1 - cp_seq
        return rep


def _seq_of(line: bytes) -> int | None:
    try:
        return int(json.loads(line)["seq"])
    except (ValueError, KeyError, TypeError):
        return None


def _broken(rep: AuditReport, at: int | None, problem: str) -> AuditReport:
    rep.ok, rep.broken_at, rep.problem = False, at, problem
    return rep


def checkpoint_payload(scope: str, seq: int, head: str) -> bytes:
    """What a checkpoint signature covers: the visit, the last entry's number and line hash."""
    return canonical({"kind": "audit-checkpoint", "visit": scope, "seq": seq, "head": head}).encode("ascii")
