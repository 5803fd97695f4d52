"""Drafter plumbing that needs no model: prompt layout, streaming scanner, JSON repair, transcript input."""

import json

import pytest
from fake_runtime import FakeRuntime

from scribe.domain import Encounter, SpeakerRole
from scribe.drafting.drafter import (
    NoteDrafter,
    _StreamScanner,
    build_messages,
    format_transcript_lines,
    note_from_json,
    note_schema,
    repair_json,
)
from scribe.drafting.templates import get_template, parse_template
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


def test_prompt_prefix_is_stable_as_the_transcript_grows():
    tpl = get_template("soap")
    t = parse_dialogue("[doctor] a b c\n[patient] d e f\n[doctor] g h i")
    lines = format_transcript_lines(t)
    warm = build_messages(tpl, lines[:2], closing=False)
    final = build_messages(tpl, lines)
    assert final[0] == warm[0]
    assert final[1]["content"].startswith(warm[1]["content"])


def test_scanner_emits_sections_and_statements_from_a_trickle():
    text = json.dumps(
        {
            "subjective": [{"text": "Reports cough for 2 days.", "evidence": [1]}],
            "objective": [{"text": "Temp 38.1 C.", "evidence": [4, 5]}],
            "assessment": [],
            "plan": [],
        }
    )
    sc = _StreamScanner(["subjective", "objective", "assessment", "plan"])
    events = [e for i in range(len(text)) for e in sc.feed(text[i])]
    assert events[0] == ("section", "subjective")
    assert ("statement", ("objective", ("Temp 38.1 C.", [4, 5]))) in events
    assert [e[1] for e in events if e[0] == "section"] == ["subjective", "objective", "assessment", "plan"]


def test_repair_closes_truncated_output_and_note_from_json_tolerates_shapes():
    data = repair_json(
        'Sure!\n```json\n{"subjective": ["Reports cough. [2]", {"text": "Denies fever", "evidence": ["3"]}], "plan": [{"text": "Rest and flu'
    )
    assert data is not None
    note = note_from_json(data, get_template("soap"), Encounter(), valid_ids={2, 3})
    sub = note.section("subjective").statements
    assert [s.text for s in sub] == ["Reports cough.", "Denies fever"]
    assert sub[1].evidence == [3]
    assert note.section("plan").statements[0].text.startswith("Rest and flu")
    assert [s.key for s in note.sections] == ["subjective", "objective", "assessment", "plan"]


def test_schema_lists_template_sections_in_order():
    schema = note_schema(get_template("history_physical"))
    assert list(schema["properties"]) == get_template("history_physical").section_keys()


def test_statement_grammar_cannot_smuggle_more_items_into_one_string():
    """A looping model wrote '"No nausea", "No sweating", ...' inside one string, so maxItems never
    closed the list. A statement may not contain a quote or a backslash; everything else printable may."""
    import re

    from llama_cpp.llama_grammar import json_schema_to_gbnf

    from scribe.drafting.drafter import section_schema

    schema = section_schema(get_template("soap"), "objective", cite=False)
    pattern = re.compile(schema["properties"]["objective"]["items"]["pattern"])
    assert pattern.match("BP 120/80 mmHg; pain 5/10 (worse at night) [left] ~ #2 & more!")
    assert not pattern.match('No nausea", "No sweating')
    assert not pattern.match("a \\ b")
    gbnf = json_schema_to_gbnf(json.dumps(schema))
    item = next(line for line in gbnf.splitlines() if line.startswith("objective-item"))
    char_class = item.split('"\\"" ', 1)[1].rsplit('* "', 1)[0]  # objective-item ::= "\"" [...]* "\"" space
    assert char_class.startswith("[") and '"' not in char_class
    assert schema["properties"]["objective"]["maxItems"] == 14


class _ScriptedRuntime(FakeRuntime):
    """Stands in for an LLM that ignores JSON instructions (to test the retry bound only)."""

    def __init__(self, answers):
        super().__init__(answers, context_window=4096)


def test_drafter_retries_once_then_fails_clearly():
    t = parse_dialogue("[patient] I have a cough.")
    rt = _ScriptedRuntime(["I cannot do that.", "Still no JSON."])
    with pytest.raises(DraftingError, match="after 2 attempts"):
        NoteDrafter(rt, get_template("soap"), medications=set()).draft(t)
    assert rt.calls == 2
    rt = _ScriptedRuntime(["oops", '{"subjective": [{"text": "Reports a cough.", "evidence": [0]}]}'])
    note = NoteDrafter(rt, get_template("soap"), medications=set()).draft(t)
    assert note.section("subjective").statements[0].evidence == [0]
    assert note.grounding.statements == 1 and note.grounding.unsupported == 0


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
    note = note_from_json({"subjective": [raw]}, get_template("soap"), Encounter(), set())
    assert [st.text for st in note.section("subjective").statements] == [want]
