"""Word error rate of a transcript against what was said, read as grounding reads text.

One definition for the benchmarks (``bench_pipeline.py``, ``bench_drugs.py``) and the recogniser's tests, so a
WER in ``docs/`` and a WER a test holds to are the same measure: lower case, numbers as digits the way
:func:`scribe.grounding.normalise` writes them ("one forty eight" and "1.48" alike), punctuation dropped.
"""

from __future__ import annotations

import re

from ..grounding import normalise


def wer_words(text: str) -> list[str]:
    """The words a WER counts."""
    return re.findall(r"[a-z0-9']+", normalise(text))


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: word substitutions, insertions and deletions over the reference's words."""
    ref, hyp = wer_words(reference), wer_words(hypothesis)
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / max(1, len(ref))
