"""Encryption at rest and key management (issue 15, row 7).

Everything a visit keeps is sealed (AES-256-GCM) with that visit's key; folders and outbox entries
have names that reveal nothing; altering, damaging or swapping a file is an error, never a silently
wrong result; keys live in the OS keyring (or behind a passphrase), rotate without re-encrypting,
come back from IT's recovery file, and are destroyed when a visit is purged.
"""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from scribe.approval import approve, verify_approval
from scribe.domain import Encounter, NoteDraft, Section, Segment, Statement, Transcript
from scribe.errors import ApprovalError
from scribe.storage import StorageError, VisitStore
from scribe.storage.crypto import DecryptionError
from scribe.storage.keys import KeysLocked, KeyStore

try:
    from tests.ehr_support import memory_keyring  # noqa: F401
except ImportError:
    from ehr_support import memory_keyring  # noqa: F401

PASSPHRASE = "encryption test passphrase"
NAME, MRN, PHRASE = "Alexandra Morganstern", "MRN-5550123", "crushing chest pain radiating to the left arm"


@pytest.fixture()
def keys(tmp_path, monkeypatch) -> KeyStore:
    monkeypatch.setenv("SCRIBE_DATA_PASSPHRASE", PASSPHRASE)
    return KeyStore.open(tmp_path / "keys", protection="passphrase")


def _full_visit(store: VisitStore, eid: str = "enc-2026-0042"):
    visit = store.create(Encounter(encounter_id=eid, patient_name=NAME, patient_id=MRN))
    t = np.arange(16000 * 3) / 16000
    with visit.open_audio_writer(flush_interval=0.1) as w:
        for i in range(0, len(t), 1600):
            w.write((0.3 * np.sin(2 * np.pi * 330 * t[i : i + 1600])).astype(np.float32))
            w.flush()
    transcript = Transcript(segments=[Segment(id=0, start=0.0, end=3.0, text=f"I have {PHRASE}.")], duration=3.0)
    visit.save_transcript(transcript)
    note = NoteDraft(
        encounter=visit.record.encounter,
        sections=[Section(key="subjective", title="Subjective", statements=[Statement(text=f"Reports {PHRASE}.")])],
    )
    note = visit.save_note(approve(note, "Dr Grey", transcript=transcript, login="dr.grey", keys=store.keys), "dr.grey")
    store.outbox().save(f"{eid}.v1.create", {"encounter_id": eid, "patient_name": NAME, "resource": {"text": PHRASE}})
    return visit, transcript, note


def test_nothing_of_the_visit_is_on_disk_in_clear(keys, tmp_path):
    store = VisitStore(tmp_path / "visits", keys=keys)
    visit, transcript, note = _full_visit(store)
    assert store.open("enc-2026-0042").load_transcript() == transcript
    assert store.open("enc-2026-0042").load_note() == note
    assert store.outbox().load("enc-2026-0042.v1.create")["patient_name"] == NAME
    samples, rate = visit.load_audio()
    assert rate == 16000 and len(samples) == 48000
    needles = [NAME.encode(), MRN.encode(), PHRASE.encode(), b"Morganstern", b"enc-2026-0042", b"RIFF", b"WAVE"]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) > 10
    for p in files:
        raw = p.read_bytes()
        found = [n for n in needles if n in raw or n.decode() in p.name]
        assert not found, f"{p.relative_to(tmp_path)} holds {found} in clear"
        if os.name == "posix":
            assert p.stat().st_mode & 0o077 == 0, f"{p} is readable by others"
    assert all(not d.name.startswith("enc-") for d in (tmp_path / "visits").iterdir())
    if os.name == "posix":
        assert visit.folder.stat().st_mode & 0o077 == 0


def test_altered_damaged_or_swapped_files_are_refused(keys, tmp_path):
    store = VisitStore(tmp_path / "visits", keys=keys)
    a, _, _ = _full_visit(store, "enc-a")
    b, _, _ = _full_visit(store, "enc-b")
    path = a.folder / "transcript.json"
    raw = bytearray(path.read_bytes())
    raw[-20] ^= 0x01  # one flipped bit
    path.write_bytes(bytes(raw))
    with pytest.raises(StorageError, match="transcript.json of a visit failed its integrity check"):
        store.open("enc-a").load_transcript()
    shutil.copy(b.folder / "transcript.json", path)  # another visit's transcript put in its place
    with pytest.raises(StorageError):
        store.open("enc-a").load_transcript()
    shutil.copy(a.folder / "note.v1.json", a.folder / "visit.json")  # a file of the same visit, renamed
    with pytest.raises(StorageError):
        store.open("enc-a")
    audio = b.folder / "audio.wav"
    raw = bytearray(audio.read_bytes())
    raw[len(raw) // 2] ^= 0x40  # damage in the middle of the recording: an error, not a shorter recording
    audio.write_bytes(bytes(raw))
    with pytest.raises(DecryptionError, match="integrity check"):
        store.open("enc-b").load_audio()


def test_a_torn_final_audio_record_is_cut_off_and_recording_continues(keys, tmp_path):
    store = VisitStore(tmp_path / "visits", keys=keys)
    visit = store.create(Encounter(encounter_id="enc-torn"))
    with visit.open_audio_writer(flush_interval=0.05) as w:
        w.write(np.full(16000, 0.2, dtype=np.float32))
    size = visit.audio_path.stat().st_size
    with open(visit.audio_path, "ab") as fh:  # a flush interrupted by kill -9
        fh.write(os.urandom(700))
    assert len(visit.load_audio()[0]) == 16000
    with visit.open_audio_writer() as w:  # reopening cuts the torn record off, then appends
        assert visit.audio_path.stat().st_size == size
        w.write(np.full(8000, -0.2, dtype=np.float32))
    samples, _ = visit.load_audio()
    assert len(samples) == 24000 and samples[0] > 0 > samples[-1]


def test_wrong_passphrase_and_lost_keyring_entry_are_clear_errors(keys, tmp_path, monkeypatch):
    monkeypatch.setenv("SCRIBE_DATA_PASSPHRASE", "not the passphrase")
    with pytest.raises(KeysLocked, match="passphrase is wrong"):
        KeyStore.open(tmp_path / "keys")
    monkeypatch.delenv("SCRIBE_DATA_PASSPHRASE")
    with pytest.raises(KeysLocked, match="locked with a passphrase"):
        KeyStore.open(tmp_path / "keys")


def test_keyring_rotation_and_recovery_for_it(tmp_path, memory_keyring, monkeypatch):
    os_keyring = memory_keyring
    monkeypatch.delenv("SCRIBE_DATA_PASSPHRASE", raising=False)
    keys = KeyStore.open(tmp_path / "keys")  # auto: the OS keyring is there, no passphrase needed
    assert keys.protection == "keyring" and len(os_keyring.data) == 1
    store = VisitStore(tmp_path / "visits", keys=keys)
    visit, transcript, note = _full_visit(store)
    old_entry = next(iter(os_keyring.data))

    keys.rotate(signing=True)  # new KEK (a new keyring entry), new data key, new signing key
    assert old_entry not in os_keyring.data and len(os_keyring.data) == 1
    keys = KeyStore.open(tmp_path / "keys")
    store = VisitStore(tmp_path / "visits", keys=keys)
    assert store.open("enc-2026-0042").load_transcript() == transcript  # nothing re-encrypted, all readable
    verify_approval(store.open("enc-2026-0042").load_note(), keys)  # signed before the rotation: still verifies
    assert store.open("enc-2026-0042").audit_report().ok
    assert keys.info().retired_signing_keys and not keys.info().retired_data_keys

    keys.export_recovery(tmp_path / "recovery.json", "recovery passphrase, kept offline")
    recovery = (tmp_path / "recovery.json").read_bytes()
    assert PASSPHRASE.encode() not in recovery and b"wrapped" not in recovery
    os_keyring.data.clear()  # a new computer, or the keyring was reset
    with pytest.raises(KeysLocked, match="scribe keys recover"):
        KeyStore.open(tmp_path / "keys")
    with pytest.raises(KeysLocked, match="recovery passphrase is wrong"):
        KeyStore.recover(tmp_path / "keys", tmp_path / "recovery.json", "a wrong recovery phrase")
    keys = KeyStore.recover(tmp_path / "keys", tmp_path / "recovery.json", "recovery passphrase, kept offline")
    assert VisitStore(tmp_path / "visits", keys=keys).open("enc-2026-0042").load_transcript() == transcript
    assert KeyStore.open(tmp_path / "keys").install_id == keys.install_id


def test_purging_destroys_the_keys_so_old_copies_are_unreadable(keys, tmp_path):
    store = VisitStore(tmp_path / "visits", keys=keys)
    visit, _, note = _full_visit(store)
    backup = tmp_path / "backup"
    shutil.copytree(visit.folder, backup)  # what a backup or a disk sector might still hold
    scope = store.purge("enc-2026-0042")
    assert not visit.folder.exists() and "enc-2026-0042" not in store
    assert not list((tmp_path / "keys" / "visits").glob(f"{scope}*"))
    assert store.outbox().list() == []  # its EHR exports went with it
    shutil.copytree(backup, visit.folder)  # even put back in place, nothing can be read
    with pytest.raises(StorageError, match="destroyed"):
        store.open("enc-2026-0042")
    with pytest.raises(StorageError):
        store.disk.read(visit.folder / "transcript.json")


def test_deleting_the_recording_shreds_only_the_audio(keys, tmp_path):
    store = VisitStore(tmp_path / "visits", keys=keys)
    visit, transcript, note = _full_visit(store)
    copy = visit.audio_path.read_bytes()
    assert visit.delete_audio("policy") is True
    assert not visit.has_audio() and visit.load_transcript() == transcript and visit.load_note() == note
    visit.audio_path.write_bytes(copy)  # the old ciphertext put back
    with pytest.raises(StorageError):
        visit.load_audio()
    assert visit.audit_log()[-1]["action"] == "audio_deleted" and visit.audit_report().ok


def test_visits_from_before_encryption_stay_readable(tmp_path, keys):
    plain = VisitStore(tmp_path / "visits")
    visit = plain.create(Encounter(encounter_id="enc-old"))
    visit.save_transcript(Transcript(segments=[Segment(id=0, start=0, end=1, text="hello")], duration=1.0))
    sealed = VisitStore(tmp_path / "visits", keys=keys)
    old = sealed.open("enc-old")
    assert old.load_transcript().segments[0].text == "hello"
    old.save_transcript(Transcript(segments=[Segment(id=0, start=0, end=1, text="hello again")], duration=1.0))
    assert (old.folder / "transcript.json").read_bytes()[:4] == b"SCB1"  # written sealed from now on
    assert sealed.open("enc-old").load_transcript().segments[0].text == "hello again"


def test_a_signed_approval_survives_rotation_but_not_another_installation(keys, tmp_path, monkeypatch):
    transcript = Transcript(segments=[Segment(id=0, start=0, end=1, text="No fever.")], duration=1.0)
    note = NoteDraft(sections=[Section(key="s", title="S", statements=[Statement(text="No fever.")])])
    signed = approve(note, "Dr Grey", transcript=transcript, keys=keys)
    keys.rotate(signing=True, kek=False)
    verify_approval(signed, keys)
    other = KeyStore.open(tmp_path / "elsewhere", protection="passphrase")
    with pytest.raises(ApprovalError):
        verify_approval(signed, other)
    assert json.loads((tmp_path / "keys" / "keystore.json").read_text())["kek"]["protection"] == "passphrase"
