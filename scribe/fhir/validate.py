"""Check a DocumentReference before it leaves the machine, and write it to disk.

No single offline check catches everything an EHR would reject, so three layers run and all
their problems are reported together (a clinician or IT admin fixes them in one go):

1. ``fhir.resources`` R4B model (R4B equals R4 for DocumentReference; the package's default
   is R5, which R4 servers reject): element names, cardinality, primitive types.
2. The official FHIR R4 JSON schema, cut down to what DocumentReference needs
   (``assets/fhir/documentreference.schema.json``, see ``packaging/tools/extract_fhir_schema.py``):
   code values such as ``status`` that the model accepts blindly, and R5 shapes.
3. US Core and Scribe rules written here: required elements, the clinical-note category, a LOINC
   type, a final document, a Patient subject, dates with time zone, and an attachment whose
   size and SHA-1 hash match its data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..domain import NoteDraft
from ..errors import ExportError
from ..fileio import write_atomic
from ..resources import asset
from .documentreference import CATEGORY_SYSTEM, LOINC, build_document_reference

SCHEMA_ASSET = ("fhir", "documentreference.schema.json")
MAX_SHOWN = 8  # problems spelled out in the error message; all are on ``err.problems``
MAX_INLINE_BYTES = 5 * 1024 * 1024  # US Core servers must accept inline attachments up to 5 MiB

_STATUS = {"current", "superseded", "entered-in-error"}
_DOC_STATUS = {"final", "amended", "entered-in-error"}  # "preliminary" = a draft: never exported
_LOINC_CODE = re.compile(r"^\d{1,7}-\d$")
_DATETIME_WITH_TZ = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_TYPED_REF = re.compile(r"(^|/)[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}(/_history/[^/]+)?$")
_PATIENT_REF = re.compile(r"(^|/)Patient/[A-Za-z0-9\-.]{1,64}(/_history/[^/]+)?$")


# --------------------------------------------------------------------------- formatting


def _path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(resource)"


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {_short(value, 40)}"
    return {dict: "an object", list: "a list", type(None): "null"}.get(type(value), type(value).__name__)


# --------------------------------------------------------------------------- layer 1: model


def _model_problems(resource: Any) -> list[str]:
    """Parse with the R4B model; its errors name the element and what was wrong."""
    try:
        from fhir.resources.R4B.documentreference import DocumentReference
        from pydantic import ValidationError
    except ImportError as exc:  # a broken install, not a bad note
        raise ExportError(f"FHIR support is not installed ({exc.name}); reinstall Scribe.") from None
    try:
        DocumentReference.model_validate(resource)
    except ValidationError as exc:
        out = []
        for e in exc.errors():
            loc = [part for part in e["loc"] if part not in ("root", "__root__")]
            msg = " ".join(str(e["msg"]).split())
            out.append(f"R4 model: {_path(loc)}: {msg if len(msg) <= 160 else msg[:159] + '…'}")
        return out
    except (TypeError, ValueError) as exc:
        return [f"R4 model: {exc}"]
    return []


# --------------------------------------------------------------------------- layer 2: schema


@lru_cache(maxsize=1)
def _schema_validator():
    from jsonschema import Draft6Validator
    from jsonschema.exceptions import SchemaError

    path = asset(*SCHEMA_ASSET)
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft6Validator.check_schema(schema)
    except (OSError, ValueError, SchemaError) as exc:
        raise ExportError(
            f"The FHIR schema file {path} is missing or damaged ({exc.__class__.__name__}); reinstall Scribe."
        ) from None
    return Draft6Validator(schema)


def _schema_message(err) -> str:
    """jsonschema's messages embed the whole instance (a base64 note); keep them short."""
    kind, expected, inst = err.validator, err.validator_value, err.instance
    if kind == "enum":
        return f"{_short(inst)} is not one of {', '.join(map(str, expected))}"
    if kind == "type":
        return f"expected a JSON {expected}, got {_json_kind(inst)}"
    if kind == "pattern":
        return f"{_short(inst)} is not in the required format"
    if kind == "const":
        return f"{_short(inst)} should be {_short(expected)}"
    msg = err.message
    return msg if len(msg) <= 160 else msg[:159] + "…"


def _schema_problems(resource: Any) -> list[str]:
    errors = sorted(_schema_validator().iter_errors(resource), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"R4 schema: {_path(e.absolute_path)}: {_schema_message(e)}" for e in errors]


# --------------------------------------------------------------------------- layer 3: US Core


def _codings(concept: Any) -> list[dict]:
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return []
    return [c for c in concept["coding"] if isinstance(c, dict)]


def _parse_dt(value: Any) -> datetime | None:
    if not isinstance(value, str) or not _DATETIME_WITH_TZ.match(value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _ref_ok(ref: Any) -> bool:
    return isinstance(ref, dict) and any(
        isinstance(ref.get(k), (str, dict)) and ref.get(k) for k in ("reference", "identifier", "display")
    )


def _attachment_problems(att: Any, where: str) -> list[str]:
    if not isinstance(att, dict):
        return [f"{where}.attachment is missing"]
    out = []
    ctype = att.get("contentType")
    if not isinstance(ctype, str) or not ctype.strip():
        out.append(f"{where}.attachment.contentType is missing (US Core requires it)")
    data, url = att.get("data"), att.get("url")
    if not data and not url:
        out.append(f"{where}.attachment has neither data nor url (US Core requires one)")
    if not isinstance(data, str) or not data:
        return out
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return out + [f"{where}.attachment.data is not valid base64"]
    if len(raw) > MAX_INLINE_BYTES:
        out.append(f"{where}.attachment.data is {len(raw)} bytes; servers only have to accept 5 MiB inline")
    if "size" in att and att["size"] != len(raw):
        out.append(f"{where}.attachment.size is {_short(att['size'])} but the data is {len(raw)} bytes")
    if "hash" in att:
        try:
            digest = base64.b64decode(str(att["hash"]), validate=True)
        except (binascii.Error, ValueError):
            digest = b""
        if digest != hashlib.sha1(raw).digest():
            out.append(f"{where}.attachment.hash is not the base64 SHA-1 of the data")
    if isinstance(ctype, str) and "charset=utf-8" in ctype.replace(" ", "").lower():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            out.append(f"{where}.attachment.data is not UTF-8 although contentType says so")
    return out


def _us_core_problems(r: Any) -> list[str]:
    """Rules neither the model nor the schema knows: US Core must-haves and Scribe's export policy."""
    if not isinstance(r, dict):
        return ["US Core: the resource is not a JSON object"]
    p: list[str] = []
    if r.get("resourceType") != "DocumentReference":
        p.append(f"resourceType is {_short(r.get('resourceType'))}, not DocumentReference")

    status = r.get("status")
    if status is None:
        p.append("status is missing (US Core requires it)")
    elif status not in _STATUS:
        p.append(f"status {_short(status)} is not one of {', '.join(sorted(_STATUS))}")
    doc_status = r.get("docStatus")
    if doc_status is None:
        p.append("docStatus is missing; an exported note is 'final'")
    elif doc_status == "preliminary":
        p.append("docStatus 'preliminary' marks a draft; only final, approved notes are exported")
    elif doc_status not in _DOC_STATUS:
        p.append(f"docStatus {_short(doc_status)} should be 'final' for an approved note")

    idents = r.get("identifier")
    if not isinstance(idents, list) or not any(
        isinstance(i, dict) and i.get("system") and i.get("value") for i in idents
    ):
        p.append("identifier with system and value is missing; without it a retried export would file the note twice")

    loinc = [c for c in _codings(r.get("type")) if c.get("system") == LOINC]
    if not loinc:
        p.append("type has no LOINC coding (system http://loinc.org), which US Core requires")
    elif not any(isinstance(c.get("code"), str) and _LOINC_CODE.match(c["code"]) for c in loinc):
        p.append(f"type LOINC code {_short(loinc[0].get('code'))} is not a LOINC code like 11506-3")

    cats = r.get("category")
    if not isinstance(cats, list) or not cats:
        p.append("category is missing; US Core needs us-core-documentreference-category 'clinical-note'")
    elif not any(
        c.get("system") == CATEGORY_SYSTEM and c.get("code") == "clinical-note" for cat in cats for c in _codings(cat)
    ):
        p.append("category has no us-core-documentreference-category 'clinical-note' coding")

    subj = r.get("subject")
    if not isinstance(subj, dict):
        p.append("subject is missing; US Core requires the Patient the note is about")
    else:
        ref = subj.get("reference")
        if isinstance(ref, str) and ref:
            typed = _TYPED_REF.search(ref)  # Type/id or .../Type/id; urn:uuid: refs rely on "type"
            if (typed and not _PATIENT_REF.search(ref)) or (not typed and subj.get("type") != "Patient"):
                p.append(f"subject.reference {_short(ref)} does not point to a Patient")
        elif not (isinstance(subj.get("identifier"), dict) and subj["identifier"].get("value")):
            p.append("subject has neither a reference nor an identifier (the MRN); the EHR cannot find the patient")
        elif subj.get("type") != "Patient":
            p.append("subject identifies the patient by identifier but lacks type 'Patient'")

    date = r.get("date")
    if date is None:
        p.append("date is missing; EHRs need the time the note was signed")
    elif _parse_dt(date) is None:
        p.append(f"date {_short(date)} needs a date, a time with seconds and a time zone")

    authors = r.get("author")
    if not isinstance(authors, list) or not authors:
        p.append("author is missing; the approving clinician must be the author")
    elif not all(_ref_ok(a) for a in authors):
        p.append("author has an entry without reference, identifier or display")
    if "authenticator" in r and not _ref_ok(r["authenticator"]):
        p.append("authenticator has no reference, identifier or display")

    content = r.get("content")
    if not isinstance(content, list) or not content:
        p.append("content is missing (US Core requires the note itself)")
    else:
        if len(content) != 1:
            p.append(f"content has {len(content)} entries; EHRs such as Oracle Health accept exactly one")
        for i, c in enumerate(content):
            where = f"content[{i}]"
            if not isinstance(c, dict):
                p.append(f"{where} is not an object")
                continue
            p.extend(_attachment_problems(c.get("attachment"), where))
            fmt = c.get("format")
            if fmt is not None and not (isinstance(fmt, dict) and fmt.get("system") and fmt.get("code")):
                p.append(f"{where}.format needs a system and a code")

    ctx = r.get("context")
    if ctx is not None:
        if not isinstance(ctx, dict):
            p.append("context must be a single object in R4 (a list is the R5 shape)")
        else:
            period = ctx.get("period")
            if not isinstance(period, dict):
                period = {}
            for key in ("start", "end"):
                if key in period and _parse_dt(period[key]) is None:
                    p.append(f"context.period.{key} {_short(period[key])} needs a time with seconds and a time zone")
            start, end = _parse_dt(period.get("start")), _parse_dt(period.get("end"))
            if start and end and end < start:
                p.append("context.period ends before it starts")
            encs = ctx.get("encounter")
            if encs is not None and (not isinstance(encs, list) or not all(_ref_ok(e) for e in encs)):
                p.append("context.encounter must be a list of references")
    return [f"US Core: {x}" for x in p]


# --------------------------------------------------------------------------- public API


def document_reference_problems(resource: Any) -> list[str]:
    """Every problem the three layers find, model first; an empty list means valid."""
    return _model_problems(resource) + _schema_problems(resource) + _us_core_problems(resource)


def validate_document_reference(resource: dict) -> None:
    """Raise ExportError naming the first problems (all are in ``err.problems``) if any layer fails."""
    problems = document_reference_problems(resource)
    if not problems:
        return
    n = len(problems)
    shown = "; ".join(problems[:MAX_SHOWN])
    more = f"; and {n - MAX_SHOWN} more" if n > MAX_SHOWN else ""
    err = ExportError(f"The FHIR DocumentReference is not valid ({n} problem{'s' if n != 1 else ''}): {shown}{more}.")
    err.problems = problems
    raise err


def default_file_name(note: NoteDraft) -> str:
    return f"{note.note_id}-v{note.version}.documentreference.json"


def write_document_reference(note: NoteDraft, path: str | os.PathLike, **kw: Any) -> dict:
    """Build, validate and atomically write the DocumentReference; returns the resource.

    ``path`` is a file, or an existing folder (the file is then named after the note). The file
    appears complete or not at all (temporary file + ``os.replace``), so an export folder that an
    interface engine watches never sees half a note. ``kw`` goes to ``build_document_reference``.
    """
    resource = build_document_reference(note, **kw)
    validate_document_reference(resource)
    target = Path(path)
    if target.is_dir():
        target = target / default_file_name(note)
    folder = target.parent
    if not folder.is_dir():
        raise ExportError(f"Cannot write the FHIR file: folder {folder} does not exist.")
    payload = (json.dumps(resource, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        write_atomic(target, payload)
    except OSError as exc:
        raise ExportError(f"Cannot write the FHIR file {target}: {exc.strerror or exc}.") from None
    return resource
