"""Deterministic clean-up of what a small model writes: repeated statements, misspelled drug names,
overlong strings, drugs left out (no model needed: answers are given as the model would return them)."""

import json

from fake_runtime import FakeRuntime

from scribe.domain import NoteDraft, Section, Statement, StatementStatus
from scribe.drafting.compose import MAX_STATEMENT_CHARS, clean_text, compose_note
from scribe.drafting.drafter import NoteDrafter, respell_medications
from scribe.drafting.questions import Fact, VisitFacts
from scribe.drafting.templates import get_template
from scribe.transcript_io import parse_dialogue


def test_repeated_statements_are_kept_once_the_fuller_version():
    facts = VisitFacts(
        facts=[
            Fact(text, "history_of_present_illness")
            for text in (
                "Denies fever.",
                "Reports cough for 2 weeks.",
                "Denies fever or chills.",
                "Reports a cough for 2 weeks.",
                "Reports cough for 3 weeks.",
            )
        ]
    )
    note = compose_note(facts, get_template("soap"))
    assert [s.text for s in note.section("subjective").statements] == [
        "Denies fever or chills.",
        "Reports cough for 2 weeks.",
        "Reports cough for 3 weeks.",
    ]


def test_misspelled_drugs_take_the_transcripts_spelling_and_nothing_else_changes():
    t = parse_dialogue(
        "[doctor] I want to start you on some lasix 20 milligrams a day, and keep the lisinopril.\n"
        "[patient] The pain lasts all day."
    )
    note = NoteDraft(
        sections=[
            Section(
                key="plan",
                title="Plan",
                statements=[
                    Statement(text="Start Laxis 20 mg daily."),
                    Statement(text="Continue lisinoprill."),
                    Statement(text="Pain lasted all day."),
                    Statement(text="Start warfarin."),
                ],
            )
        ]
    )
    fixed = [s.text for s in respell_medications(note, t).statements()]
    assert fixed == ["Start Lasix 20 mg daily.", "Continue lisinopril.", "Pain lasted all day.", "Start warfarin."]


def test_a_long_string_of_sentences_becomes_one_statement_per_sentence_not_a_cut_word():
    text = (
        "Martha is a 50-year-old female with congestive heart failure, depression and hypertension who presents "
        "for her annual exam. She has been traveling a lot since she got her vaccine. Dr. Smith saw her in May. "
        "She hikes most weekends and went to the northern Cascades last weekend with her husband and her sister."
    )
    assert len(text) > MAX_STATEMENT_CHARS
    assert clean_text(text, "patient") == [
        "Martha is a 50-year-old female with congestive heart failure, depression and hypertension who presents for her annual exam.",
        "She has been traveling a lot since she got her vaccine.",
        "Dr. Smith saw her in May.",
        "She hikes most weekends and went to the northern Cascades last weekend with her husband and her sister.",
    ]
    short = "Cardiovascular: Endorses chest pain. Denies palpitations."
    assert clean_text(short) == [short]  # short multi-sentence statements stay whole


class _Answers(FakeRuntime):
    """Answers each question by the field names of its schema; records the medication pass's questions."""

    supports_constrained_json = True

    def __init__(self, by_field: dict[str, object], pass_answers: dict[str, str]):
        super().__init__()
        self.by_field = by_field
        self.pass_answers = pass_answers
        self.pass_prompts: list[str] = []

    def answer(self, messages, json_schema):
        prompt = messages[-1]["content"]
        for drug, text in self.pass_answers.items():
            if f"What was said about {drug}" in prompt:
                self.pass_prompts.append(prompt)
                return json.dumps({"statements": [text]})
        props = (json_schema or {}).get("properties", {})
        return json.dumps({k: self.by_field[k] for k in props if k in self.by_field})


DIALOGUE = (
    "[doctor] What have you taken for the headaches?\n"
    "[patient] I tried Tylenol a few times but it didn't work, so I stopped.\n"
    "[doctor] Any allergies?\n"
    "[patient] Penicillin, it gives me hives.\n"
    "[doctor] I'm going to start sumatriptan fifty milligrams when a headache starts.\n"
)


def test_a_drug_the_draft_left_out_is_asked_for_once_and_grounded():
    rt = _Answers(
        {
            "history_of_present_illness": ["The patient has headaches."],
            "allergies": ["Penicillin: hives"],
            "assessment_and_plan": [
                {"problem": "headaches", "assessment": "", "plan": ["Start sumatriptan 50 mg at onset."]}
            ],
        },
        {"tylenol": "The patient tried Tylenol a few times for the headaches without relief, then stopped."},
    )
    drafter = NoteDrafter(rt, get_template("soap"), medications={"tylenol", "sumatriptan", "penicillin"})
    events = list(drafter.stream(parse_dialogue(DIALOGUE)))
    note = events[-1].note
    # asked once, only for the drug that was left out: not the one in the plan, not the allergy; the
    # question comes after the whole transcript (its prefix is still warm)
    (prompt,) = rt.pass_prompts
    assert "[1] Patient: I tried Tylenol" in prompt and "[4] Doctor: I'm going to start sumatriptan" in prompt
    tried = next(s for s in note.section("subjective").statements if "Tylenol" in s.text)
    assert (
        tried.text
        == "Medications: The patient tried Tylenol a few times for the headaches without relief, then stopped."
    )
    assert 1 in tried.evidence and tried.status == StatementStatus.supported, tried.issues
    assert any(e.kind == "statement" and "Tylenol" in e.statement.text for e in events)
    assert drafter.stats.extra["medication_pass"] == ["tylenol"]
    # nothing missing: no extra question
    rt.pass_prompts.clear()
    NoteDrafter(rt, get_template("soap"), medications={"sumatriptan"}).draft(parse_dialogue(DIALOGUE))
    assert rt.pass_prompts == []


def test_an_answer_about_a_missing_drug_names_it_goes_where_it_belongs_and_a_remark_is_dropped():
    t = parse_dialogue(
        "[patient] I took some ibuprofen but it only helps a little bit. Tylenol did nothing.\n"
        "[doctor] I want to put you on fifty milligrams of ultram for the pain.\n"
    )
    rt = _Answers(
        {},
        {
            "ultram": "Start 50 mg every 6 hours for pain.",
            "ibuprofen": "Took ibuprofen 800 mg, helps a little.",
            "tylenol": "Tylenol is not mentioned in the transcript.",
        },
    )
    drafter = NoteDrafter(rt, get_template("soap"), medications={"ultram", "ibuprofen", "tylenol"})
    note = drafter.draft(t)
    (ultram,) = [s for s in note.section("plan").statements if "Ultram" in s.text]  # it starts a drug: the plan
    assert ultram.text == "Ultram: Start 50 mg every 6 hours for pain."
    (ibu,) = [s for s in note.section("subjective").statements if "ibuprofen" in s.text]
    assert any(i.kind == "dose" and "800" in i.detail for i in ibu.issues)  # an invented dose is still caught
    assert drafter.stats.extra["medication_pass"] == ["ibuprofen", "tylenol", "ultram"]
    # a remark about the transcript (the real model wrote "Ultram is not mentioned in the transcript") is dropped
    assert not any("tylenol" in st.text.lower() for st in note.statements())


def test_an_answer_that_the_patient_does_not_take_the_missing_drug_is_not_a_medication():
    """Train D2N010: asked about Protonix ("since we've put you on the Protonix"), the model answered "The patient
    does not take Protonix". No medication statement says so; the omission panel still lists the drug."""
    t = parse_dialogue(
        "[doctor] Is the reflux better since we've put you on the Protonix?\n[patient] Yes, much better.\n"
    )
    rt = _Answers({}, {"protonix": "The patient does not take Protonix."})
    drafter = NoteDrafter(rt, get_template("soap"), medications={"protonix"})
    note = drafter.draft(t)
    assert drafter.stats.extra["medication_pass"] == ["protonix"]
    assert not any("protonix" in st.text.lower() for st in note.statements())
