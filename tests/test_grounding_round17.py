"""Readings found at stop 42 on the development sets' remaining negation misses (MTS-Dialog test2 and valid, ACI-Bench
train): a history the visit only ever denies, lymph nodes found normal, a "but I did" that goes on to another doing,
a dictated exam's "any pain here?", and pain on palpation of a part. Each is checked both ways: the wrong statement
is flagged, the right one is not."""

from grounded import grounded, safety


def _flags(dialogue: str, *texts: str) -> list[list[str]]:
    return [safety(st) for st in grounded(dialogue, *texts)]


ROS = (
    "[doctor] Do you feel any shortness of breath?\n[patient] No.\n"
    "[doctor] Any snoring or sleep disorder like interrupted breathing?\n[patient] Um, no.\n"
    "[doctor] Any history of asthma or lung disease?\n[patient] No.\n"
)


def test_a_history_of_a_symptom_the_visit_only_denies_is_flagged():
    # MTS-Dialog test2 MTST2-0006: the statement's evidence is the asthma line, and a history was read as the past
    listed = ", no history of asthma, no history of chronic obstructive pulmonary disease, no history of sleep apnea."
    assert _flags(
        ROS,
        f"RESPIRATORY: history of shortness of breath{listed}",
        f"RESPIRATORY: No history of shortness of breath{listed}",
    ) == [["negation"], []]
    # a past the visit gives is a history, though the symptom is denied today
    past = (
        "[doctor] Any shortness of breath now?\n[patient] No. I had shortness of breath two years ago with pneumonia.\n"
    )
    assert _flags(past, "History of shortness of breath.") == [[]]


def test_lymph_nodes_found_normal_deny_lymphadenopathy():
    dialogue = "[doctor] Is he going to the bathroom fine?\n[patient] Yes.\n[doctor] Okay. His lymph nodes look fine.\n"
    assert _flags(dialogue, "Lymphadenopathy, no urinary problems.", "No lymphadenopathy.") == [["negation"], []]
    # found abnormal: no denial
    abnormal = "[doctor] His lymph nodes are not normal, they are enlarged on the left.\n"
    assert _flags(abnormal, "Lymphadenopathy.") == [[]]


def test_a_but_i_did_that_goes_on_to_another_doing_still_denies():
    dialogue = (
        "[doctor] Did you get knocked out during the fight?\n"
        "[patient] No, I held my own, but I did get hit in the head.\n"
    )
    assert _flags(dialogue, "He reports passing out.", "He denies passing out.") == [["negation"], []]
    # "but I did" with only a when: the question's own verb taken up, no denial
    once = "[doctor] Did you ever pass out?\n[patient] No, but I did a few times last year.\n"
    assert _flags(once, "He reports passing out.") == [[]]


def test_any_pain_here_asks_about_the_part_the_dictated_exam_has_reached():
    dialogue = (
        "[doctor] Range of motion is full in the neck without pain. Exam of the low back. Any pain here?\n"
        "[patient] No.\n"
        "[patient] My hip hurts when I walk though.\n"
    )
    assert _flags(dialogue, "Today, she reports back pain.", "Today, she reports no back pain.") == [["negation"], []]
    # without the exam's part, "here" names no site: hip pain elsewhere, no back pain denied
    bare = "[doctor] Any pain here?\n[patient] No.\n[patient] My hip hurts when I walk though.\n"
    assert _flags(bare, "Today, she reports back pain.") == [[]]


def test_pain_with_palpation_of_a_part_is_that_parts_pain():
    # ACI-Bench train D2N050: the tenderness the same line gives elsewhere (over the kidney) hid the denial
    dialogue = (
        "[doctor] let me press here on your belly so on your examination of your abdomen there is no tenderness to to "
        "pain to palpation of the abdomen there is no rebound or guarding there is cva there is tenderness on the right "
        "side\n"
        "[patient] I do have some pain in my right back.\n"
    )
    assert _flags(
        dialogue,
        "Examination of the abdomen: pain with palpation of the abdomen.",
        "Examination of the abdomen: no pain with palpation of the abdomen.",
    ) == [["negation"], []]


def test_a_pain_rated_is_a_pain_there():
    """MTS-Dialog test2 MTST2-0140: "how would you rate your pain today?" - "I'd say it's minimal today" affirms the
    pain, so the reference's "Pain currently is minimal" is no negation flag after "any pain before the injury? -
    none at all"."""
    dialogue = (
        "[doctor] Did you have any pain before the injury?\n[patient] No sir, none at all.\n"
        "[doctor] Finally, how would you rate your pain today?\n[patient] Well, I'd say it's minimal today.\n"
    )
    assert _flags(dialogue, "Pain currently is minimal.") == [[]]
    # rated as none: no pain there
    none = (
        "[doctor] Did you have any pain before the injury?\n[patient] No sir, none at all.\n"
        "[doctor] How would you rate your pain today?\n[patient] Zero, it's fine.\n"
    )
    assert _flags(none, "Pain currently is minimal.") == [["negation"]]


def test_a_remark_on_what_was_asked_does_not_hedge_the_no():
    """MTS-Dialog valid MTSV0043: "Have you ever felt a shortness of breath or your throat closing up before?" -
    "Nope. That would be really scary though." The remark's "though" took the "no" back."""
    dialogue = (
        "[doctor] Have you ever felt a shortness of breath or your throat closing up before?\n"
        "[patient] Nope. That would be really scary though.\n"
    )
    assert _flags(dialogue, "He reports shortness of breath.", "He denies shortness of breath.") == [["negation"], []]
    # a "though" that goes on to tell of it still takes the "no" back
    back = (
        "[doctor] Have you ever felt a shortness of breath?\n"
        "[patient] No. That would be bad. I do get winded on the stairs sometimes though.\n"
    )
    assert _flags(back, "He reports shortness of breath.") == [[]]
