"""Reading, checking and writing audio.

Everything downstream (ASR, streaming, tests) works on one representation: a float32 numpy array,
16 kHz, mono, in [-1, 1]. Files are decoded with PyAV (bundled FFmpeg, installed with
faster-whisper), so WAV, FLAC, MP3, M4A/AAC, OGG/Opus at any sample rate and channel count work
without a system FFmpeg. Problems a user can cause (missing, empty, not audio, silence only) raise
:class:`AudioError` with a one-line message instead of a decoder traceback.
"""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np

from .errors import AudioError

SAMPLE_RATE = 16000
SUPPORTED = "WAV, FLAC, MP3, M4A/AAC or OGG"

# Below this frame RMS (about -50 dBFS) there is certainly no speech to find, so the VAD is skipped.
_ENERGY_FLOOR = 10 ** (-50 / 20)
_FRAME_S = 0.03


def load_audio(path: str | os.PathLike, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode any common audio file to float32 mono at ``sample_rate``."""
    p = Path(path).expanduser()
    if not p.exists():
        raise AudioError(f"Audio file {p} does not exist.")
    if p.is_dir():
        raise AudioError(f"{p} is a folder, not an audio file.")
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise AudioError(f"Cannot read audio file {p}: {exc.strerror or exc}.") from None
    if size == 0:
        raise AudioError(f"Audio file {p} is empty (0 bytes).")
    if not os.access(p, os.R_OK):
        raise AudioError(f"Audio file {p} is not readable (check its permissions).")

    from faster_whisper.audio import decode_audio  # imports PyAV; deferred to keep startup fast

    try:
        audio = decode_audio(str(p), sampling_rate=sample_rate)
    except MemoryError:
        raise AudioError(f"Audio file {p} is too large to load into memory.") from None
    except Exception as exc:  # PyAV raises many types (InvalidDataError, IndexError for no audio stream, ...)
        detail = str(exc).split(":")[0].strip() or type(exc).__name__
        raise AudioError(f"{p.name} could not be decoded as audio ({detail}); use a {SUPPORTED} file.") from None
    audio = np.asarray(audio, dtype=np.float32)
    if audio.size == 0:
        # Junk can get past the container probe (e.g. text named .flac) and yield nothing.
        raise AudioError(f"{p.name} could not be decoded as audio (no audio samples found); use a {SUPPORTED} file.")
    declared = _declared_seconds(p)
    got = len(audio) / sample_rate
    if declared is not None and got < 0.9 * declared - 0.25:
        # The decoder skips damaged frames silently: a cut-off file would yield part of the visit.
        raise AudioError(
            f"{p.name} ends early: only {got:.1f} s of the {declared:.1f} s its header announces could be decoded "
            "(the file is truncated or damaged). Copy or export the recording again."
        )
    return audio


def _wav_declared_seconds(head: bytes) -> float | None:
    """The length a RIFF/WAVE header announces (the demuxer trusts the file size instead)."""
    import struct

    pos, byte_rate = 12, 0
    while pos + 8 <= len(head):
        cid, size = struct.unpack_from("<4sI", head, pos)
        if cid == b"fmt " and pos + 16 <= len(head):
            byte_rate = struct.unpack_from("<I", head, pos + 16)[0]
        elif cid == b"data":
            if not byte_rate or size in (0, 0xFFFFFFFF, 0x7FFFFFFF):  # unknown size (streamed or cut by a crash)
                return None
            return size / byte_rate
        pos += 8 + size + (size & 1)
    return None


def _declared_seconds(path: Path) -> float | None:
    """The duration the file's container claims (None when it does not say)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            return _wav_declared_seconds(head)
        import av

        with av.open(str(path), metadata_errors="ignore") as container:
            if container.duration:
                return container.duration / 1_000_000
            stream = container.streams.audio[0]
            if stream.duration and stream.time_base:
                return float(stream.duration * stream.time_base)
    except Exception:  # noqa: BLE001 - a probe only; decoding already succeeded
        return None
    return None


def as_mono_float32(chunk: np.ndarray) -> np.ndarray:
    """Normalise a recorder buffer (int16 or float, mono or frames x channels) to float32 mono."""
    a = np.asarray(chunk)
    if a.ndim > 2:
        raise ValueError(f"audio chunk must be 1-D or 2-D, got shape {a.shape}")
    if a.dtype == np.int16:
        a = a.astype(np.float32) / 32768.0
    elif a.dtype == np.int32:
        a = a.astype(np.float32) / 2147483648.0
    else:
        a = a.astype(np.float32, copy=False)
    if a.ndim == 2:
        a = a.mean(axis=1) if a.shape[1] <= 8 else a.mean(axis=0)
    return a.reshape(-1)


def duration(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    return len(audio) / float(sample_rate)


def _frame_rms(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    n = max(1, int(_FRAME_S * sample_rate))
    usable = len(audio) // n * n
    if usable == 0:
        return np.sqrt(np.mean(np.square(audio, dtype=np.float64))).reshape(1) if len(audio) else np.zeros(1)
    frames = audio[:usable].reshape(-1, n).astype(np.float64)
    return np.sqrt(np.mean(frames * frames, axis=1))


def speech_timestamps(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> list[tuple[float, float]]:
    """Speech regions (seconds) by faster-whisper's bundled Silero VAD; quiet audio short-circuits."""
    if audio.size == 0 or float(_frame_rms(audio, sample_rate).max()) < _ENERGY_FLOOR:
        return []
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if sample_rate != SAMPLE_RATE:
        raise ValueError("the VAD works on 16 kHz audio; resample first (load_audio does)")
    # Tighter than faster-whisper's transcription defaults (which pad 400 ms and bridge 2 s pauses)
    # so the result measures speech, and blips under 250 ms (clicks, a cough) do not count.
    options = VadOptions(min_speech_duration_ms=250, min_silence_duration_ms=300, speech_pad_ms=30)
    chunks = get_speech_timestamps(np.ascontiguousarray(audio, dtype=np.float32), options)
    return [(c["start"] / sample_rate, c["end"] / sample_rate) for c in chunks]


def speech_ratio(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    """Fraction (0..1) of the audio that the VAD marks as speech."""
    if audio.size == 0:
        return 0.0
    speech = sum(end - start for start, end in speech_timestamps(audio, sample_rate))
    return min(1.0, speech / duration(audio, sample_rate))


def is_silent(audio: np.ndarray, sample_rate: int = SAMPLE_RATE, min_speech_s: float = 0.3) -> bool:
    """True when there is less than ``min_speech_s`` of speech (silence, hum, room noise only)."""
    speech = sum(end - start for start, end in speech_timestamps(audio, sample_rate))
    return speech < min_speech_s


def write_wav(path: str | os.PathLike, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Path:
    """Write float (or int16) audio as 16-bit PCM WAV; stdlib only, so it works without soundfile."""
    a = np.asarray(audio)
    channels = 1 if a.ndim == 1 else a.shape[1]
    if a.dtype != np.int16:
        a = np.clip(np.nan_to_num(a.astype(np.float32)), -1.0, 1.0)
        a = np.round(a * 32767.0).astype(np.int16)
    p = Path(path)
    try:
        with open(p, "wb") as fh, wave.open(fh, "wb") as w:
            w.setnchannels(channels)
            w.setsampwidth(2)
            w.setframerate(int(sample_rate))
            w.writeframes(a.astype("<i2", copy=False).tobytes())
    except OSError as exc:
        raise AudioError(f"Cannot write audio file {p}: {exc.strerror or exc}.") from None
    return p
