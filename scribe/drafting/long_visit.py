"""Long visits: a transcript that does not fit the model's context window is asked about in parts.

A 45-minute visit is ~7,000 spoken words, ~9,000 tokens: more than a small local model's window
once the instructions and the answer are added. Cutting the transcript would silently drop what
was said last (usually the exam, the assessment and the plan), so instead:

1. **Split** the transcript into consecutive parts that each fit the window with room for the
   answer. Parts are balanced (not a full part and a scrap) and overlap by a few segments so a
   question and its answer are never separated. Segment ids stay the transcript's own, so every
   statement still cites the lines that support it. A single segment too long for the window on
   its own is the only case that fails, with a clear :class:`~scribe.errors.DraftingError`.
2. **Ask** every part the drafter's questions, telling the model which part of how many it is
   reading. The facts of all parts go into one :class:`~scribe.drafting.questions.VisitFacts`, and
   one note is composed from them (:mod:`scribe.drafting.compose` keeps a fact the overlap gave twice
   once).

The caller (:meth:`NoteDrafter.stream`) grounds the note against the *whole* transcript.
"""

from __future__ import annotations

import math

from ..domain import Transcript
from ..errors import DraftingError
from .questions import format_transcript_lines

OVERLAP_SEGMENTS = 3
SAFETY = 0.95  # token counts of lines counted apart differ slightly from the joined text


def part_preamble(k: int, n: int, first_id: int, last_id: int) -> str:
    return (
        f"This visit is long, so its transcript comes in {n} parts. This is part {k} of {n} "
        f"(transcript lines {first_id} to {last_id}). Answer for what these lines contain; the other "
        "parts are asked about separately."
    )


def split_for_window(drafter, transcript: Transcript, overlap: int = OVERLAP_SEGMENTS) -> list[Transcript]:
    """Consecutive, overlapping parts of ``transcript`` that each fit ``drafter``'s window."""
    segments = [s for s in transcript.segments if s.text.strip()]
    lines = format_transcript_lines(transcript.model_copy(update={"segments": segments}))
    widest = part_preamble(99, 99, 99999, 99999)
    overhead = drafter.prompt_tokens(drafter.build([], preamble=widest))
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
        if len(parts) <= n_parts or n_parts >= len(segments):
            break
        n_parts += 1
    return [transcript.model_copy(update={"segments": segments[a:b]}) for a, b in parts]
