"""The clinical lexicon: one answer to "which medications does this text name?" everywhere."""

import pytest

from scribe.domain import NoteDraft, Section, Statement, StatementStatus
from scribe.grounding import ground_note
from scribe.lexicon import (
    default_lexicon,
    edit_distance_le1,
    fuzzy_in,
    medication_names,
    medications_in,
    mentioned,
    spelling_slip,
)
from scribe.textnorm import normalise, tokens
from scribe.transcript_io import parse_dialogue


def test_merged_dictionary_knows_brands_generics_and_multiword_names():
    lx = default_lexicon([])
    found = lx.medications_in_text(
        "On Norvasc and Keppra, vitamin D, potassium chloride and sacubitril-valsartan; started Jardiance."
    )
    assert {"norvasc", "keppra", "vitamin d", "potassium chloride", "sacubitril valsartan", "jardiance"} <= found
    assert lx.generic_of("norvasc") == "amlodipine"
    assert lx.generic_of("zestril") == "lisinopril"
    assert lx.generic_of("tylenol") == "acetaminophen"
    assert lx.generic_of("keppra") == "levetiracetam"  # only the package's dictionary knows this brand
    assert lx.generic_of("lisinopril") == "lisinopril"
    # clinical terms for speech-recognition correction come along
    assert "stable angina" in lx.terms and "cardiology" in lx.terms


def test_lab_analytes_everyday_words_and_street_drugs_are_not_medications():
    lx = default_lexicon([])
    text = (
        "Hemoglobin A1c 7.2, uric acid and alkaline phosphatase normal, cholesterol high, cortisol pending; "
        "all clear; occasional marijuana; Camila is her daughter."
    )
    assert lx.medications_in_text(text) == set()


def test_drug_stems_catch_names_no_list_has_and_explicit_lists_are_used_as_given():
    lx = medication_names(["Metformin", "Fish Oil"])
    assert [m for _, m in lx.medications_in(tokens("fish oil, metformin and zorbapril"))] == [
        "fish oil",
        "metformin",
        "zorbapril",
    ]
    assert medications_in(tokens("cholesterol"), {"metformin"}) == []


def test_spelling_slips_only_for_long_names():
    assert edit_distance_le1("lisinopril", "lisinoprel") and not edit_distance_le1("lisinopril", "lisinoprl1x")
    assert spelling_slip("lisinopril", "lisinoprel")
    assert not spelling_slip("lasix", "lasik")  # short names differ from other words by one letter too often
    assert fuzzy_in("atorvastatin", {"atorvastatine"}) and not fuzzy_in("atorvastatin", {"rosuvastatin"})
    text = "She takes metoprolol and vitamin d."
    assert mentioned("metoprolol", set(tokens(text)), normalise(text))
    assert mentioned("vitamin d", set(tokens(text)), normalise(text))
    assert not mentioned("vitamin c", set(tokens(text)), normalise(text))


def test_grounding_accepts_brand_for_generic_and_still_flags_another_drug():
    transcript = parse_dialogue(
        "[doctor] What do you take for your blood pressure?\n[patient] Amlodipine, ten milligrams a day.\n"
    )
    note = NoteDraft(
        sections=[
            Section(
                key="plan",
                title="Plan",
                statements=[Statement(text="Continue Norvasc 10 mg daily."), Statement(text="Continue Zestril 10 mg.")],
            )
        ]
    )
    norvasc, zestril = ground_note(note, transcript).statements()
    assert norvasc.status == StatementStatus.supported, norvasc.issues
    assert zestril.status == StatementStatus.unsupported
    assert any(i.kind == "medication" and "zestril" in i.detail for i in zestril.issues)


def test_a_name_written_apart_is_the_one_name():
    """Whisper writes "methyl prednisolone" (train D2N022, voiced): that is methylprednisolone, not prednisolone,
    and a note's "Methylprednisolone" is what was said. Two words of English stay apart ("differ in" is no
    Differin); one piece must be a drug's name or no word at all."""
    lx = default_lexicon()
    assert lx.medications_in(tokens("another methyl prednisolone, forty milligrams")) == [(1, "methylprednisolone")]
    assert lx.medications_in(tokens("hydro chlorothiazide and lisinopril")) == [
        (0, "hydrochlorothiazide"),
        (3, "lisinopril"),
    ]
    assert lx.medications_in(tokens("two puffs of sym bicort")) == [(3, "symbicort")]
    assert lx.medications_in(tokens("the two of them differ in size")) == []
    transcript = parse_dialogue("[patient] I got a methyl prednisolone shot, forty milligrams, and it itched.\n")
    note = NoteDraft(
        sections=[
            Section(
                key="subjective",
                title="Subjective",
                statements=[Statement(text="Received methylprednisolone 40 mg.")],
            )
        ]
    )
    (right,) = ground_note(note, transcript).statements()
    assert not [i for i in right.issues if i.kind in ("medication", "dose")], right.issues


def test_names_are_written_as_the_vocabulary_spells_them():
    """A lower-case transcript ("order ultram", "your a1c") must not give a note with lower-case brands
    and acronyms: a brand is a proper noun, a test's acronym is in capitals; a generic stays lower case,
    a sentence keeps its capital and a name written with other capitals is left alone."""
    lex = default_lexicon([])
    assert lex.spell("Order ultram 50 mg as needed and continue lisinopril.") == (
        "Order Ultram 50 mg as needed and continue lisinopril."
    )
    assert lex.spell("Hemoglobin a1c of 7.2; a cbc and an ekg ordered for copd.") == (
        "Hemoglobin A1c of 7.2; a CBC and an EKG ordered for COPD."
    )
    assert (
        lex.spell("Tylenol helps. TYLENOL. The ultrasound is normal.")
        == "Tylenol helps. TYLENOL. The ultrasound is normal."
    )


def test_the_composed_note_spells_brands_and_acronyms():
    from scribe.drafting.compose import compose_note
    from scribe.drafting.questions import Fact, VisitFacts
    from scribe.drafting.templates import get_template

    facts = VisitFacts(facts=[Fact("order ultram 50 mg as needed every 6 hours for pain", "plan", problem="back pain")])
    note = compose_note(facts, get_template("soap"))
    assert [s.text for s in note.section("plan").statements] == [
        "Back pain: Order Ultram 50 mg as needed every 6 hours for pain."
    ]


def test_a_brand_the_dictionary_does_not_resolve_takes_the_generic_its_vocabulary_line_names(tmp_path):
    """ "Keflex = cephalexin" in a vocabulary file maps the brand; short brands the dictionary's filter leaves out as
    names ("Advil", "Lasix") still map through the dictionary; a line with "=" outside [medications] is an error."""
    from scribe.asr.vocabulary import parse_vocabulary
    from scribe.errors import InputError
    from scribe.lexicon import default_lexicon

    clinic = tmp_path / "clinic.txt"
    clinic.write_text("[medications]\nZubsolv = buprenorphine naloxone\n", encoding="utf-8")
    lex = default_lexicon([clinic])
    assert lex.generic_of("keflex") == "cephalexin"
    assert lex.generic_of("synthroid") == "levothyroxine"
    assert lex.generic_of("advil") == "ibuprofen"
    assert lex.generic_of("lasix") == "furosemide"
    assert lex.generic_of("zubsolv") == lex.generic_of("suboxone") == "buprenorphine naloxone"
    assert parse_vocabulary("[medications]\nKeflex = cephalexin\n")["medications"] == ["Keflex"]
    with pytest.raises(InputError, match="line 2"):
        parse_vocabulary("[terms]\nKeflex = cephalexin\n")
    with pytest.raises(InputError, match="both names"):
        parse_vocabulary("[medications]\nKeflex =\n")
