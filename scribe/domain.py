"""Typed data passed between pipeline stages.

These pydantic models are the contract between recording, ASR, drafting, grounding,
approval and export. Every stage reads and writes them, and they serialise to the JSON
files the CLI writes (``transcript.json``, ``note.json``), so a stage can be re-run from
disk without the others.
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from datetime import UTC, datetime
from enum import Enum, StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 1


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str, full: bool = False) -> str:
    """Short ids for statements; full 128-bit ids where they must be globally unique (notes)."""
    return f"{prefix}-{uuid.uuid4().hex if full else uuid.uuid4().hex[:12]}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def _one_line_text(value: str) -> str:
    """Names and identifiers go into FHIR, the audit and terminals: no newlines or escape codes."""
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        raise ValueError("must be one line of printable text (no control characters, escapes or line breaks)")
    return value


Name = Annotated[str, AfterValidator(_one_line_text)]  # a person's name or an identifier


# --------------------------------------------------------------------------- encounter


class Encounter(_Model):
    """Who was seen, by whom, when. Identifiers feed the FHIR export."""

    encounter_id: str = Field(default_factory=lambda: new_id("enc"))
    patient_name: Name = "Unknown patient"
    patient_id: Name = "unknown"  # MRN or other local identifier
    clinician: Name | None = None
    visit_type: str = "soap"
    start: datetime = Field(default_factory=utcnow)
    end: datetime | None = None


# --------------------------------------------------------------------------- transcript


class SpeakerRole(str, Enum):
    clinician = "clinician"
    patient = "patient"
    unknown = "unknown"


Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]  # a time in the recording: never negative or NaN


class Word(_Model):
    start: Seconds
    end: Seconds
    word: str
    probability: float = 1.0
    original: str | None = None  # what the recogniser heard, when a dictionary term replaced it (scribe.asr.correction)


class Segment(_Model):
    """One stretch of speech; ``id`` is what note statements cite as evidence."""

    id: int
    start: Seconds  # seconds from the start of the recording
    end: Seconds
    text: str
    confidence: float = 1.0  # exp(avg log prob) from the recogniser, 1.0 for typed text
    speaker: SpeakerRole = SpeakerRole.unknown
    words: list[Word] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered(self) -> Segment:
        if self.end < self.start:
            raise ValueError(f"segment {self.id} ends ({self.end}) before it starts ({self.start})")
        return self


class Transcript(_Model):
    schema_version: int = SCHEMA_VERSION
    segments: list[Segment] = Field(default_factory=list)
    language: str | None = None
    duration: Seconds = 0.0  # seconds of audio
    source: str | None = None  # audio file name or "text"
    asr_model: str | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> Transcript:
        # statements cite segments by id: two segments with one id would make evidence ambiguous
        seen: set[int] = set()
        for seg in self.segments:
            if seg.id in seen:
                raise ValueError(f"two segments have the id {seg.id}")
            seen.add(seg.id)
        return self

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    def segment(self, seg_id: int) -> Segment | None:
        for s in self.segments:
            if s.id == seg_id:
                return s
        return None

    def is_empty(self) -> bool:
        return not any(s.text.strip() for s in self.segments)


# --------------------------------------------------------------------------- note


class StatementStatus(str, Enum):
    supported = "supported"
    unsupported = "unsupported"
    confirmed = "confirmed"  # physician explicitly confirmed an unsupported statement


class IssueKind(StrEnum):
    """What the grounding check found wrong with a statement (``Issue.kind``)."""

    no_evidence = "no_evidence"  # nothing in the transcript supports it
    weak_evidence = "weak_evidence"  # the cited lines do not mention its key words
    medication = "medication"  # a drug the transcript never names
    dose = "dose"  # a dose not said (for that drug)
    number = "number"  # a number not said
    laterality = "laterality"  # left/right/bilateral not what was said
    negation = "negation"  # present where the transcript says absent, or the reverse
    allergy = "allergy"  # a drug named only as an allergy, stated as taken
    result = "result"  # a test result stated that the transcript does not give
    descriptor = "descriptor"  # a describing word not how the transcript describes it
    finding = "finding"  # a symptom or finding stated present that the visit never mentions
    unclear = "unclear"  # the words before a finding may be a misheard negator ("hot tender")
    date = "date"  # a date nobody said (a review hint)
    age = "age"  # an age where the visit gives none (a review hint: it came from the chart)
    side = "side"  # left or right where the visit names no side at all (a review hint: it came from the exam)
    chart = "chart"  # a chart detail of a kind the visit never gives: a diabetes type, x-ray views (a review hint)
    corrected = "corrected"  # a drug in the transcript only where Scribe's term correction replaced what was heard
    family = "family"  # a condition the visit gives only as a relative's, written as the patient's history
    action = "action"  # a drug started, continued, stopped, raised or lowered where the visit did the opposite
    plan = "plan"  # a change written for something not a drug that the visit says to do otherwise (a review hint)
    frequency = "frequency"  # a drug's times a day the visit gives it otherwise, said of something else (a hint)


class Severity(str, Enum):
    """How much an issue weighs. A *safety* flag (a drug, dose, number, side, negation, allergy, result or
    finding the transcript does not support) must be resolved before approval; a *review* hint (weak or
    missing evidence for a paraphrase) is shown but never blocks."""

    safety = "safety"
    review = "review"


# Issue kinds that are only hints; every other kind is a safety flag.
REVIEW_KINDS = frozenset(
    {
        IssueKind.no_evidence,
        IssueKind.weak_evidence,
        IssueKind.date,
        IssueKind.age,
        IssueKind.side,
        IssueKind.chart,
        IssueKind.plan,
        IssueKind.frequency,
    }
)


class Issue(_Model):
    """Why a statement is not backed by the transcript."""

    kind: IssueKind  # the review kinds are REVIEW_KINDS; every other kind is a safety flag
    detail: str
    severity: Severity = Severity.safety  # notes saved before severities existed get theirs from the kind
    term: str | None = None  # ``corrected``: the drug, so that one confirmation can cover every statement naming it

    @model_validator(mode="before")
    @classmethod
    def _severity_from_kind(cls, data):
        if isinstance(data, dict) and data.get("severity") is None and "kind" in data:
            data = {**data, "severity": Severity.review if data["kind"] in REVIEW_KINDS else Severity.safety}
        return data


class Statement(_Model):
    id: str = Field(default_factory=lambda: new_id("st"))
    text: str
    evidence: list[int] = Field(default_factory=list)  # transcript segment ids
    status: StatementStatus = StatementStatus.supported
    issues: list[Issue] = Field(default_factory=list)


class Section(_Model):
    key: str  # e.g. "subjective"
    title: str  # e.g. "Subjective"
    statements: list[Statement] = Field(default_factory=list)
    style: str | None = None  # "prose": statements read as one paragraph; None/"bullets": one "- " line each

    @property
    def text(self) -> str:
        if self.style == "prose":
            return " ".join(_sentence(s.text) for s in self.statements)
        return "\n".join(f"- {s.text}" for s in self.statements)


def _sentence(text: str) -> str:
    """A statement as a sentence inside a paragraph (prose sections)."""
    t = text.strip()
    return t if not t or t[-1] in ".!?:" else t + "."


class GroundingReport(_Model):
    checked_at: datetime = Field(default_factory=utcnow)
    statements: int = 0
    unsupported: int = 0  # statements with a safety flag
    review: int = 0  # statements with review hints only

    @property
    def unsupported_rate(self) -> float:
        return self.unsupported / self.statements if self.statements else 0.0


class Approval(_Model):
    approved_by: Name
    approved_at: datetime = Field(default_factory=utcnow)
    content_sha256: str  # hash of the note text the clinician attested to
    attestation: str = "I have reviewed this note, edited it where needed, and attest that it is accurate."
    # Who signed, against what, and the signature (scribe.approval): the account the OS authenticated,
    # the transcript the note was re-checked against at approval, and the grounding it found then.
    login: str | None = None
    transcript_sha256: str | None = None
    checked: dict | None = None  # {"statements": n, "unsupported": 0, "confirmed": k}
    key_id: str | None = None  # the installation's Ed25519 signing key
    signature: str | None = None


class NoteAction(StrEnum):
    """What a :class:`NoteEvent` records (the values are what note files on disk contain)."""

    edited = "edited"  # a statement's text changed (scribe.approval.edit_statement)
    deleted = "deleted"  # a statement removed (an edit to empty text)
    added = "added"  # the physician wrote a new statement
    confirmed = "confirmed"  # a flagged statement taken as written
    term_confirmed = "term_confirmed"  # a drug Scribe's term correction put in the transcript, confirmed as said
    approved = "approved"  # signed
    amended = "amended"  # a new, editable version of an approved note
    revised = "revised"  # a section rewritten by instruction and accepted (scribe.drafting.revise)
    revision_rejected = "revision_rejected"  # a proposed revision turned down


class NoteEvent(_Model):
    """An attributed change to a note (edit, addition, deletion, confirmation, approval, amendment, revision)."""

    action: NoteAction
    actor: Name
    at: datetime = Field(default_factory=utcnow)
    statement_id: str | None = None
    detail: str = ""
    text_sha256: str | None = None  # confirmations: the exact statement text the clinician took responsibility for


class NoteDraft(_Model):
    schema_version: int = SCHEMA_VERSION
    note_id: str = Field(default_factory=lambda: new_id("note", full=True))  # seeds the FHIR identifier
    version: int = 1
    template: str = "soap"
    encounter: Encounter = Field(default_factory=Encounter)
    sections: list[Section] = Field(default_factory=list)
    grounding: GroundingReport | None = None
    created_at: datetime = Field(default_factory=utcnow)
    model: str | None = None  # which LLM wrote it
    runtime: str | None = None
    approval: Approval | None = None
    amends_version: int | None = None  # set on amendments: the approved version this one replaces
    events: list[NoteEvent] = Field(default_factory=list)

    def section(self, key: str) -> Section | None:
        for s in self.sections:
            if s.key == key:
                return s
        return None

    def find_statement(self, statement_id: str) -> tuple[Section, Statement] | None:
        for sec in self.sections:
            for st in sec.statements:
                if st.id == statement_id:
                    return sec, st
        return None

    def statements(self) -> list[Statement]:
        return [st for sec in self.sections for st in sec.statements]

    def render_text(self) -> str:
        """The plain-text note a clinician signs and the EHR receives."""
        parts = []
        for sec in self.sections:
            body = sec.text or ("(none documented)" if sec.style == "prose" else "- (none documented)")
            parts.append(f"{sec.title.upper()}\n{body}")
        return "\n\n".join(parts) + "\n"

    def content_hash(self) -> str:
        return hashlib.sha256(self.render_text().encode("utf-8")).hexdigest()

    @property
    def is_approved(self) -> bool:
        return self.approval is not None and self.approval.content_sha256 == self.content_hash()

    def unresolved(self) -> list[Statement]:
        """Statements still flagged unsupported (a safety flag not yet edited away or confirmed)."""
        return [s for s in self.statements() if s.status == StatementStatus.unsupported]
