"""Long visits: draft a transcript that does not fit the model's context window in parts, then merge.

A 45-minute visit is ~7,000 spoken words, ~9,000 tokens: more than a small local model's window
once the instructions and the answer are added. Cutting the transcript would silently drop what
was said last (usually the exam, the assessment and the plan), so instead:

1. **Split** the transcript into consecutive parts that each fit the window with room for the
   answer. Parts are balanced (not a full part and a scrap) and overlap by a few segments so a
   question and its answer are never separated. Segment ids stay the transcript's own, so every
   statement still cites the lines that support it. A single segment too long for the window on
   its own is the only case that fails, with a clear :class:`~scribe.errors.DraftingError`.
2. **Draft** each part with the same template and drafter (sectioned or not), telling the model
   which part of how many it is reading.
3. **Merge** section by section in transcript order. Statements that say the same thing (most
   of their content words shared, the overlap makes some) are kept once, with the fuller text and
   the union of their evidence. Nothing else is dropped.

The caller (:meth:`NoteDrafter.stream`) grounds the merged note against the *whole* transcript.
"""

from __future__ import annotations

import math
import time

from ..domain import Encounter, NoteDraft, Section, Statement, Transcript
from ..errors import DraftingError
from ..grounding import content_words

OVERLAP_SEGMENTS = 3
DUPLICATE_OVERLAP = 0.8  # share of the shorter statement's content words found in the other
SAFETY = 0.95  # token counts of lines counted apart differ slightly from the joined text


def part_preamble(k: int, n: int, first_id: int, last_id: int) -> str:
    return (
        f"This visit is long, so its transcript comes in {n} parts. This is part {k} of {n} "
        f"(transcript lines {first_id} to {last_id}). Write the note for what these lines contain; "
        "the other parts are handled separately."
    )


def split_for_window(drafter, transcript: Transcript, overlap: int = OVERLAP_SEGMENTS) -> list[Transcript]:
    """Consecutive, overlapping parts of ``transcript`` that each fit ``drafter``'s window."""
    from .drafter import format_transcript_lines

    segments = [s for s in transcript.segments if s.text.strip()]
    lines = format_transcript_lines(transcript.model_copy(update={"segments": segments}))
    widest = part_preamble(99, 99, 99999, 99999)
    overhead = drafter.prompt_tokens(drafter._build([], preamble=widest))
    window = drafter.runtime.context_window
    budget = int((window - 64 - max(256, drafter.output_budget) - overhead) * SAFETY)
    costs = [drafter.runtime.count_tokens(line) + 1 for line in lines]
    for seg, cost in zip(segments, costs):
        if cost > budget:
            raise DraftingError(
                f"This transcript is too long for the model's context window: segment {seg.id} alone needs {cost} "
                f"tokens, and at most {max(budget, 0)} fit beside the instructions and the answer (window {window}). "
                "Raise llm_context in settings or use a model with a larger window."
            )
    total = sum(costs)
    n_parts = max(1, math.ceil(total / budget))
    while True:  # balanced parts; the overlap may need one part more
        target = min(budget, math.ceil(total / n_parts) + overlap * max(costs))
        parts: list[tuple[int, int]] = []
        start = 0
        while start < len(segments):
            end, used = start, 0
            while end < len(segments) and used + costs[end] <= target:
                used += costs[end]
                end += 1
            end = max(end, start + 1)
            parts.append((start, end))
            if end >= len(segments):
                break
            start = max(start + 1, end - overlap)
        if len(parts) <= n_parts or target >= budget:
            break
        n_parts += 1
    return [transcript.model_copy(update={"segments": segments[a:b]}) for a, b in parts]


def same_fact(a: set[str], b: set[str]) -> bool:
    """Two statements' content words say the same thing: most of the shorter one's words are in
    the other, and one's numbers are among the other's."""
    if not a or not b:
        return False
    na, nb = {w for w in a if w[0].isdigit()}, {w for w in b if w[0].isdigit()}
    if not (na <= nb or nb <= na):
        return False  # "lisinopril 10 mg" and "lisinopril 20 mg" are different facts
    return len(a & b) / min(len(a), len(b)) >= DUPLICATE_OVERLAP


def merge_parts(notes: list[NoteDraft], template, encounter: Encounter | None = None) -> NoteDraft:
    """One note from the part notes: sections in template order, statements in transcript order,
    near-duplicates kept once (fuller text, union of evidence)."""
    sections = []
    for ts in template.sections:
        kept: list[Statement] = []
        words: list[set[str]] = []
        for note in notes:
            sec = note.section(ts.key)
            for st in sec.statements if sec else []:
                w = content_words(st.text)
                dup = next((i for i, other in enumerate(words) if same_fact(w, other)), None)
                if dup is None:
                    kept.append(st)
                    words.append(w)
                    continue
                old = kept[dup]
                evidence = list(dict.fromkeys([*old.evidence, *st.evidence]))
                text = st.text if len(w) > len(words[dup]) else old.text
                kept[dup] = old.model_copy(update={"text": text, "evidence": evidence})
                words[dup] = words[dup] | w
        sections.append(Section(key=ts.key, title=ts.title, statements=kept, style=template.section_style(ts.key)))
    first = notes[0] if notes else NoteDraft()
    return NoteDraft(template=template.name, encounter=encounter or first.encounter, sections=sections)


def stream_in_parts(drafter, transcript: Transcript, encounter: Encounter, t0: float | None = None):
    """Events of every part's draft; returns (generator value) the merged, ungrounded note."""
    t0 = time.perf_counter() if t0 is None else t0
    parts = split_for_window(drafter, transcript)
    drafter.stats.extra["parts"] = len(parts)
    drafter.stats.extra["part_ranges"] = [(p.segments[0].id, p.segments[-1].id) for p in parts]
    notes = []
    for k, part in enumerate(parts, 1):
        preamble = part_preamble(k, len(parts), part.segments[0].id, part.segments[-1].id)
        drafter.stats.prompt_tokens += drafter.prompt_tokens(drafter._build([], preamble=preamble)) + sum(
            drafter.runtime.count_tokens(s.text) for s in part.segments
        )
        note = yield from drafter.stream_part(part, encounter, t0, preamble=preamble)
        notes.append(note)
    return merge_parts(notes, drafter.template, encounter)
