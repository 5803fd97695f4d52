"""Edit by instruction: the physician asks for a change to one section in words.

"shorter", "as bullet points", "add that the patient declined the flu shot": :meth:`SectionReviser.propose`
returns a :class:`Revision` — the proposed statements, already grounded, and a statement-level diff
against the current section — which the physician accepts (:func:`accept_revision`) or rejects
(:func:`reject_revision`). Nothing changes in the note until accepted.

* **Style-only requests** ("as bullet points", "as a paragraph", "in prose") change how the section
  is rendered and need no model: the statements stay exactly as they are.
* **Everything else** goes to the language model with the section's statements (numbered, with
  their cited lines), the transcript lines they cite plus the lines most related to the
  instruction, and the instruction itself. The answer is schema-constrained JSON statements.
* **Grounding re-runs** on the proposal. A fact that the transcript does not support but the
  physician's own instruction states ("add that the patient declined the flu shot" when nobody
  said it aloud) is marked ``from_instruction`` in the diff; accepting the revision records it as
  confirmed by that physician (an attributed event), exactly as if they had typed it. Anything
  else the model added stays flagged.
* **Additions** ("add ...", "include ...", "mention ...") ask the model only for the new
  statements and append them: a small model asked to rewrite a section to add one fact tends to
  return just that fact, which would silently read as deleting the rest.
* Unchanged statements keep their ids, evidence and any confirmation.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Literal

from ..domain import NoteDraft, NoteEvent, Section, Segment, SpeakerRole, Statement, StatementStatus, Transcript
from ..errors import DraftingError, InputError
from ..grounding import TranscriptIndex, check_statement, content_words, ground_note
from ..lexicon import medication_names
from .compose import MAX_STATEMENT_CHARS, coerce_statements, same_fact
from .drafter import repair_json
from .questions import STATEMENT_CHARS, format_transcript_lines

MAX_STATEMENTS_PER_SECTION = 14

REVISE_SYSTEM_PROMPT = (
    "You are a careful medical scribe revising one section of a clinical note at the physician's request. "
    "Apply the physician's instruction to the section and change nothing else. Keep every fact unless the "
    "instruction asks to remove or shorten it. Never add a medication, dose, number, finding or plan that is "
    "neither in the transcript nor in the instruction. Keep symptoms the patient denied as denied. For each "
    "statement cite the transcript line numbers that support it (an empty list if the fact comes only from "
    "the physician's instruction)."
)

_TO_BULLETS = re.compile(
    r"^\s*(please\s+)?(make it |write it |put it |format it |as |in |into |use )?(a )?(bullet(ed)?( points?| list)?|bullets|a list|list form)\s*\.?\s*$",
    re.I,
)
_TO_PROSE = re.compile(
    r"^\s*(please\s+)?(make it |write it |put it |format it |as |in |into )?(a )?(paragraph|prose|full sentences|narrative)( form)?\s*\.?\s*$",
    re.I,
)

_ADDITIVE = re.compile(
    r"^\s*(please\s+)?(add|include|insert|mention|also\b|note that|document that|record that|chart that)", re.I
)

MAX_CONTEXT_LINES = 60


@dataclass
class DiffLine:
    op: Literal["keep", "remove", "add"]
    text: str
    statement: Statement
    from_instruction: bool = False  # unsupported by the transcript, but stated in the physician's instruction

    def render(self) -> str:
        mark = {"keep": " ", "remove": "-", "add": "+"}[self.op]
        flag = ""
        if self.op == "add":
            if self.from_instruction:
                flag = "   [from your instruction]"
            elif self.statement.status == StatementStatus.unsupported:
                flag = "   [unsupported: " + "; ".join(i.detail for i in self.statement.issues) + "]"
        return f"{mark} {self.text}{flag}"


@dataclass
class Revision:
    """A proposed change to one section; apply with :func:`accept_revision`."""

    note: NoteDraft
    section_key: str
    instruction: str
    statements: list[Statement]  # the proposed section content, grounded
    style: str | None
    diff: list[DiffLine] = field(default_factory=list)
    base_hash: str = ""  # content hash of the note the proposal was made for

    @property
    def changed(self) -> bool:
        old = self.note.section(self.section_key)
        return any(d.op != "keep" for d in self.diff) or (
            old is not None and (old.style or "bullets") != (self.style or "bullets")
        )

    def unified(self) -> str:
        """The diff as text: ``-`` removed, ``+`` added (with grounding flags), `` `` kept."""
        old = self.note.section(self.section_key)
        head = [f"Section: {old.title if old else self.section_key}   Instruction: {self.instruction}"]
        if old is not None and (old.style or "bullets") != (self.style or "bullets"):
            head.append(f"~ style: {old.style or 'bullets'} -> {self.style}")
        return "\n".join(head + [d.render() for d in self.diff]) + "\n"

    @property
    def unsupported(self) -> list[Statement]:
        ins = {id(d.statement) for d in self.diff if d.from_instruction}
        return [s for s in self.statements if s.status == StatementStatus.unsupported and id(s) not in ins]


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _diff(old: list[Statement], new: list[Statement], from_instruction: set[int]) -> list[DiffLine]:
    a, b = [_norm(s.text) for s in old], [_norm(s.text) for s in new]
    out: list[DiffLine] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out += [DiffLine("keep", s.text, s) for s in new[j1:j2]]
            continue
        out += [DiffLine("remove", s.text, s) for s in old[i1:i2]]
        out += [DiffLine("add", s.text, s, id(s) in from_instruction) for s in new[j1:j2]]
    return out


def _instruction_transcript(instruction: str) -> Transcript:
    return Transcript(
        segments=[Segment(id=0, start=0, end=1, text=instruction, speaker=SpeakerRole.clinician)], source="instruction"
    )


class SectionReviser:
    """Proposes revisions of one section with one runtime."""

    def __init__(self, runtime, *, medications: set[str] | None = None, max_tokens: int = 700):
        self.runtime = runtime
        self.medications = medications
        self.max_tokens = max_tokens

    # -- prompt ------------------------------------------------------------------------------

    def context_lines(self, section: Section, instruction: str, transcript: Transcript) -> list[str]:
        """Transcript lines the section cites (and their neighbours) plus those closest to the instruction."""
        meds = medication_names(self.medications)
        index = TranscriptIndex(transcript, meds)
        wanted: set[int] = set()
        for st in section.statements:
            for sid in st.evidence:
                wanted.update(index.window(sid, 1))
        for _, sid in index.best_segments(content_words(instruction), limit=8):
            wanted.update(index.window(sid, 1))
        if not section.statements and not wanted:
            wanted = set(index.order)
        kept = [s for s in transcript.segments if s.id in wanted][:MAX_CONTEXT_LINES]
        return format_transcript_lines(transcript.model_copy(update={"segments": kept}))

    def messages(self, section: Section, instruction: str, transcript: Transcript) -> list[dict]:
        current = (
            "\n".join(
                f"{i}. {st.text} [lines: {', '.join(map(str, st.evidence)) or 'none'}]"
                for i, st in enumerate(section.statements, 1)
            )
            or "(empty)"
        )
        style = "complete sentences that read as a paragraph" if section.style == "prose" else "short clinical phrases"
        task = (
            'Write only the new statements to add, as JSON: {"statements": [{"text": "...", "evidence": [3, 4]}]}'
            if _ADDITIVE.match(instruction)
            else 'Write the whole revised section as JSON: {"statements": [{"text": "...", "evidence": [3, 4]}, ...]}'
        )
        body = (
            "Transcript lines (numbered):\n"
            + "\n".join(self.context_lines(section, instruction, transcript))
            + f'\n\nThe section "{section.title}" of the note now reads ({style}):\n{current}\n\n'
            f'Physician\'s instruction: "{instruction.strip()}"\n\n' + task
        )
        return [{"role": "system", "content": REVISE_SYSTEM_PROMPT}, {"role": "user", "content": body}]

    @staticmethod
    def schema() -> dict:
        statement = {
            "type": "object",
            "properties": {
                "text": {
                    "type": "string",
                    "pattern": f"^{STATEMENT_CHARS}{{3,{MAX_STATEMENT_CHARS}}}$",
                },
                "evidence": {"type": "array", "items": {"type": "integer"}, "maxItems": 6},
            },
            "required": ["text", "evidence"],
            "additionalProperties": False,
        }
        return {
            "type": "object",
            "properties": {"statements": {"type": "array", "items": statement, "maxItems": MAX_STATEMENTS_PER_SECTION}},
            "required": ["statements"],
            "additionalProperties": False,
        }

    # -- proposing ---------------------------------------------------------------------------

    def propose(self, note: NoteDraft, section_key: str, instruction: str, transcript: Transcript) -> Revision:
        section = note.section(section_key)
        if section is None:
            raise InputError(
                f"The note has no section '{section_key}' (sections: {', '.join(s.key for s in note.sections)})."
            )
        instruction = (instruction or "").strip()
        if not instruction:
            raise InputError('Say what to change, e.g. "shorter" or "add that the patient declined the flu shot".')
        base = note.content_hash()
        if _TO_BULLETS.match(instruction) or _TO_PROSE.match(instruction):
            style = "bullets" if _TO_BULLETS.match(instruction) else "prose"
            return Revision(
                note,
                section_key,
                instruction,
                list(section.statements),
                style,
                [DiffLine("keep", s.text, s) for s in section.statements],
                base,
            )

        proposed = self._ask(section, instruction, transcript)
        if _ADDITIVE.match(instruction):  # keep the section, append what is new
            have = [content_words(s.text) for s in section.statements]
            new = [(t, ids) for t, ids in proposed if not any(same_fact(content_words(t), h) for h in have)]
            proposed = [(s.text, s.evidence) for s in section.statements] + new
        # unchanged statements keep their identity (id, confirmation); changed ones are new
        by_text = {_norm(s.text): s for s in section.statements}
        valid = {s.id for s in transcript.segments}
        statements = [
            by_text.get(_norm(text)) or Statement(text=text, evidence=[i for i in ids if i in valid])
            for text, ids in proposed
        ]
        checked = (
            ground_note(
                NoteDraft(sections=[Section(key=section.key, title=section.title, statements=statements)]),
                transcript,
                self.medications,
            )
            .sections[0]
            .statements
        )
        instr_index = TranscriptIndex(
            _instruction_transcript(instruction),
            medication_names(self.medications),
        )
        from_instruction = set()
        for st in checked:
            if (
                st.issues
                and not check_statement(
                    st.model_copy(update={"status": StatementStatus.supported, "evidence": [0]}), instr_index
                ).issues
            ):
                from_instruction.add(id(st))
        return Revision(
            note,
            section_key,
            instruction,
            checked,
            section.style,
            _diff(section.statements, checked, from_instruction),
            base,
        )

    def _ask(self, section: Section, instruction: str, transcript: Transcript) -> list[tuple[str, list[int]]]:
        messages = self.messages(section, instruction, transcript)
        schema = self.schema() if getattr(self.runtime, "supports_constrained_json", False) else None
        last = ""
        for _ in range(2):
            try:
                output = self.runtime.chat(messages, json_schema=schema, max_tokens=self.max_tokens, temperature=0.0)
            except DraftingError:
                raise
            except Exception as exc:
                raise DraftingError(f"The language model failed while revising: {exc}") from exc
            try:
                data = json.loads(output)
            except json.JSONDecodeError as exc:
                last = f"{exc.msg} at character {exc.pos}"
                data = repair_json(output)
            if isinstance(data, dict):
                raw = data.get("statements", next(iter(data.values()), []) if len(data) == 1 else [])
                items = coerce_statements(raw, clinical=False)[:MAX_STATEMENTS_PER_SECTION]
                if items or raw == []:
                    return items
                last = last or "no statements in the answer"
            messages = messages + [
                {"role": "assistant", "content": output[:2000]},
                {
                    "role": "user",
                    "content": f"That was not valid JSON ({last}). Answer again with only the JSON object.",
                },
            ]
        raise DraftingError(f"The language model did not produce a valid revision ({last}).")


# ----------------------------------------------------------------------------- accept / reject


def accept_revision(
    revision: Revision, clinician: str, transcript: Transcript, medications: set[str] | None = None
) -> NoteDraft:
    """Apply the revision as ``clinician``; grounding re-runs over the whole note."""
    from ..approval import require_name, require_unlocked

    name = require_name(clinician)
    note = revision.note
    require_unlocked(note)
    if revision.base_hash and note.content_hash() != revision.base_hash:
        raise InputError("The note changed after this revision was proposed; ask for the revision again.")
    from_instruction = {id(d.statement) for d in revision.diff if d.from_instruction}
    events = [NoteEvent(action="revised", actor=name, detail=f"{revision.section_key}: {revision.instruction}"[:300])]
    statements = []
    for st in revision.statements:
        if id(st) in from_instruction:
            st = st.model_copy(update={"status": StatementStatus.confirmed})
            events.append(
                NoteEvent(
                    action="confirmed",
                    actor=name,
                    statement_id=st.id,
                    detail=f"stated by {name} in the edit instruction",
                )
            )
        statements.append(st)
    sections = [
        sec.model_copy(update={"statements": statements, "style": revision.style})
        if sec.key == revision.section_key
        else sec
        for sec in note.sections
    ]
    updated = note.model_copy(update={"sections": sections, "events": [*note.events, *events]})
    return ground_note(updated, transcript, medications)


def reject_revision(revision: Revision, clinician: str) -> NoteDraft:
    """Leave the note as it was; the rejected request is recorded."""
    from ..approval import require_name

    name = require_name(clinician)
    note = revision.note
    if note.approval is not None:
        return note
    return note.model_copy(
        update={
            "events": [
                *note.events,
                NoteEvent(
                    action="revision_rejected",
                    actor=name,
                    detail=f"{revision.section_key}: {revision.instruction}"[:300],
                ),
            ]
        }
    )


def needs_model(instruction: str) -> bool:
    """False for the instructions applied without the language model ("as bullet points", "as prose")."""
    return not (_TO_BULLETS.match(instruction) or _TO_PROSE.match(instruction))
