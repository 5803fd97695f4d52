"""Which strings are words, of English or of a drug's name: the lists a recognised word or a note's word is held
against to tell a misheard name ("addormaster", "IV-PROFIN") from ordinary speech and from a drug heard right.

Its own module, below both, so that speech recognition and the clinical lexicon can use it (the lexicon builds on
the recogniser's vocabulary, so the recogniser cannot import the lexicon).
"""

from __future__ import annotations

import bz2
import gzip
import json
import pickle
import re
from functools import lru_cache

from .resources import package_file

ENGLISH_PACKAGE = "spellchecker"  # PyPI pyspellchecker (MIT): an English word-frequency list
DRUG_PACKAGE = "drug_named_entity_recognition"  # PyPI drug-named-entity-recognition (MIT): a drug dictionary


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


@lru_cache(maxsize=1)
def drug_dictionary_data() -> dict:
    """The drug-named-entity-recognition package's dictionary file, read once ({} when it is missing)."""
    path = package_file(DRUG_PACKAGE, "drug_ner_dictionary.pkl.bz2")
    if path is None:
        return {}
    with bz2.open(path, "rb") as fh:
        return pickle.load(fh)  # noqa: S301 - the installed package's own data file


@lru_cache(maxsize=1)
def drug_name_words() -> frozenset[str]:
    """Every word of every name in the drug dictionary, the short brands too ("bumex", "zocor"): to tell a drug
    name the lexicon's matching leaves out from a word nobody knows."""
    variants = drug_dictionary_data().get("drug_variant_to_canonical", {})
    return frozenset(w for variant in variants for w in re.findall(r"[a-z]+", variant.lower()))
