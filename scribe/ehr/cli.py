"""``scribe ehr …``: EHR export commands for staff scripts and IT.

    scribe ehr test-connection              what the server supports; whether Scribe can sign in
    scribe ehr keygen [--alg ES384|RS384]   new site key into the OS keyring (or --import FILE); prints the JWKS
    scribe ehr jwks [--out FILE]            the public JWKS to register with the EHR
    scribe ehr set-token                    static bearer token (test servers), read from stdin
    scribe ehr login                        SMART App Launch sign-in in the browser
    scribe ehr send VISIT [--version N]     queue an approved note and send it
    scribe ehr send-today                   queue and send all of today's approved notes; prints a summary
    scribe ehr queue [--retry ID|--cancel ID]   the outbox
    scribe ehr drain [--wait S]             send what is due (e.g. from a scheduled task)
    scribe ehr retract VISIT [--version N]  mark a sent note entered-in-error

Exit status: 0 done; 2 an error (one line ``scribe: error: …``); 3 queued but not sent yet (the
EHR could not be reached; it is retried by the next ``drain`` or by the desktop app).
"""

from __future__ import annotations

import getpass
import json
import sys
import time
from pathlib import Path

from ..errors import ScribeError


def _actor(args, action: str = "queue") -> str:
    """Who does this (the signed-in account, allowed by its role); ``--as`` may only name that account."""
    from ..access import check_identity
    from ..security import require_for

    user = require_for(args, action)
    check_identity(user, getattr(args, "actor", None))
    return user.actor


def _ctx(args):
    from ..security import for_args
    from .outbox import Outbox
    from .service import EhrService

    sec = for_args(args)
    store = sec.store()
    return sec.settings, store, Outbox(store), EhrService(sec.settings)


def _status_line(item) -> str:
    where = f" -> {item.server_reference} (version {item.server_version})" if item.server_id else ""
    extra = ""
    if item.state.value == "queued" and item.attempts:
        extra = f"; next try {item.next_attempt_at.astimezone():%H:%M:%S}"
    err = f"\n      {item.last_error}" if item.last_error else ""
    kind = "" if item.kind.value == "create" else " [retraction]"
    return (
        f"{item.item_id:<40} {item.label:<17} {item.patient_name[:24]:<24} attempts {item.attempts}"
        f"{kind}{where}{extra}{err}"
    )


def cmd_test_connection(args) -> int:
    from .secrets import keyring_status

    settings, _store, _ob, service = _ctx(args)
    rep = service.test_connection()
    print(rep.text())
    print(keyring_status().message)
    return 0 if rep.ok else 2


def cmd_keygen(args) -> int:
    _actor(args, "settings")
    from ..settings import load_settings
    from . import secrets
    from .smart import generate_private_key, key_algorithm, public_jwks

    settings = load_settings()
    if secrets.get_secret(secrets.PRIVATE_KEY) and not args.force:
        raise ScribeError(
            "A signing key already exists; replacing it breaks the EHR registration until IT registers "
            "the new public key. Add --force to replace it."
        )
    if args.import_file:
        try:
            pem = Path(args.import_file).read_text(encoding="ascii")
        except (OSError, UnicodeError) as exc:
            raise ScribeError(f"Cannot read the key file {args.import_file}: {exc}.") from None
        alg = key_algorithm(pem)
    else:
        alg = (args.alg or settings.ehr_key_alg or "ES384").upper()
        pem = generate_private_key(alg)
    status = secrets.set_secret(secrets.PRIVATE_KEY, pem)
    print(f"New {alg} signing key stored. {status.message}")
    if args.import_file:
        print("You can now delete the key file you imported; Scribe keeps its own copy.")
    jwks = json.dumps(public_jwks(pem), indent=2)
    if args.jwks_out:
        Path(args.jwks_out).write_text(jwks + "\n", encoding="utf-8")
        print(f"Public JWKS (register it with the EHR) -> {args.jwks_out}")
    else:
        print("Public JWKS to register with the EHR:")
        print(jwks)
    return 0


def cmd_jwks(args) -> int:
    from . import secrets
    from .smart import public_jwks

    pem = secrets.get_secret(secrets.PRIVATE_KEY)
    if not pem:
        raise ScribeError("Scribe has no EHR signing key yet; create one with 'scribe ehr keygen'.")
    jwks = json.dumps(public_jwks(pem), indent=2)
    if args.out:
        Path(args.out).write_text(jwks + "\n", encoding="utf-8")
        print(f"Public JWKS -> {args.out}")
    else:
        print(jwks)
    return 0


def cmd_set_token(args) -> int:
    _actor(args, "settings")
    from . import secrets

    token = sys.stdin.readline().strip() if not sys.stdin.isatty() else getpass.getpass("EHR access token: ").strip()
    if not token:
        raise ScribeError("No token given; nothing was changed.")
    status = secrets.set_secret(secrets.STATIC_TOKEN, token)
    print(f"Token stored. {status.message}")
    return 0


def cmd_login(args) -> int:
    _actor(args, "settings")
    from .smart import AppLaunchAuth

    settings, _s, _o, service = _ctx(args)
    auth = service.client.auth
    if not isinstance(auth, AppLaunchAuth):
        raise ScribeError("'scribe ehr login' is for the app-launch sign-in method; set ehr_auth = \"app-launch\".")
    print("Opening the EHR sign-in page in your browser…")
    auth.login(service.client)
    print("Signed in to the EHR.")
    return 0


def _drain(outbox, service, only=None, wait: float = 0.0):
    deadline = time.monotonic() + wait if wait > 0 else None
    report = outbox.drain(service, only=only, wait=wait > 0, deadline=deadline)
    if report.busy:
        print("Another Scribe (the desktop app or a script) is sending right now; it will send these too.")
    return report


def cmd_send(args) -> int:
    actor = _actor(args)
    settings, store, outbox, service = _ctx(args)
    visit = store.open(args.visit)
    if args.version:
        notes = [n for n in visit.note_versions() if n.version == args.version]
        if not notes:
            raise ScribeError(f"Visit {args.visit} has no note version {args.version}.")
        note = notes[0]
    else:
        note = visit.load_note()
        if note is None:
            raise ScribeError(f"Visit {args.visit} has no note yet.")
    item, new = outbox.enqueue_note(note, actor, **service.outbox_kw())
    if not new and item.state.value == "sent":
        print(f"Already in the EHR: {item.server_reference} (version {item.server_version}).")
        return 0
    print(f"Queued {item.item_id}.")
    _drain(outbox, service, {item.item_id}, args.wait)
    return _report_one(outbox.get(item.item_id))


def _report_one(item) -> int:
    if item.state.value == "sent":
        what = {
            "existed": "was already in the EHR",
            "retracted": "marked entered-in-error",
            "already retracted": "was already marked entered-in-error",
            "not on server": "was never in the EHR; nothing to retract",
        }.get(item.result, "filed in the EHR")
        print(
            f"{item.patient_name or item.encounter_id} v{item.note_version}: {what}"
            + (f" as {item.server_reference} (version {item.server_version})." if item.server_id else ".")
        )
        return 0
    if item.state.value == "failed_permanent":
        raise ScribeError(item.last_error)
    print(
        f"Not sent yet: {item.last_error or 'waiting'} It stays in the outbox and is retried automatically "
        "(desktop app, or 'scribe ehr drain')."
    )
    return 3


def cmd_send_today(args) -> int:
    from .outbox import ItemState, summary_text

    actor = _actor(args)
    settings, store, outbox, service = _ctx(args)
    queued = outbox.enqueue_today(actor, **service.outbox_kw())
    ids = set(queued["queued"] + queued["already"])
    if ids:
        _drain(outbox, service, ids, args.wait)
    print(summary_text(queued, _empty_report(), outbox))
    items = [i for i in outbox.items() if i.item_id in ids]
    if any(i.state == ItemState.failed_permanent for i in items) or any(
        "cancelled in the outbox" not in why for _eid, why in queued["skipped"]
    ):
        return 2
    return 3 if any(i.state != ItemState.sent for i in items) else 0


def _empty_report():
    from .outbox import DrainReport

    return DrainReport()


def cmd_queue(args) -> int:
    actor = _actor(args)  # the queue shows patients' names: staff only
    settings, store, outbox, service = _ctx(args)
    if args.retry:
        item = outbox.retry(args.retry, actor)
        print(f"{item.item_id} queued again.")
        _drain(outbox, service, {item.item_id})
        return _report_one(outbox.get(item.item_id))
    if args.cancel:
        item = outbox.cancel(args.cancel, actor)
        print(f"{item.item_id} cancelled; it will not be sent (use --retry to send it after all).")
        return 0
    items = outbox.items()
    if not args.all:
        items = [
            i for i in items if i.state.value != "sent" or (i.sent_at and (time.time() - i.sent_at.timestamp()) < 86400)
        ]
    if not items:
        print("The EHR outbox is empty.")
        return 0
    for item in items:
        print(_status_line(item))
    return 0


def cmd_drain(args) -> int:
    _actor(args)
    settings, store, outbox, service = _ctx(args)
    report = _drain(outbox, service, None, args.wait)
    left = outbox.pending()
    print(
        f"Sent {len(report.sent)}, failed {len(report.failed)}, waiting to retry {len(left)}"
        + (f" (retries by cause: {', '.join(f'{k} {v}' for k, v in report.causes.items())})" if report.causes else "")
        + "."
    )
    for iid in report.failed:
        print(f"  {iid}: {outbox.get(iid).last_error}")
    return 2 if report.failed else (3 if left else 0)


def cmd_retract(args) -> int:
    actor = _actor(args)
    settings, store, outbox, service = _ctx(args)
    version = args.version
    if not version:
        sent = [i for i in outbox.for_visit(args.visit) if i.kind.value == "create" and i.state.value == "sent"]
        if not sent:
            raise ScribeError(
                f"No note of visit {args.visit} was sent to the EHR; nothing to retract "
                "(use 'scribe ehr queue --cancel ID' for one still waiting)."
            )
        version = max(i.note_version for i in sent)
    item = outbox.enqueue_retract(args.visit, version, actor, reason=args.reason or "")
    _drain(outbox, service, {item.item_id}, args.wait)
    return _report_one(outbox.get(item.item_id))


def add_ehr_commands(sub, common) -> None:
    p = sub.add_parser("ehr", help="send approved notes to the EHR (FHIR, SMART); see docs/ehr.md")
    ehr = p.add_subparsers(dest="ehr_command", required=True, metavar="ACTION")

    def sp(name, func, helptext):
        s = ehr.add_parser(name, help=helptext)
        s.add_argument(
            "--as",
            dest="actor",
            metavar="NAME",
            help="your name or login (optional: actions are always recorded as yours)",
        )
        common(s)
        s.set_defaults(func=func)
        return s

    sp("test-connection", cmd_test_connection, "check the FHIR server, SMART configuration and sign-in")
    s = sp("keygen", cmd_keygen, "create (or --import) the site's signing key; prints the public JWKS")
    s.add_argument("--alg", choices=["ES384", "RS384"], help="default: the ehr_key_alg setting (ES384)")
    s.add_argument("--import", dest="import_file", metavar="PEM", help="use the key IT provided (unencrypted PEM)")
    s.add_argument("--jwks-out", metavar="FILE", help="write the public JWKS here")
    s.add_argument("--force", action="store_true", help="replace an existing key")
    s = sp("jwks", cmd_jwks, "print the public JWKS to register with the EHR")
    s.add_argument("--out", metavar="FILE")
    sp("set-token", cmd_set_token, "store a static bearer token (test servers), read from stdin")
    sp("login", cmd_login, "sign in through the browser (SMART App Launch)")
    for name, func, helptext in (
        ("send", cmd_send, "queue a visit's approved note and send it"),
        ("retract", cmd_retract, "mark a sent note entered-in-error"),
    ):
        s = sp(name, func, helptext)
        s.add_argument("visit", metavar="VISIT", help="the visit (encounter) id")
        s.add_argument("--version", type=int, help="note version (default: the latest)")
        s.add_argument(
            "--wait",
            type=float,
            default=0.0,
            metavar="S",
            help="keep retrying for up to S seconds if the EHR cannot be reached",
        )
        if name == "retract":
            s.add_argument("--reason", help="recorded in the audit trail")
    s = sp("send-today", cmd_send_today, "queue and send all of today's approved notes")
    s.add_argument("--wait", type=float, default=0.0, metavar="S")
    s = sp("queue", cmd_queue, "show the EHR outbox; --retry or --cancel an item")
    s.add_argument("--retry", metavar="ID")
    s.add_argument("--cancel", metavar="ID")
    s.add_argument("--all", action="store_true", help="include notes sent more than a day ago")
    s = sp("drain", cmd_drain, "send everything that is due now")
    s.add_argument("--wait", type=float, default=0.0, metavar="S")
