"""The grounding check flags what the transcript does not support, and nothing else."""

import pytest

from scribe.domain import NoteDraft, Section, Statement, StatementStatus
from scribe.grounding import TranscriptIndex, extract_facts, ground_note, normalise
from scribe.grounding.claims import descriptor_issues
from scribe.transcript_io import parse_dialogue

MEDS = {"lisinopril", "metformin", "atorvastatin", "aspirin", "ibuprofen"}

DIALOGUE = """\
[doctor] What brings you in today?
[patient] I've had chest tightness when I climb stairs for about three weeks.
[doctor] Any shortness of breath?
[patient] No.
[doctor] Any nausea or sweating with it?
[patient] No nausea, but I do get sweaty.
[doctor] What medications are you taking?
[patient] Lisinopril ten milligrams once a day and metformin five hundred milligrams twice a day.
[doctor] Your blood pressure is one forty eight over ninety two. There's mild swelling in your left ankle.
[doctor] I'm going to increase the lisinopril to twenty milligrams and order an ECG. Come back in two weeks.
"""


def _note(*texts, section="subjective"):
    return NoteDraft(
        sections=[Section(key=section, title=section.title(), statements=[Statement(text=t) for t in texts])]
    )


def _check(*texts):
    transcript = parse_dialogue(DIALOGUE)
    return ground_note(_note(*texts), transcript, medications=MEDS).statements()


def test_supported_statements_pass_with_evidence():
    sts = _check(
        "Reports chest tightness climbing stairs for 3 weeks.",
        "Takes lisinopril 10 mg daily and metformin 500 mg twice daily.",
        "BP 148/92.",
        "Mild swelling of the left ankle.",
        "Increase lisinopril to 20 mg.",
    )
    for st in sts:
        assert st.status == StatementStatus.supported, (st.text, st.issues)
        assert st.evidence, st.text
    # evidence points at the segment that says it
    assert 7 in sts[1].evidence
    assert 8 in sts[2].evidence


def test_invented_dose_is_flagged():
    (st,) = _check("Takes lisinopril 40 mg daily.")
    assert st.status == StatementStatus.unsupported
    assert any(i.kind == "dose" and "40 mg" in i.detail for i in st.issues)


def test_dose_paired_with_the_wrong_drug_is_flagged():
    # 500 mg was said, but for metformin, not lisinopril
    (st,) = _check("Takes lisinopril 500 mg daily.")
    assert any(i.kind == "dose" and "lisinopril" in i.detail for i in st.issues)


def test_invented_medication_is_flagged():
    (st,) = _check("Takes atorvastatin daily.")
    assert st.status == StatementStatus.unsupported
    assert any(i.kind == "medication" and "atorvastatin" in i.detail for i in st.issues)


def test_unknown_drug_by_suffix_is_flagged():
    (st,) = _check("Started on amlodipine.")
    assert any(i.kind == "medication" and "amlodipine" in i.detail for i in st.issues)


def test_wrong_number_and_laterality_are_flagged():
    bp, ankle = _check("BP 150/92.", "Mild swelling of the right ankle.")
    assert any(i.kind == "number" and "150" in i.detail for i in bp.issues)
    assert any(i.kind == "laterality" for i in ankle.issues)


def test_negation_flip_is_flagged_both_ways():
    short_breath, sweating = _check("Reports shortness of breath.", "Denies sweating.")
    assert any(i.kind == "negation" for i in short_breath.issues), short_breath.issues
    assert any(i.kind == "negation" for i in sweating.issues), sweating.issues
    (ok,) = _check("Denies shortness of breath.")
    assert ok.status == StatementStatus.supported, ok.issues


def test_statement_with_nothing_behind_it_gets_a_review_hint_that_does_not_block():
    (st,) = _check("Family history of colon cancer in father.")
    assert st.status == StatementStatus.supported
    assert [(i.kind, i.severity.value) for i in st.issues] == [("no_evidence", "review")]


def test_report_counts_and_confirmed_statements_stay_confirmed():
    transcript = parse_dialogue(DIALOGUE)
    note = _note("BP 148/92.", "Takes lisinopril 40 mg daily.")
    checked = ground_note(note, transcript, medications=MEDS)
    assert checked.grounding.statements == 2 and checked.grounding.unsupported == 1
    assert abs(checked.grounding.unsupported_rate - 0.5) < 1e-9
    bad = checked.statements()[1]
    confirmed = checked.model_copy(
        update={
            "sections": [
                checked.sections[0].model_copy(
                    update={
                        "statements": [
                            checked.statements()[0],
                            bad.model_copy(update={"status": StatementStatus.confirmed}),
                        ]
                    }
                )
            ]
        }
    )
    again = ground_note(confirmed, transcript, medications=MEDS)
    assert again.statements()[1].status == StatementStatus.confirmed
    assert again.statements()[1].issues  # the reason stays visible


def test_number_words_and_units_normalise():
    assert normalise("one forty eight over ninety two") == "148 / 92"
    assert "500 mg" in normalise("five hundred milligrams".replace("milligrams", "mg"))
    facts = extract_facts("Metformin 500mg twice daily, aspirin eighty-one mg.", frozenset(MEDS))
    assert {(d.value, d.unit, d.medication) for d in facts.doses} == {
        ("500", "mg", "metformin"),
        ("81", "mg", "aspirin"),
    }


@pytest.mark.parametrize(
    "said",
    [
        "i sleep fine .",
        "i ca n't sleep at all",
        "it hurts to swallow",
        "any change in your bowel habits ?",
        "did you hit your head",
        "short of breath when i lie flat",
        "i've lost about fifteen pounds",
    ],
)
def test_normalise_is_idempotent_for_the_findings_it_writes_in(said):
    """tokens() normalises text that is often already normalised: a finding written in ("no insomnia",
    "odynophagia") must not be written in twice."""
    once = normalise(said)
    assert normalise(once) == once


def test_negation_scope_covers_short_lists_but_stops_at_a_new_phrase():
    transcript = parse_dialogue(
        "[doctor] No murmurs, lungs clear on both sides.\n[patient] No nausea, vomiting, or sweating.\n"
    )
    lungs, vomiting = ground_note(
        _note("Lungs clear on both sides.", "Reports vomiting."), transcript, medications=MEDS
    ).statements()
    assert lungs.status == StatementStatus.supported, lungs.issues
    assert any(i.kind == "negation" and "vomit" in i.detail for i in vomiting.issues), vomiting.issues


def test_spoken_quantities_are_charted_as_digits_but_other_words_stay():
    from scribe.grounding import clinical_notation

    assert clinical_notation("Takes lisinopril ten milligrams once a day") == "Takes lisinopril 10 mg once a day"
    assert clinical_notation("BP one forty eight over ninety two") == "BP 148/92"
    assert clinical_notation("Temperature ninety eight point six degrees") == "Temperature 98.6 degrees"
    assert clinical_notation("Oxygen saturation ninety seven percent") == "Oxygen saturation 97%"
    assert clinical_notation("No one else at home has a cough") == "No one else at home has a cough"


def test_comment_lines_in_a_dialogue_are_not_speech():
    t = parse_dialogue("# script header\n[doctor] Hello.\n#another\n[patient] Hi.")
    assert [s.text for s in t.segments] == ["Hello.", "Hi."]


def test_body_parts_and_partial_no_answers_do_not_cause_false_negation_flags():
    transcript = parse_dialogue(
        "[patient] I get tightness in my chest when I walk uphill.\n"
        "[doctor] Any chest pain at rest, or pain that wakes you up at night?\n"
        "[patient] No, only when I'm walking or working in the yard.\n"
        "[doctor] Any calf pain, redness, or warmth in that leg?\n"
        "[patient] No, none of that.\n"
        "[doctor] Your left calf is soft and not tender.\n"
        "[patient] I felt a little dizzy once last week.\n"
    )
    rest, calf, dizzy, pain = ground_note(
        _note(
            "No chest pain at rest or at night.",
            "Left calf soft and non-tender.",
            "One episode of dizziness last week.",
            "Reports calf pain.",
        ),
        transcript,
        medications=MEDS,
    ).statements()
    assert rest.status == StatementStatus.supported, rest.issues
    assert calf.status == StatementStatus.supported, calf.issues
    assert dizzy.status == StatementStatus.supported, dizzy.issues
    assert any(i.kind == "negation" and "pain" in i.detail for i in pain.issues), pain.issues


def test_a_no_to_a_question_about_these_episodes_does_not_negate_the_word_episode():
    # From the bundled sample visit: the "No" negates breathlessness, nausea and sweating,
    # not "episodes", which only frames the question.
    transcript = parse_dialogue(
        "[doctor] Have you had any shortness of breath, nausea, or sweating with these episodes?\n"
        "[patient] No. No shortness of breath, no nausea, and I haven't noticed any sweating.\n"
        "[doctor] Any palpitations, dizziness, or fainting?\n"
        "[patient] I felt a little dizzy once last week when I stood up too fast, but that's all.\n"
    )
    # the drafter cited the question about the episodes too (as the model did on the sample)
    note = NoteDraft(
        sections=[
            Section(
                key="subjective",
                title="Subjective",
                statements=[
                    Statement(text="One episode of dizziness on standing last week.", evidence=[0, 2, 3]),
                    Statement(text="Sweating with these episodes.", evidence=[0]),
                ],
            )
        ]
    )
    dizzy, sweating = ground_note(note, transcript, medications=MEDS).statements()
    assert dizzy.status == StatementStatus.supported, dizzy.issues
    assert any(i.kind == "negation" and "sweat" in i.detail for i in sweating.issues), sweating.issues


SAMPLE_LIKE = """\
[doctor] Can you describe the tightness for me? Is it sharp, or is it more like a pressure?
[patient] It's more like a pressure, like something heavy is sitting on my chest.
[doctor] Do you have any allergies to medications?
[patient] Yes, penicillin. It gave me a rash and hives when I was a kid.
[patient] I take lisinopril ten milligrams once a day.
[doctor] I'm ordering an E.C.G. today, and a lipid panel to check your cholesterol.
[doctor] I reviewed your chest x-ray from last week and it looks normal.
"""


def _check_sample(*texts):
    return ground_note(_note(*texts), parse_dialogue(SAMPLE_LIKE), medications=MEDS | {"penicillin"}).statements()


def test_a_result_of_a_test_that_was_only_ordered_is_flagged():
    ecg, lipids, xray, ordered = _check_sample(
        "ECG: normal.", "Lipid panel within normal limits.", "Chest x-ray normal.", "ECG and lipid panel ordered today."
    )
    assert any(i.kind == "result" and "ECG" in i.detail and "only orders" in i.detail for i in ecg.issues), ecg.issues
    assert any(i.kind == "result" and "lab test" in i.detail for i in lipids.issues), lipids.issues
    assert xray.status == StatementStatus.supported, xray.issues  # its result was said
    assert ordered.status == StatementStatus.supported, ordered.issues  # ordering is not a result
    (invented,) = ground_note(
        _note("MRI of the knee unremarkable."), parse_dialogue(SAMPLE_LIKE), medications=MEDS
    ).statements()
    assert any(i.kind == "result" and "does not mention" in i.detail for i in invented.issues), invented.issues


def test_images_brought_up_after_a_question_about_them_give_their_result():
    """MTS-Dialog dev: "Have you had your x rays taken yet?" - "Yes." - "Let me pull them up here. You'll see a
    fracture of your talus." gives the x-ray's result; a question with nothing looked at after it gives none."""

    def results(dialogue):
        (st,) = ground_note(_note("X-ray revealed a talus fracture."), parse_dialogue(dialogue)).statements()
        return [i.detail for i in st.issues if i.kind == "result"]

    asked = "[doctor] Have you had your x rays taken yet?\n[patient] Yeah, the tech just brought me back.\n"
    assert results(asked + "[doctor] Great, let me pull them up here. You'll see a fracture of your talus.\n") == []
    (detail,) = results(asked + "[doctor] Okay. You'll see the surgeon about the fracture of your talus.\n")
    assert "only orders or mentions the x-ray" in detail


def test_an_allergy_drug_written_as_a_current_medication_is_flagged():
    meds, allergy, takes = _check_sample(
        "Current medications: lisinopril 10 mg daily and penicillin.",
        "Allergic to penicillin (rash and hives).",
        "Takes lisinopril 10 mg daily.",
    )
    assert meds.status == StatementStatus.unsupported
    assert [i.detail for i in meds.issues if i.kind == "allergy"] == [
        "'penicillin' is named in the transcript only as an allergy, not as a medication taken"
    ]
    assert allergy.status == StatementStatus.supported, allergy.issues
    assert takes.status == StatementStatus.supported, takes.issues


def test_a_denied_quality_of_pain_describes_nothing():
    """MTS-Dialog dev: "no chest pain, chest pressure" and "denies dysuria, burning or pain" deny; they do not
    describe the pain in words the patient never used. A quality stated is still checked."""
    chest, burning, sharp = _check_sample(
        "No chest pain or chest pressure at rest.",
        "Denies dysuria, burning or pain with urination.",
        "Sharp chest pain.",
    )
    assert not [i for i in chest.issues if i.kind == "descriptor"], chest.issues
    assert not [i for i in burning.issues if i.kind == "descriptor"], burning.issues
    assert any(i.kind == "descriptor" for i in sharp.issues), sharp.issues


def test_a_drug_taken_for_allergies_is_no_allergen_and_not_taken_daily_is_still_taken():
    """MTS-Dialog dev: "what did you take for your allergies?" - "Claritin and Zyrtec", "Allegra for your allergies"
    name treatments, not allergens; "has not been taking Allegra daily" says it is taken now and then."""
    from grounded import grounded, safety

    visit = (
        "[doctor] What did you take for your allergies before?\n"
        "[patient] Claritin and Zyrtec.\n"
        "[doctor] I see you have been taking Allegra for your allergies. You don't take it every day?\n"
        "[patient] Nope. Only when I need to.\n"
        "[doctor] Any allergies to medications?\n"
        "[patient] Penicillin gives me hives.\n"
    )
    right = (
        "In the past, she has tried Claritin and Zyrtec.",
        "She has not been taking Allegra daily.",
        "Allergic to penicillin.",
    )
    assert [safety(st) for st in grounded(visit, *right)] == [[], [], []]
    wrong = ("She takes penicillin daily.", "She has stopped taking Allegra.")
    assert [safety(st) for st in grounded(visit, *wrong)] == [["allergy"], ["action"]]


def test_a_pain_descriptor_offered_only_in_the_question_is_flagged():
    sharp, pressure, tight = _check_sample(
        "Sharp chest pain.",
        "Chest pain described as pressure, like something heavy on the chest.",
        "Pressure-like chest tightness.",
    )
    assert any(i.kind == "descriptor" and "'sharp'" in i.detail for i in sharp.issues), sharp.issues
    assert pressure.status == StatementStatus.supported, pressure.issues
    assert tight.status == StatementStatus.supported, tight.issues
    # "blood pressure" is not a pain descriptor
    (bp,) = ground_note(_note("Blood pressure 148/92."), parse_dialogue(DIALOGUE), medications=MEDS).statements()
    assert bp.status == StatementStatus.supported, bp.issues
    # the complaint's own name, as the patient said it ("this tightness in my chest"), under a plan item whose lines
    # do not repeat it (the bundled sample's demo note); a descriptor only a question offered is still flagged
    visit = (
        "[patient] For three weeks I've been getting this tightness in my chest when I walk up the hill.\n"
        "[doctor] Is it sharp, or is it more like a pressure?\n[patient] More like a pressure.\n"
        "[doctor] Any palpitations?\n[patient] No.\n[doctor] Do you smoke?\n[patient] I quit ten years ago.\n"
        "[doctor] Your lungs are clear.\n[doctor] Here's the plan.\n[doctor] I'll order an ECG today.\n"
    )
    index = TranscriptIndex(parse_dialogue(visit), MEDS)
    ecg = index.order[-1]  # the plan item's own line, far from the complaint
    assert descriptor_issues("Chest tightness: Order an ECG today.", [ecg], index) == []
    assert [i.detail for i in descriptor_issues("Sharp chest pain: Order an ECG today.", [ecg], index)] == [
        "'sharp' is not how the transcript describes it"
    ]


def test_grounding_is_the_same_in_every_process():
    """Evidence scores must not depend on set iteration order (string hashing differs per process)."""
    import os
    import subprocess
    import sys

    probe = (
        "from scribe.domain import NoteDraft, Section, Statement\n"
        "from scribe.grounding import ground_note\n"
        "from scribe.transcript_io import parse_dialogue\n"
        f"D = {DIALOGUE!r}\n"
        "texts = ['Reports chest tightness and sweating on exertion.', 'Mild ankle edema.', 'Dyspnea on exertion.',\n"
        "         'Lisinopril increased to 20 mg; ECG ordered.', 'Denies nausea.']\n"
        "n = ground_note(NoteDraft(sections=[Section(key='s', title='S', statements=[Statement(text=t) for t in texts])]), parse_dialogue(D))\n"
        "print([(s.evidence, [i.kind for i in s.issues]) for s in n.statements()])\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    outs = {
        subprocess.run(
            [sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            cwd=root,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
        ).stdout
        for seed in (1, 2, 3, 4)
    }
    assert len(outs) == 1, outs


def test_a_change_written_for_something_not_a_drug_that_the_visit_says_to_keep_doing_is_a_hint():
    """The demo note on stop 31's machine had "Increase blood pressure at home twice a day." where the doctor said
    "please keep checking your blood pressure at home twice a day": a review hint quoting what was said. A note that
    keeps to the visit's plan, a drug's change (the action check's) and "lower extremity" raise none."""
    from grounded import grounded

    visit = (
        "[doctor] Your blood pressure is 148 over 92, which is still higher than we want.\n"
        "[doctor] Please keep checking your blood pressure at home twice a day and write the numbers down.\n"
        "[doctor] And let's increase the lisinopril to 20 milligrams.\n"
    )
    wrong, right, drug, legs = grounded(
        visit,
        "Increase blood pressure at home twice a day.",
        "Check blood pressure at home twice a day.",
        "Increase lisinopril to 20 mg daily.",
        "No lower extremity edema.",
    )
    assert [(i.kind, i.severity) for i in wrong.issues if i.kind == "plan"] == [("plan", "review")]
    assert "keep checking your blood pressure" in next(i.detail for i in wrong.issues if i.kind == "plan")
    assert wrong.status == StatementStatus.supported  # a hint: it does not block approval
    assert not [i for st in (right, drug, legs) for i in st.issues if i.kind == "plan"]


def test_the_charts_drug_abbreviations_continues_and_a_start_where_the_visit_raised_the_dose():
    """The same probe: "PCN allergy." passed where the patient has no allergies ("PCN" named no drug), "Continues
    glipizide." where the patient stopped it ("continues" was no action word), and "Start atorvastatin 40 mg."
    where the visit raised it from twenty (a drug the patient takes is not started)."""
    from grounded import grounded, safety

    visit = (
        "[doctor] Any allergies to medications?\n[patient] No, none that I know of.\n"
        "[patient] I stopped the glipizide last month.\n"
        "[doctor] Let's increase your atorvastatin from twenty to forty milligrams.\n"
    )
    wrong = ("PCN allergy.", "Continues glipizide.", "Start atorvastatin 40 mg.")
    assert [sorted(safety(st)) for st in grounded(visit, *wrong)] == [["allergy", "medication"], ["action"], ["action"]]
    right = ("NKDA.", "Glipizide discontinued last month.", "Atorvastatin increased to 40 mg.")
    assert [safety(st) for st in grounded(visit, *right)] == [[], [], []]
