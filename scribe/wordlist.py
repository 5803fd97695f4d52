"""Which strings are words of English: the list a recognised word or a note's word is held against to tell a
misheard name ("addormaster", "IV-PROFIN") from ordinary speech.

Its own module, below both, so that speech recognition and the clinical lexicon can use it.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache

from .resources import package_file

ENGLISH_PACKAGE = "spellchecker"  # PyPI pyspellchecker (MIT): an English word-frequency list


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The words of English (pyspellchecker's list, about 160 000 words, read from its data file). Empty when the
    package is missing: callers that need it check :func:`knows_english`."""
    path = package_file(ENGLISH_PACKAGE, "resources", "en.json.gz")
    if path is None:
        return frozenset()
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return frozenset(json.load(fh))


def knows_english() -> bool:
    return bool(english_words())
