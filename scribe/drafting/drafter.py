"""Turn a transcript into a grounded note draft with a local LLM.

One path from transcript to note:

1. **Ask.** The model answers a fixed series of narrow questions about the visit
   (:mod:`scribe.drafting.questions`): who the patient is and why they came, the history of the
   present illness, history, medications, review of systems, exam, results, the problems, and then
   each problem's assessment and plan. Every question is one schema-constrained request whose prompt
   is the system prompt and the numbered transcript (a prefix shared by all of them, prefilled once
   and kept warm during a visit) followed by the question. Answers stream as tokens; each answer's
   facts are streamed as statements of the section they go into.
2. **Check and compose** (:mod:`scribe.drafting.compose`): exam findings and vital signs nobody
   stated are left out, the dialogue's voice is turned into clinical third person, and the
   template's sections are composed from the facts by rule.
3. **Finish**: a drug said in the visit but missing from the note is asked about once more, drug
   names take the transcript's spelling, and grounding links every statement to its evidence.

A transcript too long for the context window is asked about part by part
(:mod:`scribe.drafting.long_visit`); the facts of all parts compose one note. Where the runtime
cannot constrain decoding, answers are repaired, or the request retried once with the parse
error, before the question is given up (a note with every question failed is a
:class:`DraftingError`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from ..domain import Encounter, NoteDraft, SpeakerRole, Statement, Transcript
from ..errors import DraftingError, ModelCrashError
from ..grounding import ground_note
from .compose import PATIENT_BLOCKS, check_facts, clean_text, compose_note, not_taken
from .grammar import stream_or_unconstrained
from .long_visit import part_preamble, split_for_window
from .questions import (
    SYSTEM_PROMPT,
    Fact,
    Question,
    VisitFacts,
    build_messages,
    format_transcript_lines,
    medication_question,
    parse_answer,
    questions_for,
)
from .templates import Block, Template


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
    questions: int = 0
    failed_questions: int = 0
    repaired: bool = False
    extra: dict = field(default_factory=dict)


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
    opened = -1  # where the last string began
    for i, ch in enumerate(t):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"':
            in_str, opened = True, i
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
    if in_str:  # the open string was cut mid-word: back to its last clause or word ("an infe" -> "an")
        body = t[opened + 1 :]
        end = max(body.rfind(". "), body.rfind(", "), body.rfind("; "))
        end = end if end > len(body) // 2 else body.rfind(" ")
        t = t[: opened + 1] + body[:end] + '"' if end > 0 else re.sub(r',?\s*"[^"]*"\s*:\s*$', "", t[:opened])
    fixed = t
    fixed = re.sub(r",\s*$", "", fixed.rstrip())
    fixed = re.sub(r'[,:]\s*"[^"]*"?\s*$', "", fixed) if fixed.rstrip().endswith(":") else fixed
    fixed += "".join(reversed(stack))
    fixed = re.sub(r",\s*([}\]])", r"\1", fixed)
    try:
        obj = json.loads(fixed)
        return obj if isinstance(obj, dict) else None
    except json.JSONDecodeError:
        return None


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


PATIENT_BLOCK_KEYS = frozenset(b.value for b in PATIENT_BLOCKS)
# a statement about a drug that orders something is plan; one about what the patient did is history
_ORDERS = re.compile(
    r"^(?:[A-Za-z ]+:\s*)?(?:start|continue|increase|decrease|reduce|stop|discontinue|switch|change|refill|prescribe|"
    r"take|use|begin|hold)\b|\b(?:prescrib\w*|will|should|recommend\w*|refill\w*|the doctor)\b",
    re.I,
)


class NoteDrafter:
    """Drafts notes for one template with one runtime; reusable across visits.

    ``system_prompt`` and ``preamble`` (a paragraph before the transcript) let other documents reuse
    the machinery (the after-visit summary); ``clinical=False`` keeps their voice (it is addressed to
    the patient) instead of the note's clinical third person. Segments without a speaker get one
    from :func:`scribe.roles.label_roles` first, so the prompt says who said what.
    """

    def __init__(
        self,
        runtime,
        template: Template,
        *,
        max_attempts: int = 2,
        medications: set[str] | None = None,
        section_max_tokens: int = 400,
        system_prompt: str = SYSTEM_PROMPT,
        preamble: str = "",
        label_speakers: bool = True,
        cover_medications: bool = True,
        clinical: bool = True,
    ):
        self.runtime = runtime
        self.template = template
        self.max_attempts = max_attempts
        self.medications = medications
        self.section_max_tokens = section_max_tokens
        self.system_prompt = system_prompt
        self.preamble = preamble
        self.label_speakers = label_speakers
        self.cover_medications = cover_medications
        self.clinical = clinical
        self.stats = DraftStats()
        self._sections_started: set[str] = set()

    # -- prompt ----------------------------------------------------------------

    def questions(self) -> list[Question]:
        """The questions asked of every visit (each problem's question follows once they are known)."""
        return questions_for(self.template, self.section_max_tokens, self.clinical)

    def prepare(self, transcript: Transcript) -> Transcript:
        """The transcript as the model will see it: tags that read the wrong way round swapped back, unknown
        speakers labelled from content."""
        if not self.label_speakers:
            return transcript
        from ..roles import consistent_roles, label_roles

        fixed = consistent_roles(transcript)
        if fixed is not transcript and not self.stats.extra.get("speaker_tags_swapped"):
            self.stats.extra["speaker_tags_swapped"] = True
            self.stats.extra.setdefault("notices", []).append(
                "The speaker tags read the wrong way round (the doctor's lines speak as a patient does): "
                "the note was drafted with doctor and patient swapped back."
            )
        if any(s.speaker == SpeakerRole.unknown for s in fixed.segments):
            return label_roles(fixed)
        return fixed

    def build(self, lines: list[str], question: Question | None = None, preamble: str | None = None) -> list[dict]:
        return build_messages(
            lines,
            question,
            system_prompt=self.system_prompt,
            preamble=self.preamble if preamble is None else preamble,
        )

    def messages(self, transcript: Transcript) -> list[dict]:
        """The first request for this transcript."""
        return self.build(format_transcript_lines(self.prepare(transcript)), self.questions()[0])

    def warm(self, transcript: Transcript) -> None:
        """Prefill the shared prompt prefix while the visit is still going on."""
        lines = format_transcript_lines(self.prepare(transcript))
        if lines:
            messages = self.build(lines)
            if self.fits(self.prompt_tokens(messages)):
                self.runtime.warm(messages)

    @property
    def output_budget(self) -> int:
        """Tokens one answer may take (what the window must leave free after the prompt)."""
        return max(q.max_tokens for q in self.questions())

    def prompt_tokens(self, messages: list[dict]) -> int:
        return self.runtime.count_tokens("\n".join(m["content"] for m in messages))

    def fits(self, n_prompt: int) -> bool:
        # chat-template tokens and the question come on top of the counted text
        return n_prompt + 160 + self.output_budget <= self.runtime.context_window

    def section_of(self, block: str) -> str | None:
        """The template section a block's (or a free section's) facts go into."""
        for s in self.template.sections:
            if s.key == block or block in {b.value for b in s.content}:
                return s.key
        return None

    # -- drafting --------------------------------------------------------------

    def stream(self, transcript: Transcript, encounter: Encounter | None = None) -> Iterator[DraftEvent]:
        if transcript.is_empty():
            raise DraftingError("The transcript is empty: there is nothing to draft a note from.")
        encounter = encounter or Encounter(visit_type=self.template.name)
        t0 = time.perf_counter()
        self.stats = DraftStats()
        self._sections_started = set()
        prepared = self.prepare(transcript)
        facts = VisitFacts()
        lines = format_transcript_lines(prepared)
        n = self.prompt_tokens(self.build(lines))
        if self.fits(n):
            self.stats.prompt_tokens = n
            yield from self.ask_all(lines, self.questions(), facts, t0)
        else:
            parts = split_for_window(self, prepared)
            self.stats.extra["parts"] = len(parts)
            self.stats.extra["part_ranges"] = [(p.segments[0].id, p.segments[-1].id) for p in parts]
            for k, part in enumerate(parts, 1):
                preamble = part_preamble(k, len(parts), part.segments[0].id, part.segments[-1].id)
                part_lines = format_transcript_lines(part)
                self.stats.prompt_tokens += self.prompt_tokens(self.build(part_lines, preamble=preamble))
                yield from self.ask_all(part_lines, self.questions(), facts, t0, preamble=preamble)
        if self.stats.questions and self.stats.failed_questions == self.stats.questions:
            raise DraftingError(
                f"The language model did not produce a valid answer after {self.max_attempts} attempts "
                f"({self.stats.extra.get('last_error', 'no answer')})."
            )
        note = yield from self.finish(facts, prepared, encounter, lines if self.fits(n) else None)
        self.stats.total_s = time.perf_counter() - t0
        yield DraftEvent(kind="done", note=note)

    def ask_all(self, lines: list[str], questions: list[Question], facts: VisitFacts, t0: float, preamble=None):
        """Ask ``questions`` in order; the answers go into ``facts``. Yields token and statement events."""
        for q in questions:
            data = yield from self.ask(lines, q, t0, preamble)
            if data is not None:
                yield from self.fact_events(parse_answer(q, data, facts))

    def fact_events(self, new: list[Fact]) -> Iterator[DraftEvent]:
        """A section event the first time a section gets a statement, then the statements (as the model
        gave them, in the note's voice; the composed note at the end orders and labels them)."""
        for f in new:
            key = self.section_of(f.block)
            if key is None:
                continue
            if key not in self._sections_started:
                self._sections_started.add(key)
                yield DraftEvent(kind="section", section_key=key)
            speaker = "patient" if f.block in PATIENT_BLOCK_KEYS else "doctor"
            for text in clean_text(f.text, speaker) if self.clinical else [f.text]:
                yield DraftEvent(
                    kind="statement", section_key=key, statement=Statement(text=text, evidence=list(f.evidence))
                )

    def ask(self, lines: list[str], question: Question, t0: float, preamble: str | None = None):
        """One question with retry/repair: yields token events, returns the answer's JSON object or None."""
        messages = self.build(lines, question, preamble)
        constrained = getattr(self.runtime, "supports_constrained_json", False)
        schema = question.schema() if constrained else None
        last_error = ""
        self.stats.questions += 1
        for _attempt in range(self.max_attempts):
            self.stats.attempts += 1
            pieces: list[str] = []
            try:
                for piece in stream_or_unconstrained(  # a grammar llama.cpp cannot compile: asked without it
                    self.runtime,
                    messages,
                    json_schema=schema,
                    notices=self.stats.extra.setdefault("notices", []),
                    max_tokens=question.max_tokens,
                    temperature=0.0,
                ):
                    if self.stats.first_token_s is None:
                        self.stats.first_token_s = time.perf_counter() - t0
                    pieces.append(piece)
                    yield DraftEvent(kind="token", text=piece)
            except DraftingError:
                raise
            except Exception as exc:  # runtime failures become one clear line
                raise DraftingError(f"The language model failed while drafting: {exc}") from exc
            output = "".join(pieces)
            self.stats.output_chars += len(output)
            try:
                parsed = json.loads(output)
                data = parsed if isinstance(parsed, dict) else None
                last_error = "" if data is not None else "the answer is not a JSON object"
            except json.JSONDecodeError as exc:
                last_error = f"{exc.msg} at character {exc.pos}"
                data = repair_json(output)
                self.stats.repaired = self.stats.repaired or data is not None
            if data is not None:
                return data
            self.stats.extra["last_error"] = last_error
            messages = messages + [
                {"role": "assistant", "content": output[:2000]},
                {
                    "role": "user",
                    "content": f"That was not valid JSON ({last_error}). Answer again with only the JSON object.",
                },
            ]
        self.stats.failed_questions += 1
        return None

    def finish(self, facts: VisitFacts, transcript: Transcript, encounter: Encounter, lines: list[str] | None):
        """What every draft gets last, however its facts were gathered: the checks, the composed
        note, the medication pass (its statement events are yielded; ``lines``: the whole prompt's
        transcript when it fits the window), drug spelling, then grounding against the whole
        transcript. Returns the finished note."""
        if self.clinical:
            facts = check_facts(facts, transcript)
        note = compose_note(facts, self.template, encounter, clinical=self.clinical)
        if self.cover_medications:
            added = yield from self.cover_missing_medications(note, facts, transcript, lines)
            if added:
                facts.facts.extend(added)
                note = compose_note(facts, self.template, encounter, clinical=self.clinical)
        note = note.model_copy(
            update={
                "encounter": encounter,
                "model": getattr(self.runtime, "model_name", None),
                "runtime": getattr(self.runtime, "name", None),
            }
        )
        note = respell_medications(note, transcript, self.medications)
        return ground_note(note, transcript, self.medications)

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
                if not mentioned(med, note_tokens, note_text) and not allergy_only(med, index):
                    missing[med] = [sid]
        return missing

    def cover_missing_medications(
        self, note: NoteDraft, facts: VisitFacts, transcript: Transcript, lines: list[str] | None
    ):
        """A drug said in the visit but absent from the note is asked about once more.

        A small model drops a drug now and then ("tried Tylenol, it didn't help"; "fifty milligrams
        of Ultram" at the end of the plan). Each missing drug is one short question, over the whole
        transcript when it fits the window (its prefix is still warm) or else the lines naming the
        drug and their neighbours. A statement that does not name the drug is prefixed with it; one
        that starts, changes or stops it goes to the plan, anything else to the medications. Yields
        statement events; returns the new facts."""
        from ..lexicon import medication_names

        missing = self.missing_medications(note, transcript)
        if not missing:
            return []
        known = medication_names(self.medications)
        self.stats.extra["medication_pass"] = sorted(missing)
        order = [s.id for s in transcript.segments]
        added: list[Fact] = []
        t0 = time.perf_counter()
        for med in sorted(missing):
            ask_lines = lines
            if ask_lines is None:
                ids: set[int] = set()
                for sid in missing[med]:
                    i = order.index(sid)
                    ids.update(order[max(0, i - 1) : i + 2])
                ask_lines = format_transcript_lines(
                    transcript.model_copy(update={"segments": [s for s in transcript.segments if s.id in ids]})
                )
            q = medication_question(med, tuple(missing[med]))
            try:
                data = yield from self._quiet(self.ask(ask_lines, q, t0, preamble=""))
            except ModelCrashError:  # the model's process died: the draft fails and the app offers Retry
                raise
            except DraftingError:  # the note stands without it; grounding and the physician still see the gap
                continue
            if not data:
                continue
            new = parse_answer(q, data, VisitFacts())
            for f in new:
                text = f.text
                if med not in text.lower():
                    text = f"{med.capitalize()}: {text}"
                block = Block.plan.value if _ORDERS.search(text) else Block.medications.value
                if block == Block.medications.value and not_taken(text, known):
                    continue  # "does not take Protonix" is no medication; the omission panel still lists the drug
                fact = Fact(text, block, f.evidence)
                if self.section_of(block) is None:
                    continue
                added.append(fact)
                yield from self.fact_events([fact])
        return added

    @staticmethod
    def _quiet(gen):
        """A question's answer without its token events (a pass after the note is written)."""
        try:
            while True:
                next(gen)
        except StopIteration as done:
            return done.value
        yield  # pragma: no cover  (makes this a generator)

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
