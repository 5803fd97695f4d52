"""Drafting with the real default model (Qwen2.5-Coder-1.5B via llama.cpp) — content, not shapes."""

import json

import pytest

from scribe.approval import approve_all_flagged_confirmed
from scribe.domain import NoteDraft, Statement, StatementStatus
from scribe.drafting.drafter import NoteDrafter
from scribe.drafting.templates import get_template
from scribe.fhir.documentreference import build_document_reference
from scribe.grounding import ground_note
from scribe.resources import asset
from scribe.transcript_io import load_transcript

pytestmark = pytest.mark.slow


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
    drafter = NoteDrafter(qwen_runtime, get_template("soap"), max_tokens=700)
    events = list(drafter.stream(short_transcript))
    return drafter, events


def test_draft_streams_sections_and_statements(streamed):
    drafter, events = streamed
    kinds = [e.kind for e in events]
    assert kinds.count("token") > 20  # token by token, not one blob
    sections = [e.section_key for e in events if e.kind == "section"]
    assert sections[:2] == ["subjective", "objective"]
    assert any(e.kind == "statement" for e in events)
    assert kinds[-1] == "done"
    # statements streamed before the end, in the order the UI would show them
    first_statement = kinds.index("statement")
    assert first_statement < len(kinds) - 10
    assert drafter.stats.first_token_s is not None


def test_draft_mentions_medications_with_doses_and_cites_evidence(streamed, short_transcript):
    note: NoteDraft = streamed[1][-1].note
    text = note.render_text().lower()
    assert "lisinopril" in text and "metformin" in text
    assert "10 mg" in text.replace("milligrams", "mg") or "10mg" in text
    assert "500 mg" in text.replace("milligrams", "mg") or "500mg" in text
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
    import base64

    body = base64.b64decode(resource["content"][0]["attachment"]["data"]).decode()
    assert "lisinopril" in body.lower()
    assert resource["docStatus"] == "final" and resource["type"]["coding"][0]["code"] == "11506-3"
    json.dumps(resource)


def test_unconstrained_output_is_repaired_or_retried(qwen_runtime, short_transcript, monkeypatch):
    """Same model without schema constraint (as with transformers): the drafter still gets a note."""
    monkeypatch.setattr(qwen_runtime, "supports_constrained_json", False, raising=False)
    note = NoteDrafter(qwen_runtime, get_template("soap"), max_tokens=700).draft(short_transcript)
    assert "lisinopril" in note.render_text().lower()
