"""Medical vocabulary: decoder hotwords for ASR and the medication names grounding checks against.

Whisper mishears drug names it has rarely seen ("lisinopril" -> "this in April"); faster-whisper's
``hotwords`` puts a list of terms into the decoder prompt (before any previous text), which fixes
most of them. But the prompt is also a trap: with a long list the decoder sometimes recites the
list instead of transcribing the speech, and drops what was said (measured on the sample visit; see
the engine). So only the highest-priority terms that fit a small token budget are used. Priority is
file order: the clinic's own lists (setting ``vocabulary_files``) first, then the bundled list,
whose most-prescribed drugs come first.

File format (bundled ``assets/vocabulary/medical.txt`` and user files alike): one term per line,
``#`` starts a comment, ``[medications]`` / ``[terms]`` lines switch sections. Lines of a user
file before any section header count as general terms. A medication line may name its generic after
``=`` ("Keflex = cephalexin"), for a brand the drug dictionary does not resolve: the note's "cephalexin"
is then backed by the visit's "Keflex".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..resources import asset

MEDICATIONS = "medications"
TERMS = "terms"
SECTIONS = (MEDICATIONS, TERMS)
GENERICS = "generics"  # parse_vocabulary's "brand=generic" entries

# Measured on the sample visit with pause-aligned windows (scribe.asr.engine), WER / drug names
# recognised of 9, budgets 0/40/80/120 tokens: base 0.111 1/9, 0.110 9/9, 0.110 8/9, 0.125 7/9;
# tiny.en 0.183 0/9, 0.139 5/9, 0.092 6/9, 0.104 5/9. 80 tokens is about 25 drug names.
DEFAULT_HOTWORD_TOKENS = 80
HOTWORD_SEPARATOR = ", "
# Whisper's BPE averages ~2.5 characters per token on the bundled list (2.58 tiny.en, 2.48 base);
# used only when no tokenizer is at hand.
_CHARS_PER_TOKEN = 2.5

_SECTION = re.compile(r"^\[\s*([A-Za-z_-]+)\s*\]$")

TokenCounter = Callable[[str], int]


def bundled_vocabulary_path() -> Path:
    return asset("vocabulary", "medical.txt")


@dataclass(frozen=True)
class Vocabulary:
    """Terms in priority order, already de-duplicated (case-insensitive, first occurrence wins)."""

    medications: tuple[str, ...]
    terms: tuple[str, ...]
    user_terms: tuple[str, ...]  # everything from the clinic's own files, in their order
    generics: tuple[tuple[str, str], ...] = ()  # (brand, generic) named with "=" in a file; the clinic's first

    def hotword_candidates(self) -> list[str]:
        """The clinic's terms, then bundled medications, then bundled clinical terms."""
        return _dedupe([*self.user_terms, *self.medications, *self.terms])


def parse_vocabulary(text: str, default_section: str = TERMS, source: str = "vocabulary") -> dict[str, list[str]]:
    """Split a vocabulary file into sections (plus ``"all"``, every term in file order).

    Unknown section names are an error: most likely a typo that would silently misfile terms.
    """
    out: dict[str, list[str]] = {s: [] for s in (*SECTIONS, "all", GENERICS)}
    section = default_section
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = _SECTION.match(line)
        if m:
            section = m.group(1).lower()
            if section not in SECTIONS:
                raise InputError(
                    f"{source}, line {lineno}: unknown section [{section}] (use [{MEDICATIONS}] or [{TERMS}])."
                )
            continue
        term, eq, generic = (" ".join(part.split()) for part in line.partition("="))
        if eq:
            if section != MEDICATIONS or not term or not generic:
                raise InputError(
                    f"{source}, line {lineno}: write 'Brand = generic' under [{MEDICATIONS}], with both names."
                )
            out[GENERICS].append(f"{term}={generic}")
        out[section].append(term)
        out["all"].append(term)
    return out


def read_vocabulary_file(path: Path | str, default_section: str = TERMS) -> dict[str, list[str]]:
    p = Path(path).expanduser()
    if not p.is_file():
        raise InputError(f"Vocabulary file {p} does not exist (check the vocabulary_files setting).")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read vocabulary file {p}: {getattr(exc, 'strerror', None) or exc}.") from None
    return parse_vocabulary(text, default_section, source=str(p))


def _user_files(user_files: Iterable[str | Path] | None) -> list[str | Path]:
    if user_files is not None:
        return list(user_files)
    from ..settings import load_settings

    return list(load_settings().vocabulary_files)


def load_vocabulary(user_files: Iterable[str | Path] | None = None) -> Vocabulary:
    """Bundled list plus the clinic's files (``None`` = take them from the settings)."""
    bundled = read_vocabulary_file(bundled_vocabulary_path())
    user_meds: list[str] = []
    user_all: list[str] = []
    generics: list[str] = []
    for f in _user_files(user_files):
        parsed = read_vocabulary_file(f)
        user_meds += parsed[MEDICATIONS]
        user_all += parsed["all"]
        generics += parsed[GENERICS]
    return Vocabulary(
        medications=tuple(_dedupe(user_meds + bundled[MEDICATIONS])),
        terms=tuple(_dedupe(bundled[TERMS])),
        user_terms=tuple(_dedupe(user_all)),
        generics=tuple(
            (brand, generic) for brand, _, generic in (g.partition("=") for g in generics + bundled[GENERICS])
        ),
    )


def load_terms(user_files: Iterable[str | Path] | None = None) -> list[str]:
    """Every term (medications and clinical terms), de-duplicated, in hotword priority order."""
    return load_vocabulary(user_files).hotword_candidates()


def load_medication_names(user_files: Iterable[str | Path] | None = None) -> set[str]:
    """Lower-cased medication names (generic and brand) for recognising drugs in text."""
    return {m.lower() for m in load_vocabulary(user_files).medications}


def approx_token_count(text: str) -> int:
    return max(1, round(len(text) / _CHARS_PER_TOKEN)) if text else 0


def build_hotwords(
    terms: Iterable[str],
    max_tokens: int = DEFAULT_HOTWORD_TOKENS,
    count_tokens: TokenCounter | None = None,
    separator: str = HOTWORD_SEPARATOR,
) -> str:
    """Join the highest-priority terms that fit in ``max_tokens`` prompt tokens.

    ``count_tokens`` should be the model tokenizer's length function (a term boundary never splits
    a term); without it a character-based estimate is used. Terms are tried in order and a term
    that does not fit is skipped, so a long term cannot starve the shorter ones behind it.
    """
    count = count_tokens or approx_token_count
    chosen: list[str] = []
    for term in _dedupe(terms):
        candidate = separator.join([*chosen, term])
        if count(" " + candidate) <= max_tokens:
            chosen.append(term)
    return separator.join(chosen)


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        item = " ".join(item.split())
        key = item.lower()
        if item and key not in seen:
            seen.add(key)
            out.append(item)
    return out
