"""The note view's "Said but not in the note" panel and the quiet review hints.

UI mechanics with the real core (visit store, grounding, omission check, approval); no model is
loaded: the note is a stored draft of the bundled sample visit that leaves out the follow-up.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from scribe.domain import Encounter, NoteDraft, Section, Statement
from scribe.grounding import ground_note
from scribe.resources import asset
from scribe.settings import Settings
from scribe.storage import VisitStore
from scribe.transcript_io import parse_dialogue

from .conftest import FakeASR, FakeRuntime

PLAN = ["Increase lisinopril from 10 mg to 20 mg daily.", "ECG, lipid panel and basic metabolic panel today."]


def _visit(store: VisitStore):
    transcript = parse_dialogue(asset("sample", "visit_script.txt").read_text())
    enc = Encounter(patient_name="Daniel Alvarez", patient_id="100342", clinician="dr.test", visit_type="soap")
    visit = store.create(enc, actor="dr.test", state="recorded")
    visit.save_transcript(transcript)
    note = NoteDraft(
        template="soap",
        encounter=enc,
        sections=[
            Section(
                key="subjective",
                title="Subjective",
                statements=[
                    Statement(text="Chest tightness walking uphill for 3 weeks, relieved by rest."),
                    Statement(text="He is keen to get back to his garden this spring."),  # nothing backs it: a hint
                ],
            ),
            Section(key="objective", title="Objective", statements=[Statement(text="BP 148/92, HR 84, SpO2 97%.")]),
            Section(key="assessment", title="Assessment", statements=[Statement(text="Stable angina.")]),
            Section(key="plan", title="Plan", statements=[Statement(text=t) for t in PLAN]),
        ],
    )
    visit.save_note(ground_note(note, transcript), "scribe")
    visit.set_state("draft", "scribe")
    return visit, transcript


def test_said_but_not_in_the_note_adds_a_grounded_statement_in_one_click(qtbot, make_window, tmp_path):
    store = VisitStore(tmp_path / "visits")
    visit, transcript = _visit(store)
    win = make_window(
        Settings(asr_model="tiny.en", llm_model="smollm2-135m"), asr=FakeASR(), llm=FakeRuntime("{}"), store=store
    )
    win.open_visit(visit.encounter_id)
    qtbot.waitUntil(lambda: win.session is not None and win.session.note is not None, timeout=5000)
    page, session = win.page, win.session
    panel = page.omissions
    qtbot.waitUntil(lambda: "follow up in 2 weeks" in panel.labels(), timeout=15000)
    labels = panel.labels()
    assert "referral to cardiology" in labels and "penicillin allergy" in labels
    assert "lisinopril 10 mg → 20 mg" not in labels and "ECG ordered" not in labels  # the note has them
    assert "Said but not in the note" in panel.title.text()

    # the hint is shown but quiet: approval needs no click on it
    hinted = next(s for s in session.note.statements() if "garden" in s.text)
    subjective = page.editor.sections["subjective"]
    assert subjective.marked_lines()[subjective.line_of(hinted.id)] == "review"
    assert page.approve_button.isEnabled()
    assert "1 hint" in page.flag_count.text() and "nothing flagged" in page.flag_count.text()

    # clicking a row shows where it was said; Add charts it in the plan, citing those lines
    row = panel.rows[labels.index("follow up in 2 weeks")]
    qtbot.mouseClick(row, Qt.MouseButton.LeftButton)
    said = [i for i in page.transcript.highlighted if "two weeks" in transcript.segment(i).text]
    assert said, page.transcript.highlighted
    qtbot.mouseClick(row.add, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Follow up in 2 weeks." in page.editor.sections["plan"].toPlainText(), timeout=5000)
    sec, st = next(
        (sec, st) for sec in session.note.sections for st in sec.statements if st.text == "Follow up in 2 weeks."
    )
    assert sec.key == "plan" and st.status.value == "supported" and set(said) <= set(st.evidence)
    event = session.note.events[-1]
    assert (event.action, event.actor, event.statement_id) == ("added", "dr.test", st.id)
    assert page.editor.current_info().id == st.id  # the new line is selected
    qtbot.waitUntil(lambda: "follow up in 2 weeks" not in panel.labels(), timeout=15000)
    assert "referral to cardiology" in panel.labels()
