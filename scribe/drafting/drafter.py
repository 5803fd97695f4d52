"""Turn a transcript into a grounded note draft with a local LLM.

The model is asked for JSON — one list of ``{"text", "evidence"}`` statements per template
section — so every statement arrives with the transcript line numbers that support it.
Where the runtime can constrain decoding to a JSON schema (llama.cpp, most OpenAI-compatible
servers) it does; otherwise the output is repaired, or the request retried once with the
parse error, before giving up with a clear :class:`DraftingError`.

The prompt is laid out so that everything before the transcript's last line is stable while
a visit goes on: instructions first, then the numbered transcript, then one short closing
line. :meth:`NoteDrafter.warm` can therefore prefill the prompt during the visit and only
the new tail is left to process when the physician presses Stop.

Drafting streams :class:`DraftEvent`s (tokens, section starts, finished statements) so the
UI can show the note as it is written; the final event carries the grounded note.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from ..domain import Encounter, NoteDraft, Section, SpeakerRole, Statement, Transcript
from ..errors import DraftingError, ModelCrashError
from ..grounding import clinical_notation, content_words, ground_note
from .grammar import chat_or_unconstrained, prefixed_entries_schema, schema_text, stream_or_unconstrained
from .long_visit import same_fact
from .templates import Template

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You are a careful medical scribe. You write the clinical note of a doctor-patient visit in "
    "English, using ONLY facts stated in the transcript. Never add a medication, dose, number, "
    "diagnosis, finding or plan that was not said. Keep symptoms the patient denied as denied "
    '("Denies nausea."). Keep each medication with the dose that was said for it, and keep '
    "current medications apart from new or changed ones. Transcript lines are labelled Doctor or "
    "Patient: what the patient reports is history, what the doctor examined, measured or decided is "
    "exam, results, assessment and plan. Write factual statements in clinical style and in the third "
    'person ("The patient reports ..."), not as quotes of the dialogue, without labels such as '
    '"Plan:". Put each fact in exactly one section and state it once. If nothing was said for a section, give '
    "an empty list."
)
CITE_INSTRUCTION = "After each statement cite the numbers of the transcript lines that support it."

MAX_STATEMENTS_PER_SECTION = 14
# What a statement may contain while decoding: printable ASCII (a multilingual model otherwise
# drifts into another script mid-note) without '"' and '\'. With the quote allowed, the grammar let
# a looping model write '..., "No nausea", "No sweating", ...' *inside one string*, so maxItems
# never closed the list: a section ran on for its whole token budget (measured: 600 tokens).
STATEMENT_CHARS = r"[ !#-\[\]-~]"
MAX_STATEMENT_CHARS = 240
# A string the model may write for one statement. Longer than a statement: a small model often puts
# several sentences in one string, and cutting it at MAX_STATEMENT_CHARS while decoding left
# statements ending mid-word ("... and she got." -> "... and s.") that the model then repeated.
# Such strings are split at sentence ends instead (split_statement).
MAX_ANSWER_CHARS = 600


@dataclass
class DraftEvent:
    """One step of a streamed draft, for a UI or a progress bar."""

    kind: Literal["token", "section", "statement", "done"]
    text: str = ""
    section_key: str | None = None
    statement: Statement | None = None
    note: NoteDraft | None = None


@dataclass
class DraftStats:
    prompt_tokens: int = 0
    output_chars: int = 0
    first_token_s: float | None = None
    total_s: float = 0.0
    attempts: int = 0
    repaired: bool = False
    extra: dict = field(default_factory=dict)


def _speaker(role: SpeakerRole) -> str:
    return {"clinician": "Doctor", "patient": "Patient"}.get(role.value, "Speaker")


def format_transcript_lines(transcript: Transcript) -> list[str]:
    return [f"[{s.id}] {_speaker(s.speaker)}: {s.text.strip()}" for s in transcript.segments if s.text.strip()]


# the model talking about its input instead of the visit
_META = re.compile(
    r"\b(?:transcript|conversation|dialogue)\b|\b(?:not|never|no longer) (?:been )?(?:mentioned|discussed|stated|"
    r"said|specified|provided)\b|\bno (?:information|mention|details?)\b",
    re.I,
)


def _neighbours(transcript: Transcript, seg_id: int) -> list[int]:
    order = [s.id for s in transcript.segments]
    i = order.index(seg_id)
    return order[max(0, i - 1) : i + 2]


def tokens_of(text: str) -> list[str]:
    from ..grounding import tokens

    return tokens(text)


def note_schema(template: Template, cite: bool = True) -> dict:
    """JSON schema of the answer: per section, statement objects ``{"text", "evidence"}`` (``cite``)
    or plain statement strings."""
    # printable ASCII keeps a multilingual model from drifting into another script mid-note
    text = {"type": "string", "minLength": 3, "maxLength": MAX_ANSWER_CHARS, "pattern": f"^{STATEMENT_CHARS}*$"}
    statement = (
        {
            "type": "object",
            "properties": {
                "text": text,
                "evidence": {"type": "array", "items": {"type": "integer"}, "maxItems": 6},
            },
            "required": ["text", "evidence"],
            "additionalProperties": False,
        }
        if cite
        else text
    )
    return {
        "type": "object",
        "properties": {
            s.key: {"type": "array", "items": statement, "maxItems": MAX_STATEMENTS_PER_SECTION}
            for s in template.sections
        },
        "required": template.section_keys(),
        "additionalProperties": False,
    }


STYLE_HINTS = {
    "bullets": "short clinical phrases, one fact each",
    "prose": "complete sentences that read as a paragraph when joined",
}


def _instructions(template: Template, sectioned: bool = False, cite: bool = True) -> str:
    lines = [f"Write a {template.title} with these sections:"]
    for s in template.sections:
        lines.append(f'- "{s.key}" ({s.title}; {STYLE_HINTS[template.section_style(s.key)]}): {s.instructions}')
    item = '{"text": "...", "evidence": [3, 4]}' if cite else '"..."'
    explain = (
        ' "evidence" lists the transcript line numbers in square brackets that support the statement.'
        if cite
        else " Each string is one statement."
    )
    if sectioned:
        lines.append(
            "You will be asked for one section at a time. Answer each time with one JSON object only, no other "
            f'text: {{"<section key>": [{item}, ...]}}.' + explain
        )
        return "\n".join(lines)
    example = ", ".join(f'"{s.key}": [{item}]' for s in template.sections[:2])
    lines.append("Answer with one JSON object only, no other text, in this form: {" + example + ", ...}." + explain)
    return "\n".join(lines)


def build_messages(
    template: Template,
    transcript_lines: list[str],
    closing: bool = True,
    *,
    section: str | None = None,
    sectioned: bool = False,
    system_prompt: str = SYSTEM_PROMPT,
    preamble: str = "",
    cite: bool = True,
    preamble_last: bool = False,
) -> list[dict]:
    """Instructions, then the transcript, then a short closing cue (omitted when warming).

    ``preamble`` opens the request, or with ``preamble_last`` follows the instructions (so the
    instructions are one cached prefix for every part of a visit drafted while it goes on).

    With ``sectioned`` the closing cue asks for the one section ``section``; everything before it
    is the same for every section, so the model's prefix cache serves all of them. ``cite`` asks
    for the supporting line numbers with every statement.
    """
    if cite:
        system_prompt = f"{system_prompt} {CITE_INSTRUCTION}"
    instructions = _instructions(template, sectioned or section is not None, cite)
    if preamble_last:
        body = instructions + ("\n\n" + preamble if preamble else "")
    else:
        body = (preamble + "\n\n" if preamble else "") + instructions
    body += "\n\nTranscript:\n" + "\n".join(transcript_lines)
    if closing:
        if section is None:
            body += "\n\nEnd of transcript. Now write the note as JSON."
        else:
            ts = next(x for x in template.sections if x.key == section)
            body += (
                f'\n\nEnd of transcript. Now write only the section "{ts.key}" ({ts.title}; '
                f"{STYLE_HINTS[template.section_style(ts.key)]}): {ts.instructions} "
                f'Answer as JSON: {{"{ts.key}": [...]}}'
            )
    return [{"role": "system", "content": system_prompt}, {"role": "user", "content": body}]


def section_schema(template: Template, key: str, cite: bool = True) -> dict:
    full = note_schema(template, cite)
    return {
        "type": "object",
        "properties": {key: full["properties"][key]},
        "required": [key],
        "additionalProperties": False,
    }


# ----------------------------------------------------------------------------- parsing


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```\s*$", re.M)


def repair_json(text: str) -> dict | None:
    """Best-effort recovery of a JSON object from free-running model output.

    Handles code fences, prose around the object, trailing commas and output cut off by the
    token limit (open strings, arrays and objects are closed). Returns None if nothing usable.
    """
    t = _FENCE.sub("", text.strip())
    start = t.find("{")
    if start < 0:
        return None
    t = t[start:]
    try:
        obj, _ = json.JSONDecoder().raw_decode(t)
        return obj if isinstance(obj, dict) else None
    except json.JSONDecodeError:
        pass
    # close what the truncation left open
    stack: list[str] = []
    in_str = esc = False
    for ch in t:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"':
            in_str = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
    fixed = t + ('"' if in_str else "")
    fixed = re.sub(r",\s*$", "", fixed.rstrip())
    fixed = re.sub(r'[,:]\s*"[^"]*"?\s*$', "", fixed) if fixed.rstrip().endswith(":") else fixed
    fixed += "".join(reversed(stack))
    fixed = re.sub(r",\s*([}\]])", r"\1", fixed)
    try:
        obj = json.loads(fixed)
        return obj if isinstance(obj, dict) else None
    except json.JSONDecodeError:
        return None


_SENTENCE_END = re.compile(
    r"(?<!\bDr)(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bvs)(?<!\be\.g)(?<!\bi\.e)(?<!\bSt)([.!?;])\s+(?=[A-Z0-9])"
)


def split_statement(text: str, limit: int = MAX_STATEMENT_CHARS) -> list[str]:
    """One string of the model as statements of at most ``limit`` characters: a longer string is
    cut into its sentences (a word boundary only inside a single overlong sentence)."""
    if len(text) <= limit:
        return [text]
    sentences = [p.strip() for p in re.split(r"(?<=\x00)", _SENTENCE_END.sub(lambda m: m.group(1) + "\x00", text))]
    sentences = [p.replace("\x00", "").strip() for p in sentences if p.replace("\x00", "").strip()]
    out: list[str] = []
    for sent in sentences:
        while len(sent) > limit:
            cut = sent.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            out.append(sent[:cut].rstrip(" ,;"))
            sent = sent[cut:].strip()
        if sent:
            out.append(sent)
    return out


def collapse_repeats(text: str) -> str:
    """A looping model repeats a clause inside one string ("father had a heart attack at 62, father
    had a heart attack at 62, father had"): keep it once, and drop a repeat cut off by the length
    limit. Only exact repeats of the clause before go (case and spacing aside), so no fact is lost."""
    clauses = [c.strip() for c in re.split(r",\s+", text)]  # (not "1,000")
    if len(clauses) < 2:
        return text
    kept: list[str] = []
    for i, clause in enumerate(clauses):
        low, prev = clause.lower(), kept[-1].lower() if kept else ""
        if kept and low and (low == prev or prev.endswith(" " + low) or prev.endswith(": " + low)):
            continue  # the clause before, again (or ending with it: "history: X, X")
        if (
            kept
            and i == len(clauses) - 1
            and len(kept) < i
            and low
            and (prev.startswith(low) or prev.split(": ", 1)[-1].startswith(low))
        ):
            continue  # a repeat cut short by the length limit, after repeats were dropped
        kept.append(clause)
    return ", ".join(kept) if len(kept) < len(clauses) else text


def _coerce_statements(value) -> list[tuple[str, list[int]]]:
    """Accept the shapes small models actually produce: objects, bare strings, nested lists."""
    out: list[tuple[str, list[int]]] = []
    if isinstance(value, (str, dict)):
        value = [value]
    if not isinstance(value, list):
        return out
    for item in value:
        ev: Any
        if isinstance(item, str):
            text, ev = item, []
        elif isinstance(item, dict):
            text = item.get("text") or item.get("statement") or ""
            ev = item.get("evidence") or item.get("lines") or []
        else:
            continue
        if not isinstance(text, str):
            continue
        text = re.sub(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]\s*$", "", text.strip())  # citations written inline
        text = collapse_repeats(clinical_notation(text))
        ids = []
        for e in ev if isinstance(ev, list) else [ev]:
            try:
                ids.append(int(str(e).strip("[] ")))
            except ValueError:
                continue
        if len(text) >= 3:
            out.extend((piece, ids) for piece in split_statement(text) if len(piece) >= 3)
    return out


def note_from_json(data: dict, template: Template, encounter: Encounter, valid_ids: set[int]) -> NoteDraft:
    sections = []
    lowered = {str(k).lower().replace(" ", "_"): v for k, v in data.items()}
    for ts in template.sections:
        raw = lowered.get(ts.key, lowered.get(ts.title.lower().replace(" ", "_"), []))
        seen: list[set[str]] = []
        statements: list[Statement] = []
        for text, ids in _coerce_statements(raw)[:MAX_STATEMENTS_PER_SECTION]:
            words = content_words(text) or {text.lower().strip(" .")}
            evidence = [i for i in dict.fromkeys(ids) if i in valid_ids]
            dup = next((k for k, other in enumerate(seen) if same_fact(words, other)), None)
            if dup is not None:  # small models repeat themselves, sometimes with a word changed: keep the fuller one
                if len(words) > len(seen[dup]):
                    seen[dup] = words
                    statements[dup] = Statement(
                        text=text, evidence=list(dict.fromkeys([*statements[dup].evidence, *evidence]))
                    )
                continue
            seen.append(words)
            statements.append(Statement(text=text, evidence=evidence))
        sections.append(
            Section(key=ts.key, title=ts.title, statements=statements, style=template.section_style(ts.key))
        )
    return NoteDraft(template=template.name, encounter=encounter, sections=sections)


class _StreamScanner:
    """Finds section starts and finished statements (objects or plain strings) in a growing JSON text."""

    _SECTION = re.compile(r'"([A-Za-z_ ]+)"\s*:\s*\[')

    def __init__(self, section_keys: list[str]):
        self.keys = set(section_keys)
        self.buf = ""
        self.pos = -1  # -1 until the outer "{" has been seen
        self.current: str | None = None
        self.in_array = False

    def feed(self, piece: str) -> Iterator[tuple[str, Any]]:
        self.buf += piece
        if self.pos < 0:
            outer = self.buf.find("{")
            if outer < 0:
                return
            self.pos = outer + 1
        decoder = json.JSONDecoder()
        while True:
            if not self.in_array:
                header = self._SECTION.search(self.buf, self.pos)
                if not header:
                    return
                key = header.group(1).lower().replace(" ", "_")
                self.current = key if key in self.keys else None
                self.pos, self.in_array = header.end(), True
                if self.current:
                    yield "section", self.current
                continue
            m = re.compile(r"[\s,]*").match(self.buf, self.pos)
            i = m.end() if m else self.pos  # (the pattern always matches)
            if i >= len(self.buf):
                return
            ch = self.buf[i]
            if ch == "]":
                self.pos, self.in_array = i + 1, False
                continue
            if ch not in '{"':  # something unexpected: resynchronise on the next section header
                self.pos, self.in_array = i + 1, False
                continue
            try:
                item, end = decoder.raw_decode(self.buf, i)
            except json.JSONDecodeError:
                return  # the statement is not finished yet
            self.pos = end
            for statement in _coerce_statements([item]) if self.current else []:
                yield "statement", (self.current, statement)


# ----------------------------------------------------------------------------- drug names


def respell_medications(note: NoteDraft, transcript: Transcript, medications: set[str] | None = None) -> NoteDraft:
    """Fix the model's misspellings of drugs that were said ("Laxis" for "Lasix").

    A word of the note that the transcript never uses is replaced by a drug the transcript names
    when it is that drug's name with one letter changed, added or dropped, or with its letters
    swapped around (same letters, same first letter). Anything else is left for grounding to
    flag. Only drugs actually said are candidates, so this cannot introduce a new medication.
    """
    from ..grounding import tokens
    from ..lexicon import edit_distance_le1, medication_names, medications_in

    known = medication_names(medications)
    said_tokens = set(tokens(transcript.text))
    said = {m for _, m in medications_in(list(said_tokens), known) if " " not in m and len(m) >= 5}
    if not said:
        return note

    def fix(match: re.Match) -> str:
        word = match.group(0)
        low = word.lower()
        if low in said_tokens or len(low) < 5:
            return word
        for m in sorted(said):
            if (
                m[0] == low[0]
                and abs(len(m) - len(low)) <= 1
                and (edit_distance_le1(low, m) or sorted(low) == sorted(m))
            ):
                return m.capitalize() if word[0].isupper() else m
        return word

    sections = []
    changed = False
    for sec in note.sections:
        statements = []
        for st in sec.statements:
            text = re.sub(r"[A-Za-z]{5,}", fix, st.text)
            if text != st.text:
                changed = True
                st = st.model_copy(update={"text": text})
            statements.append(st)
        sections.append(sec.model_copy(update={"statements": statements}))
    return note.model_copy(update={"sections": sections}) if changed else note


# ----------------------------------------------------------------------------- drafter


class NoteDrafter:
    """Drafts notes for one template with one runtime; reusable across visits.

    ``sectioned`` asks the model for one section at a time: every request shares the instructions
    and transcript as a prefix (prefilled once, served from the runtime's prefix cache) and
    differs only in a closing line naming the section. A small model writes fuller, better-placed
    sections that way than in one long JSON answer. ``sectioned=False`` asks for the whole note in
    one answer. The default (None) is sectioned when the runtime constrains decoding to a JSON
    schema (every answer is then valid by construction, so more requests cost no reliability)
    and one answer otherwise (each extra free-form answer is another chance of broken JSON).

    A transcript too long for the context window is drafted in parts and merged
    (:mod:`scribe.drafting.long_visit`), never truncated. Segments without a speaker get one from
    :func:`scribe.roles.label_roles` first, so the prompt says who said what.

    ``cite`` asks the model to give the supporting transcript line numbers with every statement.
    It is off by default: on the default model it doubles the answer (151 vs 76 tokens for five
    HPI statements, measured with its tokenizer), so the note takes about twice as long on a CPU,
    while the grounding check finds each statement's evidence in the transcript either way (it
    keeps only cited lines that share content with the statement, and adds the best-matching ones).
    """

    def __init__(
        self,
        runtime,
        template: Template,
        *,
        max_tokens: int = 1400,
        max_attempts: int = 2,
        medications: set[str] | None = None,
        sectioned: bool | None = None,
        section_max_tokens: int = 600,
        system_prompt: str = SYSTEM_PROMPT,
        preamble: str = "",
        label_speakers: bool = True,
        cite: bool = False,
        cover_medications: bool = True,
    ):
        self.runtime = runtime
        self.template = template
        self.max_tokens = max_tokens
        self.max_attempts = max_attempts
        self.medications = medications
        self._sectioned = sectioned
        self.section_max_tokens = section_max_tokens
        self.system_prompt = system_prompt
        self.preamble = preamble
        self.label_speakers = label_speakers
        self.cite = cite
        self.cover_medications = cover_medications
        self.preamble_last = False  # see build_messages; set by LiveDrafter
        self.stats = DraftStats()

    @property
    def sectioned(self) -> bool:
        if self._sectioned is None:
            return bool(getattr(self.runtime, "supports_constrained_json", False))
        return self._sectioned

    # -- prompt ----------------------------------------------------------------

    def _build(
        self, lines: list[str], closing: bool = True, section: str | None = None, preamble: str | None = None
    ) -> list[dict]:
        return build_messages(
            self.template,
            lines,
            closing,
            section=section,
            sectioned=self.sectioned,
            system_prompt=self.system_prompt,
            preamble=self.preamble if preamble is None else preamble,
            cite=self.cite,
            preamble_last=self.preamble_last,
        )

    def prepare(self, transcript: Transcript) -> Transcript:
        """The transcript as the model will see it: unknown speakers labelled from content."""
        if self.label_speakers and any(s.speaker == SpeakerRole.unknown for s in transcript.segments):
            from ..roles import label_roles

            return label_roles(transcript)
        return transcript

    def messages(self, transcript: Transcript) -> list[dict]:
        """The (first) request for this transcript."""
        lines = format_transcript_lines(self.prepare(transcript))
        return self._build(lines, section=self.template.sections[0].key if self.sectioned else None)

    def warm(self, transcript: Transcript) -> None:
        """Prefill the stable prompt prefix while the visit is still going on."""
        lines = format_transcript_lines(self.prepare(transcript))
        if lines:
            messages = self._build(lines, closing=False)
            if self.fits(self.prompt_tokens(messages)):
                self.runtime.warm(messages)

    @property
    def output_budget(self) -> int:
        """Tokens one request may generate (what the window must leave free after the prompt)."""
        return self.section_max_tokens if self.sectioned else self.max_tokens

    def prompt_tokens(self, messages: list[dict]) -> int:
        return self.runtime.count_tokens("\n".join(m["content"] for m in messages))

    def fits(self, n_prompt: int) -> bool:
        # chat-template tokens and the closing line come on top of the counted text
        return n_prompt + 64 + max(256, self.output_budget) <= self.runtime.context_window

    # -- drafting --------------------------------------------------------------

    def stream(self, transcript: Transcript, encounter: Encounter | None = None) -> Iterator[DraftEvent]:
        if transcript.is_empty():
            raise DraftingError("The transcript is empty: there is nothing to draft a note from.")
        encounter = encounter or Encounter(visit_type=self.template.name)
        transcript = self.prepare(transcript)
        t0 = time.perf_counter()
        self.stats = DraftStats()
        n = self.prompt_tokens(self.messages(transcript))
        if self.fits(n):
            self.stats.prompt_tokens = n
            note = yield from self.stream_part(transcript, encounter, t0)
        else:
            from .long_visit import stream_in_parts

            note = yield from stream_in_parts(self, transcript, encounter, t0)
        note = yield from self.complete(note, transcript, encounter)
        self.stats.total_s = time.perf_counter() - t0
        yield DraftEvent(kind="done", note=note)

    def complete(self, note: NoteDraft, transcript: Transcript, encounter: Encounter):
        """What every draft gets last, however its statements were drafted: the medication pass
        (its statement events are yielded), spelling, then grounding against the whole transcript.
        Returns the finished note."""
        if self.cover_medications:
            note = yield from self.cover_missing_medications(note, transcript)
        note = note.model_copy(
            update={
                "encounter": encounter,
                "model": getattr(self.runtime, "model_name", None),
                "runtime": getattr(self.runtime, "name", None),
            }
        )
        note = respell_medications(note, transcript, self.medications)
        return ground_note(note, transcript, self.medications)

    def stream_part(
        self,
        transcript: Transcript,
        encounter: Encounter,
        t0: float,
        preamble: str | None = None,
        sections: list[str] | None = None,
    ):
        """Draft a transcript that fits the window: events, then (as the generator's return value)
        the note before grounding. ``sections`` (sectioned drafting only): ask for these alone,
        the others are left empty."""
        lines = format_transcript_lines(transcript)
        valid_ids = {s.id for s in transcript.segments}
        constrained = getattr(self.runtime, "supports_constrained_json", False)
        if not self.sectioned:
            messages = self._build(lines, preamble=preamble)
            schema = note_schema(self.template, self.cite) if constrained else None
            data = yield from self._generate(
                messages, schema, self.template.section_keys(), valid_ids, self.max_tokens, t0
            )
            if data is None:
                raise DraftingError(
                    f"The language model did not produce a valid note after {self.max_attempts} attempts "
                    f"({self.stats.extra.get('last_error', 'no statements in the answer')})."
                )
            return note_from_json(data, self.template, encounter, valid_ids)
        merged: dict = {}
        failures = 0
        asked = [ts for ts in self.template.sections if sections is None or ts.key in sections]
        for ts in asked:
            messages = self._build(lines, section=ts.key, preamble=preamble)
            schema = section_schema(self.template, ts.key, self.cite) if constrained else None
            data = yield from self._generate(
                messages, schema, [ts.key], valid_ids, self.section_max_tokens, t0, allow_empty=True
            )
            if data is None:
                failures += 1
                continue
            lowered = {str(k).lower().replace(" ", "_"): v for k, v in data.items()}
            merged[ts.key] = lowered.get(
                ts.key,
                lowered.get(
                    ts.title.lower().replace(" ", "_"), next(iter(data.values()), []) if len(data) == 1 else []
                ),
            )
        if asked and failures == len(asked):
            raise DraftingError(
                f"The language model did not produce a valid note after {self.max_attempts} attempts "
                f"({self.stats.extra.get('last_error', 'no statements in the answer')})."
            )
        return note_from_json(merged, self.template, encounter, valid_ids)

    def _generate(
        self,
        messages: list[dict],
        schema: dict | None,
        keys: list[str],
        valid_ids: set[int],
        max_tokens: int,
        t0: float,
        allow_empty: bool = False,
    ):
        """One request with retry/repair: yields events, returns the parsed JSON object or None."""
        last_error = ""
        for _attempt in range(1, self.max_attempts + 1):
            self.stats.attempts += 1
            scanner = _StreamScanner(keys)
            pieces: list[str] = []
            try:
                for piece in stream_or_unconstrained(
                    self.runtime,
                    messages,
                    json_schema=schema,
                    notices=self.stats.extra.setdefault("notices", []),
                    max_tokens=max_tokens,
                    temperature=0.0,
                ):
                    if self.stats.first_token_s is None:
                        self.stats.first_token_s = time.perf_counter() - t0
                    pieces.append(piece)
                    yield DraftEvent(kind="token", text=piece)
                    for kind, payload in scanner.feed(piece):
                        if kind == "section":
                            yield DraftEvent(kind="section", section_key=payload)
                        else:
                            key, (text, ids) = payload
                            yield DraftEvent(
                                kind="statement",
                                section_key=key,
                                statement=Statement(text=text, evidence=[i for i in ids if i in valid_ids]),
                            )
            except DraftingError:
                raise
            except Exception as exc:  # runtime failures become one clear line
                raise DraftingError(f"The language model failed while drafting: {exc}") from exc
            output = "".join(pieces)
            self.stats.output_chars += len(output)
            data: dict | None
            try:
                parsed = json.loads(output)
                data = parsed if isinstance(parsed, dict) else None
                if data is None:
                    last_error = "the answer is not a JSON object"
            except json.JSONDecodeError as exc:
                last_error = f"{exc.msg} at character {exc.pos}"
                data = repair_json(output)
                self.stats.repaired = self.stats.repaired or data is not None
            if data is not None and (
                any(_coerce_statements(v) for v in data.values())
                or (allow_empty and any(str(k).lower() in keys for k in data))
            ):
                return data
            last_error = last_error or "no statements in the answer"
            self.stats.extra["last_error"] = last_error
            messages = messages + [
                {"role": "assistant", "content": output[:2000]},
                {
                    "role": "user",
                    "content": f"That was not valid note JSON ({last_error}). Answer again with only the JSON object.",
                },
            ]
        return None

    # -- medication coverage ---------------------------------------------------------------

    def missing_medications(self, note: NoteDraft, transcript: Transcript) -> dict[str, list[int]]:
        """Drugs said in the visit that the note never names, with the lines that name them.

        Drugs named only as allergies are left out (they belong in an allergy statement, which the
        model writes from the allergy line itself)."""
        from ..grounding import TranscriptIndex, allergy_only, tokens
        from ..lexicon import medication_names, medications_in, mentioned

        known = medication_names(self.medications)
        index = TranscriptIndex(transcript, known)
        note_tokens = set(tokens(" ".join(st.text for st in note.statements())))
        note_text = " ".join(tokens(" ".join(st.text for st in note.statements())))
        missing: dict[str, list[int]] = {}
        for sid in index.order:
            for _, med in medications_in(index.tokens[sid], known):
                if med in missing:
                    missing[med].append(sid)
                    continue
                named = mentioned(med, note_tokens, note_text)
                if not named and not allergy_only(med, index):
                    missing[med] = [sid]
        return missing

    def cover_missing_medications(self, note: NoteDraft, transcript: Transcript):
        """One short extra request when the draft leaves out a drug that was discussed.

        A small model drafting a long note drops a drug now and then ("tried Tylenol, it didn't
        help"; "fifty milligrams of Ultram" at the end of the plan). Each drug said in the visit but
        absent from the note is asked for once, with only the lines that name it (and their
        neighbours) as context, and the answer goes into the section the model picks. The answer has
        one entry per drug, keyed by its name, whose statement must start with that name (asked for
        a list, the bundled 1.5B model padded it with unrelated statements and left the drug out).
        The new statements are grounded like every other one. Yields statement events; returns the note."""
        missing = self.missing_medications(note, transcript)
        if not missing:
            return note
        ids = sorted({w for sids in missing.values() for sid in sids for w in _neighbours(transcript, sid)})
        context = transcript.model_copy(update={"segments": [s for s in transcript.segments if s.id in ids]})
        keys = self.template.section_keys()
        names = sorted(missing)
        # each drug's name as it can appear in the answer's JSON (scribe.drafting.grammar.schema_text)
        safe = {m: schema_text(m) for m in names}
        body = (
            "Transcript lines:\n"
            + "\n".join(format_transcript_lines(context))
            + "\n\nThe note has these sections: "
            + ", ".join(f'"{s.key}" ({s.title})' for s in self.template.sections)
            + f".\nThese medications were discussed in the visit but the note does not mention them: {', '.join(names)}. "
            "For each one write one statement, starting with its name, with what was said about it: the dose and how "
            "often if said, and whether the patient takes it or tried it, or whether it was started, continued, "
            "changed or stopped. Give the key of the section it belongs in. Answer as JSON: {"
            + ", ".join(
                f'"{safe[m]}": {{"section": "<section key>", "text": "{safe[m].capitalize()} ..."}}' for m in names
            )
            + "}"
        )
        messages = [{"role": "system", "content": self.system_prompt}, {"role": "user", "content": body}]

        # one entry per drug, whose statement starts with its name: a small model otherwise wrote about something else
        schema = prefixed_entries_schema(
            {safe[m]: safe[m].capitalize() for m in names}, keys, STATEMENT_CHARS, MAX_STATEMENT_CHARS
        )
        constrained = getattr(self.runtime, "supports_constrained_json", False)
        try:
            output = chat_or_unconstrained(
                self.runtime,
                messages,
                json_schema=schema if constrained else None,
                notices=self.stats.extra.setdefault("notices", []),
                max_tokens=100 * len(missing) + 20,
                temperature=0.0,
            )
        except ModelCrashError:  # the model's process died: the draft fails and the app offers Retry
            raise
        except Exception as exc:  # the note stands without it; grounding and the physician still see the gap
            log.warning("the medication pass failed: %s", exc)
            self.stats.extra.setdefault("notices", []).append(
                f"The check for medications left out of the note failed ({exc}); make sure every drug discussed "
                "is in the note."
            )
            return note
        data = repair_json(output) if output else None
        self.stats.extra["medication_pass"] = names
        if not data:
            return note
        default = next((k for k in keys if "plan" in k), next((k for k in keys if "medication" in k), keys[-1]))
        valid_ids = {s.id for s in transcript.segments}
        added: dict[str, list[Statement]] = {}
        for med in names:
            raw = data.get(safe[med], data.get(med))
            if not isinstance(raw, dict):
                continue
            key = str(raw.get("section", "")).lower().replace(" ", "_")
            key = key if key in keys else default
            text = str(raw.get("text", "")).strip()
            if _META.search(text):  # "Ultram is not mentioned in the transcript": a remark, not a fact of the visit
                continue
            if med not in set(tokens_of(text)) and med not in text.lower():
                text = f"{med.capitalize()}: {text}"  # unconstrained answers: the statement is about this drug
            for piece, _ in _coerce_statements([text]):
                st = Statement(text=piece, evidence=[i for i in missing[med] if i in valid_ids])
                added.setdefault(key, []).append(st)
                yield DraftEvent(kind="statement", section_key=key, statement=st)
        if not added:
            return note
        sections = [
            sec.model_copy(update={"statements": [*sec.statements, *added.get(sec.key, [])]}) for sec in note.sections
        ]
        return note.model_copy(update={"sections": sections})

    def draft(
        self,
        transcript: Transcript,
        encounter: Encounter | None = None,
        on_event: Callable[[DraftEvent], None] | None = None,
    ) -> NoteDraft:
        note = None
        for ev in self.stream(transcript, encounter):
            if on_event:
                on_event(ev)
            if ev.kind == "done":
                note = ev.note
        assert note is not None
        return note
