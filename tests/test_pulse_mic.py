"""A real microphone path: PulseAudio null sink -> virtual source -> ALSA 'pulse' -> PortAudio.

Each test starts its OWN PulseAudio (socket in a temp dir) and stops it by pid. Skipped only
when PulseAudio cannot run on this machine at all. See /work/shared/AUDIO.md.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from speech import espeak_wav

from scribe.domain import Encounter
from scribe.storage import VisitStore

# a stuck audio backend must fail the test (with a stack dump), not hang the suite
pytestmark = pytest.mark.timeout(120)

SR = 16000
SPEECH = "The patient is a fifty two year old man with a dry cough for three days and a mild fever last night."

PA_CONFIG = """\
load-module module-native-protocol-unix auth-anonymous=1 socket={socket}
load-module module-null-sink sink_name=scribe_sink rate=16000 channels=1
load-module module-remap-source source_name=scribe_mic master=scribe_sink.monitor
set-default-sink scribe_sink
set-default-source scribe_mic
"""


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return espeak_wav(tmp_path_factory, SPEECH)


class PulseServer:
    def __init__(self, proc: subprocess.Popen, server: str, folder: Path):
        self.proc, self.server, self.folder = proc, server, folder

    @property
    def env(self) -> dict:
        return dict(os.environ, PULSE_SERVER=self.server)


@pytest.fixture()
def pulse(monkeypatch: pytest.MonkeyPatch):
    for tool in ("pulseaudio", "paplay", "pactl"):
        if shutil.which(tool) is None:
            pytest.skip(
                f"PulseAudio cannot run here: '{tool}' is not installed "
                "(apt-get install pulseaudio pulseaudio-utils libasound2-plugins)"
            )
    folder = Path(tempfile.mkdtemp(prefix="scribe-pa-"))  # short path: unix sockets max ~107 chars
    socket_path = folder / "native"
    conf = folder / "scribe.pa"
    conf.write_text(PA_CONFIG.format(socket=socket_path))
    env = dict(
        os.environ,
        HOME=str(folder),
        XDG_RUNTIME_DIR=str(folder),
        XDG_CONFIG_HOME=str(folder / "config"),
        PULSE_RUNTIME_PATH=str(folder / "runtime"),
        PULSE_STATE_PATH=str(folder / "state"),
    )
    env.pop("PULSE_SERVER", None)
    log_path = folder / "pulseaudio.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            ["pulseaudio", "-n", "-F", str(conf), "--daemonize=no", "--exit-idle-time=-1", "--log-target=stderr"],
            stdout=log,
            stderr=log,
            env=env,
        )
    server = f"unix:{socket_path}"
    ready = False
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and proc.poll() is None:
        if (
            socket_path.exists()
            and subprocess.run(
                ["pactl", "info"], env=dict(os.environ, PULSE_SERVER=server), capture_output=True
            ).returncode
            == 0
        ):
            ready = True
            break
        time.sleep(0.1)
    if not ready:
        if proc.poll() is None:
            proc.kill()
        proc.wait(5)
        tail = log_path.read_text(errors="replace")[-600:]
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"PulseAudio cannot run here (exit {proc.returncode}): {tail}")
    monkeypatch.setenv("PULSE_SERVER", server)  # read by the ALSA 'pulse' plugin inside PortAudio
    yield PulseServer(proc, server, folder)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    shutil.rmtree(folder, ignore_errors=True)


def _pulse_device():
    pytest.importorskip("sounddevice", reason="the sounddevice package (Scribe's 'app' extra) is not installed")
    from scribe.recording import list_input_devices

    devices = list_input_devices()  # re-initialises PortAudio now that PULSE_SERVER is set
    found = [d for d in devices if d.name == "pulse"]
    assert found, f"PortAudio shows no 'pulse' input (libasound2-plugins missing?): {[d.name for d in devices]}"
    return found[0]


def _align(recorded: np.ndarray, ref: np.ndarray) -> int:
    """Offset of ``ref`` inside ``recorded`` by FFT cross-correlation."""
    n = 1 << int(np.ceil(np.log2(len(recorded) + len(ref))))
    xc = np.fft.irfft(np.fft.rfft(recorded, n) * np.conj(np.fft.rfft(ref, n)), n)
    return int(np.argmax(xc[: len(recorded)]))


def test_pulse_virtual_microphone_records_speech(pulse: PulseServer, speech_wav: Path, tmp_path: Path) -> None:
    from scribe.audio import load_audio
    from scribe.recording import Recorder, SoundDeviceSource

    device = _pulse_device()
    visit = VisitStore(tmp_path / "visits").create(Encounter(patient_name="Pulse Test"))
    lost: list[str] = []
    source = SoundDeviceSource(device)
    rec = Recorder(visit, source, on_device_lost=lost.append)
    rec.start()
    time.sleep(0.3)
    subprocess.run(["paplay", "--device=scribe_sink", str(speech_wav)], env=pulse.env, check=True, timeout=60)
    time.sleep(0.5)
    seconds = rec.stop()
    assert lost == [], lost
    assert source.device_rate == SR and source.device_channels == 1

    src = load_audio(speech_wav)
    audio, sr = visit.load_audio()
    assert sr == SR
    assert seconds >= len(src) / SR
    lag = _align(audio, src)
    seg = audio[lag : lag + len(src)]
    assert len(seg) == len(src), f"recording cut short: lag {lag}, {len(audio)} samples"
    c = float(np.corrcoef(seg, src)[0, 1])
    print(f"pulse mic: lag {lag / SR:.2f} s, correlation {c:.4f}")
    assert c > 0.9, f"correlation with the played speech only {c:.3f}"
    quiet = np.concatenate([audio[: max(0, lag - 800)], audio[lag + len(src) + 800 :]])
    assert np.sqrt(np.mean(quiet**2)) < 1e-3  # before/after the speech the virtual room is silent


def test_pulse_server_death_is_reported_as_lost_device(pulse: PulseServer, tmp_path: Path) -> None:
    from scribe.recording import Recorder, SoundDeviceSource

    device = _pulse_device()
    visit = VisitStore(tmp_path / "visits").create(Encounter(patient_name="Unplug Test"))
    lost = threading.Event()
    messages: list[str] = []
    rec = Recorder(visit, SoundDeviceSource(device), on_device_lost=lambda m: (messages.append(m), lost.set()))
    rec.start()
    time.sleep(1.0)
    pulse.proc.kill()  # the "microphone" disappears
    pulse.proc.wait(5)
    t0 = time.monotonic()
    assert lost.wait(10), "no device-lost report after the audio server died"
    assert time.monotonic() - t0 < 4.0
    assert rec.state == "device_lost"
    assert "'pulse' stopped delivering audio" in messages[0]
    seconds = rec.stop()
    assert seconds >= 0.8  # what was captured before the loss is kept
    assert visit.audio_seconds() == pytest.approx(seconds)
    assert [e["action"] for e in visit.audit_log()].count("device_lost") == 1
