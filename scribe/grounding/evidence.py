"""Evidence: which transcript lines support a statement, and whether they say most of what it claims."""

from __future__ import annotations

from ..domain import Issue, Statement
from ..textnorm import stem as _stem
from .index import FRAMING, PARAPHRASE, TranscriptIndex

MIN_EVIDENCE_SCORE = 0.34  # weighted overlap below which a segment is no evidence


def settle_evidence(st: Statement, words: set[str], index: TranscriptIndex) -> list[int]:
    cited = [sid for sid in dict.fromkeys(st.evidence) if sid in index.words]
    keep = [sid for sid in cited if index.score(words, sid) >= MIN_EVIDENCE_SCORE]
    best = index.best_segments(words, limit=3)
    if best:
        top = best[0][0]
        for score, sid in best:
            if score >= max(MIN_EVIDENCE_SCORE, 0.5 * top) and sid not in keep:
                keep.append(sid)
    return sorted(keep, key=index.position.__getitem__)[:6]


WEAK_EVIDENCE_MIN_WORDS = 3  # uncovered claim words needed before a statement is called weakly supported
WEAK_EVIDENCE_COVERAGE = 0.4  # share of claim words the evidence must mention


def weak_evidence(words: set[str], evidence: list[int], index: TranscriptIndex) -> Issue | None:
    """The evidence exists but does not say most of what the statement claims."""
    claims = {w for w in words if not w[0].isdigit() and w not in FRAMING and w not in index.medications and len(w) > 2}
    if len(claims) < WEAK_EVIDENCE_MIN_WORDS or not evidence:
        return None
    said = {w for sid in evidence for nb in index.window(sid, 1) for w in index.words[nb]}
    said |= {_stem(t) for sid in evidence for nb in index.window(sid, 1) for t in index.tokens[nb]}

    def backed(w: str) -> bool:
        if w in said or any(p in said or any(x.startswith(p) for x in said) for p in PARAPHRASE.get(w, ())):
            return True
        return len(w) >= 6 and any(len(x) >= 6 and x[:5] == w[:5] for x in said)

    missing = sorted(w for w in claims if not backed(w))
    if len(missing) >= WEAK_EVIDENCE_MIN_WORDS and 1 - len(missing) / len(claims) < WEAK_EVIDENCE_COVERAGE:
        shown = ", ".join(f"'{w}…'" for w in missing[:5])
        return Issue(kind="weak_evidence", detail=f"the supporting lines do not mention {shown}")
    return None
