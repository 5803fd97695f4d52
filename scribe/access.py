"""Users and roles: who is acting, and what that person may do.

The acting user is the operating-system account running Scribe: the OS authenticated it (login,
screen lock, domain policy), and Scribe reads it from the OS (``pwd`` on Linux and macOS,
``GetUserNameW`` on Windows), never from an environment variable or a text box. The organisation's
policy maps accounts to roles::

    [users.jdoe]                      # the OS login
    name = "Dr Jane Doe"              # how approvals and the FHIR author show the person
    roles = ["physician"]
    [users.frontdesk]
    roles = ["staff"]
    [users.clinic-pc]                 # a shared account: each person signs in to a local Scribe account
    local_accounts = true

Roles and what they allow (:data:`ROLE_ACTIONS`): **physician** records, edits and approves;
**staff** exports and runs the EHR queue; **admin** changes settings, runs retention and checks the
audit and the keys. A person may hold several roles. An account the policy does not list gets no
role at all; without a ``users`` table (a single-user install) the account's owner holds every role.

Where the OS gives no usable account, or the policy marks the account ``local_accounts``, a person
signs in to a **local account** (name and password, scrypt-hashed, kept in the data folder and signed
with the installation's key so a hand-edited file is refused); an admin creates them.

Every refusal is a one-line :class:`AccessDenied` and is written to the installation's security
log (:func:`record_refusal`), from the CLI and the desktop app alike.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from .errors import ScribeError

log = logging.getLogger(__name__)


class Role(str, Enum):
    physician = "physician"
    staff = "staff"
    admin = "admin"


class Action(str, Enum):
    record = "record"  # record, transcribe and draft a visit
    edit = "edit"  # edit, confirm, add, delete, amend, revise a note
    approve = "approve"  # sign a note
    export = "export"  # write a FHIR DocumentReference file
    queue = "queue"  # send to the EHR, retry, cancel, drain, retract
    settings = "settings"  # change settings beyond one's own microphone and template; manage accounts
    retention = "retention"  # run retention (delete audio, purge visits)
    audit = "audit"  # verify and read audit trails
    keys = "keys"  # rotate keys, export a recovery file


ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.physician: frozenset({Action.record, Action.edit, Action.approve}),
    Role.staff: frozenset({Action.export, Action.queue}),
    Role.admin: frozenset({Action.settings, Action.retention, Action.audit, Action.keys}),
}
# What each action is called in a refusal ("... not allowed to <what>").
ACTION_WORDS = {
    Action.record: "record or draft visits",
    Action.edit: "edit notes",
    Action.approve: "approve notes",
    Action.export: "export notes",
    Action.queue: "send notes to the EHR or manage its queue",
    Action.settings: "change Scribe's settings or accounts",
    Action.retention: "run retention (delete recordings and visits)",
    Action.audit: "check audit trails",
    Action.keys: "manage Scribe's keys",
}
# Settings everybody may change for themselves (the rest needs the admin role).
PERSONAL_SETTINGS = frozenset({"microphone", "template", "asr_live_preview_s"})


class AccessDenied(ScribeError):
    """The acting user's role does not allow this action (exit status 3 from the CLI)."""

    exit_code = 3


@dataclass(frozen=True)
class User:
    login: str  # the account: the OS login, or ``local:<name>`` for a local account
    name: str  # shown in approvals and as the FHIR author
    roles: frozenset[Role] = field(default_factory=frozenset)
    how: str = "os"  # os | local | single-user

    def can(self, action: Action) -> bool:
        return any(action in ROLE_ACTIONS[r] for r in self.roles)

    @property
    def actor(self) -> str:
        """What the audit trail and note events record: the account, never a typed name."""
        return self.login

    def describe(self) -> str:
        roles = ", ".join(sorted(r.value for r in self.roles)) or "no role"
        return f"{self.name} ({self.login}; {roles})"


# --------------------------------------------------------------------------- the OS account


def os_login() -> str | None:
    """The OS account this process runs as, as the OS knows it (not from USER/LOGNAME)."""
    if sys.platform == "win32":
        try:
            import ctypes

            size = ctypes.c_ulong(257)
            buf = ctypes.create_unicode_buffer(size.value)
            if ctypes.windll.advapi32.GetUserNameW(buf, ctypes.byref(size)):  # type: ignore[attr-defined]
                return buf.value or None
        except Exception:  # noqa: BLE001 - no usable account
            return None
        return None
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name or None
    except (KeyError, ImportError):  # a uid without a passwd entry (some containers)
        return None


def _os_full_name(login: str) -> str:
    if sys.platform == "win32":
        return ""
    try:
        import pwd

        return pwd.getpwnam(login).pw_gecos.split(",")[0].strip()
    except (KeyError, ImportError):
        return ""


# --------------------------------------------------------------------------- the policy's users table


def _entry(users: dict, login: str) -> dict | None:
    value = users.get(login)
    return value if isinstance(value, dict) else None


def _roles(entry: dict) -> frozenset[Role]:
    out = set()
    for r in entry.get("roles") or []:
        try:
            out.add(Role(str(r)))
        except ValueError:
            log.warning("the policy gives an unknown role %r; ignored", r)
    return frozenset(out)


def validate_users(value: Any) -> dict:
    """Check the policy's ``users`` table; raise ValueError with what is wrong."""
    if not isinstance(value, dict):
        raise ValueError("users must be a table of accounts")
    for login, entry in value.items():
        if not isinstance(entry, dict):
            raise ValueError(f"users.{login} must be a table (name, roles, local_accounts)")
        unknown = set(entry) - {"name", "roles", "local_accounts"}
        if unknown:
            raise ValueError(f"users.{login} has unknown keys: {', '.join(sorted(unknown))}")
        roles = entry.get("roles", [])
        if not isinstance(roles, list) or any(str(r) not in Role.__members__ for r in roles):
            raise ValueError(f"users.{login}.roles must be a list of {', '.join(Role.__members__)}")
        if "name" in entry and (not isinstance(entry["name"], str) or not entry["name"].isprintable()):
            raise ValueError(f"users.{login}.name must be one line of text")
    return value


def current_user(
    settings: Any,
    *,
    local_sign_in: Callable[[], tuple[str, str] | None] | None = None,
    accounts: LocalAccounts | None = None,
) -> User:
    """The person acting now, with their roles (see the module docstring).

    ``local_sign_in`` asks for a local account's name and password when the OS account is shared
    (policy ``local_accounts``) or there is none; ``accounts`` is where local accounts live.
    """
    users = getattr(settings, "users", {}) or {}
    login = os_login()
    entry = _entry(users, login) if login else None
    needs_local = login is None or bool(entry and entry.get("local_accounts"))
    if needs_local:
        if accounts is None or local_sign_in is None:
            raise AccessDenied(
                "This computer account is shared, so Scribe needs you to sign in to your own Scribe account "
                "(the desktop app asks; scripts set SCRIBE_USER and SCRIBE_PASSWORD)."
            )
        answer = local_sign_in()
        if not answer:
            raise AccessDenied("No one signed in to Scribe.")
        return accounts.authenticate(*answer)
    assert login is not None  # (needs_local above when the OS gives no account)
    if not users:  # a single-user install: the account's owner does everything
        return User(login, _os_full_name(login) or login, frozenset(Role), "single-user")
    if entry is None:
        return User(login, _os_full_name(login) or login, frozenset(), "os")
    return User(login, str(entry.get("name") or _os_full_name(login) or login), _roles(entry), "os")


def env_sign_in() -> tuple[str, str] | None:
    """Local sign-in for scripts: ``SCRIBE_USER`` and ``SCRIBE_PASSWORD``, or a terminal prompt."""
    name, password = os.environ.get("SCRIBE_USER"), os.environ.get("SCRIBE_PASSWORD")
    if name and password:
        return name, password
    if sys.stdin.isatty():
        import getpass

        name = name or input("Scribe user: ").strip()
        return name, getpass.getpass(f"Password for {name}: ")
    return None


# --------------------------------------------------------------------------- checks


def require(
    user: User, action: Action, *, on_refusal: Callable[[User, Action, str], None] | None = None, what: str = ""
) -> None:
    """Refuse (one line, audited through ``on_refusal``) unless ``user`` may do ``action``."""
    if user.can(action):
        return
    holders = sorted(r.value for r, acts in ROLE_ACTIONS.items() if action in acts)
    mine = ", ".join(sorted(r.value for r in user.roles)) or "no role in Scribe"
    message = (
        f"{user.name} ({user.login}, {mine}) is not allowed to {what or ACTION_WORDS[action]}: that needs the "
        f"{' or '.join(holders)} role. Ask IT if your role should change."
    )
    if on_refusal is not None:
        try:
            on_refusal(user, action, what or action.value)
        except Exception:  # noqa: BLE001 - the refusal itself must still happen
            log.exception("could not record a refusal in the security log")
    raise AccessDenied(message)


def check_identity(user: User, claimed: str | None) -> None:
    """``--as NAME`` may only name the acting user: approvals are never made in someone else's name."""
    if not claimed:
        return
    if claimed.strip() not in (user.login, user.name):
        raise AccessDenied(
            f"You are signed in as {user.name} ({user.login}); Scribe records approvals under your own account, "
            f"not as '{claimed.strip()}'. Leave out --as, or sign in as that person."
        )


# --------------------------------------------------------------------------- local accounts


class LocalAccounts:
    """Scribe accounts for computers without a personal OS account (``accounts.json`` in the data folder).

    Passwords are scrypt-hashed; the file is signed with the installation's key (``keys``), so an
    entry added or a role changed by hand is refused.
    """

    def __init__(self, path: Path, keys: Any):
        self.path = Path(path)
        self.keys = keys

    def _load(self) -> dict:
        from .storage.disk import Disk

        try:
            doc = json.loads(Disk().read(self.path))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise AccessDenied(f"Scribe's local accounts cannot be read ({exc}).") from None
        body = json.dumps(doc.get("accounts", {}), sort_keys=True).encode()
        sig = doc.get("signature") or {}
        if not self.keys.verify(body, sig.get("key_id", ""), sig.get("signature", "")):
            raise AccessDenied("Scribe's local accounts file was changed outside Scribe; ask IT to restore it.")
        return doc.get("accounts", {})

    def _save(self, accounts: dict) -> None:
        from .storage.disk import Disk

        body = json.dumps(accounts, sort_keys=True).encode()
        doc = {"accounts": accounts, "signature": self.keys.sign(body)}
        Disk().write(self.path, (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode())

    def add(self, name: str, password: str, roles: list[str], display: str = "") -> None:
        from .storage.keys import SCRYPT, derive_key

        name = name.strip()
        if not name or not name.replace("-", "").replace(".", "").replace("_", "").isalnum():
            raise ScribeError("A local account name uses letters, digits, '.', '_' or '-'.")
        if len(password) < 10:
            raise ScribeError("A password needs at least 10 characters.")
        for r in roles:
            Role(r)
        salt = os.urandom(16)
        accounts = self._load()
        accounts[name] = {
            "name": display or name,
            "roles": sorted(set(roles)),
            "salt": base64.b64encode(salt).decode(),
            "hash": base64.b64encode(derive_key(password, salt)).decode(),
            "scrypt": dict(SCRYPT),
        }
        self._save(accounts)

    def remove(self, name: str) -> bool:
        accounts = self._load()
        if accounts.pop(name, None) is None:
            return False
        self._save(accounts)
        return True

    def names(self) -> list[str]:
        return sorted(self._load())

    def authenticate(self, name: str, password: str) -> User:
        from .storage.keys import derive_key

        entry = self._load().get(name.strip())
        # the same work for an unknown name, so a wrong name and a wrong password look alike
        salt = base64.b64decode(entry["salt"]) if entry else b"\0" * 16
        digest = derive_key(password, salt, entry.get("scrypt") if entry else None)
        if entry is None or not hmac.compare_digest(digest, base64.b64decode(entry["hash"])):
            raise AccessDenied("Wrong Scribe user name or password.")
        roles = frozenset(Role(r) for r in entry.get("roles", []))
        return User(f"local:{name.strip()}", entry.get("name") or name, roles, "local")


def accounts_path(data_path: Path) -> Path:
    return Path(data_path) / "accounts.json"
