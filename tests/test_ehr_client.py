"""Bad server answers give clear errors and never crash; the outbox state machine; keys; PKCE login.

A scripted HTTP server on loopback plays the misbehaving EHR (real sockets, real HTTP parsing).
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import sys
import threading
from datetime import UTC, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from scribe.ehr import secrets
from scribe.ehr.client import FhirClient, outcome_text, retry_after_seconds
from scribe.ehr.outbox import ItemState, Outbox, SendResult
from scribe.ehr.service import EhrService, name_matches
from scribe.ehr.smart import AppLaunchAuth, client_assertion, generate_private_key, public_jwk
from scribe.errors import (
    EhrAuthError,
    EhrConnectionError,
    EhrError,
    EhrRejected,
    EhrResponseError,
    EhrServerError,
    ScribeError,
)
from scribe.storage import VisitStore

try:
    from tests.ehr_support import ehr_settings, make_visit, memory_keyring  # noqa: F401
except ImportError:
    from ehr_support import ehr_settings, make_visit, memory_keyring  # noqa: F401


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up (the tests of timeouts and retries do) is no error to print."""

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Scripted:
    """A loopback HTTP server answering each request with ``handler(method, path, headers, body)``."""

    def __init__(self, handler):
        outer = self
        self.handler = handler
        self.requests = []

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self):
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n) if n else b""
                outer.requests.append((self.command, self.path, dict(self.headers), body))
                status, headers, payload = outer.handler(self.command, self.path, self.headers, body)
                if callable(payload):  # streaming
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    try:
                        payload(self.wfile)
                    except OSError:
                        pass
                    self.close_connection = True
                    return
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = _any

            def log_message(self, *a):
                pass

        self.server = _QuietServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/fhir"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted():
    servers = []

    def make(handler):
        s = Scripted(handler)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.close()


HTML_500 = b"<!DOCTYPE html><html><head><title>Internal Server Error - Epic Interconnect</title></head><body>oops</body></html>"
LOGIN = b"<html><head><title>Sign in to MyHealth Portal</title></head><body><form>...</form></body></html>"
OO_422 = json.dumps(
    {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "invariant",
                "details": {"text": "DocumentReference.type code 99999-9 is not allowed"},
                "expression": ["DocumentReference.type"],
            },
            {"severity": "error", "code": "required", "diagnostics": "subject is required"},
        ],
    }
).encode()


def answer(status, body, ctype="application/fhir+json", **headers):
    return lambda m, p, h, b: (status, {"Content-Type": ctype, **headers}, body)


@pytest.mark.parametrize(
    "status,body,ctype,cls,words,transient",
    [
        (200, b"this is not json", "text/plain", EhrResponseError, "text that is not FHIR JSON", False),
        (200, LOGIN, "text/html", EhrResponseError, "'Sign in to MyHealth Portal'", False),
        (
            500,
            HTML_500,
            "text/html",
            EhrServerError,
            "a web page titled 'Internal Server Error - Epic Interconnect'",
            True,
        ),
        (502, b"<html><body>Bad gateway</body></html>", "text/html", EhrServerError, "HTTP 502", True),
        (
            422,
            OO_422,
            "application/fhir+json",
            EhrRejected,
            "type code 99999-9 is not allowed (at DocumentReference.type); subject is required",
            False,
        ),
        (400, b"", "application/fhir+json", EhrRejected, "HTTP 400", False),
        (404, b"<html><title>Not Found</title></html>", "text/html", EhrResponseError, "'Not Found'", False),
        (
            409,
            b'{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"conflict","diagnostics":"version conflict"}]}',
            "application/fhir+json",
            EhrRejected,
            "version conflict",
            False,
        ),
        (401, b'{"error":"invalid_token"}', "application/json", EhrAuthError, "invalid_token", False),
        (403, b"", "application/fhir+json", EhrAuthError, "scopes", False),
        (503, b"", "text/plain", EhrServerError, "try again automatically", True),
        (302, b"", "text/html", EhrRejected, "points elsewhere", False),
    ],
)
def test_bad_answers_become_plain_errors(scripted, status, body, ctype, cls, words, transient):
    srv = scripted(
        answer(status, body, ctype, Location="https://ehr.example.org/login")
        if status == 302
        else answer(status, body, ctype)
    )
    with FhirClient(srv.base, timeout=5) as c:
        with pytest.raises(EhrError) as err:
            c.request(
                "POST",
                "DocumentReference",
                json_body={"resourceType": "DocumentReference"},
                expect="DocumentReference",
                what="filing the note",
            )
    e = err.value
    assert isinstance(e, cls), (type(e), str(e))
    assert words in str(e), str(e)
    assert e.transient is transient
    assert "\n" not in str(e) and "Traceback" not in str(e)


def test_wrong_resource_type(scripted):
    srv = scripted(answer(200, json.dumps({"resourceType": "Bundle", "type": "searchset"}).encode()))
    with FhirClient(srv.base, timeout=5) as c:
        with pytest.raises(EhrResponseError, match="with Bundle where a DocumentReference was expected"):
            c.request("GET", "DocumentReference/1", expect="DocumentReference")
        with pytest.raises(EhrResponseError, match="a CapabilityStatement was expected"):
            c.request("GET", "metadata", expect="CapabilityStatement")


def test_json_that_is_not_an_object(scripted):
    srv = scripted(answer(200, b"[1, 2, 3]"))
    with FhirClient(srv.base, timeout=5) as c, pytest.raises(EhrResponseError, match="not a FHIR resource"):
        c.request("GET", "Patient", expect="Bundle")


def test_huge_body_declared_is_not_read(scripted):
    srv = scripted(answer(200, b"{}", **{"Content-Length": str(3 * 1024**3)}))
    with FhirClient(srv.base, timeout=5, max_body=1_000_000) as c, pytest.raises(EhrResponseError) as err:
        c.request("GET", "metadata")
    assert "3221 MB" in str(err.value) and "did not read it" in str(err.value)


def test_huge_body_streamed_is_cut_off(scripted):
    sent = []

    def endless(w):  # no Content-Length, 64 KiB chunks until the client hangs up
        chunk = b" " * 65536
        for _ in range(2000):
            w.write(chunk)
            sent.append(len(chunk))

    srv = scripted(lambda m, p, h, b: (200, {"Content-Type": "application/fhir+json", "Connection": "close"}, endless))
    with FhirClient(srv.base, timeout=5, max_body=2_000_000) as c, pytest.raises(EhrResponseError) as err:
        c.request("GET", "metadata")
    assert "larger than 2 MB" in str(err.value) and "stopped reading" in str(err.value)
    assert sum(sent) < 2000 * 65536  # the client stopped reading well before the end


def test_timeout_and_refused_connection(scripted):
    ev = threading.Event()
    srv = scripted(lambda m, p, h, b: (ev.wait(3), (200, {}, b"{}"))[1])
    with FhirClient(srv.base, timeout=0.3) as c, pytest.raises(EhrConnectionError, match="did not answer within 0.3 s"):
        c.request("GET", "metadata")
    ev.set()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with FhirClient(f"http://127.0.0.1:{port}/fhir", timeout=2) as c, pytest.raises(EhrConnectionError) as err:
        c.request("GET", "metadata")
    assert err.value.transient and "Check the network connection" in str(err.value)


def test_bad_base_url():
    with pytest.raises(EhrRejected, match="not a FHIR base URL"):
        FhirClient("ehr.example.org/fhir")
    with pytest.raises(EhrRejected, match="EHR export is not set up"):
        _ = EhrService(ehr_settings("")).client


def test_retry_after_and_outcome_helpers():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("99999") == 3600.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_seconds("soon") is None
    assert outcome_text({"resourceType": "Patient"}) == ""


def test_connection_report_on_a_web_page(scripted):
    srv = scripted(answer(200, LOGIN, "text/html"))
    rep = EhrService(ehr_settings(srv.base)).test_connection()
    assert not rep.ok and "web page titled 'Sign in to MyHealth Portal'" in rep.text()


def test_create_answered_with_the_wrong_type_is_not_marked_sent(scripted, tmp_path):
    """A server that answers the POST with a Patient: the note stays in the outbox with a clear error."""

    def handler(m, p, h, b):
        if p.startswith("/fhir/Patient"):
            return (
                200,
                {"Content-Type": "application/fhir+json"},
                json.dumps(
                    {
                        "resourceType": "Bundle",
                        "entry": [{"resource": {"resourceType": "Patient", "id": "p1", "name": [{"family": "Lopez"}]}}],
                    }
                ).encode(),
            )
        if p.startswith("/fhir/Encounter"):
            return 200, {"Content-Type": "application/fhir+json"}, b'{"resourceType":"Bundle"}'
        return 201, {"Content-Type": "application/fhir+json"}, b'{"resourceType":"Patient","id":"x"}'

    srv = scripted(handler)
    store = VisitStore(tmp_path / "visits")
    visit, note = make_visit(store)
    outbox = Outbox(store)
    item, _ = outbox.enqueue_note(note, "dr.test")
    outbox.drain(EhrService(ehr_settings(srv.base)))
    item = outbox.get(item.item_id)
    assert item.state == ItemState.failed_permanent
    assert "answered the note upload with a Patient" in item.last_error


# --------------------------------------------------------------------------- outbox state machine


class FlakySender:
    def __init__(self, errors):
        self.errors = list(errors)
        self.calls = 0

    def send(self, item, outbox):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return SendResult(server_id="42", server_version="1", result="created")


def test_outbox_backoff_retry_after_and_permanent(tmp_path):
    store = VisitStore(tmp_path / "visits")
    _, note = make_visit(store)
    clock = [store.list()[0].created_at + timedelta(seconds=1)]
    ob = Outbox(store, backoff_base=10, backoff_cap=60, clock=lambda: clock[0], rng=lambda: 1.0)
    item, _ = ob.enqueue_note(note, "dr.test")
    sender = FlakySender(
        [
            EhrConnectionError("down", cause="connect"),
            EhrServerError("busy", status=429, retry_after=120),
            EhrRejected("refused", status=422),
        ]
    )
    ob.drain(sender)
    it = ob.get(item.item_id)
    assert it.state == ItemState.queued and (it.next_attempt_at - clock[0]).total_seconds() == pytest.approx(10)
    ob.drain(sender)
    assert sender.calls == 1  # not due yet
    clock[0] += timedelta(seconds=11)
    ob.drain(sender)
    it = ob.get(item.item_id)
    assert (it.next_attempt_at - clock[0]).total_seconds() == pytest.approx(120)  # Retry-After wins over 20 s
    clock[0] += timedelta(seconds=121)
    ob.drain(sender)
    it = ob.get(item.item_id)
    assert it.state == ItemState.failed_permanent and it.last_error == "refused" and it.attempts == 3
    ob.drain(sender)
    assert sender.calls == 3  # permanent: not retried by itself
    ob.retry(item.item_id, "staff")
    ob.drain(sender)
    it = ob.get(item.item_id)
    assert it.state == ItemState.sent and it.server_id == "42"
    with pytest.raises(ScribeError, match="already in the EHR"):
        ob.cancel(item.item_id, "staff")


def test_outbox_survives_restart_and_cancel(tmp_path):
    store = VisitStore(tmp_path / "visits")
    _, n1 = make_visit(store)
    _, n2 = make_visit(store)
    ob = Outbox(store)
    a, _ = ob.enqueue_note(n1, "dr.test")
    b, _ = ob.enqueue_note(n2, "dr.test")
    ob.cancel(b.item_id, "staff")
    del ob
    ob2 = Outbox(VisitStore(tmp_path / "visits"))  # "after a restart"
    assert {i.item_id: i.state for i in ob2.items()} == {a.item_id: ItemState.queued, b.item_id: ItemState.cancelled}
    sender = FlakySender([])
    rep = ob2.drain(sender)
    assert rep.sent == [a.item_id] and sender.calls == 1
    assert ob2.get(b.item_id).state == ItemState.cancelled
    ob2.retry(b.item_id, "staff")
    ob2.drain(sender)
    assert ob2.get(b.item_id).state == ItemState.sent


def test_only_one_drainer_at_a_time(tmp_path):
    store = VisitStore(tmp_path / "visits")
    _, note = make_visit(store)
    ob = Outbox(store)
    ob.enqueue_note(note, "dr.test")
    lock = store.outbox().try_drain_lock()
    try:
        rep = ob.drain(FlakySender([]))
        assert rep.busy and rep.attempts == 0
    finally:
        lock.release()
    assert ob.drain(FlakySender([])).attempts == 1


def test_changed_note_is_refused_before_queueing(tmp_path):
    store = VisitStore(tmp_path / "visits")
    _, note = make_visit(store)
    note.sections[0].statements[0].text = "edited after approval"
    with pytest.raises(ScribeError, match="changed after it was approved"):
        Outbox(store).enqueue_note(note, "dr.test")
    assert Outbox(store).items() == []


def test_today_summary(tmp_path):
    from datetime import datetime

    store = VisitStore(tmp_path / "visits")
    make_visit(store)
    make_visit(store)
    make_visit(store, approved_at=datetime.now(UTC) - timedelta(days=3))
    ob = Outbox(store)
    s = ob.enqueue_today("staff")
    assert len(s["queued"]) == 2 and not s["skipped"]
    assert len(ob.enqueue_today("staff")["already"]) == 2


def test_name_match():
    p = {"name": [{"family": "López", "given": ["María"]}]}
    assert name_matches("Maria Lopez", p) and name_matches("LOPEZ, Maria", p)
    assert not name_matches("Chidi Okafor", p)
    assert name_matches("Unknown patient", p)


# --------------------------------------------------------------------------- keys, secrets, PKCE


def test_assertion_claims():
    import jwt

    pem = generate_private_key("ES384")
    token = client_assertion("scribe", "https://ehr/token", pem)
    head = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert head["alg"] == "ES384" and head["kid"] == public_jwk(pem)["kid"]
    assert claims["iss"] == claims["sub"] == "scribe" and claims["aud"] == "https://ehr/token"
    assert 0 < claims["exp"] - claims["iat"] <= 300 and claims["jti"]


def test_no_keyring_is_reported_and_nothing_written(monkeypatch, tmp_path):
    keyring = pytest.importorskip("keyring")
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        st = secrets.set_secret(secrets.STATIC_TOKEN, "t0ken")
        assert not st.available and "kept in memory for this session only" in st.message
        assert secrets.get_secret(secrets.STATIC_TOKEN) == "t0ken"
        monkeypatch.setenv("SCRIBE_EHR_TOKEN", "from-env")
        assert secrets.get_secret(secrets.STATIC_TOKEN) == "from-env"
    finally:
        keyring.set_keyring(before)
        secrets.clear_memory()


def test_app_launch_pkce_with_loopback_redirect(scripted, memory_keyring):
    """A fake authorisation server checks PKCE; the 'browser' follows the redirect to Scribe's loopback."""
    seen = {}

    def handler(m, path, h, body):
        parts = urlsplit(path)
        if parts.path.endswith("/authorize"):
            q = {k: v[0] for k, v in parse_qs(parts.query).items()}
            seen["authorize"] = q
            loc = f"{q['redirect_uri']}?code=abc123&state={q['state']}"
            return 302, {"Location": loc}, b""
        if parts.path.endswith("/token"):
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            seen.setdefault("token", []).append(form)
            if form["grant_type"] == "authorization_code":
                challenge = base64.urlsafe_b64encode(hashlib.sha256(form["code_verifier"].encode()).digest()).rstrip(
                    b"="
                )
                if challenge.decode() != seen["authorize"]["code_challenge"] or form["code"] != "abc123":
                    return 400, {"Content-Type": "application/json"}, b'{"error":"invalid_grant"}'
                return (
                    200,
                    {"Content-Type": "application/json"},
                    json.dumps(
                        {"access_token": "AT1", "expires_in": 3600, "refresh_token": "RT1", "token_type": "Bearer"}
                    ).encode(),
                )
            if form["grant_type"] == "refresh_token" and form["refresh_token"] == "RT1":
                return (
                    200,
                    {"Content-Type": "application/json"},
                    json.dumps({"access_token": "AT2", "expires_in": 3600, "refresh_token": "RT2"}).encode(),
                )
            return 400, {"Content-Type": "application/json"}, b'{"error":"invalid_grant"}'
        if parts.path.endswith("/.well-known/smart-configuration"):
            return (
                200,
                {"Content-Type": "application/json"},
                json.dumps(
                    {
                        "authorization_endpoint": f"http://127.0.0.1:{srv.server.server_address[1]}/authorize",
                        "token_endpoint": f"http://127.0.0.1:{srv.server.server_address[1]}/token",
                    }
                ).encode(),
            )
        return 404, {}, b""

    srv = scripted(handler)
    browser = lambda url: httpx.get(url, follow_redirects=True, timeout=5)  # noqa: E731
    auth = AppLaunchAuth(
        "scribe-public",
        "launch/user openid fhirUser user/DocumentReference.write offline_access",
        open_browser=browser,
        login_timeout=10,
    )
    with FhirClient(srv.base, auth, timeout=5) as c:
        assert auth.login(c) == "AT1"
        q = seen["authorize"]
        assert q["code_challenge_method"] == "S256" and q["redirect_uri"].startswith("http://127.0.0.1:")
        assert q["aud"] == srv.base and "client_secret" not in seen["token"][0]
        assert memory_keyring.data[("scribe-ehr", "default:refresh-token")] == "RT1"
        assert auth.token(c) == "AT1"
        assert auth.token(c, force=True) == "AT2"  # refreshed with the stored refresh token
        assert memory_keyring.data[("scribe-ehr", "default:refresh-token")] == "RT2"
