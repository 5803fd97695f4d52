"""Strings in answer schemas, and grammars llama.cpp has compiled before a request uses them.

Scribe constrains the model's answers with JSON schemas that carry text from outside the code:
section keys, drug names said in the visit (the medication pass), and whatever a clinic puts in its
vocabulary or templates. On llama.cpp a schema becomes a GBNF grammar through llama-cpp-python's
converter, which copies regex escapes into GBNF literals (``re.escape("potassium chloride")`` gives
``potassium\\ chloride``; GBNF has no ``\\ ``) and mis-escapes ``"`` in property names, enum values and
constants. llama.cpp then refuses the grammar, and llama-cpp-python's sampler dereferenced the NULL
grammar: a segmentation fault that killed the app at Stop. Two defences, both here:

* **Safe by construction.** :func:`schema_text` is the one function every such string goes through
  (no quote, backslash, control character or character outside the BMP: each of those compiles to a
  grammar that forces invalid JSON, or does not compile at all), and :func:`literal_pattern` writes
  it into a regex that means the same to llama-cpp-python's converter, to llama.cpp, and to a server
  that reads the pattern as a real regex (letters, digits, spaces and non-ASCII as themselves, every
  other character as a one-character class ``[\\xHH]``).
* **Checked before use.** :class:`GrammarCompiler` converts a schema and compiles the grammar with
  llama.cpp's own parser (``llama_sampler_init_grammar``, ~0.1 ms) before the request runs; a
  grammar that does not compile is a :class:`GrammarError` naming the parser's message and the
  schema's offending literal, raised before any token, so the caller can retry without the constraint.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import threading
import unicodedata
from collections.abc import Iterator
from typing import Any

from ..errors import DraftingError

log = logging.getLogger(__name__)


class GrammarError(DraftingError):
    """An answer schema llama.cpp cannot compile. ``literal`` is the schema string at fault, if found."""

    def __init__(self, message: str, literal: str | None = None):
        super().__init__(message)
        self.literal = literal


# ----------------------------------------------------------------------------- safe literals


def schema_text(text: str) -> str:
    """``text`` as it may appear in an answer schema: property name, enum value, ``const`` or pattern.

    NFC-normalised; ``"`` becomes ``'`` and ``\\`` becomes ``/`` (inside a JSON string both need an
    escape the grammar converters get wrong); control, format and line-separator characters become
    spaces; characters outside the Basic Multilingual Plane are dropped (JSON escapes them as
    surrogate pairs, which no tokenizer emits: the grammar could never be satisfied); runs of
    spaces are collapsed. Everything else (letters of any script, digits, punctuation, ``²⁺``) stays.
    """
    out = []
    for ch in unicodedata.normalize("NFC", str(text)):
        if ch == '"':
            ch = "'"
        elif ch == "\\":
            ch = "/"
        elif ord(ch) > 0xFFFF:
            continue
        elif unicodedata.category(ch)[0] in "CZ":  # control, format, unassigned, separators
            ch = " "
        out.append(ch)
    return " ".join("".join(out).split())


def literal_pattern(text: str) -> str:
    """A regex fragment matching exactly ``schema_text(text)``, the same way in Python's ``re``, in
    ECMA-262 (JSON Schema), and after llama-cpp-python's pattern-to-GBNF conversion."""
    parts = []
    for ch in schema_text(text):
        if ch == " " or (ch.isascii() and ch.isalnum()) or not ch.isascii():
            parts.append(ch)  # a literal character everywhere (non-ASCII is never regex syntax)
        else:
            parts.append(f"[\\x{ord(ch):02X}]")  # punctuation: a class with a hex escape, valid in all three
    return "".join(parts)


def starts_with_pattern(prefix: str, tail: str, min_tail: int, max_tail: int) -> str:
    """``^<prefix><tail>{min_tail,max_tail}$``: a string that starts with ``prefix`` (made literal-safe)
    followed by characters of the class ``tail`` (a regex character class such as ``[ -~]``)."""
    return f"^{literal_pattern(prefix)}{tail}{{{int(min_tail)},{int(max_tail)}}}$"


def prefixed_entries_schema(
    prefixes: dict[str, str], sections: list[str], text_chars: str, max_chars: int, min_chars: int = 3
) -> dict:
    """An answer with one entry per key: ``{"<key>": {"section": "<one of sections>", "text": "<prefix>..."}}``.

    The medication pass asks this way (key: a drug's name; prefix: the name capitalised, so the
    statement is about that drug). Keys, prefixes and section keys all go through
    :func:`schema_text`; the answer's keys are ``schema_text(key)``.
    """
    entries = {
        schema_text(key): {
            "type": "object",
            "properties": {
                "section": {"type": "string", "enum": [schema_text(s) for s in sections]},
                "text": {"type": "string", "pattern": starts_with_pattern(prefix, text_chars, min_chars, max_chars)},
            },
            "required": ["section", "text"],
            "additionalProperties": False,
        }
        for key, prefix in prefixes.items()
    }
    return {"type": "object", "properties": entries, "required": list(entries), "additionalProperties": False}


def schema_literals(schema: Any) -> Iterator[str]:
    """Every string of a JSON schema that ends up in a grammar literal: property names, ``enum`` and
    ``const`` values, and ``pattern`` regexes (for error messages and tests)."""
    if isinstance(schema, dict):
        for name in (schema.get("properties") or {}) if isinstance(schema.get("properties"), dict) else ():
            yield str(name)
        for value in schema.get("enum") or ():
            if isinstance(value, str):
                yield value
        for key in ("const", "pattern"):
            if isinstance(schema.get(key), str):
                yield schema[key]
        for value in schema.values():
            if isinstance(value, (dict, list)):
                yield from schema_literals(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from schema_literals(item)


# ----------------------------------------------------------------------------- compiling


def schema_to_gbnf(schema: dict) -> str:
    """llama-cpp-python's JSON-schema converter (the one its chat handler uses), with one-line errors."""
    from llama_cpp import llama_grammar

    try:
        return llama_grammar.json_schema_to_gbnf(json.dumps(schema))
    except Exception as exc:  # AssertionError / ValueError on a schema construct it does not support
        raise GrammarError(
            f"The answer format cannot be turned into a llama.cpp grammar ({type(exc).__name__}: {str(exc)[:160]})."
        ) from None


_STDERR_LOCK = threading.Lock()


def _compile(vocab: Any, gbnf: str, root: str) -> tuple[bool, str]:
    """Compile with llama.cpp's parser: (ok, what it wrote to stderr).

    On a parse error the parser writes its message and the whole grammar to stderr (fprintf, not
    llama.cpp's log callback), so stderr is pointed at a temporary file for the call; anything else
    written meanwhile is passed on."""
    import llama_cpp

    with _STDERR_LOCK, tempfile.TemporaryFile() as tmp:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(tmp.fileno(), 2)
        try:
            sampler = llama_cpp.llama_sampler_init_grammar(vocab, gbnf.encode("utf-8"), root.encode("utf-8"))
            if sampler:
                llama_cpp.llama_sampler_free(sampler)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        tmp.seek(0)
        written = tmp.read().decode("utf-8", "replace")
    if sampler and written:
        sys.stderr.write(written)
    return bool(sampler), written


def _parser_message(written: str) -> str:
    """The parser's own words ("unknown escape at \\ chlorid"), without the grammar it dumps after
    them; the quoted text after "at" is cut where the GBNF literal ends."""
    if "error parsing grammar:" not in written:
        return "llama.cpp's grammar parser refused it"
    text = " ".join(written.split("error parsing grammar:", 1)[1].split("\n\n", 1)[0].split())
    if " at " in text:
        head, snippet = text.split(" at ", 1)
        text = head + " at " + snippet.split('"', 1)[0][:40]
    return text[:160]


def _offending(schema: dict | None, message: str) -> str | None:
    """The schema literal the parser stumbled on: the one containing the text after "at" (patterns
    keep their regex escapes in the grammar, so the exact text is tried first)."""
    if not schema or " at " not in message:
        return None
    snippet = message.split(" at ", 1)[1]
    literals = list(schema_literals(schema))
    for probe in (snippet, snippet.replace("\\", "")):
        for n in range(len(probe), 2, -1):
            hit = next((lit for lit in literals if probe[:n] in lit), None)
            if hit is not None:
                return hit
    return None


class GrammarCompiler:
    """JSON schema -> GBNF grammar that llama.cpp's parser has compiled with this vocabulary.

    Compiling needs a vocabulary (a loaded model's, or one loaded with ``vocab_only``); the parse
    itself does not depend on it. Results are cached by grammar text, so a schema sent for every
    section costs one compile per process.
    """

    def __init__(self, vocab: Any):
        self.vocab = vocab
        self._good: set[str] = set()
        self._lock = threading.Lock()

    def check(self, gbnf: str, root: str = "root", schema: dict | None = None) -> None:
        """GrammarError unless llama.cpp compiles ``gbnf`` (the parser's message and the offending
        schema literal are in the error, and logged)."""
        if gbnf in self._good:
            return
        ok, written = _compile(self.vocab, gbnf, root)
        if ok:
            with self._lock:
                self._good.add(gbnf)
            return
        message = _parser_message(written)
        literal = _offending(schema, message)
        where = f" in {literal!r}" if literal else ""
        log.warning("llama.cpp refused an answer grammar%s: %s", where, message)
        raise GrammarError(
            f"llama.cpp cannot compile the answer format{where}: {message[:160]}.",
            literal=literal,
        )

    def grammar(self, schema: dict) -> str:
        """The GBNF grammar for ``schema``, compiled once by llama.cpp; GrammarError otherwise."""
        gbnf = schema_to_gbnf(schema)
        self.check(gbnf, schema=schema)
        return gbnf


# ----------------------------------------------------------------------------- using a runtime


def _unconstrained(exc: GrammarError, notices: list[str] | None) -> None:
    line = f"{exc} This part was drafted without the answer format; check it closely."
    log.warning("%s", line)
    if notices is not None and line not in notices:
        notices.append(line)


def stream_or_unconstrained(runtime: Any, messages: list[dict], *, json_schema: dict | None, notices=None, **kw):
    """``runtime.stream_chat``, asked again without the schema if its grammar does not compile.

    The grammar is checked before the first token, so nothing was streamed when GrammarError
    arrives. ``notices`` (a list) gets the one line to show the user; the log has the details.
    """
    try:
        yield from runtime.stream_chat(messages, json_schema=json_schema, **kw)
    except GrammarError as exc:
        if json_schema is None:
            raise
        _unconstrained(exc, notices)
        yield from runtime.stream_chat(messages, json_schema=None, **kw)


def chat_or_unconstrained(runtime: Any, messages: list[dict], *, json_schema: dict | None, notices=None, **kw) -> str:
    """``runtime.chat``, asked again without the schema if its grammar does not compile (as above)."""
    try:
        return runtime.chat(messages, json_schema=json_schema, **kw)
    except GrammarError as exc:
        if json_schema is None:
            raise
        _unconstrained(exc, notices)
        return runtime.chat(messages, json_schema=None, **kw)
