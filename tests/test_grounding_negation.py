"""Negation across the visit: a symptom's polarity is what the patient's answers give it, wherever it is said."""

import pytest
from grounded import grounded, safety

from scribe.domain import NoteDraft, Section, Severity, Statement
from scribe.grounding import ground_note
from scribe.transcript_io import parse_dialogue

OPENING = """\
[doctor] Good morning, what brings you in today?
[patient] I've had a sore right knee for about a week since I slipped on the stairs.
"""
CLOSING = """\
[doctor] On exam the right knee has a small effusion and is tender along the joint line.
[doctor] Let's get an x-ray and I'll see you back in two weeks.
"""


def _negation(middle: str, text: str) -> list[str]:
    note = NoteDraft(sections=[Section(key="s", title="S", statements=[Statement(text=text)])])
    (st,) = ground_note(note, parse_dialogue(OPENING + middle + CLOSING)).statements()
    return [i.detail for i in st.issues if i.kind == "negation" and i.severity == Severity.safety]


PRESENT_BUT_DENIED = "is stated as present, but the transcript says it is absent"
ABSENT_BUT_SAID = "is stated as absent, but the transcript says it is present"


@pytest.mark.parametrize(
    ("middle", "denied", "present"),
    [
        # a turn that only names a symptom asks about it (the doctor going through a review of systems)
        ("[doctor] Shortness of breath.\n[patient] No shortness of breath.\n", "shortness of breath", None),
        # the answer written into the question's own turn
        (
            "[doctor] Any nausea, vomiting or diarrhea or anything like that no\n[patient] I eat fine.\n",
            "nausea",
            None,
        ),
        # a question without its question mark is answered by the next turn, past its fillers
        ("[doctor] okay have you noticed any swelling in your ankles\n[patient] uh, I have not.\n", "swelling", None),
        # a partly answered list denies what it leaves out, as a review of systems does
        (
            "[doctor] Any chest pain, shortness of breath, or belly pain?\n"
            "[patient] Shortness of breath. No belly pain though.\n",
            "belly pain",
            "shortness of breath",
        ),
        # "everything else has been okay" denies what was asked and not named
        (
            "[doctor] Any fevers, chills, or a cough?\n[patient] A little cough, but everything else has been okay.\n",
            "fevers",
            "cough",
        ),
    ],
)
def test_a_symptom_is_read_with_the_answer_the_patient_gave(middle, denied, present):
    assert _negation(middle, f"Reports {denied}.") == [f"'{denied}' {PRESENT_BUT_DENIED}"]
    assert _negation(middle, f"Denies {denied}.") == []
    if present:
        assert _negation(middle, f"Reports {present}.") == []
        assert _negation(middle, f"Denies {present}.") == [f"'{present}' {ABSENT_BUT_SAID}"]


def test_a_question_that_asks_to_describe_does_not_deny_what_it_describes():
    middle = (
        "[patient] I get a tightness in my chest when I climb stairs.\n"
        "[doctor] Can you describe the tightness for me? Is it sharp, or is it more like a pressure?\n"
        "[patient] More like a pressure.\n"
    )
    assert _negation(middle, "Reports pressure-like chest tightness on stairs.") == []


def test_what_was_said_of_the_past_does_not_count_against_today():
    middle = "[doctor] Have you ever injured this knee before?\n[patient] No, never injured this knee before.\n"
    assert _negation(middle, "Reports knee pain after a fall on the stairs.") == []


def test_an_exam_said_in_one_breath_puts_each_finding_at_its_own_site():
    middle = (
        "[doctor] on your back exam you do have some tenderness in the lower back in the paraspinal area when i "
        "palpate there otherwise your neurological exam is normal on your extremity exam you have a little bit of "
        "swelling in your ankles no calf tenderness negative homans sign\n"
    )
    assert _negation(middle, "Calf tenderness.") == [f"'calf tenderness' {PRESENT_BUT_DENIED}"]
    assert _negation(middle, "No calf tenderness.") == []
    assert _negation(middle, "Tenderness of the lower back in the paraspinal area.") == []
    assert _negation(middle, "Mild swelling of the ankles.") == []


def test_a_site_said_a_few_words_before_the_finding_still_counts():
    middle = "[patient] when i'm running my right knee here it just starts to ache\n"
    assert _negation(middle, "Reports right knee pain when running.") == []


def test_bony_and_midline_tenderness_are_findings_of_their_own():
    middle = (
        "[doctor] you are positive for tenderness to palpation of the anterior lateral soft tissue and there is no "
        "bony tenderness on palpation of the foot\n"
        "[doctor] you do have some tenderness in the paraspinal areas of your lower back no midline tenderness\n"
    )
    assert _negation(middle, "Bony tenderness on palpation of the foot.") == [f"'bony tenderness' {PRESENT_BUT_DENIED}"]
    assert _negation(middle, "Midline tenderness.") == [f"'midline tenderness' {PRESENT_BUT_DENIED}"]
    assert _negation(middle, "Tenderness to palpation of the anterolateral soft tissue; no bony tenderness.") == []
    assert _negation(middle, "Paraspinal tenderness of the lower back without midline tenderness.") == []


def test_an_exam_finding_written_as_absent_is_flagged_when_it_was_seen():
    """Train D2N059: the doctor saw "a little bit of fluid in the ears"; the draft wrote "No signs of fluid in the
    ears". Fluid was not a target, so the flip passed unflagged."""
    middle = "[doctor] I do see just a little bit of fluid in the ears.\n"
    assert _negation(middle, "ENT: No signs of fluid in the ears or throat.") == [f"'fluid' {ABSENT_BUT_SAID}"]
    assert _negation(middle, "Ears: mild fluid.") == []
    # hydration advice is not a finding
    assert _negation("[doctor] Drink plenty of fluids and rest.\n", "No fluids restriction.") == []


def test_a_finding_in_medical_words_is_backed_by_the_plain_words_said():
    """Ecchymosis is the bruising the doctor described; instability is the ankle "giving way"."""
    middle = (
        "[patient] My left ankle keeps giving way when I walk.\n"
        "[doctor] There is some bruising on the bottom of your foot.\n"
    )
    ecchymosis, instability, crepitus = grounded(
        OPENING + middle + CLOSING,
        "Ecchymosis on the plantar aspect of the foot.",
        "Left ankle instability.",
        "Crepitus over the right knee.",
    )
    assert safety(ecchymosis) == [] and safety(instability) == []
    assert safety(crepitus) == ["finding"]


def test_one_body_site_in_other_words_and_a_question_about_a_cause():
    """Train D2N003: "pain in my abdomen" is the abdominal pain a note may not deny. Train D2N028: the doctor's
    "no" to "could that be why my stomach is hurting?" answers the cause, not whether the stomach hurts."""
    said = "[patient] Walking up the stairs I still feel a little more pain in my abdomen.\n"
    assert _negation(said, "Gastrointestinal: Denies abdominal pain.") == [f"'abdominal pain' {ABSENT_BUT_SAID}"]
    assert _negation(said, "Denies belly pain.") == [f"'belly pain' {ABSENT_BUT_SAID}"]
    asked = (
        "[patient] Could that be why my stomach is hurting and I'm having diarrhea?\n"
        "[doctor] No, I think that's the fiber. Let's add a supplement.\n"
    )
    assert _negation(asked, "Reports stomach pain and diarrhea.") == []
    assert _negation(asked, "Denies stomach pain.") == [f"'stomach pain' {ABSENT_BUT_SAID}"]


def test_everyday_phrases_that_are_not_findings_and_a_finding_said_in_two_words():
    """Train D2N027: "he will immediately fall asleep" is no fall; D2N022: "exhausting non-operative measures" is no
    fatigue; D2N025: "how is your heart burn doing?" mentions the heartburn a note may state."""
    visit = (
        "[doctor] How is your heart burn doing?\n[patient] It got bad for a while, so I took some Prilosec.\n"
        "[patient] I ride my bike and then I sleep about seven hours.\n"
    )
    asleep, exhausting, heartburn, fall = grounded(
        visit,
        "He can fall asleep easily and sleeps 7 hours.",
        "I recommend exhausting non-operative measures first.",
        "Her heartburn was severe at one point.",
        "He reports a fall at home.",
    )
    assert [safety(st) for st in (asleep, exhausting, heartburn)] == [[], [], []]
    assert safety(fall) == ["finding"]


@pytest.mark.parametrize(
    ("middle", "text", "flagged"),
    [
        # train D2N005: "no other injuries" beside the one the visit is about denies nothing of it
        ("[patient] I injured my finger playing volleyball, it's my only injury.\n", "She has no other injuries.", []),
        # train D2N010: "no longer gets up at night from reflux" negates getting up, not the reflux
        (
            "[patient] The reflux is better, I still get some reflux after dinner.\n",
            "He no longer gets up at night from reflux.",
            [],
        ),
        # a list after "other" is still denied
        (
            "[patient] I've had a fever since Sunday.\n",
            "He denies any other symptoms such as fever, chills or nausea.",
            [f"'fever' {ABSENT_BUT_SAID}"],
        ),
    ],
)
def test_what_a_negator_governs(middle, text, flagged):
    assert _negation(middle, text) == flagged


def test_there_is_starts_a_new_finding_after_a_denied_list():
    """Train D2N050: "... there is no rebound or guarding there is cva there is tenderness on the right side" in one
    unpunctuated turn: the tenderness after "there is" was read as denied with the rebound."""
    middle = "[doctor] no tenderness to palpation of the abdomen there is no rebound or guarding there is cva there is tenderness on the right side\n"
    assert _negation(middle, "There is CVA tenderness on the right side.") == []
    assert _negation(middle, "No rebound or guarding.") == []


def test_pain_with_palpation_is_tenderness_of_the_part_palpated():
    """Train D2N050 (heard): "pain with palpation of the abdomen" reads as the palpation's pain, with no site, so it was
    not held against "no tenderness to palpation of the abdomen"; "pain to palpation of the abdomen" was."""
    middle = "[doctor] let me press here on your belly . there is no tenderness to palpation of the abdomen .\n"
    for text in ("Pain with palpation of the abdomen.", "Abdominal pain with palpation."):
        assert _negation(middle, text) == [f"'abdomen tender' {PRESENT_BUT_DENIED}"], text
    assert _negation(middle, "Abdomen: no pain with palpation of the abdomen.") == []
    # the knee's pain with palpation is no tenderness of the abdomen
    assert _negation(middle, "Pain with palpation of the right knee.") == []


def test_a_turn_that_says_it_both_ways_does_not_outvote_the_rest_of_the_visit():
    """Train D2N008: the patient's "I've been really tired ... doing things I've done every day that I haven't gotten
    tired" both affirms and denies fatigue; the doctor's "you endorse some fatigue" does not. "Denies fatigue." was
    let through because that one turn also denied it."""
    middle = (
        "[patient] Over the past couple of months I've been really tired and dizzy, even doing the things I did "
        "every day that I haven't gotten tired from.\n"
        "[doctor] Okay. So you endorse some dizziness. You endorse some fatigue.\n"
    )
    assert _negation(middle, "Denies fatigue.") == [f"'fatigue' {ABSENT_BUT_SAID}"]
    assert _negation(middle, "Reports fatigue and dizziness.") == []


def test_what_an_answer_reports_after_its_no_is_not_denied():
    """Train D2N049: to "have you noticed any nausea chills fever" the patient said "no fever some chills ... I can't
    eat and I do feel a little nauseous": the "no" is for the fever; the chills and the nausea are reported."""
    middle = (
        "[doctor] okay so have you noticed any nausea chills fever\n"
        "[patient] no fever some chills and i i just in so much pain i i ca n't eat and i do feel a little nauseous\n"
    )
    assert _negation(middle, "Reports chills and nausea.") == []
    assert _negation(middle, "Denies fever.") == []
    assert _negation(middle, "Denies chills.") == [f"'chills' {ABSENT_BUT_SAID}"]
    assert _negation(middle, "Denies nausea.") == [f"'nausea' {ABSENT_BUT_SAID}"]
    assert _negation(middle, "Reports fever.") == [f"'fever' {PRESENT_BUT_DENIED}"]


def test_pain_with_urination_is_not_the_pain_the_visit_is_about():
    """Train D2N052: "She denies any pain with urination" was flagged because the visit is about back pain."""
    middle = (
        "[patient] i've had this pain in my back on the right side for about a week .\n"
        "[doctor] any pain when you urinate ?\n"
        "[patient] no , no pain when i pee .\n"
    )
    assert _negation(middle, "She denies any pain with urination.") == []
    assert _negation(middle, "She reports pain with urination.") != []


def test_a_list_of_risks_asserts_none_of_its_items():
    """Train D2N048's consent: "The risks include but are not limited to continued pain, swelling, damage to
    surrounding tissue including nerves and blood vessels, numbness that could be permanent, infection" was read
    as a "but" and a "not", and the numbness past ten words as stated. An "even if" is no list: "even if I'm just
    walking up, you know, my driveway, I find myself palpitating" reports the palpitations (train D2N015)."""
    middle = (
        "[doctor] do you have any numbness or tingling in the foot ?\n[patient] no .\n"
        "[patient] even if i'm just walking up , you know , my driveway , i find myself palpitating a lot .\n"
    )
    risks = (
        "The risks include but are not limited to continued pain, swelling, damage to surrounding tissue including "
        "nerves and blood vessels, numbness that could be permanent, infection, nonunion."
    )
    assert _negation(middle, risks) == []
    assert _negation(middle, "Denies palpitations.") == [f"'palpitations' {ABSENT_BUT_SAID}"]


def test_pain_with_a_manoeuvre_is_its_own_finding():
    """Train D2N037: "pain with supination, no pain with pronation" - "Pain with pronation." was let through because
    the same turn affirms a pain."""
    middle = "[doctor] okay so some pain with torsion and twisting supination what about pronation\n[doctor] pain with supination no pain with pronation\n"
    assert _negation(middle, "Pain with supination.") == []
    assert _negation(middle, "No pain with pronation.") == []
    assert _negation(middle, "Pain with pronation.") == [f"'pain with pronation' {PRESENT_BUT_DENIED}"]


@pytest.mark.parametrize("line", ["[patient] it's the pain with", "[patient] pain with the", "[doctor] pain on"])
def test_a_line_that_breaks_off_after_pain_with_is_read_without_error(line):
    """A recognised transcript (valid D2N070, voiced) ended a turn on "pain with": the manoeuvre rule read past the
    end of the line and the whole draft failed."""
    assert _negation(line + "\n", "Pain with flexion.") in ([], [f"'pain with flexion' {ABSENT_BUT_SAID}"])


def test_what_the_examiner_goes_on_to_find_is_not_under_the_no_before_it():
    """Train D2N045: "there is no redness there's no swelling i can appreciate a small amount of effusion" - the
    effusion was read as denied and "Small effusion." flagged. "I don't appreciate any effusion" still denies it."""
    found = "[doctor] looking at the knee there is no redness there's no swelling i can appreciate a small amount of effusion\n"
    assert _negation(found, "Small effusion of the right knee.") == []
    assert _negation(found, "No effusion.") == [f"'effusion' {ABSENT_BUT_SAID}"]
    denied = "[doctor] looking at the knee there is no redness no swelling i don't appreciate any effusion\n"
    (st,) = grounded(denied, "Small effusion of the knee.")
    assert [i.detail for i in st.issues if i.kind == "negation"] == [f"'effusion' {PRESENT_BUT_DENIED}"]


def test_a_denial_on_one_side_is_not_contradicted_by_the_finding_on_the_other():
    """Train D2N037: "pain on the medial side with palpation ... no pain with palpation outside of the elbow" - the
    reference note's "No pain to palpation on the lateral aspect" was flagged as denying the pain that was said.
    A denial on one side stands where the visit affirms the finding only on the other; on the same side, or with
    the visit naming no side, it is still flagged."""
    exam = (
        "[doctor] let me press here , okay so pain on the medial side with palpation .\n"
        "[doctor] no pain with palpation outside of the elbow .\n"
    )
    assert _negation(exam, "No pain to palpation on the lateral aspect of the elbow.") == []
    assert _negation(exam, "No pain to palpation on the medial aspect of the elbow.") == [f"'pain' {ABSENT_BUT_SAID}"]
    masses = "[doctor] i do feel a mass on the left side of the neck .\n"
    assert _negation(masses, "No masses on the right.") == []
    assert _negation(masses, "No masses on the left.") == [f"'masses' {ABSENT_BUT_SAID}"]
    unplaced = "[doctor] i do feel a mass in the neck .\n"
    assert _negation(unplaced, "No masses on the right.") == [f"'masses' {ABSENT_BUT_SAID}"]


def test_a_clause_with_its_own_verb_after_a_comma_is_not_the_next_item_of_a_denied_list():
    """The demo note (bundled sample): "blood pressure is also not well controlled on the current dose, ankle swelling
    is mild" was flagged as denying the ankle swelling: the "not" ran on past the comma as if a list followed. A
    list's items are still denied with it."""
    swelling = "[patient] my ankles have been swelling a bit .\n[doctor] there is mild ankle swelling .\n"
    assert (
        _negation(swelling, "Blood pressure is not well controlled on the current dose, ankle swelling is mild.") == []
    )
    assert _negation(swelling, "No fever, chills, or ankle swelling.") == [f"'ankle swelling' {ABSENT_BUT_SAID}"]
    assert _negation(swelling, "Not controlled, and no ankle swelling is seen.") == [
        f"'ankle swelling' {ABSENT_BUT_SAID}"
    ]


def test_a_finding_said_to_be_controlled_or_resolved_is_not_said_to_be_there():
    """Train D2N006: "Her flares are well controlled on allopurinol." was flagged as saying flares are present where
    the patient said he has had no flares. A finding said to be there is still checked."""
    none = "[doctor] any gout flares lately ?\n[patient] no , no flares since i started the allopurinol .\n"
    assert _negation(none, "Her flares are well controlled on allopurinol.") == []
    assert _negation(none, "She has had 2 flares this month.") == [f"'flares' {PRESENT_BUT_DENIED}"]


def test_a_finding_put_on_the_side_the_visit_denies_it_on_is_flagged():
    """Train D2N037, the mirror of the test above: "Pain to palpation on the lateral aspect" where the visit found
    pain medially and none outside. Where the visit also affirms it on both sides, the statement is not flagged."""
    exam = (
        "[doctor] let me press here , okay so pain on the medial side with palpation .\n"
        "[doctor] no pain with palpation outside of the elbow .\n"
    )
    assert _negation(exam, "Pain to palpation on the lateral aspect of the elbow.") == [f"'pain' {PRESENT_BUT_DENIED}"]
    assert _negation(exam, "Pain to palpation on the medial aspect of the elbow.") == []
    both = exam + "[patient] it hurts on the inside and the outside when i lift things .\n"
    assert _negation(both, "Pain to palpation on the lateral aspect of the elbow.") == []


def test_pain_under_an_exams_condition_is_held_against_that_condition():
    """Train D2N045: "push your leg out against my hand does that hurt" - "no", "if you pull back does that hurt" -
    "no", then "when i push on your knee does it hurt more on the inside or the outside" - "the outside". A note's
    "pain with strength testing" was read against the knee that hurts when pressed and passed. Pain brought out by
    moving the part, or against resistance, is now held against what the visit says under the same condition (a
    question without its question mark included), and only where it says it one way."""
    visit = (
        "[doctor] let me examine your knee i'm going to bend it and straighten it does that hurt\n"
        "[patient] no\n"
        "[doctor] okay now push your leg out against my hand does that hurt\n"
        "[patient] uh, no\n"
        "[doctor] and when i press on the outside of the knee does that hurt\n"
        "[patient] yes right there\n"
    )
    right = (
        "No pain with range of motion of the knee.",
        "No pain with resisted strength testing.",
        "Tenderness to palpation of the lateral knee.",
        "Pain with palpation of the lateral knee.",
    )
    wrong = ("Pain with flexion of the knee.", "Pain with movement.", "Pain with strength testing.")
    assert [safety(st) for st in grounded(visit, *right)] == [[]] * len(right)
    assert [safety(st) for st in grounded(visit, *wrong)] == [["negation"]] * len(wrong)
    # said both ways under one condition ("bending it hurts a little" after a painless straightening): no flag
    both = visit + "[patient] actually bending it hurts a little\n"
    assert [safety(st) for st in grounded(both, "Pain with flexion of the knee.", "No pain with flexion.")] == [[], []]


def test_walking_is_one_condition_however_a_note_names_it():
    """ "does it hurt when you walk on it" - "no not really": "pain with weight bearing" and "pain with ambulation"
    are pain when walking (the general check read only "walking"), while the ankle that hurts when pressed is no
    answer about walking."""
    visit = (
        "[doctor] so your ankle, does it hurt when you walk on it\n"
        "[patient] no not really, only when i twist it\n"
        "[doctor] okay and when i press here on the outside does that hurt\n"
        "[patient] yes\n"
    )
    wrong = ("Pain with weight bearing.", "Pain with ambulation.", "Pain when walking.")
    right = ("No pain with ambulation.", "Tenderness to palpation over the lateral ankle.")
    assert [safety(st) for st in grounded(visit, *wrong)] == [["negation"]] * len(wrong)
    assert [safety(st) for st in grounded(visit, *right)] == [[]] * len(right)


@pytest.mark.parametrize(
    ("middle", "right", "wrong"),
    [
        # a long review-of-systems list: "change in vision" is the list's next item, not a negated verb
        (
            "[doctor] Any fever, chills, headache, change in vision, or seizures?\n[patient] No.\n",
            "She denied any fever, chills, nausea, HA, change in vision, seizures or stroke like events.",
            "She reports seizures.",
        ),
        # "non-small cell lung cancer" is a name, not a denial of the cancer
        (
            "[doctor] You were treated for a non small cell lung cancer last year.\n[patient] Yes, that's right.\n",
            "History of stage IA non-small cell lung cancer, treated.",
            "No history of lung cancer.",
        ),
        # a negative question asks, expecting yes: "isn't this your second time?" - "yes" is no denial
        (
            "[patient] I was peeing blood again.\n"
            "[doctor] Isn't this your second episode of hematuria this month?\n[patient] Yes.\n",
            "This is his second episode of gross hematuria this month.",
            "He denies hematuria.",
        ),
        # the answer names what it has and denies the rest: "a cough, but other than that nothing"
        (
            "[doctor] Any cough, sputum or wheezing?\n[patient] I have this cough, but other than that nothing.\n",
            "Denies sputum production or wheezing.",
            "Reports wheezing.",
        ),
        # and answers one question of a run while denying the others ("no weakness or any other thing you mentioned")
        (
            "[doctor] Any tingling? Any weakness? Were you able to walk?\n"
            "[patient] I was able to walk and there was no weakness or any other thing you mentioned.\n",
            "No tingling or weakness.",
            "She reports weakness.",
        ),
        # a function said to be done well: "she is breathing fine"
        (
            "[doctor] Any shortness of breath?\n[patient] She is breathing fine.\n",
            "Denies shortness of breath.",
            "Reports shortness of breath.",
        ),
        # a question cut off mid-list is still a question: "Tremors or loss of sensation or-" - "No."
        (
            "[doctor] Tremors or loss of sensation like paralysis or-\n[patient] No.\n",
            "Denies tremors.",
            "Reports tremors.",
        ),
        # "do you smoke?" - "I never did." denies; "yeah, I smoke weed" is no tobacco
        (
            "[doctor] Do you smoke?\n[patient] I never did.\n",
            "He is a nonsmoker.",
            "He smokes cigarettes daily.",
        ),
        (
            "[doctor] Do you smoke?\n[patient] Yeah, I smoke weed now and again.\n"
            "[doctor] How about cigarettes?\n[patient] No.\n",
            "The patient does not smoke cigarettes.",
            "He smokes cigarettes daily.",
        ),
        # an answer that ends "nothing like that", whatever it says first
        (
            "[doctor] Any depression or anxiety?\n"
            "[patient] I have always been a homebody. This is normal for me. Nothing like that in my head.\n",
            "No anxiety or depression.",
            "Reports anxiety.",
        ),
        # the answer to the last question of a run that asks how long says nothing of the symptom before it
        (
            "[patient] He has been coughing for a week now.\n"
            "[doctor] How about any congestion? Is it one week or more?\n"
            "[patient] No, did I say that? I meant two to three weeks.\n"
            "[doctor] Can you tell me everything from the beginning?\n"
            "[patient] Sure. It started off as a congestion, then he started coughing.\n",
            "Cough and congestion for the past two to three weeks.",
            "Denies congestion.",
        ),
        # "no appetite and has lost 8 pounds": the weight loss is a clause of its own
        (
            "[doctor] How is your appetite?\n[patient] I haven't had much of an appetite.\n"
            "[doctor] Have you lost weight?\n[patient] I've lost about eight pounds.\n",
            "He has no appetite over the past week and has lost 8 pounds.",
            "He denies weight loss.",
        ),
        # "any other pain, aside from the knee?" - "no" denies other pain, not the knee's (nor the fall)
        (
            "[doctor] Do you have any other pain from the fall, aside from the knee?\n[patient] No.\n",
            "Right knee pain after a fall.",
            "Denies knee pain.",
        ),
    ],
)
def test_other_writers_wordings_found_on_mts_dialog(middle, right, wrong):
    """Wordings met on MTS-Dialog's development rows (other clinicians' notes and conversations), in visits of our
    own: each right statement passes, each wrong one is flagged."""
    assert _negation(middle, right) == []
    assert _negation(middle, wrong) != []


def test_not_an_issue_and_not_treated_for_deny_nothing_else():
    """ "The pain is not an issue" denies the pain; "not treated for diarrhea" does not deny the diarrhea."""
    middle = "[doctor] How is the pain?\n[patient] I have no issues with my pain. I've had diarrhea for years.\n"
    assert _negation(middle, "The patient reports that the pain is not an issue at this time.") == []
    assert _negation(middle, "He was not treated for diarrhea for more than 3 years.") == []
    assert _negation(middle, "He reports diarrhea.") == []


def test_a_hospital_discharge_a_procedure_and_the_blood_supply_are_no_findings():
    """MTS-Dialog dev: "stable for discharge", "incision and drainage", "the blood supply", "blood glucoses" name a
    hospital stay, a procedure and physiology, not a discharge, a drainage or bleeding nobody mentioned."""
    visit = "[doctor] We drained the abscess here in the ER and you're doing well.\n[patient] Good, it feels better.\n"
    right = (
        "She was stable for discharge following the procedure.",
        "The patient underwent incision and drainage in the emergency department.",
        "The procedure restores the blood supply to the bone.",
        "Her blood glucoses have been running well.",
        "No further problems have been noted upon his discharge and treatment.",
        "She has done well since discharge.",
    )
    assert [safety(st) for st in grounded(visit, *right)] == [[]] * len(right)
    # a discharge or bleeding of the body is still a finding the visit must mention
    assert [safety(st) for st in grounded(visit, "She has a yellow discharge.", "Bleeding from the wound.")] == [
        ["finding"],
        ["finding"],
    ]


@pytest.mark.parametrize(
    ("asked", "term"),
    [
        ("Any loose stools?", "diarrhea"),
        ("Any double vision?", "diplopia"),
        ("Any runny nose?", "rhinorrhea"),
        ("Any itching?", "pruritus"),
        ("Any joint pain?", "arthralgias"),
        ("Any muscle aches?", "myalgias"),
        ("Any vertigo?", "dizziness"),
        ("Does the room spin?", "vertigo"),
        ("Are you winded when you walk?", "shortness of breath"),
        ("Any heartburn?", "reflux"),
        ("Any coughing up blood?", "hemoptysis"),
        ("Have you been running a temperature?", "fever"),
    ],
)
def test_a_lay_word_denied_is_the_charts_word_denied(asked, term):
    """Review-of-systems terms a note uses for what a patient says plainly: a denial in lay words backs "Denies
    <term>", and "Reports <term>" is flagged. (Probe of 49 pairs at stop 32: 18 failed before.)"""
    visit = f"[doctor] {asked}\n[patient] No.\n"
    ok, wrong = grounded(visit, f"Denies {term}.", f"Reports {term}.")
    assert safety(ok) == []
    assert safety(wrong) == ["negation"]


def test_a_no_that_answers_the_question_before_and_no_other_symptoms_with_it():
    """ "no i have a little bit of a stuffy nose": the no answered the question before; "no other symptoms
    associated with the diplopia" leaves the diplopia there."""
    visit = (
        "[doctor] Do you feel sick to your stomach at all?\n"
        "[patient] No I have a little bit of a stuffy nose, it's really just my throat.\n"
        "[doctor] Any other symptoms with the double vision?\n[patient] No.\n"
    )
    stated = ("Reports nasal congestion.", "No other symptoms associated with the diplopia.")
    assert [safety(st) for st in grounded(visit, *stated)] == [[], []]
    assert safety(grounded(visit, "Denies nausea.")[0]) == []


@pytest.mark.parametrize(
    ("said", "term"),
    [
        ("I feel sick to my stomach.", "nausea"),
        ("It burns when I pee.", "dysuria"),
        ("I get pins and needles in my feet.", "tingling"),
        ("My legs are puffy.", "leg swelling"),
        ("I feel wiped out all the time.", "fatigue"),
        ("My stools are black.", "melena"),
        ("I leak urine when I cough.", "incontinence"),
        ("It's hard to swallow.", "dysphagia"),
        ("My ears are ringing.", "tinnitus"),
        ("I see double.", "diplopia"),
        ("My nose is runny.", "rhinorrhea"),
        ("My nose is stuffy.", "nasal congestion"),
        ("I sliced my finger on a piece of glass.", "finger laceration"),  # MTS-Dialog dev
        ("I got a deep cut on my hand.", "hand laceration"),
        ("She can barely move her right arm.", "right arm weakness"),  # MTS-Dialog dev
        ("I have had these sores in my mouth.", "mouth ulcerations"),  # MTS-Dialog dev
        ("The knee locks up on me.", "knee locking"),
        ("I can't see very well in my right eye.", "decreased vision in the right eye"),
    ],
)
def test_a_lay_complaint_is_the_charts_finding(said, term):
    """What a patient says plainly backs the chart's word for it ("Reports nausea" after "I feel sick to my
    stomach" raised "never mentions it" before), and a note denying it is flagged. (Probe of 38 at stop 32: 14
    failed before, one of either kind. "Feeling down" is left out: a mood is not read as depression.)"""
    visit = f"[doctor] How have you been?\n[patient] {said}\n"
    ok, wrong = grounded(visit, f"Reports {term}.", f"Denies {term}.")
    assert safety(ok) == []
    assert safety(wrong) == ["negation"]


@pytest.mark.parametrize("answer", ["I haven't.", "I wouldn't say so.", "I don't.", "Haven't noticed any."])
def test_short_denials_without_the_questions_verb(answer):
    """A probe of 30 answers x 4 questions x 18 note wordings (stop 32) found "I haven't." and "I wouldn't say
    so." to "Any chest pain?" read as saying nothing, so "Reports chest pain." passed."""
    visit = f"[doctor] Any chest pain?\n[patient] {answer}\n"
    ok, wrong = grounded(visit, "Denies chest pain.", "Reports chest pain.")
    assert safety(ok) == []
    assert safety(wrong) == ["negation"]


def test_no_reported_is_a_denial_and_i_dont_know_is_none():
    """ "No reported chest pain." was read as reporting it (after the no, "reported" started a new clause)."""
    visit = (
        "[doctor] Any chest pain?\n[patient] No.\n[doctor] Any fevers?\n[patient] I don't know, I haven't checked.\n"
    )
    assert [safety(st) for st in grounded(visit, "No reported chest pain.", "Not reported: chest pain.")] == [[], []]
    assert [safety(st) for st in grounded(visit, "Reports fevers.", "Denies fevers.")] == [[], []]


@pytest.mark.parametrize("answer", ["Mm-hmm.", "It comes and goes.", "More than I'd like."])
def test_yes_without_a_yes(answer):
    """A probe of 30 affirming answers (stop 32): "Mm-hmm." (all fillers once split), "It comes and goes." and
    "More than I'd like." said nothing, so "Denies fevers." passed."""
    visit = f"[doctor] Have you had any fevers?\n[patient] {answer}\n"
    ok, wrong = grounded(visit, "Reports fevers.", "Denies fevers.")
    assert safety(ok) == []
    assert safety(wrong) == ["negation"]


@pytest.mark.parametrize(
    ("said", "present", "absent"),
    [
        ("high blood pressure", "PMH: HTN.", "Denies HTN."),
        ("diabetes", "Hx of DM2.", "Denies DM."),
        ("a heart attack", "History of MI.", "No history of MI."),
        ("a stroke", "History of CVA.", "No history of CVA."),
        ("high cholesterol", "Hypercholesterolemia.", "Denies HLD."),
        ("kidney disease", "History of CKD.", "No history of CKD."),
        ("sleep apnea", "History of OSA.", "No history of OSA."),
    ],
)
def test_the_charts_abbreviations_of_conditions(said, present, absent):
    """A probe of 12 conditions, each had and denied, against 2 to 5 note wordings (100 checks, stop 32): 18 were
    wrong, all the chart's abbreviations (HTN, DM, MI, CVA, HLD, OSA, CKD), which named nothing; sleep apnea is a
    condition a history line speaks of. One is left (AF)."""
    had = f"[doctor] Any medical problems?\n[patient] Yes, I have {said}.\n"
    denied = f"[doctor] Do you have {said}?\n[patient] No.\n"
    assert [safety(st) for st in grounded(had, present, absent)] == [[], ["negation"]]
    assert [safety(st) for st in grounded(denied, absent, present)] == [[], ["negation"]]


def test_a_sentence_that_explains_the_question_is_asked_too():
    """MTS-Dialog dev: "Any neurological symptoms like T I A or C V A? That is slurred speech or stroke symptoms." -
    "Luckily, no." The second sentence says what the question means; it reported no stroke."""
    visit = (
        "[doctor] Any neurological symptoms like T I A or C V A? That is slurred speech or stroke symptoms.\n"
        "[patient] Luckily, no.\n"
    )
    assert [safety(st) for st in grounded(visit, "No TIA or CVA.", "History of CVA.")] == [[], ["negation"]]


TWITCH = """\
[doctor] She comes in for a new right eye twitch. Tell me about it.
[patient] It twitches a few times a day, mostly when she's tired.
[doctor] Do you have any pain when it happens?
[patient] No, it doesn't really hurt.
"""


def _flags(dialogue: str, text: str) -> list[str]:
    note = NoteDraft(sections=[Section(key="s", title="S", statements=[Statement(text=text)])])
    (st,) = ground_note(note, parse_dialogue(dialogue)).statements()
    return [i.detail for i in st.issues if i.kind == "negation" and i.severity == Severity.safety]


def test_a_site_does_not_make_a_denied_pain_present():
    """Train D2N055: "Denies right eye pain." made "Reports right eye pain." passed every check."""
    assert _flags(TWITCH, "Reports right eye pain.") == [f"'eye pain' {PRESENT_BUT_DENIED}"]
    assert _flags(TWITCH, "Denies eye pain.") == []
    # pain reported anywhere in the visit: the plain denial may be about something else
    knee = TWITCH + "[patient] My knee hurts though, ever since the fall.\n"
    assert _flags(knee, "Reports right eye pain.") == []


@pytest.mark.parametrize(
    ("clause", "negated", "affirmed"),
    [
        ("without ibuprofen i would say my pain is a three", set(), {"pain"}),  # train D2N060
        ("without medication my pain is a 7", set(), {"pain"}),
        ("walking without pain", {"pain"}, set()),
        ("without any pain my knee is fine", {"pain"}, set()),
    ],
)
def test_without_a_drug_then_a_new_subject_denies_nothing(clause, negated, affirmed):
    from scribe.grounding.assertion import negated_terms

    assert negated_terms(clause) == (negated, affirmed)


def test_an_opinion_of_smoking_is_no_report_of_it():
    """MTS-Dialog dev: "Do you smoke?" - "No, I don't. Smoking is gross." made "She does not smoke." a flag."""
    from scribe.grounding.assertion import negated_terms

    visit = "[doctor] Do you smoke?\n[patient] No, I don't. Smoking is gross.\n"
    assert _flags(visit, "She does not smoke.") == []
    assert _flags(visit, "She smokes.") != []
    assert negated_terms("the pain is bad") == (set(), {"pain"})  # said of a symptom, it reports it


def test_a_denial_of_the_day_the_visit_denies_too():
    """MTS-Dialog dev: "I have been having diarrhea ... I didn't have any diarrhea today though." backs "No diarrhea
    today." and contradicts "Diarrhea today."; an undated "No diarrhea." is still contradicted."""
    visit = (
        "[doctor] Have you experienced any diarrhea?\n"
        "[patient] Yes. I have been having diarrhea since the mouth sores started. I didn't have any diarrhea today though.\n"
    )
    assert _flags(visit, "She has had no diarrhea today, however.") == []
    assert _flags(visit, "She has had diarrhea today.") == [f"'diarrhea' {PRESENT_BUT_DENIED}"]
    assert _flags(visit, "She denies diarrhea.") == [f"'diarrhea' {ABSENT_BUT_SAID}"]


def test_a_denial_only_under_a_circumstance_named_after_it():
    """MTS-Dialog dev: "I only get short of breath when I walk up the stairs." backs "denies ... shortness of breath
    with stairs only" (the list's writer means: only with stairs); a plain denial is still contradicted."""
    from scribe.grounding.assertion import negated_terms

    visit = "[doctor] How about shortness of breath?\n[patient] I only get short of breath when I walk up the stairs.\n"
    assert _flags(visit, "He denies chest pain, shortness of breath with stairs only, or cough.") == []
    assert _flags(visit, "He denies chest pain, shortness of breath, or cough.") != []
    assert negated_terms("denies shortness of breath with stairs only, cough or palpitations")[0] == {
        "cough",
        "palpitat",
    }


def _heard(lines: list[str], text: str) -> list[str]:
    """The safety flags of ``text`` against lines as a recogniser writes them: no speakers, a question cut where
    the speaker paused, its question mark often lost."""
    note = NoteDraft(sections=[Section(key="s", title="S", statements=[Statement(text=text)])])
    (st,) = ground_note(note, parse_dialogue("\n".join(lines))).statements()
    return [i.detail for i in st.issues if i.severity == Severity.safety]


ASKED_IN_A_LIST = [
    "Okay, and I know you were endorsing the back pain, any other symptoms.",
    "chest pain, shortness of breath, abdominal pain.",
    "No.",
    "Okay, let's take a look at that back.",
]


def test_a_list_of_symptoms_cut_from_its_question_is_asked_not_reported():
    # the list is the doctor's question, the "No." its answer (ACI-Bench train D2N009, as Whisper wrote it)
    assert _heard(ASKED_IN_A_LIST, "Denies chest pain or shortness of breath.") == []
    assert _heard(ASKED_IN_A_LIST, "Reports shortness of breath.") == [f"'shortness of breath' {PRESENT_BUT_DENIED}"]
    # "any" makes a list a question whatever the answer: here the answer names one of them (D2N008)
    asked_any = [
        "Anything else that I might have missed.",
        "fever chills, any nasal congestion, sore throat, cough.",
        "I've had a little bit of nasal congestion just because of the seasons changing.",
    ]
    assert _heard(asked_any, "Denies fever, chills, or cough.") == []
    # the words that say the name again another way leave it a question (D2N002)
    again = ["Any fever or chills?", "No.", "Joint pain I mean like muscle aches.", "No."]
    assert _heard(again, "Denies muscle aches.") == []


def test_a_patients_list_of_conditions_across_lines_stays_a_report():
    # a list with no "any" and no yes or no after it goes on with what the patient was saying (MTS-Dialog dev MTS0568)
    lines = [
        "Do you have any major medical conditions that I should know about?",
        "Actually, I have a whole list of conditions.",
        "So I have congestive heart failure, chronic renal insufficiency,",
        "azotemia, hyperglycemia, coronary artery disease, and a history of atrial fibrillation.",
        "Oh, and azotemia.",
    ]
    assert _heard(lines, "History of atrial fibrillation.") == []
    assert _heard(lines, "No history of atrial fibrillation.")


def test_a_list_asking_for_anything_like_it_is_a_question_when_answered():
    # the question mark lost: "... or anything like that." - "No." (ACI-Bench train D2N040, D2N001 as Whisper wrote them)
    asked = [
        "Okay, and then any visual changes.",
        "You know wavy lines in your vision, spots in your vision or anything like that.",
        "No.",
        "Okay, good.",
    ]
    assert _heard(asked, "Denies spots in her vision.") == []
    assert _heard(asked, "Reports wavy lines in her vision.") == [f"'vision' {PRESENT_BUT_DENIED}"]
    # so is a short line asking about "any" of them (D2N001)
    any_of = [
        "Okay, good in any symptoms like chest pains, shortness of breath, any swelling in your legs",
        "No, not that I've noticed.",
    ]
    assert _heard(any_of, "Denies swelling in her legs.") == []
    assert _heard(any_of, "Reports swelling in her legs.") == [f"'swelling' {PRESENT_BUT_DENIED}"]
    # but not a long turn that states much before it asks whether there is anything else (D2N043)
    long_turn = [
        "This really is one of the best things you can do for your health, especially since you have the history"
        " of gout and type two diabetes, this is going to be a great step for your long term health, any questions",
        "No.",  # (no questions)
    ]
    assert _heard(long_turn, "History of gout.") == []
    # a statement that says no of itself, or one nobody answers, is no question
    said = ["I have had some nausea and vomiting, anything like that.", "Okay, let's look at your belly."]
    assert _heard(said, "Reports nausea and vomiting.") == []
    assert _heard(said, "Denies nausea.") == [f"'nausea' {ABSENT_BUT_SAID}"]


def test_a_denial_goes_on_into_the_line_that_opens_with_or():
    # a recogniser ends the line where the doctor paused, even with a full stop (D2N050, D2N052)
    lines = [
        "On palpation of the abdomen, there is no rebound.",
        "or guarding, and there is tenderness on the right flank.",
        "So that means there may be a stone.",
    ]
    assert _heard(lines, "No rebound or guarding.") == []
    assert _heard(lines, "Guarding on exam.") == [f"'guarding' {PRESENT_BUT_DENIED}"]
    # the rest of the line is its own: the tenderness after the list is still there
    assert _heard(lines, "Tenderness of the right flank.") == []
    # a line that does not open with "or" starts afresh
    afresh = ["On palpation of the abdomen, there is no rebound.", "Guarding is present on the right."]
    assert _heard(afresh, "Denies guarding.") != []


def test_a_question_that_goes_on_in_a_line_opening_with_or_is_answered_after_it():
    # the recogniser cut the list in two; the answer comes after both (train D2N016 as heard)
    for opening in (
        "And you know, it seems like you're doing well any symptoms at all, any nasal congestion",
        "And you know, it seems like you're doing well, any symptoms at all, any nasal congestion",
    ):
        lines = [opening, "or chest pain, shortness of breath, anything.", "No none of those I do.", "Okay, good."]
        assert _heard(lines, "Reports nasal congestion.") == [f"'congestion' {PRESENT_BUT_DENIED}"]
        assert _heard(lines, "Denies nasal congestion, chest pain or shortness of breath.") == []


def test_what_a_symptom_does_not_cause_is_denied():
    """The bundled demo's draft (stop 45): "The tightness happens when ... walking ..., and it does not cause shortness
    of breath, nausea, or sweating." The patient denied all three, and "cause" was read as a negated verb ("did not
    relieve the pain"), so the three stood as present: three false safety flags. What something does not cause is
    absent; a symptom the patient reports is still caught when the note says it is not caused."""
    denied = "[doctor] Any shortness of breath, nausea or sweating with it?\n[patient] No, none of those.\n"
    reported = "[doctor] Any shortness of breath with it?\n[patient] Yes, I get short of breath when it comes on.\n"
    statement = (
        "The knee pain happens when walking upstairs, and it does not cause shortness of breath, nausea, or sweating."
    )
    assert _negation(denied, statement) == []
    assert _negation(reported, statement) == [f"'shortness of breath' {ABSENT_BUT_SAID}"]
    # a treatment that did not relieve a symptom still leaves it present
    relieved = "[doctor] Does the ibuprofen help?\n[patient] Not really, the pain is still there.\n"
    assert _negation(relieved, "The ibuprofen did not relieve the pain.") == []
