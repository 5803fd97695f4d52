"""Drafting with the real default model (Qwen2.5-Coder-1.5B via llama.cpp) — content, not shapes.

The rules of a visit note, on visits short enough for the suite: a visit without an exam gets no exam
findings, a denied symptom is written as denied, a changed dose keeps both doses, nothing is in the first
person or the dialogue's words, and every drug said reaches the note with its dose.
"""

import base64
import json
import re

import pytest

from scribe.approval import approve_all_flagged_confirmed
from scribe.domain import NoteDraft, Statement, StatementStatus
from scribe.drafting.compose import FIRST_OR_SECOND_PERSON
from scribe.drafting.drafter import NoteDrafter
from scribe.drafting.templates import get_template
from scribe.eval.aci import FILLERS
from scribe.fhir.documentreference import build_document_reference
from scribe.grounding import ground_note
from scribe.resources import asset
from scribe.transcript_io import load_transcript, parse_dialogue

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

# a follow-up visit with no examination: the doctor only asks, reads the home readings and changes a dose
NO_EXAM_FOLLOW_UP = """[doctor] hi mister brown , how have you been since we started the lisinopril ?
[patient] pretty good . i take it every morning , ten milligrams .
[doctor] any headaches or dizziness ?
[patient] no headaches , no dizziness .
[doctor] any chest pain ?
[patient] no chest pain at all . i do get a little short of breath going up the stairs .
[doctor] okay . and your home blood pressure readings ?
[patient] they've been running about one fifty over ninety .
[doctor] that's still high , so i'm going to increase your lisinopril from ten milligrams to twenty milligrams once a day .
[doctor] i also want you to get a basic metabolic panel next week , and i'll see you back in one month .
[patient] okay , sounds good ."""


@pytest.fixture(scope="module")
def qwen_runtime(qwen_gguf):
    pytest.importorskip("llama_cpp")
    from scribe.drafting.runtimes import LlamaCppRuntime

    rt = LlamaCppRuntime(qwen_gguf, n_ctx=4096, model_name="qwen2.5-coder-1.5b")
    rt.load()
    yield rt
    rt.close()


@pytest.fixture(scope="module")
def short_transcript():
    return load_transcript(asset("sample", "short_clip_script.txt"))


@pytest.fixture(scope="module")
def streamed(qwen_runtime, short_transcript):
    drafter = NoteDrafter(qwen_runtime, get_template("soap"))
    events = list(drafter.stream(short_transcript))
    return drafter, events


@pytest.fixture(scope="module")
def follow_up(qwen_runtime):
    transcript = parse_dialogue(NO_EXAM_FOLLOW_UP)
    return transcript, NoteDrafter(qwen_runtime, get_template("soap")).draft(transcript)


def test_draft_streams_sections_and_statements(streamed):
    drafter, events = streamed
    kinds = [e.kind for e in events]
    assert kinds.count("token") > 20  # token by token, not one blob
    sections = [e.section_key for e in events if e.kind == "section"]
    assert sections[0] == "subjective"
    assert kinds[-1] == "done"
    # statements streamed before the end, in the order the UI would show them
    first_statement = kinds.index("statement")
    assert first_statement < len(kinds) - 10
    assert drafter.stats.first_token_s is not None


def test_draft_mentions_medications_with_doses_and_evidence(streamed, short_transcript):
    note: NoteDraft = streamed[1][-1].note
    text = note.render_text().lower()
    assert "lisinopril" in text and "metformin" in text
    assert "10 mg" in text and "500 mg" in text
    assert "penicillin" in text
    statements = note.statements()
    # a statement without evidence carries an issue (a no_evidence hint, or a safety flag)
    assert statements and all(s.evidence or s.issues for s in statements)
    # the lisinopril statements cite the line where it was said
    lis = [s for s in statements if "lisinopril" in s.text.lower()]
    said = {seg.id for seg in short_transcript.segments if "lisinopril" in seg.text.lower()}
    assert any(set(s.evidence) & said for s in lis)
    assert note.grounding is not None and note.grounding.statements == len(statements)
    assert note.model == "qwen2.5-coder-1.5b" and note.runtime == "llama.cpp"


def test_no_exam_in_the_transcript_means_no_exam_findings(follow_up):
    transcript, note = follow_up
    said = {w for w in re.findall(r"\d+", " ".join(s.text for s in transcript.segments))}
    for st in note.section("objective").statements:
        # only the home readings that were said can be there: no body system, no value nobody said
        assert "150/90" in st.text or "blood pressure" in st.text.lower(), st.text
        assert set(re.findall(r"\d+", st.text)) <= said | {"150", "90"}, st.text


def test_a_denied_symptom_appears_as_denied(follow_up):
    _, note = follow_up
    mentions = [s.text for s in note.statements() if "chest pain" in s.text.lower()]
    assert mentions, note.render_text()
    for text in mentions:
        assert re.search(r"\b(den(y|ies|ied)|no|not|without|negative)\b", text, re.I), text


def test_a_dose_change_is_stated_with_both_doses(follow_up):
    _, note = follow_up
    plan = [s.text for s in note.section("plan").statements]
    assert any("lisinopril" in t.lower() and "10 mg" in t and "20 mg" in t for t in plan), plan


def test_no_statement_is_in_the_first_person_or_the_dialogues_words(follow_up, streamed):
    for note in (follow_up[1], streamed[1][-1].note):
        for st in note.statements():
            assert not FIRST_OR_SECOND_PERSON.search(st.text), st.text
            assert not FILLERS.search(st.text), st.text


def test_an_invented_dose_in_the_draft_is_flagged(streamed, short_transcript):
    note: NoteDraft = streamed[1][-1].note
    forged = note.model_copy(
        update={
            "sections": [
                *note.sections[:-1],
                note.sections[-1].model_copy(
                    update={
                        "statements": [
                            *note.sections[-1].statements,
                            Statement(text="Start metformin 1000 mg twice daily."),
                        ]
                    }
                ),
            ]
        }
    )
    checked = ground_note(forged, short_transcript)
    bad = [s for s in checked.statements() if "1000" in s.text][0]
    assert bad.status == StatementStatus.unsupported
    assert any(i.kind == "dose" and "1000 mg" in i.detail for i in bad.issues)


def test_approved_draft_exports_a_document_with_the_note_text(streamed, short_transcript):
    note: NoteDraft = streamed[1][-1].note
    note = note.model_copy(update={"encounter": note.encounter.model_copy(update={"patient_id": "MRN-42"})})
    approved = approve_all_flagged_confirmed(note, "Dr Jane Doe", transcript=short_transcript)
    resource = build_document_reference(approved)
    body = base64.b64decode(resource["content"][0]["attachment"]["data"]).decode()
    assert "lisinopril" in body.lower()
    assert resource["docStatus"] == "final" and resource["type"]["coding"][0]["code"] == "11506-3"
    json.dumps(resource)


def test_unconstrained_output_is_repaired_or_retried(qwen_runtime, short_transcript, monkeypatch):
    """Same model without schema constraint (as with transformers): the drafter still gets a note."""
    monkeypatch.setattr(qwen_runtime, "supports_constrained_json", False, raising=False)
    note = NoteDrafter(qwen_runtime, get_template("soap")).draft(short_transcript)
    assert "lisinopril" in note.render_text().lower()
