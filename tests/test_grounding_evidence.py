"""Grounding beyond numbers: evidence that does not say what the statement claims, clinical
paraphrase of everyday speech, and negation flips in drafted notes (no model needed)."""

from scribe.domain import NoteDraft, Section, Statement, StatementStatus
from scribe.grounding import ground_note
from scribe.transcript_io import parse_dialogue

DIALOGUE = """\
[doctor] How have you been feeling?
[patient] I've been really tired, and I get short of breath on the stairs.
[doctor] Any swelling in your legs?
[patient] A little in both ankles by the evening.
[doctor] Any chest pain, nausea or sweating?
[patient] No, none of that.
[doctor] Your lungs sound clear.
"""


def check(*texts):
    note = NoteDraft(sections=[Section(key="s", title="S", statements=[Statement(text=t) for t in texts])])
    return ground_note(note, parse_dialogue(DIALOGUE), medications=set()).statements()


def test_clinical_wording_of_what_was_said_is_supported():
    for st in check(
        "Reports fatigue and dyspnea on exertion.",
        "Bilateral ankle edema in the evenings.",
        "Lungs clear to auscultation.",
        "Denies chest pain, nausea, and diaphoresis.",
    ):
        assert st.status == StatementStatus.supported, (st.text, st.issues)
        assert st.evidence


def test_evidence_that_does_not_say_most_of_the_claim_is_flagged():
    (st,) = check("Reports fatigue, weight loss, night sweats and fevers.")
    assert st.status == StatementStatus.unsupported
    weak = [i for i in st.issues if i.kind == "weak_evidence"]
    assert weak and "weight" in weak[0].detail and "fever" in weak[0].detail


def test_a_negation_flip_in_a_draft_is_flagged():
    (st,) = check("Reports chest pain with nausea and sweating.")
    assert st.status == StatementStatus.unsupported
    assert {i.kind for i in st.issues} == {"negation"}
    assert any("nausea" in i.detail and "absent" in i.detail for i in st.issues)


def test_an_invented_diagnosis_is_a_safety_flag_and_counted():
    note = NoteDraft(
        sections=[
            Section(
                key="s",
                title="S",
                statements=[
                    Statement(text="Tired, short of breath on stairs."),
                    Statement(text="Fractured wrist after a skiing fall."),
                ],
            )
        ]
    )
    checked = ground_note(note, parse_dialogue(DIALOGUE), medications=set())
    ok, bad = checked.statements()
    assert ok.status == StatementStatus.supported
    # nothing supports it (a review hint), and nobody mentioned a fracture or a fall (safety flags)
    assert [(i.kind, i.severity.value) for i in bad.issues] == [
        ("no_evidence", "review"),
        ("finding", "safety"),
        ("finding", "safety"),
    ]
    assert "'fall'" in bad.issues[1].detail and "'fractured'" in bad.issues[2].detail
    assert checked.grounding.unsupported == 1 and checked.grounding.unsupported_rate == 0.5


def test_a_turn_that_states_then_asks_still_states():
    """ "... here for right knee pain. So what happened?" followed by a "no" elsewhere is not a denial."""
    t = parse_dialogue(
        "[doctor] She is 43 and here for right knee pain. So tell me what happened?\n"
        "[patient] I fell off a ladder.\n"
        "[doctor] All right. Any other pain down in your calves?\n"
        "[patient] No.\n"
    )
    note = NoteDraft(
        sections=[
            Section(
                key="s",
                title="S",
                statements=[Statement(text="Right knee pain."), Statement(text="Pain in the calves.")],
            )
        ]
    )
    knee, calves = ground_note(note, t, medications=set()).statements()
    assert knee.status == StatementStatus.supported, knee.issues
    assert any(i.kind == "negation" for i in calves.issues)


def test_a_paraphrase_weighs_no_more_than_the_word_it_stands_for():
    """Train D2N037: "No pain with pronation." was given the opening line ("my elbow is extremely sore") as its
    evidence, because "sore" stood in for "pain" with the weight of a rare word, and that line's sore elbow then
    flagged the statement as a negation. The line that says it wins now."""
    from grounded import grounded, safety

    visit = (
        "[patient] I lift heavy weights and my elbow is extremely sore.\n"
        "[doctor] Any pain when you lift? Does it hurt at night? Pain going down the arm?\n"
        "[patient] Some pain when I lift, yes. Pain at night too.\n"
        "[doctor] Some pain with supination. What about pronation?\n"
        "[patient] No.\n"
        "[doctor] No pain with pronation on the right side.\n"
    )
    (st,) = grounded(visit, "No pain with pronation.")
    assert 5 in st.evidence and 0 not in st.evidence
    assert safety(st) == []
