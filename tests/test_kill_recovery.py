"""Kill -9 a recording process mid-consultation; the audio must survive (all but ~1 s)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from speech import espeak_wav

from scribe.audio import load_audio
from scribe.recording import FileReplaySource, Recorder
from scribe.storage import VisitState, VisitStore

REPO = Path(__file__).resolve().parents[1]
# a stuck audio backend must fail the test (with a stack dump), not hang the suite
pytestmark = pytest.mark.timeout(120)

SR = 16000
SPEECH = "The patient is a fifty two year old man with a dry cough for three days and a mild fever last night."

CHILD = r"""
import sys, time
from pathlib import Path
from scribe.domain import Encounter
from scribe.recording import FileReplaySource, Recorder
from scribe.storage import VisitStore

root, wav, eid = sys.argv[1:4]
visit = VisitStore(Path(root)).create(Encounter(encounter_id=eid, patient_name="Kill Test"))
rec = Recorder(visit, FileReplaySource(wav, realtime=True))
rec.start()
print("STARTED", flush=True)
time.sleep(120)
"""


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return espeak_wav(tmp_path_factory, SPEECH)


def _readline(proc: subprocess.Popen, timeout: float) -> str:
    out: list[str] = []
    t = threading.Thread(target=lambda: out.append(proc.stdout.readline()), daemon=True)
    t.start()
    t.join(timeout)
    return out[0] if out else ""


def test_sigkill_during_recording_loses_at_most_a_second(speech_wav: Path, tmp_path: Path) -> None:
    src = load_audio(speech_wav)
    assert len(src) / SR > 5.5
    root = tmp_path / "visits"
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root), str(speech_wav), "enc-killtest"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = _readline(proc, 30)
        assert line.strip() == "STARTED", (
            f"child did not start: {line!r} {proc.stderr.read() if proc.poll() is not None else ''}"
        )
        t_start = time.monotonic()
        time.sleep(4.0)
        os.kill(proc.pid, signal.SIGKILL)
        elapsed = time.monotonic() - t_start
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)  # reap, so the pid is really gone
    assert proc.returncode == -signal.SIGKILL

    store = VisitStore(root)
    rec = store.recoverable()
    assert [r.encounter_id for r in rec] == ["enc-killtest"]
    assert rec[0].state == VisitState.recording
    visit = store.open("enc-killtest")
    seconds = visit.recover()
    print(f"killed after {elapsed:.2f} s of recording, recovered {seconds:.2f} s")
    assert seconds >= elapsed - 1.2, f"recovered {seconds:.2f} s of {elapsed:.2f} s"
    assert seconds <= elapsed + 0.5
    assert visit.record.state == VisitState.interrupted
    assert store.recoverable()[0].state == VisitState.interrupted  # still offered until the user decides

    audio, sr = visit.load_audio()
    assert sr == SR and len(audio) == round(seconds * SR)
    assert float(np.corrcoef(audio, src[: len(audio)])[0, 1]) > 0.999
    assert visit.verify_audit()
    assert [e["action"] for e in visit.audit_log()][-1] == "recovered"

    # the physician continues the same visit: the rest appends seamlessly
    rest = FileReplaySource(speech_wav, realtime=False, offset=len(audio) / SR)
    recorder = Recorder(visit, rest)
    recorder.start()
    assert rest.finished.wait(10)
    total = recorder.stop()
    assert total == pytest.approx(len(src) / SR, abs=0.01)
    full, _ = visit.load_audio()
    assert float(np.corrcoef(full, src[: len(full)])[0, 1]) > 0.999
    assert store.recoverable() == []
