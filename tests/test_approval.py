"""Physician-in-the-loop rules: nothing flagged is approved silently, approval locks, amendments version."""

import pytest

from scribe.approval import add_statement, amend, approve, confirm_statement, edit_statement
from scribe.domain import NoteDraft, Section, Statement, StatementStatus
from scribe.errors import ApprovalError, InputError
from scribe.grounding import ground_note
from scribe.transcript_io import parse_dialogue

MEDS = {"lisinopril"}
TRANSCRIPT = parse_dialogue(
    "[patient] I take lisinopril ten milligrams every morning.\n"
    "[doctor] Your blood pressure is one thirty two over eighty four today.\n"
)


def _grounded(*texts):
    note = NoteDraft(
        sections=[Section(key="subjective", title="Subjective", statements=[Statement(text=t) for t in texts])]
    )
    return ground_note(note, TRANSCRIPT, medications=MEDS)


def test_approval_refused_while_a_statement_is_unsupported():
    note = _grounded("Takes lisinopril 10 mg every morning.", "Takes lisinopril 40 mg.")
    with pytest.raises(ApprovalError, match="1 statement.*flagged unsupported.*40 mg"):
        approve(note, "Dr Jane Doe", transcript=TRANSCRIPT, medications=MEDS)


def test_edit_regrounds_and_then_approval_works():
    note = _grounded("Takes lisinopril 10 mg every morning.", "Takes lisinopril 40 mg.")
    bad = note.unresolved()[0]
    fixed = edit_statement(note, bad.id, "BP 132/84.", "Dr Jane Doe", transcript=TRANSCRIPT)
    assert not fixed.unresolved()
    approved = approve(fixed, "Dr Jane Doe", transcript=TRANSCRIPT, medications=MEDS)
    assert approved.is_approved and approved.approval.approved_by == "Dr Jane Doe"
    assert approved.approval.content_sha256 == approved.content_hash()
    assert [e.action for e in approved.events] == ["edited", "approved"]
    assert approved.events[0].actor == "Dr Jane Doe"


def test_added_statement_is_placed_attributed_and_grounded():
    note = _grounded("Takes lisinopril 10 mg every morning.", "BP 132/84.")
    first, second = (st.id for st in note.statements())
    note, good = add_statement(
        note, "subjective", "  Takes it every morning. ", "Dr Jane Doe", after=first, transcript=TRANSCRIPT
    )
    note, bad = add_statement(
        note, "subjective", "Also takes metformin 500 mg.", "Dr Jane Doe", after=second, transcript=TRANSCRIPT
    )
    assert [st.id for st in note.statements()] == [first, good, second, bad]
    assert note.find_statement(good)[1].text == "Takes it every morning."
    assert [(e.action, e.actor, e.statement_id) for e in note.events[-2:]] == [
        ("added", "Dr Jane Doe", good),
        ("added", "Dr Jane Doe", bad),
    ]
    assert [st.id for st in note.unresolved()] == [bad]  # a drug the visit never mentioned is flagged
    note, top = add_statement(note, "subjective", "Here for follow-up.", "Dr Jane Doe")
    assert note.statements()[0].id == top
    with pytest.raises(InputError, match="No section 'plan'"):
        add_statement(note, "plan", "Recheck in 3 months.", "Dr Jane Doe")
    with pytest.raises(InputError, match="needs some text"):
        add_statement(note, "subjective", "  ", "Dr Jane Doe")
    with pytest.raises(ApprovalError, match="name is required"):
        add_statement(note, "subjective", "x", " ")


def test_confirming_a_flagged_statement_is_attributed():
    note = _grounded("Takes lisinopril 40 mg.")
    st = note.unresolved()[0]
    confirmed = confirm_statement(note, st.id, "Dr Jane Doe")
    assert confirmed.statements()[0].status == StatementStatus.confirmed
    assert confirmed.events[-1].action == "confirmed" and "40 mg" in confirmed.events[-1].detail
    assert approve(confirmed, "Dr Jane Doe", transcript=TRANSCRIPT, medications=MEDS).is_approved


def test_approved_note_is_locked_and_changes_break_the_approval():
    approved = approve(
        _grounded("Takes lisinopril 10 mg every morning."), "Dr Jane Doe", transcript=TRANSCRIPT, medications=MEDS
    )
    st = approved.statements()[0]
    with pytest.raises(ApprovalError, match="locked"):
        edit_statement(approved, st.id, "Something else.", "Dr Jane Doe")
    # tampering with the JSON behind the app's back voids the approval
    tampered = approved.model_copy(
        update={
            "sections": [
                approved.sections[0].model_copy(
                    update={"statements": [st.model_copy(update={"text": "Takes lisinopril 20 mg."})]}
                )
            ]
        }
    )
    assert not tampered.is_approved


def test_amendment_is_a_new_unapproved_version():
    approved = approve(
        _grounded("Takes lisinopril 10 mg every morning."), "Dr Jane Doe", transcript=TRANSCRIPT, medications=MEDS
    )
    amended = amend(approved, "Dr Jane Doe", reason="add BP")
    assert amended.version == 2 and amended.amends_version == 1
    assert amended.approval is None and not amended.is_approved
    assert amended.note_id == approved.note_id


def test_approval_needs_a_name_and_a_grounded_note():
    with pytest.raises(ApprovalError, match="name"):
        approve(_grounded("Takes lisinopril 10 mg every morning."), "  ", transcript=TRANSCRIPT, medications=MEDS)
    ungrounded = NoteDraft(sections=[Section(key="s", title="S", statements=[Statement(text="x y z")])])
    with pytest.raises(ApprovalError, match="re-checks the note against the visit's transcript"):
        approve(ungrounded, "Dr Jane Doe", transcript=None)
