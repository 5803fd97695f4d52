"""Visit storage: the ONE module that touches patient data on disk.

Every byte Scribe keeps about a consultation (audio, transcript, note versions, audit trail)
is written and read here, so encryption at rest, retention and audit policy have a single
place to slot in. Other modules never ``open()`` files under the data directory themselves;
they go through :class:`VisitStore` / :class:`Visit` / :class:`AudioWriter`.

Layout and file formats
=======================

``<root>/`` (normally ``settings.data_path / "visits"``) holds one folder per visit, named
after ``Encounter.encounter_id`` (letters, digits, ``.``, ``_``, ``-`` only)::

    <root>/<encounter_id>/
        visit.json        VisitRecord as JSON (pydantic): encounter, state, timestamps,
                          audio_seconds, note_version. Rewritten atomically on every change.
        audio.wav         The consultation audio: RIFF/WAVE, PCM 16-bit signed little-endian,
                          mono, 16 kHz (the sample rate is in the header), canonical 44-byte
                          header followed by the ``data`` chunk, which is always last.
                          Appended while recording; the RIFF and data sizes in the header are
                          rewritten at every flush, and :meth:`Visit.recover` recomputes them
                          from the file length after a crash (dropping a torn final sample).
        recording.lock    Present while a process has the audio open for writing:
                          JSON ``{"pid", "started", "host"}`` (``started`` = process start time
                          when known) so a crashed recording can be told from a live one.
        transcript.json   scribe.domain.Transcript as JSON.
        note.v<N>.json    scribe.domain.NoteDraft, one file per saved version (never
                          overwritten).
        note.json         A copy of the latest version.
        audit.jsonl       Append-only audit trail, one JSON object per line (see below).

All JSON files are written atomically: a temporary file in the same folder, ``fsync``,
``os.replace`` over the target, then ``fsync`` of the folder. A crash leaves either the old
or the new file, never a torn one.

Audit trail (``audit.jsonl``)
-----------------------------
Each line is compact, key-sorted ASCII JSON::

    {"action": "state", "actor": "dr.house", "details": {"from": "draft", "to": "approved"},
     "hash": "<sha256>", "prev": "<sha256>", "seq": 7, "ts": "2025-01-01T10:00:00.123456+00:00"}

``prev`` is the SHA-256 (hex) of the previous line's bytes (without the newline; 64 zeros
for the first line) and ``hash`` is the SHA-256 of the line's own JSON without the ``hash``
key. Editing, inserting, reordering or deleting any line except a whole trailing run breaks
the chain and :meth:`Visit.verify_audit` returns ``False``. (Cutting off the tail or rewriting
the whole file with fresh hashes needs an external anchor/signing key: future work that
belongs here, next to encryption.)

Audio durability
----------------
:class:`AudioWriter` buffers PCM in memory and, at least every ``flush_interval`` seconds
(0.5 s by default), appends it to ``audio.wav``, rewrites the header sizes and ``fsync``s.
A killed process therefore loses at most the unflushed buffer (< ~1 s). If the disk is full
or unwritable, the writer truncates back to the last complete flush, keeps the pending audio
in memory, raises :class:`StorageError` and retries at the next flush, so freeing space in
time loses nothing.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import socket
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .domain import Encounter, NoteDraft, Transcript, utcnow
from .errors import ApprovalError, ScribeError
from .fileio import fsync_dir, write_atomic

log = logging.getLogger(__name__)

STORE_SCHEMA_VERSION = 1
GENESIS_HASH = "0" * 64

VISIT_FILE = "visit.json"
AUDIO_FILE = "audio.wav"
LOCK_FILE = "recording.lock"
TRANSCRIPT_FILE = "transcript.json"
NOTE_FILE = "note.json"
AUDIT_FILE = "audit.jsonl"

_SAFE_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")


# --------------------------------------------------------------------------- errors


class StorageError(ScribeError):
    """Scribe's data folder cannot be written or read (disk full, permissions, corruption)."""


class VisitNotFound(StorageError):
    """No visit with that encounter id exists in the store."""


def _storage_error(exc: OSError, doing: str, path: Path) -> StorageError:
    """Turn an OSError into a one-line message a clinician or IT admin can act on."""
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        msg = (
            f"The disk holding Scribe's data is full while {doing} ({path}). "
            "Free some disk space now; recorded audio is kept until it can be saved."
        )
    elif code in (errno.EACCES, errno.EPERM):
        msg = (
            f"Scribe has no permission to write its data while {doing} ({path}). "
            "Ask IT to give your user write access to this folder or choose another data folder."
        )
    elif code == errno.EROFS:
        msg = (
            f"Scribe's data folder is on a read-only disk ({path}) while {doing}. "
            "Choose a writable data folder in Settings."
        )
    elif code in (errno.ENOTDIR, errno.EEXIST) and "creat" in doing:
        msg = (
            f"Scribe cannot create its data folder {path}: part of that path is a file, "
            "not a folder. Choose another data folder in Settings."
        )
    else:
        msg = f"Scribe could not save its data while {doing} ({path}): {exc.strerror or exc}."
    err = StorageError(msg)
    err.errno = code  # type: ignore[attr-defined]
    return err


# --------------------------------------------------------------------------- low-level IO
# The only functions that read or write visit files (plus AudioWriter). Encryption at rest
# wraps these.


def _write_atomic(path: Path, data: bytes, doing: str) -> None:
    """Write ``data`` to ``path`` so that a crash leaves either the old or the new file."""
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise _storage_error(exc, doing, path) from exc


def _read_bytes(path: Path) -> bytes:
    return path.read_bytes()


def _write_json(path: Path, model: BaseModel, doing: str) -> None:
    _write_atomic(path, model.model_dump_json(indent=2).encode("utf-8"), doing)


# --------------------------------------------------------------------------- records


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


@dataclass
class StoreProblem:
    """A visit folder that :meth:`VisitStore.list` could not read (it was skipped)."""

    folder: Path
    message: str


# --------------------------------------------------------------------------- process liveness


def _process_start_time(pid: int) -> float | None:
    try:
        import psutil  # optional; in the core dependencies

        return float(psutil.Process(pid).create_time())
    except Exception:
        pass
    if sys.platform.startswith("linux"):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            # field 22 (starttime, clock ticks since boot), after the ")" of the comm field
            return float(stat.rsplit(")", 1)[1].split()[19])
        except (OSError, IndexError, ValueError):
            return None
    return None


def _pid_alive(pid: int) -> bool:
    try:
        import psutil

        return bool(psutil.pid_exists(pid))
    except ImportError:
        pass
    if sys.platform == "win32":  # os.kill would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _lock_owner_alive(lock: dict) -> bool:
    try:
        pid = int(lock["pid"])
    except (KeyError, TypeError, ValueError):
        return False
    if lock.get("host") not in (None, socket.gethostname()):
        return True  # another machine on a shared folder: assume alive, never steal
    if not _pid_alive(pid):
        return False
    started = lock.get("started")
    if started is None:
        return True
    now_started = _process_start_time(pid)
    return now_started is None or abs(now_started - float(started)) < 2.0  # else pid was reused


# --------------------------------------------------------------------------- WAV helpers

_HEADER_SIZE = 44


def _wav_header(sample_rate: int, data_bytes: int) -> bytes:
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + data_bytes,
        b"WAVE",
        b"fmt ",
        16,
        1,
        1,
        sample_rate,
        sample_rate * 2,
        2,
        16,
        b"data",
        data_bytes,
    )


@dataclass
class _WavInfo:
    sample_rate: int
    data_offset: int  # byte offset of the first sample
    size_offset: int  # byte offset of the data chunk's size field


def _parse_wav(head: bytes) -> _WavInfo:
    """Parse a PCM16 mono WAV header; raise ValueError if it is not one Scribe can append to."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    pos = 12
    rate = None
    while pos + 8 <= len(head):
        cid, size = struct.unpack_from("<4sI", head, pos)
        if cid == b"fmt ":
            fmt, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", head, pos + 8)
            if fmt != 1 or channels != 1 or bits != 16:
                raise ValueError(f"unsupported WAV format (format {fmt}, {channels} ch, {bits} bit)")
        elif cid == b"data":
            if rate is None:
                raise ValueError("data chunk before fmt chunk")
            return _WavInfo(sample_rate=rate, data_offset=pos + 8, size_offset=pos + 4)
        pos += 8 + size + (size & 1)
    raise ValueError("no data chunk in the first bytes of the file")


def _repair_wav(path: Path) -> tuple[_WavInfo, int]:
    """Make the header sizes match the file length and drop a torn final sample.

    Returns (info, data_bytes). Only the header and the torn tail are touched; samples are
    never rewritten.
    """
    with open(path, "r+b") as fh:
        head = fh.read(4096)
        info = _parse_wav(head)
        size = fh.seek(0, os.SEEK_END)
        data_bytes = max(0, size - info.data_offset)
        if data_bytes % 2:
            data_bytes -= 1
            fh.truncate(info.data_offset + data_bytes)
        riff_size = info.data_offset - 8 + data_bytes
        cur_riff = struct.unpack_from("<I", head, 4)[0]
        cur_data = struct.unpack_from("<I", head, info.size_offset)[0]
        if cur_riff != riff_size or cur_data != data_bytes:
            fh.seek(4)
            fh.write(struct.pack("<I", riff_size & 0xFFFFFFFF))
            fh.seek(info.size_offset)
            fh.write(struct.pack("<I", data_bytes & 0xFFFFFFFF))
        fh.flush()
        os.fsync(fh.fileno())
    return info, data_bytes


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Read a Scribe visit WAV as float32 mono in [-1, 1] plus its sample rate.

    Works on a WAV whose header sizes are stale (live or crashed recording): the length is
    taken from the file size.
    """
    raw = _read_bytes(Path(path))
    info = _parse_wav(raw[:4096])
    n = (len(raw) - info.data_offset) // 2
    pcm = np.frombuffer(raw, dtype="<i2", count=n, offset=info.data_offset)
    return pcm.astype(np.float32) / 32768.0, info.sample_rate


# --------------------------------------------------------------------------- audio writer


def _to_pcm16(chunk: np.ndarray) -> bytes:
    a = np.asarray(chunk, dtype=np.float32)
    if a.ndim == 2:  # (frames, channels): downmix
        a = a.mean(axis=1)
    a = np.nan_to_num(a.reshape(-1), nan=0.0, posinf=1.0, neginf=-1.0)
    return np.clip(np.rint(a * 32767.0), -32768, 32767).astype("<i2").tobytes()


class AudioWriter:
    """Crash-safe PCM16 mono WAV appender.

    Not thread-safe: use it from one thread (the Recorder's writer thread). ``seconds`` may be
    read from any thread.
    """

    def __init__(
        self,
        path: Path,
        sample_rate: int = 16000,
        flush_interval: float = 0.5,
        on_close: Callable[[AudioWriter], None] | None = None,
    ):
        self.path = Path(path)
        self.sample_rate = int(sample_rate)
        self.flush_interval = float(flush_interval)
        self._on_close = on_close
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._last_flush = time.monotonic()
        self.closed = False
        self.error: StorageError | None = None  # set while writes are failing
        try:
            if self.path.exists() and self.path.stat().st_size >= _HEADER_SIZE:
                try:
                    info, data_bytes = _repair_wav(self.path)
                except ValueError as exc:
                    raise StorageError(
                        f"The audio file {self.path} is not a Scribe recording ({exc}); "
                        "it was left untouched. Move it away to record into this visit."
                    ) from None
                if info.sample_rate != self.sample_rate:
                    raise StorageError(
                        f"The audio file {self.path} was recorded at {info.sample_rate} Hz, "
                        f"not {self.sample_rate} Hz; cannot append to it."
                    )
                self._info = info
            else:
                # new (or a header torn at creation, which holds no audio): create atomically
                _write_atomic(self.path, _wav_header(self.sample_rate, 0), "creating the audio file")
                self._info = _parse_wav(_wav_header(self.sample_rate, 0))
                data_bytes = 0
            self._fh = open(self.path, "r+b", buffering=0)
            self._fh.seek(self._info.data_offset + data_bytes)
        except OSError as exc:
            raise _storage_error(exc, "opening the audio file", self.path) from exc
        self._committed = data_bytes  # bytes of samples safely on disk

    # -- properties
    @property
    def committed_seconds(self) -> float:
        """Seconds of audio already flushed and fsynced."""
        return self._committed / 2 / self.sample_rate

    @property
    def seconds(self) -> float:
        """Seconds of audio in the file plus the not-yet-flushed buffer."""
        return (self._committed + self._pending_bytes) / 2 / self.sample_rate

    # -- writing
    def write(self, chunk: np.ndarray) -> None:
        """Append float32 mono samples in [-1, 1]; flushes when the buffer is older than the interval."""
        if self.closed:
            raise StorageError(f"The audio file {self.path} is already closed.")
        data = _to_pcm16(chunk)
        if data:
            self._pending.append(data)
            self._pending_bytes += len(data)
        self.flush_if_due()

    def flush_if_due(self) -> None:
        if self._pending_bytes and time.monotonic() - self._last_flush >= self.flush_interval:
            self.flush()

    def flush(self) -> None:
        """Append the buffer, rewrite the header sizes, fsync. Raises StorageError on failure
        (keeping the unwritten audio in memory for the next attempt)."""
        if self.closed:
            return
        self._last_flush = time.monotonic()
        if not self._pending_bytes and self.error is None:
            return
        data = b"".join(self._pending)
        start = self._info.data_offset + self._committed
        try:
            self._fh.seek(start)
            view = memoryview(data)
            while view:
                n = self._fh.write(view)
                if not n:
                    raise OSError(errno.EIO, "short write")
                view = view[n:]
            total = self._committed + len(data)
            self._fh.seek(4)
            self._fh.write(struct.pack("<I", (self._info.data_offset - 8 + total) & 0xFFFFFFFF))
            self._fh.seek(self._info.size_offset)
            self._fh.write(struct.pack("<I", total & 0xFFFFFFFF))
            os.fsync(self._fh.fileno())
        except OSError as exc:
            # keep what is already on disk, drop the partial append, keep the buffer for a retry
            try:
                self._fh.truncate(start)
                os.fsync(self._fh.fileno())
            except OSError:
                pass
            self._pending = [data] if data else []
            self.error = _storage_error(exc, "saving recorded audio", self.path)
            raise self.error from exc
        self._committed = total
        self._pending = []
        self._pending_bytes = 0
        self.error = None

    def close(self) -> None:
        """Flush and close. If the final flush fails the StorageError is raised after closing;
        everything flushed before stays on disk."""
        if self.closed:
            return
        err: StorageError | None = None
        try:
            self.flush()
        except StorageError as exc:
            err = exc
        self.closed = True
        try:
            self._fh.close()
        except OSError:
            pass
        if self._on_close is not None:
            try:
                self._on_close(self)
            except Exception:  # never mask the audio outcome
                log.exception("audio writer close hook failed")
        if err is not None:
            raise err

    def __enter__(self) -> AudioWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# --------------------------------------------------------------------------- visit

_folder_locks: dict[str, threading.RLock] = {}
_folder_locks_guard = threading.Lock()


_open_writers: set[str] = set()  # visit folders with an open AudioWriter in this process


def _writer_active(folder: Path) -> bool:
    with _folder_locks_guard:
        return str(folder.resolve()) in _open_writers


def _set_writer_active(folder: Path, active: bool) -> None:
    with _folder_locks_guard:
        (_open_writers.add if active else _open_writers.discard)(str(folder.resolve()))


def _lock_for(folder: Path) -> threading.RLock:
    key = str(folder.resolve())
    with _folder_locks_guard:
        lock = _folder_locks.get(key)
        if lock is None:
            lock = _folder_locks[key] = threading.RLock()
        return lock


def _canonical(obj: dict) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _sha(text: str | bytes) -> str:
    if isinstance(text, str):
        text = text.encode("utf-8")
    return hashlib.sha256(text).hexdigest()


class Visit:
    """One consultation on disk. Obtain via :meth:`VisitStore.create` / :meth:`VisitStore.open`.

    Methods are thread-safe (one lock per visit folder, shared by all Visit objects for it).
    """

    def __init__(self, folder: Path, record: VisitRecord):
        self.folder = Path(folder)
        self.record = record
        self._lock = _lock_for(self.folder)

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
            return VisitRecord.model_validate_json(_read_bytes(self.folder / VISIT_FILE))
        except (OSError, ValueError, ValidationError):
            return self.record

    def _update_record(self, **changes: Any) -> VisitRecord:
        with self._lock:
            rec = self._reload_record().model_copy(update={**changes, "updated_at": utcnow()})
            rec = VisitRecord.model_validate(rec.model_dump())
            _write_json(self.folder / VISIT_FILE, rec, "saving the visit record")
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

    def update_encounter(self, encounter: Encounter, actor: str) -> None:
        """Save edited encounter details (patient, clinician...). The encounter id cannot change."""
        if encounter.encounter_id != self.encounter_id:
            raise StorageError("The encounter id of a saved visit cannot be changed.")
        with self._lock:
            old = self._reload_record().encounter
            changed = sorted(k for k, v in encounter.model_dump().items() if old.model_dump().get(k) != v)
            self._update_record(encounter=encounter)
            self.audit("encounter_updated", actor, fields=changed)

    # ------------------------------------------------------------------ audio
    @property
    def audio_path(self) -> Path:
        return self.folder / AUDIO_FILE

    @property
    def lock_path(self) -> Path:
        return self.folder / LOCK_FILE

    def has_audio(self) -> bool:
        try:
            return self.audio_path.stat().st_size > _HEADER_SIZE
        except OSError:
            return False

    def recording_owner_alive(self) -> bool:
        """True if a live process holds this visit's audio open for writing."""
        try:
            lock = json.loads(_read_bytes(self.lock_path))
        except (OSError, ValueError):
            return False
        return isinstance(lock, dict) and _lock_owner_alive(lock)

    def open_audio_writer(self, sample_rate: int = 16000, flush_interval: float = 0.5) -> AudioWriter:
        """Open ``audio.wav`` for appending (created if missing). Appending continues a recording
        after a lost device or a crash; a torn tail from a crash is repaired first."""
        with self._lock:
            if _writer_active(self.folder) or (self.recording_owner_alive() and self._lock_pid() != os.getpid()):
                raise StorageError(
                    "This visit is already being recorded (in this window or another Scribe "
                    "process); stop that recording first."
                )
            pid = os.getpid()
            lock = {"pid": pid, "started": _process_start_time(pid), "host": socket.gethostname()}
            _write_atomic(self.lock_path, json.dumps(lock).encode(), "locking the recording")
            try:
                writer = AudioWriter(self.audio_path, sample_rate, flush_interval, on_close=self._writer_closed)
            except BaseException:
                self._remove_lock()
                raise
            _set_writer_active(self.folder, True)
            self.audit("audio_opened", "system", seconds_before=round(writer.seconds, 3), sample_rate=sample_rate)
            return writer

    def _lock_pid(self) -> int | None:
        try:
            return int(json.loads(_read_bytes(self.lock_path))["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def is_recording_now(self) -> bool:
        """True if an AudioWriter is open on this visit in this process or a live other one."""
        return _writer_active(self.folder) or (self.recording_owner_alive() and self._lock_pid() != os.getpid())

    def _remove_lock(self) -> None:
        try:
            self.lock_path.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            log.warning("could not remove %s", self.lock_path)

    def _writer_closed(self, writer: AudioWriter) -> None:
        with self._lock:
            _set_writer_active(self.folder, False)
            self._remove_lock()
            try:
                self._update_record(audio_seconds=round(writer.committed_seconds, 3))
                self.audit("audio_closed", "system", seconds=round(writer.committed_seconds, 3))
            except StorageError:
                log.exception("could not record audio duration for %s", self.encounter_id)

    def audio_seconds(self) -> float:
        """Seconds of audio on disk (from the file length; works on a live or crashed file)."""
        try:
            size = self.audio_path.stat().st_size
            with open(self.audio_path, "rb") as fh:
                info = _parse_wav(fh.read(4096))
        except (OSError, ValueError):
            return 0.0
        return max(0, size - info.data_offset) // 2 / info.sample_rate

    def load_audio(self) -> tuple[np.ndarray, int]:
        """(float32 mono samples, sample rate) of the visit audio; StorageError if none."""
        try:
            return read_wav(self.audio_path)
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
                    info, data_bytes = _repair_wav(self.audio_path)
                except ValueError as exc:
                    raise StorageError(f"The audio of this visit cannot be repaired: {exc}.") from None
                except OSError as exc:
                    raise _storage_error(exc, "repairing the audio", self.audio_path) from exc
                seconds = data_bytes / 2 / info.sample_rate
            self._remove_lock()
            old = self._reload_record().state
            self._update_record(audio_seconds=round(seconds, 3), state=state)
            self.audit("recovered", actor, seconds=round(seconds, 3), **{"from": old.value, "to": state.value})
            return seconds

    # ------------------------------------------------------------------ transcript
    def save_transcript(self, t: Transcript, actor: str = "system") -> None:
        data = t.model_dump_json(indent=2).encode("utf-8")
        with self._lock:
            _write_atomic(self.folder / TRANSCRIPT_FILE, data, "saving the transcript")
            self.audit("transcript_saved", actor, segments=len(t.segments), duration=t.duration, sha256=_sha(data))

    def load_transcript(self) -> Transcript | None:
        path = self.folder / TRANSCRIPT_FILE
        try:
            return Transcript.model_validate_json(_read_bytes(path))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, ValidationError) as exc:
            raise StorageError(f"The saved transcript {path} is unreadable: {exc}") from None

    # ------------------------------------------------------------------ notes
    def _version_files(self) -> list[tuple[int, Path]]:
        out = []
        for p in self.folder.glob("note.v*.json"):
            m = re.fullmatch(r"note\.v(\d+)\.json", p.name)
            if m:
                out.append((int(m.group(1)), p))
        return sorted(out)

    def save_note(self, note: NoteDraft, actor: str) -> NoteDraft:
        """Save a new version of the note; returns the note as stored.

        Versions are never overwritten: if ``note.version`` is not above the latest saved
        version it is renumbered to latest + 1. Writes ``note.v<N>.json`` and ``note.json``
        (atomically) and audits the actor with the content hash (``note_approved`` when the
        note carries a valid approval, else ``note_saved``).
        """
        _check_actor(actor)
        with self._lock:
            versions = self._version_files()
            latest = versions[-1][0] if versions else 0
            if note.version <= latest:
                note = note.model_copy(update={"version": latest + 1})
            data = note.model_dump_json(indent=2).encode("utf-8")
            _write_atomic(self.folder / f"note.v{note.version}.json", data, "saving the note")
            _write_atomic(self.folder / NOTE_FILE, data, "saving the note")
            self._update_record(note_version=note.version)
            details: dict[str, Any] = {
                "version": note.version,
                "note_id": note.note_id,
                "content_sha256": note.content_hash(),
                "file_sha256": _sha(data),
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
        _check_actor(actor)
        if note.approval is not None:
            raise StorageError("An approved note is saved as a version (save_note), not as a working draft.")
        with self._lock:
            versions = self._version_files()
            latest = versions[-1][0] if versions else 0
            if latest == 0:  # nothing to work on yet: the first save is a version
                return self.save_note(note, actor)
            if note.version != latest:
                note = note.model_copy(update={"version": latest})
            data = note.model_dump_json(indent=2).encode("utf-8")
            _write_atomic(self.folder / NOTE_FILE, data, "saving the note")
            self.audit(
                "note_edited",
                actor,
                version=note.version,
                note_id=note.note_id,
                content_sha256=note.content_hash(),
                file_sha256=_sha(data),
            )
            return note

    def load_note(self) -> NoteDraft | None:
        """The latest note version (falls back to the newest readable note.v<N>.json)."""
        try:
            return NoteDraft.model_validate_json(_read_bytes(self.folder / NOTE_FILE))
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
                out.append(NoteDraft.model_validate_json(_read_bytes(path)))
            except (OSError, ValueError, ValidationError) as exc:
                log.warning("skipping unreadable note version %s: %s", path, exc)
        return out

    # ------------------------------------------------------------------ audit
    @property
    def audit_path(self) -> Path:
        return self.folder / AUDIT_FILE

    def _audit_tail(self) -> tuple[int, str, bool]:
        """(next seq, sha256 of the last line, file ends with newline)."""
        path = self.audit_path
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return 0, GENESIS_HASH, True
        if size == 0:
            return 0, GENESIS_HASH, True
        with open(path, "rb") as fh:
            block = 65536
            while True:
                start = max(0, size - block)
                fh.seek(start)
                buf = fh.read(size - start)
                body = buf.rstrip(b"\n")
                if b"\n" in body or start == 0:
                    break
                block *= 4
        ends_nl = buf.endswith(b"\n")
        last = body.rsplit(b"\n", 1)[-1]
        try:
            seq = int(json.loads(last)["seq"]) + 1
        except (ValueError, KeyError, TypeError):
            seq = -1  # torn/corrupt last line: keep appending, verify_audit will flag it
        return seq, _sha(last), ends_nl

    def audit(self, action: str, actor: str, **details: Any) -> None:
        """Append an attributed, hash-chained entry to audit.jsonl (fsynced)."""
        _check_actor(actor)
        details = json.loads(json.dumps(details, default=str))
        with self._lock:
            try:
                seq, prev, ends_nl = self._audit_tail()
                if seq < 0:
                    seq = sum(1 for _ in open(self.audit_path, "rb"))
                entry = {
                    "seq": seq,
                    "ts": utcnow().isoformat(),
                    "actor": actor,
                    "action": action,
                    "details": details,
                    "prev": prev,
                }
                entry["hash"] = _sha(_canonical(entry))
                line = ("" if ends_nl else "\n") + _canonical(entry) + "\n"
                fd = os.open(
                    self.audit_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600
                )
                try:
                    data = line.encode("ascii")
                    while data:
                        data = data[os.write(fd, data) :]
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError as exc:
                raise _storage_error(exc, "writing the audit trail", self.audit_path) from exc

    def audit_log(self) -> list[dict]:
        """All readable audit entries, oldest first (unparseable lines are skipped)."""
        try:
            raw = _read_bytes(self.audit_path)
        except FileNotFoundError:
            return []
        out = []
        for line in raw.splitlines():
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except ValueError:
                log.warning("unparseable audit line in %s", self.audit_path)
        return out

    def verify_audit(self) -> bool:
        """True if every line is intact and chained to its predecessor."""
        try:
            raw = _read_bytes(self.audit_path)
        except FileNotFoundError:
            return True
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
            if entry.get("seq") != i or entry.get("prev") != prev or claimed != _sha(_canonical(entry)):
                return False
            entry["hash"] = claimed
            if _canonical(entry).encode("ascii") != line:
                return False  # e.g. whitespace or key-order edits
            prev = _sha(line)
        return True


def _check_actor(actor: str) -> None:
    if not isinstance(actor, str) or not actor.strip():
        raise StorageError("Every change must be attributed: the user name (actor) is empty.")


# --------------------------------------------------------------------------- store


class VisitStore:
    """All visits under one root folder (normally ``settings.data_path / "visits"``)."""

    def __init__(self, root: Path):
        self.root = Path(root).expanduser()
        self.problems: list[StoreProblem] = []  # filled by list(): folders that were skipped
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _storage_error(exc, "creating the data folder", self.root) from exc
        if not self.root.is_dir():
            raise StorageError(
                f"Scribe's data folder {self.root} is not a folder. Choose another data folder in Settings."
            )
        # os.access lies for root and network shares: really try to write.
        probe = None
        try:
            fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=self.root)
            os.write(fd, b"ok")
            os.fsync(fd)
            os.close(fd)
        except OSError as exc:
            raise _storage_error(exc, "checking the data folder is writable", self.root) from exc
        finally:
            if probe is not None:
                try:
                    os.unlink(probe)
                except OSError:
                    pass

    def _folder(self, encounter_id: str) -> Path:
        if not isinstance(encounter_id, str) or not _SAFE_ID.match(encounter_id):
            raise StorageError(
                f"'{encounter_id}' cannot be used as a visit id: use letters, digits, '.', '_' or '-' only."
            )
        return self.root / encounter_id

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
            raise _storage_error(exc, "creating the visit folder", folder) from exc
        now = utcnow()
        record = VisitRecord(encounter=encounter, state=VisitState(state), created_at=now, updated_at=now)
        _write_json(folder / VISIT_FILE, record, "creating the visit")
        fsync_dir(self.root)
        visit = Visit(folder, record)
        visit.audit("created", actor, state=record.state.value, patient_id=encounter.patient_id)
        return visit

    def open(self, encounter_id: str) -> Visit:
        folder = self._folder(encounter_id)
        path = folder / VISIT_FILE
        try:
            record = VisitRecord.model_validate_json(_read_bytes(path))
        except FileNotFoundError:
            raise VisitNotFound(f"There is no saved visit with id {encounter_id}.") from None
        except OSError as exc:
            raise _storage_error(exc, "reading the visit", path) from exc
        except (ValueError, ValidationError) as exc:
            raise StorageError(f"The visit record {path} is corrupt and cannot be opened: {_first_line(exc)}") from None
        return Visit(folder, record)

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
            raise _storage_error(exc, "listing visits", self.root) from exc
        for folder in entries:
            path = folder / VISIT_FILE
            try:
                records.append(VisitRecord.model_validate_json(_read_bytes(path)))
            except FileNotFoundError:
                problems.append(StoreProblem(folder, "no visit.json (incomplete or foreign folder)"))
            except (OSError, ValueError, ValidationError) as exc:
                problems.append(StoreProblem(folder, f"unreadable visit.json: {_first_line(exc)}"))
        for p in problems:
            log.warning("skipping visit folder %s: %s", p.folder, p.message)
        self.problems = problems
        records.sort(key=lambda r: r.created_at, reverse=True)
        return records

    def outbox(self) -> OutboxStore:
        """The EHR export queue kept beside the visits (``<root>/.outbox``)."""
        return OutboxStore(self.root / OUTBOX_DIR)

    def recoverable(self) -> list[VisitRecord]:
        """Visits whose recording was cut off (state ``recording`` with no live recorder, or
        ``interrupted``) and that have audio on disk, newest first."""
        out = []
        for rec in self.list():
            if rec.state not in (VisitState.recording, VisitState.interrupted):
                continue
            visit = Visit(self.root / rec.encounter_id, rec)
            if not visit.has_audio():
                continue
            if rec.state == VisitState.recording and visit.is_recording_now():
                continue
            out.append(rec)
        return out


# --------------------------------------------------------------------------- EHR outbox

OUTBOX_DIR = ".outbox"  # under the visit store root; the leading dot keeps it out of VisitStore.list()
_OUTBOX_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,200}$")


class OutboxStore:
    """Durable storage for the EHR export queue (``scribe.ehr.outbox`` owns the item format).

    ``<visits root>/.outbox/<item id>.json``: one JSON object per queued export, rewritten
    atomically (temporary file, fsync, rename) on every state change, so an export survives a
    crash or a restart at any point. ``drain.lock`` is held (OS file lock) by the one process that
    is sending, so the desktop app and a staff script never send the same item at once. What
    happens to each item is also written to the visit's hash-chained audit trail by the caller.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.problems: list[StoreProblem] = []
        self._lock = _lock_for(self.folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _storage_error(exc, "creating the EHR outbox folder", self.folder) from exc

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
        _write_atomic(self._path(item_id), raw, "saving the EHR outbox")

    def load(self, item_id: str) -> dict | None:
        path = self._path(item_id)
        try:
            return json.loads(_read_bytes(path))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StorageError(f"The outbox entry {path} is unreadable: {_first_line(exc)}") from None

    def list(self) -> list[dict]:
        """Every readable item (unreadable files are skipped, logged and put in ``problems``)."""
        out, problems = [], []
        try:
            paths = sorted(p for p in self.folder.glob("*.json") if not p.name.startswith("."))
        except OSError as exc:
            raise _storage_error(exc, "reading the EHR outbox", self.folder) from exc
        for path in paths:
            try:
                data = json.loads(_read_bytes(path))
                if not isinstance(data, dict):
                    raise ValueError("not a JSON object")
                out.append(data)
            except (OSError, ValueError) as exc:
                problems.append(StoreProblem(path, f"unreadable outbox entry: {_first_line(exc)}"))
        for p in problems:
            log.warning("skipping %s: %s", p.folder, p.message)
        self.problems = problems
        return out

    def try_drain_lock(self) -> _FileLock | None:
        """The cross-process sending lock, or None if another process holds it. Release with ``.release()``."""
        lock = _FileLock(self.folder / "drain.lock")
        return lock if lock.acquire() else None


class _FileLock:
    """An exclusive, non-blocking OS file lock (released by the OS if the process dies)."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise _storage_error(exc, "locking the EHR outbox", self.path) from exc
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            if sys.platform == "win32":
                import msvcrt

                try:
                    msvcrt.locking(self._fd, msvcrt.LK_UNLCK, 1)
                except OSError:
                    pass
            else:
                import fcntl

                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> _FileLock:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
