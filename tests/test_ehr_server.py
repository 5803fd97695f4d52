"""EHR export against a real FHIR R4 server (sekmet on loopback): create, read back, no duplicates,
amend with relatesTo, entered-in-error, patient match, SMART Backend Services (token, 401, 403).
"""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest

from scribe.ehr import secrets
from scribe.ehr.client import FhirClient
from scribe.ehr.outbox import ItemState, Outbox
from scribe.ehr.service import EhrService
from scribe.ehr.smart import BackendServicesAuth, NoAuth, generate_private_key, public_jwks
from scribe.errors import EhrAuthError
from scribe.storage import VisitState, VisitStore

try:
    from tests.ehr_support import (
        FHIR_JSON,
        amend_and_approve,
        create_encounter,
        create_patient,
        docs_with_identifier,  # noqa: F401
        ehr_settings,
        make_visit,
        memory_keyring,
        tag,
    )
    from tests.fhir_server import fhir_server, run_sekmet  # noqa: F401
except ImportError:
    from ehr_support import (  # noqa: F401
        FHIR_JSON,
        amend_and_approve,
        create_encounter,
        create_patient,
        docs_with_identifier,
        ehr_settings,
        make_visit,
        memory_keyring,
        tag,
    )
    from fhir_server import fhir_server, run_sekmet  # noqa: F401


@pytest.fixture
def store(tmp_path):
    return VisitStore(tmp_path / "visits")


def fast_outbox(store):
    return Outbox(store, backoff_base=0.01, backoff_cap=0.05)


def note_text_on_server(base: str, rid: str, headers=None) -> tuple[dict, str]:
    r = httpx.get(f"{base}/DocumentReference/{rid}", headers={"Accept": FHIR_JSON, **(headers or {})}, timeout=30)
    assert r.status_code == 200, r.text
    doc = r.json()
    return doc, base64.b64decode(doc["content"][0]["attachment"]["data"]).decode("utf-8")


# --------------------------------------------------------------------------- create / read back


def test_create_and_read_back(fhir_server, store):
    visit, note = make_visit(store)
    pid = create_patient(fhir_server, note.encounter.patient_id)
    eid = create_encounter(fhir_server, note.encounter.encounter_id, pid)
    service = EhrService(ehr_settings(fhir_server))
    outbox = fast_outbox(store)
    item, new = outbox.enqueue_note(note, "dr.test", **service.outbox_kw())
    assert new and item.state == ItemState.queued
    assert (store.root / ".outbox" / f"{item.item_id}.json").is_file()  # on disk before any network call

    report = outbox.drain(service)
    item = outbox.get(item.item_id)
    assert report.sent == [item.item_id] and item.state == ItemState.sent, item.last_error
    assert item.server_id and item.server_version == "1" and item.result == "created"
    assert item.patient_reference == f"Patient/{pid}" and item.encounter_reference == f"Encounter/{eid}"

    doc, text = note_text_on_server(fhir_server, item.server_id)
    assert text == note.render_text()
    assert doc["subject"]["reference"] == f"Patient/{pid}"
    assert doc["context"]["encounter"][0]["reference"] == f"Encounter/{eid}"
    assert doc["identifier"][0]["value"] == item.identifier
    assert doc["docStatus"] == "final" and doc["status"] == "current"

    visit.refresh()
    assert visit.state == VisitState.exported
    actions = [e["action"] for e in visit.audit_log()]
    assert {"ehr_queued", "ehr_sending", "ehr_sent"} <= set(actions)
    assert visit.verify_audit()
    # queueing the same version again is the same item, already sent
    again, new = outbox.enqueue_note(note, "dr.test", **service.outbox_kw())
    assert not new and again.state == ItemState.sent


def test_conditional_create_no_duplicate_on_retry(fhir_server, store):
    """A crash after the POST (item left 'sending') and a staff retry both resend: still one note."""
    visit, note = make_visit(store)
    create_patient(fhir_server, note.encounter.patient_id)
    service = EhrService(ehr_settings(fhir_server))
    outbox = fast_outbox(store)
    item, _ = outbox.enqueue_note(note, "dr.test", **service.outbox_kw())
    outbox.drain(service)
    first = outbox.get(item.item_id)
    assert first.state == ItemState.sent and first.result == "created"

    # simulate a crash right after the server committed: the item is still "sending" on disk
    data = store.outbox().load(item.item_id)
    data.update(state="sending", server_id="", result="")
    store.outbox().save(item.item_id, data)
    report = fast_outbox(store).drain(service)
    resent = outbox.get(item.item_id)
    assert report.sent == [item.item_id]
    assert resent.state == ItemState.sent and resent.result == "existed"
    assert resent.server_id == first.server_id
    assert any(h.get("resumed_after_crash") for h in resent.history)

    # and the raw service, sending the same item twice more
    for _ in range(2):
        res = service.send(resent, outbox)
        assert res.server_id == first.server_id and res.result == "existed"
    assert len(docs_with_identifier(fhir_server, item.identifier)) == 1


def test_amend_relates_to_previous(fhir_server, store):
    visit, v1 = make_visit(store)
    create_patient(fhir_server, v1.encounter.patient_id)
    service = EhrService(ehr_settings(fhir_server))
    outbox = fast_outbox(store)
    outbox.enqueue_note(v1, "dr.test", **service.outbox_kw())
    outbox.drain(service)
    sent1 = outbox.for_visit(visit.encounter_id)[0]
    assert sent1.state == ItemState.sent

    v2 = amend_and_approve(visit, v1, "Dry cough for 5 days, no fever.")
    assert v2.version == 2 and v2.amends_version == 1
    item2, new = outbox.enqueue_note(v2, "dr.test", **service.outbox_kw())
    assert new and item2.identifier != sent1.identifier
    outbox.drain(service)
    sent2 = outbox.get(item2.item_id)
    assert sent2.state == ItemState.sent and sent2.server_id != sent1.server_id

    doc, text = note_text_on_server(fhir_server, sent2.server_id)
    assert "5 days" in text
    rel = doc["relatesTo"][0]
    assert rel["code"] == "replaces"
    assert rel["target"]["reference"] == f"DocumentReference/{sent1.server_id}"
    assert rel["target"]["identifier"]["value"] == sent1.identifier
    found = httpx.get(
        f"{fhir_server}/DocumentReference",
        params={"relatesto": f"DocumentReference/{sent1.server_id}"},
        headers={"Accept": FHIR_JSON},
    ).json()
    assert [e["resource"]["id"] for e in found.get("entry", [])] == [sent2.server_id]
    visit.refresh()
    assert visit.state == VisitState.exported


def test_retract_marks_entered_in_error(fhir_server, store):
    visit, note = make_visit(store)
    create_patient(fhir_server, note.encounter.patient_id)
    service = EhrService(ehr_settings(fhir_server))
    outbox = fast_outbox(store)
    item, _ = outbox.enqueue_note(note, "dr.test", **service.outbox_kw())
    outbox.drain(service)
    sent = outbox.get(item.item_id)

    r = outbox.enqueue_retract(visit.encounter_id, note.version, "dr.test", reason="wrong patient")
    outbox.drain(service)
    r = outbox.get(r.item_id)
    assert r.state == ItemState.sent and r.result == "retracted", r.last_error
    doc, _ = note_text_on_server(fhir_server, sent.server_id)
    assert doc["status"] == "entered-in-error"
    assert doc["meta"]["versionId"] == "2"
    # retracting again is harmless
    again = outbox.retry(r.item_id, "dr.test") if False else None  # sent items cannot be retried
    assert again is None
    assert service.send(r, outbox).result == "already retracted"
    assert "ehr_retracted" in [e["action"] for e in visit.audit_log()]


def test_retract_before_sent_cancels_it(fhir_server, store):
    visit, note = make_visit(store)
    outbox = fast_outbox(store)
    service = EhrService(ehr_settings(fhir_server))
    item, _ = outbox.enqueue_note(note, "dr.test", **service.outbox_kw())
    r = outbox.enqueue_retract(visit.encounter_id, note.version, "dr.test")
    assert outbox.get(item.item_id).state == ItemState.cancelled
    outbox.drain(service)
    assert outbox.get(r.item_id).result == "not on server"
    assert docs_with_identifier(fhir_server, item.identifier) == []


# --------------------------------------------------------------------------- patient match


@pytest.mark.parametrize("case", ["none", "two", "name"])
def test_patient_match_problems_stop_the_export(fhir_server, store, case):
    visit, note = make_visit(store, name="Maria Lopez")
    mrn = note.encounter.patient_id
    if case == "two":
        create_patient(fhir_server, mrn)
        create_patient(fhir_server, mrn)
    elif case == "name":
        create_patient(fhir_server, mrn, family="Okafor", given="Chidi")
    service = EhrService(ehr_settings(fhir_server))
    outbox = fast_outbox(store)
    item, _ = outbox.enqueue_note(note, "dr.test", **service.outbox_kw())
    report = outbox.drain(service)
    item = outbox.get(item.item_id)
    assert report.failed == [item.item_id] and item.state == ItemState.failed_permanent
    expect = {"none": "No patient with MRN", "two": "2 patients in the EHR have MRN", "name": "Okafor"}[case]
    assert expect in item.last_error and "nothing was sent" in item.last_error or case != "name"
    assert docs_with_identifier(fhir_server, item.identifier) == []
    # staff fix the record in the EHR, then retry: it goes through
    if case == "none":
        create_patient(fhir_server, mrn)
        outbox.retry(item.item_id, "staff")
        outbox.drain(service)
        assert outbox.get(item.item_id).state == ItemState.sent


def test_encounter_of_another_patient_stops_the_export(fhir_server, store):
    visit, note = make_visit(store)
    create_patient(fhir_server, note.encounter.patient_id)
    other = create_patient(fhir_server, f"MRN-{tag()}", family="Okafor")
    create_encounter(fhir_server, note.encounter.encounter_id, other)
    service = EhrService(ehr_settings(fhir_server))
    outbox = fast_outbox(store)
    item, _ = outbox.enqueue_note(note, "dr.test", **service.outbox_kw())
    outbox.drain(service)
    item = outbox.get(item.item_id)
    assert item.state == ItemState.failed_permanent
    assert "belongs to Patient/" in item.last_error


def test_required_encounter_missing_stops(fhir_server, store):
    visit, note = make_visit(store)
    create_patient(fhir_server, note.encounter.patient_id)
    service = EhrService(ehr_settings(fhir_server, ehr_require_encounter=True))
    outbox = fast_outbox(store)
    item, _ = outbox.enqueue_note(note, "dr.test", **service.outbox_kw())
    outbox.drain(service)
    assert "was not found in the EHR" in outbox.get(item.item_id).last_error


def test_connection_report_open_server(fhir_server):
    rep = EhrService(ehr_settings(fhir_server)).test_connection()
    assert rep.fhir_version == "4.0.1"
    assert rep.docref_create and rep.conditional_create and rep.patient_search
    assert rep.ok, rep.text()


# --------------------------------------------------------------------------- SMART Backend Services


@pytest.fixture(scope="session")
def smart_keys():
    return {
        "full": generate_private_key("ES384"),
        "readonly": generate_private_key("RS384"),
        "stranger": generate_private_key("ES384"),
    }


@pytest.fixture(scope="session")
def smart_server(tmp_path_factory, smart_keys):
    """sekmet with SMART Backend Services on: our public JWKS registered for two clients."""
    auth = {
        "types": ["smart"],
        "enforce_scopes": True,
        "token_lifetime": 300,
        "smart_clients": [
            {"client_id": "scribe-full", "jwks": public_jwks(smart_keys["full"]), "scopes": "system/*.*"},
            {
                "client_id": "scribe-readonly",
                "jwks": public_jwks(smart_keys["readonly"]),
                "scopes": "system/Patient.read system/Encounter.read system/DocumentReference.read",
            },
        ],
    }
    yield from run_sekmet(tmp_path_factory.mktemp("sekmet-smart"), auth)


def smart_settings(base, client_id="scribe-full", alg="ES384"):
    return ehr_settings(base, ehr_auth="backend-services", ehr_client_id=client_id, ehr_key_alg=alg)


def admin_headers(base, pem) -> dict:
    """A token for test set-up (creating patients) from the full client."""
    c = FhirClient(base, BackendServicesAuth("scribe-full", "system/*.*", private_key_pem=pem))
    return {"Authorization": f"Bearer {c.auth.token(c)}"}


def test_smart_backend_services_end_to_end(smart_server, smart_keys, store, memory_keyring):
    secrets.set_secret(secrets.PRIVATE_KEY, smart_keys["full"])  # the keyring, as 'scribe ehr keygen' does
    assert memory_keyring.data, "the key went to the keyring"
    visit, note = make_visit(store)
    create_patient(smart_server, note.encounter.patient_id, headers=admin_headers(smart_server, smart_keys["full"]))

    service = EhrService(smart_settings(smart_server))
    rep = service.test_connection()
    assert rep.signed_in and rep.smart["token_endpoint"].endswith("/auth/token"), rep.text()
    assert "ES384" in rep.smart["signing_algs"] and rep.ok, rep.text()

    outbox = fast_outbox(store)
    item, _ = outbox.enqueue_note(note, "dr.test", **service.outbox_kw())
    outbox.drain(service)
    item = outbox.get(item.item_id)
    assert item.state == ItemState.sent, item.last_error
    doc, text = note_text_on_server(smart_server, item.server_id, admin_headers(smart_server, smart_keys["full"]))
    assert text == note.render_text()
    assert service.client.auth.tokens_fetched == 1  # the connection test's token is reused for the send


def test_smart_missing_token_is_401(smart_server):
    c = FhirClient(smart_server, NoAuth())
    with pytest.raises(EhrAuthError) as err:
        c.search("Patient", {"identifier": "x|y"})
    assert err.value.status == 401 and not err.value.transient
    assert "not signed in" in str(err.value) and "Authentication required" in str(err.value)


def test_smart_refused_scope_is_403_and_stops(smart_server, smart_keys, store, memory_keyring):
    secrets.set_secret(secrets.PRIVATE_KEY, smart_keys["readonly"])
    visit, note = make_visit(store)
    create_patient(smart_server, note.encounter.patient_id, headers=admin_headers(smart_server, smart_keys["full"]))
    service = EhrService(smart_settings(smart_server, "scribe-readonly", "RS384"))
    outbox = fast_outbox(store)
    item, _ = outbox.enqueue_note(note, "dr.test", **service.outbox_kw())
    report = outbox.drain(service)
    item = outbox.get(item.item_id)
    assert report.failed == [item.item_id] and item.attempts == 1  # permanent: not retried
    assert item.state == ItemState.failed_permanent and item.last_error_cause == "http 403"
    assert "HTTP 403" in item.last_error and "scopes" in item.last_error and "do not permit" in item.last_error


def test_smart_unregistered_key_is_refused(smart_server, smart_keys, memory_keyring):
    service = EhrService(
        smart_settings(smart_server),
        auth=BackendServicesAuth("scribe-full", "system/*.*", private_key_pem=smart_keys["stranger"]),
    )
    rep = service.test_connection()
    assert rep.signed_in is False and not rep.ok
    assert any("invalid_client" in p and "register" in p for p in rep.problems), rep.text()


def test_smart_no_key_says_how_to_make_one(smart_server, memory_keyring):
    rep = EhrService(smart_settings(smart_server)).test_connection()
    assert any("scribe ehr keygen" in p for p in rep.problems), rep.text()


def test_smart_token_is_refreshed_when_it_expires(smart_server, smart_keys):
    now = [time.time()]
    auth = BackendServicesAuth("scribe-full", "system/*.*", private_key_pem=smart_keys["full"], clock=lambda: now[0])
    c = FhirClient(smart_server, auth)
    c.search("Patient", {"identifier": "x|1"})
    c.search("Patient", {"identifier": "x|2"})
    assert auth.tokens_fetched == 1
    now[0] += 3600  # past expires_in (300 s): a new assertion and token
    c.search("Patient", {"identifier": "x|3"})
    assert auth.tokens_fetched == 2


def test_smart_revoked_token_gets_a_fresh_one(smart_server, smart_keys):
    auth = BackendServicesAuth("scribe-full", "system/*.*", private_key_pem=smart_keys["full"])
    c = FhirClient(smart_server, auth)
    c.search("Patient", {"identifier": "x|1"})
    auth._cache.value = "not-a-valid-token"  # e.g. the server restarted with a new signing secret
    c.search("Patient", {"identifier": "x|2"})  # 401 -> fresh token -> OK
    assert auth.tokens_fetched == 2


def test_jwks_has_no_private_parts(smart_keys):
    for pem in smart_keys.values():
        jwks = public_jwks(pem)
        text = json.dumps(jwks)
        assert '"d"' not in text and "PRIVATE" not in text
        assert jwks["keys"][0]["alg"] in ("ES384", "RS384") and jwks["keys"][0]["kid"]
