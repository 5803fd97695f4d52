"""An approval no one can forge (issue 15, rows 1 and 2).

Each attack from the issue, run for real against the CLI and the EHR outbox: an approved note edited
with its hash recomputed and the approver renamed; a made-up statement flipped to ``supported``; a
note with its grounding emptied; an approval moved to another patient; an outbox entry edited after
it was queued. Each is refused with one line, and nothing reaches the export.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scribe.approval import approve, approve_all_flagged_confirmed, confirm_statement, verify_approval
from scribe.cli import main
from scribe.domain import Encounter, NoteDraft, Section, Statement
from scribe.errors import ApprovalError
from scribe.grounding import ground_note
from scribe.security import SecurityContext
from scribe.settings import load_settings
from scribe.transcript_io import parse_dialogue

try:
    from tests.ehr_support import approved_note, make_visit, memory_keyring  # noqa: F401
except ImportError:
    from ehr_support import approved_note, make_visit, memory_keyring  # noqa: F401

MEDS = {"lisinopril", "warfarin"}
TRANSCRIPT = parse_dialogue(
    "[patient] I take lisinopril ten milligrams every morning.\n"
    "[doctor] Your blood pressure is one thirty two over eighty four today.\n"
)


@pytest.fixture()
def sec(tmp_path, monkeypatch) -> SecurityContext:
    monkeypatch.setenv("SCRIBE_DATA_DIR", str(tmp_path / "data"))
    return SecurityContext(load_settings())


def _note(*texts: str) -> NoteDraft:
    note = NoteDraft(
        encounter=Encounter(patient_id="MRN-1", patient_name="Alex Morgan"),
        sections=[Section(key="subjective", title="Subjective", statements=[Statement(text=t) for t in texts])],
    )
    return ground_note(note, TRANSCRIPT, medications=MEDS)


def _cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _approved_files(tmp_path: Path, capsys) -> Path:
    folder = tmp_path / "visit"
    folder.mkdir()
    (folder / "transcript.json").write_text(TRANSCRIPT.model_dump_json())
    path = folder / "note.json"
    path.write_text(_note("Takes lisinopril 10 mg every morning.", "BP 132/84.").model_dump_json())
    code, out, err = _cli(capsys, "approve", path, "-q")
    assert code == 0, err
    return path


def _export(capsys, path: Path) -> tuple[int, str]:
    out_file = path.parent / "dr.json"
    out_file.unlink(missing_ok=True)
    code, _, err = _cli(capsys, "export", path, "--out", out_file, "-q")
    assert (code == 0) == out_file.exists()
    return code, err


def test_an_edited_note_with_its_hash_recomputed_and_the_approver_renamed_is_refused(sec, tmp_path, capsys):
    path = _approved_files(tmp_path, capsys)
    assert _export(capsys, path)[0] == 0  # the genuine approval exports
    note = NoteDraft.model_validate_json(path.read_text())
    forged = note.model_copy(
        update={
            "sections": [
                note.sections[0].model_copy(
                    update={
                        "statements": [
                            *note.sections[0].statements,
                            Statement(text="Start warfarin 10 mg daily."),
                        ]
                    }
                )
            ]
        }
    )
    forged.approval = note.approval.model_copy(
        update={"content_sha256": forged.content_hash(), "approved_by": "Dr House"}
    )
    assert forged.is_approved  # the old check (hash only) would have let it through
    path.write_text(forged.model_dump_json())
    code, err = _export(capsys, path)
    assert code == 2 and "does not verify" in err and err.count("\n") == 1
    # only the name renamed, or the patient swapped: refused too
    for change in ({"approved_by": "Dr House"},):
        path.write_text(note.model_copy(update={"approval": note.approval.model_copy(update=change)}).model_dump_json())
        assert _export(capsys, path)[0] == 2
    other = note.model_copy(update={"encounter": note.encounter.model_copy(update={"patient_id": "MRN-2"})})
    path.write_text(other.model_dump_json())
    assert "does not verify" in _export(capsys, path)[1]


def test_a_flipped_status_and_an_empty_grounding_are_refused(sec, tmp_path, capsys):
    folder = tmp_path / "visit"
    folder.mkdir()
    (folder / "transcript.json").write_text(TRANSCRIPT.model_dump_json())
    note = _note("Takes lisinopril 10 mg every morning.", "Start warfarin 10 mg daily.")
    invented = note.statements()[1]
    assert invented.status.value == "unsupported"
    data = json.loads(note.model_dump_json())
    data["sections"][0]["statements"][1]["status"] = "supported"  # flipped in the file
    data["sections"][0]["statements"][1]["issues"] = []
    data["grounding"] = {}  # and the grounding emptied
    path = folder / "note.json"
    path.write_text(json.dumps(data))
    code, out, err = _cli(capsys, "approve", path, "-q")
    assert code == 2 and "flagged unsupported" in err and "warfarin" in err
    data["sections"][0]["statements"][1]["status"] = "confirmed"  # "confirmed", by nobody
    path.write_text(json.dumps(data))
    code, out, err = _cli(capsys, "approve", path, "-q")
    assert code == 2 and "not by you" in err
    # with an empty grounding and nothing invented, approval re-checks and works
    clean = _note("Takes lisinopril 10 mg every morning.")
    clean_data = json.loads(clean.model_dump_json())
    clean_data["grounding"] = None
    path.write_text(json.dumps(clean_data))
    code, out, err = _cli(capsys, "approve", path, "-q")
    assert code == 0, err
    approved = NoteDraft.model_validate_json(path.read_text())
    assert approved.grounding is not None and approved.approval.checked["statements"] == 1


def test_a_confirmation_counts_only_for_its_text_and_its_clinician():
    note = _note("Takes lisinopril 40 mg.")
    st = note.unresolved()[0]
    confirmed = confirm_statement(note, st.id, "dr.grey")
    with pytest.raises(ApprovalError, match="not by you"):
        approve(confirmed, "Dr House", login="dr.house", transcript=TRANSCRIPT, medications=MEDS)
    assert approve(confirmed, "Dr Grey", login="dr.grey", transcript=TRANSCRIPT, medications=MEDS).is_approved
    # the confirmed text changed in the file afterwards: the confirmation no longer covers it
    edited = confirmed.model_copy(deep=True)
    edited.sections[0].statements[0].text = "Takes lisinopril 80 mg."
    with pytest.raises(ApprovalError, match="not by you"):
        approve(edited, "Dr Grey", login="dr.grey", transcript=TRANSCRIPT, medications=MEDS)


def test_unsigned_or_foreign_approvals_are_refused(sec, tmp_path):
    note = approve(_note("BP 132/84."), "Dr Grey", transcript=TRANSCRIPT, medications=MEDS)
    with pytest.raises(ApprovalError, match="not signed"):
        verify_approval(note, sec.keys)
    from scribe.storage.keys import KeyStore

    elsewhere = KeyStore.open(tmp_path / "other-install", protection="passphrase")
    foreign = approve(_note("BP 132/84."), "Dr Grey", transcript=TRANSCRIPT, medications=MEDS, keys=elsewhere)
    verify_approval(foreign, elsewhere)
    with pytest.raises(ApprovalError, match="another installation"):
        verify_approval(foreign, sec.keys)


def test_the_outbox_refuses_a_forged_note_and_a_queued_entry_edited_on_disk(sec):
    from scribe.ehr.outbox import ItemState, Outbox

    store = sec.store()
    visit, note = make_visit(store)
    outbox = Outbox(store)
    # a forged note (text changed, hash recomputed) is refused before anything is queued
    forged = note.model_copy(deep=True)
    forged.sections[0].statements[0].text = "Start warfarin 10 mg daily."
    forged.approval = forged.approval.model_copy(update={"content_sha256": forged.content_hash()})
    with pytest.raises(ApprovalError, match="does not verify"):
        outbox.enqueue_note(forged, "staff")
    # a validly signed note that the visit never recorded (a file dropped in beside it) is refused
    unrecorded = approved_note(note.encounter, "Dry cough since Monday.", keys=store.keys)
    verify_approval(unrecorded, store.keys)
    with pytest.raises(ApprovalError, match="no approval in the visit's audit trail"):
        outbox.enqueue_note(unrecorded, "staff")
    # the genuine note queues; then its outbox entry is edited on disk before the send
    item, new = outbox.enqueue_note(note, "staff")
    assert new and item.approval["signature"] == note.approval.signature
    import base64

    data = store.outbox().load(item.item_id)
    data["resource"]["content"][0]["attachment"]["data"] = base64.b64encode(b"SUBJECTIVE\n- Start warfarin.\n").decode()
    store.outbox().save(item.item_id, data)

    class Sender:
        sent = []

        def send(self, it, ob):
            self.sent.append(it.item_id)
            raise AssertionError("must not be reached")

    sender = Sender()
    report = outbox.drain(sender)
    assert sender.sent == [] and report.failed == [item.item_id]
    failed = outbox.get(item.item_id)
    assert failed.state == ItemState.failed_permanent and "not the note that was approved" in failed.last_error


def test_run_approve_signs_and_the_demo_path_exports(sec, tmp_path):
    """The pipeline's approval is the same signed approval (no model: a tiny fake drafter)."""
    note = approve_all_flagged_confirmed(
        _note("Takes lisinopril 40 mg."),
        "Dr Grey",
        transcript=TRANSCRIPT,
        login="dr.grey",
        keys=sec.keys,
        medications=MEDS,
    )
    verify_approval(note, sec.keys)
    assert note.approval.login == "dr.grey" and note.approval.checked == {
        "statements": 1,
        "unsupported": 0,
        "confirmed": 1,
    }
