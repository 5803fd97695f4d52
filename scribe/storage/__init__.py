"""Visit storage: the ONE package that touches patient data on disk.

Every byte Scribe keeps about a consultation (audio, transcript, note versions, audit trail,
EHR outbox) is written and read here, so encryption at rest, retention and audit policy have a
single place to slot in. Other modules never ``open()`` files under the data directory
themselves; they go through :class:`VisitStore` / :class:`Visit` / :class:`AudioWriter` /
:class:`OutboxStore`, and those go through one byte seam, :class:`~scribe.storage.disk.Disk`
(``tests/test_storage_boundary.py`` checks both rules).

Modules, one concern each:

- ``disk``: the byte seam (whole-file atomic read/write, durable append, the growing audio);
  encryption at rest is a ``Disk`` handed to :class:`VisitStore`.
- ``wav``: the WAV codec and the crash-safe :class:`AudioWriter`.
- ``audit``: the hash-chained audit trail.
- ``locks``: per-folder thread locks, recording-owner liveness, the OS file lock.
- ``visit``: :class:`Visit` and its :class:`VisitRecord` / :class:`VisitState`.
- ``store``: :class:`VisitStore` (create, open, list, recover).
- ``outbox``: :class:`OutboxStore`, the durable EHR export queue.
- ``errors``: :class:`StorageError` and the OSError-to-sentence translation.

Layout and file formats
=======================

``<root>/`` (normally ``settings.data_path / "visits"``) holds one folder per visit, named
after ``Encounter.encounter_id`` (letters, digits, ``.``, ``_``, ``-`` only)::

    <root>/<encounter_id>/
        visit.json        VisitRecord as JSON (pydantic): encounter, state, timestamps,
                          audio_seconds, note_version. Rewritten atomically on every change.
        audio.wav         The consultation audio: PCM16 mono WAV at 16 kHz, appended while
                          recording and repaired after a crash (see ``wav``).
        recording.lock    Present while a process has the audio open for writing:
                          JSON ``{"pid", "started", "host"}`` (``started`` = process start time
                          when known) so a crashed recording can be told from a live one.
        transcript.json   scribe.domain.Transcript as JSON.
        note.v<N>.json    scribe.domain.NoteDraft, one file per saved version (never
                          overwritten).
        note.json         A copy of the latest version (or the working draft being edited).
        audit.jsonl       Append-only, hash-chained audit trail, one JSON object per line
                          (see ``audit``).
    <root>/.outbox/<item id>.json   one queued EHR export each; ``drain.lock`` (see ``outbox``)

All JSON files are written atomically: a temporary file in the same folder, ``fsync``,
``os.replace`` over the target, then ``fsync`` of the folder. A crash leaves either the old
or the new file, never a torn one.
"""

from .audit import GENESIS_HASH
from .disk import Disk
from .errors import StorageError, StoreProblem, VisitNotFound
from .outbox import OUTBOX_DIR, OutboxStore
from .store import VisitStore, is_valid_visit_id
from .visit import (
    AUDIO_FILE,
    AUDIT_FILE,
    LOCK_FILE,
    NOTE_FILE,
    STORE_SCHEMA_VERSION,
    TRANSCRIPT_FILE,
    VISIT_FILE,
    Visit,
    VisitRecord,
    VisitState,
)
from .wav import AudioWriter, read_wav

__all__ = [
    "AUDIO_FILE",
    "AUDIT_FILE",
    "GENESIS_HASH",
    "LOCK_FILE",
    "NOTE_FILE",
    "OUTBOX_DIR",
    "STORE_SCHEMA_VERSION",
    "TRANSCRIPT_FILE",
    "VISIT_FILE",
    "AudioWriter",
    "Disk",
    "OutboxStore",
    "StorageError",
    "StoreProblem",
    "Visit",
    "VisitNotFound",
    "VisitRecord",
    "VisitState",
    "VisitStore",
    "is_valid_visit_id",
    "read_wav",
]
