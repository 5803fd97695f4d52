"""Templates: the built-ins, per-section style, the prompt using it, prose rendering, clear errors."""

import pytest

from scribe.domain import Encounter, NoteDraft, Section, Statement
from scribe.drafting.drafter import build_messages, note_from_json
from scribe.drafting.templates import available_templates, get_template, load_template_file, parse_template
from scribe.errors import TemplateError

MINIMAL = 'name = "x"\nloinc_code = "11506-3"\n'


def test_built_in_templates_load_and_are_valid():
    names = set(available_templates())
    assert {"soap", "progress", "history_physical", "consult", "aci"} <= names
    for name in names:
        t = get_template(name)
        assert t.sections and t.loinc_code


def test_aci_template_mixes_prose_and_bullet_sections():
    t = get_template("aci")
    assert t.style == "prose"
    assert t.section_style("history_of_present_illness") == "prose"
    assert t.section_style("physical_exam") == "bullets"
    assert [s.title.upper() for s in t.sections][:2] == ["CHIEF COMPLAINT", "HISTORY OF PRESENT ILLNESS"]


def test_style_reaches_the_prompt_and_the_rendered_note():
    t = get_template("aci")
    prompt = build_messages(t, ["[0] Patient: My knee hurts."])[1]["content"]
    assert '"history_of_present_illness" (History of present illness; complete sentences' in prompt
    assert '"physical_exam" (Physical exam; short clinical phrases' in prompt
    note = note_from_json(
        {
            "history_of_present_illness": [
                {"text": "Reports knee pain for 2 weeks", "evidence": [0]},
                {"text": "Pain is worse on stairs.", "evidence": [0]},
            ],
            "physical_exam": ["Knee: mild effusion."],
        },
        t,
        Encounter(),
        {0},
    )
    text = note.render_text()
    assert "HISTORY OF PRESENT ILLNESS\nReports knee pain for 2 weeks. Pain is worse on stairs.\n" in text
    assert "PHYSICAL EXAM\n- Knee: mild effusion.\n" in text
    assert "RESULTS\n(none documented)" in text


def test_notes_without_a_style_render_exactly_as_before():
    note = NoteDraft(sections=[Section(key="plan", title="Plan", statements=[Statement(text="Rest.")])])
    assert note.render_text() == "PLAN\n- Rest.\n"


def test_section_style_and_unknown_section_fields_are_validated():
    with pytest.raises(TemplateError, match="section 'a' style must be 'bullets' or 'prose', not 'table'"):
        parse_template(MINIMAL + '[[sections]]\nkey="a"\ntitle="A"\ninstructions="i"\nstyle="table"', "x.toml")
    with pytest.raises(TemplateError, match="section 'a' has unknown fields: instruction"):
        parse_template(MINIMAL + '[[sections]]\nkey="a"\ntitle="A"\ninstructions="i"\ninstruction="typo"', "x.toml")
    with pytest.raises(TemplateError, match="x.toml.*section 'a' needs a non-empty text field 'title'"):
        parse_template(MINIMAL + '[[sections]]\nkey="a"\ninstructions="i"', "x.toml")
    with pytest.raises(TemplateError, match="has no \\[\\[sections\\]\\]"):
        parse_template(MINIMAL, "x.toml")


def test_an_invalid_template_file_names_the_file_and_the_problem(tmp_path):
    bad = tmp_path / "derm.toml"
    bad.write_text('name = "Derm Visit"\nloinc_code = "11506-3"\n[[sections]]\nkey="a"\ntitle="A"\ninstructions="i"')
    with pytest.raises(TemplateError, match=r"derm\.toml: name 'Derm Visit' must be lower-case"):
        load_template_file(bad)
    with pytest.raises(TemplateError, match="Cannot read template file"):
        load_template_file(tmp_path / "missing.toml")
