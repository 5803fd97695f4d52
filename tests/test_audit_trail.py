"""An audit trail that proves itself (issue 15, row 6).

Truncating its tail, emptying it, deleting it and rewriting it with fresh hashes are all detected,
with the first broken link named; a line torn by a full disk is told apart from tampering; a full
disk in the middle of a visit loses nothing and leaves an audit that verifies. No MRN, name or
file path is ever written to it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from scribe.domain import Encounter, Transcript
from scribe.storage import StorageError, VisitStore
from scribe.storage.audit import sha256_hex
from scribe.storage.keys import KeyStore

PASSPHRASE = "audit trail test passphrase"


@pytest.fixture()
def store(tmp_path, monkeypatch) -> VisitStore:
    monkeypatch.setenv("SCRIBE_DATA_PASSPHRASE", PASSPHRASE)
    return VisitStore(tmp_path / "visits", keys=KeyStore.open(tmp_path / "keys", protection="passphrase"))


def _visit(store: VisitStore, n: int = 6):
    visit = store.create(Encounter(encounter_id="enc-audit", patient_name="Alex Morgan", patient_id="MRN-7781"))
    for i in range(n):
        visit.audit("viewed", "dr.grey", n=i)
    return visit


def _lines(visit) -> list[bytes]:
    return visit.audit_path.read_bytes().split(b"\n")[:-1]


def test_an_intact_trail_verifies_with_a_signed_checkpoint(store):
    report = _visit(store).audit_report()
    assert report.ok and report.signed and report.entries == 7 and not report.torn, report.text()


def test_cutting_off_the_tail_is_detected(store):
    visit = _visit(store)
    lines = _lines(visit)
    visit.audit_path.write_bytes(b"\n".join(lines[:-2]) + b"\n")  # the last two entries removed
    report = visit.audit_report()
    assert not report.ok and "cut off" in report.problem and report.broken_at == 5, report.text()


def test_emptying_or_deleting_the_file_is_detected(store):
    visit = _visit(store)
    visit.audit_path.write_bytes(b"")
    assert "empty" in visit.audit_report().problem
    visit.audit_path.unlink()
    report = visit.audit_report()
    assert not report.ok and "missing" in report.problem and "deleted" in report.problem


def test_a_rewrite_with_fresh_hashes_is_detected(store):
    """An attacker re-creates a whole, self-consistent chain (no MRN removed... or added): the signed
    checkpoint no longer matches its head."""
    from scribe.storage.audit import GENESIS_HASH, canonical

    visit = _visit(store)
    prev, out = GENESIS_HASH, []
    for entry in visit.audit_log():
        entry.pop("hash")
        entry["actor"] = "someone.else" if entry["action"] == "viewed" else entry["actor"]
        entry["prev"] = prev
        entry["hash"] = sha256_hex(canonical(entry))
        line = canonical(entry).encode()
        out.append(line)
        prev = sha256_hex(line)
    visit.audit_path.write_bytes(b"\n".join(out) + b"\n")
    report = visit.audit_report()
    assert not report.ok and "rewritten" in report.problem, report.text()
    # a forged checkpoint for the new head does not carry a valid signature
    record = json.loads(store.disk.read(visit.folder / "visit.json"))
    record["audit_checkpoint"] = {**record["audit_checkpoint"], "head": prev}
    store.disk.write(visit.folder / "visit.json", json.dumps(record).encode())
    report = visit.audit_report()
    assert not report.ok and "not signed by this installation" in report.problem


def test_an_edited_entry_names_the_first_broken_link(store):
    visit = _visit(store)
    lines = _lines(visit)
    entry = json.loads(lines[3])
    entry["actor"] = "dr.house"
    lines[3] = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()
    visit.audit_path.write_bytes(b"\n".join(lines) + b"\n")
    report = visit.audit_report()
    assert not report.ok and report.broken_at == 3 and "entry 3 was edited" in report.problem


def test_a_torn_line_is_told_apart_from_tampering(store):
    visit = _visit(store)
    good = visit.audit_path.read_bytes()
    with open(visit.audit_path, "ab") as fh:  # a write cut short by a full disk or a crash
        fh.write(b'{"action":"viewed","actor":"dr.gr')
    report = visit.audit_report()
    assert report.ok and report.torn == [7], report.text()
    visit.audit("viewed", "dr.grey", n=99)  # the next write chains past the torn bytes and records them
    report = visit.audit_report()
    assert report.ok and report.torn == [7] and report.entries == 8 and report.unsigned_tail == 0, report.text()
    last = visit.audit_log()[-1]
    assert last["torn"]["bytes"] == len(b'{"action":"viewed","actor":"dr.gr') and last["prev"] == sha256_hex(
        good.rstrip(b"\n").split(b"\n")[-1]
    )
    # garbage put in the middle by hand is not a torn write: nothing explains it
    lines = visit.audit_path.read_bytes().split(b"\n")
    lines.insert(2, b"not an audit entry")
    visit.audit_path.write_bytes(b"\n".join(lines))
    assert not visit.audit_report().ok


def test_the_audit_holds_ids_only(store):
    visit = _visit(store)
    visit.audit(
        "exported_fhir",
        "dr.grey",
        path="/home/dr/Alex Morgan note.json",
        patient_id="MRN-7781",
        reason="wrong Alex Morgan",
    )
    raw = visit.audit_path.read_bytes()
    assert b"MRN-7781" not in raw and b"Morgan" not in raw and b"/home" not in raw
    assert visit.audit_log()[-1]["details"] == {
        "path": "[withheld]",
        "patient_id": "[withheld]",
        "reason": "[withheld]",
    }


@pytest.fixture()
def tiny_disk(small_disk) -> Path:
    return small_disk("512k")


def test_a_full_disk_mid_visit_loses_nothing_and_leaves_a_verifiable_audit(tiny_disk, tmp_path, monkeypatch):
    """Encrypted store on a 512 KiB filesystem: fill it while recording and saving, then free space."""
    monkeypatch.setenv("SCRIBE_DATA_PASSPHRASE", PASSPHRASE)
    keys = KeyStore.open(tmp_path / "keys", protection="passphrase")  # keys on another disk, as IT may set up
    store = VisitStore(tiny_disk / "visits", keys=keys)
    visit = store.create(Encounter(encounter_id="enc-full", patient_name="Alex Morgan", patient_id="MRN-1"))
    t = np.arange(16000 * 6) / 16000
    signal = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    writer = visit.open_audio_writer(flush_interval=3600)
    writer.write(signal[:16000])
    writer.flush()  # 1 s safely on disk
    st = os.statvfs(tiny_disk)
    filler = tiny_disk / "filler"
    filler.write_bytes(b"\0" * (st.f_bavail * st.f_frsize - 2_000))  # the disk is now (almost) full
    writer.write(signal[16000:])
    with pytest.raises(StorageError, match="full"):
        writer.flush()
    failures = 0
    for i in range(40):  # the app keeps auditing and saving; some writes fail, some tear
        try:
            visit.audit("viewed", "dr.grey", n=i)
        except StorageError:
            failures += 1
    with pytest.raises(StorageError, match="full"):
        visit.save_transcript(Transcript(duration=6.0))
    assert failures > 0
    filler.unlink()  # the user frees space
    writer.close()  # the audio kept in memory is written now
    visit.audit("space_freed", "dr.grey")
    samples, _ = visit.load_audio()
    assert len(samples) == len(signal)  # nothing recorded was lost
    np.testing.assert_allclose(samples, np.round(signal * 32767) / 32768, atol=1e-4)
    report = visit.audit_report()
    assert report.ok and report.unsigned_tail == 0, report.text()
    assert visit.audit_log()[-1]["action"] == "space_freed"
