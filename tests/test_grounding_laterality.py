"""Laterality: a side written in the note is the side the visit gives to that body part, its limb, or the finding."""

from grounded import grounded, safety

from scribe.domain import NoteDraft, Section, Severity, Statement
from scribe.grounding import ground_note
from scribe.transcript_io import parse_dialogue

FOOT = """\
[doctor] So you dropped a brick on your right foot yesterday?
[patient] Yes, and it swells up when I walk on it.
[doctor] Any numbness in the toes?
[patient] No numbness.
[doctor] On exam there is bruising on the top and bottom of the foot.
"""

OTHER_ANKLE = FOOT + "[patient] My other ankle gives out sometimes, I had surgery on it years ago.\n"

FLANK = """\
[patient] I started having pain on my left back three days ago.
[doctor] On exam there is cva tenderness on the right on your flank.
"""

KNEE = """\
[doctor] What brings you in today?
[patient] I twisted my knee playing soccer on Saturday.
[doctor] Any fever or chills since then?
[patient] No.
[doctor] There is some edema and some erythema of your right knee, but your left knee looks fine.
[doctor] Your range of motion is good and the ligaments feel stable.
[doctor] We will get an x-ray and see you in two weeks.
"""


def _laterality(dialogue: str, text: str) -> list[str]:
    note = NoteDraft(sections=[Section(key="s", title="S", statements=[Statement(text=text)])])
    (st,) = ground_note(note, parse_dialogue(dialogue)).statements()
    return [i.detail for i in st.issues if i.kind == "laterality" and i.severity == Severity.safety]


def test_a_side_the_visit_gives_only_the_other_way_for_the_limb_is_flagged():
    # the visit never says "ankle" with a side, but puts the injured foot on the right
    assert _laterality(FOOT, "Swelling of the left ankle after the injury.") == [
        "the transcript gives the right side for this, not the left"
    ]
    assert _laterality(FOOT, "Swelling of the right ankle after the injury.") == []
    assert _laterality(FOOT, "Bruising of the right foot.") == []


def test_a_part_said_as_the_other_one_leaves_the_side_open():
    # "my other ankle": the note's "left ankle" is that one, not a flipped side
    assert _laterality(OTHER_ANKLE, "History of left ankle surgery.") == []


def test_a_side_said_alone_counts_for_the_part_named_next_to_it():
    assert _laterality(FLANK, "CVA tenderness at the right flank.") == []
    assert _laterality(FLANK, "Reports left-sided back pain.") == []
    assert _laterality(FLANK, "CVA tenderness at the left flank.") == [
        "the transcript gives the right side for this, not the left"
    ]


def test_the_side_of_the_same_finding_is_checked_when_both_sides_are_said():
    assert _laterality(KNEE, "Edema and erythema of the right knee.") == []
    assert _laterality(KNEE, "Edema and erythema of the left knee.") == [
        "the transcript gives the right side for this, not the left"
    ]


def test_left_hand_names_the_hand():
    dialogue = "[doctor] Any weakness?\n[patient] My left hand is weak, I keep dropping things.\n"
    assert _laterality(dialogue, "Reports left hand weakness.") == []
    assert _laterality(dialogue, "Reports right hand weakness.") != []


def test_a_comparison_of_the_sides_claims_both():
    """Train D2N037: "bilateral elbow pain, right worse than left" was flagged "the transcript gives the right
    side for this, not the left" when its evidence lines named only the right elbow."""
    visit = (
        "[patient] Actually it's both my elbows, but my right elbow is hurting me the most.\n"
        "[doctor] How long has this been going on?\n[patient] About a year and a half.\n"
    )
    comparison, flipped = grounded(
        visit, "Bilateral elbow pain, right worse than left.", "Left elbow pain worse than the right.", evidence=[0]
    )
    assert safety(comparison) == []
    assert "laterality" in safety(flipped)


def test_a_side_for_a_diagnosis_is_held_against_the_only_side_the_visit_names():
    """Train D2N031: the visit speaks only of the right breast; "history of left DCIS" names no body part the
    visit gives a side, but the one side the visit gives anything is the right."""
    visit = (
        "[doctor] you had a right breast lumpectomy last year , is that right ?\n"
        "[doctor] there is skin thickening of the right breast which may be radiation changes .\n"
    )
    left, right = grounded(visit, "History of left DCIS.", "History of right DCIS.")
    assert safety(left) == ["laterality"] and safety(right) == []


def test_a_side_where_the_visit_names_none_is_a_hint_to_check_against_the_exam():
    """Train D2N057 never says left or right: "right great toe" came from the exam. The side cannot be checked
    against speech, so it is a quiet review hint, not a safety flag (which would block a correct note)."""
    visit = "[patient] my big toe hurts at night when the sheet touches it .\n[doctor] yeah right there on the outside of it\n"
    (st,) = grounded(visit, "Pain of the right great toe, worse at night.")
    assert safety(st) == []
    assert [(i.kind, i.severity) for i in st.issues if i.kind == "side"] == [("side", Severity.review)]


ANKLES = """\
[doctor] Let me look at your legs. You have mild swelling in your left ankle.
[doctor] Your right ankle looks normal.
[patient] I know, the left ankle gets a little puffy in the evenings, for about a week now.
[doctor] Your lungs are clear and your heart sounds normal.
[doctor] The ankle swelling is mild, and we will keep it raised on a pillow.
"""


def test_a_finding_on_a_side_the_visit_calls_normal_is_flagged():
    # the bundled sample's demo note: "Swelling in the left ankle; swelling in the right ankle" passed,
    # because the statement's lines name both ankles; the visit called the right one normal
    listed = "Musculoskeletal: Swelling in the left ankle; swelling in the right ankle; no muscle pain."
    assert _laterality(ANKLES, listed) == ["the transcript calls the right side normal, not what this says of it"]
    assert _laterality(ANKLES, "Swelling in the right ankle.") != []
    # the left ankle's swelling, the right ankle as normal, and a finding the visit gives that side pass
    assert _laterality(ANKLES, "Musculoskeletal: Swelling in the left ankle; no muscle pain.") == []
    assert _laterality(ANKLES, "Swelling in the left ankle; right ankle normal.") == []
    both = ANKLES + "[doctor] There is a small bruise on the right ankle too.\n"
    assert _laterality(both, "Bruise on the right ankle.") == []


def test_handedness_is_held_against_the_hand_used_and_the_verb_left_is_no_side():
    """MTS-Dialog dev: "right-handed" is no side of the injured hand, "has left the nursing home" no left side; the
    hand the patient writes with, said or answered ("right or left handed?" - "right"), is checked as itself."""
    visit = (
        "[doctor] Are you right or left hand dominant?\n"
        "[patient] Right.\n"
        "[doctor] And it's your left hand that you hurt?\n"
        "[patient] Yes, my left hand. I left the nursing home last week.\n"
    )
    right = ("She is right-hand dominant.", "She hurt her left hand.", "She has left the nursing home.")
    assert [safety(st) for st in grounded(visit, *right)] == [[], [], []]
    assert [safety(st) for st in grounded(visit, "She is left-hand dominant.")] == [["laterality"]]
    said = "[doctor] Which hand do you write with?\n[patient] I write with my right hand.\n"
    assert [safety(st) for st in grounded(said, "A 44-year-old left-handed mechanic.")] == [["laterality"]]
    assert [safety(st) for st in grounded(said, "A 44-year-old right-handed mechanic.")] == [[]]


def test_the_charts_r_and_l_and_a_part_said_before_its_side():
    """A probe of 10 ways to say a side against 8 ways to write it (stop 32): "R knee pain." passed where the left
    knee was said, and so did every right-knee note after "I hurt the knee on my left side"."""
    for said in ("My left knee hurts.", "I hurt the knee on my left side."):
        visit = f"[doctor] Which knee is it?\n[patient] {said}\n"
        right = ("Left knee pain.", "L knee pain.", "Lt knee pain.")
        wrong = ("R knee pain.", "Rt. knee pain.", "Right knee pain.")
        assert [safety(st) for st in grounded(visit, *right)] == [[], [], []], said
        assert [safety(st) for st in grounded(visit, *wrong)] == [["laterality"]] * 3, said
