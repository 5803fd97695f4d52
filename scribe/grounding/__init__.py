"""Grounding check: is every note statement backed by what was said?

Small local models invent doses, flip negations and mix up medications (see MODELS.md), so
every draft goes through this check before a physician sees it. It is deliberately
deterministic and lexical — the physician must be able to see *why* a statement is flagged.

For each statement it:

1. settles the evidence: keeps the transcript segments the model cited that really share
   content with the statement and adds the best-matching segments it did not cite
   (:mod:`.evidence`);
2. checks the facts a physician cannot afford to get wrong: every medication, dose and other
   number is said for the same thing (:mod:`.quantities`), every side for the same body part
   (:mod:`.laterality`), every symptom with the polarity the visit gives it (:mod:`.assertion`),
   results, allergies and pain descriptors (:mod:`.claims`);
3. marks the statement ``unsupported`` when one of those is a safety flag (:mod:`.check`).

Statements a physician already confirmed stay confirmed unless their text changed.
The transcript is read once per note (:class:`TranscriptIndex`).
"""

from ..textnorm import clinical_notation, content_words, normalise, tokens, words_to_numbers
from .assertion import findings_in, negated_terms
from .check import check_statement, confirmed_correction, ground_note, heard_confirmed, settled_status
from .claims import RELATIVES, allergy_only, says_had
from .index import TranscriptIndex
from .laterality import named_sides, side_mentions, sides_said_for
from .quantities import DATE, NAMED_NUMBER, Dose, Facts, ages_in, ages_said, chart_details_unsaid, extract_facts
from .testnames import TEST as TEST_NAMES
from .testnames import panel_name as test_panel_name

# the text helpers callers have always imported from here; they live in scribe.textnorm
__all__ = [
    "DATE",
    "NAMED_NUMBER",
    "RELATIVES",
    "Dose",
    "Facts",
    "TEST_NAMES",
    "test_panel_name",
    "TranscriptIndex",
    "ages_in",
    "ages_said",
    "chart_details_unsaid",
    "allergy_only",
    "check_statement",
    "confirmed_correction",
    "clinical_notation",
    "content_words",
    "extract_facts",
    "findings_in",
    "ground_note",
    "heard_confirmed",
    "negated_terms",
    "normalise",
    "settled_status",
    "says_had",
    "named_sides",
    "side_mentions",
    "sides_said_for",
    "tokens",
    "words_to_numbers",
]
