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
from scribe.eval.aci import (
    AciEncounter,
    Rouge,
    audit_hallucinations,
    evaluate,
    format_table,
    medication_recall,
    medications_in,
    text_as_note,
)

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
    assert r("knee pain", "knee pain") == {"rouge1": 100.0, "rouge2": 100.0, "rougeL": 100.0}
    s = r("The knees hurt", "knee pain")  # stemming matches knees/knee
    assert s["rouge1"] == pytest.approx(40.0)


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


def test_free_text_becomes_sentence_statements():
    note = text_as_note("**Chief complaint:** knee pain.\n\n- Start meloxicam 15 mg daily. Follow up in 6 weeks.\n#")
    assert [s.text for s in note.statements()] == [
        "Chief complaint: knee pain.",
        "Start meloxicam 15 mg daily.",
        "Follow up in 6 weeks.",
    ]


def test_runner_scores_scribe_and_naive_and_writes_json(tmp_path):
    rules = {
        "chief_complaint": r"knee",
        "history_of_present_illness": r"hurts",
        "review_of_systems": r"^$",
        "physical_exam": r"on exam",
        "results": r"^$",
        "assessment_and_plan": r"think|start",
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
    payload = evaluate([enc], rt, [get_template("aci")], out=out, log=lambda m: None)
    saved = json.loads(out.read_text())
    assert saved["summary"] == payload["summary"]
    rows = {r["system"]: r for r in saved["results"]}
    assert set(rows) == {"scribe", "naive"}
    assert rows["scribe"]["template"] == "aci" and rows["scribe"]["rouge1"] > 20
    assert rows["scribe"]["medications"]["found"] == ["ibuprofen", "meloxicam"]
    naive = rows["naive"]
    assert naive["statements"] == 3 and naive["unsupported"] >= 1  # warfarin was never said
    assert {h["term"] for h in naive["hallucinations"]} == {"warfarin", "5 mg"}
    assert all(h["flagged"] for h in naive["hallucinations"])
    table = format_table(saved["summary"])
    assert "| scribe | aci | 1 |" in table and "| naive | - | 1 |" in table
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
    assert len(again["results"]) == 2
    # ... and keeps how the stored notes were made next to this run's settings
    assert again["config"]["command"] == "second"
    assert [c["command"] for c in again["config"]["earlier_runs"]] == ["first"]
    assert {r["git"] for r in again["results"]} == {"aaa"}


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
