"""Deterministic clean-up of what a small model writes: repeated statements, misspelled drug names
(no model needed: statements are given as the model would return them)."""

from scribe.domain import Encounter, NoteDraft, Section, Statement
from scribe.drafting.drafter import note_from_json, respell_medications
from scribe.drafting.templates import get_template
from scribe.transcript_io import parse_dialogue


def test_repeated_statements_are_kept_once_the_fuller_version():
    data = {"subjective": ["Denies fever.", "Reports cough for 2 weeks.", "Denies fever or chills.",
                           "Reports a cough for 2 weeks.", "Reports cough for 3 weeks."]}
    note = note_from_json(data, get_template("soap"), Encounter(), set())
    assert [s.text for s in note.section("subjective").statements] == [
        "Denies fever or chills.", "Reports cough for 2 weeks.", "Reports cough for 3 weeks."]


def test_misspelled_drugs_take_the_transcripts_spelling_and_nothing_else_changes():
    t = parse_dialogue("[doctor] I want to start you on some lasix 20 milligrams a day, and keep the lisinopril.\n"
                       "[patient] The pain lasts all day.")
    note = NoteDraft(sections=[Section(key="plan", title="Plan", statements=[
        Statement(text="Start Laxis 20 mg daily."), Statement(text="Continue lisinoprill."),
        Statement(text="Pain lasted all day."), Statement(text="Start warfarin.")])])
    fixed = [s.text for s in respell_medications(note, t).statements()]
    assert fixed == ["Start Lasix 20 mg daily.", "Continue lisinopril.", "Pain lasted all day.", "Start warfarin."]


def test_a_long_string_of_sentences_becomes_one_statement_per_sentence_not_a_cut_word():
    from scribe.drafting.drafter import MAX_STATEMENT_CHARS, _coerce_statements

    text = ("Martha is a 50-year-old female with congestive heart failure, depression and hypertension who presents "
            "for her annual exam. She has been traveling a lot since she got her vaccine. Dr. Smith saw her in May. "
            "She hikes most weekends and went to the northern Cascades last weekend with her husband and her sister.")
    assert len(text) > MAX_STATEMENT_CHARS
    pieces = [t for t, _ in _coerce_statements([{"text": text, "evidence": [3]}])]
    assert pieces == [
        "Martha is a 50-year-old female with congestive heart failure, depression and hypertension who presents for her annual exam.",
        "She has been traveling a lot since she got her vaccine.", "Dr. Smith saw her in May.",
        "She hikes most weekends and went to the northern Cascades last weekend with her husband and her sister."]
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
            return json.dumps({"statements": [
                {"section": "subjective", "text": "Tried Tylenol a few times for the headaches without relief, then stopped."},
                {"section": "no_such_section", "text": "Takes Tylenol 500 mg daily."},
                {"section": "objective", "text": "The patient reports that they have"}]})

    dialogue = ("[doctor] What have you taken for the headaches?\n"
                "[patient] I tried Tylenol a few times but it didn't work, so I stopped.\n"
                "[doctor] Any allergies?\n"
                "[patient] Penicillin, it gives me hives.\n"
                "[doctor] I'm going to start sumatriptan fifty milligrams when a headache starts.\n")
    rt = Runtime({"subjective": r"headaches\?$", "objective": r"^$", "assessment": r"^$", "plan": r"sumatriptan"})
    drafter = NoteDrafter(rt, get_template("soap"), medications={"tylenol", "sumatriptan", "penicillin"})
    events = list(drafter.stream(parse_dialogue(dialogue)))
    note = events[-1].note
    # asked once, only for the drug that was left out: not the one in the plan, not the allergy
    ((prompt, kw),) = rt.pass_prompts
    assert "does not mention them: tylenol." in prompt
    assert "[1] Patient: I tried Tylenol" in prompt and "sumatriptan fifty" not in prompt
    assert kw["json_schema"]["properties"]["statements"]["items"]["properties"]["section"]["enum"] == [
        "subjective", "objective", "assessment", "plan"]
    tried = note.section("subjective").statements[-1]
    assert tried.text.startswith("Tried Tylenol") and 1 in tried.evidence
    assert tried.status == StatementStatus.supported, tried.issues
    # an unknown section falls back to the plan, and an invented dose is flagged like any other
    invented = note.section("plan").statements[-1]
    assert invented.text == "Takes Tylenol 500 mg daily." and invented.status == StatementStatus.unsupported
    assert any(i.kind == "dose" for i in invented.issues)
    assert any(e.kind == "statement" and e.statement.text.startswith("Tried Tylenol") for e in events)
    # padding that names none of the missing drugs is dropped
    assert note.section("objective").statements == []
    assert kw["json_schema"]["properties"]["statements"]["maxItems"] == 1
    assert drafter.stats.extra["medication_pass"] == ["tylenol"]
    # nothing missing: no extra request
    rt.pass_prompts.clear()
    NoteDrafter(rt, get_template("soap"), medications={"sumatriptan"}).draft(parse_dialogue(dialogue))
    assert rt.pass_prompts == []
