"""Drug names heard right and no note from nothing, with Whisper base listening to real audio.

The audio is made here (the bundled sample visit, espeak-ng speech, sox noise and tones); the checks
are what a physician would notice: a misheard drug comes out right with what was heard kept, a drug
nobody said never appears, and silence, noise, music or small talk end in "No clinical conversation
was recorded" with no note written.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import test_asr

from scribe.asr.content import NO_CLINICAL_CONVERSATION
from scribe.asr.engine import FasterWhisperEngine
from scribe.audio import SAMPLE_RATE, load_audio, write_wav
from scribe.errors import ScribeError
from scribe.lexicon import default_lexicon
from scribe.pipeline import Pipeline
from scribe.resources import asset

pytestmark = pytest.mark.slow
settings, base = test_asr.settings, test_asr.base  # fixtures: isolated settings, Whisper base loaded once
REPO = Path(__file__).resolve().parent.parent


def _tools(*names):
    for n in names:
        if shutil.which(n) is None:
            pytest.skip(f"{n} is not installed (apt-get install {n})")


def _espeak(path: Path, text: str, voice: str = "en-us") -> Path:
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "160", "-w", str(raw), text], check=True)
    subprocess.run(
        ["sox", "-R", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(path), "pad", "0.5", "0.8"], check=True
    )
    return path


def test_misheard_drug_is_corrected_and_what_was_heard_is_kept(base, tmp_path):
    # The sample visit's plan: "I'm going to increase your lisinopril from ten milligrams to twenty ..."
    # (espeak-ng): plain Whisper base writes "list in April".
    audio = load_audio(asset("sample", "visit.flac"))
    clip = write_wav(tmp_path / "plan.wav", audio[int(222.8 * SAMPLE_RATE) : int(229.2 * SAMPLE_RATE)])
    plain = FasterWhisperEngine("base", base.settings, correct_terms=False).transcribe_file(clip)
    assert "lisinopril" not in plain.text.lower(), plain.text  # what the correction is for

    tr = base.transcribe_file(clip)
    assert "lisinopril" in tr.text.lower(), tr.text
    corrected = [w for s in tr.segments for w in s.words if w.original]
    assert [w.word.strip(".,").lower() for w in corrected] == ["lisinopril"], tr.text
    assert corrected[0].original.lower() in plain.text.lower()  # the heard words, kept for audit
    assert "10" in tr.text and "20" in tr.text  # doses untouched
    # the original survives the transcript file
    assert '"original"' in tr.model_dump_json()


def test_a_drug_nobody_said_never_appears(base, tmp_path):
    _tools("espeak-ng", "sox")
    # A name Whisper cannot spell and "around that": where the hot-word list used to leak drugs
    # ("and potassium chloride.", "around atorvastatin"). Said among real talk about medicines.
    text = (
        "My name is Jan Kowalczyk, that's K O W A L C Z Y K. I live at forty two Szczebrzeszyn Street. "
        "The pain is around that, right around that, below the knee. "
        "I take my blood pressure pill every morning and I had a tetanus shot last year."
    )
    tr = base.transcribe_file(_espeak(tmp_path / "name.wav", text))
    named = default_lexicon([]).medications_in_text(tr.text)
    assert not named, (named, tr.text)
    assert "knee" in tr.text.lower()


@pytest.fixture(scope="module")
def no_visit_recordings(tmp_path_factory):
    _tools("espeak-ng", "sox")
    d = tmp_path_factory.mktemp("no-visit")
    rec = {"silence": write_wav(d / "silence.wav", np.zeros(6 * SAMPLE_RATE, np.float32))}
    fmt = ["-r", "16000", "-c", "1", "-b", "16"]
    subprocess.run(
        ["sox", "-R", "-n", *fmt, str(d / "noise.wav"), "synth", "10", "brownnoise", "vol", "0.3"], check=True
    )
    rec["room noise"] = d / "noise.wav"
    notes = [f"pluck {n}" for n in ("C4", "E4", "G4", "C5", "G4", "E4", "A3", "C4", "E4", "F4", "A4", "C5")]
    parts = []
    for i, note in enumerate(notes):
        p = d / f"n{i}.wav"
        subprocess.run(["sox", "-R", "-n", *fmt, str(p), "synth", "0.5", *note.split(), "vol", "0.5"], check=True)
        parts.append(str(p))
    subprocess.run(["sox", "-R", *parts, *parts, str(d / "music.wav"), "reverb", "40"], check=True)
    rec["music"] = d / "music.wav"
    chat = [
        ("en-us", "Morning! Did you catch the game last night?"),
        ("en-us+f3", "I did, what a finish. We watched it at my brother's place."),
        ("en-us", "The weather was lovely on Saturday. We went down to the beach."),
        ("en-us+f3", "Lucky you. We painted the fence and had a barbecue with the neighbours."),
        ("en-us", "Shall we get a coffee later, around three?"),
        ("en-us+f3", "Sure, see you at three."),
    ]
    turns = [str(_espeak(d / f"c{i}.wav", t, v)) for i, (v, t) in enumerate(chat)]
    subprocess.run(["sox", "-R", *turns, str(d / "chat.wav")], check=True)
    rec["small talk"] = d / "chat.wav"
    return rec


@pytest.mark.parametrize("kind", ["silence", "room noise", "music", "small talk"])
def test_no_clinical_conversation_no_draft(base, settings, no_visit_recordings, kind, tmp_path):
    pipe = Pipeline(settings)
    pipe._asr = base  # the loaded engine; the language model is never needed
    with pytest.raises(ScribeError, match=NO_CLINICAL_CONVERSATION) as err:
        pipe.run(no_visit_recordings[kind], tmp_path / "out")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "out" / "note.json").exists()
    assert pipe._runtime is None, "the language model was not even loaded"
    if kind == "small talk":  # words were heard: it is the check that refused them, not the recogniser
        assert "words heard" in str(err.value)


def test_no_visit_from_the_command_line(no_visit_recordings, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "scribe", "run", str(no_visit_recordings["small talk"]), "--out", str(tmp_path), "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 2, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("scribe: error: No clinical conversation was recorded") and "Traceback" not in proc.stderr
    assert not (tmp_path / "note.json").exists()


def test_phantom_phrases_are_dropped_from_decoded_windows(base):
    """Whatever Whisper writes on a stretch of noise, no video boilerplate reaches the segments."""

    class Seg:
        def __init__(self, text, words):
            self.text, self.words, self.avg_logprob = text, words, -0.3

    class W:
        def __init__(self, word, start):
            self.word, self.start, self.end, self.probability = word, start, start + 0.3, 0.9

    fake = [
        Seg(" Thank you for watching!", [W(" Thank", 0), W(" you", 0.3), W(" for", 0.6), W(" watching!", 0.9)]),
        Seg(" I take aspirin.", [W(" I", 2.0), W(" take", 2.3), W(" aspirin.", 2.6)]),
        Seg(" [Music]", [W(" [Music]", 4.0)]),
    ]
    out = list(base._iter_segments(fake, 10.0, 0))
    assert [s.text for s in out] == ["I take aspirin."] and out[0].start == 12.0
