"""EHR secrets (the site's private key, a static token, refresh tokens) in the OS keyring.

Secrets never go into ``settings.toml`` or the policy file. They live in the operating system's
credential store through the ``keyring`` package (Windows Credential Manager, macOS Keychain,
Secret Service / KWallet on Linux), under the service name ``scribe-ehr``.

If this computer has no usable keyring (a server without a desktop session, a container), Scribe
does **not** fall back to a file: secrets are then kept in this process's memory only and
:func:`keyring_status` says so in plain words, so the app and ``scribe ehr`` can tell the user.
For unattended scripts on such machines a static token can be given in the environment variable
``SCRIBE_EHR_TOKEN`` and a private key (PEM text) in ``SCRIBE_EHR_PRIVATE_KEY``.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

log = logging.getLogger(__name__)

SERVICE = "scribe-ehr"
PRIVATE_KEY = "private-key"  # PEM (PKCS#8) of the Backend Services signing key
STATIC_TOKEN = "static-token"  # bearer token for test servers
REFRESH_TOKEN = "refresh-token"  # SMART App Launch refresh token

_ENV = {STATIC_TOKEN: "SCRIBE_EHR_TOKEN", PRIVATE_KEY: "SCRIBE_EHR_PRIVATE_KEY"}
_memory: dict[tuple[str, str], str] = {}
_memory_lock = threading.Lock()


@dataclass
class KeyringStatus:
    available: bool
    backend: str
    message: str


def _backend():
    from ..storage.keys import os_keyring

    return os_keyring()


def keyring_status() -> KeyringStatus:
    """Is there an OS keyring? The message is fit to show to staff or IT as it is."""
    kr = _backend()
    if kr is None:
        return KeyringStatus(
            False,
            "memory",
            "No OS keyring is available on this computer, so EHR secrets are kept in memory for this "
            "session only and must be entered again after a restart (ask IT to enable the system's "
            "credential store, or set SCRIBE_EHR_TOKEN / SCRIBE_EHR_PRIVATE_KEY for scripts).",
        )
    name = f"{type(kr).__module__}.{type(kr).__name__}"
    return KeyringStatus(True, name, f"EHR secrets are stored in the OS keyring ({name}).")


def get_secret(name: str, account: str = "default") -> str | None:
    """The secret, or None. The environment variable (if any) wins over the keyring."""
    env = _ENV.get(name)
    if env and os.environ.get(env):
        return os.environ[env]
    kr = _backend()
    if kr is not None:
        try:
            value = kr.get_password(SERVICE, f"{account}:{name}")
        except Exception as exc:  # noqa: BLE001 - locked keyring, D-Bus error...
            from ..errors import EhrAuthError

            raise EhrAuthError(
                f"Scribe could not read its EHR credentials from the OS keyring ({exc}); "
                "unlock the keyring and try again."
            ) from None
        if value is not None:
            return value
    with _memory_lock:
        return _memory.get((account, name))


def set_secret(name: str, value: str, account: str = "default") -> KeyringStatus:
    """Store a secret (keyring, else this process's memory); returns where it went."""
    status = keyring_status()
    kr = _backend()
    if kr is not None:
        try:
            kr.set_password(SERVICE, f"{account}:{name}", value)
            return status
        except Exception as exc:  # noqa: BLE001
            from ..errors import EhrAuthError

            raise EhrAuthError(
                f"Scribe could not save the EHR credential in the OS keyring ({exc}); unlock the keyring and try again."
            ) from None
    with _memory_lock:
        _memory[(account, name)] = value
    return status


def delete_secret(name: str, account: str = "default") -> None:
    kr = _backend()
    if kr is not None:
        try:
            kr.delete_password(SERVICE, f"{account}:{name}")
        except Exception:  # noqa: BLE001 - not there is fine
            pass
    with _memory_lock:
        _memory.pop((account, name), None)


def clear_memory() -> None:
    """Forget secrets held in memory (tests; the keyring is not touched)."""
    with _memory_lock:
        _memory.clear()
