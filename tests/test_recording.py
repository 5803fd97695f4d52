"""Recorder + FileReplaySource (the fake microphone): real speech audio, real files."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from speech import espeak_wav

from scribe.audio import Resampler, load_audio
from scribe.domain import Encounter
from scribe.recording import FileReplaySource, Recorder, list_input_devices
from scribe.storage import VisitState, VisitStore

# a stuck audio backend must fail the test (with a stack dump), not hang the suite
pytestmark = pytest.mark.timeout(60)

SR = 16000
SPEECH = "The patient is a fifty two year old man with a dry cough for three days and a mild fever last night."


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return espeak_wav(tmp_path_factory, SPEECH)


@pytest.fixture()
def visit(tmp_path: Path):
    return VisitStore(tmp_path / "visits").create(Encounter(patient_name="Test Patient"))


def corr(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


def test_replay_at_20x_writes_the_same_audio(speech_wav: Path, visit) -> None:
    src_audio = load_audio(speech_wav)
    assert len(src_audio) / SR > 5.0  # espeak made real speech
    heard: list[np.ndarray] = []
    source = FileReplaySource(speech_wav, speed=20)
    rec = Recorder(visit, source, listeners=[heard.append], actor="dr.grey")
    rec.start()
    assert rec.state == "recording" and visit.refresh().state == VisitState.recording
    levels = []
    while not source.finished.wait(0.005):
        levels.append(rec.level)
    seconds = rec.stop()
    assert rec.state == "stopped"

    audio, sr = visit.load_audio()
    assert sr == SR
    assert len(audio) == len(src_audio)
    assert seconds == pytest.approx(len(src_audio) / SR, abs=1e-3)
    assert corr(audio, src_audio) > 0.999
    assert np.max(np.abs(audio - src_audio)) < 2e-4  # only PCM16 rounding
    np.testing.assert_array_equal(np.concatenate(heard), src_audio)  # listeners got every sample
    assert max(levels) > -40  # the meter saw speech (espeak ends in silence: last chunk is -100)
    assert rec.elapsed == pytest.approx(seconds, abs=1e-3)

    visit.refresh()
    assert visit.state == VisitState.recorded
    assert visit.record.audio_seconds == pytest.approx(seconds, abs=1e-3)
    actions = [e["action"] for e in visit.audit_log()]
    assert {"recording_started", "recording_stopped", "audio_closed"} <= set(actions)
    assert visit.verify_audit()


def test_pause_excludes_audio(speech_wav: Path, visit) -> None:
    src = load_audio(speech_wav)
    source = FileReplaySource(speech_wav, speed=5)  # ~1.3 s of wall time
    rec = Recorder(visit, source)
    rec.start()
    threading.Event().wait(0.35)
    rec.pause()
    assert rec.state == "paused"
    threading.Event().wait(0.35)
    rec.resume()
    assert source.finished.wait(10)
    rec.stop()
    audio, _ = visit.load_audio()

    gap = len(src) - len(audio)
    assert gap >= 0.2 * 5 * SR  # ~1.75 s of audio paused at 5x; at least 1 s excluded
    # the recording is exactly source[:a] + source[a+gap:]: nothing paused was written
    diff = np.abs(audio - src[: len(audio)]) > 1e-3
    a = int(np.argmax(diff))
    assert diff.any() and a > 0.2 * 5 * SR  # the part before the pause was kept
    np.testing.assert_allclose(audio[:a], src[:a], atol=2e-4)
    np.testing.assert_allclose(audio[a:], src[a + gap :], atol=2e-4)
    actions = [e["action"] for e in visit.audit_log()]
    assert "recording_paused" in actions and "recording_resumed" in actions


def test_device_lost_then_switch_source_continues(speech_wav: Path, visit) -> None:
    src = load_audio(speech_wav)
    lost = threading.Event()
    messages: list[str] = []

    def on_lost(msg: str) -> None:
        messages.append(msg)
        lost.set()

    first = FileReplaySource(speech_wav, speed=20, fail_after=2.0)
    rec = Recorder(visit, first, on_device_lost=on_lost)
    rec.start()
    assert lost.wait(10)
    assert rec.state == "device_lost"
    assert "stopped delivering audio" in messages[0] and "replay:speech.wav" in messages[0]
    # what came before the loss is on disk right away (flushed on device loss)
    for _ in range(50):
        if visit.audio_seconds() >= 2.0:
            break
        threading.Event().wait(0.02)
    assert visit.audio_seconds() == pytest.approx(2.0)

    second = FileReplaySource(speech_wav, speed=20, offset=2.0)  # "another microphone"
    rec.switch_source(second)
    assert rec.state == "recording"
    assert second.finished.wait(10)
    total = rec.stop()
    assert total == pytest.approx(len(src) / SR, abs=1e-3)
    audio, _ = visit.load_audio()
    assert len(audio) == len(src)
    assert corr(audio, src) > 0.999
    actions = [e["action"] for e in visit.audit_log()]
    assert actions.index("device_lost") < actions.index("source_switched") < actions.index("recording_stopped")


def test_recording_continues_after_stop_in_a_new_session(speech_wav: Path, visit) -> None:
    src = load_audio(speech_wav)
    half = len(src) // 2 // 1600 * 1600
    r1 = Recorder(visit, FileReplaySource(speech_wav, realtime=False, audio=src[:half]))
    r1.start()
    r1.source.finished.wait(5)
    r1.stop()
    r2 = Recorder(visit, FileReplaySource(speech_wav, realtime=False, audio=src[half:]))
    r2.start()
    r2.source.finished.wait(5)
    assert r2.stop() == pytest.approx(len(src) / SR, abs=1e-3)
    assert r2.elapsed == pytest.approx(len(src) / SR, abs=1e-3)  # counts the earlier session too
    audio, _ = visit.load_audio()
    np.testing.assert_allclose(audio, src, atol=2e-4)


def test_slow_listener_does_not_block_disk(speech_wav: Path, visit) -> None:
    src = load_audio(speech_wav)
    gate = threading.Event()
    rec = Recorder(visit, FileReplaySource(speech_wav, realtime=False), listeners=[lambda c: gate.wait(5)])
    rec.start()
    rec.source.finished.wait(5)
    for _ in range(100):  # disk keeps up although the listener is stuck
        if rec.saved_seconds >= len(src) / SR - 0.01:
            break
        threading.Event().wait(0.02)
    assert rec.saved_seconds == pytest.approx(len(src) / SR, abs=0.01)
    gate.set()
    rec.stop()


def test_resampler_streaming_matches_batch_and_keeps_tone() -> None:
    for rate in (48000, 44100, 22050, 8000):
        t = np.arange(rate * 2) / rate
        x = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        whole = Resampler(rate).process(x)
        rs = Resampler(rate)
        parts = np.concatenate([rs.process(x[i : i + 1234]) for i in range(0, len(x), 1234)])
        n = min(len(whole), len(parts))
        assert abs(n - 2 * SR) < 64
        np.testing.assert_allclose(parts[:n], whole[:n], atol=1e-5)
        spec = np.abs(np.fft.rfft(parts[2000 : 2000 + SR]))
        assert abs(np.argmax(spec) - 440) <= 1  # 1 Hz bins over one second
        assert np.sqrt(np.mean(parts[2000:-2000] ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.05)


def test_load_audio_resamples_to_16k(speech_wav: Path) -> None:
    import soundfile as sf

    raw, rate = sf.read(str(speech_wav), dtype="float32")
    audio = load_audio(speech_wav)
    assert rate == 22050
    assert abs(len(audio) - round(len(raw) * SR / rate)) <= 1
    # same content: compare in the 16 kHz domain against a plain linear interpolation
    ref = np.interp(np.arange(len(audio)) * rate / SR, np.arange(len(raw)), raw)
    assert corr(audio, ref) > 0.98


def test_list_input_devices_never_crashes() -> None:
    devices = list_input_devices()
    assert isinstance(devices, list)
    for d in devices:
        assert d.name and d.channels > 0 and d.default_samplerate > 0
    assert sum(d.is_default for d in devices) <= 1


def test_missing_portaudio_is_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from scribe.recording import MicrophoneError, SoundDeviceSource

    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import fails like a missing PortAudio
    assert list_input_devices() == []
    with pytest.raises(MicrophoneError, match="PortAudio"):
        SoundDeviceSource().start(lambda c: None, lambda m: None)


def test_upsampled_file_keeps_its_length(tmp_path: Path) -> None:
    import soundfile as sf

    x = (0.2 * np.sin(2 * np.pi * 300 * np.arange(8000) / 8000)).astype(np.float32)
    sf.write(str(tmp_path / "tel.wav"), x, 8000)  # telephone-rate audio
    y = load_audio(tmp_path / "tel.wav")
    assert abs(len(y) - 16000) <= 1
    assert np.sqrt(np.mean(y[100:-100] ** 2)) == pytest.approx(0.2 / np.sqrt(2), rel=0.02)
