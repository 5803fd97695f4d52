"""The clinical lexicon: which medications a text names, under which generic name, and how far a
misspelt name may stray.

Grounding, drafting, revision, the evaluations, the omission check and speech-recognition
correction all ask "which drugs does this text name?"; they ask it here, so they all get the same
answer. Three sources are merged:

* the bundled vocabulary's ``[medications]`` (``assets/vocabulary/medical.txt``) and the clinic's
  own lists (setting ``vocabulary_files``), kept whole: they are curated;
* the drug dictionary of the maintained ``drug-named-entity-recognition`` package (MIT; DrugBank,
  MeSH, MedlinePlus, NHS and Wikipedia names, brand -> generic), filtered to names a clinician
  says: one to three words of letters, a real drug (a DrugBank, MedlinePlus or NHS entry, not only
  a MeSH class), single words of six letters or more, and none of :data:`NOT_MEDICATIONS` (lab
  analytes, body substances, street drugs and words found by running the dictionary over the
  ACI-Bench *train* dialogues and notes);
* drug-name stems (-pril, -olol, -statin, ...) for names neither list has.

Names are compared as :func:`scribe.textnorm.tokens` reads them ("sacubitril-valsartan" is the two
tokens "sacubitril valsartan"). Everything is offline: the package's dictionary file is read
directly; none of its network helpers is imported.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path

from .textnorm import tokens
from .wordlist import drug_dictionary_data, drug_name_words, english_words

DRUG_SUFFIX = re.compile(
    r"^[a-z]{3,}(pril|sartan|olol|dipine|statin|formin|gliptin|gliflozin|glitazone|azole|cillin|mycin|cycline|"
    r"floxacin|prazole|tidine|setron|triptan|oxetine|aline|azepam|zolam|codone|morphine|semide|thiazide|parin|"
    r"xaban|gatran|lukast|terol|sonide|tropium|mab|nib|vir|lamide)$"
)

# Names a drug dictionary lists that a visit uses otherwise: lab analytes and body substances
# ("uric acid", "cortisol", the "hemoglobin a" of "hemoglobin A1c"), words that end like a drug
# ("cholesterol"), everyday words and first names ("all clear", "camila"), street drugs (substance use
# is social history, not medication) and supplements too generic to check as a drug.
NOT_MEDICATIONS = frozenset(
    """cholesterol alkaline sterol sterols cortisol aldosterone dopamine serotonin glutamate leptin antibodies antibody
    buffers indicators diamonds sulfur sunscreen cloves sensit prepar testim epigen armour ecstasy cocaine heroin
    marijuana methamphetamine cannabinoid cannabinoids psychedelic glyphosate narcotics camila sits caps vitamin
    vitamins supplement supplements calcium potassium sodium magnesium glucose oxygen water alcohol caffeine nicotine
    tobacco hemoglobin creatinine bilirubin albumin ferritin thyroxine estradiol testosterone progesterone melatonin
    histamine adrenaline epinephrine""".split()
) | frozenset(
    {
        "amino acids",
        "amino acid",
        "uric acid",
        "alkaline phosphatase",
        "all clear",
        "hemoglobin a",
        "proton pump",
        "growth hormone",
        "pituitary hormones",
        "hydrogen peroxide",
        "sodium chloride",
        "normal saline",
    }
)

# A dictionary entry is a drug (not only a MeSH class such as "Anti-Bacterial Agents") when it has one of these.
_DRUG_SOURCES = ("drugbank_id", "medline_plus_id", "nhs_url")
_NAME = re.compile(r"[a-z]+(?:[ -][a-z]+){0,2}")
MAX_NAME_WORDS = 3


class Lexicon(Collection[str]):
    """Medication names (lower case, one to three tokens) with their generic names.

    A collection of names, so ``name in lexicon`` and code that wants "the known names" both work.
    ``terms`` are the vocabulary's clinical terms (diagnoses, tests, findings) for ASR correction.
    """

    def __init__(
        self,
        generic: Mapping[str, str],
        terms: Iterable[str] = (),
        suffixes: bool = True,
        spellings: Iterable[str] = (),
    ):
        self.generic: dict[str, str] = dict(generic)
        self.terms: tuple[str, ...] = tuple(terms)
        self.suffixes = suffixes
        self._term_words = frozenset(w for t in self.terms for w in tokens(t))
        # names the vocabulary writes with capitals ("Lasix", "hemoglobin A1c", "COPD"), by their lower case
        self.spellings: dict[str, str] = {" ".join(s.split()).lower(): " ".join(s.split()) for s in spellings}
        self._spelling_re = (
            re.compile(
                r"\b(?:" + "|".join(map(re.escape, sorted(self.spellings, key=len, reverse=True))) + r")\b", re.I
            )
            if self.spellings
            else None
        )

    def __contains__(self, name: object) -> bool:
        return name in self.generic

    def __iter__(self) -> Iterator[str]:
        return iter(self.generic)

    def __len__(self) -> int:
        return len(self.generic)

    def is_medication(self, name: str) -> bool:
        """A known name, or one word with a drug-name stem ("-pril", "-statin", ...)."""
        return name in self.generic or (
            self.suffixes and " " not in name and bool(DRUG_SUFFIX.match(name)) and name not in NOT_MEDICATIONS
        )

    def known_word(self, word: str) -> bool:
        """``word`` (lower case) is a medication, a word of a drug name or a clinical term, or a word of English:
        anything but a word nobody knows, such as a drug name misheard ("addormaster")."""
        return (
            self.is_medication(word)
            or word in english_words()
            or word in drug_name_words()
            or word in self._term_words
            or fuzzy_in(word, self.generic)  # last: it compares with every name
        )

    def generic_of(self, name: str) -> str:
        """The generic name ("norvasc" -> "amlodipine"); a name the lexicon does not map is its own."""
        return self.generic.get(name, name)

    def medications_in(self, toks: list[str]) -> list[tuple[int, str]]:
        """(token index, name) of every medication in ``toks``, in text order."""
        found = []
        pieces: set[int] = set()  # tokens of a name written apart: none of them is a name of its own
        for i, w in enumerate(toks):
            if self.is_medication(w):
                found.append((i, w))
            for n in range(2, MAX_NAME_WORDS + 1):  # "vitamin d", "fish oil", "benzoyl peroxide"
                if i + n <= len(toks):
                    name = " ".join(toks[i : i + n])
                    if name in self.generic:
                        found.append((i, name))
                    elif (joined := "".join(toks[i : i + n])) in self.generic and self._pieces_of_a_name(
                        toks[i : i + n]
                    ):
                        found.append((i, joined))
                        pieces.update(range(i, i + n))
        if pieces:  # "methyl prednisolone" is methylprednisolone, not prednisolone too
            found = [(i, n) for i, n in found if i not in pieces or n != toks[i]]
        return sorted(found)

    def _pieces_of_a_name(self, pieces: list[str]) -> bool:
        """Words that spell one name written apart ("methyl prednisolone", "hydro chlorothiazide", "sym bicort"):
        one of them a drug's name or no word at all. Two words of English are left apart: "differ in" is not
        Differin, "pro air" not ProAir."""
        words = english_words()
        return any(p in self.generic or (p.isalpha() and p not in words) for p in pieces)

    def medications_in_text(self, text: str) -> set[str]:
        return {m for _, m in self.medications_in(tokens(text))}

    def spell(self, text: str) -> str:
        """``text`` with the names the vocabulary writes with capitals written so: a brand is a proper
        noun ("order ultram" from a lower-case transcript reads "Order Ultram"), an acronym
        is in capitals ("a1c" -> "A1c"). A name already written with other capitals is left as it is."""
        if self._spelling_re is None:
            return text

        def fix(m: re.Match) -> str:
            found = m.group(0)
            if not (found.islower() or (found[:1].isupper() and found[1:].islower())):
                return found
            spelled = self.spellings[found.lower()]
            return spelled[:1].upper() + spelled[1:] if found[:1].isupper() else spelled  # a sentence's capital stays

        return self._spelling_re.sub(fix, text)


def medications_in(toks: list[str], known: Collection[str]) -> list[tuple[int, str]]:
    """(token index, name) of every medication in ``toks``: names in ``known`` (a :class:`Lexicon` or
    a plain set of names) and words with a drug-name stem."""
    return (known if isinstance(known, Lexicon) else Lexicon({k: k for k in known})).medications_in(toks)


def medication_names(medications: Iterable[str] | None = None) -> Lexicon:
    """The lexicon to check against: ``None`` means the default one (bundled, package, clinic lists);
    an explicit list (tests, a caller's own) is used as it is, plus drug-name stems."""
    if medications is None:
        return default_lexicon()
    if isinstance(medications, Lexicon):
        return medications
    return Lexicon({normalised_name(m): normalised_name(m) for m in medications})


def default_medications() -> Lexicon:
    """The default lexicon (kept under this name for the callers that want "the known names")."""
    return default_lexicon()


# ----------------------------------------------------------------------------- spelling slips


def edit_distance_le1(a: str, b: str) -> bool:
    """At most one letter changed, added or dropped."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    i = j = diff = 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            i += 1
            j += 1
            continue
        diff += 1
        if diff > 1:
            return False
        if len(a) > len(b):
            i += 1
        elif len(b) > len(a):
            j += 1
        else:
            i += 1
            j += 1
    return diff + (len(a) - i) + (len(b) - j) <= 1


SLIP_MIN_LENGTH = 7  # shorter names differ from other words by one letter too often ("zocor"/"zocar")


def spelling_slip(term: str, word: str) -> bool:
    """``word`` is ``term`` misspelt the way ASR and typists do: a long name, same first two letters,
    one edit."""
    return (
        len(term) >= SLIP_MIN_LENGTH
        and abs(len(word) - len(term)) <= 1
        and word[:2] == term[:2]
        and edit_distance_le1(term, word)
    )


def fuzzy_in(term: str, vocab: Iterable[str]) -> bool:
    """``term`` or a spelling slip of it is in ``vocab``."""
    if term in vocab:
        return True
    return len(term) >= SLIP_MIN_LENGTH and any(spelling_slip(term, v) for v in vocab)


def mentioned(term: str, text_tokens: Collection[str], text_normalised: str) -> bool:
    """``term`` (one word or several) is named in a text, allowing a spelling slip of long names.

    ``text_tokens`` are the text's :func:`~scribe.textnorm.tokens`, ``text_normalised`` its
    :func:`~scribe.textnorm.normalise` (multi-word names are looked up there)."""
    if term in text_tokens or (" " in term and term in text_normalised):
        return True
    return fuzzy_in(term, text_tokens)


# ----------------------------------------------------------------------------- loading


def _package_generic(name: str) -> str | None:
    """The package's generic for ``name``, unfiltered: a curated short brand ("advil", "lasix") that the filter leaves
    out as a name must still map to its generic, or "Advil" in a visit would not back "ibuprofen" in a note."""
    data = drug_dictionary_data()
    if not data:
        return None
    generics = data["drug_variant_to_canonical"].get(name)
    if not generics or not any(data["drug_canonical_to_data"].get(generics[0], {}).get(k) for k in _DRUG_SOURCES):
        return None
    return generics[0].replace("-", " ")


def _package_dictionary() -> dict[str, str]:
    """name -> generic from the drug-named-entity-recognition package, filtered (module docstring)."""
    data = drug_dictionary_data()
    if not data:
        return {}
    canonical = data["drug_canonical_to_data"]
    out: dict[str, str] = {}
    for variant, generics in data["drug_variant_to_canonical"].items():
        if not _NAME.fullmatch(variant) or not generics:
            continue
        name = variant.replace("-", " ")
        words = name.split()
        if "and" in words or "with" in words:  # "lisinopril and hydrochlorothiazide": the parts are names of their own
            continue
        if len(words) == 1 and len(name) < 6:
            continue
        if name in NOT_MEDICATIONS or any(w in NOT_MEDICATIONS for w in words if len(words) == 1):
            continue
        generic = generics[0]
        if not any(canonical.get(generic, {}).get(k) for k in _DRUG_SOURCES):
            continue
        out[name] = generic.replace("-", " ")
    return out


@lru_cache(maxsize=4)
def _build(user_files: tuple[str, ...] | None) -> Lexicon:
    from .asr.vocabulary import load_vocabulary

    vocab = load_vocabulary(user_files)
    package = _package_dictionary()
    generic = dict(package)
    named: dict[str, str] = {}  # "Keflex = cephalexin" in a vocabulary file; the first file to name a brand wins
    for brand, gen in vocab.generics:
        if (key := normalised_name(brand)) and (value := normalised_name(gen)):
            named.setdefault(key, package.get(value, value))
    for name in vocab.medications:  # curated names are always in, mapped to the package's generic when it has one
        key = normalised_name(name)
        if key:
            generic[key] = named.get(key) or generic.get(key) or package.get(key) or _package_generic(key) or key
    written = (*vocab.medications, *vocab.terms, *vocab.user_terms)
    return Lexicon(generic, terms=vocab.terms, spellings=[w for w in written if w != w.lower()])


def default_lexicon(user_files: Iterable[str | Path] | None = None) -> Lexicon:
    """Bundled list, the package's dictionary and the clinic's lists (``None`` = from the settings).

    Built once per process (~1 s: the package's dictionary is decompressed)."""
    return _build(tuple(str(f) for f in user_files) if user_files is not None else None)


def normalised_name(name: str) -> str:
    """A name as the lexicon keys it ("Sacubitril-Valsartan" -> "sacubitril valsartan")."""
    return " ".join(tokens(name))
