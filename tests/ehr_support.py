"""Shared pieces for the EHR export tests: an in-memory keyring, visits with approved notes, patients.

The keyring backend is set by the test (never the developer's real keyring, never a file): see
:func:`memory_keyring`. Visits live in a temporary :class:`~scribe.storage.VisitStore`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from scribe.approval import amend, approve, edit_statement
from scribe.domain import Encounter, GroundingReport, NoteDraft, Section, Statement
from scribe.settings import Settings
from scribe.storage import VisitState, VisitStore

FHIR_JSON = "application/fhir+json"
MRN_SYSTEM = "urn:oid:2.16.840.1.113883.19.5"  # a site-specific MRN system, as IT would set it


class MemoryKeyring:
    """A keyring backend that keeps secrets in this object only (tests)."""

    priority = 1

    def __init__(self):
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.data.get((service, username))

    def set_password(self, service, username, password):
        self.data[(service, username)] = password

    def delete_password(self, service, username):
        self.data.pop((service, username), None)


def _as_backend(obj):
    from keyring.backend import KeyringBackend

    class _Backend(KeyringBackend):
        priority = 1

        def get_password(self, s, u):
            return obj.get_password(s, u)

        def set_password(self, s, u, p):
            obj.set_password(s, u, p)

        def delete_password(self, s, u):
            obj.delete_password(s, u)

    return _Backend()


@pytest.fixture
def memory_keyring():
    keyring = pytest.importorskip("keyring", reason="pip install keyring (the ehr extra)")
    from scribe.ehr import secrets

    before = keyring.get_keyring()
    mem = MemoryKeyring()
    keyring.set_keyring(_as_backend(mem))
    secrets.clear_memory()
    try:
        yield mem
    finally:
        keyring.set_keyring(before)
        secrets.clear_memory()


def ehr_settings(base_url: str, **kw) -> Settings:
    s = Settings(
        ehr_base_url=base_url,
        ehr_auth=kw.pop("ehr_auth", "none"),
        ehr_mrn_system=MRN_SYSTEM,
        ehr_timeout=kw.pop("ehr_timeout", 10.0),
        organization_name="Scribe Test Clinic",
    )
    for k, v in kw.items():
        setattr(s, k, v)
    return s


def tag() -> str:
    return uuid.uuid4().hex[:10]


def transcript_of(note: NoteDraft):
    """A transcript in which every statement of ``note`` was said (approval re-checks against it)."""
    from scribe.transcript_io import parse_dialogue

    return parse_dialogue("\n".join(f"[doctor] {st.text}" for st in note.statements()))


def approved_note(
    encounter: Encounter,
    text: str = "Dry cough for 3 days, no fever.",
    approved_at: datetime | None = None,
    keys=None,
) -> NoteDraft:
    note = NoteDraft(
        note_id=f"note-{uuid.uuid4().hex}",
        template="soap",
        encounter=encounter,
        sections=[
            Section(key="subjective", title="Subjective", statements=[Statement(text=text)]),
            Section(key="plan", title="Plan", statements=[Statement(text="Return if symptoms worsen.")]),
        ],
        grounding=GroundingReport(statements=2, unsupported=0),
    )  # checked (grounding itself is tested elsewhere)
    note = approve(note, "Dr. Ada Lovelace", transcript=transcript_of(note), login="dr.test", keys=keys)
    if approved_at is not None:
        note.approval = note.approval.model_copy(update={"approved_at": approved_at})
        if keys is not None:  # signed again, as if approved then
            from scribe.approval import approval_payload

            note.approval = note.approval.model_copy(update=keys.sign(approval_payload(note)))
    return note


def make_visit(
    store: VisitStore,
    *,
    mrn: str | None = None,
    name: str = "Maria Lopez",
    text: str | None = None,
    approved_at: datetime | None = None,
):
    """A saved visit whose latest note is approved. Returns (visit, note)."""
    t = tag()
    enc = Encounter(
        encounter_id=f"enc-{t}",
        patient_name=name,
        patient_id=mrn or f"MRN-{t}",
        clinician="Dr. Ada Lovelace",
        start=datetime.now(UTC) - timedelta(minutes=30),
        end=datetime.now(UTC) - timedelta(minutes=10),
    )
    visit = store.create(enc, actor="dr.test", state=VisitState.draft)
    note = approved_note(
        enc,
        text or f"Dry cough for 3 days ({t}); café, naïve — ünïcödé.",
        approved_at,
        keys=getattr(store, "keys", None),
    )
    note = visit.save_note(note, "dr.test")
    visit.set_state(VisitState.approved, "dr.test")
    return visit, note


def amend_and_approve(visit, note: NoteDraft, new_text: str) -> NoteDraft:
    v2 = amend(note, "Dr. Ada Lovelace", reason="wrong duration")
    st = v2.sections[0].statements[0]
    v2 = edit_statement(v2, st.id, new_text, "Dr. Ada Lovelace")
    v2 = approve(v2, "Dr. Ada Lovelace", transcript=transcript_of(v2), login="dr.test", keys=visit.keys)
    return visit.save_note(v2, "dr.test")


def create_patient(
    base_url: str, mrn: str, family: str = "Lopez", given: str = "Maria", headers: dict | None = None
) -> str:
    body = {
        "resourceType": "Patient",
        "identifier": [{"system": MRN_SYSTEM, "value": mrn}],
        "name": [{"family": family, "given": [given]}],
    }
    r = httpx.post(f"{base_url}/Patient", json=body, headers={"Content-Type": FHIR_JSON, **(headers or {})}, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def create_encounter(base_url: str, encounter_id: str, patient_id: str, headers: dict | None = None) -> str:
    body = {
        "resourceType": "Encounter",
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "identifier": [{"system": "urn:scribe:encounter", "value": encounter_id}],
        "subject": {"reference": f"Patient/{patient_id}"},
    }
    r = httpx.post(
        f"{base_url}/Encounter", json=body, headers={"Content-Type": FHIR_JSON, **(headers or {})}, timeout=30
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def docs_with_identifier(base_url: str, identifier: str, headers: dict | None = None) -> list[dict]:
    r = httpx.get(
        f"{base_url}/DocumentReference",
        params={"identifier": f"urn:ietf:rfc:3986|{identifier}"},
        headers={"Accept": FHIR_JSON, **(headers or {})},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return [e["resource"] for e in r.json().get("entry", []) if e.get("search", {}).get("mode", "match") == "match"]
