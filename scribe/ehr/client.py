"""A small, strict FHIR R4 HTTP client: explicit timeouts, capped bodies, errors in plain words.

Every failure becomes an :class:`~scribe.errors.EhrError` subclass whose message says what went
wrong and what to do, with the server's OperationOutcome text when it sent one, and whose
``transient`` flag tells the outbox whether retrying can help:

* network errors, timeouts, a cut-off answer, 429 and 5xx -> transient (retried with backoff);
* 400/404/409/412/422 -> :class:`EhrRejected`, 401/403 -> :class:`EhrAuthError` (permanent);
* an answer that is not FHIR JSON (an HTML error page, a proxy login page, a huge body, the wrong
  resource type) -> :class:`EhrResponseError`, transient only when the status was 5xx/429.

A 401 once triggers a fresh token (an expired or revoked token) before it counts as an error.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from ..errors import (
    EhrAuthError,
    EhrConnectionError,
    EhrError,
    EhrRejected,
    EhrResponseError,
    EhrServerError,
)

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
MAX_BODY = 16 * 1024 * 1024  # a note is <= 5 MiB inline (~6.7 MB base64); anything far bigger is wrong
MAX_RETRY_AFTER = 3600.0
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


@dataclass
class FhirResponse:
    status: int
    headers: httpx.Headers
    body: Any  # parsed JSON (dict) or None for an empty body
    url: str = ""
    elapsed: float = 0.0
    raw_size: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def location(self) -> str:
        return self.headers.get("location") or self.headers.get("content-location") or ""


def outcome_text(body: Any, limit: int = 600) -> str:
    """The human part of an OperationOutcome: each issue's details.text / diagnostics, joined."""
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return ""
    parts = []
    for iss in body.get("issue") or []:
        if not isinstance(iss, dict):
            continue
        text = (
            ((iss.get("details") or {}).get("text") if isinstance(iss.get("details"), dict) else None)
            or iss.get("diagnostics")
            or iss.get("code")
            or ""
        )
        text = " ".join(str(text).split())
        where = ", ".join(str(x) for x in (iss.get("expression") or iss.get("location") or [])[:2])
        if text:
            parts.append(f"{text} (at {where})" if where else text)
    out = "; ".join(dict.fromkeys(parts))
    return out if len(out) <= limit else out[: limit - 1] + "…"


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), capped; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        secs = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None:
            return None
        secs = when.timestamp() - time.time()
    return max(0.0, min(MAX_RETRY_AFTER, secs))


def _what_to_do(status: int, method: str) -> str:
    if status == 400 or status == 422:
        return (
            "The EHR refused the note as sent. Ask IT to check the EHR settings (identifier systems, "
            "profile) against what the EHR expects; the note stays in the outbox and can be retried after the fix."
        )
    if status == 401:
        return (
            "Scribe is not signed in to the EHR. Check the client id and key (Settings → EHR, "
            "'Test connection'), or ask IT whether Scribe's registration with the EHR is still active."
        )
    if status == 403:
        return (
            "The EHR does not allow Scribe to do this. Ask IT to grant Scribe's client the scopes it needs "
            "(see docs/ehr.md: DocumentReference write, Patient and Encounter read)."
        )
    if status == 404:
        return "The EHR has no such address. Check the FHIR base URL in Settings → EHR."
    if status == 405:
        return "The EHR does not accept this request at this address. Check the FHIR base URL in Settings → EHR."
    if status in (409, 412):
        return (
            "The EHR reports a conflict with what it already holds (for example the same note filed twice). "
            "Ask the EHR team to check the patient's documents before retrying."
        )
    if status == 413:
        return "The note is larger than the EHR accepts. Ask IT what size the EHR allows."
    if status == 415 or status == 406:
        return "The EHR does not accept FHIR JSON at this address. Check the FHIR base URL in Settings → EHR."
    if status == 429:
        return "The EHR is busy and asked Scribe to slow down; Scribe will try again automatically."
    if status >= 500:
        return "The EHR server had a problem; Scribe will try again automatically."
    return "Ask IT to check the EHR connection."


class FhirClient:
    """Talks to one FHIR base URL. ``auth`` is a token provider (see :mod:`scribe.ehr.smart`) or None."""

    def __init__(
        self,
        base_url: str,
        auth: Any = None,
        *,
        timeout: float = 20.0,
        max_body: int = MAX_BODY,
        transport: httpx.BaseTransport | None = None,
        user_agent: str = "",
    ):
        base_url = (base_url or "").strip().rstrip("/")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise EhrRejected(
                f"'{base_url or '(empty)'}' is not a FHIR base URL like https://ehr.example.org/fhir; "
                "set it in Settings → EHR.",
                cause="settings",
            )
        self.base_url = base_url
        self.auth = auth
        self.timeout = float(timeout)
        self.max_body = int(max_body)
        from .. import __version__

        self._http = httpx.Client(
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
            follow_redirects=False,
            transport=transport,
            headers={"User-Agent": user_agent or f"Scribe/{__version__}"},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> FhirClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    # ------------------------------------------------------------------ requests
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json_body: Any = None,
        form: dict | None = None,
        headers: dict | None = None,
        ok: tuple[int, ...] = (200, 201),
        auth: bool = True,
        expect: str | None = None,
        what: str = "",
    ) -> FhirResponse:
        """One request. Raises EhrError unless the status is in ``ok``; ``expect`` checks resourceType."""
        what = what or f"{method} {path}"
        for attempt in (1, 2):
            h = {"Accept": FHIR_JSON}
            if json_body is not None:
                h["Content-Type"] = f"{FHIR_JSON}; charset=utf-8"
            elif form is not None:
                h["Content-Type"] = "application/x-www-form-urlencoded"
            if headers:
                h.update(headers)
            if auth and self.auth is not None:
                token = self.auth.token(self, force=attempt == 2)
                if token:
                    h["Authorization"] = f"Bearer {token}"
            if json_body is not None:
                content = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            elif form is not None:
                content = urlencode(form).encode("ascii")
            else:
                content = None
            resp = self._send(method, self.url(path), params=params, content=content, headers=h, what=what)
            if resp.status == 401 and attempt == 1 and auth and self.auth is not None and self.auth.can_refresh:
                log.info("401 from %s: getting a fresh token and trying once more", what)
                continue
            break
        if resp.status not in ok:
            raise self._status_error(resp, method, what)
        if expect is not None:
            rtype = resp.body.get("resourceType") if isinstance(resp.body, dict) else None
            if rtype != expect:
                got = rtype or ("an empty answer" if resp.body is None else "data that is not a FHIR resource")
                raise EhrResponseError(
                    f"The EHR answered {what} with {got} where a {expect} was expected. "
                    "Check the FHIR base URL in Settings → EHR (it may point at the wrong service).",
                    status=resp.status,
                    cause="wrong resource type",
                )
        return resp

    def _send(
        self, method: str, url: str, *, params: Any, content: bytes | None, headers: dict, what: str
    ) -> FhirResponse:
        host = urlsplit(url).netloc
        t0 = time.monotonic()
        try:
            with self._http.stream(method, url, params=params, content=content, headers=headers) as r:
                declared = r.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.max_body:
                    raise EhrResponseError(
                        f"The EHR's answer to {what} is {int(declared) / 1e6:.0f} MB, far larger than a FHIR answer "
                        f"should be (limit {self.max_body / 1e6:.0f} MB); Scribe did not read it. "
                        "Check the FHIR base URL in Settings → EHR.",
                        status=r.status_code,
                        cause="huge body",
                        transient=r.status_code >= 500,
                    )
                buf = bytearray()
                for chunk in r.iter_bytes():
                    buf += chunk
                    if len(buf) > self.max_body:
                        raise EhrResponseError(
                            f"The EHR's answer to {what} was larger than {self.max_body / 1e6:.0f} MB; Scribe "
                            "stopped reading it. Check the FHIR base URL in Settings → EHR.",
                            status=r.status_code,
                            cause="huge body",
                            transient=r.status_code >= 500,
                        )
                status, rheaders = r.status_code, r.headers
        except httpx.TimeoutException:
            raise EhrConnectionError(
                f"The EHR at {host} did not answer within {self.timeout:g} s ({what}). "
                "Scribe will try again automatically; if this keeps happening, ask IT to check the EHR connection.",
                cause="timeout",
            ) from None
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise EhrConnectionError(
                f"Scribe cannot reach the EHR at {host} ({_short(exc)}). Check the network connection; "
                "Scribe will try again automatically.",
                cause="connect",
            ) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.NetworkError) as exc:
            raise EhrConnectionError(
                f"The connection to the EHR at {host} broke off during {what} ({_short(exc)}). "
                "Scribe will try again automatically; a retry never files the note twice.",
                cause="connection lost",
            ) from None
        except httpx.HTTPError as exc:
            raise EhrConnectionError(
                f"Talking to the EHR at {host} failed ({_short(exc)}). Scribe will try again automatically.",
                cause="http error",
            ) from None
        raw = bytes(buf)
        body = None
        if raw.strip():
            ctype = rheaders.get("content-type", "").lower()
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                body = None
                if status < 300 or status >= 400:
                    raise self._not_json(status, raw, ctype, what, host) from None
        return FhirResponse(status, rheaders, body, url=url, elapsed=time.monotonic() - t0, raw_size=len(raw))

    def _not_json(self, status: int, raw: bytes, ctype: str, what: str, host: str) -> EhrError:
        is_html = "html" in ctype or raw.lstrip()[:15].lower().startswith((b"<!doctype", b"<html"))
        title = ""
        m = _TITLE.search(raw[:65536])
        if m:
            title = " ".join(m.group(1).decode("utf-8", "replace").split())[:120]
        kind = "a web page" if is_html else "text that is not FHIR JSON"
        said = f" titled '{title}'" if title else ""
        transient = status == 429 or status >= 500
        if transient:
            advice = "Scribe will try again automatically."
        elif status < 300:
            advice = (
                "Check the FHIR base URL in Settings → EHR: it may point at a web page or a sign-in portal "
                "instead of the FHIR API."
            )
        else:
            advice = _what_to_do(status, "")
        cls = EhrServerError if transient else EhrResponseError
        return cls(
            f"The EHR at {host} answered {what} with {kind}{said} (HTTP {status}) instead of FHIR data. {advice}",
            status=status,
            transient=transient,
            cause=f"http {status} non-json" if status >= 400 else "non-json",
        )

    def _status_error(self, resp: FhirResponse, method: str, what: str) -> EhrError:
        status = resp.status
        said = outcome_text(resp.body)
        if not said and isinstance(resp.body, dict) and resp.body.get("error"):  # OAuth-style error body
            said = f"{resp.body.get('error')}: {resp.body.get('error_description', '')}".strip(": ")
        server = f" The server said: {said}." if said else ""
        head = f"The EHR answered {what} with HTTP {status}."
        msg = f"{head}{server} {_what_to_do(status, method)}"
        if status == 429 or status >= 500:
            retry_after = retry_after_seconds(resp.headers.get("retry-after"))
            return EhrServerError(msg, retry_after=retry_after, status=status, outcome=said)
        if status in (401, 403):
            return EhrAuthError(msg, status=status, outcome=said)
        if 300 <= status < 400:
            return EhrRejected(
                f"{head} It points elsewhere ({resp.location or 'no address given'}). Check the FHIR "
                "base URL in Settings → EHR (for example http:// versus https://).",
                status=status,
                outcome=said,
            )
        return EhrRejected(msg, status=status, outcome=said)

    # ------------------------------------------------------------------ helpers
    def read_json(self, url: str, what: str, *, auth: bool = False) -> dict:
        """GET a plain JSON document (e.g. .well-known/smart-configuration)."""
        resp = self.request("GET", url, headers={"Accept": "application/json"}, auth=auth, ok=(200,), what=what)
        if not isinstance(resp.body, dict):
            raise EhrResponseError(
                f"The EHR answered {what} with no JSON object. Check the FHIR base URL.",
                status=resp.status,
                cause="wrong type",
            )
        return resp.body

    def search(self, rtype: str, params: dict, what: str = "") -> list[dict]:
        """Resources of ``rtype`` matching ``params`` (first page; matches only, not includes)."""
        resp = self.request("GET", rtype, params=params, ok=(200,), expect="Bundle", what=what or f"a {rtype} search")
        out = []
        for entry in resp.body.get("entry") or []:
            res = entry.get("resource") if isinstance(entry, dict) else None
            mode = (entry.get("search") or {}).get("mode", "match") if isinstance(entry, dict) else "match"
            if isinstance(res, dict) and res.get("resourceType") == rtype and mode == "match":
                out.append(res)
        return out


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:159] + "…"


def id_and_version(resp: FhirResponse, rtype: str) -> tuple[str, str]:
    """Server id and version of a created/updated resource, from the body or the Location/ETag headers."""
    rid, vid = "", ""
    body = resp.body
    if isinstance(body, dict) and body.get("resourceType") == rtype:
        rid = str(body.get("id") or "")
        vid = str((body.get("meta") or {}).get("versionId") or "")
    m = re.search(rf"{rtype}/([A-Za-z0-9\-.]{{1,64}})(?:/_history/([A-Za-z0-9\-.]{{1,64}}))?", resp.location)
    if m:
        rid = rid or m.group(1)
        vid = vid or (m.group(2) or "")
    if not vid:
        etag = resp.headers.get("etag", "")
        m2 = re.match(r'^(?:W/)?"?([^"]+)"?$', etag.strip())
        if m2:
            vid = m2.group(1)
    return rid, vid
