"""Encryption at rest: :class:`EncryptedDisk`, the byte seam with AES-256-GCM inside.

Every visit has its own key (:meth:`~scribe.storage.keys.KeyStore.visit_key`), and its recording
another one (so retention can shred the audio and keep the note); a file names the key scope it was
sealed with, and its own file name is bound into the authentication, so a file cannot be moved to
another visit or swapped for another file of the same visit.

Two formats, both authenticated (a flipped bit is an error, never silently wrong data):

``SCB1`` (whole files: visit record, transcript, note versions, outbox entries)::

    "SCB1" | scope length (1) | scope | nonce (12) | AES-GCM(plaintext) + tag (16)

``SCS1`` (the audio, which grows while it is recorded and must survive ``kill -9``)::

    "SCS1" | scope length | scope | file id (16) | head length (2)
    head slot A | head slot B        each: counter (8) | nonce (12) | AES-GCM(head) + tag
    record 0 | record 1 | ...        each: length (4) | nonce (12) | AES-GCM(offset (8) | bytes) + tag

The *head* (the WAV header, rewritten at every flush with the current sizes) alternates between
two slots with a counter, so a write torn by a crash leaves the previous head readable. Audio is
only ever appended, one record per flush (~0.5 s); a record's index, the file id and the file
name are its associated data, so records cannot be dropped from the middle, reordered or moved
between files. A record torn by a crash fails authentication and is cut off when the file is
opened again: a killed recording loses at most the audio of its last flush, as before.

Nonces are random (96 bits); no key ever encrypts two messages under one nonce. The audit trail
is not encrypted (:meth:`EncryptedDisk.append` writes it as is): it holds ids only, and must stay
verifiable by an auditor without the visit's key (docs/security.md).
"""

from __future__ import annotations

import errno
import os
import struct
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .disk import Disk, Stream
from .errors import StorageError

AUDIO_NAME = "audio.wav"  # the recording has a key of its own
BLOB = b"SCB1"
STREAM = b"SCS1"
_TAG = 16
_NONCE = 12
_SLOT_PLAIN_PREFIX = 8  # counter
_MAX_TORN = 8 << 20  # a torn final record is one flush (~16 KB per 0.5 s); more left over is damage


class DecryptionError(StorageError):
    """A file failed authentication: altered, damaged, or sealed with another key."""


def audio_scope(visit_scope: str) -> str:
    """The key scope of a visit's recording."""
    return f"{visit_scope}.audio"


def _scope_bytes(scope: str) -> bytes:
    raw = scope.encode("ascii")
    if not 0 < len(raw) < 256:
        raise StorageError(f"Invalid key scope '{scope}'.")
    return raw


class EncryptedDisk(Disk):
    """A :class:`Disk` that seals every file it writes under ``root`` with the owning visit's key.

    The key scope of a path is the visit folder it lies in (the first component under ``root``);
    other callers (the EHR outbox) pass ``scope`` to :meth:`write`. Reading finds the key from the
    file itself. A file without a Scribe header (written before encryption was turned on) is read
    as it is, so an upgrade loses nothing; everything written from then on is sealed.
    """

    def __init__(self, keys, root: Path):
        self.keys = keys
        self.root = Path(root)

    # ------------------------------------------------------------------ scopes and keys
    def scope_of(self, path: Path) -> str:
        """The key a visit file is sealed with: the visit's, or for the recording a key of its own
        (so retention can destroy a recording's key and keep the note)."""
        try:
            rel = Path(path).resolve().relative_to(self.root.resolve())
        except ValueError:
            raise StorageError(f"{path} is outside Scribe's data folder; it cannot be sealed.") from None
        if len(rel.parts) < 2 or rel.parts[0].startswith("."):
            raise StorageError(f"No visit owns {path}; name the key scope to seal it with.")
        return audio_scope(rel.parts[0]) if rel.name == AUDIO_NAME else rel.parts[0]

    def _aesgcm(self, scope: str, create: bool) -> AESGCM:
        return AESGCM(self.keys.visit_key(scope, create=create))

    # ------------------------------------------------------------------ whole files
    def seal(self, path: Path, data: bytes, scope: str | None = None) -> bytes:
        scope = scope or self.scope_of(path)
        sb = _scope_bytes(scope)
        nonce = os.urandom(_NONCE)
        aad = BLOB + sb + Path(path).name.encode()
        return BLOB + bytes([len(sb)]) + sb + nonce + self._aesgcm(scope, True).encrypt(nonce, data, aad)

    def _expect_scope(self, path: Path, scope: str) -> None:
        """A file inside a visit folder must be sealed with that visit's key (not moved in from another)."""
        try:
            expected = self.scope_of(path)
        except StorageError:
            return  # the outbox: its file name (bound into the seal) already ties it to its item
        if scope != expected:
            raise DecryptionError(
                f"{Path(path).name} in this visit's folder belongs to another visit (moved or copied in); "
                "Scribe will not use it."
            )

    def open_sealed(self, path: Path, raw: bytes) -> bytes:
        magic = raw[:4]
        if magic not in (BLOB, STREAM):
            return raw  # written before encryption was on
        if magic == STREAM:
            sf = _StreamFile.parse(self, path, raw)
            self._expect_scope(path, sf.scope)
            return sf.logical_bytes()
        try:
            n = raw[4]
            scope = raw[5 : 5 + n].decode("ascii")
            self._expect_scope(path, scope)
            nonce = raw[5 + n : 5 + n + _NONCE]
            body = raw[5 + n + _NONCE :]
            aad = BLOB + raw[5 : 5 + n] + Path(path).name.encode()
            return self._aesgcm(scope, False).decrypt(nonce, body, aad)
        except (IndexError, UnicodeDecodeError, InvalidTag, ValueError):
            raise DecryptionError(
                f"{Path(path).name} of a visit failed its integrity check (altered, damaged or not sealed by this "
                "installation); Scribe will not use it."
            ) from None

    def read(self, path: Path) -> bytes:
        return self.open_sealed(path, super().read(path))

    def size(self, path: Path) -> int:
        """The size of what :meth:`read` returns (the audio's logical length without decrypting it)."""
        with super().open_stream(path) as raw_stream:
            magic = raw_stream.read_at(0, 4)
            if magic not in (BLOB, STREAM):
                return raw_stream.size()
        if magic == BLOB:
            return len(self.read(path))
        with self.open_stream(path, repair=False) as stream:
            return stream.size()

    def write(self, path: Path, data: bytes, scope: str | None = None) -> None:
        super().write(path, self.seal(path, data, scope))

    def create_new(self, path: Path, data: bytes, scope: str | None = None) -> None:
        super().create_new(path, self.seal(path, data, scope))

    # ------------------------------------------------------------------ the growing audio
    def open_stream(self, path: Path, repair: bool = True) -> Stream:
        """The audio for positioned reads and appends, sealed record by record (see module doc)."""
        path = Path(path)
        raw_stream = super().open_stream(path)
        try:
            magic = raw_stream.read_at(0, 4)
        except OSError:
            raw_stream.close()
            raise
        if magic == STREAM:
            return EncryptedStream(self, path, raw_stream, repair=repair)
        raw_stream.close()
        if magic == BLOB:  # just created by a whole-file write (the empty WAV header): make it a stream
            head = self.read(path)
            super().write(path, _StreamFile.new(self, path, self.scope_of(path), head))
            return EncryptedStream(self, path, super().open_stream(path), repair=repair)
        return super().open_stream(path)  # a plain file from before encryption: leave it plain


class _StreamFile:
    """The parsed layout of an ``SCS1`` file (see the module docstring)."""

    def __init__(self, disk: EncryptedDisk, path: Path, scope: str, file_id: bytes, head_len: int):
        self.disk, self.path, self.scope, self.file_id, self.head_len = disk, Path(path), scope, file_id, head_len
        sb = _scope_bytes(scope)
        self.prefix = STREAM + bytes([len(sb)]) + sb + file_id + struct.pack("<H", head_len)
        self.slot_size = _SLOT_PLAIN_PREFIX + _NONCE + head_len + _TAG
        self.records_start = len(self.prefix) + 2 * self.slot_size
        self.aes = disk._aesgcm(scope, False)
        self.head = b""
        self.counter = -1
        self.records: list[tuple[int, int, int]] = []  # (logical offset, length, physical offset)
        self.valid_end = self.records_start
        self._raw = b""  # the whole file, when parsed from bytes (parse)

    def _aad(self, what: bytes) -> bytes:
        return self.prefix + self.path.name.encode() + what

    # -- building
    @classmethod
    def new(cls, disk: EncryptedDisk, path: Path, scope: str, head: bytes) -> bytes:
        disk.keys.visit_key(scope, create=True)
        sf = cls(disk, path, scope, os.urandom(16), len(head))
        empty = b"\0" * sf.slot_size
        return sf.prefix + sf.seal_slot(0, head) + empty

    def seal_slot(self, counter: int, head: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        c = struct.pack("<Q", counter)
        return c + nonce + self.aes.encrypt(nonce, head, self._aad(b"head" + c))

    def seal_record(self, index: int, offset: int, data: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        body = self.aes.encrypt(nonce, struct.pack("<Q", offset) + data, self._aad(b"rec" + struct.pack("<Q", index)))
        return struct.pack("<I", len(body)) + nonce + body

    # -- parsing
    @classmethod
    def parse_header(cls, disk: EncryptedDisk, path: Path, raw: bytes) -> _StreamFile:
        try:
            n = raw[4]
            scope = raw[5 : 5 + n].decode("ascii")
            file_id = raw[5 + n : 21 + n]
            (head_len,) = struct.unpack_from("<H", raw, 21 + n)
        except (IndexError, UnicodeDecodeError, struct.error):
            raise DecryptionError(f"{Path(path).name} of a visit has a damaged header.") from None
        return cls(disk, path, scope, file_id, head_len)

    def load_slots(self, slots: bytes) -> None:
        best = None
        for i in range(2):
            slot = slots[i * self.slot_size : (i + 1) * self.slot_size]
            if len(slot) < self.slot_size:
                continue
            c = slot[:8]
            try:
                head = self.aes.decrypt(slot[8:20], slot[20:], self._aad(b"head" + c))
            except InvalidTag:
                continue  # an empty slot, or one torn by a crash: the other one holds the head
            counter = struct.unpack("<Q", c)[0]
            if best is None or counter > best[0]:
                best = (counter, head)
        if best is None:
            raise DecryptionError(f"{self.path.name} of a visit failed its integrity check (header).")
        self.counter, self.head = best

    def scan(self, read_at, size: int) -> None:
        """Index the records. The last one may be torn by a crash (incomplete or unauthentic): it is
        left out. An unauthentic record with more data after it is damage or tampering: an error,
        never a recording that silently stops half-way."""
        pos, index, logical = self.records_start, 0, self.head_len
        while pos + 4 + _NONCE <= size:
            (n,) = struct.unpack("<I", read_at(pos, 4))
            end = pos + 4 + _NONCE + n
            if n < 8 + _TAG or end > size:
                if size - pos > _MAX_TORN:  # far more than one flush left: not a torn write
                    raise DecryptionError(f"{self.path.name} of a visit has a damaged record at {logical} bytes.")
                break
            blob = read_at(pos + 4, _NONCE + n)
            try:
                plain = self.aes.decrypt(blob[:_NONCE], blob[_NONCE:], self._aad(b"rec" + struct.pack("<Q", index)))
                (offset,) = struct.unpack_from("<Q", plain)
            except InvalidTag:
                if end < size:
                    raise DecryptionError(
                        f"{self.path.name} of a visit failed its integrity check at {logical} bytes "
                        "(altered or damaged); Scribe will not use it."
                    ) from None
                break
            if offset != logical:
                raise DecryptionError(f"{self.path.name} of a visit has its parts out of order (altered).")
            self.records.append((offset, len(plain) - 8, pos))
            logical += len(plain) - 8
            pos, index = end, index + 1
        self.valid_end = pos

    def decrypt_record(self, read_at, i: int) -> bytes:
        _, _, pos = self.records[i]
        (n,) = struct.unpack("<I", read_at(pos, 4))
        blob = read_at(pos + 4, _NONCE + n)
        return self.aes.decrypt(blob[:_NONCE], blob[_NONCE:], self._aad(b"rec" + struct.pack("<Q", i)))[8:]

    @classmethod
    def parse(cls, disk: EncryptedDisk, path: Path, raw: bytes) -> _StreamFile:
        sf = cls.parse_header(disk, path, raw)
        sf.load_slots(raw[len(sf.prefix) : sf.records_start])
        sf.scan(lambda off, n: raw[off : off + n], len(raw))
        sf._raw = raw
        return sf

    def logical_bytes(self) -> bytes:
        read_at = lambda off, n: self._raw[off : off + n]  # noqa: E731
        return self.head + b"".join(self.decrypt_record(read_at, i) for i in range(len(self.records)))

    @property
    def logical_size(self) -> int:
        if not self.records:
            return self.head_len
        offset, length, _ = self.records[-1]
        return offset + length


class EncryptedStream(Stream):
    """The :class:`~scribe.storage.disk.Stream` of an ``SCS1`` file: the head rewritten in place (A/B),
    everything else appended as sealed records. Writes elsewhere are refused (``EINVAL``)."""

    def __init__(self, disk: EncryptedDisk, path: Path, raw: Stream, repair: bool = True):
        self.path = Path(path)
        self._raw = raw
        try:
            size = raw.size()
            head = raw.read_at(0, min(size, 512))
            self._sf = _StreamFile.parse_header(disk, path, head)
            sf = self._sf
            disk._expect_scope(path, sf.scope)
            self._sf.load_slots(raw.read_at(len(sf.prefix), 2 * sf.slot_size))
            sf.scan(raw.read_at, size)
            if repair and sf.valid_end < size:  # a record torn by a crash: cut it off
                raw.truncate(sf.valid_end)
                raw.sync()
        except BaseException:
            raw.close()
            raise
        self._head = bytearray(sf.head)
        self._head_dirty = False

    def size(self) -> int:
        return self._sf.logical_size

    def read_at(self, offset: int, n: int) -> bytes:
        out = bytearray()
        end = min(offset + n, self.size())
        if offset < self._sf.head_len:
            out += self._head[offset : min(end, self._sf.head_len)]
        for i, (start, length, _) in enumerate(self._sf.records):
            if start + length <= offset or start >= end:
                continue
            data = self._sf.decrypt_record(self._raw.read_at, i)
            lo, hi = max(offset, start) - start, min(end, start + length) - start
            out += data[lo:hi]
        return bytes(out)

    def write_at(self, offset: int, data: bytes) -> None:
        sf = self._sf
        if offset + len(data) <= sf.head_len:
            self._head[offset : offset + len(data)] = data
            self._head_dirty = True
            return
        if offset != sf.logical_size or not data:
            raise OSError(errno.EINVAL, "an encrypted stream only rewrites its head or appends")
        index = len(sf.records)
        record = sf.seal_record(index, offset, bytes(data))
        self._raw.write_at(sf.valid_end, record)
        sf.records.append((offset, len(data), sf.valid_end))
        sf.valid_end += len(record)

    def truncate(self, size: int) -> None:
        sf = self._sf
        if size >= sf.logical_size:
            self._raw.truncate(sf.valid_end)  # drop the bytes of a record whose write failed
            return
        if size < sf.head_len:
            raise OSError(errno.EINVAL, "cannot cut into an encrypted stream's head")
        keep_prefix = b""
        while sf.records and sf.records[-1][0] + sf.records[-1][1] > size:
            start, _length, pos = sf.records[-1]
            if start < size:  # a record straddles the cut: keep its first part
                keep_prefix = sf.decrypt_record(self._raw.read_at, len(sf.records) - 1)[: size - start]
            sf.records.pop()
            sf.valid_end = pos
        self._raw.truncate(sf.valid_end)
        if keep_prefix:
            self.write_at(sf.logical_size, keep_prefix)

    def sync(self) -> None:
        sf = self._sf
        if self._head_dirty:
            sf.counter += 1
            slot = sf.seal_slot(sf.counter, bytes(self._head))
            self._raw.write_at(len(sf.prefix) + (sf.counter % 2) * sf.slot_size, slot)
            sf.head = bytes(self._head)
            self._head_dirty = False
        self._raw.sync()

    def close(self) -> None:
        self._raw.close()
