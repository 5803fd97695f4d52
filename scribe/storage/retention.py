"""Retention: recordings deleted N days after their note was exported, visits purged after N days.

The organisation's policy sets the periods (``retention_audio_days``, ``retention_visit_days``; 0
keeps everything). Deletion is real: the files go and their keys are destroyed
(:meth:`Visit.delete_audio`, :meth:`VisitStore.purge`), so a backup or a disk sector that still
holds the ciphertext cannot be read. What was deleted, when and under which rule is written to the
installation's security journal; the visit's own audit goes with the visit.

A visit is never purged while it is being recorded or while an export of it still waits in the EHR
outbox; it is kept and reported, and the next run tries again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..domain import utcnow
from .errors import StorageError
from .visit import VisitState

_WAITING = {"queued", "sending"}


@dataclass
class RetentionReport:
    audio_deleted: list[str] = field(default_factory=list)  # visit ids
    visits_purged: list[str] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (visit id, why)
    dry_run: bool = False

    def text(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        lines = [
            f"Retention {verb} the recordings of {len(self.audio_deleted)} visit(s) and "
            f"{'would purge' if self.dry_run else 'purged'} {len(self.visits_purged)} visit(s)."
        ]
        lines += [f"  kept {vid}: {why}" for vid, why in self.kept]
        return "\n".join(lines)


def _exported_at(visit) -> datetime | None:
    """When the visit last moved to ``exported`` (from its audit trail)."""
    when = None
    for entry in visit.audit_log():
        if entry.get("action") == "state" and (entry.get("details") or {}).get("to") == VisitState.exported.value:
            try:
                when = datetime.fromisoformat(entry["ts"])
            except (KeyError, ValueError):
                continue
    return when


def run_retention(
    store,
    *,
    audio_days: int,
    visit_days: int,
    actor: str,
    journal=None,
    now: datetime | None = None,
    dry_run: bool = False,
) -> RetentionReport:
    """Apply the retention periods to every visit in ``store``; journal what was deleted."""
    now = now or utcnow()
    report = RetentionReport(dry_run=dry_run)
    if audio_days <= 0 and visit_days <= 0:
        return report
    waiting = {item.get("encounter_id") for item in store.outbox().list() if item.get("state") in _WAITING}
    for record in store.list():
        vid = record.encounter_id
        try:
            visit = store.open(vid)
            if visit.is_recording_now():
                report.kept.append((vid, "being recorded"))
                continue
            if visit_days > 0 and now - record.created_at >= timedelta(days=visit_days):
                if vid in waiting:
                    report.kept.append((vid, "an export to the EHR is still waiting"))
                    continue
                if not dry_run:
                    scope = store.purge(vid)
                    if journal is not None:
                        journal.record("visit_purged", actor, visit=scope, rule=f"retention_visit_days={visit_days}")
                report.visits_purged.append(vid)
                continue
            if audio_days > 0 and record.state == VisitState.exported and visit.has_audio():
                exported = _exported_at(visit)
                if exported is not None and now - exported >= timedelta(days=audio_days):
                    if not dry_run:
                        visit.delete_audio(actor, reason=f"retention_audio_days={audio_days}")
                        if journal is not None:
                            journal.record(
                                "audio_deleted",
                                actor,
                                visit=visit.folder.name,
                                rule=f"retention_audio_days={audio_days}",
                            )
                    report.audio_deleted.append(vid)
        except StorageError as exc:
            report.kept.append((vid, str(exc)))
    return report
