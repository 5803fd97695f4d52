"""The keys of one Scribe installation: what encrypts patient data at rest and signs approvals.

Key hierarchy (all keys 256-bit, wrapped with AES-GCM):

* the **key-encryption key** (KEK) never touches the disk: it lives in the OS keyring (Windows
  Credential Manager, macOS Keychain, Secret Service; service ``scribe-data``), or, where there is
  no keyring, it is derived from a passphrase with scrypt (n=2^15, r=8, p=1) each time Scribe starts;
* ``keys/keystore.json`` holds, wrapped by the KEK: the install's **data key(s)** (the current one
  and, during a rotation, retired ones), the **name key** (HMAC key that turns encounter ids into
  folder and file names that are not identifiers), and the **signing key(s)** (Ed25519: approvals
  and audit checkpoints are signed with the current one; retired ones still verify);
* ``keys/visits/<scope>.json`` holds one **visit key** per visit (wrapped by a data key). Every
  file of that visit, and its EHR outbox entries, are encrypted with it. Deleting this small file
  destroys the visit: its files are unreadable ciphertext from then on (crypto-shredding).

Rotation (``scribe keys rotate``) rewraps rather than re-encrypts: a new KEK rewraps the keystore,
a new data key rewraps every visit key, a new signing key retires the old one. Recovery for IT
(``scribe keys export-recovery`` / ``scribe keys recover``): the data, name and signing keys
sealed under a recovery passphrase in a file kept offline; it restores access on a new computer
or after the keyring entry is lost. docs/security.md walks through both.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ..domain import utcnow
from .disk import Disk
from .errors import StorageError, storage_error
from .locks import FileLock

log = logging.getLogger(__name__)

KEYSTORE_FILE = "keystore.json"
KEYRING_SERVICE = "scribe-data"
PASSPHRASE_ENV = "SCRIBE_DATA_PASSPHRASE"
FORMAT = 1
SCRYPT = {"n": 2**15, "r": 8, "p": 1}
_CHECK = b"scribe key-encryption key check"
_MIN_PASSPHRASE = 10

# How a passphrase is asked for: ("create" | "unlock" | "recovery") -> the passphrase, or None.
PassphrasePrompt = Callable[[str], "str | None"]


class KeysLocked(StorageError):
    """Scribe's keys cannot be unlocked (no keyring entry, wrong or missing passphrase)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


def wrap(kek: bytes, key: bytes, purpose: str) -> str:
    """``key`` sealed by ``kek`` (AES-GCM, random nonce, the purpose bound as associated data)."""
    nonce = os.urandom(12)
    return _b64(nonce + AESGCM(kek).encrypt(nonce, key, purpose.encode()))


def unwrap(kek: bytes, wrapped: str, purpose: str) -> bytes:
    raw = _unb64(wrapped)
    return AESGCM(kek).decrypt(raw[:12], raw[12:], purpose.encode())


def derive_key(passphrase: str, salt: bytes, params: dict | None = None) -> bytes:
    p = params or SCRYPT
    return Scrypt(salt=salt, length=32, n=int(p["n"]), r=int(p["r"]), p=int(p["p"])).derive(passphrase.encode("utf-8"))


# --------------------------------------------------------------------------- keyring


def os_keyring():
    """The OS keyring backend, or None when this computer has none (headless, container).

    Shared by everything Scribe keeps in the keyring (the data key here, EHR secrets in scribe.ehr.secrets)."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        kr = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - a broken keyring configuration is "no keyring"
        log.warning("the OS keyring could not be loaded", exc_info=True)
        return None
    if isinstance(kr, fail.Keyring):
        return None
    try:
        from keyring.backends.chainer import ChainerBackend

        if isinstance(kr, ChainerBackend) and not kr.backends:
            return None
    except ImportError:
        pass
    return kr


def keyring_available() -> bool:
    return os_keyring() is not None


def _keyring_get(entry: str) -> bytes | None:
    kr = os_keyring()
    if kr is None:
        return None
    try:
        value = kr.get_password(KEYRING_SERVICE, entry)
    except Exception as exc:  # noqa: BLE001 - locked keyring, D-Bus trouble
        raise KeysLocked(
            f"Scribe could not read its data key from the OS keyring ({exc}); unlock the keyring."
        ) from None
    return _unb64(value) if value else None


def _keyring_set(entry: str, kek: bytes) -> None:
    kr = os_keyring()
    if kr is None:
        raise KeysLocked("There is no OS keyring on this computer to keep Scribe's data key in.")
    try:
        kr.set_password(KEYRING_SERVICE, entry, _b64(kek))
    except Exception as exc:  # noqa: BLE001
        raise KeysLocked(
            f"Scribe could not store its data key in the OS keyring ({exc}); unlock the keyring."
        ) from None


def _keyring_delete(entry: str) -> None:
    kr = os_keyring()
    if kr is not None:
        try:
            kr.delete_password(KEYRING_SERVICE, entry)
        except Exception:  # noqa: BLE001 - not there is fine
            pass


# --------------------------------------------------------------------------- the key store


@dataclass
class KeyInfo:
    """What ``scribe keys status`` shows (no secrets)."""

    install_id: str
    protection: str  # keyring | passphrase
    data_key: str
    retired_data_keys: list[str]
    signing_key: str
    retired_signing_keys: list[str]
    visit_keys: int


def _passphrase(prompt: PassphrasePrompt | None, kind: str) -> str | None:
    value = os.environ.get(PASSPHRASE_ENV) if kind != "recovery" else None
    if not value and prompt is not None:
        value = prompt(kind)
    return value or None


class KeyStore:
    """The unlocked keys of one data folder. Open with :meth:`open`; thread-safe for reading."""

    def __init__(self, folder: Path, doc: dict, kek: bytes, disk: Disk):
        self.folder = Path(folder)
        self._doc = doc
        self._kek = kek
        self._disk = disk
        self._visit_keys: dict[str, bytes] = {}
        self._data_keys = {k["id"]: unwrap(kek, k["wrapped"], f"data-key:{k['id']}") for k in doc["data_keys"]}
        self._name_key = unwrap(kek, doc["name_key"], "name-key")
        self._signing = {
            k["id"]: Ed25519PrivateKey.from_private_bytes(unwrap(kek, k["wrapped"], f"signing-key:{k['id']}"))
            for k in doc["signing_keys"]
        }

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls,
        folder: Path,
        *,
        protection: str = "auto",
        passphrase: PassphrasePrompt | None = None,
        create: bool = True,
    ) -> KeyStore:
        """Unlock (or, the first time, create) the keys in ``folder``.

        ``protection``: ``auto`` (the OS keyring when there is one, else a passphrase), ``keyring``
        or ``passphrase`` (a policy may insist on either). ``passphrase`` asks the user when one
        is needed and ``SCRIBE_DATA_PASSPHRASE`` is not set.
        """
        folder = Path(folder)
        disk = Disk()
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            (folder / "visits").mkdir(exist_ok=True, mode=0o700)
        except OSError as exc:
            raise storage_error(exc, "creating the key folder", folder) from exc
        path = folder / KEYSTORE_FILE
        with cls._guard(folder):
            try:
                doc = json.loads(disk.read(path))
            except FileNotFoundError:
                if not create:
                    raise KeysLocked(f"There are no Scribe keys in {folder}.") from None
                return cls._create(folder, disk, protection, passphrase)
            except (OSError, ValueError) as exc:
                raise StorageError(
                    f"Scribe's key store {path} is unreadable ({exc}); restore it from the recovery file."
                ) from None
        kek = cls._unlock(doc, passphrase)
        try:
            return cls(folder, doc, kek, disk)
        except (InvalidTag, KeyError, ValueError) as exc:
            raise KeysLocked(f"Scribe's key store {path} is damaged or was altered ({type(exc).__name__}).") from None

    @staticmethod
    def _guard(folder: Path) -> FileLock:
        """Cross-process lock for creating and rewriting key files."""
        lock = FileLock(folder / ".lock", "locking the key store")
        if not lock.acquire(timeout=30.0):
            raise StorageError("Scribe's keys are being changed by another Scribe process; try again in a minute.")
        return lock

    @staticmethod
    def _unlock(doc: dict, prompt: PassphrasePrompt | None) -> bytes:
        kek_doc = doc.get("kek") or {}
        if kek_doc.get("protection") == "keyring":
            kek = _keyring_get(kek_doc.get("entry") or doc["install_id"])
            if kek is None:
                raise KeysLocked(
                    "The key that unlocks Scribe's data is not in this computer's OS keyring (a new computer, a "
                    "new user profile or a reset keyring). IT can restore it with 'scribe keys recover FILE' "
                    "from the installation's recovery file."
                )
        else:
            phrase = _passphrase(prompt, "unlock")
            if not phrase:
                raise KeysLocked(
                    f"Scribe's data is locked with a passphrase: enter it when asked (or set {PASSPHRASE_ENV})."
                )
            kek = derive_key(phrase, _unb64(kek_doc["salt"]), kek_doc.get("scrypt"))
        try:
            if unwrap(kek, kek_doc["check"], "kek-check") != _CHECK:
                raise InvalidTag()
        except (InvalidTag, KeyError, ValueError):
            what = "passphrase is wrong" if kek_doc.get("protection") != "keyring" else "keyring entry does not fit"
            raise KeysLocked(f"Scribe's data cannot be unlocked: the {what}.") from None
        return kek

    @classmethod
    def _new_kek(cls, install_id: str, protection: str, prompt: PassphrasePrompt | None) -> tuple[bytes, dict]:
        if protection == "auto":
            protection = "keyring" if keyring_available() else "passphrase"
        if protection == "keyring":
            kek = os.urandom(32)
            entry = f"{install_id}:{_new_id('kek')}"  # a new entry per key: a rotation never overwrites the old one
            _keyring_set(entry, kek)
            meta: dict[str, Any] = {"protection": "keyring", "entry": entry}
        elif protection == "passphrase":
            phrase = _passphrase(prompt, "create")
            if not phrase:
                raise KeysLocked(
                    "This computer has no OS keyring, so Scribe protects its data with a passphrase: choose one "
                    f"when asked (or set {PASSPHRASE_ENV})."
                )
            if len(phrase) < _MIN_PASSPHRASE:
                raise KeysLocked(f"The passphrase for Scribe's data needs at least {_MIN_PASSPHRASE} characters.")
            salt = os.urandom(16)
            kek = derive_key(phrase, salt)
            meta = {"protection": "passphrase", "salt": _b64(salt), "scrypt": dict(SCRYPT)}
        else:
            raise StorageError(f"Unknown key protection '{protection}': use auto, keyring or passphrase.")
        meta["check"] = wrap(kek, _CHECK, "kek-check")
        return kek, meta

    @classmethod
    def _create(cls, folder: Path, disk: Disk, protection: str, prompt: PassphrasePrompt | None) -> KeyStore:
        install_id = _new_id("install")
        kek, meta = cls._new_kek(install_id, protection, prompt)
        data_id, sign_id = _new_id("dk"), _new_id("sk")
        signing = Ed25519PrivateKey.generate().private_bytes_raw()
        doc = {
            "format": FORMAT,
            "install_id": install_id,
            "created": utcnow().isoformat(),
            "kek": meta,
            "data_keys": [{"id": data_id, "wrapped": wrap(kek, os.urandom(32), f"data-key:{data_id}")}],
            "name_key": wrap(kek, os.urandom(32), "name-key"),
            "signing_keys": [{"id": sign_id, "wrapped": wrap(kek, signing, f"signing-key:{sign_id}")}],
        }
        cls._save_doc(folder, disk, doc)
        log.info("created key store %s (%s)", install_id, meta["protection"])
        return cls(folder, doc, kek, disk)

    @staticmethod
    def _save_doc(folder: Path, disk: Disk, doc: dict) -> None:
        path = folder / KEYSTORE_FILE
        try:
            disk.write(path, (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode())
        except OSError as exc:
            raise storage_error(exc, "saving Scribe's keys", path) from exc

    # ------------------------------------------------------------------ identity
    @property
    def install_id(self) -> str:
        return self._doc["install_id"]

    @property
    def protection(self) -> str:
        return self._doc["kek"]["protection"]

    @property
    def data_key_id(self) -> str:
        return next(iter(self._data_keys))  # the newest first

    @property
    def signing_key_id(self) -> str:
        return next(iter(self._signing))

    def info(self) -> KeyInfo:
        return KeyInfo(
            install_id=self.install_id,
            protection=self.protection,
            data_key=self.data_key_id,
            retired_data_keys=list(self._data_keys)[1:],
            signing_key=self.signing_key_id,
            retired_signing_keys=list(self._signing)[1:],
            visit_keys=len(list(self._visit_key_files())),
        )

    # ------------------------------------------------------------------ names
    def opaque_name(self, kind: str, identifier: str) -> str:
        """A stable file or folder name for ``identifier`` that does not reveal it (HMAC-SHA-256)."""
        digest = hmac.new(self._name_key, f"{kind}\0{identifier}".encode(), sha256).hexdigest()
        return f"{kind[0]}{digest[:31]}"

    # ------------------------------------------------------------------ visit keys
    def _visit_key_path(self, scope: str) -> Path:
        if not scope or not all(c.isalnum() or c in "._-" for c in scope):
            raise StorageError(f"'{scope}' is not a valid key scope.")
        return self.folder / "visits" / f"{scope}.json"

    def _visit_key_files(self):
        return (self.folder / "visits").glob("*.json")

    def visit_key(self, scope: str, create: bool = False) -> bytes:
        """The key of one visit (``scope`` is its opaque folder name), created on first use if asked."""
        key = self._visit_keys.get(scope)
        if key is not None:
            return key
        path = self._visit_key_path(scope)
        try:
            doc = json.loads(self._disk.read(path))
        except FileNotFoundError:
            if not create:
                raise StorageError(
                    "This visit's key has been destroyed (the visit was purged) or is missing; its files cannot be read."
                ) from None
            key = os.urandom(32)
            doc = {"scope": scope, "data_key": self.data_key_id, "wrapped": self._wrap_visit(scope, key)}
            try:
                self._disk.create_new(path, json.dumps(doc).encode())
            except FileExistsError:  # another process created it first: use that one
                return self.visit_key(scope)
            except OSError as exc:
                raise storage_error(exc, "creating the visit's key", path) from exc
        except (OSError, ValueError) as exc:
            raise StorageError(f"The visit key {path.name} is unreadable ({exc}).") from None
        else:
            key = self._unwrap_visit(scope, doc)
        self._visit_keys[scope] = key
        return key

    def _wrap_visit(self, scope: str, key: bytes) -> str:
        return wrap(self._data_keys[self.data_key_id], key, f"visit-key:{scope}")

    def _unwrap_visit(self, scope: str, doc: dict) -> bytes:
        data_key = self._data_keys.get(doc.get("data_key", ""))
        if data_key is None or doc.get("scope") != scope:
            raise StorageError(f"The key of visit {scope} belongs to a data key this installation does not hold.")
        try:
            return unwrap(data_key, doc["wrapped"], f"visit-key:{scope}")
        except (InvalidTag, KeyError, ValueError):
            raise StorageError(f"The key of visit {scope} is damaged or was altered.") from None

    def has_visit_key(self, scope: str) -> bool:
        return scope in self._visit_keys or self._visit_key_path(scope).exists()

    def destroy_visit_key(self, scope: str) -> bool:
        """Crypto-shred a visit: overwrite and delete its key file. True if there was one."""
        self._visit_keys.pop(scope, None)
        path = self._visit_key_path(scope)
        try:
            self._disk.write(path, os.urandom(256))  # the wrapped key is gone even if the unlink is undone
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise storage_error(exc, "destroying the visit's key", path) from exc
        return True

    # ------------------------------------------------------------------ signing
    def sign(self, data: bytes) -> dict[str, str]:
        """An Ed25519 signature of ``data`` with the current signing key: ``{"key_id", "signature"}``."""
        key_id = self.signing_key_id
        return {"key_id": key_id, "signature": _b64(self._signing[key_id].sign(data))}

    def verify(self, data: bytes, key_id: str, signature: str) -> bool:
        """True if ``signature`` is this installation's (current or retired key) over ``data``."""
        key = self._signing.get(key_id)
        if key is None:
            return False
        try:
            key.public_key().verify(_unb64(signature), data)
        except (InvalidSignature, ValueError):
            return False
        return True

    def public_key(self, key_id: str | None = None) -> Ed25519PublicKey:
        return self._signing[key_id or self.signing_key_id].public_key()

    # ------------------------------------------------------------------ rotation
    def rotate(
        self,
        *,
        kek: bool = True,
        data: bool = True,
        signing: bool = False,
        protection: str | None = None,
        passphrase: PassphrasePrompt | None = None,
    ) -> list[str]:
        """Rotate keys without re-encrypting files; returns what was done (for the audit and the user).

        Crash-safe: the new data key is saved beside the old one before any visit key is rewrapped,
        and a new keyring entry is written before the keystore points at it.
        """
        done = []
        with self._guard(self.folder):
            if signing:
                new_id = _new_id("sk")
                self._signing = {new_id: Ed25519PrivateKey.generate(), **self._signing}
                done.append(f"new signing key {new_id} (older ones still verify)")
            if data:
                new_id = _new_id("dk")
                self._data_keys = {new_id: os.urandom(32), **self._data_keys}
                self._save(self._kek, self._doc["kek"])  # old and new data key both on disk
                n = self._rewrap_visit_keys()
                self._data_keys = {new_id: self._data_keys[new_id]}
                done.append(f"new data key {new_id}, {n} visit keys rewrapped")
            old_meta = self._doc["kek"]
            if kek:
                new_kek, meta = self._new_kek(self.install_id, protection or self.protection, passphrase)
                done.append(f"new key-encryption key ({meta['protection']})")
            else:
                new_kek, meta = self._kek, old_meta
            self._save(new_kek, meta)
            if kek and old_meta.get("protection") == "keyring":
                _keyring_delete(old_meta.get("entry") or self.install_id)
        return done

    def _save(self, kek: bytes, meta: dict) -> None:
        """Write the keystore with the keys held now, wrapped by ``kek``."""
        doc = {
            **self._doc,
            "kek": meta,
            "data_keys": [{"id": i, "wrapped": wrap(kek, k, f"data-key:{i}")} for i, k in self._data_keys.items()],
            "name_key": wrap(kek, self._name_key, "name-key"),
            "signing_keys": [
                {"id": i, "wrapped": wrap(kek, k.private_bytes_raw(), f"signing-key:{i}")}
                for i, k in self._signing.items()
            ],
        }
        self._save_doc(self.folder, self._disk, doc)
        self._doc, self._kek = doc, kek

    def _rewrap_visit_keys(self) -> int:
        """Rewrap every visit key with the current data key (each file replaced atomically)."""
        n = 0
        for path in sorted(self._visit_key_files()):
            doc = json.loads(self._disk.read(path))
            scope = doc["scope"]
            if doc.get("data_key") == self.data_key_id:
                continue
            key = self._unwrap_visit(scope, doc)
            new = {"scope": scope, "data_key": self.data_key_id, "wrapped": self._wrap_visit(scope, key)}
            self._disk.write(path, json.dumps(new).encode())
            n += 1
        return n

    # ------------------------------------------------------------------ recovery
    def export_recovery(self, path: Path, recovery_passphrase: str) -> None:
        """Seal the data, name and signing keys under a recovery passphrase, for IT to keep offline."""
        if len(recovery_passphrase or "") < _MIN_PASSPHRASE:
            raise StorageError(f"A recovery passphrase needs at least {_MIN_PASSPHRASE} characters.")
        salt = os.urandom(16)
        key = derive_key(recovery_passphrase, salt)
        bundle = {
            "data_keys": {i: _b64(k) for i, k in self._data_keys.items()},
            "name_key": _b64(self._name_key),
            "signing_keys": {i: _b64(k.private_bytes_raw()) for i, k in self._signing.items()},
        }
        doc = {
            "format": FORMAT,
            "kind": "scribe-key-recovery",
            "install_id": self.install_id,
            "created": utcnow().isoformat(),
            "salt": _b64(salt),
            "scrypt": dict(SCRYPT),
            "sealed": wrap(key, json.dumps(bundle).encode(), f"recovery:{self.install_id}"),
        }
        try:
            self._disk.write(Path(path), (json.dumps(doc, indent=1) + "\n").encode())
        except OSError as exc:
            raise storage_error(exc, "writing the recovery file", Path(path)) from exc

    @classmethod
    def recover(
        cls,
        folder: Path,
        recovery_file: Path,
        recovery_passphrase: str,
        *,
        protection: str = "auto",
        passphrase: PassphrasePrompt | None = None,
    ) -> KeyStore:
        """Restore the keys from a recovery file under a new KEK (keyring or passphrase on this computer)."""
        disk = Disk()
        try:
            doc = json.loads(disk.read(Path(recovery_file)))
            assert doc.get("kind") == "scribe-key-recovery"
            key = derive_key(recovery_passphrase, _unb64(doc["salt"]), doc.get("scrypt"))
            bundle = json.loads(unwrap(key, doc["sealed"], f"recovery:{doc['install_id']}"))
        except (OSError, ValueError, KeyError, AssertionError) as exc:
            raise StorageError(
                f"{recovery_file} is not a readable Scribe recovery file ({type(exc).__name__})."
            ) from None
        except InvalidTag:
            raise KeysLocked("The recovery passphrase is wrong.") from None
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        (folder / "visits").mkdir(exist_ok=True, mode=0o700)
        install_id = doc["install_id"]
        with cls._guard(folder):
            kek, meta = cls._new_kek(install_id, protection, passphrase)
            new = {
                "format": FORMAT,
                "install_id": install_id,
                "created": doc.get("created", ""),
                "recovered": utcnow().isoformat(),
                "kek": meta,
                "data_keys": [
                    {"id": i, "wrapped": wrap(kek, _unb64(k), f"data-key:{i}")} for i, k in bundle["data_keys"].items()
                ],
                "name_key": wrap(kek, _unb64(bundle["name_key"]), "name-key"),
                "signing_keys": [
                    {"id": i, "wrapped": wrap(kek, _unb64(k), f"signing-key:{i}")}
                    for i, k in bundle["signing_keys"].items()
                ],
            }
            cls._save_doc(folder, disk, new)
        return cls(folder, new, kek, disk)

    def forget_keyring_entry(self) -> None:
        """Tests and decommissioning: remove this install's KEK from the OS keyring."""
        _keyring_delete(self._doc["kek"].get("entry") or self.install_id)


def keys_folder(data_path: Path) -> Path:
    """Where an installation's keys live: beside its visits, in ``keys/``."""
    return Path(data_path) / "keys"


def canonical_bytes(obj: Any) -> bytes:
    """The one serialisation that is signed: compact, key-sorted, ASCII JSON."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")
