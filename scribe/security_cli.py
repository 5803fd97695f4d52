"""``scribe audit|keys|users|retention …``: the security commands for IT (all need the admin role).

scribe audit verify [VISIT …]        every visit's audit trail (or the named ones) and the security journal;
                                     reports the first broken link; exit 2 if anything is damaged or altered
scribe keys status                   where the keys live, which are current, how many visit keys
scribe keys rotate [--signing]       new key-encryption and data keys (and signing key); no file re-encrypted
scribe keys export-recovery --out F  the keys sealed under a recovery passphrase, for IT to keep offline
scribe keys recover FILE             restore the keys on this computer from a recovery file
scribe users list | add NAME --role R [--name "Dr X"] | remove NAME     local accounts
scribe retention run [--dry-run]     apply the policy's retention periods now
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from .errors import ScribeError
from .security import for_args, require_for


def _secret(env: str, prompt: str, twice: bool = False) -> str:
    value = os.environ.get(env)
    if value:
        return value
    if not sys.stdin.isatty():
        raise ScribeError(f"{prompt.rstrip(': ')} is needed: type it on a terminal or set {env}.")
    first = getpass.getpass(prompt)
    if twice and getpass.getpass("Type it again: ") != first:
        raise ScribeError("The two entries differ; nothing was changed.")
    return first


# --------------------------------------------------------------------------- audit


def cmd_audit_verify(args) -> int:
    sec = for_args(args)
    require_for(args, "audit")
    store = sec.store()
    ids = args.visits or [r.encounter_id for r in store.list()]
    broken = 0
    for vid in ids:
        report = store.open(vid).audit_report()
        broken += not report.ok
        print(f"{vid}: {report.text()}")
    for p in store.problems:
        broken += 1
        print(f"{p.folder.name}: cannot be read ({p.message})")
    journal = sec.journal().report()
    broken += not journal.ok
    print(f"security journal: {journal.text()}")
    sec.record("audit_verified", visits=len(ids), damaged=broken)
    print("All audit trails verify." if not broken else f"{broken} audit trail(s) damaged or altered: see above.")
    return 0 if not broken else 2


# --------------------------------------------------------------------------- keys


def cmd_keys(args) -> int:
    from .storage.keys import KeyStore, keys_folder

    sec = for_args(args)
    if args.action == "recover":
        require_for(args, "keys")
        if not args.file:
            raise ScribeError("Give the recovery file: scribe keys recover FILE.")
        phrase = _secret("SCRIBE_RECOVERY_PASSPHRASE", "Recovery passphrase: ")
        keys = KeyStore.recover(
            keys_folder(sec.data_path),
            Path(args.file),
            phrase,
            protection=sec.settings.data_key_protection,
            passphrase=sec._passphrase,
        )
        sec._keys = keys
        sec.record("keys_recovered", install=keys.install_id, protection=keys.protection)
        print(f"Keys of installation {keys.install_id} restored ({keys.protection}); Scribe's data is readable again.")
        return 0
    require_for(args, "keys")
    keys = sec.keys
    if args.action == "status":
        info = keys.info()
        print(f"Installation: {info.install_id}")
        print(f"Key-encryption key: {'OS keyring' if info.protection == 'keyring' else 'passphrase (scrypt)'}")
        print(
            f"Data key: {info.data_key}"
            + (f" (retired: {', '.join(info.retired_data_keys)})" if info.retired_data_keys else "")
        )
        print(
            f"Signing key (Ed25519): {info.signing_key}"
            + (f" (retired, verify only: {', '.join(info.retired_signing_keys)})" if info.retired_signing_keys else "")
        )
        print(f"Visit keys: {info.visit_keys}")
        return 0
    if args.action == "rotate":
        done = keys.rotate(kek=True, data=not args.no_data, signing=args.signing, passphrase=sec._passphrase)
        sec.record("keys_rotated", signing=bool(args.signing), data=not args.no_data)
        print("Rotated: " + "; ".join(done) + ".")
        return 0
    if args.action == "export-recovery":
        if not args.out:
            raise ScribeError("Give where to write the recovery file: --out FILE (keep it offline, e.g. in a safe).")
        phrase = _secret("SCRIBE_RECOVERY_PASSPHRASE", "Choose a recovery passphrase: ", twice=True)
        keys.export_recovery(Path(args.out), phrase)
        sec.record("recovery_exported", install=keys.install_id)
        print(
            f"Recovery file -> {args.out}. Keep it and its passphrase apart, offline; anyone with both can read Scribe's data."
        )
        return 0
    raise ScribeError(f"Unknown keys action '{args.action}'.")


# --------------------------------------------------------------------------- users


def cmd_users(args) -> int:
    from .access import LocalAccounts, accounts_path

    sec = for_args(args)
    require_for(args, "settings")
    accounts = LocalAccounts(accounts_path(sec.data_path), sec.keys)
    if args.action == "list":
        names = accounts.names()
        print("\n".join(names) if names else "No local accounts (people sign in with their own computer account).")
        return 0
    if not args.name:
        raise ScribeError(f"Give the account name: scribe users {args.action} NAME.")
    if args.action == "add":
        if not args.role:
            raise ScribeError("Give the account's role(s): --role physician|staff|admin (repeatable).")
        password = _secret("SCRIBE_NEW_PASSWORD", f"Password for {args.name}: ", twice=True)
        accounts.add(args.name, password, args.role, args.display_name or "")
        sec.record("account_added", account=f"local:{args.name}", roles=sorted(args.role))
        print(f"Local account {args.name} ({', '.join(sorted(args.role))}) added.")
        return 0
    if args.action == "remove":
        if not accounts.remove(args.name):
            raise ScribeError(f"There is no local account '{args.name}'.")
        sec.record("account_removed", account=f"local:{args.name}")
        print(f"Local account {args.name} removed.")
        return 0
    raise ScribeError(f"Unknown users action '{args.action}'.")


# --------------------------------------------------------------------------- retention


def cmd_retention(args) -> int:
    from .storage.retention import run_retention

    sec = for_args(args)
    user = require_for(args, "retention")
    s = sec.settings
    if s.retention_audio_days <= 0 and s.retention_visit_days <= 0:
        print("No retention period is set (retention_audio_days, retention_visit_days): everything is kept.")
        return 0
    report = run_retention(
        sec.store(),
        audio_days=s.retention_audio_days,
        visit_days=s.retention_visit_days,
        actor=user.actor,
        journal=None if args.dry_run else sec.journal(),
        dry_run=args.dry_run,
    )
    print(report.text())
    return 0


def add_security_commands(sub, common) -> None:
    p = sub.add_parser("audit", help="verify audit trails (admin)")
    p.add_argument("action", choices=["verify"])
    p.add_argument("visits", nargs="*", metavar="VISIT", help="visit ids (default: every visit)")
    common(p)
    p.set_defaults(func=cmd_audit_verify)

    p = sub.add_parser("keys", help="the keys that seal Scribe's data and sign approvals (admin)")
    p.add_argument("action", choices=["status", "rotate", "export-recovery", "recover"])
    p.add_argument("file", nargs="?", help="recover: the recovery file")
    p.add_argument("--out", help="export-recovery: where to write the recovery file")
    p.add_argument("--signing", action="store_true", help="rotate: a new signing key too (the old one still verifies)")
    p.add_argument("--no-data", action="store_true", help="rotate: keep the data key (only a new key-encryption key)")
    common(p)
    p.set_defaults(func=cmd_keys)

    p = sub.add_parser("users", help="local Scribe accounts for shared computers (admin)")
    p.add_argument("action", choices=["list", "add", "remove"])
    p.add_argument("name", nargs="?")
    p.add_argument("--role", action="append", choices=["physician", "staff", "admin"])
    p.add_argument("--name", dest="display_name", help='how the person is shown, e.g. "Dr Jane Doe"')
    common(p)
    p.set_defaults(func=cmd_users)

    p = sub.add_parser("retention", help="apply the policy's retention periods now (admin)")
    p.add_argument("action", choices=["run"])
    p.add_argument("--dry-run", action="store_true", help="say what would be deleted, delete nothing")
    common(p)
    p.set_defaults(func=cmd_retention)
