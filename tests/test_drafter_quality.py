"""Deterministic clean-up of what a small model writes: repeated statements, misspelled drug names
(no model needed: statements are given as the model would return them)."""

from scribe.domain import Encounter, NoteDraft, Section, Statement
from scribe.drafting.drafter import note_from_json, respell_medications
from scribe.drafting.templates import get_template
from scribe.transcript_io import parse_dialogue


def test_repeated_statements_are_kept_once_the_fuller_version():
    data = {
        "subjective": [
            "Denies fever.",
            "Reports cough for 2 weeks.",
            "Denies fever or chills.",
            "Reports a cough for 2 weeks.",
            "Reports cough for 3 weeks.",
        ]
    }
    note = note_from_json(data, get_template("soap"), Encounter(), set())
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
    from scribe.drafting.drafter import MAX_STATEMENT_CHARS, _coerce_statements

    text = (
        "Martha is a 50-year-old female with congestive heart failure, depression and hypertension who presents "
        "for her annual exam. She has been traveling a lot since she got her vaccine. Dr. Smith saw her in May. "
        "She hikes most weekends and went to the northern Cascades last weekend with her husband and her sister."
    )
    assert len(text) > MAX_STATEMENT_CHARS
    pieces = [t for t, _ in _coerce_statements([{"text": text, "evidence": [3]}])]
    assert pieces == [
        "Martha is a 50-year-old female with congestive heart failure, depression and hypertension who presents for her annual exam.",
        "She has been traveling a lot since she got her vaccine.",
        "Dr. Smith saw her in May.",
        "She hikes most weekends and went to the northern Cascades last weekend with her husband and her sister.",
    ]
    short = "Cardiovascular: Endorses chest pain. Denies palpitations."
    assert [t for t, _ in _coerce_statements([short])] == [short]  # short multi-sentence bullets stay whole


def test_a_drug_the_draft_left_out_is_asked_for_once_and_grounded():
    import json

    from scripted_llm import KeywordRuntime

    from scribe.domain import StatementStatus
    from scribe.drafting.drafter import NoteDrafter

    class Runtime(KeywordRuntime):
        pass_prompts: list = []

        def chat(self, messages, **kw):
            prompt = messages[-1]["content"]
            if "does not mention them" not in prompt:
                return super().chat(messages, **kw)
            self.pass_prompts.append((prompt, kw))
            return json.dumps(
                {
                    "tylenol": {
                        "section": "subjective",
                        "text": "Tylenol tried a few times for the headaches without relief, then stopped.",
                    }
                }
            )

    dialogue = (
        "[doctor] What have you taken for the headaches?\n"
        "[patient] I tried Tylenol a few times but it didn't work, so I stopped.\n"
        "[doctor] Any allergies?\n"
        "[patient] Penicillin, it gives me hives.\n"
        "[doctor] I'm going to start sumatriptan fifty milligrams when a headache starts.\n"
    )
    rt = Runtime({"subjective": r"headaches\?$", "objective": r"^$", "assessment": r"^$", "plan": r"sumatriptan"})
    drafter = NoteDrafter(rt, get_template("soap"), medications={"tylenol", "sumatriptan", "penicillin"})
    events = list(drafter.stream(parse_dialogue(dialogue)))
    note = events[-1].note
    # asked once, only for the drug that was left out: not the one in the plan, not the allergy
    ((prompt, kw),) = rt.pass_prompts
    assert "does not mention them: tylenol." in prompt
    assert "[1] Patient: I tried Tylenol" in prompt and "sumatriptan fifty" not in prompt
    tylenol = kw["json_schema"]["properties"]["tylenol"]["properties"]
    assert tylenol["section"]["enum"] == ["subjective", "objective", "assessment", "plan"]
    assert tylenol["text"]["pattern"].startswith("^Tylenol")  # the statement has to be about the drug
    assert kw["json_schema"]["required"] == ["tylenol"]
    tried = note.section("subjective").statements[-1]
    assert tried.text.startswith("Tylenol tried") and tried.evidence == [1]
    assert tried.status == StatementStatus.supported, tried.issues
    assert any(e.kind == "statement" and e.statement.text.startswith("Tylenol tried") for e in events)
    assert drafter.stats.extra["medication_pass"] == ["tylenol"]
    # nothing missing: no extra request
    rt.pass_prompts.clear()
    NoteDrafter(rt, get_template("soap"), medications={"sumatriptan"}).draft(parse_dialogue(dialogue))
    assert rt.pass_prompts == []


def test_an_unconstrained_answer_about_a_missing_drug_is_kept_with_its_name_and_grounded():
    import json

    from scribe.domain import StatementStatus
    from scribe.drafting.drafter import NoteDrafter

    class Free:
        supports_constrained_json = False

        def chat(self, messages, **kw):
            assert kw["json_schema"] is None
            return (
                'Sure: {"ultram": {"section": "treatment", "text": "Start 50 mg for pain."}, '
                '"ibuprofen": {"section": "subjective", "text": "Took ibuprofen 800 mg, helps a little."}, '
                '"tylenol": {"section": "plan", "text": "Tylenol is not mentioned in the transcript."}}'
            )

    t = parse_dialogue(
        "[patient] I took some ibuprofen but it only helps a little bit. Tylenol did nothing.\n"
        "[doctor] I want to put you on fifty milligrams of ultram for the pain.\n"
    )
    note = NoteDraft(sections=[Section(key="subjective", title="S"), Section(key="plan", title="Plan")])
    drafter = NoteDrafter(Free(), get_template("soap"), medications={"ultram", "ibuprofen", "tylenol"})
    gen = drafter.cover_missing_medications(note, t)
    try:
        while True:
            next(gen)
    except StopIteration as stop:
        covered = stop.value
    from scribe.grounding import ground_note

    checked = ground_note(covered, t, {"ultram", "ibuprofen"})
    (ultram,) = checked.section("plan").statements  # unknown section -> plan; the name is put in front
    assert ultram.text == "Ultram: Start 50 mg for pain." and ultram.status == StatementStatus.supported, ultram.issues
    (ibu,) = checked.section("subjective").statements
    assert any(i.kind == "dose" and "800" in i.detail for i in ibu.issues)  # an invented dose is still caught
    assert json.dumps(drafter.stats.extra["medication_pass"]) == '["ibuprofen", "tylenol", "ultram"]'
    # a remark about the transcript (the real model wrote "Ultram is not mentioned in the transcript") is dropped
    assert not any("tylenol" in st.text.lower() for st in checked.statements())
