"""Audio loading, checking and writing on real files (made with sox/ffmpeg from the bundled clip)."""

from __future__ import annotations

import json
import shutil
import subprocess
import wave

import numpy as np
import pytest

from scribe.audio import (
    SAMPLE_RATE,
    as_mono_float32,
    is_silent,
    load_audio,
    speech_ratio,
    speech_timestamps,
    write_wav,
)
from scribe.errors import AudioError, InputError
from scribe.resources import asset

CLIP = asset("sample", "short_clip.flac")
CLIP_TRUTH = asset("sample", "short_clip_truth.json")


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    return load_audio(CLIP)


@pytest.fixture(scope="module")
def converted(tmp_path_factory, clip):
    """The clip in other containers, rates and channel counts, as a recorder or phone would save it."""
    if not shutil.which("ffmpeg") or not shutil.which("sox"):
        pytest.skip("ffmpeg and sox are needed to make the test files (apt-get install ffmpeg sox)")
    out = tmp_path_factory.mktemp("formats")
    jobs = {
        "stereo44k.wav": ["sox", str(CLIP), "-r", "44100", "-c", "2", "-b", "16", str(out / "stereo44k.wav")],
        "mono8k.wav": ["sox", str(CLIP), "-r", "8000", str(out / "mono8k.wav")],
        "stereo48k.flac": ["sox", str(CLIP), "-r", "48000", "-c", "2", str(out / "stereo48k.flac")],
        "stereo44k.mp3": [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(CLIP),
            "-ac",
            "2",
            "-ar",
            "44100",
            "-b:a",
            "96k",
            str(out / "stereo44k.mp3"),
        ],
        "mono22k.m4a": [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(CLIP),
            "-ac",
            "1",
            "-ar",
            "22050",
            "-c:a",
            "aac",
            "-b:a",
            "64k",
            str(out / "mono22k.m4a"),
        ],
        "stereo48k.ogg": [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(CLIP),
            "-ac",
            "2",
            "-ar",
            "48000",
            "-c:a",
            "libopus",
            "-b:a",
            "48k",
            str(out / "stereo48k.ogg"),
        ],
    }
    for cmd in jobs.values():
        subprocess.run(cmd, check=True, capture_output=True)
    return out


def test_bundled_clip_is_16k_mono_float(clip):
    truth = json.loads(CLIP_TRUTH.read_text())
    assert clip.dtype == np.float32 and clip.ndim == 1
    assert len(clip) / SAMPLE_RATE == pytest.approx(truth["duration"], abs=0.01)
    assert 0.2 < float(np.abs(clip).max()) <= 1.0


@pytest.mark.parametrize(
    "name", ["stereo44k.wav", "mono8k.wav", "stereo48k.flac", "stereo44k.mp3", "mono22k.m4a", "stereo48k.ogg"]
)
def test_any_format_rate_and_channels_decode_to_16k_mono(converted, clip, name):
    audio = load_audio(converted / name)
    assert audio.dtype == np.float32 and audio.ndim == 1
    # Lossy codecs add encoder padding (tens of ms); the duration must still match.
    assert len(audio) / SAMPLE_RATE == pytest.approx(len(clip) / SAMPLE_RATE, abs=0.1)
    # Same sound, not just the same length: energy envelopes (100 ms frames) correlate.
    frame = SAMPLE_RATE // 10
    n = min(len(audio), len(clip)) // frame * frame
    env_a = np.sqrt((audio[:n].reshape(-1, frame) ** 2).mean(axis=1))
    env_c = np.sqrt((clip[:n].reshape(-1, frame) ** 2).mean(axis=1))
    assert np.corrcoef(env_a, env_c)[0, 1] > 0.9


def test_missing_file(tmp_path):
    with pytest.raises(AudioError, match="does not exist"):
        load_audio(tmp_path / "nope.wav")


def test_directory(tmp_path):
    with pytest.raises(AudioError, match="is a folder"):
        load_audio(tmp_path)


def test_empty_file(tmp_path):
    p = tmp_path / "empty.wav"
    p.write_bytes(b"")
    with pytest.raises(AudioError, match=r"is empty \(0 bytes\)"):
        load_audio(p)


@pytest.mark.parametrize("suffix", [".wav", ".mp3", ".flac"])
def test_text_file_renamed_as_audio(tmp_path, suffix):
    p = tmp_path / f"notes{suffix}"
    p.write_text("Patient reports chest tightness for three weeks.\n" * 20)
    with pytest.raises(AudioError, match="could not be decoded") as err:
        load_audio(p)
    assert "\n" not in str(err.value)  # one line, fit for a dialog
    assert isinstance(err.value, InputError)


def test_wav_with_no_samples(tmp_path):
    p = tmp_path / "header_only.wav"
    with wave.open(str(p), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
    with pytest.raises(AudioError, match="no audio samples found"):
        load_audio(p)


def test_silence_and_noise_have_no_speech():
    rng = np.random.default_rng(0)
    assert is_silent(np.zeros(5 * SAMPLE_RATE, np.float32))
    assert speech_ratio(np.zeros(5 * SAMPLE_RATE, np.float32)) == 0.0
    hiss = (rng.standard_normal(5 * SAMPLE_RATE) * 0.01).astype(np.float32)  # -40 dBFS white noise
    assert is_silent(hiss)
    hum = (0.2 * np.sin(2 * np.pi * 60 * np.arange(5 * SAMPLE_RATE) / SAMPLE_RATE)).astype(np.float32)
    assert is_silent(hum)


def test_speech_is_found(clip):
    truth = json.loads(CLIP_TRUTH.read_text())
    assert not is_silent(clip)
    spoken = sum(t["end"] - t["start"] for t in truth["turns"]) / truth["duration"]
    assert speech_ratio(clip) == pytest.approx(spoken, abs=0.15)
    regions = speech_timestamps(clip)
    # Every scripted turn overlaps detected speech.
    for turn in truth["turns"]:
        assert any(s < turn["end"] and e > turn["start"] for s, e in regions), turn["text"]


def test_write_wav_round_trip(tmp_path, clip):
    p = write_wav(tmp_path / "out.wav", clip)
    back = load_audio(p)
    assert len(back) == len(clip)
    assert float(np.abs(back - clip).max()) < 2e-4  # 16-bit quantisation only
    loud = write_wav(tmp_path / "clipped.wav", np.array([2.0, -2.0, np.nan], np.float32))
    with wave.open(str(loud)) as w:
        assert w.getnframes() == 3 and w.getframerate() == SAMPLE_RATE


def test_write_wav_stereo_and_other_rate(tmp_path):
    t = np.arange(44100) / 44100
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 440 * t)], axis=1).astype(np.float32) * 0.5
    p = write_wav(tmp_path / "stereo.wav", stereo, 44100)
    with wave.open(str(p)) as w:
        assert (w.getnchannels(), w.getframerate(), w.getnframes()) == (2, 44100, 44100)
    mono = load_audio(p)
    assert len(mono) == pytest.approx(SAMPLE_RATE, abs=50)


def test_write_wav_to_missing_folder(tmp_path):
    with pytest.raises(AudioError, match="Cannot write audio file"):
        write_wav(tmp_path / "no" / "such" / "dir.wav", np.zeros(10, np.float32))


def test_as_mono_float32():
    pcm = np.array([[16384, -16384], [32767, 32767]], dtype=np.int16)
    out = as_mono_float32(pcm)
    assert out.dtype == np.float32 and out.shape == (2,)
    assert out[0] == pytest.approx(0.0) and out[1] == pytest.approx(1.0, abs=1e-4)
    f = as_mono_float32(np.ones((4, 1), np.float64))
    assert f.dtype == np.float32 and f.shape == (4,)
