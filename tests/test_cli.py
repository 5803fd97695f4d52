"""The `scribe` command as clinics script it: clear one-line errors, and the whole job end to end."""

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scribe.resources import asset

REPO = Path(__file__).resolve().parent.parent


def scribe(*args, cwd=None, timeout=900):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "scribe", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )
    return proc.returncode, proc.stdout, proc.stderr


def assert_clear_error(code, out, err, *fragments):
    assert code == 2, (code, out, err)
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert lines and lines[-1].startswith("scribe: error: "), err
    assert "Traceback" not in err and "Traceback" not in out
    for f in fragments:
        assert f.lower() in lines[-1].lower(), (f, lines[-1])


def test_missing_audio_file(tmp_path):
    assert_clear_error(*scribe("transcribe", tmp_path / "nope.wav", "-q"), "nope.wav", "does not exist")


def test_text_file_posing_as_audio(tmp_path):
    fake = tmp_path / "visit.wav"
    fake.write_text("this is not audio at all\n" * 20)
    assert_clear_error(*scribe("transcribe", fake, "-q"), "visit.wav")


def test_silence_only(tmp_path):
    from scribe.audio import write_wav

    silent = write_wav(tmp_path / "silence.wav", np.zeros(16000 * 4, dtype=np.float32), 16000)
    assert_clear_error(*scribe("transcribe", silent, "-q"), "no speech")


def test_empty_transcript(tmp_path):
    empty = tmp_path / "t.txt"
    empty.write_text("   \n")
    assert_clear_error(*scribe("draft", empty, "--out", tmp_path / "n.json", "-q"), "empty")


def test_unknown_template(tmp_path):
    t = tmp_path / "t.txt"
    t.write_text("[patient] I have a cough.\n")
    assert_clear_error(
        *scribe("draft", t, "--out", tmp_path / "n.json", "--template", "nope", "-q"), "unknown template 'nope'"
    )


def test_unreadable_model_folder(tmp_path):
    t = tmp_path / "t.txt"
    t.write_text("[patient] I have a cough.\n")
    bogus = tmp_path / "model"
    bogus.mkdir()
    (bogus / "README").write_text("not a model")
    assert_clear_error(*scribe("draft", t, "--out", tmp_path / "n.json", "--llm-model", bogus, "-q"), str(bogus))
    assert_clear_error(
        *scribe("transcribe", asset("sample", "short_clip.flac"), "--asr-model", bogus, "-q"),
        "not a ctranslate2 whisper model",
    )


def test_unapproved_note_cannot_be_exported(tmp_path):
    from scribe.domain import Encounter, NoteDraft, Section, Statement

    note = NoteDraft(
        encounter=Encounter(patient_id="MRN-1"),
        sections=[Section(key="subjective", title="Subjective", statements=[Statement(text="Reports cough.")])],
    )
    path = tmp_path / "note.json"
    path.write_text(note.model_dump_json())
    assert_clear_error(*scribe("export", path, "--out", tmp_path / "dr.json", "-q"), "approv")
    assert not (tmp_path / "dr.json").exists()


def test_approve_refuses_flagged_statements_then_confirm_works(tmp_path):
    from scribe.domain import Encounter, NoteDraft, Section, Statement
    from scribe.grounding import ground_note
    from scribe.transcript_io import parse_dialogue

    transcript = parse_dialogue("[patient] I take lisinopril ten milligrams a day.")
    note = ground_note(
        NoteDraft(
            encounter=Encounter(patient_id="MRN-1"),
            sections=[
                Section(
                    key="subjective", title="Subjective", statements=[Statement(text="Takes lisinopril 40 mg daily.")]
                )
            ],
        ),
        transcript,
        medications={"lisinopril"},
    )
    path = tmp_path / "note.json"
    path.write_text(note.model_dump_json())
    assert_clear_error(*scribe("approve", path, "-q"), "transcript")  # approval re-checks against the transcript
    (tmp_path / "transcript.json").write_text(transcript.model_dump_json())
    assert_clear_error(*scribe("approve", path, "-q"), "flagged unsupported", "40 mg")
    code, out, err = scribe("approve", path, "--confirm-unsupported", "-q")
    assert code == 0, err
    assert "signed by" in out
    code, out, err = scribe("export", path, "--out", tmp_path / "dr.json", "-q")
    assert code == 0, err
    dr = json.loads((tmp_path / "dr.json").read_text())
    assert "lisinopril 40 mg" in base64.b64decode(dr["content"][0]["attachment"]["data"]).decode().lower()


@pytest.mark.slow
@pytest.mark.e2e
def test_run_end_to_end_on_audio(tmp_path):
    """`scribe run` on the short two-voice clip (as MP3, stereo 44.1 kHz) with the default models."""
    if not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg is needed to make the MP3 input")
    mp3 = tmp_path / "clip.mp3"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", asset("sample", "short_clip.flac"), "-ac", "2", "-ar", "44100", mp3],
        check=True,
    )
    out = tmp_path / "out"
    code, stdout, err = scribe(
        "run",
        mp3,
        "--out",
        out,
        "--approve",
        "--patient-id",
        "MRN-7",
        "--patient-name",
        "Alex Morgan",
        "--confirm-unsupported",
    )
    assert code == 0, err[-3000:]
    transcript = json.loads((out / "transcript.json").read_text())
    spoken = " ".join(s["text"] for s in transcript["segments"]).lower()
    assert "lisinopril" in spoken and "penicillin" in spoken  # base hears metformin's end as a number here
    note = json.loads((out / "note.json").read_text())
    from scribe.access import os_login

    assert note["approval"]["login"] == os_login() and note["approval"]["signature"]
    dr = json.loads((out / "documentreference.json").read_text())
    assert dr["resourceType"] == "DocumentReference" and dr["docStatus"] == "final"
    assert dr["subject"]["identifier"]["value"] == "MRN-7"
    body = base64.b64decode(dr["content"][0]["attachment"]["data"]).decode().lower()
    assert "lisinopril" in body
    assert "FHIR R4 DocumentReference (validated)" in stdout
    assert "transcrib" in err  # progress was shown
