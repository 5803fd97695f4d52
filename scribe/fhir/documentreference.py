"""Turn an approved note into a FHIR R4 US Core DocumentReference (plain JSON dict).

The output is R4 (4.0.1), not R5: EHR servers reject R5 shapes. It follows US Core
"Writing Clinical Notes": the note text travels inline as ``text/plain; charset=utf-8``,
the document is final (drafts are never sent), and a stable identifier derived from the
note id and version lets a retry use conditional create instead of duplicating the note.

Only approved notes whose text still matches the approval hash are exported; anything else
raises :class:`ApprovalError` so an unsigned or silently edited note never reaches the chart.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..domain import NoteDraft
from ..drafting.templates import get_template
from ..errors import ApprovalError, ExportError

US_CORE_PROFILE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-documentreference"
LOINC = "http://loinc.org"
CATEGORY_SYSTEM = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
URI_SYSTEM = "urn:ietf:rfc:3986"  # identifier system for values that are themselves URIs
FORMAT_SYSTEM = "urn:oid:1.3.6.1.4.1.19376.1.2.3"  # IHE format codes, as in US Core examples
FORMAT_CODE = "urn:ihe:iti:xds:2017:mimeTypeSufficient"
V2_IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
CONTENT_TYPE = "text/plain; charset=utf-8"

# Placeholder identifier systems. A site should set its real MRN / encounter systems (usually
# an OID or URL published by the EHR) so the receiving server can match the patient.
DEFAULT_MRN_SYSTEM = "urn:scribe:mrn"
DEFAULT_ENCOUNTER_SYSTEM = "urn:scribe:encounter"

# Fixed namespace: changing it would change every exported identifier and break retries.
_NOTE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:scribe:note")
_CLOCK_SKEW = timedelta(minutes=5)
_UNKNOWN_PATIENT_IDS = {"", "unknown"}
_PATIENT_LITERAL = re.compile(r"^(https?://\S+/)?Patient/[A-Za-z0-9\-.]{1,64}$")
_LITERAL_REF = re.compile(r"^(https?://\S+/)?DocumentReference/[A-Za-z0-9\-.]{1,64}(/_history/\S+)?$")


def document_identifier(note_id: str, version: int) -> str:
    """``urn:uuid:`` for one version of a note; the same inputs always give the same value.

    Used for conditional create (``If-None-Exist: identifier=...``) so a retried export is
    recognised by the server, and by a later version's ``relatesTo`` to name what it replaces.
    """
    return "urn:uuid:" + str(uuid.uuid5(_NOTE_NAMESPACE, f"{note_id}/v{version}"))


def fhir_datetime(value: datetime) -> str:
    """FHIR dateTime with seconds and an explicit offset (EHRs reject dates without a time zone).

    A naive datetime (only from hand-edited JSON; Scribe writes aware UTC) is read as local time.
    """
    offset = value.utcoffset()
    if offset is None:
        value = value.astimezone()
        offset = value.utcoffset()
    if (
        offset is not None and offset.total_seconds() % 60
    ):  # historic zones (LMT) have second offsets FHIR can't express
        value = value.astimezone(UTC)
    text = value.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None and value.utcoffset() is not None else value.astimezone()


def _relates_to(replaces: str) -> dict[str, Any]:
    """``replaces`` is the previous version's identifier (urn:uuid:...) or its server reference."""
    replaces = replaces.strip()
    if replaces.startswith(("urn:uuid:", "urn:oid:")):
        target: dict[str, Any] = {"identifier": {"system": URI_SYSTEM, "value": replaces}}
    elif _LITERAL_REF.match(replaces):
        target = {"reference": replaces}
    else:
        raise ExportError(
            f"Cannot mark the note as replacing '{replaces}': give the earlier version's identifier "
            "(urn:uuid:...) or its server reference (DocumentReference/<id>)."
        )
    return {"code": "replaces", "target": {**target, "type": "DocumentReference"}}


def build_document_reference(
    note: NoteDraft,
    *,
    organization: str | None = None,
    now: datetime | None = None,
    replaces: str | None = None,
    mrn_system: str = DEFAULT_MRN_SYSTEM,
    encounter_system: str = DEFAULT_ENCOUNTER_SYSTEM,
    patient_reference: str | None = None,
    template_folders: Iterable[Path] = (),
) -> dict[str, Any]:
    """Build the US Core DocumentReference for an approved note.

    ``organization`` is the custodian (the caller passes ``Settings.organization_name``; None
    leaves it out: nothing here reads the settings behind the caller's back). ``now`` is only used
    to catch a wrong system clock (approval in the future); pass it in tests. ``replaces`` adds
    ``relatesTo`` for an amended version; by default an amendment (``note.amends_version``)
    replaces the identifier of the version it amends. ``patient_reference`` (e.g. ``Patient/123``) adds a
    literal reference once the EHR's patient id is known; the MRN identifier is always sent.
    ``template_folders`` (the caller passes ``Settings.template_folders``) is where a note written with the
    user's own template finds it, for its LOINC type.

    Raises ApprovalError for an unapproved or changed note, ExportError for a note that cannot
    be filed (no patient MRN, empty text, clock problems).
    """
    if note.approval is None:
        raise ApprovalError(f"Note {note.note_id} is not approved; review and approve it before exporting.")
    if not note.is_approved:
        raise ApprovalError(
            f"Note {note.note_id} was changed after it was approved; review and approve it again before exporting."
        )
    enc = note.encounter
    mrn = enc.patient_id.strip()
    if mrn.lower() in _UNKNOWN_PATIENT_IDS:
        raise ExportError(
            f"Note {note.note_id} has no patient MRN; set the patient ID before exporting so the EHR files it to the right chart."
        )
    text = note.render_text()
    if not text.strip():
        raise ExportError(f"Note {note.note_id} has no text to export.")
    approver = note.approval.approved_by.strip()
    if not approver:
        raise ApprovalError(f"Note {note.note_id} has no approving clinician; approve it again with your name.")

    approved_at = _aware(note.approval.approved_at)
    now = _aware(now) if now is not None else datetime.now(UTC)
    if approved_at > now + _CLOCK_SKEW:
        raise ExportError(
            f"Note {note.note_id} is approved at {fhir_datetime(approved_at)}, which is in the future; check the computer's clock."
        )
    start = _aware(enc.start)
    end = _aware(enc.end) if enc.end is not None else None
    if end is not None and end < start:
        raise ExportError(
            f"Encounter {enc.encounter_id} ends before it starts; correct the visit times before exporting."
        )

    template = get_template(note.template, template_folders)
    data = text.encode("utf-8")
    approved = fhir_datetime(approved_at)
    clinician = {"type": "Practitioner", "display": approver}
    period = {"start": fhir_datetime(start)}
    if end is not None:
        period["end"] = fhir_datetime(end)

    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "meta": {"profile": [US_CORE_PROFILE]},
        "identifier": [{"system": URI_SYSTEM, "value": document_identifier(note.note_id, note.version)}],
        "status": "current",
        "docStatus": "final",
        "type": {
            "coding": [{"system": LOINC, "code": template.loinc_code, "display": template.loinc_display}],
            "text": template.title,
        },
        "category": [
            {
                "coding": [{"system": CATEGORY_SYSTEM, "code": "clinical-note", "display": "Clinical Note"}],
                "text": "Clinical Note",
            }
        ],
        "subject": {
            "type": "Patient",
            "identifier": {
                "type": {"coding": [{"system": V2_IDENTIFIER_TYPE, "code": "MR", "display": "Medical record number"}]},
                "system": mrn_system,
                "value": mrn,
            },
        },
        "date": approved,
        "author": [dict(clinician)],
        "authenticator": dict(clinician),
        "content": [
            {
                "attachment": {
                    "contentType": CONTENT_TYPE,
                    "data": base64.b64encode(data).decode("ascii"),
                    "size": len(data),
                    "hash": base64.b64encode(hashlib.sha1(data).digest()).decode("ascii"),
                    "title": template.title,
                    "creation": approved,
                },
                "format": {"system": FORMAT_SYSTEM, "code": FORMAT_CODE, "display": "mimeType Sufficient"},
            }
        ],
        "context": {
            "encounter": [{"type": "Encounter", "identifier": {"system": encounter_system, "value": enc.encounter_id}}],
            "period": period,
        },
    }
    if organization and organization.strip():
        resource["custodian"] = {"type": "Organization", "display": organization.strip()}
    if enc.patient_name.strip():
        resource["subject"]["display"] = enc.patient_name.strip()
    if patient_reference:
        if not _PATIENT_LITERAL.match(patient_reference.strip()):
            raise ExportError(f"'{patient_reference}' is not a Patient reference like Patient/123.")
        resource["subject"]["reference"] = patient_reference.strip()
    if replaces is None and note.amends_version is not None:
        replaces = document_identifier(note.note_id, note.amends_version)
    if replaces:
        resource["relatesTo"] = [_relates_to(replaces)]
    return resource
