"""VisitStore / Visit / AudioWriter: real files in a temp dir, content assertions."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scribe.domain import Approval, Encounter, NoteDraft, Section, Segment, Statement, Transcript
from scribe.errors import ApprovalError, ScribeError
from scribe.storage import (
    StorageError,
    VisitNotFound,
    VisitState,
    VisitStore,
    read_wav,
)

SR = 16000


def tone(seconds: float, freq: float = 220.0, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    # a non-periodic-looking signal so misalignment would show up
    return (0.3 * np.sin(2 * np.pi * freq * t) + 0.1 * np.sin(2 * np.pi * 37.3 * t * (1 + t))).astype(np.float32)


def pcm_roundtrip(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x * 32767), -32768, 32767).astype(np.int16).astype(np.float32) / 32768.0


def make_note(text: str = "Cough for three days.", version: int = 1) -> NoteDraft:
    return NoteDraft(
        version=version,
        sections=[Section(key="subjective", title="Subjective", statements=[Statement(text=text, evidence=[0])])],
    )


@pytest.fixture()
def store(tmp_path: Path) -> VisitStore:
    return VisitStore(tmp_path / "visits")


# --------------------------------------------------------------------------- store basics


def test_create_list_open(store: VisitStore) -> None:
    encs = [Encounter(patient_name=f"Patient {i}", patient_id=f"MRN{i}") for i in range(3)]
    for e in encs:
        store.create(e)
    records = store.list()
    assert [r.encounter.patient_id for r in records] == ["MRN2", "MRN1", "MRN0"]  # newest first
    assert all(r.state == VisitState.recording for r in records)

    visit = store.open(encs[1].encounter_id)
    assert visit.record.encounter == encs[1]
    assert visit.folder == store.root / encs[1].encounter_id
    assert (visit.folder / "visit.json").is_file()
    assert visit.audit_log()[0]["action"] == "created"

    visit.set_state(VisitState.transcribing, actor="dr.grey")
    again = store.open(encs[1].encounter_id)
    assert again.record.state == VisitState.transcribing
    assert again.record.updated_at > again.record.created_at
    last = again.audit_log()[-1]
    assert (last["action"], last["actor"], last["details"]) == (
        "state",
        "dr.grey",
        {"from": "recording", "to": "transcribing"},
    )

    with pytest.raises(VisitNotFound):
        store.open("enc-doesnotexist")
    with pytest.raises(StorageError, match="already exists"):
        store.create(encs[0])
    with pytest.raises(StorageError, match="cannot be used as a visit id"):
        store.open("../etc")


def test_two_handles_on_one_visit_do_not_clobber_each_other(store: VisitStore) -> None:
    enc = Encounter()
    a = store.create(enc)
    b = store.open(enc.encounter_id)
    a.set_state(VisitState.draft)
    b.save_note(make_note(), actor="dr.grey")  # b's in-memory record is stale; must not undo a's change
    rec = store.open(enc.encounter_id).record
    assert rec.state == VisitState.draft and rec.note_version == 1


def test_transcript_roundtrip(store: VisitStore) -> None:
    visit = store.create(Encounter())
    assert visit.load_transcript() is None
    t = Transcript(segments=[Segment(id=0, start=0.0, end=2.5, text="I have had a cough.")], duration=2.5)
    visit.save_transcript(t)
    assert store.open(visit.encounter_id).load_transcript() == t
    assert visit.audit_log()[-1]["action"] == "transcript_saved"


# --------------------------------------------------------------------------- notes


def test_note_versions_are_kept_and_audited(store: VisitStore) -> None:
    visit = store.create(Encounter())
    assert visit.load_note() is None and visit.note_versions() == []

    v1 = visit.save_note(make_note("Cough for three days."), actor="llm:qwen")
    edited = v1.model_copy(deep=True)
    edited.sections[0].statements[0].text = "Cough for four days."
    v2 = visit.save_note(edited, actor="dr.grey")  # same version number given: renumbered, not overwritten
    assert (v1.version, v2.version) == (1, 2)

    files = sorted(p.name for p in visit.folder.iterdir())
    assert {"note.json", "note.v1.json", "note.v2.json"} <= set(files)
    assert not [f for f in files if f.endswith(".tmp")]
    versions = visit.note_versions()
    assert [n.sections[0].statements[0].text for n in versions] == ["Cough for three days.", "Cough for four days."]
    assert visit.load_note().sections[0].statements[0].text == "Cough for four days."
    assert store.open(visit.encounter_id).record.note_version == 2

    saves = [e for e in visit.audit_log() if e["action"] == "note_saved"]
    assert [(e["actor"], e["details"]["version"]) for e in saves] == [("llm:qwen", 1), ("dr.grey", 2)]
    assert saves[1]["details"]["content_sha256"] == edited.content_hash()
    assert saves[0]["details"]["content_sha256"] != saves[1]["details"]["content_sha256"]


def test_working_draft_saves_edits_without_new_versions(store: VisitStore) -> None:
    visit = store.create(Encounter())
    first = visit.save_working_draft(make_note("Cough for two days."), actor="llm:qwen")
    assert first.version == 1 and [n.version for n in visit.note_versions()] == [1]  # first save is a version
    texts = ["Cough for three days.", "Cough for four days."]
    for text in texts:  # two autosaves while the physician types
        edited = visit.load_note().model_copy(deep=True)
        edited.sections[0].statements[0].text = text
        saved = visit.save_working_draft(edited, actor="dr.grey")
        assert saved.version == 1
    assert [n.sections[0].statements[0].text for n in visit.note_versions()] == ["Cough for two days."]
    assert visit.load_note().sections[0].statements[0].text == texts[-1]  # what reopening shows
    edits = [e for e in visit.audit_log() if e["action"] == "note_edited"]
    assert [(e["actor"], e["details"]["version"]) for e in edits] == [("dr.grey", 1), ("dr.grey", 1)]
    assert edits[-1]["details"]["content_sha256"] == visit.load_note().content_hash()
    assert visit.verify_audit()

    approved = visit.load_note()
    approved.approval = Approval(approved_by="dr.grey", content_sha256=approved.content_hash())
    v2 = visit.save_note(approved, actor="dr.grey")  # the milestone is a version
    assert v2.version == 2 and v2.is_approved
    with pytest.raises(StorageError, match="approved note is saved as a version"):
        visit.save_working_draft(v2, actor="dr.grey")


def test_approval_is_required_for_approved_state(store: VisitStore) -> None:
    visit = store.create(Encounter())
    note = visit.save_note(make_note(), actor="llm")
    with pytest.raises(ApprovalError):
        visit.set_state(VisitState.approved, actor="dr.grey")
    note.approval = Approval(approved_by="Dr Grey", login="dr.grey", content_sha256=note.content_hash())
    visit.save_note(note, actor="dr.grey")
    visit.set_state(VisitState.approved, actor="dr.grey")
    entry = [e for e in visit.audit_log() if e["action"] == "note_approved"][0]
    assert entry["actor"] == "dr.grey" and entry["details"]["login"] == "dr.grey"  # ids only: not the name
    assert entry["details"]["content_sha256"] == note.content_hash()
    with pytest.raises(StorageError, match="attributed"):
        visit.save_note(note, actor="  ")


def test_json_writes_are_atomic(store: VisitStore, monkeypatch: pytest.MonkeyPatch) -> None:
    visit = store.create(Encounter())
    visit.save_note(make_note("Original text."), actor="dr.grey")
    before = (visit.folder / "note.json").read_bytes()

    def crash(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)  # the crash happens after the temp file is written
    with pytest.raises(StorageError, match="full"):
        visit.save_note(make_note("New text."), actor="dr.grey")
    monkeypatch.undo()
    assert (visit.folder / "note.json").read_bytes() == before
    assert not [p for p in visit.folder.iterdir() if p.name.endswith(".tmp")]
    assert visit.load_note().sections[0].statements[0].text == "Original text."


# --------------------------------------------------------------------------- audit chain


def test_audit_chain_verifies_and_detects_tampering(store: VisitStore) -> None:
    visit = store.create(Encounter())
    for i in range(5):
        visit.audit("viewed", actor=f"user{i}", screen="note", n=i)
    assert visit.verify_audit()
    log = visit.audit_log()
    assert [e["seq"] for e in log] == list(range(6))
    assert log[3]["actor"] == "user2" and log[3]["details"] == {"screen": "note", "n": 2}
    assert all(e["ts"] for e in log)

    path = visit.audit_path
    original = path.read_bytes()
    lines = original.decode().splitlines(keepends=True)

    def check(tampered_lines: list[str]) -> bool:
        path.write_text("".join(tampered_lines))
        ok = visit.verify_audit()
        path.write_bytes(original)
        return ok

    assert not check([lines[0], lines[1], lines[2].replace("user1", "userX")] + lines[3:])  # edit middle
    assert not check(lines[:2] + lines[3:])  # delete a line
    assert not check(lines[:2] + [lines[3], lines[2]] + lines[4:])  # reorder
    assert not check(lines[:-1] + [lines[-1].replace('"n":4', '"n":5')])  # edit the last line
    assert visit.verify_audit()

    # appending after verification keeps the chain valid
    visit.audit("exported", actor="dr.grey", target="fhir")
    assert visit.verify_audit()


# --------------------------------------------------------------------------- robustness


def test_corrupt_visit_is_skipped_and_reported(store: VisitStore) -> None:
    good = store.create(Encounter(patient_id="good"))
    bad = store.create(Encounter(patient_id="bad"))
    (bad.folder / "visit.json").write_text('{"encounter": {"encounter_id": ')  # torn JSON
    (store.root / "stray-folder").mkdir()
    records = store.list()
    assert [r.encounter.patient_id for r in records] == ["good"]
    reported = {p.folder.name: p.message for p in store.problems}
    assert set(reported) == {bad.encounter_id, "stray-folder"}
    assert "unreadable" in reported[bad.encounter_id]
    with pytest.raises(StorageError, match="corrupt"):
        store.open(bad.encounter_id)
    assert store.open(good.encounter_id).record.encounter.patient_id == "good"


def test_unwritable_root_gives_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match="is a file") as exc:
        VisitStore(blocker / "visits")
    assert isinstance(exc.value, ScribeError)
    assert "\n" not in str(exc.value)


def test_read_only_root_gives_storage_error(tmp_path: Path, ro_dir: Path) -> None:
    with pytest.raises(StorageError, match="read-only|permission") as exc:
        VisitStore(ro_dir)
    assert "\n" not in str(exc.value)


@pytest.fixture()
def ro_dir(tmp_path: Path):
    """A directory this process cannot write to: chmod for normal users, a read-only tmpfs for root."""
    d = tmp_path / "ro"
    d.mkdir()
    if os.geteuid() != 0:
        d.chmod(0o500)
        yield d
        d.chmod(0o700)
        return
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(d)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"[optional] running as root and cannot mount a read-only tmpfs: {r.stderr.strip()}")
    yield d
    subprocess.run(["umount", "-l", str(d)], check=False)


@pytest.fixture()
def tiny_disk(small_disk) -> Path:
    """A real 256 KiB filesystem so 'disk full' is the kernel's ENOSPC, not a mock."""
    return small_disk("256k")


def test_disk_full_keeps_audio_and_resumes(tiny_disk: Path) -> None:
    store = VisitStore(tiny_disk / "visits")
    visit = store.create(Encounter())
    filler = tiny_disk / "filler"
    st = os.statvfs(tiny_disk)
    filler.write_bytes(b"\0" * (st.f_bavail * st.f_frsize - 60_000))  # leave ~60 KB free

    signal = tone(3.0)  # 96 KB of PCM: does not fit
    w = visit.open_audio_writer(flush_interval=3600)
    w.write(signal[:SR])
    w.flush()  # 1 s fits
    w.write(signal[SR:])
    with pytest.raises(StorageError, match="full"):
        w.flush()
    assert w.error is not None
    on_disk, _ = read_wav(visit.audio_path)  # what was saved is intact
    np.testing.assert_allclose(on_disk, pcm_roundtrip(signal[:SR]), atol=1e-4)
    st = os.statvfs(tiny_disk)
    (tiny_disk / "filler2").write_bytes(b"\0" * (st.f_bavail * st.f_frsize))  # now truly full
    with pytest.raises(StorageError, match="full"):
        visit.save_transcript(Transcript(duration=1.0))  # JSON writes fail cleanly too
    assert visit.load_transcript() is None

    filler.unlink()  # the user frees space: nothing recorded is lost
    (tiny_disk / "filler2").unlink()
    w.close()
    assert w.error is None
    audio, sr = read_wav(visit.audio_path)
    assert sr == SR and len(audio) == len(signal)
    np.testing.assert_allclose(audio, pcm_roundtrip(signal), atol=1e-4)
    assert store.open(visit.encounter_id).record.audio_seconds == pytest.approx(3.0)


# --------------------------------------------------------------------------- audio writer & recovery


def test_audio_writer_roundtrip_and_append(store: VisitStore) -> None:
    visit = store.create(Encounter())
    sig = tone(2.0)
    with visit.open_audio_writer() as w:
        w.write(sig[:SR])
        assert w.seconds == pytest.approx(1.0)
    import soundfile as sf  # an independent reader agrees with the header

    with visit.open_audio_writer() as w:  # appends
        assert w.seconds == pytest.approx(1.0)
        w.write(sig[SR:])
    data, sr = sf.read(str(visit.audio_path), dtype="float32")
    assert sr == SR and len(data) == 2 * SR
    np.testing.assert_allclose(data, pcm_roundtrip(sig), atol=1e-4)
    assert store.open(visit.encounter_id).record.audio_seconds == pytest.approx(2.0)
    assert not visit.is_recording_now()  # the recording's OS lock is released


def test_recover_after_simulated_crash(store: VisitStore, tmp_path: Path) -> None:
    visit = store.create(Encounter())
    sig = tone(3.0)
    w = visit.open_audio_writer(flush_interval=0.5)
    w.write(sig[: 2 * SR])
    w.flush()  # 2.0 s safely on disk
    w.write(sig[2 * SR : int(2.4 * SR)])  # 0.4 s still in memory: a kill loses it
    assert w.committed_seconds == pytest.approx(2.0) and w.seconds == pytest.approx(2.4)

    # "kill": copy the folder as the dead process left it (writer never closed), into a fresh store
    crashed_root = tmp_path / "after-crash"
    shutil.copytree(store.root, crashed_root)
    folder = crashed_root / visit.encounter_id
    lock = json.loads((folder / "recording.lock").read_text())
    assert lock["pid"] == os.getpid()
    # the dead process had also appended 0.3 s without updating the header, plus a torn sample
    extra = (np.clip(np.rint(sig[int(2.0 * SR) : int(2.3 * SR)] * 32767), -32768, 32767).astype("<i2")).tobytes()
    with open(folder / "audio.wav", "ab") as fh:
        fh.write(extra + b"\x01")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    lock["pid"] = int(dead.stdout)
    lock["started"] = None
    (folder / "recording.lock").write_text(json.dumps(lock))
    w.close()  # the original keeps working; not part of the crashed copy

    crashed = VisitStore(crashed_root)
    rec = crashed.recoverable()
    assert [r.encounter_id for r in rec] == [visit.encounter_id]
    v = crashed.open(visit.encounter_id)
    seconds = v.recover()
    assert abs(seconds - 2.4) < 1.0 and seconds == pytest.approx(2.3)
    assert v.record.state == VisitState.interrupted and v.record.audio_seconds == pytest.approx(2.3)
    assert not v.is_recording_now()
    import soundfile as sf

    data, sr = sf.read(str(folder / "audio.wav"), dtype="float32")  # header now matches
    assert len(data) == int(2.3 * SR)
    np.testing.assert_allclose(data, pcm_roundtrip(sig[: len(data)]), atol=1e-4)
    assert v.recover() == pytest.approx(2.3)  # idempotent
    assert v.verify_audit() and v.audit_log()[-1]["action"] == "recovered"

    # continue recording the same visit after recovery: appends
    with v.open_audio_writer() as w2:
        w2.write(sig[int(2.3 * SR) :])
    assert v.audio_seconds() == pytest.approx(3.0)


def test_live_recording_is_not_recoverable(store: VisitStore) -> None:
    visit = store.create(Encounter())
    w = visit.open_audio_writer()
    w.write(tone(0.5))
    w.flush()
    assert store.recoverable() == []  # this process is still recording it
    with pytest.raises(StorageError, match="being recorded"):
        visit.recover()
    with pytest.raises(StorageError, match="already being recorded"):
        store.open(visit.encounter_id).open_audio_writer()
    w.close()
    # closed without a state change (e.g. crash right after) -> recoverable again
    assert [r.encounter_id for r in store.recoverable()] == [visit.encounter_id]
    visit.set_state(VisitState.recorded)
    assert store.recoverable() == []


def test_audio_writer_rejects_foreign_file(store: VisitStore) -> None:
    visit = store.create(Encounter())
    visit.audio_path.write_bytes(b"ID3" + os.urandom(200))  # e.g. an mp3 dropped in
    before = visit.audio_path.read_bytes()
    with pytest.raises(StorageError, match="not a Scribe recording"):
        visit.open_audio_writer()
    assert visit.audio_path.read_bytes() == before
    assert not visit.is_recording_now()  # the recording's OS lock is released
