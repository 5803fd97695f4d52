"""Laterality: a side written in a note must be the side the visit gives for that body part."""

from __future__ import annotations

import re

from ..domain import Issue
from ..textnorm import normalise
from ..textnorm import stem as _stem
from .index import TranscriptIndex

_SIDE_PART = re.compile(
    r"\b(left|right)(?:[\s-]+(?:hand\s+side|side|sided|upper|lower|mid|middle|index|ring|great|little))*"
    r"(?:[\s-]+([a-z]+))?"
)
# words after "left"/"right" that are not a body part: the side stands alone ("tenderness on the right.")
_NOT_PART = frozenset("and or but with the a of at in on now away here there after when for to".split())
_OPPOSITE = {"left": "right", "right": "left"}


def _sides(text: str) -> set[tuple[str, str]]:
    """(side, body part) pairs: "left knee" -> ("left", "knee"), "right lower extremity" -> ("right", "extrem")."""
    out = set()
    for m in _SIDE_PART.finditer(normalise(text)):
        part = m.group(2) or ""
        out.add((m.group(1), "" if part in _NOT_PART else _stem(part)[:6]))
    return out


def laterality_issues(statement: str, evidence: list[int], index: TranscriptIndex) -> list[Issue]:
    """A side is flagged when the transcript puts that body part on the other side: in the supporting
    lines, or anywhere if this side of it is never said. A side said with no other side in view passes:
    a note may name the side a patient pointed to."""
    claimed = _sides(statement)
    if not claimed:
        return []
    lines = [index.segment_text[w] for sid in evidence for w in index.window(sid, 1)]
    near = set().union(*(_sides(t) for t in lines)) if lines else set()
    said = _sides_said(index)
    issues = []
    for side, part in sorted(claimed):
        other = (_OPPOSITE[side], part)
        if not part:  # "on the right": any mention of the sides will do
            near_sides, said_sides = {x for x, _ in near}, {x for x, _ in said}
            if side in near_sides:
                continue
            contradicted = _OPPOSITE[side] in near_sides or (_OPPOSITE[side] in said_sides and side not in said_sides)
        elif (side, part) in near:
            continue
        else:
            contradicted = other in near or (other in said and (side, part) not in said)
        if contradicted:
            issues.append(
                Issue(
                    kind="laterality",
                    detail=f"the transcript gives the {_OPPOSITE[side]} side for this, not the {side}",
                )
            )
    return issues


def _sides_said(index: TranscriptIndex) -> set[tuple[str, str]]:
    return index.memo("sides", lambda ix: set().union(*(_sides(s.text) for s in ix.segments)) if ix.segments else set())
