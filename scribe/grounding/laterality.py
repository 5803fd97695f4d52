"""Laterality: a side written in a note must be the side the visit gives for that body part."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..domain import Issue
from ..textnorm import normalise
from ..textnorm import stem as _stem
from .assertion import base_target, negated_terms
from .context import agreement, context_tokens, context_words, nearest_words
from .index import TranscriptIndex

_SIDE_PART = re.compile(
    r"\b(left|right)(?:[\s-]+(?:hand\s+side|side|sided|upper|lower|mid|middle|index|ring|great|little))*"
    r"(?:[\s-]+([a-z]+))?"
)
# words after "left"/"right" that are not a body part: the side stands alone ("tenderness on the right.")
_NOT_PART = frozenset("and or but with the a of at in on now away here there after when for to".split())
_OPPOSITE = {"left": "right", "right": "left"}


# which hand a patient writes with is no side of a body part: "right-handed", "right-hand dominant" are the part
# "dominant" (held against what the visit says of the hand they use, not of the hand that was hurt); "right or left
# hand dominant?" asks, naming both
_HANDED = re.compile(
    r"\b(left|right)[\s-]+(?:hand(?:ed|[\s-]+dominant)|dominant)\b"
    r"|\bwrites? with (?:my|the|his|her|their) (left|right)(?: hand)?\b"
)
_EITHER_SIDE = re.compile(r"\b(?:left|right),? or (?:the )?(?:left|right)\b")
# "right greater than left upper extremity pain": the part is the first side's; the lesser side, compared with it, is
# not claimed on its own (the visit may give it only as "the left")
_COMPARED_SIDES = re.compile(
    r"\b(left|right)(?: side)? (?:greater|more|worse|bigger|larger|less|better|stronger|weaker) than (?:the )?(left|right)"
    r"((?:\s+(?:upper|lower))?\s+([a-z]+))"
)
# "has left the nursing home", "she left work early": the verb; "has left knee pain" is a side
_LEFT_VERB = re.compile(
    r"\b(?:has|had|have|having|just|already|then|i|he|she|we|they|you|who) left\b(?![\s-]+(?:\w+[\s-]+)?sided?\b)"
)


# "right" that is no side: "right now", "right away", "right here"; "that's right", "all right", "not eating right"
_RIGHT_AS_ADVERB = re.compile(
    r"\bright(?= (?:now|away|here|there|then|after|before|when|at|about|around|below|above|under|into|next|back)\b)"
    r"|\b(all |that's |thats |that is |you're |you are |eat |eating |eats |ate |doing |done |feel |feels |feeling |felt "
    r"|sounds |looks |seems |not |isn't )right\b(?![\s-]+(?:side|sided|hand|upper|lower)\b)"
)


# the chart's "R knee", "L. hip", "rt shoulder", "lt ankle"; a part said before its side: "the knee on my left side"
_SIDE_ABBREVIATION = re.compile(r"\b(r|l|rt|lt)\b\.?\s+(?=([a-z]+))")
_PART_ON_SIDE = re.compile(r"\b([a-z]+) on (?:my|your|his|her|their|the) (left|right)(?: side| hand side)?\b")


def _as_sides(text: str) -> str:
    """``text`` with handedness named as such, sides that are no sides (either-or questions) left out, and the
    chart's abbreviations and a part said before its side ("the knee on my left side") read as "left knee"."""
    text = _HANDED.sub(lambda m: f"{m.group(1) or m.group(2)} dominant", normalise(text))
    text = _adverbs_out(text)
    text = _EITHER_SIDE.sub(" ", text)
    text = _COMPARED_SIDES.sub(
        lambda m: f"{m.group(1)}{m.group(3)}" if _stem(m.group(4))[:6] in _BODY else m.group(0),
        text,
    )
    text = _SIDE_ABBREVIATION.sub(
        lambda m: ("right " if m.group(1)[0] == "r" else "left ") if _stem(m.group(2))[:6] in _BODY else m.group(0),
        text,
    )
    text = _PART_ON_SIDE.sub(
        lambda m: f"{m.group(2)} {m.group(1)}" if _stem(m.group(1))[:6] in _BODY else m.group(0), text
    )
    return _LEFT_VERB.sub(lambda m: m.group(0) if _body_part_after(text, m.end()) else m.group(0)[:-4] + "went", text)


def _adverbs_out(text: str) -> str:
    """``text`` (normalised) with each "right" that is no side made "aright" ("right now", but "right back pain")."""
    return _RIGHT_AS_ADVERB.sub(
        lambda m: m.group(0) if _body_part_after(text, m.end()) else f"{m.group(1) or ''}aright", text
    )


def named_sides(text: str) -> list[str]:
    """The "left"s and "right"s of ``text`` that may name a side ("right now", "that's right" do not)."""
    return re.findall(r"\b(left|right)\b", _adverbs_out(normalise(text)))


def _body_part_after(text: str, at: int) -> bool:
    nxt = re.match(r"[^\w.;!?]*([a-z]+)(?:[^\w.;!?]+([a-z]+))?", text[at:])  # within the sentence
    return nxt is not None and any(w and _stem(w)[:6] in _BODY for w in nxt.groups())


def _sides(text: str) -> set[tuple[str, str]]:
    """(side, body part) pairs: "left knee" -> ("left", "knee"), "right lower extremity" -> ("right", "extrem")."""
    out = set()
    for m in _SIDE_PART.finditer(_as_sides(text)):
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
    negated, affirmed = negated_terms(normalise(statement))
    if negated and not affirmed:
        # "no tenderness on the right side of the neck" after "tenderness on the left side of your neck": a denial
        # on the other side agrees with the visit; whether the finding is denied right is the negation check's
        return _side_of_the_finding(statement, index, set())
    lines = [index.segment_text[w] for sid in evidence for w in index.window(sid, 1)]
    near = set().union(*(_sides(t) for t in lines)) if lines else set()
    said = _sides_said(index)
    issues = []
    both = {side for side, _ in claimed} == {"left", "right"}
    for side, part in sorted(claimed):
        other = (_OPPOSITE[side], part)
        if not part and both:
            continue  # "right worse than left", "left more than right": a comparison claims both sides
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
    issues.extend(_side_of_the_finding(statement, index, {i.detail for i in issues}))
    return issues


def _sides_said(index: TranscriptIndex) -> set[tuple[str, str]]:
    return index.memo("sides", lambda ix: set().union(*(_sides(s.text) for s in ix.segments), _handed(ix)))


# "are you right or left handed?" - "right": the hand the patient uses, answered with the side alone
_HAND_ASKED = re.compile(r"\bhanded\b|\bdominant\b|\bwhich hand\b|\bwrite with\b")
_SIDE_ANSWER = re.compile(r"^\W*(?:(?:um|uh|oh|well|i'm|i am|i write with (?:my )?(?:the )?)\W*)*(left|right)\b")


_DOMINANT = _stem("dominant")[:6]


def _handed(index: TranscriptIndex) -> set[tuple[str, str]]:
    out = set()
    for at, sid in enumerate(index.order[:-1]):
        if _HAND_ASKED.search(normalise(index.segment_text[sid])):
            if m := _SIDE_ANSWER.match(normalise(index.segment_text[index.order[at + 1]])):
                out.add((m.group(1), _DOMINANT))
    return out


# ----------------------------------------------------------------------------- the side said for the same finding

_MODIFIERS = frozenset("hand side sided upper lower mid middle index ring great little big".split())
# body parts of one limb or region: a side the visit gives for the leg also holds for "the lower extremity"
_REGIONS = [
    frozenset(_stem(w)[:6] for w in group.split())
    for group in (
        "leg legs extremity extremities calf calves thigh shin knee ankle foot feet toe toes hip heel",
        "arm arms extremity extremities hand hands finger fingers thumb wrist elbow shoulder humerus forearm pip dip"
        " mcp digit digits",
        "flank back lumbar paraspinal kidney cva side",
        "abdomen abdominal periumbilical quadrant groin inguinal",
        "breast chest axilla axillary ductal nipple",
        "eye eyes ear ears",
    )
]


_BODY = frozenset().union(
    *_REGIONS,
    (
        _stem(w)[:6]
        for w in "head neck face temple temporal cheek jaw eyebrow lung kidney ovary testicle lobe buttock hemibody"
        " upper lower mid middle index ring great little big posterior anterior lateral medial".split()
    ),
)


@dataclass(frozen=True)
class SideMention:
    """A side as said or written, with the body part and the words it goes with ("edema ... of your right knee")."""

    side: str
    part: str  # first six letters of the stemmed body part, "" when the side stands alone ("on the right")
    context: frozenset[str]
    segment: int | None = None


def side_mentions(text: str, segment: int | None = None) -> list[SideMention]:
    """Every "left"/"right" of ``text`` that names a side ("all right", "right now" do not)."""
    toks = context_tokens(_as_sides(text))
    found: list[tuple[int, int, str, str]] = []  # (start, end, side, part)
    for i, t in enumerate(toks):
        if t not in _OPPOSITE:
            continue
        j = i + 1
        while j < len(toks) and toks[j] in _MODIFIERS and not (toks[j] == "hand" and toks[j + 1 : j + 2] != ["side"]):
            j += 1
        part = toks[j] if j < len(toks) and toks[j][0].isalpha() and toks[j] not in _NOT_PART else ""
        if not part and not (i and toks[i - 1] == "the"):
            continue  # "all right", "right now", "that's right": not a side
        found.append((i, j if part else i, t, _stem(part)[:6] if part else ""))
    if not found:
        return []
    ignore = {"left", "right", "bilateral", *_MODIFIERS}
    words = {k: w for k, w in context_words(toks, ignore).items() if not any(s <= k <= e for s, e, _, _ in found)}
    contexts = nearest_words(toks, words, [(s, e) for s, e, _, _ in found])
    return [SideMention(side, part, ctx, segment) for (_, _, side, part), (ctx, _) in zip(found, contexts, strict=True)]


def _said_sides(index: TranscriptIndex) -> list[SideMention]:
    return index.memo(
        "side_mentions", lambda ix: [m for sid in ix.order for m in side_mentions(ix.segment_text[sid], sid)]
    )


def _region(part: str) -> frozenset[str]:
    return frozenset().union(*(r for r in _REGIONS if part in r)) or frozenset({part})


_OTHER_SIDE = re.compile(r"\b(?:other|opposite|both)((?:\s+[a-z]+){1,2})")


def sides_said_for(part: str, index: TranscriptIndex) -> set[str]:
    """The sides the visit gives to a body part ("knee"), or, when it gives that part no side, to any part of its
    limb or region ("right foot" for "the right ankle"); empty when the visit names no side for it at all.

    A side said alone counts for the parts named next to it ("cva tenderness on the right on your flank"); a part
    of the region said with no side of its own ("my other ankle", "both legs") leaves the side open."""
    said = [(x.side, {x.part} if x.part else {w[:6] for w in x.context}) for x in _said_sides(index)]
    sides = {side for side, parts in said if part in parts}
    if not sides:
        region = _region(part)
        sides = {side for side, parts in said if parts & region}
        if sides and _open_parts(index) & region:
            sides = {"left", "right"}
    return sides


def _open_parts(index: TranscriptIndex) -> set[str]:
    """Body parts the visit names with "other", "opposite" or "both" instead of a side."""
    return index.memo(
        "open_parts",
        lambda ix: {
            _stem(w)[:6]
            for sid in ix.order
            for m in _OTHER_SIDE.finditer(normalise(ix.segment_text[sid]))
            for w in m.group(1).split()
        },
    )


MIN_SIDE_AGREEMENT = 3.0  # context agreement needed before the other side counts as said "for this"
SIDE_RATIO = 0.5


def _side_of_the_finding(statement: str, index: TranscriptIndex, already: set[str]) -> list[Issue]:
    """A side the visit gives to the same finding the other way round: "edema and erythema of the left knee"
    where the visit said "some edema and some erythema of your right knee, but your left knee looks fine".

    The statement's words next to its side are compared with the words next to each side the visit names for
    that body part (or, when the visit never names that part with a side, for its limb); the other side is
    flagged when it agrees clearly better."""
    mine = [m for m in side_mentions(statement) if m.part != _DOMINANT]  # handedness: laterality_issues' alone
    if not mine or len({m.side for m in mine}) > 1:
        return []  # "right worse than left": both sides are claimed
    said = _said_sides(index)
    issues = []
    for m in mine:
        # the visit gives this part (or its limb) only the other side: "left ankle" where only "right foot" was said;
        # or, for what is no part of a limb or region the visit could give a side of its own (a diagnosis: "left
        # DCIS"), the visit names only the other side for anything (it speaks only of the right breast)
        sides = sides_said_for(m.part, index) if m.part else set()
        if m.part and not said and f"side:{m.side}" not in already:
            # the visit names no side at all: the note's came from the exam or the chart (a review hint)
            issues.append(Issue(kind="side", detail=f"the visit never says a side: check '{m.side}' against the exam"))
            already.add(f"side:{m.side}")
            continue
        only_side = not sides and _region(m.part) == {m.part} and {x.side for x in said} == {_OPPOSITE[m.side]}
        if m.part and (sides == {_OPPOSITE[m.side]} or only_side):
            detail = f"the transcript gives the {_OPPOSITE[m.side]} side for this, not the {m.side}"
            if detail not in already:
                issues.append(Issue(kind="laterality", detail=detail))
                already.add(detail)
            continue
        if not m.context:
            continue
        parts = {m.part} if m.part else set()
        if parts and not any(x.part in parts for x in said):
            parts = set(_region(m.part))
        candidates = [x for x in said if not parts or x.part in parts]
        same = max((agreement(m.context, x.context, index) for x in candidates if x.side == m.side), default=0.0)
        other = max(
            (agreement(m.context, x.context, index) for x in candidates if x.side == _OPPOSITE[m.side]), default=0.0
        )
        if other >= MIN_SIDE_AGREEMENT and same < SIDE_RATIO * other:
            detail = f"the transcript gives the {_OPPOSITE[m.side]} side for this, not the {m.side}"
            if detail not in already:
                issues.append(Issue(kind="laterality", detail=detail))
                already.add(detail)
    return issues


# "your right ankle looks normal", "the left knee is fine": a side's body part the visit calls normal
_CALLED_NORMAL = re.compile(
    r"\b(left|right) ([a-z]+) (?:looks?|is|was|seems?|feels?) (?:completely |totally |perfectly )?"
    r"(?:normal|fine|good|ok|okay|unremarkable)\b"
)


def _found_at(index: TranscriptIndex) -> tuple[set[tuple[str, str]], dict[tuple[str, str], set[str]]]:
    """The (side, part) pairs the visit calls normal, and per pair the findings it states there."""
    normal: set[tuple[str, str]] = set()
    found: dict[tuple[str, str], set[str]] = {}
    for text in index.segment_text.values():
        norm = normalise(text)
        for m in _CALLED_NORMAL.finditer(norm):
            normal.add((m.group(1), _stem(m.group(2))[:6]))
        # per clause: "swelling of the left ankle but the right ankle looks normal" finds nothing on the right
        for clause in re.split(r"[.;!?]|\bbut\b|\bwhereas\b", norm):
            present = {base_target(k) for k in negated_terms(clause)[1]}
            for pair in _sides(clause):
                found.setdefault(pair, set()).update(present)
    return normal, found


def normal_side_issues(statement: str, index: TranscriptIndex) -> list[Issue]:
    """A finding put on a side's body part that the visit calls normal and gives no such finding: "swelling
    in the right ankle" after "you have mild swelling in your left ankle; your right ankle looks normal".
    Checked per item of a list, since the other item's side is often said in the same lines."""
    normal, found = index.memo("normal_sides", _found_at)
    if not normal:
        return []
    issues: list[Issue] = []
    for item in re.split(r";\s+|(?<=[.!?])\s+", statement):
        present = {base_target(k) for k in negated_terms(normalise(item))[1]}
        for side, part in sorted(_sides(item)):
            if (side, part) in normal and present - found.get((side, part), set()):
                detail = f"the transcript calls the {side} side normal, not what this says of it"
                issue = Issue(kind="laterality", detail=detail)
                if issue not in issues:
                    issues.append(issue)
    return issues
