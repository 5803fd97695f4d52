"""The physician-in-the-loop rules: edit, confirm, approve, amend.

These rules live in the core, not the UI, so the CLI, the desktop app and any future
integration enforce exactly the same thing: a note is exportable only once a named clinician
approved *this exact text* (the approval stores its sha256), nothing flagged unsupported can
be approved without being edited or explicitly confirmed, an approved note is locked, and a
later change is a new version (an amendment). Every change is recorded on the note as an
attributed :class:`~scribe.domain.NoteEvent`.
"""

from __future__ import annotations

from .domain import Approval, NoteAction, NoteDraft, NoteEvent, Severity, Statement, StatementStatus, Transcript
from .errors import ApprovalError, InputError


def _require_name(clinician: str) -> str:
    name = (clinician or "").strip()
    if not name:
        raise ApprovalError("A clinician's name is required to approve or change a note.")
    return name


def _require_unlocked(note: NoteDraft) -> None:
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
    name = _require_name(clinician)
    _require_unlocked(note)
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

    name = _require_name(clinician)
    _require_unlocked(note)
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


def confirm_statement(note: NoteDraft, statement_id: str, clinician: str) -> NoteDraft:
    """The physician takes responsibility for a flagged statement as written."""
    name = _require_name(clinician)
    _require_unlocked(note)
    found = note.find_statement(statement_id)
    if found is None:
        raise InputError(f"No statement with id {statement_id} in this note.")
    sections = [
        sec.model_copy(
            update={
                "statements": [
                    st.model_copy(update={"status": StatementStatus.confirmed}) if st.id == statement_id else st
                    for st in sec.statements
                ]
            }
        )
        for sec in note.sections
    ]
    reasons = "; ".join(i.detail for i in found[1].issues)
    return _with_event(
        note,
        NoteEvent(action=NoteAction.confirmed, actor=name, statement_id=statement_id, detail=reasons[:300]),
        sections=sections,
    )


def blocking_statements(note: NoteDraft) -> list[Statement]:
    """What approval waits for: statements with a safety flag (a drug, dose, number, side, negation,
    allergy, result or finding the transcript does not support) not yet edited away or confirmed.

    Review hints (weak or missing evidence for a paraphrase) stay visible but never block: a physician
    asked to click through many of them stops reading the ones that matter."""
    return [st for st in note.unresolved() if not st.issues or any(i.severity == Severity.safety for i in st.issues)]


def approve(note: NoteDraft, clinician: str, attestation: str | None = None) -> NoteDraft:
    """Sign the note as it is now. Refused while any statement still carries a safety flag."""
    name = _require_name(clinician)
    _require_unlocked(note)
    if not note.statements():
        raise ApprovalError("The note has no content to approve.")
    if note.grounding is None:
        raise ApprovalError("The note has not been checked against the transcript yet; run the grounding check first.")
    pending = blocking_statements(note)
    if pending:
        first = pending[0]
        why = next((i.detail for i in first.issues if i.severity == Severity.safety), "unsupported")
        raise ApprovalError(
            f"{len(pending)} statement(s) are flagged unsupported and must be edited or confirmed before approval "
            f'(first: "{first.text[:60]}" — {why}).'
        )
    kw = {"approved_by": name, "content_sha256": note.content_hash()}
    if attestation:
        kw["attestation"] = attestation
    approval = Approval(**kw)
    return _with_event(
        note, NoteEvent(action=NoteAction.approved, actor=name, detail=approval.content_sha256), approval=approval
    )


def amend(note: NoteDraft, clinician: str, reason: str = "") -> NoteDraft:
    """Start a new, unapproved version of an approved note; the old version stays on record."""
    name = _require_name(clinician)
    if note.approval is None:
        raise ApprovalError("Only an approved note can be amended; edit the draft directly instead.")
    return _with_event(
        note,
        NoteEvent(action=NoteAction.amended, actor=name, detail=reason[:300]),
        version=note.version + 1,
        approval=None,
        amends_version=note.version,
    )


def approve_all_flagged_confirmed(note: NoteDraft, clinician: str) -> NoteDraft:
    """CLI convenience for `--confirm-unsupported`: confirm every flagged statement, then approve."""
    for st in blocking_statements(note):
        note = confirm_statement(note, st.id, clinician)
    return approve(note, clinician)
