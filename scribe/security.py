"""Who is acting, with which keys: the security context the CLI and the desktop app share.

One :class:`SecurityContext` per process answers three questions the same way everywhere:

* who the acting user is and what their roles allow (:mod:`scribe.access`), with every refusal
  written to the installation's security journal;
* the installation's keys (:class:`~scribe.storage.keys.KeyStore`), unlocked once from the OS
  keyring or a passphrase, which seal visits at rest and sign approvals and audit checkpoints;
* the visit store, opened encrypted with those keys.

The front ends only supply the prompts: a terminal asks for a passphrase or a local sign-in with
``getpass``; the app shows dialogs.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .access import AccessDenied, Action, LocalAccounts, User, accounts_path, current_user, env_sign_in, require
from .settings import Settings
from .storage.errors import StorageError
from .storage.keys import KeysLocked, KeyStore, PassphrasePrompt, keys_folder

log = logging.getLogger(__name__)


def terminal_passphrase(kind: str) -> str | None:
    """Ask on the terminal (twice when choosing a new one); None when there is no terminal."""
    if not sys.stdin.isatty():
        return None
    import getpass

    if kind == "create":
        first = getpass.getpass("Choose a passphrase for Scribe's data (at least 10 characters): ")
        if getpass.getpass("Type it again: ") != first:
            raise KeysLocked("The two passphrases differ; nothing was set up.")
        return first
    return getpass.getpass("Passphrase for Scribe's data: " if kind == "unlock" else "Recovery passphrase: ")


class SecurityContext:
    def __init__(
        self,
        settings: Settings,
        *,
        passphrase: PassphrasePrompt | None = terminal_passphrase,
        local_sign_in: Callable[[], tuple[str, str] | None] | None = env_sign_in,
        user: User | None = None,
        keys: KeyStore | None = None,
    ):
        self.settings = settings
        self._passphrase = passphrase
        self._local_sign_in = local_sign_in
        self._user = user
        self._keys = keys

    # ------------------------------------------------------------------ keys
    @property
    def data_path(self) -> Path:
        return self.settings.data_path

    @property
    def keys(self) -> KeyStore:
        """The installation's keys, unlocked (created the first time)."""
        if self._keys is None:
            self._keys = KeyStore.open(
                keys_folder(self.data_path), protection=self.settings.data_key_protection, passphrase=self._passphrase
            )
        return self._keys

    @property
    def keys_unlocked(self) -> bool:
        return self._keys is not None

    def store(self):
        """The visit store, sealed with the installation's keys."""
        from .storage import VisitStore

        return VisitStore(self.data_path / "visits", keys=self.keys)

    def journal(self):
        """The security journal, its checkpoint signed whenever the keys open without asking anyone."""
        from .storage.journal import SecurityJournal

        if self._keys is None:
            try:  # the keyring or SCRIBE_DATA_PASSPHRASE: no prompt for a journal entry
                self._keys = KeyStore.open(
                    keys_folder(self.data_path), protection=self.settings.data_key_protection, create=False
                )
            except StorageError:
                pass
        return SecurityJournal(self.data_path, self._keys)

    # ------------------------------------------------------------------ the user
    @property
    def user(self) -> User:
        if self._user is None:
            accounts = None
            if self._needs_local_accounts():
                accounts = LocalAccounts(accounts_path(self.data_path), self.keys)
            self._user = current_user(self.settings, local_sign_in=self._local_sign_in, accounts=accounts)
            try:
                self.journal().record("signed_in", self._user.actor, how=self._user.how)
            except Exception:  # noqa: BLE001 - a full disk must not lock the user out; logged
                log.warning("could not record the sign-in in the security journal", exc_info=True)
        return self._user

    def _needs_local_accounts(self) -> bool:
        from .access import os_login

        login = os_login()
        entry = (self.settings.users or {}).get(login) if login else None
        return login is None or bool(isinstance(entry, dict) and entry.get("local_accounts"))

    def require(self, action: Action, what: str = "") -> User:
        """The acting user, if their role allows ``action``; else AccessDenied, written to the journal."""
        user = self.user
        require(user, action, on_refusal=self._refused, what=what)
        return user

    def _refused(self, user: User, action: Action, what: str) -> None:
        self.journal().record("refused", user.actor, denied=action.value, roles=sorted(r.value for r in user.roles))
        log.info("refused %s for %s", action.value, user.actor)

    def record(self, action: str, /, **details: Any) -> None:
        """Write an event (ids only) to the security journal, attributed to the acting user."""
        self.journal().record(action, self.user.actor, **details)


def check_audits(store: Any, journal: Any) -> tuple[list[tuple[str, Any]], Any]:
    """Every visit's audit report and the journal's: ``([(visit id, report)], journal report)``.

    What ``scribe audit verify`` prints and what the desktop app checks when it starts.
    """
    reports = [(rec.encounter_id, store.open(rec.encounter_id).audit_report()) for rec in store.list()]
    return reports, journal.report()


def for_args(args: Any) -> SecurityContext:
    """The security context of one command-line run (kept on the parsed arguments)."""
    sec = getattr(args, "_security", None)
    if sec is None:
        from .settings import load_settings

        sec = args._security = SecurityContext(load_settings())
    return sec


def require_for(args: Any, action: str, what: str = "") -> User:
    """The acting user of a command if their role allows ``action``; else a one-line refusal (journaled)."""
    return for_args(args).require(Action(action), what)


__all__ = ["AccessDenied", "Action", "KeysLocked", "SecurityContext", "for_args", "require_for", "terminal_passphrase"]
