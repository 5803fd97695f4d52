"""Microphone capture into a visit (Qt-free; ``scribe.ui`` wraps :class:`Recorder`).

Threads
-------
An :class:`AudioSource` calls ``on_audio(chunk)`` from its own thread (the PortAudio callback
for :class:`SoundDeviceSource`). :class:`Recorder` does almost nothing there: it measures the
level, counts time and puts the chunk on two queues. A *writer thread* appends to the visit's
:class:`~scribe.storage.AudioWriter` (flush + fsync at least every 0.5 s), and a *listener
thread* feeds the listeners (streaming ASR, waveform...). A slow disk therefore never causes
input overflow, and a slow listener never delays the disk.

Callbacks given to the Recorder (``on_device_lost``, ``on_storage_error``) and the listeners
run on those background threads: a Qt UI must forward them to the UI thread (signals).

Audio reaching listeners and disk is float32 mono at 16 kHz (:data:`SAMPLE_RATE`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .audio import SAMPLE_RATE, Resampler, as_mono_float32, load_audio, rms_dbfs
from .errors import ScribeError
from .storage import AudioWriter, StorageError, Visit, VisitState

log = logging.getLogger(__name__)

NO_DATA_TIMEOUT = 2.0  # seconds without audio before a device counts as lost

AudioCallback = Callable[[np.ndarray], None]
ErrorCallback = Callable[[str], None]


class MicrophoneError(ScribeError):
    """The microphone cannot be opened or is not available."""


def lost_device_message(name: str) -> str:
    return (
        f"The microphone '{name}' stopped delivering audio. Everything recorded so far is "
        "saved; reconnect it or choose another microphone to continue this visit."
    )


# --------------------------------------------------------------------------- devices


@dataclass
class InputDevice:
    id: int | str  # PortAudio index (changes when devices are re-scanned; prefer name)
    name: str
    is_default: bool
    channels: int
    default_samplerate: float
    hostapi: str = ""


_active_streams = 0  # SoundDeviceSource streams open in this process
_pa_lock = threading.RLock()  # PortAudio is not thread-safe: one caller at a time (re-entrant)


def _import_sounddevice():
    try:
        import sounddevice as sd
    except (ImportError, OSError) as exc:  # OSError: "PortAudio library not found"
        raise MicrophoneError(
            f"Audio input is unavailable: {exc}. Install PortAudio (libportaudio2) and the sounddevice package."
        ) from None
    return sd


def list_input_devices(rescan: bool = True) -> list[InputDevice]:
    """Input devices PortAudio can see now; [] if PortAudio is missing (never raises).

    With ``rescan`` PortAudio is re-initialised so hot-plugged devices appear. The re-scan is
    skipped while a SoundDeviceSource is recording (it would kill the stream); the list is then
    the one PortAudio had when it was last initialised.
    """
    try:
        sd = _import_sounddevice()
    except MicrophoneError as exc:
        log.warning("%s", exc)
        return []
    try:
        with _pa_lock:
            if rescan and _active_streams == 0:
                try:
                    sd._terminate()
                except Exception:
                    pass
                sd._initialize()
            devices = sd.query_devices()
            hostapis = sd.query_hostapis()
            try:
                default_in = sd.default.device[0]
            except Exception:
                default_in = -1
            if default_in is None or default_in < 0:
                try:
                    default_in = sd.query_devices(kind="input")["index"]
                except Exception:
                    default_in = -1
    except Exception as exc:  # PortAudio errors, no host APIs...
        log.warning("cannot list audio input devices: %s", exc)
        return []
    out = []
    for d in devices:
        if int(d.get("max_input_channels", 0)) <= 0:
            continue
        try:
            api = hostapis[d["hostapi"]]["name"]
        except Exception:
            api = ""
        out.append(
            InputDevice(
                id=int(d["index"]),
                name=str(d["name"]),
                is_default=int(d["index"]) == default_in,
                channels=int(d["max_input_channels"]),
                default_samplerate=float(d["default_samplerate"]),
                hostapi=api,
            )
        )
    return out


# --------------------------------------------------------------------------- sources


class AudioSource(Protocol):
    name: str

    def start(self, on_audio: AudioCallback, on_error: ErrorCallback) -> None:
        """Begin delivering float32 mono 16 kHz chunks to ``on_audio`` from a non-UI thread.
        ``on_error(message)`` is called (once) if the device stops delivering."""

    def stop(self) -> None:
        """Stop delivering; idempotent; no callbacks after it returns (best effort)."""


class SoundDeviceSource:
    """A real microphone through PortAudio (sounddevice).

    ``device``: None (system default), an :class:`InputDevice`, a PortAudio index or a device
    name (exact name preferred, else substring). Opens at 16 kHz if the device supports it,
    otherwise at its default rate and resamples; multi-channel input is downmixed. A lost device
    (stream aborted/finished, or no data for 2 s) is reported through ``on_error``.

    :meth:`start` blocks until the first audio block arrives (up to ``start_timeout``, raising
    :class:`MicrophoneError` if none comes): call it off the UI thread.
    """

    def __init__(
        self,
        device: InputDevice | int | str | None = None,
        samplerate: int = SAMPLE_RATE,
        blocksize: int = 1600,
        no_data_timeout: float = NO_DATA_TIMEOUT,
        start_timeout: float = 5.0,
    ):
        self.device = device
        self.samplerate = int(samplerate)
        self.blocksize = int(blocksize)
        self.no_data_timeout = float(no_data_timeout)
        self.start_timeout = float(start_timeout)
        self._first_data = threading.Event()
        self.name = (
            device.name if isinstance(device, InputDevice) else (str(device) if device is not None else "default")
        )
        self.device_rate: float | None = None
        self.device_channels: int | None = None
        self.overflows = 0
        self._stream = None
        self._stopping = threading.Event()
        self._error_sent = False
        self._last_data = 0.0
        self._watchdog: threading.Thread | None = None
        self._counted = False

    def _resolve(self, sd) -> int | None:
        dev = self.device
        if dev is None:
            return None
        devices = sd.query_devices()
        inputs = [d for d in devices if d["max_input_channels"] > 0]
        if isinstance(dev, InputDevice):
            for d in inputs:  # index may have shifted after a rescan: trust the name
                if d["name"] == dev.name:
                    return int(d["index"])
            if isinstance(dev.id, int) and 0 <= dev.id < len(devices) and devices[dev.id]["max_input_channels"] > 0:
                return dev.id
            raise MicrophoneError(f"The microphone '{dev.name}' is not connected.")
        if isinstance(dev, int):
            if 0 <= dev < len(devices) and devices[dev]["max_input_channels"] > 0:
                return dev
            raise MicrophoneError(f"There is no microphone number {dev}.")
        exact = [d for d in inputs if d["name"] == dev]
        if exact:
            return int(exact[0]["index"])
        sub = [d for d in inputs if str(dev).lower() in d["name"].lower()]
        if sub:
            return int(sub[0]["index"])
        raise MicrophoneError(f"The microphone '{dev}' is not connected.")

    def start(self, on_audio: AudioCallback, on_error: ErrorCallback) -> None:
        global _active_streams
        sd = _import_sounddevice()
        with _pa_lock:  # a device-list refresh on another thread must not re-initialise PortAudio meanwhile
            try:
                idx = self._resolve(sd)
                info = sd.query_devices(idx, kind="input") if idx is None else sd.query_devices(idx)
            except MicrophoneError:
                raise
            except Exception as exc:
                raise MicrophoneError(f"No microphone is available: {exc}.") from None
            self.name = str(info["name"])
            max_ch = max(1, int(info["max_input_channels"]))
            rate, channels = None, None
            for ch in (1, min(2, max_ch), max_ch):
                for r in (self.samplerate, float(info["default_samplerate"])):
                    try:
                        sd.check_input_settings(device=idx, channels=ch, samplerate=r, dtype="float32")
                        rate, channels = r, ch
                        break
                    except Exception:
                        continue
                if rate:
                    break
        if rate is None or channels is None:
            raise MicrophoneError(f"The microphone '{self.name}' does not accept any usable audio format.")
        self.device_rate, self.device_channels = float(rate), int(channels)
        resampler = Resampler(rate, self.samplerate)
        self._stopping.clear()
        self._first_data.clear()
        self._error_sent = False

        def fail(msg: str) -> None:
            # before the first audio, start() reports the failure itself (by raising)
            if self._first_data.is_set() and not self._error_sent and not self._stopping.is_set():
                self._error_sent = True
                try:
                    on_error(msg)
                except Exception:
                    log.exception("on_error callback failed")

        def callback(indata, frames, time_info, status) -> None:
            # PortAudio thread: keep it short and never raise.
            try:
                if status and status.input_overflow:
                    self.overflows += 1
                self._last_data = time.monotonic()
                self._first_data.set()
                out = resampler.process(as_mono_float32(indata))
                if len(out):
                    on_audio(out)
            except Exception:
                log.exception("audio callback failed")

        def finished() -> None:
            if not self._stopping.is_set():
                fail(lost_device_message(self.name))

        with _pa_lock:  # list_input_devices must not re-initialise PortAudio meanwhile
            try:
                stream = sd.InputStream(
                    device=idx,
                    channels=channels,
                    samplerate=rate,
                    blocksize=max(1, int(round(self.blocksize * rate / self.samplerate))),
                    dtype="float32",
                    callback=callback,
                    finished_callback=finished,
                )
                self._last_data = time.monotonic()
                stream.start()
            except Exception as exc:
                raise MicrophoneError(f"Cannot open the microphone '{self.name}': {exc}.") from None
            self._stream = stream
            _active_streams += 1
            self._counted = True

        # Some backends take well over a second to deliver the first block (the ALSA 'pulse'
        # plugin: ~1.7 s for the first stream after PortAudio starts); audio before that is not
        # captured, so only report "recording" once audio really flows.
        deadline = time.monotonic() + self.start_timeout
        while not self._first_data.wait(0.05):
            try:
                alive = stream.active
            except Exception:
                alive = False
            if not alive or time.monotonic() > deadline:
                break
        if not self._first_data.is_set():
            self._error_sent = True  # abort, don't wait for a dead device
            self.stop()
            raise MicrophoneError(
                f"The microphone '{self.name}' opened but delivered no audio within "
                f"{self.start_timeout:.0f} s. Check that it is connected and not muted, or choose another one."
            )

        def watchdog() -> None:
            while not self._stopping.wait(0.2):
                st = self._stream
                if st is None:
                    return
                try:
                    active = st.active
                except Exception:
                    active = False
                if not active or time.monotonic() - self._last_data > self.no_data_timeout:
                    fail(lost_device_message(self.name))
                    return

        self._watchdog = threading.Thread(target=watchdog, name="scribe-mic-watchdog", daemon=True)
        self._watchdog.start()

    def stop(self) -> None:
        global _active_streams
        self._stopping.set()
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                if self._error_sent:  # dead device: don't wait for it
                    stream.abort(ignore_errors=True)
                else:  # healthy: let PortAudio hand over the blocks it already captured
                    stream.stop(ignore_errors=True)
                stream.close(ignore_errors=True)
            except Exception:
                pass
        if self._counted:
            with _pa_lock:
                _active_streams -= 1
                self._counted = False
        if self._watchdog is not None and self._watchdog is not threading.current_thread():
            self._watchdog.join(timeout=1.0)
        self._watchdog = None


class FileReplaySource:
    """Replays an audio file as if it were a microphone (tests, benchmarks, demos).

    Chunks of ``chunk_seconds`` are delivered from a thread, each when it would have been
    captured (real time divided by ``speed``), or as fast as possible with ``realtime=False``.
    ``offset`` starts part-way into the file. ``fail_after`` (seconds of audio) simulates a
    lost device: delivery stops and ``on_error`` is called. ``finished`` is set when the file
    is exhausted (or the source failed/stopped).
    """

    def __init__(
        self,
        path: str | Path,
        realtime: bool = True,
        speed: float = 1.0,
        chunk_seconds: float = 0.1,
        fail_after: float | None = None,
        offset: float = 0.0,
        audio: np.ndarray | None = None,
    ):
        self.path = Path(path)
        self.name = f"replay:{self.path.name}"
        self.realtime = realtime
        self.speed = float(speed)
        self.chunk_seconds = float(chunk_seconds)
        self.fail_after = fail_after
        self.offset = float(offset)
        self._audio = audio
        self.delivered = 0.0  # seconds of audio delivered
        self.finished = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, on_audio: AudioCallback, on_error: ErrorCallback) -> None:
        audio = self._audio if self._audio is not None else load_audio(self.path)
        audio = audio[int(round(self.offset * SAMPLE_RATE)) :]
        n = max(1, int(round(self.chunk_seconds * SAMPLE_RATE)))
        limit = len(audio) if self.fail_after is None else min(len(audio), int(round(self.fail_after * SAMPLE_RATE)))
        self._stop.clear()
        self.finished.clear()

        def run() -> None:
            t0 = time.monotonic()
            pos = 0
            try:
                while pos < limit and not self._stop.is_set():
                    chunk = audio[pos : min(pos + n, limit)]
                    if self.realtime:
                        due = t0 + (pos + len(chunk)) / SAMPLE_RATE / self.speed
                        if self._stop.wait(max(0.0, due - time.monotonic())):
                            break
                    on_audio(chunk.astype(np.float32, copy=True))
                    pos += len(chunk)
                    self.delivered = pos / SAMPLE_RATE
                if self.fail_after is not None and pos >= limit and not self._stop.is_set():
                    on_error(lost_device_message(self.name))
            except Exception:
                log.exception("file replay failed")
            finally:
                self.finished.set()

        self._thread = threading.Thread(target=run, name="scribe-file-replay", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout=2.0)
        self._thread = None


# --------------------------------------------------------------------------- recorder

_STOP = object()
_FLUSH = object()


class RecorderState(StrEnum):
    """Where a :class:`Recorder` is (its ``state``)."""

    idle = "idle"  # created, not started
    recording = "recording"
    paused = "paused"  # audio is neither written nor given to listeners
    device_lost = "device_lost"  # the source failed: switch_source() continues, stop() ends
    stopped = "stopped"


class Recorder:
    """Records a visit from an :class:`AudioSource`, crash-safely, feeding listeners.

    ``state``: ``idle`` -> ``recording`` <-> ``paused``; ``device_lost`` when the source fails
    (audio so far is flushed; call :meth:`switch_source` to continue or :meth:`stop`);
    ``stopped`` after :meth:`stop`. Paused audio is neither written nor given to listeners.
    """

    def __init__(
        self,
        visit: Visit,
        source: AudioSource,
        listeners: Iterable[AudioCallback] = (),
        on_device_lost: Callable[[str], None] | None = None,
        on_storage_error: Callable[[str], None] | None = None,
        actor: str = "system",
        flush_interval: float = 0.5,
    ):
        self.visit = visit
        self.source = source
        self.listeners: list[AudioCallback] = list(listeners)
        self.on_device_lost = on_device_lost
        self.on_storage_error = on_storage_error  # disk full etc.; recording continues in memory
        self.actor = actor
        self.flush_interval = flush_interval
        self.state = RecorderState.idle
        self.level = -100.0  # RMS dBFS of the last chunk (updated while paused too)
        self.storage_error: str | None = None  # current disk problem, None when writes succeed
        self.last_error: str | None = None  # last device-lost message
        self._writer: AudioWriter | None = None
        self._samples = 0  # samples accepted for writing in this session
        self._base_seconds = 0.0  # audio already in the file when we started
        self._gen = 0
        self._lock = threading.RLock()
        self._disk_q: queue.Queue[Any] = queue.Queue()
        self._listen_q: queue.Queue[Any] = queue.Queue()
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ properties
    @property
    def elapsed(self) -> float:
        """Seconds of audio in this visit (earlier sessions included), counted as it arrives."""
        return self._base_seconds + self._samples / SAMPLE_RATE

    @property
    def saved_seconds(self) -> float:
        """Seconds of audio already flushed to disk."""
        w = self._writer
        return w.committed_seconds if w is not None else self.visit.audio_seconds()

    def add_listener(self, fn: AudioCallback) -> None:
        self.listeners.append(fn)

    def remove_listener(self, fn: AudioCallback) -> None:
        try:
            self.listeners.remove(fn)
        except ValueError:
            pass

    # ------------------------------------------------------------------ control
    def start(self) -> None:
        with self._lock:
            if self.state != RecorderState.idle:
                raise ScribeError(f"The recorder cannot start: it is {self.state}.")
            self._writer = self.visit.open_audio_writer(SAMPLE_RATE, flush_interval=self.flush_interval)
            self._base_seconds = self._writer.seconds
            self._threads = [
                threading.Thread(target=self._disk_loop, name="scribe-audio-writer", daemon=True),
                threading.Thread(target=self._listen_loop, name="scribe-audio-listeners", daemon=True),
            ]
            for t in self._threads:
                t.start()
            self.state = RecorderState.recording
            try:
                self._start_source(self.source)
            except BaseException:
                self.state = RecorderState.idle
                self._shutdown_threads()
                raise
            self.visit.set_state(VisitState.recording, self.actor)
            self.visit.audit(
                "recording_started",
                self.actor,
                device=getattr(self.source, "name", "?"),
                seconds_before=round(self._base_seconds, 3),
            )

    def pause(self) -> None:
        with self._lock:
            if self.state == RecorderState.recording:
                self.state = RecorderState.paused
                self._disk_q.put(_FLUSH)
                self.visit.audit("recording_paused", self.actor, at=round(self.elapsed, 3))

    def resume(self) -> None:
        with self._lock:
            if self.state == RecorderState.paused:
                self.state = RecorderState.recording
                self.visit.audit("recording_resumed", self.actor, at=round(self.elapsed, 3))

    def switch_source(self, source: AudioSource) -> None:
        """Continue this visit on another device (after a lost device, or by choice)."""
        with self._lock:
            if self.state in (RecorderState.idle, RecorderState.stopped):
                raise ScribeError(f"The recorder cannot switch microphones: it is {self.state}.")
            old = self.source
            self._gen += 1  # chunks still arriving from the old source are ignored
            try:
                old.stop()
            except Exception:
                log.exception("stopping the old source failed")
            self.source = source
            was = self.state
            self.state = RecorderState.paused if was == RecorderState.paused else RecorderState.recording
            try:
                self._start_source(source)
            except BaseException:
                self.state = RecorderState.device_lost
                raise
            self.visit.audit(
                "source_switched",
                self.actor,
                old=getattr(old, "name", "?"),
                new=getattr(source, "name", "?"),
                at=round(self.elapsed, 3),
            )

    def stop(self, next_state: VisitState | None = VisitState.recorded) -> float:
        """Stop, write everything, close the audio; returns the seconds of audio in the visit.

        The visit moves to ``next_state`` (``recorded`` by default; None leaves it unchanged).
        Raises StorageError if the final write failed (what was written before stays on disk).
        """
        with self._lock:
            if self.state in (RecorderState.idle, RecorderState.stopped):
                return self.visit.audio_seconds()
            self._gen += 1
            self.state = RecorderState.stopped
            try:
                self.source.stop()
            except Exception:
                log.exception("stopping the source failed")
            err = self._shutdown_threads()
            writer = self._writer
            seconds = writer.committed_seconds if writer is not None else self.visit.audio_seconds()
            self.visit.audit("recording_stopped", self.actor, seconds=round(seconds, 3))
            if next_state is not None:
                self.visit.set_state(next_state, self.actor)
            if err is not None:
                raise err
            return seconds

    # ------------------------------------------------------------------ internals
    def _start_source(self, source: AudioSource) -> None:
        gen = self._gen
        source.start(lambda chunk: self._on_audio(gen, chunk), lambda msg: self._on_source_error(gen, msg))

    def _on_audio(self, gen: int, chunk: np.ndarray) -> None:
        # audio thread: cheap work only
        if gen != self._gen:
            return
        chunk = np.asarray(chunk, dtype=np.float32).reshape(-1)
        self.level = rms_dbfs(chunk)
        if self.state != RecorderState.recording:
            return
        self._samples += len(chunk)
        self._disk_q.put(chunk)
        if self.listeners:
            self._listen_q.put(chunk)

    def _on_source_error(self, gen: int, message: str) -> None:
        with self._lock:
            if gen != self._gen or self.state not in (RecorderState.recording, RecorderState.paused):
                return
            self.state = RecorderState.device_lost
            self.last_error = message
            self._disk_q.put(_FLUSH)
        try:
            self.visit.audit(
                "device_lost",
                "system",
                device=getattr(self.source, "name", "?"),
                at=round(self.elapsed, 3),
                message=message,
            )
        except StorageError:
            log.exception("could not audit device loss")
        cb = self.on_device_lost
        if cb is not None:
            try:
                cb(message)
            except Exception:
                log.exception("on_device_lost callback failed")

    def _report_storage(self, err: StorageError | None) -> None:
        msg = str(err) if err is not None else None
        if msg == self.storage_error:
            return
        self.storage_error = msg
        if msg is not None:
            log.error("%s", msg)
            cb = self.on_storage_error
            if cb is not None:
                try:
                    cb(msg)
                except Exception:
                    log.exception("on_storage_error callback failed")
        else:
            log.info("audio writes succeed again")

    def _disk_loop(self) -> None:
        writer = self._writer
        assert writer is not None
        while True:
            try:
                item = self._disk_q.get(timeout=0.1)
            except queue.Empty:
                item = None
            try:
                if item is _STOP:
                    self._drain_late(writer)
                    return
                if item is _FLUSH:
                    writer.flush()
                elif item is not None:
                    writer.write(item)
                else:
                    writer.flush_if_due()
                if writer.error is None:
                    self._report_storage(None)
            except StorageError as exc:
                self._report_storage(exc)  # audio stays buffered in the writer; retried next flush
            except Exception:
                log.exception("audio writer thread error")

    def _drain_late(self, writer: AudioWriter) -> None:
        """Write chunks that raced with stop() (queued after the stop marker)."""
        while True:
            try:
                late = self._disk_q.get_nowait()
            except queue.Empty:
                return
            if isinstance(late, np.ndarray):
                try:
                    writer.write(late)
                except StorageError as exc:
                    self._report_storage(exc)

    def _listen_loop(self) -> None:
        while True:
            item = self._listen_q.get()
            if item is _STOP:
                return
            for fn in list(self.listeners):
                try:
                    fn(item)
                except Exception:
                    log.exception("audio listener failed")

    def _shutdown_threads(self) -> StorageError | None:
        self._disk_q.put(_STOP)
        self._listen_q.put(_STOP)
        for t in self._threads:
            t.join(timeout=30)
        self._threads = []
        err = None
        if self._writer is not None:
            try:
                self._writer.close()
            except StorageError as exc:
                err = exc
                self._report_storage(exc)
        return err
