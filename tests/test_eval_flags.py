"""The flag benchmark itself: reference sentences, injected errors of each type, and the counts."""

from scribe.eval.aci import AciEncounter
from scribe.eval.flags import reference_sentences, run

DIALOGUE = """\
[doctor] What brings you in?
[patient] My right knee has been swollen and sore for about four days.
[doctor] Any fever or chills?
[patient] No.
[doctor] What do you take?
[patient] Lisinopril ten milligrams every morning.
[doctor] Any allergies?
[patient] Penicillin, it gave me hives.
[doctor] Your blood pressure is one thirty two over eighty. The right knee has a small effusion.
"""
NOTE = """CHIEF COMPLAINT

Right knee pain.

HISTORY OF PRESENT ILLNESS

Right knee swelling and soreness for 4 days. Denies fever or chills. Takes lisinopril 10 mg daily.

PHYSICAL EXAM

Blood pressure 132/80. Small right knee effusion.
"""


def test_headings_are_not_sentences():
    assert reference_sentences(NOTE) == [
        "Right knee pain.",
        "Right knee swelling and soreness for 4 days.",
        "Denies fever or chills.",
        "Takes lisinopril 10 mg daily.",
        "Blood pressure 132/80.",
        "Small right knee effusion.",
    ]


def test_every_error_type_is_injected_and_a_correct_note_is_not_flagged():
    report = run([AciEncounter("T1", "test", DIALOGUE, NOTE)])
    assert report["sentences"] == 6 and report["safety_flagged"] == 0, report["false_alarms"]
    catch = report["catch"]
    for kind in ("drug", "dose", "number", "laterality", "negation_present", "finding", "allergy"):
        assert catch[kind]["injected"] >= 1, kind
        assert catch[kind]["caught"] == catch[kind]["injected"], (kind, catch[kind]["missed"])
    # each injection says whether its new value was said elsewhere in the visit
    split = [k for k in catch if k.startswith("dose (")]
    assert sum(catch[k]["injected"] for k in split) == catch["dose"]["injected"]


def test_a_side_the_visit_never_gives_is_reported_on_its_own_line():
    # the visit names the thumb but no side for it or its arm: the note's "right" came from the exam, and its
    # flip cannot be caught from the transcript; the knee's side is said, so its flip counts as said in the visit
    dialogue = DIALOGUE + "[patient] And my thumb has been red and sore at night.\n"
    note = NOTE + "\nRedness of the right thumb.\n"
    catch = run([AciEncounter("T2", "test", dialogue, note)])["catch"]
    never, said = catch["laterality (side never said)"], catch["laterality (side said in the visit)"]
    assert never["injected"] == 1 and never["caught"] == 0
    assert never["missed"][0]["mutated"] == "Redness of the left thumb."
    assert said["injected"] >= 1 and said["caught"] == said["injected"], said["missed"]
    assert catch["laterality"]["injected"] == never["injected"] + said["injected"]


def test_a_flipped_denial_reads_as_a_drafter_would_write_it():
    # "denies experiencing any fevers" made present is "reports experiencing fevers": "reports experiencing any
    # fevers" is no error a drafter makes, and its "any" reads as a question to the check
    from scribe.eval.flags import _DENY, _rewrite

    assert (
        _rewrite("He denies experiencing any fevers or chills.", _DENY) == "He reports experiencing fevers or chills."
    )
    assert _rewrite("She denies any chest pain.", _DENY) == "She reports chest pain."
    assert _rewrite("He denies having any pain at that time.", _DENY) == "He reports having pain at that time."


def test_a_history_of_a_condition_is_flipped_both_ways_and_the_family_history_is_left_alone():
    from scribe.eval.flags import _flip_condition

    assert _flip_condition("She has a history of diabetes.") == "She has no history of diabetes."
    assert _flip_condition("No history of stroke.") == "A history of stroke."
    assert _flip_condition("She denies any history of asthma.") == "She reports a history of asthma."
    assert _flip_condition("Family history of breast cancer.") is None
    assert _flip_condition("He reports a history of knee pain.") is None  # a symptom: the negation rows' business


def test_a_plan_for_a_drug_is_flipped_and_a_plan_for_no_drug_is_left_alone():
    from scribe.eval.flags import _flip_action
    from scribe.lexicon import default_lexicon

    lx = default_lexicon()
    assert _flip_action("Continue lisinopril 10 mg daily.", lx) == "Discontinue lisinopril 10 mg daily."
    assert _flip_action("Increase the metformin to 1000 mg.", lx) == "Decrease the metformin to 1000 mg."
    assert _flip_action("Continue to ice the knee.", lx) is None
    assert _flip_action("Do not stop the aspirin.", lx) is None


def test_a_reconciliation_error_writes_a_new_drug_as_going_on_and_drops_a_dose_change():
    from scribe.eval.flags import _RECONCILE_FLIPS, _flip_action
    from scribe.lexicon import default_lexicon

    lx = default_lexicon()
    assert _flip_action("Start atorvastatin 40 mg.", lx, _RECONCILE_FLIPS) == "Continue atorvastatin 40 mg."
    assert _flip_action("Continue lisinopril 10 mg.", lx, _RECONCILE_FLIPS) == "Start lisinopril 10 mg."
    assert _flip_action("Increase the metformin to 1000 mg.", lx, _RECONCILE_FLIPS) == (
        "Continue the metformin to 1000 mg."
    )
    assert _flip_action("Start physical therapy.", lx, _RECONCILE_FLIPS) is None


def test_a_result_is_given_the_other_sign_and_a_finding_it_was_negative_for_is_left_alone():
    from scribe.eval.flags import _flip_sign

    assert _flip_sign("EKG is normal.") == "EKG is abnormal."
    assert _flip_sign("Rapid strep test: positive.") == "Rapid strep test: negative."
    assert _flip_sign("X-ray negative for fracture.") is None  # the fracture's denial: the negation rows' business


def test_heard_transcripts_are_checked_with_the_errors_chosen_from_the_written_dialogue(tmp_path, capsys):
    from scribe.eval.flags import main
    from scribe.transcript_io import parse_dialogue

    # what a recogniser made of the visit: no speakers, the drug misheard
    heard_text = DIALOGUE.replace("[doctor] ", "").replace("[patient] ", "").replace("Lisinopril", "List of pearl")
    heard = {"T1": parse_dialogue(heard_text)}
    encounter = AciEncounter("T1", "test", DIALOGUE, NOTE)
    written, on_heard = run([encounter]), run([encounter], heard=heard)
    flagged = {f["sentence"]: f["kinds"] for f in on_heard["false_alarms"]}
    assert flagged == {"Takes lisinopril 10 mg daily.": ["dose", "medication"]}  # the drug was not heard
    # the same errors are injected into the sentences both runs leave clean: the swapped drug is one never *said*
    assert on_heard["catch"]["drug"]["injected"] == 0 and written["catch"]["drug"]["injected"] == 1
    assert on_heard["catch"]["negation_present"] == written["catch"]["negation_present"]
    # an encounter without a heard transcript is left out
    assert run([encounter], heard={})["sentences"] == 0
    # the command names a folder without a transcript of the split in one line
    (tmp_path / "D2N999.json").write_text("{}")
    assert main(["--split", "train", "--limit", "1", "--transcripts", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"error: no <encounter id>.json transcript in {tmp_path} belongs to this split\n"


def test_number_swaps_try_every_value_said_elsewhere_and_count_the_ones_caught():
    from scribe.eval.flags import number_swaps

    # "4 days" may become 5, 6, 8 or 7; of those the visit says five (blocks) and eight (times): two swaps to a value
    # said elsewhere. The dose (10 mg) and the blood pressure's 132 and 80 change to values the visit never says,
    # which the injected benchmark already counts.
    dialogue = DIALOGUE + "[patient] I can walk five blocks. It has swollen up eight times this year.\n"
    report = number_swaps([AciEncounter("T3", "test", dialogue, NOTE)])
    swapped = sorted(m["mutated"] for m in report["missed"])
    assert report["swaps"] == report["caught"] + len(swapped) and report["swaps"] >= 2
    assert report["swaps"] == 2 and report["caught"] == 2, swapped  # "for 5 days" is no five blocks
