"""``scribe ehr …`` against a real FHIR server: keygen/jwks, test-connection, send, queue, send-today, retract,
and one-line errors (exit 2, no traceback)."""

from __future__ import annotations

import json

import pytest

from scribe.cli import main

try:
    from tests.ehr_support import MRN_SYSTEM, create_patient, docs_with_identifier, make_visit, memory_keyring  # noqa: F401
    from tests.fhir_server import fhir_server  # noqa: F401
except ImportError:
    from ehr_support import MRN_SYSTEM, create_patient, docs_with_identifier, make_visit, memory_keyring  # noqa: F401
    from fhir_server import fhir_server  # noqa: F401


@pytest.fixture
def env(fhir_server, tmp_path, monkeypatch, memory_keyring):
    monkeypatch.setenv("SCRIBE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SCRIBE_EHR_BASE_URL", fhir_server)
    monkeypatch.setenv("SCRIBE_EHR_AUTH", "none")
    monkeypatch.setenv("SCRIBE_EHR_MRN_SYSTEM", MRN_SYSTEM)
    monkeypatch.setenv("SCRIBE_EHR_TIMEOUT", "10")
    from scribe.security import SecurityContext
    from scribe.settings import load_settings

    return SecurityContext(load_settings()).store()  # sealed with the installation's keys, as the CLI opens it


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_keygen_and_jwks(env, capsys, memory_keyring, tmp_path):
    code, out, _ = run(capsys, "ehr", "keygen", "--jwks-out", str(tmp_path / "jwks.json"))
    assert code == 0 and "ES384 signing key stored" in out and "OS keyring" in out
    assert any(k[1] == "default:private-key" for k in memory_keyring.data)
    jwks = json.loads((tmp_path / "jwks.json").read_text())
    assert jwks["keys"][0]["alg"] == "ES384" and "d" not in jwks["keys"][0]
    code, out, _ = run(capsys, "ehr", "jwks")
    assert json.loads(out) == jwks
    code, _, err = run(capsys, "ehr", "keygen")
    assert code == 2 and err.startswith("scribe: error: A signing key already exists")
    assert not list(tmp_path.glob("data/**/*.pem"))


def test_send_queue_retract(env, capsys, fhir_server):
    visit, note = make_visit(env)
    code, _, err = run(capsys, "ehr", "send", visit.encounter_id)
    assert code == 2 and err.count("\n") == 1 and "No patient with MRN" in err and "Traceback" not in err
    code, out, _ = run(capsys, "ehr", "queue")
    assert "Needs attention" in out and "No patient with MRN" in out

    create_patient(fhir_server, note.encounter.patient_id)
    item_id = f"{visit.encounter_id}.v1.create"
    code, out, _ = run(capsys, "ehr", "queue", "--retry", item_id)
    assert code == 0 and "filed in the EHR as DocumentReference/" in out
    code, out, _ = run(capsys, "ehr", "send", visit.encounter_id)
    assert code == 0 and "Already in the EHR" in out
    ident = env.outbox().load(item_id)["identifier"]
    assert len(docs_with_identifier(fhir_server, ident)) == 1

    code, out, _ = run(capsys, "ehr", "retract", visit.encounter_id, "--reason", "wrong patient")
    assert code == 0 and "marked entered-in-error" in out
    assert docs_with_identifier(fhir_server, ident)[0]["status"] == "entered-in-error"


def test_send_today_summary(env, capsys, fhir_server):
    ok = [make_visit(env) for _ in range(2)]
    for _, n in ok:
        create_patient(fhir_server, n.encounter.patient_id)
    make_visit(env)  # patient not in the EHR
    code, out, _ = run(capsys, "ehr", "send-today")
    assert code == 2
    assert "Today's approved notes: 3 — 2 in the EHR, 0 waiting to retry, 1 need attention." in out
    assert "No patient with MRN" in out


def test_unreachable_server_queues_and_exits_3(env, capsys, monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("SCRIBE_EHR_BASE_URL", f"http://127.0.0.1:{port}/fhir")
    visit, _ = make_visit(env)
    code, out, _ = run(capsys, "ehr", "send", visit.encounter_id)
    assert code == 3 and "Not sent yet" in out and "retried automatically" in out
    code, out, _ = run(capsys, "ehr", "queue")
    assert "Waiting to send" in out and "attempts 1" in out
    code, out, _ = run(capsys, "ehr", "queue", "--cancel", f"{visit.encounter_id}.v1.create")
    assert code == 0 and "cancelled" in out


def test_test_connection_and_unconfigured(env, capsys, monkeypatch):
    code, out, _ = run(capsys, "ehr", "test-connection")
    assert code == 0 and "FHIR version: 4.0.1" in out and "Conditional create (no duplicates on retry): yes" in out
    monkeypatch.setenv("SCRIBE_EHR_BASE_URL", "")
    code, _, err = run(capsys, "ehr", "test-connection")
    assert code == 2 and err.startswith("scribe: error: EHR export is not set up")


def test_unknown_visit(env, capsys):
    code, _, err = run(capsys, "ehr", "send", "enc-nope")
    assert code == 2 and "There is no saved visit with id enc-nope" in err
