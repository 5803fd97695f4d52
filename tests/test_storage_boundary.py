"""scribe.storage is the only code that touches patient data on disk, and inside it only the byte
seam (``scribe/storage/disk.py``) reads or writes file contents.

Two checks: a scan of the source for file-access calls, and a whole visit on disk with every
``open`` watched, each access under the data folder traced back to the module that made it.
"""

from __future__ import annotations

import ast
import builtins
import io
import json
import os
import re
import sys
import traceback
from pathlib import Path

import numpy as np
import pytest

import scribe
from scribe import approval
from scribe.domain import Encounter, NoteDraft, Section, Statement, Transcript
from scribe.grounding import ground_note
from scribe.recording import FileReplaySource, Recorder
from scribe.storage import VisitState, VisitStore

SCRIBE = Path(scribe.__file__).resolve().parent
STORAGE = SCRIBE / "storage"

# Calls that read or write a file's contents.
_FILE_FUNCS = {"open", "write_atomic", "mkstemp", "fdopen"}
_FILE_METHODS = {"read_bytes", "write_bytes", "read_text", "write_text"}

# Modules outside scribe.storage that access files, and which files: none of them is patient data
# under the data folder. A new entry needs a reason; visit data goes through scribe.storage.
OUTSIDE_STORAGE = {
    "audio.py": "write_wav: a WAV at a path the caller names (tests, benchmarks, samples)",
    "logs.py": "the app and CLI log files (0600, scrubbed of patient data)",
    "fileio.py": "the atomic-write helper (the storage seam, settings, CLI outputs use it)",
    "settings.py": "the settings and policy files",
    "transcript_io.py": "transcript and note files named on the command line",
    "pipeline.py": "a note file named on the command line",
    "quality_cli.py": "the after-visit summary text file named on the command line",
    "packs.py": "model packs in the cache folder",
    "fhir/validate.py": "the bundled FHIR schema and the export file the user names",
    "drafting/templates.py": "note template files",
    "drafting/runtimes.py": "model files",
    "asr/vocabulary.py": "vocabulary lists",
    "eval/aci.py": "ACI-Bench data and the scorecard file",
    "eval/flags.py": "the flag benchmark's report file",
    "eval/mts.py": "MTS-Dialog's public benchmark CSV (read only)",
    "eval/omissions.py": "stored ACI-Bench drafts and the omission benchmark's report file",
    "ehr/cli.py": "key and JWKS files named on the command line",
    "ui/ehr.py": "the JWKS file the user saves",
    "workers/host.py": "a model worker's own stdin and stdout, the pipes to the app (no file)",
}
# A visit's file paths (Visit attributes, file-name constants): only scribe.storage names them.
_VISIT_FILES = re.compile(r"\.(audio|lock|audit)_path\b|\b(AUDIO|VISIT|NOTE|AUDIT|TRANSCRIPT|LOCK)_FILE\b")
# Inside the package: only the byte seam opens files (locks.py opens the OS lock file, which holds no data).
INSIDE_STORAGE = {"disk.py", "locks.py"}


def _file_access_lines(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id in _FILE_FUNCS:
            lines.append(node.lineno)
        elif isinstance(f, ast.Attribute) and (
            f.attr in _FILE_METHODS
            or (f.attr in _FILE_FUNCS and isinstance(f.value, ast.Name) and f.value.id in {"os", "io", "tempfile"})
        ):
            lines.append(node.lineno)
    return lines


def test_only_the_byte_seam_opens_files_inside_storage() -> None:
    offenders = {
        p.name: lines
        for p in sorted(STORAGE.glob("*.py"))
        if p.name not in INSIDE_STORAGE and (lines := _file_access_lines(p))
    }
    assert not offenders, f"file access outside scribe/storage/disk.py (use the Disk seam): {offenders}"


def test_file_access_outside_storage_is_known_and_never_visit_data() -> None:
    found = {}
    for p in sorted(SCRIBE.rglob("*.py")):
        rel = p.relative_to(SCRIBE).as_posix()
        if rel.startswith("storage/"):
            continue
        if lines := _file_access_lines(p):
            found[rel] = lines
        reach = _VISIT_FILES.search(p.read_text(encoding="utf-8"))
        assert reach is None, (
            f"{rel} reaches into a visit folder ({reach and reach.group()}); go through scribe.storage"
        )
    unknown = {rel: lines for rel, lines in found.items() if rel not in OUTSIDE_STORAGE}
    assert not unknown, (
        f"new file access outside scribe.storage: {unknown}. Patient data goes through scribe.storage; "
        "anything else: add the module to OUTSIDE_STORAGE with what it reads or writes."
    )
    stale = sorted(set(OUTSIDE_STORAGE) - set(found))
    assert not stale, f"modules listed in OUTSIDE_STORAGE no longer access files: {stale}"


class _OpenWatcher:
    """Records, for every file opened under ``root``, the innermost scribe module on the stack."""

    def __init__(self, root: Path):
        self.root = str(root.resolve())
        self.accesses: list[tuple[str, str]] = []  # (path, module file relative to scribe/)

    def _note(self, path: object) -> None:
        if isinstance(path, int):
            return
        try:
            full = os.path.realpath(os.fspath(path))  # type: ignore[arg-type]
        except TypeError:
            return
        if not full.startswith(self.root + os.sep):
            return
        for frame in reversed(traceback.extract_stack()[:-2]):
            f = Path(frame.filename).resolve()
            if f.is_relative_to(SCRIBE) and f != SCRIBE / "fileio.py":  # fileio is the seam's helper
                self.accesses.append((full, f.relative_to(SCRIBE).as_posix()))
                return
        self.accesses.append((full, "<test>"))

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real_open, real_os_open = builtins.open, os.open

        def watched_open(file, *a, **kw):
            self._note(file)
            return real_open(file, *a, **kw)

        def watched_os_open(path, *a, **kw):
            self._note(path)
            return real_os_open(path, *a, **kw)

        monkeypatch.setattr(builtins, "open", watched_open)
        monkeypatch.setattr(io, "open", watched_open)
        monkeypatch.setattr(os, "open", watched_os_open)


def test_a_whole_visit_touches_its_files_only_through_storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "data" / "visits"
    watcher = _OpenWatcher(tmp_path / "data")
    store = VisitStore(root)
    watcher.install(monkeypatch)

    # record (writer thread, crash-safe WAV), stop, repair as after a crash, read back
    visit = store.create(Encounter(encounter_id="enc-boundary", patient_name="Pat Boundary", patient_id="MRN-1"))
    t = np.arange(16000 * 2) / 16000
    audio = (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    rec = Recorder(visit, FileReplaySource("replay.wav", realtime=False, audio=audio))
    rec.start()
    for _ in range(200):
        if rec.saved_seconds >= 1.9:
            break
        rec.visit.refresh()
        __import__("time").sleep(0.02)
    rec.stop()
    assert visit.recover(VisitState.recorded) == pytest.approx(2.0, abs=0.01)
    samples, rate = visit.load_audio()
    assert rate == 16000 and len(samples) == len(audio)

    # transcript, note versions, approval, export, outbox
    transcript = Transcript(
        segments=[{"id": 0, "start": 0.0, "end": 2.0, "text": "I have had a cough for three days."}]
    )
    visit.save_transcript(transcript, "scribe")
    note = NoteDraft(
        encounter=visit.record.encounter,
        sections=[Section(key="subjective", title="Subjective", statements=[Statement(text="Cough for three days.")])],
    )
    note = visit.save_note(ground_note(note, transcript), "scribe")
    note = visit.save_working_draft(approval.confirm_statement(note, note.statements()[0].id, "dr.grey"), "dr.grey")
    note = visit.save_note(approval.approve(note, "dr.grey", transcript=transcript), "dr.grey")
    visit.set_state(VisitState.approved, "dr.grey")
    outbox = store.outbox()
    outbox.save("item-1", {"encounter_id": visit.encounter_id, "state": "queued"})
    assert outbox.load("item-1") == {"encounter_id": visit.encounter_id, "state": "queued"}
    lock = outbox.try_drain_lock()
    assert lock is not None
    lock.release()

    reopened = store.open("enc-boundary")
    assert reopened.load_note() == note and reopened.load_transcript() == transcript
    assert [r.encounter_id for r in store.list()] == ["enc-boundary"]
    assert reopened.verify_audit() and len(reopened.audit_log()) > 10

    monkeypatch.undo()
    touched = {Path(p).name for p, _ in watcher.accesses}
    assert {"audio.wav", "visit.json", "transcript.json", "note.json", "audit.jsonl", "item-1.json"} <= touched
    outside = sorted({(Path(p).name, mod) for p, mod in watcher.accesses if not mod.startswith("storage/")})
    assert not outside, f"files under the data folder opened outside scribe.storage: {outside}"
    by_module = {mod for _, mod in watcher.accesses}
    assert by_module <= {"storage/disk.py", "storage/locks.py"}, by_module
    assert json.loads((root / "enc-boundary" / "visit.json").read_text())["state"] == "approved"
    assert "scribe.storage" in sys.modules
