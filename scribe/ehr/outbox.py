"""The EHR outbox: exports are queued on disk before any network call and sent exactly once.

State machine of one item (a note version to file, or a retraction)::

    queued ──drain──▶ sending ──▶ sent
      ▲  ▲               │  └────▶ failed_permanent ──retry──▶ queued
      │  └── transient ──┘                   │
      │      (backoff + jitter)              └──cancel──▶ cancelled ──retry──▶ queued
      └────────────────────────── retry (staff) ◀────────────────┘

* Every transition is written to disk (atomic rename, through :class:`scribe.storage.OutboxStore`)
  and to the visit's hash-chained audit trail before the next step, so a crash or a restart loses
  nothing. An item found in ``sending`` after a crash is simply sent again: the create uses
  conditional create on the note's stable identifier, so the resend cannot duplicate the note.
* Transient errors (network, timeouts, 429, 5xx) wait ``base * 2**(attempt-1)`` seconds, capped,
  with jitter (50-100 %), or what the server's ``Retry-After`` asked; they are retried until sent or
  cancelled by staff. Permanent errors stop with the server's words and what to do.
* Item ids are deterministic (``<encounter>.v<version>.create``), so queueing the same note twice
  is one item; only one process drains at a time (an OS file lock).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..domain import NoteDraft, utcnow
from ..errors import ApprovalError, EhrError, ScribeError
from ..storage import OutboxStore, StorageError, VisitNotFound, VisitState, VisitStore

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "scribe-outbox"


class ItemState(str, Enum):
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed_permanent = "failed_permanent"
    cancelled = "cancelled"


class ItemKind(str, Enum):
    create = "create"
    retract = "retract"


TERMINAL = {ItemState.sent, ItemState.failed_permanent, ItemState.cancelled}

STATE_LABEL = {
    ItemState.queued: "Waiting to send",
    ItemState.sending: "Sending…",
    ItemState.sent: "In the EHR",
    ItemState.failed_permanent: "Needs attention",
    ItemState.cancelled: "Cancelled",
}


class OutboxItem(BaseModel):
    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    item_id: str
    kind: ItemKind = ItemKind.create
    state: ItemState = ItemState.queued
    encounter_id: str
    note_id: str
    note_version: int
    identifier: str  # the note version's stable urn:uuid (conditional create key)
    patient_id: str = ""  # MRN
    patient_name: str = ""
    amends_version: int | None = None
    resource: dict = Field(default_factory=dict)  # the validated DocumentReference, frozen at queue time
    # the note's signed approval, checked again before every send: {"payload", "key_id", "signature"}
    approval: dict = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    queued_by: str = SYSTEM_ACTOR
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str = ""
    last_error_cause: str = ""
    patient_reference: str = ""  # Patient/<id> once matched
    encounter_reference: str = ""
    server_id: str = ""
    server_version: str = ""
    server_location: str = ""
    sent_at: datetime | None = None
    result: str = ""  # created | existed | retracted | already retracted | not on server
    history: list[dict] = Field(default_factory=list)

    @property
    def label(self) -> str:
        return STATE_LABEL[self.state]

    @property
    def server_reference(self) -> str:
        return f"DocumentReference/{self.server_id}" if self.server_id else ""


def item_id_for(encounter_id: str, version: int, kind: ItemKind | str = ItemKind.create) -> str:
    return f"{encounter_id}.v{int(version)}.{ItemKind(kind).value}"


@dataclass
class SendResult:
    server_id: str = ""
    server_version: str = ""
    location: str = ""
    result: str = "created"
    patient_reference: str = ""
    encounter_reference: str = ""


@dataclass
class DrainReport:
    """What a drain did (figures for the UI summary, the CLI and the fault-injection test)."""

    attempts: int = 0
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    retry_later: list[str] = field(default_factory=list)
    causes: Counter = field(default_factory=Counter)  # transient failures by cause
    busy: bool = False  # another process was draining
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def retries(self) -> int:
        return sum(self.causes.values())


class Outbox:
    """The queue over :class:`OutboxStore`; ``sender`` objects do the network part (see scribe.ehr.service)."""

    def __init__(
        self,
        store: VisitStore,
        *,
        backoff_base: float = 5.0,
        backoff_cap: float = 900.0,
        clock: Callable[[], datetime] = utcnow,
        rng: Callable[[], float] = random.random,
    ):
        self.visits = store
        self.disk: OutboxStore = store.outbox()
        self.backoff_base = float(backoff_base)
        self.backoff_cap = float(backoff_cap)
        self._clock = clock
        self._rng = rng
        self._wake = threading.Event()

    # ------------------------------------------------------------------ reading
    def _load(self, item_id: str) -> OutboxItem | None:
        data = self.disk.load(item_id)
        if data is None:
            return None
        try:
            return OutboxItem.model_validate(data)
        except ValidationError as exc:
            raise StorageError(f"The outbox entry {item_id} is damaged ({exc.errors()[0]['msg']}).") from None

    def get(self, item_id: str) -> OutboxItem:
        item = self._load(item_id)
        if item is None:
            raise ScribeError(f"There is no export '{item_id}' in the outbox.")
        return item

    def find(self, item_id: str) -> OutboxItem | None:
        return self._load(item_id)

    def items(self) -> list[OutboxItem]:
        out = []
        for data in self.disk.list():
            try:
                out.append(OutboxItem.model_validate(data))
            except ValidationError as exc:
                log.warning("skipping damaged outbox entry %s: %s", data.get("item_id"), exc)
        out.sort(key=lambda i: (i.created_at, i.item_id))
        return out

    def for_visit(self, encounter_id: str) -> list[OutboxItem]:
        return [i for i in self.items() if i.encounter_id == encounter_id]

    # ------------------------------------------------------------------ writing
    def _save(self, item: OutboxItem, event: str, actor: str, **details: Any) -> OutboxItem:
        now = self._clock()
        item.updated_at = now
        entry = {"ts": now.isoformat(), "event": event, "actor": actor, "state": item.state.value}
        entry.update({k: v for k, v in details.items() if v not in (None, "")})
        item.history = (item.history + [entry])[-50:]
        self.disk.save(item.item_id, item.model_dump(mode="json"))
        self._audit(
            item,
            f"ehr_{event}",
            actor,
            state=item.state.value,
            outbox_item=item.item_id,
            version=item.note_version,
            **details,
        )
        return item

    def _audit(self, item: OutboxItem, action: str, actor: str, **details: Any) -> None:
        try:
            self.visits.open(item.encounter_id).audit(
                action, actor, **{k: v for k, v in details.items() if v not in (None, "")}
            )
        except VisitNotFound:
            log.warning("outbox item %s: visit %s is gone; audit entry skipped", item.item_id, item.encounter_id)

    def enqueue_note(
        self,
        note: NoteDraft,
        actor: str,
        *,
        organization: str | None = None,
        mrn_system: str | None = None,
        encounter_system: str | None = None,
        now: datetime | None = None,
        template_folders: list[Path] | None = None,
    ) -> tuple[OutboxItem, bool]:
        """Queue one approved note version. Returns (item, newly queued?).

        Builds and validates the DocumentReference now (an unapproved or changed note is refused
        here, before anything is queued). Queueing a version that is already queued or sent returns
        the existing item; a failed or cancelled one is queued again.
        """
        from ..fhir.documentreference import (
            DEFAULT_ENCOUNTER_SYSTEM,
            DEFAULT_MRN_SYSTEM,
            build_document_reference,
            document_identifier,
        )
        from ..fhir.validate import validate_document_reference

        signed = self._verify_note(note)
        resource = build_document_reference(
            note,
            organization=organization,
            template_folders=template_folders or (),
            now=now,
            mrn_system=mrn_system or DEFAULT_MRN_SYSTEM,
            encounter_system=encounter_system or DEFAULT_ENCOUNTER_SYSTEM,
        )
        validate_document_reference(resource)
        enc = note.encounter
        item_id = item_id_for(enc.encounter_id, note.version)
        with self.disk.lock:
            existing = self._load(item_id)
            if existing is not None:
                if existing.state in (ItemState.queued, ItemState.sending, ItemState.sent):
                    return existing, False
                if existing.identifier != document_identifier(note.note_id, note.version):
                    raise ScribeError(
                        f"The outbox already holds a different note as {item_id}; ask IT to check the outbox."
                    )
                existing.resource = resource
                existing.approval = signed
                return self._requeue(existing, actor, "requeued"), True
            item = OutboxItem(
                item_id=item_id,
                encounter_id=enc.encounter_id,
                note_id=note.note_id,
                note_version=note.version,
                identifier=document_identifier(note.note_id, note.version),
                patient_id=enc.patient_id,
                patient_name=enc.patient_name,
                amends_version=note.amends_version,
                resource=resource,
                approval=signed,
                queued_by=actor,
                created_at=self._clock(),
                next_attempt_at=self._clock(),
            )
            self._save(item, "queued", actor, identifier=item.identifier)
            self._wake.set()
            return item, True

    def _verify_note(self, note: NoteDraft) -> dict:
        """Refuse a note whose approval does not verify (signature and the visit's audit); returns what to
        keep on the item so the send can check it again. A store without keys (tests) checks the hash only
        (in the DocumentReference builder)."""
        from ..approval import approval_payload, verify_for_export

        keys = getattr(self.visits, "keys", None)
        if keys is None:
            return {}  # the DocumentReference builder still refuses an unapproved or changed note
        try:
            visit = self.visits.open(note.encounter.encounter_id)
        except VisitNotFound:
            raise ApprovalError("Only notes of visits saved in Scribe can be sent to the EHR.") from None
        verify_for_export(note, keys, visit)
        assert note.approval is not None  # verified above
        return {
            "payload": approval_payload(note).decode("ascii"),
            "key_id": note.approval.key_id,
            "signature": note.approval.signature,
        }

    def _check_before_send(self, item: OutboxItem) -> None:
        """The outbox file is data at rest too: the resource about to leave must be what was signed."""
        keys = getattr(self.visits, "keys", None)
        if keys is None or item.kind != ItemKind.create:
            return
        import base64
        import hashlib
        import json as _json

        a = item.approval or {}
        payload = str(a.get("payload", ""))
        if not payload or not keys.verify(
            payload.encode("ascii"), str(a.get("key_id", "")), str(a.get("signature", ""))
        ):
            raise ApprovalError(f"{item.item_id}: the note's approval signature does not verify; nothing was sent.")
        signed = _json.loads(payload)
        try:
            text = base64.b64decode(item.resource["content"][0]["attachment"]["data"]).decode("utf-8")
        except (KeyError, IndexError, TypeError, ValueError):
            raise ApprovalError(f"{item.item_id}: the queued document is damaged; queue the note again.") from None
        if (
            hashlib.sha256(text.encode("utf-8")).hexdigest() != signed.get("content_sha256")
            or signed.get("patient_id") != item.patient_id
            or signed.get("encounter_id") != item.encounter_id
            or signed.get("note_id") != item.note_id
            or signed.get("version") != item.note_version
        ):
            raise ApprovalError(
                f"{item.item_id}: the queued document is not the note that was approved (changed on disk); nothing was sent."
            )
        try:
            visit = self.visits.open(item.encounter_id)
        except VisitNotFound:
            raise ApprovalError(f"{item.item_id}: its visit is gone; nothing was sent.") from None
        report = visit.audit_report()
        if not report.ok:
            raise ApprovalError(f"{item.item_id}: the visit's audit trail does not verify ({report.problem}).")

    def enqueue_retract(self, encounter_id: str, version: int, actor: str, reason: str = "") -> OutboxItem:
        """Queue marking the sent DocumentReference of this note version ``entered-in-error``.

        If the version is still waiting in the outbox it is cancelled instead of being sent; the
        retraction still checks the server (an earlier attempt may have reached it).
        """
        create_id = item_id_for(encounter_id, version)
        rid = item_id_for(encounter_id, version, ItemKind.retract)
        with self.disk.lock:
            original = self._load(create_id)
            if original is None:
                raise ScribeError(
                    f"Version {version} of visit {encounter_id} was never queued for the EHR, so there "
                    "is nothing to retract."
                )
            if original.state == ItemState.sending:
                raise ScribeError("That note is being sent right now; wait a moment and retract it again.")
            if original.state in (ItemState.queued, ItemState.failed_permanent):
                original.state = ItemState.cancelled
                self._save(original, "cancelled", actor, reason="retracted before it was sent")
            existing = self._load(rid)
            if existing is not None and existing.state in (ItemState.queued, ItemState.sending, ItemState.sent):
                return existing
            if existing is not None:
                return self._requeue(existing, actor, "requeued")
            item = OutboxItem(
                item_id=rid,
                kind=ItemKind.retract,
                encounter_id=encounter_id,
                note_id=original.note_id,
                note_version=version,
                identifier=original.identifier,
                patient_id=original.patient_id,
                patient_name=original.patient_name,
                queued_by=actor,
                created_at=self._clock(),
                next_attempt_at=self._clock(),
                server_id=original.server_id,
            )
            self._save(item, "retract_queued", actor, identifier=item.identifier, reason=reason)
            self._wake.set()
            return item

    def _requeue(self, item: OutboxItem, actor: str, event: str) -> OutboxItem:
        item.state = ItemState.queued
        item.next_attempt_at = self._clock()
        item.last_error = ""
        item.last_error_cause = ""
        if item.kind == ItemKind.create:  # the EHR's records may have been fixed: match again
            item.patient_reference = item.encounter_reference = ""
        self._save(item, event, actor)
        self._wake.set()
        return item

    def retry(self, item_id: str, actor: str) -> OutboxItem:
        """Staff: send this item again now (failed, cancelled, or waiting for its next attempt)."""
        with self.disk.lock:
            item = self.get(item_id)
            if item.state == ItemState.sent:
                raise ScribeError("This note is already in the EHR; nothing to retry.")
            if item.state == ItemState.sending:
                raise ScribeError("This note is being sent right now.")
            return self._requeue(item, actor, "retry")

    def cancel(self, item_id: str, actor: str) -> OutboxItem:
        """Staff: stop trying to send this item (it stays listed as cancelled; it can be retried later)."""
        with self.disk.lock:
            item = self.get(item_id)
            if item.state == ItemState.sent:
                raise ScribeError("This note is already in the EHR and cannot be cancelled; retract it instead.")
            if item.state == ItemState.sending:
                raise ScribeError("This note is being sent right now; wait for the result, then cancel or retract it.")
            if item.state == ItemState.cancelled:
                return item
            item.state = ItemState.cancelled
            return self._save(item, "cancelled", actor)

    # ------------------------------------------------------------------ sending
    def backoff(self, attempts: int, retry_after: float | None = None) -> float:
        delay = min(self.backoff_cap, self.backoff_base * (2 ** max(0, attempts - 1)))
        delay *= 0.5 + 0.5 * self._rng()  # jitter: many clinics retrying after an outage don't stampede
        if retry_after is not None:
            delay = max(delay, min(retry_after, max(self.backoff_cap, 3600.0)))
        return delay

    def due(self, only: set[str] | None = None) -> list[OutboxItem]:
        now = self._clock()
        out = [
            i
            for i in self.items()
            if (only is None or i.item_id in only)
            and (i.state == ItemState.sending or (i.state == ItemState.queued and i.next_attempt_at <= now))
        ]
        return out

    def pending(self, only: set[str] | None = None) -> list[OutboxItem]:
        return [i for i in self.items() if (only is None or i.item_id in only) and i.state not in TERMINAL]

    def wake(self) -> None:
        self._wake.set()

    def drain(
        self,
        sender: Any,
        *,
        wait: bool = False,
        deadline: float | None = None,
        only: set[str] | None = None,
        progress: Callable[[OutboxItem], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        workers: int = 1,
    ) -> DrainReport:
        """Send every due item once (``wait=False``) or until none is left to send (``wait=True``,
        sleeping until the next retry, up to ``deadline`` in time.monotonic() seconds).

        Safe after a crash mid-send. Returns at once (``busy``) if another process is draining.
        ``workers`` > 1 sends that many different items at the same time (never one item twice).
        """
        report = DrainReport()
        t0 = time.monotonic()
        lock = self.disk.try_drain_lock()
        if lock is None:
            report.busy = True
            return report
        try:
            while True:
                if should_stop is not None and should_stop():
                    break
                batch = self.due(only)
                if workers > 1 and len(batch) > 1:
                    from concurrent.futures import ThreadPoolExecutor

                    def one(item_id: str) -> None:
                        if should_stop is None or not should_stop():
                            self._send_one(item_id, sender, report, progress)

                    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="outbox") as pool:
                        list(pool.map(one, [i.item_id for i in batch]))
                else:
                    for item in batch:
                        if should_stop is not None and should_stop():
                            break
                        self._send_one(item.item_id, sender, report, progress)
                if not wait:
                    break
                pending = self.pending(only)
                if not pending:
                    break
                if batch:
                    continue
                nxt = min(i.next_attempt_at for i in pending)
                sleep = max(0.0, (nxt - self._clock()).total_seconds())
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    sleep = min(sleep, left)
                self._wake.clear()
                self._wake.wait(min(sleep, 5.0) if sleep > 0 else 0.0)
        finally:
            lock.release()
            report.seconds = time.monotonic() - t0
        return report

    def _send_one(
        self, item_id: str, sender: Any, report: DrainReport, progress: Callable[[OutboxItem], None] | None
    ) -> None:
        with self.disk.lock:  # re-read: staff may have cancelled it meanwhile
            item = self._load(item_id)
            if item is None or item.state not in (ItemState.queued, ItemState.sending):
                return
            resumed = item.state == ItemState.sending
            item.state = ItemState.sending
            item.attempts += 1
            self._save(item, "sending", SYSTEM_ACTOR, attempt=item.attempts, resumed_after_crash=resumed or None)
        with report.lock:
            report.attempts += 1
        if progress is not None:
            progress(item)
        try:
            self._check_before_send(item)
            res: SendResult = sender.send(item, self)
        except EhrError as exc:
            with self.disk.lock:
                item.last_error = str(exc)
                item.last_error_cause = exc.cause
                if exc.transient:
                    wait = self.backoff(item.attempts, exc.retry_after)
                    item.state = ItemState.queued
                    item.next_attempt_at = self._clock() + timedelta(seconds=wait)
                    self._save(
                        item,
                        "retry_scheduled",
                        SYSTEM_ACTOR,
                        cause=exc.cause,
                        status=exc.status,
                        wait_seconds=round(wait, 2),
                    )
                    with report.lock:
                        report.causes[exc.cause] += 1
                        report.retry_later.append(item.item_id)
                else:
                    item.state = ItemState.failed_permanent
                    self._save(item, "failed", SYSTEM_ACTOR, cause=exc.cause, status=exc.status, error=str(exc))
                    with report.lock:
                        report.failed.append(item.item_id)
        except ScribeError as exc:  # e.g. a changed note, a storage problem: a person must look
            with self.disk.lock:
                item.last_error = str(exc)
                item.last_error_cause = type(exc).__name__
                item.state = ItemState.failed_permanent
                self._save(item, "failed", SYSTEM_ACTOR, cause=item.last_error_cause, error=str(exc))
                with report.lock:
                    report.failed.append(item.item_id)
        except Exception as exc:  # a bug: keep the item, retry later, log the traceback
            log.exception("sending outbox item %s failed unexpectedly", item.item_id)
            with self.disk.lock:
                item.last_error = (
                    f"Scribe hit an internal problem while sending ({type(exc).__name__}); "
                    "it will try again. If this repeats, report it to IT."
                )
                item.last_error_cause = "internal"
                item.state = ItemState.queued
                item.next_attempt_at = self._clock() + timedelta(seconds=self.backoff(item.attempts))
                self._save(item, "retry_scheduled", SYSTEM_ACTOR, cause="internal")
                with report.lock:
                    report.causes["internal"] += 1
                    report.retry_later.append(item.item_id)
        else:
            with self.disk.lock:
                item.state = ItemState.sent
                item.server_id = res.server_id or item.server_id
                item.server_version = res.server_version
                item.server_location = res.location
                item.result = res.result
                item.patient_reference = res.patient_reference or item.patient_reference
                item.encounter_reference = res.encounter_reference or item.encounter_reference
                item.sent_at = self._clock()
                item.last_error = ""
                item.last_error_cause = ""
                self._save(
                    item,
                    "sent" if item.kind == ItemKind.create else "retracted",
                    SYSTEM_ACTOR,
                    server_id=item.server_id,
                    server_version=item.server_version,
                    result=item.result,
                )
                with report.lock:
                    report.sent.append(item.item_id)
                if item.kind == ItemKind.create:
                    self._mark_exported(item)
        if progress is not None:
            progress(item)

    def remember_match(self, item: OutboxItem, patient_reference: str, encounter_reference: str) -> None:
        """Keep the patient/encounter the EHR matched, so a retry does not search again."""
        with self.disk.lock:
            current = self._load(item.item_id)
            if current is None or current.state != ItemState.sending:
                return
            current.patient_reference = item.patient_reference = patient_reference
            current.encounter_reference = item.encounter_reference = encounter_reference
            self.disk.save(current.item_id, current.model_dump(mode="json"))

    def _mark_exported(self, item: OutboxItem) -> None:
        try:
            visit = self.visits.open(item.encounter_id)
            latest = visit.load_note()
            if latest is not None and latest.version == item.note_version and visit.state != VisitState.exported:
                visit.set_state(VisitState.exported, SYSTEM_ACTOR)
        except (ApprovalError, StorageError) as exc:
            log.info("visit %s not marked exported: %s", item.encounter_id, exc)

    # ------------------------------------------------------------------ bulk
    def enqueue_today(self, actor: str, *, day: datetime | None = None, **build_kw: Any) -> dict:
        """Queue every visit whose latest note is approved and was approved today (local time).

        Returns a summary dict: queued / already (queued or sent) / skipped [(visit, reason)].
        """
        day = (day or datetime.now().astimezone()).astimezone()
        summary: dict[str, list] = {"queued": [], "already": [], "skipped": []}
        for rec in self.visits.list():
            try:
                visit = self.visits.open(rec.encounter_id)
                note = visit.load_note()
            except ScribeError as exc:
                summary["skipped"].append((rec.encounter_id, str(exc)))
                continue
            if note is None or note.approval is None:
                continue
            if note.approval.approved_at.astimezone().date() != day.date():
                continue
            if not note.is_approved:
                summary["skipped"].append((rec.encounter_id, "changed after approval; approve it again"))
                continue
            existing = self._load(item_id_for(rec.encounter_id, note.version))
            if existing is not None and existing.state == ItemState.cancelled:
                summary["skipped"].append((rec.encounter_id, "cancelled in the outbox by staff (Retry sends it)"))
                continue
            try:
                item, new = self.enqueue_note(note, actor, **build_kw)
            except ScribeError as exc:
                summary["skipped"].append((rec.encounter_id, str(exc)))
                continue
            summary["queued" if new else "already"].append(item.item_id)
        return summary


def summary_text(queued: dict, report: DrainReport, outbox: Outbox) -> str:
    """Plain-words summary of 'send today's approved notes' for the UI and the CLI."""
    ids = queued["queued"] + queued["already"]
    items = {i.item_id: i for i in outbox.items() if i.item_id in set(ids)}
    sent = [i for i in items.values() if i.state == ItemState.sent]
    waiting = [i for i in items.values() if i.state in (ItemState.queued, ItemState.sending)]
    failed = [i for i in items.values() if i.state == ItemState.failed_permanent]
    lines = [
        f"Today's approved notes: {len(ids)} — {len(sent)} in the EHR, {len(waiting)} waiting to retry, "
        f"{len(failed)} need attention."
    ]
    if queued["skipped"]:
        lines.append(f"{len(queued['skipped'])} not queued:")
        lines += [f"  {eid}: {why}" for eid, why in queued["skipped"][:20]]
    for i in failed[:20]:
        lines.append(f"  {i.patient_name or i.encounter_id} ({i.encounter_id} v{i.note_version}): {i.last_error}")
    for i in waiting[:20]:
        lines.append(
            f"  {i.patient_name or i.encounter_id} ({i.encounter_id} v{i.note_version}) will be retried: "
            f"{i.last_error or 'not sent yet'}"
        )
    return "\n".join(lines)
