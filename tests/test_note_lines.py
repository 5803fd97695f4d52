"""The note as lines: what an edit to the editor's lines means for the note's statements, and
applying it through the approval rules (Qt-free: the app and the tests share scribe.note_lines)."""

from __future__ import annotations

import pytest

from scribe.domain import NoteAction, NoteDraft, Section, Statement, StatementStatus
from scribe.errors import ApprovalError
from scribe.note_lines import ChangeKind, LineChange, LineInfo, apply_changes, diff_changes, match_lines
from scribe.transcript_io import parse_dialogue

BASE = [LineInfo("a", "Cough for three days."), LineInfo("b", "No fever."), LineInfo("c", "Takes lisinopril 10 mg.")]
add, edit, delete = ChangeKind.add, ChangeKind.edit, ChangeKind.delete


def test_unchanged_lines_map_to_their_statements():
    mapped, deleted = match_lines(BASE, ["Cough for three days.", "No fever.", "Takes lisinopril 10 mg."])
    assert [m.id for m in mapped] == ["a", "b", "c"] and not deleted
    assert diff_changes("s", BASE, [b.text for b in BASE]) == []


def test_edit_insert_delete_and_blank_lines():
    lines = ["Cough for five days.", "", "New: sore throat.", "Takes lisinopril 10 mg."]
    changes = diff_changes("s", BASE, lines)
    assert LineChange(edit, "s", "a", "Cough for five days.") in changes
    assert LineChange(delete, "s", "b", "") in changes
    assert LineChange(add, "s", "a", "New: sore throat.") in changes  # unlike "No fever.": a new statement
    mapped, _ = match_lines(BASE, lines)
    assert mapped[1] is None  # blank line belongs to nobody
    assert mapped[3].id == "c"


def test_new_lines_are_added_in_order_after_the_previous_statement():
    lines = ["Cough for three days.", "First new.", "Second new.", "No fever.", "Takes lisinopril 10 mg."]
    changes = diff_changes("s", BASE, lines)
    assert changes == [
        LineChange(add, "s", "a", "First new."),
        LineChange(add, "s", None, "Second new.", after_previous_add=True),
    ]
    assert diff_changes("s", [], ["Only line."]) == [LineChange(add, "s", None, "Only line.")]


def test_statement_with_a_line_break_is_shown_on_one_line():
    st = Statement(id="x", text="Two\nlines  here", evidence=[1])
    info = LineInfo.of(st)
    assert (info.text, info.status, info.evidence) == ("Two lines here", "supported", (1,))


def _note() -> NoteDraft:
    return NoteDraft(
        sections=[
            Section(
                key="subjective",
                title="Subjective",
                statements=[Statement(id=i.id, text=i.text, evidence=[0]) for i in BASE],
            )
        ]
    )


def test_applied_changes_edit_add_and_delete_statements_in_order_attributed_and_grounded():
    transcript = parse_dialogue("[patient] I have had a cough for five days. No fever. I take lisinopril 10 mg.")
    note = _note()
    lines = ["Cough for five days.", "Sore throat since Monday.", "Started amoxicillin.", "Takes lisinopril 10 mg."]
    changes = diff_changes("subjective", [LineInfo.of(st) for st in note.statements()], lines)
    out = apply_changes(note, changes, "Dr Grey", transcript)
    assert [st.text for st in out.statements()] == lines
    assert [(e.action, e.actor) for e in out.events] == [
        (NoteAction.edited, "Dr Grey"),
        (NoteAction.added, "Dr Grey"),
        (NoteAction.added, "Dr Grey"),
        (NoteAction.deleted, "Dr Grey"),
    ]
    by_text = {st.text: st for st in out.statements()}
    assert by_text["Started amoxicillin."].status == StatementStatus.unsupported  # never said: flagged
    assert by_text["Cough for five days."].status == StatementStatus.supported


def test_a_change_to_an_approved_note_is_refused():
    from scribe.approval import approve, confirm_statement
    from scribe.grounding import ground_note

    transcript = parse_dialogue("[patient] I have had a cough for three days. No fever. I take lisinopril 10 mg.")
    note = ground_note(_note(), transcript)
    for st in note.unresolved():
        note = confirm_statement(note, st.id, "Dr Grey")
    approved = approve(note, "Dr Grey")
    with pytest.raises(ApprovalError, match="approved and locked"):
        apply_changes(approved, [LineChange(edit, "subjective", "a", "Cough for a week.")], "Dr Grey", transcript)
