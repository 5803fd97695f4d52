"""The check itself: every statement of a note against the transcript, one :class:`Issue` per problem."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from ..domain import (
    GroundingReport,
    Issue,
    IssueKind,
    NoteAction,
    NoteDraft,
    Severity,
    Statement,
    StatementStatus,
    Transcript,
)
from ..lexicon import medication_names
from ..textnorm import content_words
from .actions import action_issues, plan_issues
from .appetite import appetite_issues
from .assertion import finding_issues, negation_issues, unanswered_issues, unclear_issues
from .claims import (
    allergy_denial_issues,
    allergy_issues,
    descriptor_issues,
    family_issues,
    result_issues,
    result_sign_issues,
)
from .evidence import settle_evidence, weak_evidence
from .frequency import frequency_issues
from .index import TranscriptIndex
from .laterality import laterality_issues, normal_side_issues
from .quantities import dose_issues, extract_facts, number_issues, unknown_name_issues


def correction_issue(med: str, heard: str, confirmed: bool = False) -> Issue:
    """A drug in the transcript only where Scribe's term correction replaced ``heard``: a safety flag
    until a clinician confirms, after listening, that it was said; then a review hint."""
    if confirmed:
        return Issue(
            kind=IssueKind.corrected,
            severity=Severity.review,
            term=med,
            detail=f"'{med}' is in the transcript where Scribe corrected what it heard (\"{heard}\"); "
            "the physician confirmed it was said",
        )
    return Issue(
        kind=IssueKind.corrected,
        term=med,
        detail=f"'{med}' is in the transcript only where Scribe corrected what it heard (\"{heard}\"): "
        "listen to the recording",
    )


def confirmed_correction(issue: Issue) -> Issue:
    """``issue`` (a ``corrected`` flag) once its drug is confirmed as said."""
    heard = re.search(r'\("(.*)"\)', issue.detail)
    return correction_issue(issue.term or "", heard.group(1) if heard else "", confirmed=True)


def check_statement(st: Statement, index: TranscriptIndex, heard_confirmed: Collection[str] = ()) -> Statement:
    """``heard_confirmed``: drugs the physician confirmed were said where Scribe corrected what it heard
    (:func:`heard_confirmed`); naming one is then a review hint, not a safety flag."""
    words = content_words(st.text)
    evidence = settle_evidence(st, words, index)
    issues: list[Issue] = []
    if not evidence:
        issues.append(Issue(kind="no_evidence", detail="no part of the transcript supports this statement"))
    weak = weak_evidence(words, evidence, index)
    if weak:
        issues.append(weak)
    facts = extract_facts(st.text, index.medications)
    for med in sorted(facts.medications):
        if not index.said_medication(med):
            issues.append(Issue(kind="medication", detail=f"medication '{med}' is not mentioned in the transcript"))
        elif (heard := index.only_corrected(med)) is not None:
            issues.append(correction_issue(med, heard.strip(), confirmed=med in heard_confirmed))
    issues.extend(dose_issues(st.text, index))
    issues.extend(frequency_issues(st.text, index))
    issues.extend(unknown_name_issues(st.text, index))
    issues.extend(number_issues(st.text, facts, words, evidence, index))
    # one side flag is enough: the side the finding was said on, else the side the visit calls normal
    issues.extend(laterality_issues(st.text, evidence, index) or normal_side_issues(st.text, index))
    negations = negation_issues(st.text, index, evidence)
    issues.extend(negations)
    issues.extend(appetite_issues(st.text, index, negations))
    issues.extend(finding_issues(st.text, index))
    issues.extend(unanswered_issues(st.text, index))
    issues.extend(unclear_issues(st.text, index, evidence))
    issues.extend(allergy_issues(st.text, facts, index))
    issues.extend(allergy_denial_issues(st.text, index))
    issues.extend(action_issues(st.text, index))
    issues.extend(plan_issues(st.text, index))
    issues.extend(result_issues(st.text, index))
    issues.extend(result_sign_issues(st.text, index))
    issues.extend(descriptor_issues(st.text, evidence, index))
    issues.extend(family_issues(st.text, index))

    return st.model_copy(update={"evidence": evidence, "issues": issues, "status": settled_status(st, issues)})


def settled_status(st: Statement, issues: list[Issue]) -> StatementStatus:
    """``st``'s status with ``issues``: only safety flags make a statement unsupported (review hints
    ride along on a supported one), and a confirmed statement stays confirmed."""
    if st.status == StatementStatus.confirmed and issues:
        return StatementStatus.confirmed  # physician took responsibility for this exact text
    safety = any(i.severity == Severity.safety for i in issues)
    return StatementStatus.unsupported if safety else StatementStatus.supported


def ground_note(
    note: NoteDraft,
    transcript: Transcript,
    medications: Iterable[str] | None = None,
    heard: Collection[str] | None = None,
) -> NoteDraft:
    """Check every statement of ``note`` against ``transcript``; returns an updated copy. ``heard``: the
    drugs confirmed as said (default: every ``term_confirmed`` event of the note; approval passes only
    the approving clinician's own)."""
    index = TranscriptIndex(transcript, medication_names(medications))
    heard = heard_confirmed(note) if heard is None else heard
    sections = []
    total = unsupported = review = 0
    for sec in note.sections:
        checked = [check_statement(st, index, heard) for st in sec.statements]
        total += len(checked)
        unsupported += sum(1 for st in checked if st.status == StatementStatus.unsupported)
        review += sum(1 for st in checked if st.status == StatementStatus.supported and st.issues)
        sections.append(sec.model_copy(update={"statements": checked}))
    report = GroundingReport(statements=total, unsupported=unsupported, review=review)
    return note.model_copy(update={"sections": sections, "grounding": report})


def heard_confirmed(note: NoteDraft, by: Collection[str] | None = None) -> frozenset[str]:
    """The drugs a clinician (any, or one of ``by``) confirmed were said where Scribe's term correction
    wrote them (one attributed ``term_confirmed`` event each, from :func:`scribe.approval.confirm_statement`)."""
    return frozenset(
        e.detail for e in note.events if e.action == NoteAction.term_confirmed and (by is None or e.actor in by)
    )
