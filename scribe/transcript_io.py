"""Reading and writing transcripts.

``scribe draft`` accepts either the JSON written by ``scribe transcribe`` or a plain-text
dialogue, one turn per line, optionally tagged ``[doctor]`` / ``[patient]``, ``#`` lines ignored (the ACI-Bench
convention, also what a clinic can paste from another system). Typed text has no audio, so
segment times are estimated from a speaking rate and marked by ``source="text"``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from pydantic import ValidationError

from .domain import Segment, SpeakerRole, Transcript
from .errors import InputError, TranscriptError
from .fileio import write_atomic

_TAG = re.compile(r"^\s*\[(?P<tag>[a-z _-]+)\]\s*:?\s*(?P<text>.*)$", re.I)
_COLON_TAG = re.compile(
    r"^\s*(?P<tag>doctor|dr|clinician|physician|provider|patient|pt|nurse)\s*:\s*(?P<text>.*)$", re.I
)
_ROLE = {
    "doctor": SpeakerRole.clinician,
    "dr": SpeakerRole.clinician,
    "clinician": SpeakerRole.clinician,
    "physician": SpeakerRole.clinician,
    "provider": SpeakerRole.clinician,
    "nurse": SpeakerRole.clinician,
    "patient": SpeakerRole.patient,
    "pt": SpeakerRole.patient,
}
_DIALOGUE = object()  # load_transcript: the file is text, not JSON
WORDS_PER_SECOND = 2.6  # ~155 words a minute, conversational pace


def parse_dialogue(text: str, source: str = "text") -> Transcript:
    """A tagged or untagged dialogue -> Transcript with estimated times."""
    segments: list[Segment] = []
    t = 0.0
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):  # blank lines and comments (script headers) are not speech
            continue
        m = _TAG.match(line) or _COLON_TAG.match(line)
        role = SpeakerRole.unknown
        if m:
            role = _ROLE.get(m.group("tag").strip().lower(), SpeakerRole.unknown)
            line = m.group("text").strip()
            if not line:
                continue
        n_words = max(1, len(line.split()))
        dur = n_words / WORDS_PER_SECOND
        segments.append(Segment(id=len(segments), start=round(t, 2), end=round(t + dur, 2), text=line, speaker=role))
        t += dur + 0.4
    return Transcript(segments=segments, duration=round(t, 2), source=source, language="en")


def load_transcript(path: str | os.PathLike) -> Transcript:
    """Load a transcript JSON or a text dialogue, with one-line errors for bad input."""
    p = Path(path)
    if not p.exists():
        raise TranscriptError(f"Transcript file not found: {p}")
    if p.is_dir():
        raise TranscriptError(f"{p} is a folder, not a transcript file.")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise TranscriptError(f"Cannot read transcript {p}: {exc.strerror or exc}.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TranscriptError(
            f"{p} is not a text or JSON transcript (it looks binary — is it an audio file? use `scribe transcribe`)."
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if text.lstrip().startswith("{"):  # ("[doctor] ..." is a dialogue, not broken JSON)
            raise TranscriptError(f"{p} is not valid JSON: {exc.msg} (line {exc.lineno}).") from None
        data = _DIALOGUE  # plain text: a typed or pasted dialogue
    except RecursionError:
        raise TranscriptError(f"{p} is not a Scribe transcript: it is nested too deeply.") from None
    if data is _DIALOGUE:
        transcript = parse_dialogue(text, source=p.name)
    elif not isinstance(data, dict):
        kind = {list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(type(data), "a number")
        raise TranscriptError(f"{p} is JSON but not a Scribe transcript (it holds {kind}, not an object).")
    else:
        try:
            transcript = Transcript.model_validate(data)
        except ValidationError as exc:
            raise TranscriptError(f"{p} is not a Scribe transcript: {validation_summary(exc)}.") from None
    if transcript.is_empty():
        raise TranscriptError(f"The transcript {p} is empty: there is nothing to draft a note from.")
    return transcript


def validation_summary(exc: ValidationError) -> str:
    """The first problem pydantic found, as ``where: what`` without the offending value."""
    first = exc.errors()[0]
    where = ".".join(str(x) for x in first["loc"])
    where = "".join(c if c.isprintable() else "?" for c in where)[:80]  # a key in the file may be anything
    msg = first["msg"].removeprefix("Value error, ")
    return f"{where}: {msg}" if where else msg


def save_json(path: str | os.PathLike, data: str) -> None:
    """Write a result file atomically; an unwritable place is a clear InputError, not a crash."""
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(p, data.encode("utf-8"))
    except OSError as exc:
        raise InputError(f"Cannot write {p}: {exc.strerror or exc}.") from None
