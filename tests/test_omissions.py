"""The omission check: what the visit said that the note leaves out, and one click to chart it."""

import pytest

from scribe.domain import NoteDraft, Section, Statement, StatementStatus
from scribe.grounding import ground_note
from scribe.omissions import FactKind, chart_fact, must_chart_facts, section_for, uncovered
from scribe.resources import asset
from scribe.transcript_io import parse_dialogue


def _sample():
    return parse_dialogue(asset("sample", "visit_script.txt").read_text())


def _by_kind(facts):
    out = {}
    for f in facts:
        out.setdefault(f.kind, []).append(f)
    return out


def test_must_chart_facts_of_the_sample_visit_with_their_lines():
    transcript = _sample()
    facts = _by_kind(must_chart_facts(transcript))
    (change,) = facts[FactKind.medication_change]
    assert change.label == "lisinopril 10 mg → 20 mg"
    assert change.statement == "Increase lisinopril from 10 mg to 20 mg."
    assert "increase your lisinopril" in transcript.segment(change.segments[0]).text
    assert {f.label for f in facts[FactKind.medication]} == {"metformin 500 mg", "atorvastatin 20 mg", "aspirin 81 mg"}
    assert [f.label for f in facts[FactKind.allergy]] == ["penicillin allergy"]
    assert {f.label for f in facts[FactKind.vital_sign]} >= {"blood pressure 148/92", "heart rate 84"}
    assert {f.label for f in facts[FactKind.test]} >= {"ECG ordered", "lipid panel ordered", "stress test ordered"}
    assert [f.label for f in facts[FactKind.referral]] == ["referral to cardiology"]
    assert [f.label for f in facts[FactKind.diagnosis]] == ["stable angina"]
    assert [f.label for f in facts[FactKind.follow_up]] == ["follow up in 2 weeks"]
    (red,) = facts[FactKind.red_flag]
    assert "shortness of breath" in red.label and "pain" in red.label
    for f in must_chart_facts(transcript):
        assert f.segments and all(transcript.segment(s) is not None for s in f.segments)


def _plan_note(*plan):
    return NoteDraft(
        template="soap",
        sections=[
            Section(key="subjective", title="Subjective", statements=[Statement(text="Exertional chest tightness.")]),
            Section(key="objective", title="Objective", statements=[Statement(text="BP 148/92, HR 84.")]),
            Section(key="assessment", title="Assessment", statements=[Statement(text="Stable angina.")]),
            Section(key="plan", title="Plan", statements=[Statement(text=t) for t in plan]),
        ],
    )


def test_a_missed_follow_up_is_listed_and_added_with_evidence():
    transcript = _sample()
    note = ground_note(
        _plan_note("Increase lisinopril from 10 mg to 20 mg daily.", "ECG, lipid panel and BMP today."), transcript
    )
    missing = uncovered(note, transcript)
    labels = [f.label for f in missing]
    assert "follow up in 2 weeks" in labels
    assert "lisinopril 10 mg → 20 mg" not in labels  # the plan carries it
    assert "ECG ordered" not in labels and "lipid panel ordered" not in labels
    assert "blood pressure 148/92" not in labels and "stable angina" not in labels
    follow = next(f for f in missing if f.kind == FactKind.follow_up)
    assert section_for(note, follow.kind) == "plan"

    added, sid = chart_fact(note, follow, "Dr Jane Doe", transcript)
    sec, st = added.find_statement(sid)
    assert sec.key == "plan" and st.text == "Follow up in 2 weeks." and sec.statements[-1].id == sid
    assert st.status == StatementStatus.supported, st.issues
    assert set(follow.segments) <= set(st.evidence)
    assert "see you back in two weeks" in " ".join(transcript.segment(i).text for i in st.evidence)
    event = added.events[-1]
    assert (event.action, event.actor, event.statement_id) == ("added", "Dr Jane Doe", sid)
    assert "follow up in 2 weeks" not in [f.label for f in uncovered(added, transcript)]


def test_a_dose_change_needs_the_new_dose_and_a_brand_name_covers_its_generic():
    transcript = parse_dialogue(
        "[doctor] What dose of Norvasc are you on?\n[patient] Five milligrams.\n"
        "[doctor] Let's increase the amlodipine to ten milligrams daily.\n"
    )
    (change,) = must_chart_facts(transcript)
    assert change.kind == FactKind.medication_change and change.label == "amlodipine 5 mg → 10 mg"
    note = _plan_note("Continue amlodipine.")
    assert uncovered(note, transcript) == [change]
    assert uncovered(_plan_note("Increase Norvasc to 10 mg daily."), transcript) == []


def test_a_diagnosis_given_as_the_reason_for_the_visit_or_under_a_dictated_heading_and_a_follow_up_range():
    """Train D2N025 ("a follow-up with me for chronic congestive heart failure"), D2N026 ("paragraph, impression.
    number one, left upper extremity neuropathy"), D2N052 ("see you back in about a week to 2 weeks") and D2N039
    ("your oxygenation was ninety eight percent"): each was said, missing from a note, and not listed."""
    transcript = parse_dialogue(
        "[doctor] patient was called for a follow-up with me for chronic congestive heart failure.\n"
        "[doctor] paragraph, impression. number one, left upper extremity neuropathy.\n"
        "[doctor] your heart rate was eighty eight and your oxygenation was ninety eight percent.\n"
        "[doctor] i wanna see you back in about a week to two weeks.\n"
    )
    facts = _by_kind(must_chart_facts(transcript))
    assert [f.label for f in facts[FactKind.diagnosis]] == ["congestive heart failure", "neuropathy"]
    assert "oxygen saturation 98" in {f.label for f in facts[FactKind.vital_sign]}
    assert [f.label for f in facts[FactKind.follow_up]] == ["follow up in 1 to 2 weeks"]
    covered = NoteDraft(
        template="soap",
        sections=[
            Section(
                key="plan",
                title="Plan",
                statements=[Statement(text=t) for t in ("Congestive heart failure, stable.", "Return in 2 weeks.")],
            )
        ],
    )
    assert {f.label for f in uncovered(covered, transcript)} == {"neuropathy", "heart rate 88", "oxygen saturation 98"}


def _labels(dialogue: str, kind: FactKind) -> list[str]:
    return [f.label for f in must_chart_facts(parse_dialogue(dialogue)) if f.kind == kind]


@pytest.mark.parametrize(
    ("dialogue", "label"),
    [
        # the interval said first (D2N039's wording)
        (
            "[doctor] and then finally three weeks i'd like you to return and bring your readings.",
            "follow up in 3 weeks",
        ),
        # the answer to the patient's question (D2N031)
        (
            "[patient] and when do i come back in to see you?\n[doctor] in a year, but get the mammogram first.",
            "follow up in 1 year",
        ),
        ("[doctor] we're gonna check you in two weeks to see if those bones have realigned.", "follow up in 2 weeks"),
        ("[doctor] let's take a look in six months and then we'll go from there.", "follow up in 6 months"),
        ("[doctor] we'll revisit those scars, maybe six months.", "follow up in 6 months"),
        ("[patient] so when should i come back?\n[doctor] um, in about three months.", "follow up in 3 months"),
        # as a recogniser writes them (train D2N050, D2N061 heard): a word lost, "the" put in
        ("I do want to see back in about one to two weeks.", "follow up in 1 to 2 weeks"),
        ("I want to see you back here in the seven days.", "follow up in 7 days"),
        ("And like I said, we will make an appointment for seven days.", "follow up in 7 days"),
        ("[patient] I'm planning to follow-up with her in the next two weeks.", "follow up in 2 weeks"),
    ],
)
def test_a_follow_up_said_the_ways_people_say_it(dialogue, label):
    assert _labels(dialogue, FactKind.follow_up) == [label]


@pytest.mark.parametrize(
    "dialogue",
    [
        "[patient] when did you say the results come back?\n[doctor] in a week or so.",  # results, not a visit
        "[doctor] how long have you had the cough?\n[patient] about two weeks.",
        "[doctor] come back in if it gets worse.",
        "[doctor] take a look at your ears for me.",
    ],
)
def test_no_follow_up_where_none_was_set(dialogue):
    assert _labels(dialogue, FactKind.follow_up) == []


@pytest.mark.parametrize(
    ("dialogue", "label"),
    [
        ("[doctor] i'm gonna go ahead and order hemoglobin a1c for the future okay?", "hemoglobin A1c ordered"),
        ("[doctor] for your annual exam you're due for a mammogram, so we have to schedule that.", "mammogram ordered"),
        (
            "[doctor] the next step that i would like to do is just confirm the diagnosis with some additional blood work.",
            "blood work ordered",
        ),
        # names the result check always read, now read by the panel too (one list: scribe.grounding.testnames)
        ("[doctor] i will order the imaging of your neck, and we'll follow up afterwards.", "imaging ordered"),
        ("[doctor] i'd like to get some x rays of that wrist today.", "x-ray ordered"),
        ("[doctor] we'll get some radiographs of the foot.", "x-ray ordered"),
        ("[doctor] i want to get an e.c.g. before you leave.", "ECG ordered"),
    ],
)
def test_a_test_ordered_in_passing_is_listed(dialogue, label):
    assert label in _labels(dialogue, FactKind.test)


def test_a_question_about_a_test_orders_nothing():
    assert _labels("[doctor] did you get the mammogram they ordered, okay?", FactKind.test) == []
    assert _labels("[doctor] have you had your a1c checked this year?", FactKind.test) == []


def test_a_test_reviewed_is_not_ordered():
    """Train D2N060: "i would like to do a review of the diagnostic imaging that you had" reviews a test done."""
    said = "[doctor] now i would like to do a review of the diagnostic imaging that you had before you came in."
    assert _labels(said, FactKind.test) == []
    assert _labels("[doctor] i'd like to look at the x rays you brought.", FactKind.test) == []


@pytest.mark.parametrize(
    ("dialogue", "label"),
    [
        (
            "[doctor] heart rate was sixty eight respirations were sixteen and your pulse ox was ninety eight percent",
            "respiratory rate 16",
        ),
        (
            "[doctor] your oxygen is, you're satting kind of fine at ninety nine percent on room air",
            "oxygen saturation 99",
        ),
    ],
)
def test_vital_signs_read_out_in_speech(dialogue, label):
    assert label in _labels(dialogue, FactKind.vital_sign)


def test_a_blood_pressure_read_out_after_the_line_that_names_it():
    # a recogniser ends the line (or the sentence) between the name and its reading (train D2N035, D2N016 as heard)
    heard = (
        "So your vital signs, your blood pressure looks pretty good today.\nAt 128 over 72, and your heart rate is 72."
    )
    assert _labels(heard, FactKind.vital_sign) == ["blood pressure 128/72", "heart rate 72"]
    assert _labels("So your blood pressure is a little elevated today.\n156 over 94.", FactKind.vital_sign) == [
        "blood pressure 156/94"
    ]
    # and a saturation's per cent (D2N035 as heard)
    sat = "Your oxygen saturation looks pretty good.\nAt 96%, and on your neck exam there is no JVD."
    assert _labels(sat, FactKind.vital_sign) == ["oxygen saturation 96"]
    assert _labels("Your oxygen saturation looks pretty good.\nI'll see you in 10 days.", FactKind.vital_sign) == []
    # only those: a temperature named before a number is no reading of it
    assert _labels("Your temperature was fine.\nI'll see you in 10 days.", FactKind.vital_sign) == []
    # nor is a reading two lines on
    far = "Your blood pressure looks good.\nThe lungs are clear.\nI'd keep the dose at 20 over 40 units."
    assert _labels(far, FactKind.vital_sign) == []


@pytest.mark.parametrize(
    ("dialogue", "label"),
    [
        (
            "[doctor] so, for your first problem your congestive heart failure, i want to continue you on lasix.",
            "congestive heart failure",
        ),
        (
            "[doctor] for your next problem, your type 2 diabetes, i would like to increase your metformin.",
            "type 2 diabetes",
        ),
        (
            "[doctor] martha is a 50-year-old female with a past medical history significant for hypertension who presents today.",
            "hypertension",
        ),
    ],
)
def test_a_diagnosis_on_the_problem_list_or_in_the_opening_history(dialogue, label):
    assert label in _labels(dialogue, FactKind.diagnosis)


def test_a_condition_asked_about_is_no_diagnosis():
    assert _labels("[doctor] any medical history of hypertension or diabetes?", FactKind.diagnosis) == []


def test_a_test_ordered_across_a_line_the_recogniser_cut():
    # "... go ahead and order" - "a hemoglobin A1c for your next blood draw" (train D2N043 as heard)
    cut = "We'll just monitor your type 2 diabetes and go ahead and order\na hemoglobin A1c for your next blood draw."
    assert _labels(cut, FactKind.test) == ["hemoglobin A1c ordered"]
    assert _labels("So I'm going to be ordering an\nMRI to assess for injury to these ligaments.", FactKind.test) == [
        "MRI ordered"
    ]
    # a line that ends a clause is no part of the next one: the biopsy was done, not ordered (D2N029 as heard,
    # "she biopsied" misheard)
    done = "She is here for a surgical consult, her dermatologist referred her\nShe biopsy to 0.7 millimeter lesion."
    assert _labels(done, FactKind.test) == []


def test_a_diagnosis_named_across_a_line_the_recogniser_cut():
    # the cue and the name on two lines (train D2N004, D2N058 as heard)
    history = "James is a 57 year old male with a past medical history\nsignificant for congestive heart failure."
    assert _labels(history, FactKind.diagnosis) == ["congestive heart failure"]
    named = "Let's talk about my assessment and plan for your first diagnosis of coronary\nartery disease."
    assert _labels(named, FactKind.diagnosis) == ["coronary artery disease"]
    # a line that closes its sentence cues nothing in the next
    closed = (
        "Let's talk about my assessment and plan for your first diagnosis.\nYour neighbour has coronary artery disease."
    )
    assert _labels(closed, FactKind.diagnosis) == []
