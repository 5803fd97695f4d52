"""The patient's relatives, by the words people use for them: one list for every check that asks whose it is.

Three questions read it: whose number a sentence gives ("my mother is seventy": :mod:`.quantities`), whether a
finding is someone else's ("my wife has a cough": :mod:`.assertion`), and whether a condition is family history
("my father had a heart attack": :mod:`.claims`, and the drafter). A spouse or partner is someone else but no
family history, so the last question leaves them out.
"""

from __future__ import annotations

from ..textnorm import content_words

# each word for one relative -> who it is ("mom" and "mother" are one person; numbers said of her are hers)
KIN = {
    "mother": "mother", "mom": "mother", "father": "father", "dad": "father", "brother": "brother",
    "sister": "sister", "son": "son", "daughter": "daughter", "grandmother": "grandmother",
    "grandma": "grandmother", "grandfather": "grandfather", "grandpa": "grandfather", "aunt": "aunt",
    "uncle": "uncle", "wife": "wife", "husband": "husband",
}  # fmt: skip
SPOUSES = frozenset({"wife", "husband", "partner"})
_GROUPS = frozenset("family familial sibling siblings parent parents cousin".split())  # relatives not told apart here
FAMILY_WORDS = (
    frozenset(KIN)
    | _GROUPS
    | SPOUSES
    | frozenset("kids kid children child grandson granddaughter niece nephew".split())
)  # someone of the family: what they have is not the patient's
# stems of the words for the relatives whose conditions make family history (not a spouse; not "kids", which a
# social history asks about)
RELATIVES = frozenset(content_words(" ".join(sorted((frozenset(KIN) - SPOUSES) | _GROUPS))))
