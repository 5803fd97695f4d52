"""The visit's audio on disk: a PCM16 mono WAV that grows while recording and survives a crash.

``audio.wav`` is RIFF/WAVE, PCM 16-bit signed little-endian, mono, with the sample rate in the
header: a canonical 44-byte header followed by the ``data`` chunk, which is always last.
:class:`AudioWriter` appends samples and rewrites the header sizes at every flush;
:func:`repair_wav` recomputes them from the file length after a crash (dropping a torn final
sample); :func:`decode_wav` reads a file whose header sizes are stale (live or crashed).

Audio durability: :class:`AudioWriter` buffers PCM in memory and, at least every
``flush_interval`` seconds (0.5 s by default), appends it, rewrites the header sizes and
``fsync``s. A killed process therefore loses at most the unflushed buffer (< ~1 s). If the disk
is full or unwritable, the writer truncates back to the last complete flush, keeps the pending
audio in memory, raises :class:`StorageError` and retries at the next flush, so freeing space in
time loses nothing.
"""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..audio import SAMPLE_RATE, pcm16_bytes
from .disk import Disk, Stream
from .errors import StorageError, storage_error

log = logging.getLogger(__name__)

HEADER_SIZE = 44
_HEAD_BYTES = 4096  # a header (with optional chunks before ``data``) fits in this


def wav_header(sample_rate: int, data_bytes: int) -> bytes:
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + data_bytes,
        b"WAVE",
        b"fmt ",
        16,
        1,
        1,
        sample_rate,
        sample_rate * 2,
        2,
        16,
        b"data",
        data_bytes,
    )


@dataclass
class WavInfo:
    sample_rate: int
    data_offset: int  # byte offset of the first sample
    size_offset: int  # byte offset of the data chunk's size field


def parse_wav(head: bytes) -> WavInfo:
    """Parse a PCM16 mono WAV header; raise ValueError if it is not one Scribe can append to."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    pos = 12
    rate = None
    while pos + 8 <= len(head):
        cid, size = struct.unpack_from("<4sI", head, pos)
        if cid == b"fmt ":
            fmt, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", head, pos + 8)
            if fmt != 1 or channels != 1 or bits != 16:
                raise ValueError(f"unsupported WAV format (format {fmt}, {channels} ch, {bits} bit)")
        elif cid == b"data":
            if rate is None:
                raise ValueError("data chunk before fmt chunk")
            return WavInfo(sample_rate=rate, data_offset=pos + 8, size_offset=pos + 4)
        pos += 8 + size + (size & 1)
    raise ValueError("no data chunk in the first bytes of the file")


def _write_sizes(stream: Stream, info: WavInfo, data_bytes: int) -> None:
    stream.write_at(4, struct.pack("<I", (info.data_offset - 8 + data_bytes) & 0xFFFFFFFF))
    stream.write_at(info.size_offset, struct.pack("<I", data_bytes & 0xFFFFFFFF))


def repair_wav(stream: Stream) -> tuple[WavInfo, int]:
    """Make the header sizes match the file length and drop a torn final sample.

    Returns (info, data_bytes). Only the header and the torn tail are touched; samples are
    never rewritten.
    """
    head = stream.read_at(0, _HEAD_BYTES)
    info = parse_wav(head)
    data_bytes = max(0, stream.size() - info.data_offset)
    if data_bytes % 2:
        data_bytes -= 1
        stream.truncate(info.data_offset + data_bytes)
    cur_riff = struct.unpack_from("<I", head, 4)[0]
    cur_data = struct.unpack_from("<I", head, info.size_offset)[0]
    if cur_riff != info.data_offset - 8 + data_bytes or cur_data != data_bytes:
        _write_sizes(stream, info, data_bytes)
    stream.sync()
    return info, data_bytes


def decode_wav(raw: bytes) -> tuple[np.ndarray, int]:
    """A Scribe visit WAV as float32 mono in [-1, 1] plus its sample rate.

    Works on a WAV whose header sizes are stale (live or crashed recording): the length is
    taken from the byte count.
    """
    info = parse_wav(raw[:_HEAD_BYTES])
    n = (len(raw) - info.data_offset) // 2
    pcm = np.frombuffer(raw, dtype="<i2", count=n, offset=info.data_offset)
    return pcm.astype(np.float32) / 32768.0, info.sample_rate


def read_wav(path: Path, disk: Disk | None = None) -> tuple[np.ndarray, int]:
    """Read a Scribe visit WAV (see :func:`decode_wav`)."""
    return decode_wav((disk or Disk()).read(Path(path)))


def wav_seconds(disk: Disk, path: Path) -> float:
    """Seconds of audio in a visit WAV, from its length (works on a live or crashed file)."""
    with disk.open_stream(path) as stream:
        info = parse_wav(stream.read_at(0, _HEAD_BYTES))
        return max(0, stream.size() - info.data_offset) // 2 / info.sample_rate


class AudioWriter:
    """Crash-safe PCM16 mono WAV appender.

    Not thread-safe: use it from one thread (the Recorder's writer thread). ``seconds`` may be
    read from any thread.
    """

    def __init__(
        self,
        path: Path,
        sample_rate: int = SAMPLE_RATE,
        flush_interval: float = 0.5,
        on_close: Callable[[AudioWriter], None] | None = None,
        disk: Disk | None = None,
    ):
        self.path = Path(path)
        self.sample_rate = int(sample_rate)
        self.flush_interval = float(flush_interval)
        self._on_close = on_close
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._last_flush = time.monotonic()
        self.closed = False
        self.error: StorageError | None = None  # set while writes are failing
        disk = disk or Disk()
        try:
            if self.path.exists() and disk.size(self.path) >= HEADER_SIZE:
                self._stream = disk.open_stream(self.path)
                try:
                    info, data_bytes = repair_wav(self._stream)
                except ValueError as exc:
                    self._stream.close()
                    raise StorageError(
                        f"The audio file {self.path} is not a Scribe recording ({exc}); "
                        "it was left untouched. Move it away to record into this visit."
                    ) from None
                if info.sample_rate != self.sample_rate:
                    self._stream.close()
                    raise StorageError(
                        f"The audio file {self.path} was recorded at {info.sample_rate} Hz, "
                        f"not {self.sample_rate} Hz; cannot append to it."
                    )
            else:
                # new (or a header torn at creation, which holds no audio): create atomically
                disk.write(self.path, wav_header(self.sample_rate, 0))
                info, data_bytes = parse_wav(wav_header(self.sample_rate, 0)), 0
                self._stream = disk.open_stream(self.path)
        except OSError as exc:
            raise storage_error(exc, "opening the audio file", self.path) from exc
        self._info = info
        self._committed = data_bytes  # bytes of samples safely on disk

    # -- properties
    @property
    def committed_seconds(self) -> float:
        """Seconds of audio already flushed and fsynced."""
        return self._committed / 2 / self.sample_rate

    @property
    def seconds(self) -> float:
        """Seconds of audio in the file plus the not-yet-flushed buffer."""
        return (self._committed + self._pending_bytes) / 2 / self.sample_rate

    # -- writing
    def write(self, chunk: np.ndarray) -> None:
        """Append float32 samples in [-1, 1] (frames x channels are downmixed); flushes when the
        buffer is older than the interval."""
        if self.closed:
            raise StorageError(f"The audio file {self.path} is already closed.")
        data = pcm16_bytes(chunk)
        if data:
            self._pending.append(data)
            self._pending_bytes += len(data)
        self.flush_if_due()

    def flush_if_due(self) -> None:
        if self._pending_bytes and time.monotonic() - self._last_flush >= self.flush_interval:
            self.flush()

    def flush(self) -> None:
        """Append the buffer, rewrite the header sizes, fsync. Raises StorageError on failure
        (keeping the unwritten audio in memory for the next attempt)."""
        if self.closed:
            return
        self._last_flush = time.monotonic()
        if not self._pending_bytes and self.error is None:
            return
        data = b"".join(self._pending)
        start = self._info.data_offset + self._committed
        total = self._committed + len(data)
        try:
            self._stream.write_at(start, data)
            _write_sizes(self._stream, self._info, total)
            self._stream.sync()
        except OSError as exc:
            # keep what is already on disk, drop the partial append, keep the buffer for a retry
            try:
                self._stream.truncate(start)
                self._stream.sync()
            except OSError:
                pass
            self._pending = [data] if data else []
            self.error = storage_error(exc, "saving recorded audio", self.path)
            raise self.error from exc
        self._committed = total
        self._pending = []
        self._pending_bytes = 0
        self.error = None

    def close(self) -> None:
        """Flush and close. If the final flush fails the StorageError is raised after closing;
        everything flushed before stays on disk."""
        if self.closed:
            return
        err: StorageError | None = None
        try:
            self.flush()
        except StorageError as exc:
            err = exc
        self.closed = True
        try:
            self._stream.close()
        except OSError:
            pass
        if self._on_close is not None:
            try:
                self._on_close(self)
            except Exception:  # never mask the audio outcome
                log.exception("audio writer close hook failed")
        if err is not None:
            raise err

    def __enter__(self) -> AudioWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
