"""The physician-in-the-loop rules: edit, confirm, approve, amend, and an approval no one can forge.

These rules live in the core, not the UI, so the CLI, the desktop app and any future
integration enforce exactly the same thing: a note is exportable only once a named clinician
approved *this exact text* (the approval stores its sha256), nothing flagged unsupported can
be approved without being edited or explicitly confirmed, an approved note is locked, and a
later change is a new version (an amendment). Every change is recorded on the note as an
attributed :class:`~scribe.domain.NoteEvent`.

Approval trusts nothing in the note file. :func:`approve` re-runs the grounding check against the
transcript itself (a status flipped to ``supported`` or an emptied ``grounding`` in the JSON changes
nothing), accepts a ``confirmed`` statement only if the approving clinician confirmed that exact
text, and signs the result with the installation's Ed25519 key: the note's id and version, the
text's hash, the patient and encounter, who approved (the authenticated account) and when, and the
transcript it was checked against. :func:`verify_approval` is what every export runs (the FHIR file,
the EHR outbox when it queues and again when it sends): an edited text, a renamed approver, another
patient, a re-hashed note or an approval from elsewhere is refused.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .domain import (
    Approval,
    IssueKind,
    NoteAction,
    NoteDraft,
    NoteEvent,
    Severity,
    Statement,
    StatementStatus,
    Transcript,
)
from .errors import ApprovalError, InputError


def require_name(clinician: str) -> str:
    """The clinician's name, stripped; ApprovalError if there is none (every change is attributed)."""
    name = (clinician or "").strip()
    if not name:
        raise ApprovalError("A clinician's name is required to approve or change a note.")
    if not name.isprintable():
        raise ApprovalError("A clinician's name must be one line of printable text (no escapes or line breaks).")
    return name


def require_unlocked(note: NoteDraft) -> None:
    """ApprovalError if the note is approved: it changes only through an amendment."""
    if note.approval is not None:
        raise ApprovalError(
            f"Note version {note.version} is approved and locked; amend it to make changes (a new version)."
        )


def _with_event(note: NoteDraft, event: NoteEvent, **update) -> NoteDraft:
    return note.model_copy(update={**update, "events": [*note.events, event]})


def edit_statement(
    note: NoteDraft, statement_id: str, text: str, clinician: str, transcript: Transcript | None = None
) -> NoteDraft:
    """Replace a statement's text; with the transcript, the grounding check re-runs on it."""
    name = require_name(clinician)
    require_unlocked(note)
    found = note.find_statement(statement_id)
    if found is None:
        raise InputError(f"No statement with id {statement_id} in this note.")
    text = text.strip()
    sections = []
    for sec in note.sections:
        statements = []
        for st in sec.statements:
            if st.id == statement_id:
                if not text:
                    continue  # an emptied statement is a deletion
                st = st.model_copy(update={"text": text, "status": StatementStatus.supported, "issues": []})
            statements.append(st)
        sections.append(sec.model_copy(update={"statements": statements}))
    edited = _with_event(
        note,
        NoteEvent(
            action=NoteAction.edited if text else NoteAction.deleted,
            actor=name,
            statement_id=statement_id,
            detail=text[:200],
        ),
        sections=sections,
    )
    if transcript is not None:
        from .grounding import ground_note

        edited = ground_note(edited, transcript)
    return edited


def add_statement(
    note: NoteDraft,
    section_key: str,
    text: str,
    clinician: str,
    *,
    after: str | None = None,
    transcript: Transcript | None = None,
    evidence: list[int] | None = None,
) -> tuple[NoteDraft, str]:
    """The physician wrote a new statement; returns the note and the new statement's id.

    It goes after statement ``after`` in that section (first in the section if ``after`` is
    ``None`` or no longer there, e.g. deleted in the same edit) and, given the transcript, is
    grounded like any drafted statement: what the physician adds is attributed to them, but a
    number or drug the visit never mentioned is still flagged for a second look.
    """

    name = require_name(clinician)
    require_unlocked(note)
    text = text.strip()
    if not text:
        raise InputError("A new statement needs some text.")
    if not any(sec.key == section_key for sec in note.sections):
        raise InputError(f"No section '{section_key}' in this note.")
    new = Statement(text=text, evidence=list(evidence or []))  # cited lines are kept if they back the text
    sections = []
    for sec in note.sections:
        if sec.key == section_key:
            sts = list(sec.statements)
            pos = next((i + 1 for i, st in enumerate(sts) if st.id == after), 0)
            sts.insert(pos, new)
            sec = sec.model_copy(update={"statements": sts})
        sections.append(sec)
    added = _with_event(
        note, NoteEvent(action=NoteAction.added, actor=name, statement_id=new.id, detail=text[:200]), sections=sections
    )
    if transcript is not None:
        from .grounding import ground_note

        added = ground_note(added, transcript)
    return added, new.id


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def confirm_statement(note: NoteDraft, statement_id: str, clinician: str) -> NoteDraft:
    """The physician takes responsibility for a flagged statement as written.

    A drug flagged because Scribe's term correction put it in the transcript ("list in April" heard,
    lisinopril written) is confirmed once for the visit: the physician listened and it was said. Every
    other statement naming it keeps the hint but is no longer blocked by it (an attributed
    ``term_confirmed`` event per drug; grounding reads it back, so a re-check agrees)."""
    name = require_name(clinician)
    require_unlocked(note)
    found = note.find_statement(statement_id)
    if found is None:
        raise InputError(f"No statement with id {statement_id} in this note.")
    terms = sorted({i.term for i in found[1].issues if i.kind == IssueKind.corrected and i.term})
    sections = [
        sec.model_copy(
            update={
                "statements": [
                    st.model_copy(update={"status": StatementStatus.confirmed})
                    if st.id == statement_id
                    else _heard_confirmed(st, terms)
                    for st in sec.statements
                ]
            }
        )
        for sec in note.sections
    ]
    reasons = "; ".join(i.detail for i in found[1].issues)
    note = _with_event(
        note,
        NoteEvent(
            action=NoteAction.confirmed,
            actor=name,
            statement_id=statement_id,
            detail=reasons[:300],
            text_sha256=text_sha256(found[1].text),
        ),
        sections=sections,
    )
    for term in terms:
        note = _with_event(
            note, NoteEvent(action=NoteAction.term_confirmed, actor=name, statement_id=statement_id, detail=term)
        )
    return note


def _heard_confirmed(st: Statement, terms: list[str]) -> Statement:
    """``st`` once the drugs ``terms`` are confirmed as said: their correction flags become hints."""
    if not terms or not any(i.kind == IssueKind.corrected and i.term in terms for i in st.issues):
        return st
    from .grounding import confirmed_correction, settled_status

    issues = [confirmed_correction(i) if i.kind == IssueKind.corrected and i.term in terms else i for i in st.issues]
    return st.model_copy(update={"issues": issues, "status": settled_status(st, issues)})


def blocking_statements(note: NoteDraft) -> list[Statement]:
    """What approval waits for: statements with a safety flag (a drug, dose, number, side, negation,
    allergy, result or finding the transcript does not support) not yet edited away or confirmed.

    Review hints (weak or missing evidence for a paraphrase) stay visible but never block: a physician
    asked to click through many of them stops reading the ones that matter."""
    return [st for st in note.unresolved() if not st.issues or any(i.severity == Severity.safety for i in st.issues)]


def _confirmed_by(note: NoteDraft, st: Statement, who: set[str]) -> bool:
    """The clinician (any of ``who``: login, name) confirmed this statement's exact text."""
    digest = text_sha256(st.text)
    return any(
        e.action == "confirmed" and e.statement_id == st.id and e.actor in who and e.text_sha256 == digest
        for e in note.events
    )


def approve(
    note: NoteDraft,
    clinician: str,
    attestation: str | None = None,
    *,
    transcript: Transcript | None,
    login: str | None = None,
    keys: Any = None,
    medications: Any = None,
) -> NoteDraft:
    """Re-check the note against ``transcript``, then sign it as it is now.

    Refused while any statement carries a safety flag (:func:`blocking_statements`), or is marked confirmed without this clinician
    (``clinician`` or ``login``) having confirmed that exact text. ``keys`` (the installation's
    :class:`~scribe.storage.keys.KeyStore`) signs the approval; without it the approval is unsigned
    and no export will accept it.
    """
    from .grounding import ground_note, heard_confirmed

    name = require_name(clinician)
    require_unlocked(note)
    if not note.statements():
        raise ApprovalError("The note has no content to approve.")
    if transcript is None or transcript.is_empty():
        raise ApprovalError(
            "Approval re-checks the note against the visit's transcript, and there is none; give the transcript."
        )
    who = {name} | ({login} if login else set())
    # the file's statuses are not trusted, nor anyone else's word that a corrected drug was said
    checked = ground_note(note, transcript, medications=medications, heard=heard_confirmed(note, by=who))
    pending = blocking_statements(checked)  # review hints never block
    unconfirmed = [
        st for st in checked.statements() if st.status == StatementStatus.confirmed and not _confirmed_by(note, st, who)
    ]
    if pending or unconfirmed:
        first = (pending or unconfirmed)[0]
        why = (
            next((i.detail for i in first.issues if i.severity == Severity.safety), "unsupported")
            if pending
            else "marked confirmed, but not by you for this text"
        )
        count = len(pending) + len(unconfirmed)
        raise ApprovalError(
            f"{count} statement(s) are flagged unsupported (a safety flag) and must be edited or confirmed before approval "
            f'(first: "{first.text[:60]}" — {why}).'
        )
    kw: dict[str, Any] = {
        "approved_by": name,
        "content_sha256": checked.content_hash(),
        "login": login,
        "transcript_sha256": transcript_hash(transcript),
        "checked": {
            "statements": len(checked.statements()),
            "unsupported": 0,
            "confirmed": sum(st.status == StatementStatus.confirmed for st in checked.statements()),
        },
    }
    if attestation:
        kw["attestation"] = attestation
    approval = Approval(**kw)
    approved = _with_event(
        checked,
        NoteEvent(action=NoteAction.approved, actor=login or name, detail=approval.content_sha256),
        approval=approval,
    )
    if keys is not None:
        signed = keys.sign(approval_payload(approved))
        approved = approved.model_copy(
            update={
                "approval": approval.model_copy(update={"key_id": signed["key_id"], "signature": signed["signature"]})
            }
        )
    return approved


def transcript_hash(transcript: Transcript) -> str:
    """The transcript's identity for the approval: its segments' ids, times and words."""
    data = "\n".join(f"{s.id}\t{s.start:.3f}\t{s.end:.3f}\t{s.text}" for s in transcript.segments)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def approval_payload(note: NoteDraft) -> bytes:
    """Exactly what an approval signature covers (compact, key-sorted JSON)."""
    from .storage.keys import canonical_bytes

    a = note.approval
    if a is None:
        raise ApprovalError("The note is not approved.")
    enc = note.encounter
    return canonical_bytes(
        {
            "kind": "scribe-approval",
            "note_id": note.note_id,
            "version": note.version,
            "amends_version": note.amends_version,
            "template": note.template,
            "content_sha256": a.content_sha256,
            "approved_by": a.approved_by,
            "login": a.login,
            "approved_at": a.approved_at.isoformat(),
            "attestation": a.attestation,
            "transcript_sha256": a.transcript_sha256,
            "checked": a.checked,
            "patient_id": enc.patient_id,
            "patient_name": enc.patient_name,
            "encounter_id": enc.encounter_id,
        }
    )


def verify_approval(note: NoteDraft, keys: Any) -> None:
    """Refuse (ApprovalError, one line) unless ``note`` carries this installation's valid approval signature."""
    a = note.approval
    if a is None:
        raise ApprovalError(f"Note {note.note_id} is not approved; review and approve it before exporting.")
    if a.content_sha256 != note.content_hash():
        raise ApprovalError(
            f"Note {note.note_id} was changed after it was approved; review and approve it again before exporting."
        )
    if not a.signature or not a.key_id:
        raise ApprovalError(
            f"The approval of note {note.note_id} is not signed (made outside Scribe or by an older version); "
            "approve it again in Scribe before exporting."
        )
    if keys is None or not keys.verify(approval_payload(note), a.key_id, a.signature):
        raise ApprovalError(
            f"The approval of note {note.note_id} does not verify: the note, its patient or its approver was "
            "changed after signing, or it was approved on another installation. Nothing was exported."
        )


def verify_for_export(note: NoteDraft, keys: Any, visit: Any = None) -> None:
    """Everything an export checks: the signature (:func:`verify_approval`) and, for a saved visit,
    that its audit trail is intact and recorded this very approval (same note, version, text, signature)."""
    verify_approval(note, keys)
    if visit is None:
        return
    report = visit.audit_report()
    if not report.ok:
        raise ApprovalError(f"This visit's audit trail does not verify ({report.problem}); nothing was exported.")
    a = note.approval
    assert a is not None  # verify_approval refused an unapproved note
    for entry in visit.audit_log():
        d = entry.get("details") or {}
        if (
            entry.get("action") == "note_approved"
            and d.get("note_id") == note.note_id
            and d.get("version") == note.version
            and d.get("content_sha256") == a.content_sha256
            and d.get("signature") == a.signature
        ):
            return
    raise ApprovalError(
        f"Version {note.version} of this note has no approval in the visit's audit trail (the note file was "
        "replaced outside Scribe); approve it again before exporting."
    )


def amend(note: NoteDraft, clinician: str, reason: str = "") -> NoteDraft:
    """Start a new, unapproved version of an approved note; the old version stays on record."""
    name = require_name(clinician)
    if note.approval is None:
        raise ApprovalError("Only an approved note can be amended; edit the draft directly instead.")
    return _with_event(
        note,
        NoteEvent(action=NoteAction.amended, actor=name, detail=reason[:300]),
        version=note.version + 1,
        approval=None,
        amends_version=note.version,
    )


def approve_all_flagged_confirmed(
    note: NoteDraft,
    clinician: str,
    *,
    transcript: Transcript | None,
    login: str | None = None,
    keys: Any = None,
    medications: Any = None,
) -> NoteDraft:
    """CLI convenience for `--confirm-unsupported`: re-check, confirm every flagged statement, then approve."""
    from .grounding import ground_note

    if transcript is not None and not transcript.is_empty():
        note = ground_note(note, transcript, medications=medications)
    actor = login or clinician
    blocking = blocking_statements(note)
    for st in note.statements():
        if st in blocking or (
            st.status == StatementStatus.confirmed and not _confirmed_by(note, st, {clinician, actor})
        ):
            note = confirm_statement(note, st.id, actor)
    return approve(note, clinician, transcript=transcript, login=login, keys=keys, medications=medications)
