"""Templates: the built-ins, per-section style, the prompt using it, prose rendering, clear errors."""

import pytest

from scribe.domain import NoteDraft, Section, Statement
from scribe.drafting.compose import compose_note
from scribe.drafting.questions import Fact, VisitFacts, questions_for
from scribe.drafting.templates import Block, available_templates, get_template, load_template_file, parse_template
from scribe.errors import TemplateError

MINIMAL = 'name = "x"\nloinc_code = "11506-3"\n'


def test_built_in_templates_load_and_are_valid_and_hold_a_whole_visit_note():
    names = set(available_templates())
    assert {"soap", "progress", "history_physical", "consult", "aci"} <= names
    for name in names:
        t = get_template(name)
        assert t.sections and t.loinc_code
        held = {b for s in t.sections for b in s.content}
        assert {Block.history_of_present_illness, Block.physical_exam, Block.assessment, Block.plan} <= held, name
    soap = get_template("soap")
    assert soap.section_keys() == ["subjective", "objective", "assessment", "plan"]
    assert soap.sections[0].content[:2] == (Block.chief_complaint, Block.history_of_present_illness)


def test_template_folders_are_passed_in_and_shadow_built_ins(tmp_path):
    (tmp_path / "soap.toml").write_text(
        'name = "soap"\nloinc_code = "11506-3"\n[[sections]]\nkey="a"\ntitle="A"\ninstructions="i"'
    )
    assert get_template("soap").section_keys() == ["subjective", "objective", "assessment", "plan"]
    assert get_template("soap", [tmp_path]).section_keys() == ["a"]
    assert available_templates([tmp_path])["soap"] == tmp_path / "soap.toml"


def test_aci_template_mixes_prose_and_bullet_sections():
    t = get_template("aci")
    assert t.style == "prose"
    assert t.section_style("history_of_present_illness") == "prose"
    assert t.section_style("physical_exam") == "bullets"
    assert [s.title.upper() for s in t.sections][:2] == ["CHIEF COMPLAINT", "HISTORY OF PRESENT ILLNESS"]


def test_style_reaches_free_questions_and_the_rendered_note():
    t = get_template("aci")
    facts = VisitFacts(
        facts=[
            Fact("Reports knee pain for 2 weeks", "history_of_present_illness"),
            Fact("Pain is worse on stairs.", "history_of_present_illness"),
            Fact("mild effusion", "physical_exam", label="Musculoskeletal"),
        ]
    )
    text = compose_note(facts, t).render_text()
    assert "HISTORY OF PRESENT ILLNESS\nReports knee pain for 2 weeks. Pain is worse on stairs.\n" in text
    assert "PHYSICAL EXAM\n- Musculoskeletal: Mild effusion.\n" in text
    assert "RESULTS\n(none documented)" in text
    derm = parse_template(
        MINIMAL + '[[sections]]\nkey="lesions"\ntitle="Lesions"\ninstructions="Each lesion."\nstyle="prose"', "d.toml"
    )
    (q,) = questions_for(derm)
    assert q.text.startswith("Write the section Lesions (complete sentences that read as a paragraph")


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
    with pytest.raises(TemplateError, match="section 'a' names unknown blocks: exam \\(known: chief_complaint"):
        parse_template(MINIMAL + '[[sections]]\nkey="a"\ntitle="A"\ninstructions="i"\ncontent=["exam"]', "x.toml")
    with pytest.raises(TemplateError, match="blocks in more than one section: plan"):
        parse_template(
            MINIMAL + '[[sections]]\nkey="a"\ntitle="A"\ninstructions="i"\ncontent=["plan"]\n'
            '[[sections]]\nkey="b"\ntitle="B"\ninstructions="i"\ncontent=["plan"]',
            "x.toml",
        )


def test_an_invalid_template_file_names_the_file_and_the_problem(tmp_path):
    bad = tmp_path / "derm.toml"
    bad.write_text('name = "Derm Visit"\nloinc_code = "11506-3"\n[[sections]]\nkey="a"\ntitle="A"\ninstructions="i"')
    with pytest.raises(TemplateError, match=r"derm\.toml: name 'Derm Visit' must be lower-case"):
        load_template_file(bad)
    with pytest.raises(TemplateError, match="Cannot read template file"):
        load_template_file(tmp_path / "missing.toml")
