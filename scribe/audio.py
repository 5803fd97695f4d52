"""Audio in Scribe: one representation, one decoder, one mono and resampling path.

Everything downstream (recording, ASR, streaming, storage, tests) works on one representation:
a float32 numpy array at :data:`SAMPLE_RATE` (16 kHz), mono, in [-1, 1].

- Files: :func:`load_audio` is the one decoder. PyAV (bundled FFmpeg, installed with
  faster-whisper) decodes WAV, FLAC, MP3, M4A/AAC, OGG/Opus and converts any rate and channel
  count to 16 kHz mono in the same pass, without a system FFmpeg.
- Streams (a microphone, recorder chunks): :func:`as_mono_float32` is the one downmix and
  :class:`Resampler` the one streaming resampler; :func:`pcm16_bytes` is how samples are stored.

Problems a user can cause (missing, empty, not audio, silence only) raise :class:`AudioError`
with a one-line message instead of a decoder traceback.
"""

from __future__ import annotations

import math
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
    return audio


def as_mono_float32(chunk: np.ndarray) -> np.ndarray:
    """Normalise a buffer (int16/int32 or float; mono, frames x channels or channels x frames) to
    float32 mono: the one downmix (the mean of the channels)."""
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


def to_int16(audio: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] (any shape) as 16-bit PCM; NaN is silence, out-of-range clips."""
    a = np.nan_to_num(np.asarray(audio, dtype=np.float32), nan=0.0, posinf=1.0, neginf=-1.0)
    return np.clip(np.rint(a * 32767.0), -32768, 32767).astype("<i2")


def pcm16_bytes(chunk: np.ndarray) -> bytes:
    """A buffer as mono 16-bit little-endian PCM bytes (how visit audio is stored)."""
    return to_int16(as_mono_float32(chunk)).tobytes()


class Resampler:
    """Streaming resampler for mono float32: windowed-sinc low-pass (when downsampling) then
    linear interpolation. Processing a signal in chunks gives the same output as processing
    it at once. Good enough for speech; not for music mastering."""

    def __init__(self, rate_in: float, rate_out: float = SAMPLE_RATE, taps: int = 63):
        self.rate_in = float(rate_in)
        self.rate_out = float(rate_out)
        self.step = self.rate_in / self.rate_out
        self.passthrough = abs(self.rate_in - self.rate_out) < 1e-9
        self._h: np.ndarray | None = None
        if self.rate_out < self.rate_in:
            fc = 0.5 * self.rate_out / self.rate_in * 0.92  # cycles/sample, a little under Nyquist
            n = np.arange(taps) - (taps - 1) / 2
            h = 2 * fc * np.sinc(2 * fc * n) * np.hamming(taps)
            self._h = (h / h.sum()).astype(np.float64)
        self._hist = np.zeros(0 if self._h is None else taps - 1)  # FIR history
        self._delay = 0 if self._h is None else (taps - 1) // 2  # FIR group delay to drop
        self._buf = np.zeros(0)  # filtered samples not yet consumed by interpolation
        self._t = 0.0  # position of the next output sample in _buf

    def process(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        if self.passthrough:
            return x.astype(np.float32)
        if self._h is not None:
            ext = np.concatenate([self._hist, x])
            y = np.convolve(ext, self._h, mode="valid") if len(ext) >= len(self._h) else np.zeros(0)
            self._hist = ext[-(len(self._h) - 1) :] if len(ext) >= len(self._h) - 1 else ext
            if self._delay:  # align output with input (linear-phase FIR)
                drop = min(self._delay, len(y))
                y = y[drop:]
                self._delay -= drop
        else:
            y = x
        buf = np.concatenate([self._buf, y])
        if len(buf) < 2:
            self._buf = buf
            return np.zeros(0, dtype=np.float32)
        n = int(math.floor((len(buf) - 1 - self._t) / self.step)) + 1 if len(buf) - 1 > self._t else 0
        if n <= 0:
            self._buf = buf
            return np.zeros(0, dtype=np.float32)
        pos = self._t + self.step * np.arange(n)
        i = np.floor(pos).astype(np.int64)
        i = np.minimum(i, len(buf) - 2)
        frac = pos - i
        out = buf[i] * (1 - frac) + buf[i + 1] * frac
        nxt = self._t + self.step * n
        k = int(math.floor(nxt))
        k = min(k, len(buf) - 1)
        self._buf = buf[k:]
        self._t = nxt - k
        return out.astype(np.float32)


def rms_dbfs(chunk: np.ndarray) -> float:
    """The level of a buffer in dBFS (-100 for silence), for level meters."""
    if len(chunk) == 0:
        return -100.0
    rms = float(np.sqrt(np.mean(np.square(chunk, dtype=np.float64))))
    return max(-100.0, 20 * math.log10(rms)) if rms > 0 else -100.0


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
        a = to_int16(a)
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
