"""Drafter plumbing that needs no model: prompt layout, question schemas, JSON repair, retries, transcript input."""

import json

import pytest
from fake_runtime import FakeRuntime

from scribe.domain import SpeakerRole
from scribe.drafting.compose import clean_text, coerce_statements
from scribe.drafting.drafter import NoteDrafter, repair_json
from scribe.drafting.questions import (
    ASSESSMENT_PLAN,
    BLOCK_QUESTIONS,
    PATIENT,
    build_messages,
    format_transcript_lines,
    questions_for,
)
from scribe.drafting.templates import Block, get_template, parse_template
from scribe.errors import DraftingError, TemplateError, TranscriptError
from scribe.transcript_io import load_transcript, parse_dialogue


def test_dialogue_tags_become_roles_and_times():
    t = parse_dialogue(
        "[doctor] Hello there.\n\n[patient] Hi doctor, my knee hurts.\nPatient: Since Monday.\nplain line"
    )
    assert [s.speaker for s in t.segments] == [
        SpeakerRole.clinician,
        SpeakerRole.patient,
        SpeakerRole.patient,
        SpeakerRole.unknown,
    ]
    assert t.segments[1].text == "Hi doctor, my knee hurts."
    assert all(a.end <= b.start for a, b in zip(t.segments, t.segments[1:]))


def test_load_transcript_errors(tmp_path):
    with pytest.raises(TranscriptError, match="not found"):
        load_transcript(tmp_path / "nope.json")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n")
    with pytest.raises(TranscriptError, match="empty"):
        load_transcript(empty)
    binary = tmp_path / "audio.txt"
    binary.write_bytes(b"RIFF\x00\x01\xff\xfe\x00")
    with pytest.raises(TranscriptError, match="binary"):
        load_transcript(binary)
    bad = tmp_path / "bad.json"
    bad.write_text('{"segments": [{"id": "x"}]}')
    with pytest.raises(TranscriptError, match="not a Scribe transcript"):
        load_transcript(bad)


def test_prompt_prefix_is_stable_as_the_transcript_grows_and_shared_by_every_question():
    t = parse_dialogue("[doctor] a b c\n[patient] d e f\n[doctor] g h i")
    lines = format_transcript_lines(t)
    warm = build_messages(lines[:2])
    questions = questions_for(get_template("soap"))
    asked = [build_messages(lines, q) for q in questions]
    for final in asked:
        assert final[0] == warm[0]
        assert final[1]["content"].startswith(warm[1]["content"])  # the transcript so far, then the new lines
        assert final[1]["content"].startswith(build_messages(lines)[1]["content"])  # the question comes last
    assert len({m[1]["content"] for m in asked}) == len(questions)


def test_repair_closes_truncated_output_and_answers_tolerate_shapes():
    data = repair_json(
        'Sure!\n```json\n{"history_of_present_illness": ["Reports cough. [2]", {"text": "Denies fever", "evidence": ["3"]}], "plan": [{"text": "Rest and flu'
    )
    assert data is not None
    assert [t for t, _ in coerce_statements(data["history_of_present_illness"])] == ["Reports cough.", "Denies fever"]
    assert coerce_statements(data["history_of_present_illness"])[1][1] == [3]
    # the string the token limit cut mid-word ("flu" of "fluids") loses the partial word, and what is
    # left, "Rest and", is a fragment: no statement
    assert data["plan"] and coerce_statements(data["plan"]) == []
    cut = repair_json('{"plan": ["Order a BMP, a urinalysis and a urine culture, to rule out an infe')
    assert cut == {"plan": ["Order a BMP, a urinalysis and a urine culture"]}
    assert repair_json('{"problem": "Asthma", "assessment": "The') == {"problem": "Asthma"}


def test_every_template_section_is_asked_for_and_the_soap_note_asks_for_a_whole_visit_note():
    soap = questions_for(get_template("soap"))
    assert [q.key for q in soap] == [
        "patient",
        "hpi",
        "medical_history",
        "medications",
        "social_history",
        "review_of_systems",
        "physical_exam",
        "results",
        "assessment_plan",
        "follow_up",
    ]
    asked = {b for q in soap for b in q.blocks} | {Block.chief_complaint.value}
    for tpl in ("soap", "aci", "progress", "history_physical", "consult"):
        needed = {b.value for s in get_template(tpl).sections for b in s.content}
        assert needed <= asked | {"assessment", "plan"}, tpl
    # a clinic's own section without blocks is asked as written
    derm = parse_template(
        'name = "derm"\nloinc_code = "11506-3"\n[[sections]]\nkey="lesions"\ntitle="Lesions"\n'
        'instructions="Location, size and colour of each lesion."',
        "derm.toml",
    )
    (q,) = questions_for(derm)
    assert q.key == "section:lesions" and "Location, size and colour of each lesion." in q.text


def test_statement_grammar_cannot_smuggle_more_items_into_one_string():
    """A looping model wrote '"No nausea", "No sweating", ...' inside one string, so maxItems never
    closed the list. A statement may not contain a quote or a backslash; everything else printable may;
    its length is bounded in the pattern itself (llama.cpp ignores maxLength next to a pattern)."""
    import re

    from llama_cpp.llama_grammar import json_schema_to_gbnf

    schema = BLOCK_QUESTIONS[Block.history_of_present_illness].schema()
    field = schema["properties"]["history_of_present_illness"]
    pattern = re.compile(field["items"]["pattern"])
    assert pattern.match("BP 120/80 mmHg; pain 5/10 (worse at night) [left] ~ #2 & more!")
    assert not pattern.match('No nausea", "No sweating')
    assert not pattern.match("a \\ b")
    assert not pattern.match("x" * 1001)
    gbnf = json_schema_to_gbnf(json.dumps(schema))
    assert '"\\""' in gbnf and field["maxItems"] == 16
    for q in [PATIENT, *BLOCK_QUESTIONS.values()]:  # every question's grammar builds
        assert json_schema_to_gbnf(json.dumps(q.schema()))
    # each problem with its assessment and plan, at least one problem (an empty list is where the small
    # model goes when unsure)
    ap = ASSESSMENT_PLAN.schema()["properties"]["assessment_and_plan"]
    assert ap["minItems"] == 1 and list(ap["items"]["properties"]) == ["problem", "assessment", "plan"]
    assert 'assessment-and-plan ::= "[" space assessment-and-plan-item' in json_schema_to_gbnf(
        json.dumps(ASSESSMENT_PLAN.schema())
    )


class _ScriptedRuntime(FakeRuntime):
    """Stands in for an LLM that ignores JSON instructions (to test the retry bound only)."""

    def __init__(self, answers):
        super().__init__(answers, context_window=4096)


def test_drafter_retries_each_question_once_then_fails_clearly():
    t = parse_dialogue("[patient] I have a cough.")
    rt = _ScriptedRuntime(["I cannot do that.", "Still no JSON."])
    n_questions = len(questions_for(get_template("soap")))
    with pytest.raises(DraftingError, match="after 2 attempts"):
        NoteDrafter(rt, get_template("soap"), medications=set()).draft(t)
    assert rt.calls == 2 * n_questions
    # a broken answer is asked again once; questions that get an answer fill the note
    rt = _ScriptedRuntime(
        ["oops", '{"chief_complaint": "a cough"}', '{"history_of_present_illness": ["I have a cough."]}', "{}"]
    )
    note = NoteDrafter(rt, get_template("soap"), medications=set()).draft(t)
    assert [s.text for s in note.section("subjective").statements] == [
        "Chief complaint: A cough.",
        "The patient presents for a cough.",
        # ("The patient has a cough." says nothing the opening sentence does not)
    ]
    assert rt.calls == n_questions + 1
    assert note.grounding.statements == 2 and note.grounding.unsupported == 0


def test_transcript_too_long_for_the_window_is_a_clear_error():
    t = parse_dialogue("[patient] " + "word " * 5000)
    rt = _ScriptedRuntime([])
    with pytest.raises(DraftingError, match="too long"):
        NoteDrafter(rt, get_template("soap")).draft(t)


def test_invalid_templates_name_the_problem(tmp_path):
    with pytest.raises(TemplateError, match="Unknown template 'nope'"):
        get_template("nope")
    with pytest.raises(TemplateError, match="loinc_code"):
        parse_template('name = "x"\nloinc_code = "abc"\n[[sections]]\nkey="a"\ntitle="A"\ninstructions="i"', "x.toml")
    with pytest.raises(TemplateError, match="appears twice"):
        parse_template(
            'name = "x"\nloinc_code = "11506-3"\n[[sections]]\nkey="a"\ntitle="A"\ninstructions="i"\n'
            '[[sections]]\nkey="a"\ntitle="B"\ninstructions="j"',
            "x.toml",
        )
    with pytest.raises(TemplateError, match="not valid TOML"):
        parse_template("name = ", "broken.toml")
    custom = tmp_path / "derm.toml"
    custom.write_text(
        'name = "derm"\nloinc_code = "11506-3"\n[[sections]]\nkey="lesions"\ntitle="Lesions"\ninstructions="Describe."'
    )
    assert get_template(str(custom)).section_keys() == ["lesions"]


def test_result_files_are_written_atomically_and_unwritable_places_are_clear_errors(tmp_path):
    from scribe.errors import InputError
    from scribe.transcript_io import save_json

    target = tmp_path / "out" / "note.json"
    save_json(target, '{"a": 1}')
    assert target.read_text() == '{"a": 1}'
    assert not [p for p in target.parent.iterdir() if p.name != "note.json"]  # no temp file left
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="Cannot write"):
        save_json(blocker / "note.json", "{}")


@pytest.mark.parametrize(
    "raw, want",
    [
        # a looping model: the clause once, the repeat cut off by the length limit gone
        (
            "relevant history: father had a heart attack when he was 62, father had a heart attack when he was 62, "
            "father had a heart attack when he was 62, father had",
            "relevant history: father had a heart attack when he was 62",
        ),
        ("No nausea, no nausea, no vomiting", "No nausea, no vomiting"),
        ("Metformin 1,000 mg twice daily, metformin 1,000 mg twice daily", "Metformin 1,000 mg twice daily"),
        # nothing repeated: untouched (a different clause, even one said before, stays)
        (
            "Takes lisinopril 10 mg, metformin 500 mg, and atorvastatin",
            "Takes lisinopril 10 mg, metformin 500 mg, and atorvastatin",
        ),
        ("Knee pain, better with rest, knee pain at night", "Knee pain, better with rest, knee pain at night"),
        ("Metformin 1,000 mg twice daily", "Metformin 1,000 mg twice daily"),
    ],
)
def test_a_clause_repeated_inside_one_statement_is_kept_once(raw, want):
    assert clean_text(raw, "patient") == [want[:1].upper() + want[1:]]
