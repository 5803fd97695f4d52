"""The ACI-Bench scorecard's metrics and runner.

Metric tests use fixed strings; the runner test drives one encounter through both systems with the
scripted stand-in model (``tests/scripted_llm.py``) — it checks the bookkeeping, not a model.
The real numbers come from ``benchmarks/eval_aci.py`` (see ``docs/quality.md``).
"""

import json

import pytest
from scripted_llm import KeywordRuntime

from scribe.domain import NoteDraft, Section, Statement, StatementStatus
from scribe.drafting.templates import get_template
from scribe.errors import InputError
from scribe.eval.aci import (
    AciEncounter,
    CachedRuntime,
    Rouge,
    audit_findings,
    audit_hallucinations,
    evaluate,
    format_table,
    medication_recall,
    medications_in,
    stored_naive,
    text_as_note,
    voice_issues,
)
from scribe.transcript_io import parse_dialogue

DIALOGUE = """[doctor] hi , how are you doing with the knee ?
[patient] it still hurts when i climb stairs . i take ibuprofen 400 mg when it's bad .
[doctor] on exam , there is a small effusion of the right knee .
[doctor] i think this is osteoarthritis . let's start meloxicam 15 mg daily and follow up in six weeks ."""
REFERENCE = """CHIEF COMPLAINT

Right knee pain.

HISTORY OF PRESENT ILLNESS

The patient reports right knee pain when climbing stairs. He takes ibuprofen 400 mg as needed. He also takes Lasix.

ASSESSMENT AND PLAN

Osteoarthritis of the right knee. Start meloxicam 15 mg daily. Follow up in 6 weeks."""


def test_rouge_is_f1_times_100_with_stemming():
    r = Rouge()
    assert r("knee pain", "knee pain") == {"rouge1": 100.0, "rouge2": 100.0, "rougeL": 100.0, "rouge1_recall": 100.0}
    s = r("The knees hurt", "knee pain")  # stemming matches knees/knee
    assert s["rouge1"] == pytest.approx(40.0)
    assert s["rouge1_recall"] == pytest.approx(50.0)  # half the reference's words are in the draft


def test_medication_recall_counts_reference_drugs_that_were_said():
    m = medication_recall(REFERENCE, "Takes ibuprofen as needed.", DIALOGUE)
    assert m["reference"] == ["ibuprofen", "lasix", "meloxicam"]
    assert m["said"] == ["ibuprofen", "meloxicam"]  # nobody said Lasix
    assert m["found"] == ["ibuprofen"] and m["missing_said"] == ["meloxicam"]
    assert "cholesterol" not in medications_in("Her cholesterol is high.")


def test_audit_finds_invented_drugs_and_doses_and_whether_they_were_flagged():
    note = NoteDraft(
        sections=[
            Section(
                key="plan",
                title="Plan",
                statements=[
                    Statement(text="Start meloxicam 15 mg daily."),
                    Statement(text="Start naproxen 500 mg.", status=StatementStatus.unsupported),
                    Statement(text="Ibuprofen 800 mg as needed."),
                ],
            )
        ]
    )
    found = audit_hallucinations(note, DIALOGUE)
    assert {(h["kind"], h["term"], h["flagged"]) for h in found} == {
        ("medication", "naproxen", True),
        ("dose", "500 mg", True),
        ("dose", "800 mg", False),
    }


def test_free_text_becomes_sentence_statements_under_its_headings():
    note = text_as_note(
        "**Chief complaint:** knee pain.\n\n**Physical Examination:**\n- Small effusion of the right knee.\n"
        "PLAN\n- Start meloxicam 15 mg daily. Follow up in 6 weeks.\n#"
    )
    assert [s.text for s in note.statements()] == [
        "Chief complaint: knee pain.",
        "Small effusion of the right knee.",
        "Start meloxicam 15 mg daily.",
        "Follow up in 6 weeks.",
    ]
    assert [(s.key, len(s.statements)) for s in note.sections] == [
        ("note", 1),
        ("physical_examination", 1),
        ("plan", 2),
    ]


def test_invented_findings_and_the_dialogues_voice_are_counted():
    note = NoteDraft(
        sections=[
            Section(
                key="objective",
                title="Objective",
                statements=[
                    Statement(text="Right knee: small effusion."),  # said
                    Statement(text="Blood pressure: 120/80 mmHg."),  # no value was said
                    Statement(
                        text="Eyes: no signs of infection.", status=StatementStatus.unsupported
                    ),  # eyes never came up
                    Statement(text="Results: x-ray shows arthritis."),  # a result, not a finding
                ],
            ),
            Section(
                key="plan",
                title="Plan",
                statements=[
                    Statement(text="I'm going to start you on meloxicam."),
                    Statement(text="Uh, follow up in six weeks."),
                    Statement(text="Start meloxicam 15 mg daily."),
                ],
            ),
        ]
    )
    found = audit_findings(note, DIALOGUE)
    assert [(f["statement"], f["why"], f["flagged"]) for f in found] == [
        ("Blood pressure: 120/80 mmHg.", "value 120 never said", False),
        ("Eyes: no signs of infection.", "eyes never mentioned", True),
    ]
    assert voice_issues(note) == ["I'm going to start you on meloxicam.", "Uh, follow up in six weeks."]


def test_answers_are_cached_by_request():
    rt = KeywordRuntime({"plan": "start"})
    schema = {"type": "object", "properties": {"plan": {"type": "array", "items": {"type": "string"}}}}
    messages = [{"role": "user", "content": "[0] Doctor: let's start meloxicam"}]

    def cached(folder):
        return CachedRuntime(rt, folder)

    first = cached(tmp := __import__("tempfile").mkdtemp())
    a = first.chat(messages, json_schema=schema, max_tokens=50)
    b = cached(tmp).chat(messages, json_schema=schema, max_tokens=50)
    c = cached(tmp).chat(messages, json_schema=schema, max_tokens=60)  # another budget: another request
    assert a == b == c and rt.calls == 2 and first.misses == 1


def test_cached_answers_are_not_reused_after_the_samplers_rules_change(monkeypatch, tmp_path):
    """The loop guard changed the answers to the same requests; answers cached before it made a
    comparison of two pipelines compare stale answers. The sampler's rule version is in the key."""
    import scribe.drafting.fast_grammar as fast_grammar

    rt = KeywordRuntime({"plan": "start"})
    schema = {"type": "object", "properties": {"plan": {"type": "array", "items": {"type": "string"}}}}
    messages = [{"role": "user", "content": "[0] Doctor: let's start meloxicam"}]
    CachedRuntime(rt, tmp_path).chat(messages, json_schema=schema, max_tokens=50)
    monkeypatch.setattr(fast_grammar, "DECODING_RULES", fast_grammar.DECODING_RULES + "-next")
    again = CachedRuntime(rt, tmp_path)
    again.chat(messages, json_schema=schema, max_tokens=50)
    assert again.misses == 1 and rt.calls == 2


def test_runner_scores_scribe_and_naive_and_writes_json(tmp_path):
    rules = {
        "chief_complaint": r"knee",
        "history_of_present_illness": r"hurts",
        "physical_exam": r"on exam",
        "assessment_and_plan": r"(osteoarthritis)",
        "assessment": r"think",
        "plan": r"meloxicam",
    }
    naive_answer = "The patient has knee pain. Start meloxicam 15 mg daily. Start warfarin 5 mg."
    rt = KeywordRuntime(rules, answers=[])
    enc = AciEncounter("T1", "test", DIALOGUE, REFERENCE)
    out = tmp_path / "scores.json"

    # the naive prompt is the plain one, and its answer is scored the same way
    real_stream = rt.stream_chat

    def stream_chat(messages, **kw):
        if messages[0]["content"].startswith("Write the visit note"):
            rt.answers.append(naive_answer)
        return real_stream(messages, **kw)

    rt.stream_chat = stream_chat
    # the end-to-end system drafts from what the recogniser heard ("meloxicam" misheard as "melody cam")
    heard = {"T1": parse_dialogue(DIALOGUE.replace("meloxicam", "melody cam"))}
    payload = evaluate([enc], rt, [get_template("aci")], out=out, log=lambda m: None, transcripts=heard)
    saved = json.loads(out.read_text())
    assert saved["summary"] == payload["summary"]
    rows = {r["system"]: r for r in saved["results"]}
    assert set(rows) == {"scribe", "naive", "end-to-end"}
    assert rows["scribe"]["template"] == "aci" and rows["scribe"]["rouge1"] > 20
    assert rows["scribe"]["medications"]["found"] == ["ibuprofen", "meloxicam"]
    assert rows["end-to-end"]["medications"]["found"] == ["ibuprofen"]  # what was misheard is lost
    assert rows["scribe"]["rouge1_recall"] > 0 and rows["scribe"]["reference_words"] == len(REFERENCE.split())
    assert rows["scribe"]["invented_findings"] == [] and rows["scribe"]["voice"] == []
    naive = rows["naive"]
    assert naive["statements"] == 3 and naive["unsupported"] >= 1  # warfarin was never said
    assert {h["term"] for h in naive["hallucinations"]} == {"warfarin", "5 mg"}
    assert all(h["flagged"] for h in naive["hallucinations"])
    table = format_table(saved["summary"])
    assert "| scribe | aci | 1 |" in table and "| naive | - | 1 |" in table and "| end-to-end | aci | 1 |" in table
    scribe = next(s for s in saved["summary"] if s["system"] == "scribe")
    assert scribe["better_than_naive"] in (0, 1) and scribe["worst_vs_naive"] == pytest.approx(
        rows["scribe"]["rouge1"] - naive["rouge1"], abs=0.01
    )
    # re-grading the stored drafts with the same code gives the same figures
    from scribe.eval.aci import regrade

    again = regrade(json.loads(out.read_text()), {"T1": enc})
    assert [(r["statements"], r["unsupported"]) for r in again["results"]] == [
        (r["statements"], r["unsupported"]) for r in saved["results"]
    ]
    # --resume skips what is already there
    payload = evaluate(
        [enc], rt, [get_template("aci")], out=out, log=lambda m: None, config={"git": "aaa", "command": "first"}
    )
    again = evaluate(
        [enc],
        KeywordRuntime({}),
        [get_template("aci")],
        out=out,
        resume=True,
        log=lambda m: None,
        config={"git": "bbb", "command": "second"},
    )
    assert len(again["results"]) == 2  # (no transcripts this time: no end-to-end row)
    # ... and keeps how the stored notes were made next to this run's settings
    assert again["config"]["command"] == "second"
    assert [c["command"] for c in again["config"]["earlier_runs"]] == ["first"]
    assert {r["git"] for r in again["results"]} == {"aaa"}


def test_a_stored_baseline_is_scored_again_not_drafted(tmp_path):
    enc = AciEncounter("T1", "test", DIALOGUE, REFERENCE)
    earlier = tmp_path / "earlier.json"
    stored = "The patient has right knee pain. Start meloxicam 15 mg daily."
    config = {"naive_prompt": "Write the visit note for this doctor-patient conversation.\n\n{dialogue}", "model": "m"}
    row = {"encounter_id": "T1", "system": "naive", "template": "-", "draft": stored, "seconds": 58.0, "git": "abc"}
    earlier.write_text(json.dumps({"config": config, "results": [row]}))
    rt = KeywordRuntime({}, answers=[])
    payload = evaluate(
        [enc], rt, [], out=tmp_path / "new.json", log=lambda m: None, naive_notes=stored_naive(earlier, "m")
    )
    (naive,) = payload["results"]
    assert rt.calls == 0 and naive["draft"] == stored and naive["seconds"] == 58.0
    assert naive["medications"]["found"] == ["meloxicam"] and "git abc" in naive["reused_from"]
    # another model's or another prompt's baseline is not this one's
    with pytest.raises(InputError, match="another prompt or model"):
        stored_naive(earlier, "other-model")


def test_summary_compares_only_encounters_every_system_finished():
    from scribe.eval.aci import summarise

    def row(enc, system, r1):
        return {
            "encounter_id": enc,
            "system": system,
            "template": "aci" if system == "scribe" else "-",
            "rouge1": r1,
            "rouge2": 0,
            "rougeL": 0,
            "words": 1,
            "statements": 1,
            "unsupported": 0,
            "seconds": 1.0,
            "hallucinations": [],
            "medications": {"reference": [], "said": [], "found": []},
        }

    rows = [row("A", "scribe", 50), row("A", "naive", 40), row("B", "scribe", 10)]  # stopped before B's baseline
    summary = {s["system"]: s for s in summarise(rows)}
    assert summary["scribe"]["notes"] == 1 and summary["scribe"]["rouge1"] == 50
    assert summary["naive"]["notes"] == 1


def test_reference_notes_go_through_the_same_check():
    from scribe.eval.aci import reference_grounding

    enc = AciEncounter("T1", "test", DIALOGUE, REFERENCE)
    ref = reference_grounding([enc])
    assert ref["notes"] == 1 and ref["statements"] >= 3 and 0 <= ref["unsupported"] <= ref["statements"]
