"""`scribe roles`, `scribe revise` and `scribe eval` as a clinic or CI would run them (no model needed:
roles are deterministic, a style change needs no model, the scorecard can be re-printed from its JSON)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from scribe.domain import NoteDraft, Section, Statement
from scribe.grounding import ground_note
from scribe.transcript_io import parse_dialogue

REPO = Path(__file__).resolve().parent.parent
DIALOGUE = """What brings you in today?
I've had a sore throat for three days and my ears hurt.
Any fever?
No fever.
Let me take a look. Your throat is red but there is no pus on the tonsils.
I think this is a viral infection. Drink plenty of fluids and come back if it is not better in a week.
"""


def scribe(*args):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    p = subprocess.run(
        [sys.executable, "-m", "scribe", *map(str, args)], capture_output=True, text=True, env=env, timeout=120
    )
    return p.returncode, p.stdout, p.stderr


def test_roles_labels_an_untagged_dialogue(tmp_path):
    src = tmp_path / "visit.txt"
    src.write_text(DIALOGUE)
    code, out, err = scribe("roles", src, "--out", tmp_path / "t.json", "--show")
    assert code == 0, err
    assert "[0] clinician" in out and "[1] patient" in out and "[4] clinician" in out
    saved = json.loads((tmp_path / "t.json").read_text())
    assert [s["speaker"] for s in saved["segments"]][:4] == ["clinician", "patient", "clinician", "patient"]


def test_revise_shows_the_diff_and_applies_it_only_when_accepted(tmp_path):
    src = tmp_path / "visit.txt"
    src.write_text(DIALOGUE)
    transcript = parse_dialogue(DIALOGUE)
    note = ground_note(
        NoteDraft(
            sections=[
                Section(
                    key="plan",
                    title="Plan",
                    statements=[
                        Statement(text="Drink plenty of fluids."),
                        Statement(text="Return if not better in a week."),
                    ],
                )
            ]
        ),
        transcript,
    )
    path = tmp_path / "note.json"
    path.write_text(note.model_dump_json())
    from scribe.access import current_user
    from scribe.settings import Settings

    me = current_user(Settings())
    code, out, err = scribe(
        "revise", path, "--transcript", src, "--section", "plan", "--instruction", "as a paragraph", "-q"
    )
    assert code == 0, err
    assert "~ style: bullets -> prose" in out and "Not applied" in out
    assert json.loads(path.read_text())["sections"][0]["style"] is None
    code, out, err = scribe(
        "revise",
        path,
        "--transcript",
        src,
        "--section",
        "plan",
        "--instruction",
        "as a paragraph",
        "--accept-as",
        me.login,  # accepted by the person signed in (another name would be refused)
        "-q",
    )
    assert code == 0, err
    revised = NoteDraft.model_validate_json(path.read_text())
    assert "PLAN\nDrink plenty of fluids. Return if not better in a week.\n" in revised.render_text()
    assert revised.events[-1].action == "revised" and revised.events[-1].actor == me.name
    code, out, err = scribe("revise", path, "--transcript", src, "--section", "hpi", "--instruction", "shorter")
    assert code == 2 and "no section 'hpi'" in err


def test_eval_reprints_a_scorecard(tmp_path):
    rows = []
    for system, r1 in (("scribe", 46.0), ("naive", 40.0)):
        rows.append(
            {
                "encounter_id": "E1",
                "system": system,
                "template": "aci" if system == "scribe" else "-",
                "rouge1": r1,
                "rouge2": 20.0,
                "rougeL": 25.0,
                "words": 300,
                "statements": 10,
                "unsupported": 2,
                "medications": {"reference": ["lasix"], "said": ["lasix"], "found": ["lasix"], "missing_said": []},
                "hallucinations": [],
                "seconds": 60.0,
            }
        )
    out = tmp_path / "r.json"
    out.write_text(json.dumps({"results": rows}))
    code, text, err = scribe("eval", "--summarize", "--out", out)
    assert code == 0, err
    assert "| scribe | aci | 1 | 46.00 |" in text and "| naive | - | 1 | 40.00 |" in text
    assert "| E1 | 40.0 | 46.0 |" in text
