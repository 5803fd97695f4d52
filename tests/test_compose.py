"""The note's rules that do not depend on the model: what :mod:`scribe.drafting.compose` keeps, drops
and rewrites in the facts a model gives (no model needed: facts are given as a small model writes them)."""

import pytest
from scripted_llm import KeywordRuntime

from scribe.drafting.compose import FIRST_OR_SECOND_PERSON, check_facts, compose_note, introduction, third_person
from scribe.drafting.drafter import NoteDrafter
from scribe.drafting.questions import Fact, Patient, VisitFacts
from scribe.drafting.templates import get_template
from scribe.transcript_io import parse_dialogue

NO_EXAM_VISIT = parse_dialogue(
    "[doctor] How have you been since we started the lisinopril?\n"
    "[patient] Good. I take it every morning, ten milligrams. No headaches, no dizziness.\n"
    "[doctor] Any chest pain or shortness of breath?\n"
    "[patient] No chest pain. I do get a little short of breath on the stairs.\n"
    "[doctor] Your home readings are running about 150 over 90, so I'm going to increase your lisinopril "
    "from 10 milligrams to 20 milligrams once a day.\n"
    "[doctor] And I'd like you to get a basic metabolic panel next week. Let's see you back in a month.\n"
    "[patient] Okay, sounds good."
)


@pytest.mark.parametrize(
    ("said", "speaker", "charted"),
    [
        (
            "I'm going to increase your lisinopril from 10 mg to 20 mg once a day.",
            "doctor",
            "Increase the patient's lisinopril from 10 mg to 20 mg once a day.",
        ),
        ("I'm also going to refer you to cardiology.", "doctor", "Refer the patient to cardiology."),
        ("I want you to push fluids and strain your urine.", "doctor", "Push fluids and strain the patient's urine."),
        ("I think you have carpal tunnel syndrome.", "doctor", "The patient has carpal tunnel syndrome."),
        ("For the knee, I'll start meloxicam 15 mg once a day.", "doctor", "Start meloxicam 15 mg once a day."),
        ("i do yard work and landscaping.", "patient", "The patient does yard work and landscaping."),
        (
            "I usually drink a beer or two on weekends, you know.",
            "patient",
            "The patient usually drinks a beer or two on weekends.",
        ),
        ("My father had a heart attack at 62.", "patient", "The patient's father had a heart attack at 62."),
        ("I don't smoke, um, never have.", "patient", "The patient does not smoke, never have."),
        ("The patient reports knee pain.", "patient", "The patient reports knee pain."),
        (
            "I have seasonal allergies, and I think it's related to school.",
            "patient",
            "The patient has seasonal allergies, and the patient thinks it's related to school.",
        ),
        (
            "The patient have diabetes, and the patient think it's the diet.",
            "patient",
            "The patient has diabetes, and the patient thinks it's the diet.",
        ),
        ("Have the patient take ibuprofen.", "doctor", "Have the patient take ibuprofen."),
        (
            "I got dizzy once when I stood up too fast, and I haven't noticed any sweating.",
            "patient",
            "The patient got dizzy once when the patient stood up too fast, and the patient has not noticed any sweating.",
        ),
        ("US Army veteran.", "patient", "US Army veteran."),
        (  # the bundled sample's demo note's last plan item
            "Take care and the nurse will be in shortly to do the ECG.",
            "doctor",
            "The nurse will be in shortly to do the ECG.",
        ),
        (  # the bundled sample's demo note had "than the doctor want"
            "Your blood pressure is 148 over 92, which is still higher than we want.",
            "doctor",
            "The patient's blood pressure is 148 over 92, which is still higher than the doctor wants.",
        ),
    ],
)
def test_the_dialogues_voice_becomes_clinical_third_person(said, speaker, charted):
    assert third_person(said, speaker) == charted
    assert not FIRST_OR_SECOND_PERSON.search(third_person(said, speaker))


def test_no_exam_in_the_transcript_means_no_exam_findings_and_no_invented_vitals():
    """A small model fills an exam from habit ("Eyes: no signs of infection", "Blood pressure: 120/80").
    Nobody examined this patient: nothing of it reaches the note; the home readings that were said stay."""
    facts = VisitFacts(
        facts=[
            Fact("No signs of infection", "physical_exam", label="Eyes"),
            Fact("Soft, non-tender", "physical_exam", label="Abdomen"),
            Fact("Regular rate and rhythm", "physical_exam", label="Cardiovascular"),
            Fact("No murmurs", "physical_exam", label="Cardiovascular"),
            Fact("Blood pressure 120/80 mmHg", "vital_signs"),
            Fact("Temperature 98.6 F", "vital_signs"),
            Fact("Heart rate: 72 bpm", "vital_signs"),
            Fact("Home blood pressure readings about 150/90", "vital_signs"),
        ]
    )
    kept = check_facts(facts, NO_EXAM_VISIT)
    assert [f.text for f in kept.facts] == ["Home blood pressure readings about 150/90"]
    note = compose_note(kept, get_template("soap"))
    assert [s.text for s in note.section("objective").statements] == ["Home blood pressure readings about 150/90."]


def test_findings_the_doctor_stated_stay_and_findings_nobody_stated_go():
    visit = parse_dialogue(
        "[doctor] I'm going to squeeze your hands. Your grip strength is less on the left.\n"
        "[doctor] And when I tap here you feel a zing, so a positive Tinel sign on both sides.\n"
        "[patient] I have numbness in my fingers at night.\n"
        "[patient] And my chest gets tight when I'm walking up the hill, like a pressure in my chest."
    )
    facts = VisitFacts(
        facts=[
            Fact("Grip strength less on the left", "physical_exam", label="Musculoskeletal"),
            Fact("Palpable tenderness in the right wrist", "physical_exam", label="Musculoskeletal"),
            Fact("Positive Tinel sign bilaterally", "physical_exam", label="Musculoskeletal"),
            Fact("Numbness in the fingers reported at night", "physical_exam", label="Neurological"),
            Fact("Wrist splint and ibuprofen 600 mg every 6 hours", "physical_exam", label="Skin"),
            # the bundled sample's demo note: the history's symptom, as the patient told it, under the exam
            Fact("Chest tightness when walking up the hill; pressure in the chest", "physical_exam", label="Chest"),
        ]
    )
    note = compose_note(check_facts(facts, visit), get_template("soap"))
    assert [s.text for s in note.section("objective").statements] == [
        "Musculoskeletal: Grip strength less on the left; positive Tinel sign bilaterally."
    ]


def test_an_exam_finding_about_parts_nobody_mentioned_goes_and_a_mislabelled_one_moves():
    """A finding of "no pain or tenderness in the back, shoulders or arms" where only the back came up:
    the shoulders and arms were never examined, so it is not kept on the strength of "back". A finding the
    model put under a system it does not name goes under the first system it does name."""
    visit = parse_dialogue(
        "[patient] I have back pain, and there's a bug bite on my right knee.\n"
        "[doctor] Your right knee has some erythema around the bite. There is tenderness of the back on the left."
    )
    facts = VisitFacts(
        facts=[
            Fact(
                "No pain or tenderness in the back, shoulders, or arms",
                "physical_exam",
                label="Musculoskeletal",
            ),
            Fact("Tenderness of the back on the left", "physical_exam", label="Musculoskeletal"),
            Fact("Right knee with erythema around the bite", "physical_exam", label="Head and neck"),
        ]
    )
    note = compose_note(check_facts(facts, visit), get_template("soap"))
    assert [s.text for s in note.section("objective").statements] == [
        "Musculoskeletal: Tenderness of the back on the left; right knee with erythema around the bite."
    ]


def test_an_exam_finding_given_as_a_vital_sign_goes_under_its_body_system():
    """Asked for vital signs and findings, the model put what the doctor heard among the vital signs
    ("heart sounds: clear"); it was dropped as a vital sign with no value. It belongs to the exam, and
    the exam's checks still apply to it (nobody said anything about the eyes)."""
    visit = parse_dialogue(
        "[doctor] Your heart sounds nice and clear and your lungs are clear as well.\n"
        "[doctor] Your blood pressure today is 130 over 80."
    )
    facts = VisitFacts(
        facts=[
            Fact("heart sounds: clear", "vital_signs"),
            Fact("lungs: clear", "vital_signs"),
            Fact("eyes: no redness", "vital_signs"),
            Fact("blood_pressure: 130/80 mmHg", "vital_signs"),
        ]
    )
    note = compose_note(check_facts(facts, visit), get_template("soap"))
    assert [s.text for s in note.section("objective").statements] == [
        "Blood pressure: 130/80 mmHg.",
        "Cardiovascular: Heart sounds clear.",
        "Respiratory: Lungs clear.",
    ]


def test_results_are_asked_with_a_slot_for_the_result_and_a_test_named_alone_is_dropped():
    """Asked for results as a list of strings, the model gave "creatinine" and "abdominal x-rays" and
    the note lost what the doctor read out; the answer now has a result beside each test."""
    from scribe.drafting.questions import BLOCK_QUESTIONS, parse_answer
    from scribe.drafting.templates import Block

    visit = parse_dialogue(
        "[doctor] We drew a creatinine. It is up slightly, which might suggest an obstruction.\n"
        "[doctor] Your blood pressure is 130/80.\n"
        "[doctor] The abdominal x-rays show a possible kidney stone.\n"
        "[doctor] I want to order an EMG to look at the nerves and a hepatitis C RNA.\n"
        "[patient] I take metformin 500 mg twice a day."
    )
    question = BLOCK_QUESTIONS[Block.results]
    item = question.schema()["properties"]["results"]["items"]
    assert item["required"] == ["test", "result"]
    facts = VisitFacts()
    answer = {
        "results": [
            {"test": "creatinine", "result": "Up slightly"},
            {"test": "blood pressure", "result": "130/80"},
            {"test": "abdominal x-rays", "result": "possible kidney stone"},
            {"test": "EMG", "result": ""},
            {"test": "hepatitis C RNA", "result": "not available"},
            {"test": "metformin", "result": "500 mg twice a day"},
            {"test": "allergies", "result": "penicillin"},
            {"test": "menstrual period", "result": "30 years ago"},
        ]
    }
    parse_answer(question, answer, facts)
    note = compose_note(check_facts(facts, visit), get_template("soap"))
    assert [s.text for s in note.section("objective").statements] == [
        "Blood pressure: 130/80.",
        "Results: Creatinine, up slightly.",
        "Results: Abdominal x-rays, possible kidney stone.",
    ]  # (labelled in a section of several blocks; a section of its own names the test first)
    aci = compose_note(check_facts(facts, visit), get_template("aci"))
    assert [s.text for s in aci.section("results").statements] == [
        "Creatinine: up slightly.",
        "Abdominal x-rays: possible kidney stone.",
    ]


def test_a_test_that_was_only_ordered_is_not_a_result_and_a_stated_result_is():
    visit = parse_dialogue(
        "[doctor] Your creatinine is up slightly, which might suggest an obstruction.\n"
        "[doctor] I want to order an EMG to look at the nerves."
    )
    facts = VisitFacts(
        facts=[
            Fact("Creatinine slightly elevated.", "results"),
            Fact("EMG.", "results"),
            Fact("EMG showed bilateral carpal tunnel syndrome.", "results"),
        ]
    )
    assert [f.text for f in check_facts(facts, visit).facts] == ["Creatinine slightly elevated."]


def test_a_symptom_the_history_denies_is_not_reported_in_the_review_of_systems():
    visit = parse_dialogue(
        "[doctor] Any fever, chills, nausea or vomiting?\n[patient] No, none of that. Just the sugar."
    )
    facts = VisitFacts(
        facts=[
            Fact("The patient denies fever, chills, nausea or vomiting.", "history_of_present_illness"),
            Fact("fever", "review_of_systems", label="Constitutional", polarity="reports"),
            Fact("chills", "review_of_systems", label="Constitutional", polarity="denies"),
        ]
    )
    note = compose_note(check_facts(facts, visit), get_template("soap"))
    assert [s.text for s in note.section("subjective").statements] == [
        "The patient denies fever, chills, nausea or vomiting.",
        "Constitutional: Denies chills.",
    ]


def test_history_the_patient_denied_and_drugs_started_today_are_not_history():
    visit = parse_dialogue(
        "[doctor] Has anybody ever said you had rheumatoid arthritis?\n"
        "[patient] No, nobody said anything like that. I had my gallbladder out in 2015.\n"
        "[doctor] I'd like you to take ibuprofen 600 milligrams every six hours.\n"
        "[patient] I already take metformin 500 twice a day."
    )
    facts = VisitFacts(
        facts=[
            Fact("The patient denies any history of rheumatoid arthritis.", "history_of_present_illness"),
            Fact("Rheumatoid arthritis", "medical_history"),
            Fact("Cholecystectomy in 2015", "medical_history"),
            Fact("ibuprofen", "medications"),
            Fact("600 mg every 6 hours", "medications"),
            Fact("Metformin 500 mg twice a day", "medications"),
        ]
    )
    kept = check_facts(facts, visit)
    assert [(f.block, f.text) for f in kept.facts if f.block != "history_of_present_illness"] == [
        ("medical_history", "Cholecystectomy in 2015"),
        ("medications", "Metformin 500 mg twice a day"),
    ]


def test_soap_holds_the_whole_visit_note_under_its_four_headings():
    facts = VisitFacts(
        patient=Patient(name="John Perry", age="61", sex="male"),
        problems=["kidney stones", "migraines"],
        facts=[
            Fact("back pain", "chief_complaint"),
            Fact("The pain started on the right side and moved to the left over 4 days.", "history_of_present_illness"),
            Fact("He denies fever.", "history_of_present_illness"),
            Fact("kidney stones", "medical_history"),
            Fact("Imitrex", "medications"),
            Fact("blood in the urine", "review_of_systems", label="Genitourinary", polarity="reports"),
            Fact("fever", "review_of_systems", label="Genitourinary", polarity="denies"),
            Fact("Tender in the right lower quadrant", "physical_exam", label="Abdomen"),
            Fact(
                "Recurrent kidney stone likely given the prior stones and the creatinine.",
                "assessment",
                problem="kidney stones",
            ),
            Fact("CT of the abdomen and pelvis without contrast", "plan", problem="kidney stones", label="Tests"),
            Fact("Ultram 50 mg every 6 hours as needed for pain", "plan", problem="kidney stones", label="Medications"),
            Fact("Continue Imitrex", "plan", problem="migraines", label="Medications"),
            Fact("Call in a day or so with results.", "follow_up"),
        ],
    )
    note = compose_note(facts, get_template("soap"))
    assert [s.text for s in note.section("subjective").statements] == [
        "Chief complaint: Back pain.",
        "John Perry is a 61-year-old male with a past medical history of kidney stones who presents for back pain.",
        "The pain started on the right side and moved to the left over 4 days.",
        "He denies fever.",
        "Past medical history: Kidney stones.",
        "Medications: Imitrex.",
        "Genitourinary: Reports blood in the urine. Denies fever.",
    ]
    assert [s.text for s in note.section("objective").statements] == ["Abdomen: Tender in the right lower quadrant."]
    assert [s.text for s in note.section("assessment").statements] == [
        # the summary statement a physician reads the problems against
        "John Perry is a 61-year-old male with a past medical history of kidney stones who presents for back pain.",
        "Kidney stones: Recurrent kidney stone likely given the prior stones and the creatinine.",
        "Migraines.",
    ]
    assert [s.text for s in note.section("plan").statements] == [
        "Kidney stones: Order CT of the abdomen and pelvis without contrast.",
        "Ultram 50 mg every 6 hours as needed for pain.",
        "Migraines: Continue Imitrex.",
        "Follow-up: Call in a day or so with results.",
    ]
    # the visit note template puts the same facts under the headings of a full visit note
    aci = compose_note(facts, get_template("aci"))
    assert aci.section("chief_complaint").statements[0].text == "Back pain."
    assert aci.section("assessment_and_plan").statements[1].text.startswith("Kidney stones: Recurrent")


def test_a_denied_symptom_and_a_dose_change_survive_drafting_as_said():
    """A denied symptom stays denied and a changed dose keeps both doses, through the whole path
    (questions, checks, composition, grounding), and nothing reads in the first person."""
    rules = {
        "history_of_present_illness": r"\bno chest pain\b|\bshort of breath\b",
        "review_of_systems": r"\bno headaches\b",
        "assessment_and_plan": r"\b(lisinopril)\b",
        "plan": r"\bincrease your lisinopril\b",
    }
    rt = KeywordRuntime(rules)
    note = NoteDrafter(rt, get_template("soap"), medications={"lisinopril"}).draft(NO_EXAM_VISIT)
    text = note.render_text()
    assert "No chest pain" in text and "the patient does get a little short of breath" in text.lower()
    plan = [s.text for s in note.section("plan").statements]
    assert any("from 10 mg to 20 mg" in t and "lisinopril" in t for t in plan), plan
    assert not any(FIRST_OR_SECOND_PERSON.search(s.text) for s in note.statements()), text
    assert not note.section("objective").statements


def test_an_exam_finding_goes_under_the_body_system_it_names_and_a_symptom_is_not_a_finding():
    visit = parse_dialogue(
        "[patient] It burns when I pee, no burning when urinating before this week though.\n"
        "[doctor] Let me listen to your lungs. Your lungs are clear.\n"
        "[doctor] When I tap on your back here, you have tenderness at the right CVA.\n"
        "[doctor] Your abdomen is soft and nontender."
    )
    facts = VisitFacts(
        facts=[
            Fact("Lungs clear", "physical_exam", label="Respiratory"),
            Fact("Tenderness at the right CVA", "physical_exam", label="Respiratory"),
            Fact("No burning when urinating", "physical_exam", label="Respiratory"),
            Fact("Abdomen soft and nontender", "physical_exam", label="General"),
        ]
    )
    note = compose_note(check_facts(facts, visit), get_template("soap"))
    assert [s.text for s in note.section("objective").statements] == [
        "Respiratory: Lungs clear.",
        "Genitourinary: Tenderness at the right CVA.",
        "Abdomen: Abdomen soft and nontender.",
    ]


def test_a_finding_or_symptom_said_again_is_listed_once():
    visit = parse_dialogue(
        "[patient] I've had nausea and vomiting since Monday, and some dizziness.\n"
        "[doctor] On exam your abdomen is tender in the right lower quadrant. No rebound."
    )
    repeated = "Tender abdomen with palpation of the right lower quadrant"
    facts = VisitFacts(
        facts=[
            Fact("Nausea and vomiting", "review_of_systems", label="Neurological", polarity="reports"),
            Fact("Dizziness", "review_of_systems", label="Neurological", polarity="reports"),
            Fact("Nausea and vomiting", "review_of_systems", label="Gastrointestinal", polarity="reports"),
            *[Fact(repeated, "physical_exam", label="Abdomen") for _ in range(4)],
            Fact("No rebound", "physical_exam", label="Abdomen"),
        ]
    )
    note = compose_note(check_facts(facts, visit), get_template("soap"))
    texts = [s.text for sec in note.sections for s in sec.statements]
    # said once, listed once, under the system it belongs to (the model filed it under Neurological first)
    assert [t for t in texts if "nausea" in t] == ["Gastrointestinal: Reports nausea and vomiting."]
    assert "Neurological: Reports dizziness." in texts
    assert "Abdomen: Tender abdomen with palpation of the right lower quadrant; no rebound." in texts


def test_the_review_of_systems_lists_symptoms_not_the_patients_diagnoses():
    visit = parse_dialogue(
        "[doctor] How is your heart failure? And the reflux?\n"
        "[patient] Both fine. My right knee hurts though, and I get short of breath on stairs.\n"
        "[patient] I'm allergic to red meat, alpha-gal syndrome."
    )
    facts = VisitFacts(
        problems=["Congestive heart failure", "Reflux", "Right knee pain"],
        facts=[
            Fact("Right knee pain", "chief_complaint"),
            Fact("Alpha-gal syndrome", "allergies"),
            Fact("Reflux, heart failure", "review_of_systems", label="Cardiovascular", polarity="reports"),
            Fact("Alpha-gal syndrome", "review_of_systems", label="Endocrine", polarity="reports"),
            Fact("Shortness of breath on stairs", "review_of_systems", label="Respiratory", polarity="reports"),
            Fact("Right knee pain", "review_of_systems", label="Musculoskeletal", polarity="reports"),
        ],
    )
    kept = [(f.label, f.text) for f in check_facts(facts, visit).of("review_of_systems")]
    assert kept == [("Respiratory", "Shortness of breath on stairs"), ("Musculoskeletal", "Right knee pain")]


def test_a_body_system_nobody_discussed_is_not_examined_and_denials_are_not_doubled():
    visit = parse_dialogue(
        "[patient] The scar under my left breast still aches, no swelling, no bruising.\n"
        "[doctor] Let me take a look. The scar is healing well, no redness. Any chest pain or palpitations?\n"
        "[patient] No."
    )
    facts = VisitFacts(
        facts=[
            Fact("No swelling, no bruising", "review_of_systems", label="Skin", polarity="denies"),
            Fact("No signs of palpitations or chest pain", "physical_exam", label="Cardiovascular"),
            Fact("No signs of redness, swelling, or pain", "physical_exam", label="Eyes"),
            Fact("Scar under the left breast healing well, no redness", "physical_exam", label="Skin"),
        ]
    )
    note = compose_note(check_facts(facts, visit), get_template("soap"))
    texts = [s.text for sec in note.sections for s in sec.statements]
    assert "Skin: Denies swelling, bruising." in texts or "Skin: Denies swelling and bruising." in texts
    assert [s.text for s in note.section("objective").statements] == [
        "Skin: Scar under the left breast healing well, no redness."
    ]


def test_a_problem_from_the_history_is_named_as_the_condition_or_left_out_and_echoed_plans_go():
    visit = parse_dialogue(
        "[patient] I bruised my right thigh two weeks ago. I also have eczema, and I had a colectomy years ago.\n"
        "[doctor] Start Mobic 15 mg once a day for the thigh. And I'll prescribe fluocinonide cream for the eczema."
    )
    facts = VisitFacts(
        problems=[
            "Contusion of the right thigh",
            "History of atopic eczema",
            "Previous surgical history of a colectomy",
        ],
        facts=[
            Fact("Start Mobic 15 mg once a day.", "plan", problem="Contusion of the right thigh"),
            Fact("The patient has atopic eczema.", "assessment", problem="History of atopic eczema"),
            Fact("Prescribe fluocinonide for atopic eczema.", "plan", problem="History of atopic eczema"),
            Fact("The patient had a colectomy.", "assessment", problem="Previous surgical history of a colectomy"),
            Fact(
                "Prescribe a previous surgical history of a colectomy.",
                "plan",
                problem="Previous surgical history of a colectomy",
            ),
        ],
    )
    checked = check_facts(facts, visit)
    assert checked.problems == ["Contusion of the right thigh", "Atopic eczema"]
    assert [(f.block, f.problem) for f in checked.facts] == [
        ("plan", "Contusion of the right thigh"),
        # ("The patient has atopic eczema." only names the problem: left out, the assessment names it)
        ("plan", "Atopic eczema"),
    ]


def test_the_familys_illnesses_are_not_the_patients_history_and_an_unsaid_age_is_left_out():
    visit = parse_dialogue(
        "[doctor] Hi Sophia. Any illnesses in your family?\n"
        "[patient] My mother had non-Hodgkin's lymphoma and my father had prostate cancer.\n"
        "[patient] I have high cholesterol, that's new.\n"
        "[doctor] The exam shows no palpable masses. We'll see you in a year, and we'll watch for recurrence."
    )
    facts = VisitFacts(
        patient=Patient("Sophia", "46", "female"),
        problems=["Breast cancer", "Hyperlipidemia"],
        facts=[
            Fact("Non-Hodgkin's lymphoma, prostate cancer", "medical_history"),
            Fact("High cholesterol", "medical_history"),
            Fact("Mother had non-Hodgkin's lymphoma; father had prostate cancer", "family_history"),
            Fact("No palpable masses", "physical_exam", label="Chest"),
            Fact("High cholesterol", "physical_exam", label="Cardiovascular"),
            Fact("Watch for recurrence.", "plan", problem="Breast cancer"),
            Fact("Watch for recurrence.", "plan", problem="Hyperlipidemia"),
        ],
    )
    checked = check_facts(facts, visit)
    again = check_facts(
        VisitFacts(
            problems=["Kidney stones", "Reflux"],
            facts=[
                Fact("Order a CT scan.", "plan", problem="Kidney stones"),
                Fact("Refill Protonix 40 mg daily.", "plan", problem="Kidney stones"),
                Fact("Refill Protonix 40 mg daily.", "plan", problem="Reflux"),
            ],
        ),
        parse_dialogue("[doctor] I'll order a CT scan for the stones and refill your Protonix 40 mg daily."),
    )
    assert [(f.text, f.problem) for f in again.of("plan")] == [
        ("Order a CT scan.", "Kidney stones"),
        ("Refill Protonix 40 mg daily.", "Reflux"),
    ]
    assert [f.text for f in checked.of("medical_history")] == ["High cholesterol"]
    assert [f.text for f in checked.of("physical_exam")] == ["No palpable masses"]
    assert [(f.text, f.problem) for f in checked.of("plan")] == [("Watch for recurrence.", "Breast cancer")]
    assert checked.patient.age == "" and checked.patient.name == "Sophia"


def test_exam_findings_and_diagnoses_are_not_symptoms_and_family_history_names_a_relative():
    visit = parse_dialogue(
        "[patient] I have high blood pressure and diabetes. My mother had liver disease.\n"
        "[patient] I get tired in the afternoons.\n"
        "[doctor] Your heart rate is 58. On exam there is a grade two systolic ejection murmur, lungs are clear "
        "without rales or rhonchi, and no fever."
    )
    facts = VisitFacts(
        facts=[
            Fact("High blood pressure, diabetes", "medical_history"),
            Fact("The patient has high blood pressure and diabetes.", "social_history"),
            Fact("The patient has high blood pressure and diabetes.", "family_history"),
            Fact("The patient's mother had liver disease.", "family_history"),
            Fact("Rales or rhonchi", "review_of_systems", label="Respiratory", polarity="reports"),
            Fact("Grade two systolic ejection murmur", "review_of_systems", label="Cardiovascular", polarity="reports"),
            Fact("Tired in the afternoons", "review_of_systems", label="Constitutional", polarity="reports"),
            Fact("No fever", "physical_exam", label="Respiratory"),
            Fact("Grade two systolic ejection murmur", "physical_exam", label="Cardiovascular"),
        ]
    )
    checked = check_facts(facts, visit)
    assert [f.text for f in checked.of("social_history")] == []
    assert [f.text for f in checked.of("family_history")] == ["The patient's mother had liver disease."]
    assert [f.text for f in checked.of("review_of_systems")] == ["Tired in the afternoons"]
    assert [f.text for f in checked.of("physical_exam")] == ["Grade two systolic ejection murmur"]


def test_a_looping_answer_keeps_each_clause_once_and_a_long_one_is_cut_between_clauses():
    from scribe.drafting.compose import collapse_repeats, split_statement

    looped = (
        "First time, no pain when drinking water, no pain when urinating, no pain when drinking water, "
        "no pain when urinating, no pain when"
    )
    assert collapse_repeats(looped) == "First time, no pain when drinking water, no pain when urinating"
    long = (
        "Back pain on the right side for about a week that started on Easter weekend and moves down to the right "
        "lower side, constant, no pain when urinating, no nausea, no vomiting, no fever, no chills, no family "
        "history of kidney stones, first time"
    )
    parts = split_statement(long)
    assert len(long) > 240 and [p[-20:] for p in parts] == ["ory of kidney stones", "first time"]


def test_a_dose_change_written_with_the_new_dose_only_gets_the_old_dose_said():
    facts = VisitFacts(
        problems=["High blood pressure"],
        facts=[
            Fact("Increase the lisinopril dose to 20 mg once a day.", "plan", problem="High blood pressure"),
            Fact("Order a basic metabolic panel.", "plan", problem="High blood pressure"),
        ],
    )
    plan = [f.text for f in check_facts(facts, NO_EXAM_VISIT).of("plan")]
    assert plan == ["Increase the lisinopril dose from 10 mg to 20 mg once a day.", "Order a basic metabolic panel."]
    # the same with the numbers in words, as the model copies them from a recognised transcript
    words = parse_dialogue("[doctor] i'm going to increase your lisinopril from ten milligrams to twenty milligrams .")
    facts = VisitFacts(facts=[Fact("Increase the lisinopril to twenty milligrams once a day.", "plan", problem="BP")])
    assert [f.text for f in check_facts(facts, words).of("plan")] == [
        "Increase the lisinopril from 10 mg to 20 mg once a day."
    ]


def test_a_textbook_definition_after_a_diagnosis_is_cut():
    """Knowledge the model adds, not something said in the visit (train D2N023's assessment)."""
    from scribe.drafting.compose import clean_text

    assert clean_text(
        "Gynecomastia: The patient is experiencing gynecomastia, which is a condition where the breasts "
        "become larger than normal."
    ) == ["Gynecomastia: The patient is experiencing gynecomastia."]
    assert clean_text("Hypertension, which is a common condition that can cause dizziness.") == ["Hypertension."]
    # a clause that describes the patient's own problem stays
    assert clean_text("Knee pain which is worse on stairs.") == ["Knee pain which is worse on stairs."]
    assert clean_text("A rash, which is itchy at night.") == ["A rash, which is itchy at night."]


@pytest.mark.parametrize(
    ("written", "charted"),
    [
        ("The patient reports a small amount of fluid in the ears and a feeling of.", []),
        ("The doctor will schedule a follow-up appointment in 6-.", []),
        ("Continue metformin 500 mg twice a day, and follow up with the.", ["Continue metformin 500 mg twice a day."]),
        ("He has been pretty good with that.", ["He has been pretty good with that."]),
        ("Follow up in 2 weeks.", ["Follow up in 2 weeks."]),
    ],
)
def test_a_sentence_the_model_broke_off_is_cut_back_to_a_whole_clause_or_left_out(written, charted):
    """Seen in train D2N059's assessment and plan: a physician should not read a fragment."""
    from scribe.drafting.compose import clean_text

    assert clean_text(written) == charted


@pytest.mark.parametrize(
    ("written", "charted"),
    [
        (
            "The doctor will prescribe Singulair to help manage the asthma.",
            "Prescribe Singulair to help manage the asthma.",
        ),
        ("The doctor will also order an x-ray of the knee.", "Order an x-ray of the knee."),
        (
            "The patient will be advised to take the inhaler as needed.",
            "Advise the patient to take the inhaler as needed.",
        ),
        ("The patient will be referred to physical therapy.", "Refer the patient to physical therapy."),
        ("Continue lisinopril 20 mg daily.", "Continue lisinopril 20 mg daily."),
    ],
)
def test_a_plan_item_narrated_about_the_visit_is_written_as_the_order(written, charted):
    """Train D2N059's plan read "The doctor will prescribe Singulair ..." and "The patient will be
    advised to ...": a plan is a list of orders."""
    from scribe.drafting.compose import plan_item

    assert plan_item("", written) == charted


def test_denials_nobody_talked_about_or_that_the_note_states_as_present_are_left_out():
    """Train D2N010's history listed "denies any insect bite with associated fluctuants" (the bite is
    why she came), "denies any hyperglycemia" (the first problem) and "denies any hyperuricemia"
    (never said). A wrong denial reads as a negative someone checked; the ones said stay."""
    visit = parse_dialogue(
        "[doctor] Any fever or chills? Nausea?\n"
        "[patient] No fever, no chills, no nausea. But this bug bite on my knee is swollen.\n"
        "[doctor] Your sugars are high. And you have an insect bite with associated fluctuance and redness."
    )
    facts = VisitFacts(
        facts=[
            Fact(
                "The patient denies any fever, chills, nausea, vomiting, or belly pain.", "history_of_present_illness"
            ),
            Fact("The patient denies any insect bite with associated fluctuance.", "history_of_present_illness"),
            Fact("The patient denies any hyperglycemia.", "history_of_present_illness"),
            Fact("The patient denies any hyperuricemia.", "history_of_present_illness"),
            Fact("No symptoms of chills or high blood sugar.", "history_of_present_illness"),
            Fact("Insect bite with associated fluctuance and redness", "physical_exam", label="Skin"),
            Fact("hyperuricemia", "review_of_systems", label="Constitutional", polarity="denies"),
            Fact("chills", "review_of_systems", label="Constitutional", polarity="denies"),
        ],
        problems=["Hyperglycemia", "High blood sugar"],
    )
    kept = check_facts(facts, visit)
    assert [f.text for f in kept.facts if f.block == "history_of_present_illness"] == [
        "The patient denies any fever, chills and nausea.",
        "No symptoms of chills.",  # (train D2N031: "No symptoms of back pain, joint pain, or high cholesterol")
    ]
    assert [f.text for f in kept.facts if f.block == "review_of_systems"] == ["chills"]


def test_a_symptom_the_model_filed_under_the_wrong_system_goes_under_its_own():
    """Train D2N059: "Musculoskeletal: Reports tiredness, feeling down and lightheaded." A symptom that names
    nothing of its label's system goes under the first system it names; one that names none keeps its label."""
    visit = parse_dialogue(
        "[patient] I'm really tired a lot, and I feel down. When I run I get lightheaded and kind of shaky.\n"
        "[patient] My chest gets tight and I start wheezing."
    )
    facts = VisitFacts(
        facts=[
            Fact("Tiredness", "review_of_systems", label="Musculoskeletal", polarity="reports"),
            Fact("Feeling down", "review_of_systems", label="Musculoskeletal", polarity="reports"),
            Fact("Lightheaded", "review_of_systems", label="Musculoskeletal", polarity="reports"),
            Fact("Chest tightness", "review_of_systems", label="Respiratory", polarity="reports"),
            Fact("Shaky", "review_of_systems", label="Respiratory", polarity="reports"),
        ]
    )
    kept = [(f.label, f.text) for f in check_facts(facts, visit).of("review_of_systems")]
    assert kept == [
        ("Constitutional", "Tiredness"),
        ("Psychiatric", "Feeling down"),
        ("Neurological", "Lightheaded"),
        ("Respiratory", "Chest tightness"),
        ("Respiratory", "Shaky"),
    ]


def test_a_drug_the_patient_does_not_take_is_not_listed_as_a_medication():
    """Train D2N010: "Medications: The patient does not take Protonix." A sentence that says more is kept:
    not taking a drug on weekends is adherence, and "not on aspirin anymore" says it was stopped."""
    visit = parse_dialogue(
        "[doctor] Are you still on the Protonix for the reflux?\n"
        "[patient] No, I don't take the Protonix. I skip my lisinopril on weekends, and I'm not on aspirin anymore.\n"
    )
    facts = VisitFacts(
        facts=[
            Fact("The patient does not take Protonix", "medications"),
            Fact("The patient does not take lisinopril on weekends", "medications"),
            Fact("The patient is not on aspirin anymore", "medications"),
        ]
    )
    kept = [f.text for f in check_facts(facts, visit).of("medications")]
    assert kept == ["The patient does not take lisinopril on weekends", "The patient is not on aspirin anymore"]


def test_a_family_answer_is_family_history_not_the_patients_history():
    """Train D2N038 (its tags swapped back): "what conditions run in your family?" - "I have high blood pressure,
    diabetes and depression". The model charted them as the patient's history, in the history of present illness
    and as "Bruce has diabetes" under family history, which had no relative and was dropped. The age it gave, 15,
    was "clean for over fifteen years"."""
    visit = parse_dialogue(
        "[doctor] Any history of IV drug use?\n"
        "[patient] I used to party a lot, but I've been clean for over fifteen years now.\n"
        "[doctor] Okay, and what conditions would you say run in your family?\n"
        "[patient] I have high blood pressure, diabetes and depression.\n"
    )
    facts = VisitFacts(
        patient=Patient("Bruce", "15", "male"),
        facts=[
            Fact("Hepatitis C", "chief_complaint"),
            Fact("He used IV drugs but has been clean for over 15 years.", "history_of_present_illness"),
            Fact("Bruce had high blood pressure, diabetes, and depression.", "history_of_present_illness"),
            Fact("High blood pressure", "medical_history"),
            Fact("Diabetes", "medical_history"),
            Fact("Bruce has high blood pressure", "family_history"),
            Fact("Bruce has diabetes", "family_history"),
        ],
    )
    checked = check_facts(facts, visit)
    assert checked.patient.age == ""
    assert [f.text for f in checked.of("history_of_present_illness")] == [
        "He used IV drugs but has been clean for over 15 years."
    ]
    assert checked.of("medical_history") == []
    assert [f.text for f in checked.of("family_history")] == ["High blood pressure", "Diabetes"]
    note = compose_note(checked, get_template("soap"))
    assert "Family history: High blood pressure and diabetes." in [
        s.text for s in note.section("subjective").statements
    ]


def test_results_are_not_social_history_and_todays_plan_is_not_history():
    """Train D2N038 and D2N059: "Social history: Bruce had positive lab work for hep c", and a history of present
    illness that ends with the plan ("Bruce was scheduled to have an ultrasound", "The patient has been advised to
    start taking Singulair"). What came before the visit stays: "was prescribed amoxicillin last week"."""
    visit = parse_dialogue(
        "[patient] I had positive lab work for hep c. I work as a carpenter.\n"
        "[patient] Urgent care prescribed amoxicillin last week. My primary care doctor referred me here.\n"
        "[doctor] We'll get an ultrasound, and I want you to start Singulair.\n"
    )
    facts = VisitFacts(
        facts=[
            Fact("Bruce had positive lab work for hep c", "social_history"),
            Fact("The patient works as a carpenter", "social_history"),
            Fact("He was prescribed amoxicillin last week at urgent care.", "history_of_present_illness"),
            Fact("He was referred by his primary care physician.", "history_of_present_illness"),
            Fact("Bruce was scheduled to have an ultrasound.", "history_of_present_illness"),
            Fact("The patient has been advised to start taking Singulair.", "history_of_present_illness"),
        ]
    )
    checked = check_facts(facts, visit)
    assert [f.text for f in checked.of("social_history")] == ["The patient works as a carpenter"]
    assert [f.text for f in checked.of("history_of_present_illness")] == [
        "He was prescribed amoxicillin last week at urgent care.",
        "He was referred by his primary care physician.",
    ]


def test_a_drug_allergy_is_not_past_medical_history():
    """The bundled sample's note opened "Alvarez is a male with a past medical history of penicillin rash": the
    allergy, which the allergies line already charts."""
    visit = parse_dialogue(
        "[doctor] Any allergies?\n[patient] Penicillin gives me a rash. I had a heart attack two years ago.\n"
    )
    facts = VisitFacts(
        facts=[
            Fact("Penicillin rash", "medical_history"),
            Fact("Heart attack", "medical_history"),
            Fact("Penicillin: rash", "allergies"),
        ]
    )
    checked = check_facts(facts, visit)
    assert [f.text for f in checked.of("medical_history")] == ["Heart attack"]
    assert [f.text for f in checked.of("allergies")] == ["Penicillin: rash"]


def test_a_string_the_length_cap_cut_is_not_carried_on_as_a_fragment():
    """Train D2N052: the plan item hit its 240-character cap mid-word ("... has an infe") and the model carried
    the sentence on in the next item ("tion of some kind. The doctor also ordered ..."); the note said
    "Tion of some kind." Both pieces are mended: the cut one back to its last sentence, the carried one
    without its broken head."""
    from scribe.drafting.questions import ASSESSMENT_PLAN, parse_answer

    cut = (
        "The doctor prescribed ibuprofen eight hundred milligrams to help with pain, and a strainer for the patient "
        "to strain their pee. The patient was also ordered a BMP and a urinalysis and a urine culture to determine "
        "if the patient has an infe"
    )
    assert len(cut) == 239
    answer = {
        "assessment_and_plan": [
            {
                "problem": "kidney stones",
                "assessment": "Likely a kidney stone.",
                "plan": [
                    cut,
                    "tion of some kind. The doctor also ordered a lithotripsy procedure to break up the stone.",
                    "drink as much water as possible.",
                ],
            }
        ]
    }
    plan = [f.text for f in parse_answer(ASSESSMENT_PLAN, answer, VisitFacts()) if f.block == "plan"]
    assert plan == [
        "The doctor prescribed ibuprofen eight hundred milligrams to help with pain, and a strainer for the "
        "patient to strain their pee.",
        "The doctor also ordered a lithotripsy procedure to break up the stone.",
        # a lowercase item after one that ended well is an item of its own
        "drink as much water as possible.",
    ]


def test_a_word_split_between_two_plan_items_is_made_whole_from_the_transcript():
    """Train D2N052 again: the model copied the cut item ("... has an infe") and carried it on in the next
    ("tion of some kind."); the note read "...has an infe." and "Tion of some kind."."""
    said = parse_dialogue(
        "[doctor] i'm going to order a bmp a urinalysis and a urine culture to see if there's any infection ."
    )
    facts = VisitFacts(
        problems=["Kidney stones"],
        facts=[
            Fact(
                "The patient was ordered a BMP and a urine culture to determine if the patient has an infe",
                "plan",
                problem="Kidney stones",
            ),
            Fact("tion of some kind.", "plan", problem="Kidney stones"),
            Fact("Drink plenty of water.", "plan", problem="Kidney stones"),
        ],
    )
    plan = [f.text for f in check_facts(facts, said).of("plan")]
    assert plan[0].endswith("to determine if the patient has an infection of some kind.")
    assert len(plan) == 2 and not any(p.lower().startswith("tion") for p in plan)


def test_a_condition_treated_today_is_past_history_when_the_visit_says_so():
    """Train D2N010: "I know you have this history of congestive heart failure" - the heart failure is one of today's
    problems and was dropped from the past history as if it were new; a problem the visit never calls history
    still is not charted as past history."""
    facts = lambda: VisitFacts(  # noqa: E731
        problems=["Hyperglycemia", "Congestive heart failure"],
        facts=[Fact("congestive heart failure", "medical_history"), Fact("hyperglycemia", "medical_history")],
    )
    said = parse_dialogue(
        "[doctor] i know you have this history of congestive heart failure . any weight gain ?\n"
        "[patient] no .\n[doctor] your blood sugar is high , that's hyperglycemia .\n"
    )
    assert [f.text for f in check_facts(facts(), said).of("medical_history")] == ["congestive heart failure"]
    unsaid = parse_dialogue(
        "[doctor] your heart failure looks stable . your blood sugar is high , that's hyperglycemia ."
    )
    assert [f.text for f in check_facts(facts(), unsaid).of("medical_history")] == []


def test_a_result_read_out_is_kept_and_one_for_a_test_only_ordered_is_not():
    """Train D2N010: "show me the rapid strep . and you also have , uh , positive for strep" reads a result out, though
    the same lines also plan treatment; D2N052: a urinalysis that was only ordered has no result, whatever the
    patient said about blood in her urine (the result's own words no longer count as the test's name)."""
    said = parse_dialogue(
        "[doctor] hey dragon , show me the rapid strep . and you also have , uh , positive for strep . so we're "
        "gon na go ahead and treat you with amoxicillin .\n"
        "[patient] i've seen some blood in my urine .\n"
        "[doctor] i'm gon na order a bmp , a urinalysis and a urine culture .\n"
    )
    facts = VisitFacts(
        facts=[Fact("Rapid strep: positive", "results"), Fact("Urinalysis: positive for blood", "results")]
    )
    assert [f.text for f in check_facts(facts, said).of("results")] == ["Rapid strep: positive"]
    # train D2N002: results looked at, in a visit that also orders labs
    labs = parse_dialogue(
        "[doctor] looking at your lab results , you know , your white blood cell count is not elevated , which is "
        "good , we get concerned about infection .\n"
        "[doctor] i wan na go ahead and order some thyroid labs , okay ?\n"
    )
    facts = VisitFacts(
        facts=[
            Fact("Lab results: white blood cell count is not elevated", "results"),
            Fact("Thyroid labs: normal", "results"),
        ]
    )
    assert [f.text for f in check_facts(facts, labs).of("results")] == [
        "Lab results: white blood cell count is not elevated"
    ]


def test_an_assessment_that_only_names_the_problem_and_remedies_listed_as_drugs_are_left_out():
    """Train D2N066 and D2N004: "High blood pressure: The patient reported high blood pressure, which is symptoms of
    high blood pressure.", "Based on the patient's history and physical examination, the doctor suspects type 2
    diabetes." say nothing a physician can use (the problem keeps its name in the assessment); "Medications: Ice.",
    "Medications: Heat." read as prescriptions."""
    said = parse_dialogue(
        "[patient] i took some tylenol and ibuprofen and used ice and heat but nothing worked .\n"
        "[doctor] your blood pressure is high today . your diabetes , your a1c is eight , so it's not controlled .\n"
    )
    facts = VisitFacts(
        problems=["High blood pressure", "Type 2 diabetes"],
        facts=[
            Fact("Ibuprofen", "medications"),
            Fact("Ice", "medications"),
            Fact("ice and heat", "medications"),
            Fact(
                "The patient reported high blood pressure, which is symptoms of high blood pressure.",
                "assessment",
                problem="High blood pressure",
            ),
            Fact(
                "Based on the patient's history and physical examination, the doctor suspects type 2 diabetes.",
                "assessment",
                problem="Type 2 diabetes",
            ),
            Fact("Not controlled, with an A1c of 8.", "assessment", problem="Type 2 diabetes"),
            # train D2N005
            Fact(
                "The patient reported high blood pressure, which was confirmed by the doctor's assessment.",
                "assessment",
                problem="High blood pressure",
            ),
        ],
    )
    checked = check_facts(facts, said)
    assert [f.text for f in checked.of("medications")] == ["Ibuprofen"]
    assert [f.text for f in checked.of("assessment")] == ["Not controlled, with an A1c of 8."]
    note = compose_note(checked, get_template("soap"))
    assert [s.text for s in note.section("assessment").statements] == [
        "High blood pressure.",
        "Type 2 diabetes: Not controlled, with an A1c of 8.",
    ]


def test_the_review_of_systems_does_not_say_reports_twice():
    """Train D2N004: "Musculoskeletal: Reports back pain reported and weakness in right leg reported."."""
    from scribe.drafting.compose import by_system

    facts = [
        Fact("back pain reported", "review_of_systems", label="Musculoskeletal", polarity="reports"),
        Fact("weakness in right leg reported", "review_of_systems", label="Musculoskeletal", polarity="reports"),
        Fact("fever denied", "review_of_systems", label="Constitutional", polarity="denies"),
    ]
    assert [t for t, _ in by_system(facts, "patient")] == [
        "Musculoskeletal: Reports back pain and weakness in right leg.",
        "Constitutional: Denies fever.",
    ]


def test_a_history_sentence_that_only_repeats_the_opening_is_not_written_twice():
    """Train D2N004: the opening sentence, then "James has a past medical history significant for congestive heart
    failure and type 2 diabetes." - the same facts again."""
    facts = VisitFacts(
        patient=Patient(name="James", age="57", sex="male"),
        facts=[
            Fact("back pain", "chief_complaint"),
            Fact("congestive heart failure", "medical_history"),
            Fact("type 2 diabetes", "medical_history"),
            Fact(
                "James has a past medical history significant for congestive heart failure and type 2 diabetes.",
                "history_of_present_illness",
            ),
            Fact("The back pain started 4 days ago after golfing.", "history_of_present_illness"),
        ],
    )
    note = compose_note(facts, get_template("soap"))
    assert [s.text for s in note.section("subjective").statements][:3] == [
        "Chief complaint: Back pain.",
        "James is a 57-year-old male with a past medical history of congestive heart failure and type 2 diabetes who "
        "presents for back pain.",
        "The back pain started 4 days ago after golfing.",
    ]


def test_an_order_told_in_the_assessment_goes_to_the_plan_and_a_copied_clause_is_said_once():
    """Train D2N006: the assessment said "The doctor continues the allopurinol 100 mg once daily." (an order, not
    a reason), and the history copied "started pilates and using the knee, feels better with physical therapy"
    from the arthritis into the abdominal pain."""
    facts = VisitFacts(
        problems=["Gout"],
        facts=[
            Fact("No further flare-ups on allopurinol.", "assessment", problem="Gout"),
            Fact("The doctor continues the allopurinol 100 mg once daily.", "assessment", problem="Gout"),
            Fact(
                "Arthritis: has been getting better, started pilates and using the knee, feels better with physical "
                "therapy",
                "history_of_present_illness",
            ),
            Fact(
                "Abdominal pain: started about 2 months ago, started pilates and using the knee, feels better with "
                "physical therapy",
                "history_of_present_illness",
            ),
        ],
    )
    said = parse_dialogue(
        "[patient] i started pilates and using the knee and i feel better with physical therapy .\n"
        "[patient] the abdominal pain started about two months ago .\n"
        "[doctor] no further flare-ups on allopurinol , so let's continue the allopurinol 100 mg once daily .\n"
    )
    note = compose_note(check_facts(facts, said), get_template("soap"))
    assert [s.text for s in note.section("assessment").statements] == ["Gout: No further flare-ups on allopurinol."]
    assert [s.text for s in note.section("plan").statements] == ["Gout: Continue the allopurinol 100 mg once daily."]
    assert [s.text for s in note.section("subjective").statements] == [
        "Arthritis: has been getting better, started pilates and using the knee, feels better with physical therapy.",
        "Abdominal pain: started about 2 months ago.",
    ]


def test_a_family_history_given_as_social_history_is_left_to_the_family_history():
    """Train D2N007: "Social history: She has a family history of depression and anxiety." - nobody spoke of the
    family at all; filed as social history it passed because depression was talked about. The family question
    has its own answer (D2N031's social-history copy of it was a garbled one)."""
    said = parse_dialogue(
        "[patient] i've been struggling with my depression off and on , and i work at a desk all day .\n"
        "[doctor] any illnesses in your family ?\n[patient] my father had a heart attack at fifty .\n"
    )
    facts = VisitFacts(
        facts=[
            Fact("She works at a desk all day.", "social_history"),
            Fact("She has a family history of depression and anxiety.", "social_history"),
            Fact("Her father had a heart attack at 50.", "social_history"),
            Fact("Her father had a heart attack at 50.", "family_history"),
        ]
    )
    checked = check_facts(facts, said)
    assert [f.text for f in checked.of("social_history")] == ["She works at a desk all day."]
    assert [f.text for f in checked.of("family_history")] == ["Her father had a heart attack at 50."]


def test_a_test_named_as_its_own_result_is_no_result():
    """Train D2N005: "Results: Imaging, x-ray." named the test twice and said nothing of what it showed."""
    from scribe.drafting.compose import states_result

    assert not states_result("Imaging: x-ray")
    assert not states_result("Labs: blood work.")
    assert states_result("X-ray: comminuted fracture of the distal phalanx")
    assert states_result("Imaging: x-ray shows no fracture")


def test_advice_in_the_second_person_a_list_said_twice_and_symptoms_as_exam_findings():
    """Train D2N008: "Get a scale and weigh yourself every day." reached the plan in the second person (the
    first-person check did not know "yourself"); "past medical history of colonoscopy and prior colonoscopy";
    "General: No weight loss; no passing out" charted the patient's answers as the examiner's findings."""
    from scribe.drafting.compose import clean_text

    assert clean_text("Get a scale and weigh yourself every day.") == [
        "Advise the patient to get a scale and weigh themselves every day."
    ]
    assert FIRST_OR_SECOND_PERSON.search("Weigh yourself daily.")
    said = parse_dialogue(
        "[doctor] you had a colonoscopy before ? any weight loss or passing out ?\n[patient] no .\n"
        "[doctor] on exam you have a three out of six systolic ejection murmur .\n"
    )
    facts = VisitFacts(
        patient=Patient(name="Stephanie", age="", sex="female"),
        facts=[
            Fact("abnormal labs", "chief_complaint"),
            Fact("colonoscopy", "medical_history"),
            Fact("prior colonoscopy", "medical_history"),
            Fact("No weight loss; no passing out", "physical_exam", label="General"),
            Fact("Three out of six systolic ejection murmur", "physical_exam", label="Cardiovascular"),
        ],
    )
    note = compose_note(check_facts(facts, said), get_template("soap"))
    text = note.render_text()
    assert "Past medical history: Colonoscopy." in text and "prior colonoscopy" not in text.lower()
    assert [s.text for s in note.section("objective").statements] == [
        "Cardiovascular: Three out of six systolic ejection murmur."
    ]


def test_exam_findings_in_the_review_of_systems_leave_the_symptom_said_before_them():
    """Train D2N009: "Musculoskeletal: Reports pain in the lower right side of the back, decreased flexion and
    extension of the back and positive straight leg raise on the right." - the last two are the exam's."""
    said = parse_dialogue(
        "[patient] my back hurts on the lower right side .\n"
        "[doctor] you have decreased flexion and extension of the back and a positive straight leg raise on the right ."
        " your lungs have no rales .\n"
    )
    facts = VisitFacts(
        facts=[
            Fact(
                "pain in the lower right side of the back, decreased flexion and extension of the back and positive "
                "straight leg raise on the right",
                "review_of_systems",
                label="Musculoskeletal",
                polarity="reports",
            ),
            Fact("rales", "review_of_systems", label="Respiratory", polarity="reports"),
        ]
    )
    assert [f.text for f in check_facts(facts, said).of("review_of_systems")] == [
        "pain in the lower right side of the back"
    ]


def test_a_vital_sign_without_its_name_is_left_out():
    """Train D2N011: the objective section read "- 180/95." - the emergency room's blood pressure, with no name."""
    said = parse_dialogue(
        "[doctor] you went to the emergency room with a blood pressure of one eighty over ninety five .\n"
        "[doctor] today your blood pressure is one fifty over ninety .\n"
    )
    facts = VisitFacts(facts=[Fact("180/95", "vital_signs"), Fact("Blood pressure: 150/90", "vital_signs")])
    assert [f.text for f in check_facts(facts, said).of("vital_signs")] == ["Blood pressure: 150/90"]


def test_leftovers_from_train_d2n012_are_not_charted():
    """Train D2N012: "Start him on a different medication, Zoloft, 25 mg once a day, 2." (a number left over),
    "Chest: No pneumonia; no chest x-ray." (imaging is no exam finding), "Cardiovascular: Reports regular heart
    rate." (the examiner's finding in the review of systems)."""
    from scribe.drafting.compose import clean_text

    assert clean_text("Start him on a different medication, Zoloft, 25 mg once a day, 2.") == [
        "Start him on a different medication, Zoloft, 25 mg once a day."
    ]
    said = parse_dialogue(
        "[doctor] your heart has a regular rate and rhythm , your lungs are clear , no pneumonia on the chest x-ray ."
    )
    facts = VisitFacts(
        facts=[
            Fact("No pneumonia; no chest x-ray", "physical_exam", label="Chest"),
            Fact("Clear lungs", "physical_exam", label="Respiratory"),
            Fact("regular heart rate", "review_of_systems", label="Cardiovascular", polarity="reports"),
        ]
    )
    checked = check_facts(facts, said)
    assert [f.text for f in checked.of("physical_exam")] == ["Clear lungs"]
    assert [f.text for f in checked.of("review_of_systems")] == []


def test_textbook_asides_and_past_history_in_the_social_history_are_left_out():
    """Train D2N019: "lateral epicondylitis, which is inflammation of the area where the tendon inserts", "..., which
    is a common cause of elbow pain", "anaphylaxis, which is a serious medical condition"; and the social history
    held "The patient had carotid surgery and neck surgery before." (a history of smoking is social history)."""
    from scribe.drafting.compose import clean_text

    assert clean_text("She has lateral epicondylitis, which is inflammation of the area where the tendon inserts.") == [
        "She has lateral epicondylitis."
    ]
    assert clean_text("Pain around the lateral epicondyle, which is a common cause of elbow pain.") == [
        "Pain around the lateral epicondyle."
    ]
    assert clean_text("Hypertension, which is well controlled on lisinopril.") == [
        "Hypertension, which is well controlled on lisinopril."
    ]
    said = parse_dialogue(
        "[patient] i had carotid surgery and neck surgery before . i smoked a pack a day for ten years . i was moving "
        "boxes into the house .\n"
    )
    facts = VisitFacts(
        facts=[
            Fact("The patient had carotid surgery and neck surgery before.", "social_history"),
            Fact("He has a history of smoking a pack a day for ten years.", "social_history"),
            Fact("The patient was moving boxes into the house.", "social_history"),
        ]
    )
    assert [f.text for f in check_facts(facts, said).of("social_history")] == [
        "He has a history of smoking a pack a day for ten years.",
        "The patient was moving boxes into the house.",
    ]


def test_what_train_d2n018_and_d2n014_charted_wrong_is_left_out():
    """Train D2N018's history: "The patient has been taking gallstones.", "... taking lumbar fusion.", "... taking
    no allergies to medicines."; its plan: "Ordered a lumbar fusion about 6 years ago."; its assessment: "..., which
    was described as." D2N014: "Musculoskeletal: Reports supple neck." and a removed cataract under social
    history."""
    from scribe.drafting.compose import clean_text

    said = parse_dialogue(
        "[patient] i take ibuprofen every six hours and pepcid for my gallstones . i had a lumbar fusion six years "
        "ago . no allergies to medicines . i had a cataract removed three months ago . i walk every day .\n"
        "[doctor] your neck is supple . we'll put you in a long arm cast and a sling .\n"
    )
    facts = VisitFacts(
        problems=["Fracture"],
        facts=[
            Fact("The patient has been taking ibuprofen every 6 hours.", "history_of_present_illness"),
            Fact("The patient has been taking gallstones.", "history_of_present_illness"),
            Fact("The patient has been taking lumbar fusion.", "history_of_present_illness"),
            Fact("The patient has been taking no allergies to medicines.", "history_of_present_illness"),
            Fact("Ordered a lumbar fusion about 6 years ago.", "plan", problem="Fracture"),
            Fact("Ordered a long arm cast and a sling.", "plan", problem="Fracture"),
            Fact("supple neck", "review_of_systems", label="Musculoskeletal", polarity="reports"),
            Fact("He had a cataract removed 3 months ago.", "social_history"),
            Fact("He walks every day.", "social_history"),
        ],
    )
    checked = check_facts(facts, said)
    assert [f.text for f in checked.of("history_of_present_illness")] == [
        "The patient has been taking ibuprofen every 6 hours."
    ]
    assert [f.text for f in checked.of("plan")] == ["Ordered a long arm cast and a sling."]
    assert [f.text for f in checked.of("review_of_systems")] == []
    assert [f.text for f in checked.of("social_history")] == ["He walks every day."]
    assert clean_text("The patient reported severe right upper arm pain, which was described as.") == [
        "The patient reported severe right upper arm pain."
    ]


def test_a_problem_named_by_a_denied_symptom_and_a_looped_sentence_are_left_out():
    """Train D2N020: the patient had "no abdominal pain", and the assessment made "Abdominal pain: The patient reports
    abdominal pain, which could be due to gastritis" a problem; the history looped "Vincent had not noticed any
    bleeding from anywhere." into "... bleeding from the anemia panel." and "... from the proton pump inhibitor."."""
    said = parse_dialogue(
        "[doctor] any abdominal pain , fever , chills ?\n[patient] no , no abdominal pain .\n"
        "[patient] i've been really lightheaded . i haven't noticed any bleeding from anywhere .\n"
        "[doctor] the endoscopy showed gastritis , so we'll start protonix forty milligrams once a day .\n"
    )
    facts = VisitFacts(
        problems=["Gastritis", "Abdominal pain"],
        facts=[
            Fact("Vincent had not noticed any bleeding from anywhere.", "history_of_present_illness"),
            Fact("Vincent had not noticed any bleeding from the anemia panel.", "history_of_present_illness"),
            Fact("Vincent had not noticed any weight loss or night sweats.", "history_of_present_illness"),
            Fact("Seen on the endoscopy.", "assessment", problem="Gastritis"),
            Fact("Start Protonix 40 mg once a day.", "plan", problem="Gastritis"),
            Fact(
                "The patient reports abdominal pain, which could be due to gastritis.",
                "assessment",
                problem="Abdominal pain",
            ),
        ],
    )
    note = compose_note(check_facts(facts, said), get_template("soap"))
    assert [s.text for s in note.section("assessment").statements] == ["Gastritis: Seen on the endoscopy."]
    history = [s.text for s in note.section("subjective").statements]
    assert "Vincent had not noticed any bleeding from anywhere." in history
    assert not any("anemia panel" in t for t in history)
    assert any("weight loss" in t for t in history)


def test_an_assessment_of_a_denied_symptom_is_left_out():
    """The default model's draft of a follow-up visit (test_drafting_model.py, on an AMD EPYC): the patient said "no
    chest pain at all" and the assessment listed "Chest pain." with no problem; the history's denial stays."""
    said = parse_dialogue(
        "[doctor] any chest pain ?\n[patient] no chest pain at all . i do get a little short of breath going up the"
        " stairs .\n[doctor] your blood pressure is still high , so i'm going to increase your lisinopril .\n"
    )
    facts = VisitFacts(
        problems=["High blood pressure"],
        facts=[
            Fact("The patient reports no chest pain.", "history_of_present_illness"),
            Fact("Chest pain.", "assessment"),
            Fact("Shortness of breath going up the stairs.", "assessment"),
            Fact("Still high on lisinopril.", "assessment", problem="High blood pressure"),
        ],
    )
    checked = check_facts(facts, said)
    assert [f.text for f in checked.of("assessment")] == [
        "Shortness of breath going up the stairs.",
        "Still high on lisinopril.",
    ]
    assert [f.text for f in checked.of("history_of_present_illness")] == ["The patient reports no chest pain."]


def test_a_habit_is_not_past_medical_history():
    """The bundled sample's note: "Past medical history: Heart attack and alcohol consumption." (and the opening
    sentence said it too); drinking and smoking are the social history's."""
    said = parse_dialogue(
        "[patient] i had a heart attack six years ago . i have a beer or two on the weekend . i quit smoking ten "
        "years ago .\n[doctor] and the chest tightness , when does it come on ?\n"
    )
    facts = VisitFacts(
        patient=Patient(name="Alvarez", age="", sex="male"),
        facts=[
            Fact("chest tightness", "chief_complaint"),
            Fact("heart attack", "medical_history"),
            Fact("alcohol consumption", "medical_history"),
            Fact("smoking", "medical_history"),
        ],
    )
    checked = check_facts(facts, said)
    assert [f.text for f in checked.of("medical_history")] == ["heart attack"]
    note = compose_note(checked, get_template("soap"))
    assert note.section("subjective").statements[1].text == (
        "Alvarez is a male with a past medical history of heart attack who presents for chest tightness."
    )


def test_a_line_of_the_visit_copied_as_said_is_no_statement():
    # the bundled sample's demo: the history answer copied the doctor's turn ("Is it serious? ...
    # Here's the plan."); a note states what was found and decided, it does not ask or signpost
    from scribe.drafting.compose import clean_text

    assert clean_text("Is it serious?") == []
    assert clean_text("Should I be worrying about a heart attack?", "patient") == []
    assert clean_text("Here's the plan.") == []
    assert clean_text("The chest pain is serious.") == ["The chest pain is serious."]
    assert clean_text("The plan is to order an ECG.") == ["The plan is to order an ECG."]


def test_a_condition_the_patient_only_worries_about_is_not_his_history_when_his_father_had_it():
    """The bundled sample's demo note: "Alvarez is a male with a past medical history of heart attack" and "Past
    medical history: Heart attack", supported by nothing but "My father had a heart attack when he was 62" and the
    patient's question "should I be worrying about a heart attack?". A question or a worry is nobody's history; a
    condition the patient says he had still is. The same note's "Social history: He has a penicillin rash when he
    was a kid" is the allergy's."""
    lines = (
        "[doctor] Do you have any allergies to medications?\n"
        "[patient] Yes, penicillin, it gave me a rash and hives when I was a kid.\n"
        "[doctor] Any family history of heart disease?\n"
        "[patient] My father had a heart attack when he was 62.\n"
        "[patient] Is it serious, should I be worrying about a heart attack?\n"
    )
    facts = VisitFacts(
        patient=Patient("Alvarez", "", "male"),
        facts=[
            Fact("Chest tightness", "chief_complaint"),
            Fact("Heart attack", "medical_history"),
            Fact("His father had a heart attack when he was 62.", "family_history"),
            Fact("Penicillin", "allergies"),
            Fact("He has a penicillin rash when he was a kid.", "social_history"),
        ],
    )
    checked = check_facts(facts, parse_dialogue(lines))
    assert checked.of("medical_history") == []
    assert checked.of("social_history") == []
    assert [f.text for f in checked.of("family_history")] == ["His father had a heart attack when he was 62."]
    assert "heart attack" not in introduction(checked)
    own = check_facts(facts, parse_dialogue(lines + "[patient] And I had a heart attack myself in 2019.\n"))
    assert [f.text for f in own.of("medical_history")] == ["Heart attack"]
    # train D2N003: a history said in a turn that then asks, or with a worry about something else, is the patient's
    stones = parse_dialogue(
        "[doctor] John is a 61-year-old male with a past medical history of kidney stones, who presents with back "
        "pain. So John, what's going on with your back?\n"
        "[patient] I'm feeling the same pain I had when I had kidney stones two years ago, so I'm a little concerned.\n"
        "[doctor] I was concerned about the kidney stones. Does anyone in your family have kidney stones?\n"
        "[patient] My father had kidney stones.\n"
    )
    history = VisitFacts(
        facts=[
            Fact("Back pain", "chief_complaint"),
            Fact("Kidney stones", "medical_history"),
            Fact("His father had kidney stones.", "family_history"),
        ]
    )
    assert [f.text for f in check_facts(history, stones).of("medical_history")] == ["Kidney stones"]


def test_a_history_statement_that_echoes_the_question_before_its_answer_keeps_the_answer():
    """The bundled sample's demo note: "Calf pain, redness, and warmth in that leg, no calf pain, or warmth in that
    leg." after "Any calf pain, redness, or warmth in that leg?" - "No, none of that." The question's findings, said
    as present, are left out; a statement whose first part the visit supports is kept whole."""
    visit = parse_dialogue(
        "[doctor] Any calf pain, redness, or warmth in that leg?\n[patient] No, none of that.\n"
        "[patient] My chest gets tight when I walk up the hill, but I'm not short of breath.\n"
    )
    facts = VisitFacts(
        facts=[
            Fact(
                "Calf pain, redness, and warmth in that leg, no calf pain, or warmth in that leg.",
                "history_of_present_illness",
            ),
            Fact("Chest tightness when walking up the hill, no shortness of breath.", "history_of_present_illness"),
        ]
    )
    checked = check_facts(facts, visit)
    assert [f.text for f in checked.of("history_of_present_illness")] == [
        "No calf pain, or warmth in that leg.",
        "Chest tightness when walking up the hill, no shortness of breath.",
    ]
    # as the model wrote it there: the whole history one run of clauses, the answer looped; the checks see it
    # cut into statements, so the echo is found at the end of the run
    run = (
        "Chest tightness when walking up the hill, started about three weeks ago, lasts for five minutes, goes "
        "away with rest, not short of breath, has felt a little dizzy once last week when standing up too fast, "
        "but that's all, blood pressure is also not well controlled, ankle swelling is mild, calf pain, redness, "
        "and warmth in that leg, " + ", ".join(["no calf pain, redness, or warmth in that leg"] * 5)
    )
    checked = check_facts(VisitFacts(facts=[Fact(run, "history_of_present_illness")]), visit)
    texts = [f.text for f in checked.of("history_of_present_illness")]
    assert texts[-1] == "No calf pain, or warmth in that leg"
    assert not any("calf" in t for t in texts[:-1])


def test_the_clinicians_assessment_and_plan_copied_into_the_history_is_left_out():
    """The bundled sample's demo note had "Which makes the patient concerned about stable angina, ... and the patient
    will keep a high on it." in its history: the doctor's assessment and plan, copied from a transcript that has no
    speakers to tell it by. A history piece in plan language ("we will", "let's", "I'll order") is left out; the
    patient's own worry stays."""
    visit = parse_dialogue(
        "[patient] It comes on when I walk up the hill and goes away with rest. I'm worried it's my heart.\n"
        "[doctor] Which makes me concerned about stable angina. The ankle swelling is mild, and we will keep an eye"
        " on it.\n"
    )
    facts = VisitFacts(
        facts=[
            Fact("Chest tightness when walking up the hill, goes away with rest.", "history_of_present_illness"),
            Fact(
                "which makes me concerned about stable angina, ankle swelling is mild, and we will keep an eye on it",
                "history_of_present_illness",
            ),
            Fact("I'm worried it's my heart.", "history_of_present_illness"),
        ]
    )
    kept = [f.text for f in check_facts(facts, visit).facts]
    assert kept == ["Chest tightness when walking up the hill, goes away with rest.", "I'm worried it's my heart."]


def test_a_verbless_plan_item_that_goes_on_with_a_list_takes_the_verb_before_it():
    """The bundled sample's demo plan read "Continue the metformin 500mg twice a day." then "The atorvastatin 20mg
    and the aspirin 81mg daily." and "Order an ECG today." then "A lipid panel.": the model had cut one list into
    items. The verb carries on to a verbless item that starts with an article; an item with a verb of its own, or
    after an item that is no list ("Increase ..."), stays as written."""
    visit = parse_dialogue(
        "[doctor] Continue the metformin 500 twice a day, the atorvastatin 20 and the aspirin 81 daily. I'd like an"
        " ECG today, a lipid panel, and a basic metabolic panel. The lisinopril goes up to 20. The aspirin stays"
        " the same.\n"
    )
    texts = [
        "Continue the metformin 500mg twice a day",
        "The atorvastatin 20mg and the aspirin 81mg daily",
        "Order an ECG today",
        "A lipid panel",
        "A basic metabolic panel",
        "Increase lisinopril to 20mg",
        "The aspirin stays the same",
    ]
    facts = VisitFacts(facts=[Fact(t, "plan") for t in texts])
    note = compose_note(check_facts(facts, visit), get_template("soap"))
    assert [s.text for s in note.section("plan").statements] == [
        "Continue the metformin 500mg twice a day.",
        "Continue the atorvastatin 20mg and the aspirin 81mg daily.",
        "Order an ECG today.",
        "Order a lipid panel.",
        "Order a basic metabolic panel.",
        "Increase lisinopril to 20mg.",
        "The aspirin stays the same.",
    ]


def test_tightness_is_no_exam_finding_unless_felt_in_a_muscle():
    """The demo note's exam had "Chest: Resting tightness.", the history's chest tightness: tightness is felt by the
    patient, not found by the examiner, unless it is a muscle's ("tightness in the paraspinal muscles")."""
    visit = parse_dialogue(
        "[patient] I get this tightness in my chest, and it goes away when I stop and rest.\n"
        "[doctor] Your lungs are clear. There is some tightness in the paraspinal muscles of your low back.\n"
    )
    facts = VisitFacts(
        facts=[
            Fact("resting tightness", "physical_exam", label="Chest"),
            Fact("lungs are clear", "physical_exam", label="Respiratory"),
            Fact("tightness in the paraspinal muscles of the low back", "physical_exam", label="Musculoskeletal"),
        ]
    )
    kept = [f.text for f in check_facts(facts, visit).facts]
    assert kept == ["lungs are clear", "tightness in the paraspinal muscles of the low back"]
