"""Post exported notes to a real FHIR R4 server (sekmet) and read them back.

Checks what a local validator cannot: that a server accepts the resource, stores the note text
byte for byte, honours conditional create on our stable identifier (a retried export is not
filed twice), and finds the note by the patient's MRN or by a literal Patient reference.
"""

from __future__ import annotations

import base64
import uuid

import pytest

from scribe.fhir.documentreference import DEFAULT_MRN_SYSTEM, URI_SYSTEM
from scribe.fhir.validate import validate_document_reference

try:  # works whether tests/ is a package or a plain folder on sys.path (pytest's rootdir modes)
    from tests.fhir_server import fhir_server  # noqa: F401  (registers the fixture)
    from tests.test_fhir_export import NOW, build, make_note
except ImportError:
    from fhir_server import fhir_server  # noqa: F401
    from test_fhir_export import NOW, build, make_note

httpx = pytest.importorskip("httpx")

FHIR_JSON = "application/fhir+json"
HEADERS = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON}


@pytest.fixture
def client(fhir_server):
    with httpx.Client(base_url=fhir_server, headers=HEADERS, timeout=30) as c:
        yield c


def unique_note(**kw):
    """A note with its own ids, so tests sharing the session server never see each other's data."""
    note = make_note(**kw)
    tag = uuid.uuid4().hex[:10]
    note.note_id = f"note-{tag}"
    note.encounter.encounter_id = f"enc-{tag}"
    note.encounter.patient_id = f"MRN-{tag}"
    return note


def post_note(client, resource: dict) -> httpx.Response:
    ident = resource["identifier"][0]
    return client.post(
        "/DocumentReference", json=resource, headers={"If-None-Exist": f"identifier={ident['system']}|{ident['value']}"}
    )


def decoded_text(resource: dict) -> str:
    return base64.b64decode(resource["content"][0]["attachment"]["data"]).decode("utf-8")


def test_post_and_read_back(client):
    note = unique_note()
    resource = build(note)
    validate_document_reference(resource)

    created = post_note(client, resource)
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    assert f"/DocumentReference/{rid}" in created.headers["Location"]

    stored = client.get(f"/DocumentReference/{rid}")
    assert stored.status_code == 200, stored.text
    got = stored.json()
    assert decoded_text(got) == note.render_text()
    assert got["content"][0]["attachment"]["hash"] == resource["content"][0]["attachment"]["hash"]
    assert got["identifier"] == resource["identifier"]
    assert got["type"]["coding"][0]["code"] == "11506-3"
    assert got["subject"]["identifier"]["value"] == note.encounter.patient_id
    assert got["date"] == resource["date"]
    validate_document_reference({k: v for k, v in got.items() if k not in ("id", "meta")})


def test_retry_does_not_duplicate(client):
    note = unique_note(template="consult")
    first = post_note(client, build(note))
    again = post_note(client, build(note, now=NOW))  # rebuilt, as a retry after a crash would
    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text  # conditional create matched the existing note
    assert again.json()["id"] == first.json()["id"]
    ident = build(note)["identifier"][0]["value"]
    found = client.get("/DocumentReference", params={"identifier": f"{URI_SYSTEM}|{ident}"}).json()
    assert found["total"] == 1


def test_found_by_patient_mrn(client):
    note = unique_note(template="history_physical")
    assert post_note(client, build(note)).status_code == 201
    mrn = f"{DEFAULT_MRN_SYSTEM}|{note.encounter.patient_id}"
    bundle = client.get("/DocumentReference", params={"subject:identifier": mrn}).json()
    assert bundle["total"] == 1
    assert decoded_text(bundle["entry"][0]["resource"]) == note.render_text()


def test_literal_patient_reference(client):
    """Once the EHR's Patient id is known, the note links to it and patient searches find it."""
    note = unique_note()
    patient = {
        "resourceType": "Patient",
        "identifier": [{"system": DEFAULT_MRN_SYSTEM, "value": note.encounter.patient_id}],
        "name": [{"text": note.encounter.patient_name}],
    }
    made = client.post("/Patient", json=patient)
    assert made.status_code == 201, made.text
    pid = made.json()["id"]

    resource = build(note, patient_reference=f"Patient/{pid}")
    validate_document_reference(resource)
    assert post_note(client, resource).status_code == 201
    bundle = client.get("/DocumentReference", params={"patient": f"Patient/{pid}"}).json()
    assert bundle["total"] == 1
    assert decoded_text(bundle["entry"][0]["resource"]) == note.render_text()
