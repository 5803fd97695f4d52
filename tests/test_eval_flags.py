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
