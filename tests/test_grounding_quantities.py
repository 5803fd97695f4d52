"""Quantities: a dose or number is checked against what the visit says for the same drug or the same thing."""

from functools import partial

from grounded import grounded, safety

from scribe.domain import NoteDraft, Section, Severity, Statement
from scribe.grounding import ground_note
from scribe.transcript_io import parse_dialogue

VISIT = """\
[doctor] How old are you now?
[patient] I'm seventy two.
[doctor] You're on lisinopril twenty milligrams for the blood pressure, right?
[patient] Yes, every morning.
[doctor] Your heart rate was sixty eight and your temperature ninety eight point seven.
[doctor] Your blood pressure is still high, so let's increase the lisinopril from twenty to forty milligrams.
[doctor] And metformin five hundred milligrams twice a day stays the same.
"""


def _safety(*texts: str) -> list[list[str]]:
    note = NoteDraft(sections=[Section(key="s", title="S", statements=[Statement(text=t) for t in texts])])
    return [
        [i.detail for i in st.issues if i.severity == Severity.safety]
        for st in ground_note(note, parse_dialogue(VISIT)).statements()
    ]


def test_correct_doses_and_numbers_in_other_words_are_not_flagged():
    assert _safety(
        "Takes lisinopril 20 mg daily.",
        "Increase lisinopril from 20 mg to 40 mg.",
        "Heart rate 68, temperature 98.7.",  # spoken decimal: "ninety eight point seven"
        "72-year-old male.",
        "Metformin 500 mg twice daily, unchanged.",
    ) == [[], [], [], [], []]


def test_a_dose_said_for_another_drug_is_flagged_with_what_was_said():
    # 40 mg is said in the visit, but for lisinopril: the message gives metformin's own dose
    assert _safety("Metformin 40 mg twice daily.") == [["dose 40 mg of metformin is not what was said: 500 mg"]]
    assert _safety("Metformin 1000 mg twice daily.") == [["dose 1000 mg of metformin is not stated in the transcript"]]


def test_a_number_said_for_something_else_is_flagged_with_what_was_said():
    # 72 is said in the visit (the age), not as the heart rate
    assert _safety("Heart rate 72.") == [["72 (heart rate) is not what was said: 68"]]


def test_the_steps_of_a_dose_change_are_read_from_a_range_said_in_one_breath():
    # the visit says "increase the lisinopril from twenty to forty milligrams": 20 is the old dose, 40 the new one
    assert _safety("Increase lisinopril from 40 mg to 20 mg.") == [
        [
            "dose 40 mg of lisinopril is the new dose in the visit; the dose before the change was 20 mg",
            "dose 20 mg of lisinopril is the dose before the change in the visit; the new dose is 40 mg",
        ]
    ]
    assert _safety("Lisinopril increased to 40 mg.", "Lisinopril increased from 20 mg to 40 mg.") == [[], []]


def test_an_instruction_gives_the_new_dose_and_a_history_the_dose_taken_now():
    assert _safety("Take lisinopril 40 mg once a day.") == [[]]  # what the patient is to take from now on
    assert _safety("Takes lisinopril 40 mg daily.") == [
        ["dose 40 mg of lisinopril is the new dose in the visit; the dose before the change was 20 mg"]
    ]


def _safety_in(visit: str, *texts: str) -> list[list[str]]:
    return [safety(st) for st in grounded(visit, *texts)]


def _details(visit: str, text: str) -> list[str]:
    """What the safety flags of one statement say."""
    (st,) = grounded(visit, text)
    return [i.detail for i in st.issues if i.severity == Severity.safety]


def test_a_duration_is_checked_against_durations_not_dates_scores_or_counts():
    """Train D2N028 and D2N062: a number said in a date of birth, in "three to four times a week" or in "a grade
    two murmur" does not back a duration of that number."""
    visit = (
        "[doctor] Patrick Allen, date of birth 7/7/1977, here for abdominal pain.\n"
        "[patient] It's been worse the past couple months. I go about three to four times a week.\n"
        "[doctor] I hear a grade two murmur, nothing new. I want to see you again next week for the endoscopy.\n"
    )
    assert _safety_in(
        visit,
        "The pain has been worse in the past 2 months.",
        "Bowel movements 3 to 4 times a week.",
        "Follow up in 1 week for the endoscopy.",
        "Return to clinic in 7 weeks.",
        "The pain has been worse in the past 3 months.",
        "Follow up in 2 weeks for the endoscopy.",
    ) == [[], [], [], ["number"], ["number"], ["number"]]


def test_an_age_the_visit_never_gives_is_a_hint_and_a_wrong_age_is_a_safety_flag():
    """An age nobody said came from the chart (20 of train's 67 reference notes open with one): a review hint to
    check it, as a date is. Where the visit gives an age, another one is still a safety flag."""
    no_age = "[doctor] What brings you in?\n[patient] My right knee has been sore for a week.\n"
    (st,) = grounded(no_age, "A 43-year-old female with knee pain.")
    assert [(i.kind, i.severity) for i in st.issues if i.kind in ("age", "number")] == [("age", Severity.review)]
    # the visit gives an age (VISIT: "I'm seventy two"): the note's other age is a safety flag, the right one passes
    assert _safety_in(VISIT, "62-year-old male.", "72 y.o. male.", "Patient is 72 years of age.") == [
        ["number"],
        [],
        [],
    ]


def test_one_that_counts_nothing_is_not_a_number():
    """ "Her heartburn was severe at one point" states no number 1 (a flag on a correct sentence before)."""
    visit = "[patient] The heartburn got bad for a while, so I took Prilosec.\n"
    assert _safety_in(visit, "Her heartburn was severe at one point.", "No one else at home is sick.") == [[], []]
    assert _safety_in(visit, "She took one tablet of Prilosec.") == [["dose"]]  # a count still is


def test_numbers_said_the_way_people_say_them():
    """Train reference notes flagged for numbers said in other words: "point five centimeters" (0.5 cm), "a year and
    a half" (1.5 years), "a pack and a half a day", "in the sixties" (60s), "the second metatarsal" (2nd)."""
    visit = (
        "[doctor] The CT shows a stone measuring point five centimeters.\n"
        "[patient] It started about a year and a half ago. I smoke a pack and a half a day.\n"
        "[doctor] Your heart rate is nice and slow, in the sixties.\n"
        "[doctor] There is tenderness over the first and second metatarsals.\n"
    )
    assert _safety_in(
        visit,
        "A 0.5 cm stone.",
        "Symptoms for 1.5 years.",
        "Smokes 1.5 packs per day.",
        "Heart rate: 60s.",
        "Tenderness of the 1st and 2nd metatarsals.",
    ) == [[], [], [], [], []]
    assert _safety_in(
        visit, "A 5 cm stone.", "Symptoms for 2.5 years.", "Heart rate: 80s.", "Tenderness of the 3rd metatarsal."
    ) == [["number"], ["number"], ["number"], ["number"]]


def test_the_hour_of_a_clock_time_and_the_scale_of_a_score_need_not_be_said():
    """Train D2N026 ("two o'clock in the morning" charted "2:00 am"), D2N060 ("I would say my pain is a three" charted "3/10")
    and D2N058 ("a three out of six six systolic ejection murmur"): the minutes ":00" and the scale "/10", "/6" are
    the chart's notation. The hour and the score are still checked."""
    visit = (
        "[patient] I woke up about two o'clock in the morning and it was hurting.\n"
        "[patient] Right now I would say my pain is a three.\n"
        "[doctor] There is a three out of six six systolic ejection murmur.\n"
    )
    assert _safety_in(visit, "He woke around 2:00 am with pain.", "Pain 3/10.", "Grade 3/6 systolic murmur.") == [
        [],
        [],
        [],
    ]
    assert _safety_in(visit, "He woke around 4:00 am with pain.", "Pain 5/10.", "Grade 4/6 systolic murmur.") == [
        ["number"],
        ["number"],
        ["number"],
    ]


def test_a_number_said_twice_in_a_row_is_one_number_said_twice():
    """Train D2N066: "naprosyn five hundred five hundred milligrams" was read as 50500 mg, and the correct "Naprosyn
    500 mg" got a dose flag."""
    from scribe.textnorm import words_to_numbers

    assert words_to_numbers("five hundred five hundred milligrams") == "500 500 milligrams"
    assert words_to_numbers("three out of six six") == "3 out of 6 6"
    assert words_to_numbers("twenty twenty") == "2020"  # a year, not a repeat
    assert words_to_numbers("two thousand five hundred") == "2500"
    visit = "[doctor] let's start you on some naprosyn five hundred five hundred milligrams twice a day .\n"
    assert _safety_in(visit, "Start Naprosyn 500 mg twice a day.", "Start Naprosyn 250 mg twice a day.") == [
        [],
        ["dose"],
    ]


def test_two_digit_words_in_a_row_are_a_range_and_a_couple_is_two():
    """Train D2N051 ("six eight weeks maybe" had read as 68 weeks), D2N060 ("since i was like four five"), D2N048 ("a
    couple days ago") and D2N014 ("after about a half an hour"): each flagged a correct reference sentence."""
    from scribe.textnorm import words_to_numbers

    assert words_to_numbers("six eight weeks") == "6 to 8 weeks"
    assert words_to_numbers("two three times a day") == "2 to 3 times a day"
    # readings stay one number: a blood pressure, a digit run, a year, a temperature's tens and units
    assert words_to_numbers("one forty eight over ninety two") == "148 over 92"
    assert words_to_numbers("one twenty") == "120"
    assert words_to_numbers("nineteen ninety nine") == "1999"
    assert words_to_numbers("ninety eight") == "98"
    visit = (
        "[patient] The ulcer has been there like six or so weeks.\n[doctor] Six eight weeks maybe.\n"
        "[patient] This happened about a couple days ago, after about a half an hour of tennis.\n"
    )
    assert _safety_in(visit, "Ulcer present for 6 to 8 weeks.", "Onset 2 days ago, after 30 minutes of tennis.") == [
        [],
        [],
    ]
    assert _safety_in(visit, "Ulcer present for 68 weeks.", "Onset 3 days ago.", "After 40 minutes of tennis.") == [
        ["number"],
        ["number"],
        ["number"],
    ]


def test_a_chart_detail_the_visit_never_gives_is_a_hint_and_the_exam_phrase_all_4_quadrants_needs_no_count():
    """Train D2N033 ("Type 2 diabetes" where the visit says "your diabetes"), D2N005 and D2N067 ("X-rays, 3 views"
    where nobody counts views) and D2N044 ("Bowel sounds normal in all 4 quadrants"): the type and the views came
    from the chart and the imaging report, a review hint like an age nobody said; where the visit gives the type,
    another one is still a safety flag."""
    untyped = (
        "[doctor] We're treating your diabetes with metformin, and I looked at your hand x-rays.\n"
        "[doctor] Your bowel sounds are normal.\n"
    )
    statements = grounded(
        untyped, "Type 2 diabetes.", "X-rays of the right hand, 3 views.", "Bowel sounds normal in all 4 quadrants."
    )
    assert [[(i.kind, i.severity) for i in st.issues if i.kind in ("chart", "number")] for st in statements] == [
        [("chart", Severity.review)],
        [("chart", Severity.review)],
        [],
    ]
    typed = "[doctor] Your type one diabetes is well controlled on insulin.\n"
    assert _safety_in(typed, "Type 2 diabetes, well controlled.", "Type 1 diabetes, well controlled.") == [
        ["number"],
        [],
    ]


def test_a_number_of_days_said_elsewhere_for_something_else_is_flagged():
    """Train D2N064 and D2N035: "3 days ago" where the visit said "a couple days" and three only about the exam,
    "gains 3 pounds in 5 days" where it said two days. "days" (plural) was not read as the unit "day", so a
    number said bare nearby passed; a range said value by value ("four five six seven days") is in days too.
    Here three is said only in pounds, five only about the exam."""
    visit = (
        "[patient] I stepped off the curb and the pain has been killing me for a couple days now.\n"
        "[doctor] I'll check five things on your exam. You should feel better over the first six seven eight"
        " days. Call me if you gain three pounds in two days.\n"
    )
    right = (
        "The pain began 2 days ago.",
        "Improvement expected over the next 6 to 8 days.",
        "Call if she gains 3 pounds in 2 days.",
    )
    wrong = ("The pain began 3 days ago.", "Call if she gains 3 pounds in 5 days.")
    assert _safety_in(visit, *right) == [[], [], []]
    assert _safety_in(visit, *wrong) == [["number"], ["number"]]


def test_the_same_quantity_written_in_another_unit_or_notation_is_not_flagged():
    """A note converts what was said: two weeks are 14 days, a thousand milligrams 1 g, half a pack 0.5 or 1/2 a
    pack, "a hundred and twenty over eighty" 120/80, "every six hours" q6h. None of those is a number nobody said;
    another value in the converted unit still is."""
    visit = (
        "[patient] It started about two weeks ago, and the cough a week and a half ago.\n"
        "[patient] I smoke half a pack a day.\n"
        "[doctor] Your blood pressure is a hundred and twenty over eighty.\n"
        "[doctor] Take tylenol, a thousand milligrams every six hours, for the pain.\n"
        "[doctor] Let's see you back in a month.\n"
    )
    texts = [
        "Symptoms started 14 days ago.",
        "The cough started 10 days ago.",
        "She smokes 0.5 packs per day.",
        "She smokes 1/2 pack per day.",
        "Blood pressure 120/80.",
        "Tylenol 1 g q6h for the pain.",
        "Tylenol 1000 mg q.6h for the pain.",
        "Follow up in 4 weeks.",
    ]
    assert [safety(st) for st in grounded(visit, *texts)] == [[]] * len(texts)
    wrong = grounded(
        visit,
        "Symptoms started 15 days ago.",
        "She smokes 3 packs per day.",
        "Blood pressure 100/80.",
        "Tylenol 2 g for the pain.",
        "Follow up in 8 weeks.",
        "Follow up in 5 weeks.",  # MTS-Dialog dev MTS0900: "a month" is 4 to 4.4 weeks, not 5
        "The cough started 12 days ago.",
    )
    assert all(safety(st) for st in wrong), [safety(st) for st in wrong]


def test_a_day_of_a_month_a_scale_and_a_lab_unit_say_no_other_number():
    """Train D2N027 and D2N049. "It was September 9th" says no "9 years post-op"; "a grade two out of six
    murmur" says no "6 times per week"; and a lab value written with its unit ("166 IU/L") is checked against
    the value said for the same test, bare as speech says it ("ldl of 166", "elevation at 156"), not as a dose."""
    visit = (
        "[patient] It was September 9th, 2019, because I'm eight years out from surgery.\n"
        "[doctor] Your LDL was 166. The most recent CMP showed elevation at 156 of your alkaline phosphatase.\n"
        "[doctor] Check your blood pressure at home three times a week.\n"
        "[doctor] On your heart exam I hear a grade two out of six systolic ejection murmur.\n"
    )
    right = (
        "He is now 8 years post-op; surgery on September 9th, 2019.",
        "Most recent CMP showed alkaline phosphatase elevation at 156 IU/L.",
        "LDL 166 mg/dL.",
        "Home blood pressure monitoring 3 times per week.",
        "Grade 2/6 systolic ejection murmur.",
    )
    wrong = (
        "He is now 9 years post-op.",
        "Most recent CMP showed alkaline phosphatase elevation at 166 IU/L.",
        "LDL 175 mg/dL.",
        "Home blood pressure monitoring 6 times per week.",
    )
    assert [safety(st) for st in grounded(visit, *right)] == [[]] * len(right)
    assert [safety(st) for st in grounded(visit, *wrong)] == [["number"]] * len(wrong)


def test_chart_notation_from_other_writers_says_no_number_nobody_said():
    """Found on MTS-Dialog's development rows (other clinicians' notes): an age answered to "how old are you?"
    backs "a 64-year-old"; "1-1/2 packs" is one and a half; a list's "1." and the "2." a splitter leaves behind,
    a month and year ("9/03"), a decade ("the 1940s"), a scale's ends ("0 to 10") and a "ten-system review" are
    notation, not numbers anybody says; "my sister" is one sister. A number changed is still flagged."""
    visit = (
        "[doctor] How old are you now?\n"
        "[patient] I'm sixty four.\n"
        "[doctor] Do you smoke?\n"
        "[patient] About a pack and a half a day.\n"
        "[doctor] Any heart disease in the family?\n"
        "[patient] My sister had a bypass two years ago.\n"
        "[doctor] On a scale of zero to ten, how bad is the pain?\n"
        "[patient] A seven.\n"
        "[patient] I had my appendix out as a kid, and a lymph node biopsy in September of oh three.\n"
    )
    right = (
        "The patient is a 64-year-old female.",
        "She smokes 1-1/2 packs of cigarettes a day.",
        "1. Tobacco use.",
        "Family history of heart disease. 2.",
        "He has one sister who had a bypass two years ago.",
        "Pain 7/10 on a pain scale of 0 to 10, 10 being the worst.",
        "Ten-system review otherwise negative.",
    )
    wrong = (
        "The patient is a 46-year-old female.",
        "She smokes 2-1/2 packs of cigarettes a day.",
        "He has three sisters who had a bypass two years ago.",
    )
    assert [safety(st) for st in grounded(visit, *right)] == [[]] * len(right)
    assert [safety(st) for st in grounded(visit, *wrong)] == [["number"]] * len(wrong)
    # the patient's answered age backs "a 3-year-old", not an age at something else
    toddler = (
        "[doctor] How old is she?\n[patient] She is three years old now.\n"
        "[doctor] Any problems with the pregnancy?\n[patient] No, it was a normal delivery.\n"
        "[doctor] She was eight pounds at birth?\n[patient] Yes.\n"
        "[doctor] And her milestones?\n"
        "[patient] She did not walk until well after two years old. She only rolled from side to side at two.\n"
    )
    rolled = (
        "A 3-year-old girl.",
        "Rolled side to side at age 2, but did not walk.",
        "Rolled side to side at age 3, but did not walk.",
    )
    assert [safety(st) for st in grounded(toddler, *rolled)] == [[], [], ["number"]]
    # "once again" is no count of one
    assert [safety(st) for st in grounded(visit, "Her pain once again is a 7/10.")] == [[]]
    # a date nobody said in those digits is a review hint, never a safety flag
    (biopsy,) = grounded(visit, "Lymph node biopsy (9/03); appendectomy in the 1940s.")
    assert safety(biopsy) == []


def test_both_ends_of_a_dose_range_between_two_values_are_doses():
    """MTS-Dialog dev: "between 10 and 25 mg per week" read 10 as a bare number, said elsewhere ("ten years")."""
    visit = (
        "[patient] I have been on methotrexate for ten years now.\n"
        "[patient] I take about twenty or twenty five milligrams per week.\n"
    )
    right, wrong = grounded(
        visit,
        "Her methotrexate dose has varied between 20 and 25 mg per week.",
        "Her methotrexate dose has varied between 10 and 25 mg per week.",
    )
    assert safety(right) == []
    assert safety(wrong) == ["dose"]


def test_a_number_the_visit_gives_another_relative_is_flagged():
    """MTS-Dialog dev: "Mother died of MI, age 80" where the mother was seventy and the father around eighty."""
    visit = (
        "[doctor] Tell me about your family.\n"
        "[patient] My mother died of a heart attack. She was seventy years old. My father died of prostate cancer; "
        "it was slow. He was around eighty. My brother died around seventy four.\n"
    )
    stated = ("Mother died of MI, age 70.", "Father died of prostate cancer, age 80.", "Mother died of MI, age 80.")
    assert [safety(st) for st in grounded(visit, *stated)] == [[], [], ["number"]]
    (wrong,) = grounded(visit, "Father died of prostate cancer, age 74.")
    assert [i.detail for i in wrong.issues if i.kind == "number"] == ["74 is said of the brother, not the father (80)"]


def test_a_drugs_times_a_day_must_be_what_the_visit_gives_it():
    """A probe of 46 medication and allergy statements (stop 32) found "Metformin 500 mg daily." passing where the
    patient said "five hundred twice a day": the milligrams were checked, the times a day were not."""
    visit = (
        "[doctor] What do you take?\n"
        "[patient] Metformin, five hundred twice a day.\n"
        "[doctor] And how often do you take the atorvastatin?\n"
        "[patient] Every night.\n"
    )
    right = ("Metformin 500 mg BID.", "Metformin 500 mg twice daily.", "Atorvastatin nightly.", "Atorvastatin QHS.")
    assert [safety(st) for st in grounded(visit, *right)] == [[]] * len(right)
    wrong = grounded(visit, "Metformin 500 mg three times a day.", "Metformin 500 mg q6h.")
    assert [[i.detail for i in st.issues if i.kind == "dose"] for st in wrong] == [
        ["metformin 3 times a day is not what was said: 2 times a day"],
        ["metformin 4 times a day is not what was said: 2 times a day"],
    ]
    # a frequency the visit says of something else (twice a day, of the metformin) is a review hint for another drug
    (bid,) = grounded(visit, "Atorvastatin BID.")
    assert safety(bid) == [] and [i.kind for i in bid.issues] == ["frequency"]
    # "one in the morning and one at night" is twice a day
    night = "[patient] I take the metformin, five hundred in the morning and five hundred in the evening.\n"
    assert [safety(st) for st in grounded(night, "Metformin 500 mg BID.", "Metformin 500 mg nightly.")] == [
        [],
        ["dose"],
    ]
    # as needed is no frequency
    assert safety(grounded(visit, "Metformin 500 mg as needed.")[0]) == []


def test_a_drugs_times_a_day_end_with_its_sentence():
    """The words read for a drug's frequency ran past a full stop (``tokens()`` keeps none): "Continue metformin.
    Check your sugar every morning." gave the metformin once a day, against the visit's twice."""
    visit = "[patient] Metformin, five hundred twice a day.\n[doctor] Good. Check your sugar every morning. Okay?\n"
    stated = ("Continue metformin. Check blood sugar every morning.", "Continue metformin every morning.")
    assert [[i.kind for i in st.issues] for st in grounded(visit, *stated)] == [[], ["frequency"]]
    # "p.o. b.i.d." is no sentence's end
    assert safety(grounded(visit, "Metformin 500 mg p.o. b.i.d. with meals.")[0]) == []
    # speech is read across its full stops: a frequency is often said as a fragment of its own
    split = "[patient] I take the metformin. Twice a day, five hundred.\n"
    assert [safety(st) for st in grounded(split, "Metformin 500 mg BID.", "Metformin 500 mg daily.")] == [[], ["dose"]]


def test_a_score_answering_what_the_pain_level_is():
    """Train D2N060: "pain rated as 7-8/10" made "14-8/10" (14 the respiratory rate) passed: "what your pain level
    is" was not read as a scale question, so the answers were no scores."""
    visit = """\
[doctor] So without any ibuprofen, can you tell me what your pain level is?
[patient] Without ibuprofen I would say my pain is a three.
[doctor] Okay, and with your ibuprofen?
[patient] Like a seven, eight.
[doctor] Your respiratory rate was fourteen and your heart rate fifty eight.
"""

    flags = partial(_details, visit)

    assert flags("Her pain is rated as 3/10 without medication.") == []
    # a later question about the lowest pain asks for a score on the same scale (MTS-Dialog dev)
    later = visit + "[doctor] What's the lowest pain you've ever felt?\n[patient] I think it was a two.\n"
    note = NoteDraft(sections=[Section(key="s", title="S", statements=[Statement(text="Least pain 2/10.")])])
    (st,) = ground_note(note, parse_dialogue(later)).statements()
    assert [i.detail for i in st.issues if i.severity == Severity.safety] == []
    assert flags("Her pain is rated as 7-8/10.") == []
    (detail,) = flags("Her pain is rated as 14-8/10.")
    assert detail.startswith("a score of 14 out of 10 is not what was said")


def test_once_every_and_a_dated_visit_are_no_numbers_to_find():
    """MTS-Dialog dev: "once every 4 to 8 weeks" where the visit says "every four to eight weeks" (no "once" to
    find), and "seen in our clinic on 04/12/05" read as a score out of 05."""
    visit = """\
[doctor] How often do you see the specialist?
[patient] Every four to eight weeks.
[doctor] When did the back pain come back?
[patient] In April. It's about six out of ten now.
"""

    flags = partial(_details, visit)

    assert flags("He sees the specialist once every 4 to 8 weeks.") == []
    assert flags("He sees the specialist once every 3 to 8 weeks.") != []
    # "once daily" is still read as how often: where the visit never says it, the chart is to be checked
    note = NoteDraft(
        sections=[Section(key="s", title="S", statements=[Statement(text="He sees the specialist once daily.")])]
    )
    (st,) = ground_note(note, parse_dialogue(visit)).statements()
    assert "1 times a day is not said in the visit: check it against the chart" in [i.detail for i in st.issues]
    assert flags("His back pain came back and he was seen in our clinic on 04/12/05.") == []


def test_how_long_a_symptom_lasted_when_the_question_says_that_feeling():
    """MTS-Dialog dev: "Any lightheadedness?" - "Yeah." - "How long have you had that feeling?" - "About two days."
    and "three days" said of the bowels: "lightheadedness ... for 3 days prior to presentation" is a duration said of
    something else, however far the number is written from the symptom."""
    visit = """\
[doctor] Good morning. What brings you in today?
[patient] I have had this weird feeling in both of my legs for a while.
[doctor] Any weakness in your legs?
[patient] Yes, I'm having trouble walking and going up and down stairs.
[doctor] Have you had any loss of bowel control?
[patient] No, but I haven't had a bowel movement in about three days.
[doctor] Any back or neck pain?
[patient] No, nothing there.
[doctor] When did you start using the cane?
[patient] A while back, I'm not sure exactly.
[doctor] Are you able to stand without it?
[patient] No, I'm not.
[doctor] And how would you describe your leg symptoms?
[patient] It feels cold, and numb from my trunk down.
[doctor] Any shortness of breath?
[patient] I've had it chronically, but I think it's getting worse.
[doctor] Any fevers or chills?
[patient] No.
[doctor] Have you had any lightheadedness or feelings of faint?
[patient] Um, yeah, when I try to stand up.
[doctor] How long have you had that feeling?
[patient] I've had it for about two days now.
"""

    flags = partial(_details, visit)

    said = "He has had lightheadedness upon standing more readily than usual for {} days prior to presentation."
    assert flags(said.format(2)) == []
    (detail,) = flags(said.format(3))
    assert detail.endswith("is not what was said: 2 day")
    assert flags("No bowel movement for 3 days.") == []


def test_a_number_said_only_as_a_length_of_time_backs_no_bare_value():
    """Train D2N004 and D2N022, where every number the visit said sat in one long turn: "A1c of 10" was taken as said
    because "I had surgery about 10 years ago" was two lines from its evidence, and "a minimum of 3 injections"
    because "three to five days" was in the same turn."""
    visit = """\
[doctor] Any surgeries in the past?
[patient] I actually had surgery about ten years ago on my lower back.
[doctor] Your hemoglobin A1c came back at eight, which is high.
[doctor] We'll try two injections first. After the shot it takes three to five days to feel better.
[doctor] My mother is eighty years old and she had the same.
[patient] I work nights, from ten at night to seven in the morning.
[doctor] You'll be in the brace for twenty five more days.
"""

    flags = partial(_details, visit)

    assert flags("Hemoglobin A1c elevated at 8.") == []
    assert flags("Hemoglobin A1c elevated at 25.") == ["the number 25 is said in the visit only as 25 days"]
    assert flags("I recommend a minimum of 2 injections before surgery.") == []
    assert flags("I recommend a minimum of 3 injections before surgery.") == [
        "the number 3 is said in the visit only as 3 days"
    ]
    # an age is a number of years, a time of day no length of time; "25 more days" is 25 days
    assert flags("His mother is age 80.") == []
    assert flags("She works from 10 p.m. to 7 a.m.") == []  # "night to seven" reads as "a week or two" would
    assert flags("Brace for 25 more days.") == []
    assert flags("Hemoglobin A1c elevated at 5.") == ["the number 5 is said in the visit only as 5 days"]


def test_a_percentage_or_a_heart_rate_in_beats_is_read_with_its_unit():
    """Train D2N008, D2N039: "ejection fraction of 49%" passed where 49 is the age ("a 49-year-old female"), and
    "HR: 98 bpm" where 98 is the oxygen saturation ("ninety eight percent"): "%" and "bpm" were no units."""
    visit = """\
[doctor] So Stephanie is a forty nine year old female with heart failure.
[doctor] Your echo shows your ejection fraction is forty five percent.
[doctor] Your heart rate is eighty eight and your oxygen is ninety eight percent.
"""

    flags = partial(_details, visit)

    assert flags("Ejection fraction of 45%.") == []
    assert flags("Ejection fraction of 49%.") != []
    assert flags("HR: 88 bpm. SpO2 98%.") == []
    assert flags("HR: 98 bpm.") != []


def test_hr_is_a_heart_rate_not_hours():
    """The UI's omission-panel test: "BP 148/92, HR 84" read "92 hr" as 92 hours once "hr" was a unit of time."""
    visit = "[doctor] Your blood pressure is one forty eight over ninety two and your heart rate is eighty four.\n"
    assert _details(visit, "BP 148/92, HR 84.") == []


def test_days_count_as_times_a_week_only_where_they_are_said_a_week():
    """Train D2N049: "home blood pressure monitoring 4 times per week" passed on "usually about three four days to pass
    it" (a kidney stone): four days were counted as four times a week because the statement is weekly."""
    visit = """\
[patient] Usually about three four days to pass it.
[doctor] Keep checking your blood pressure at home three times a week.
[patient] I walk five days a week.
"""

    flags = partial(_details, visit)

    assert flags("Continue home blood pressure monitoring 3 times per week.") == []
    assert flags("Continue home blood pressure monitoring 4 times per week.") != []
    assert flags("He walks 5 times per week.") == []  # five days a week is five times a week
