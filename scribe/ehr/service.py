"""What Scribe does with the EHR: test the connection, match the patient, file, amend and retract notes.

:class:`EhrService` is the outbox's sender. For a note it

1. resolves the patient by MRN (``Patient?identifier=<system>|<mrn>``): no match, several matches or a
   name that does not fit the visit stop the export (:class:`PatientMatchError`) with a clear message;
2. resolves the encounter by its identifier when the EHR has it (it must belong to that patient);
   not finding it stops the export only when ``ehr_require_encounter`` is set;
3. for an amendment, points ``relatesTo`` (code ``replaces``) at the server's DocumentReference of
   the amended version (and its identifier);
4. POSTs the DocumentReference with ``If-None-Exist: identifier=<system>|<urn:uuid>`` — a retry, a
   resend after a crash or a second "Send" cannot file the note twice — and records the server's
   id and version.

A retraction finds the note by its identifier and PUTs it back with ``status = entered-in-error``
(guarded by ``If-Match`` on the version read).
"""

from __future__ import annotations

import copy
import logging
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from ..errors import EhrError, EhrRejected, EhrResponseError, PatientMatchError
from ..fhir.documentreference import URI_SYSTEM
from .client import FhirClient, as_dict, as_list, as_text, fhir_id, id_and_version
from .outbox import ItemKind, Outbox, OutboxItem, SendResult, item_id_for
from .smart import auth_from_settings, discover

log = logging.getLogger(__name__)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def _names(patient: dict) -> list[str]:
    out = []
    for n in patient.get("name") or []:
        if not isinstance(n, dict):
            continue
        parts = [n.get("text") or "", n.get("family") or "", *(n.get("given") or [])]
        out.append(" ".join(str(p) for p in parts if p))
    return out


def name_matches(visit_name: str, patient: dict) -> bool:
    """The EHR's family name (or name text) appears in the visit's patient name, ignoring case/accents.

    A visit without a real name ("Unknown patient", empty) is not compared.
    """
    visit = _fold(visit_name).replace(",", " ")
    if not visit.strip() or visit.strip() in ("unknown patient", "unknown"):
        return True
    words = set(visit.replace(".", " ").split())
    names = patient.get("name") or []
    if not names:
        return True
    for n in names:
        if not isinstance(n, dict):
            continue
        family = _fold(str(n.get("family") or "")).split()
        if family and all(f in words for f in family):
            return True
        text = _fold(str(n.get("text") or "")).replace(",", " ").split()
        if text and len(set(text) & words) >= min(2, len(text)):
            return True
    return False


@dataclass
class ConnectionReport:
    base_url: str
    ok: bool = False
    fhir_version: str = ""
    software: str = ""
    docref_create: bool = False
    conditional_create: bool = False
    docref_search: bool = False
    patient_search: bool = False
    smart: dict = field(default_factory=dict)
    auth_method: str = ""
    signed_in: bool | None = None
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        yn = {True: "yes", False: "NO"}
        out = [
            f"FHIR server: {self.base_url}",
            f"FHIR version: {self.fhir_version or 'unknown'}"
            + ("" if self.fhir_version.startswith("4.0") else "  (Scribe sends R4 4.0.1)"),
            f"Software: {self.software or 'unknown'}",
            f"DocumentReference create: {yn[self.docref_create]}",
            f"Conditional create (no duplicates on retry): {yn[self.conditional_create]}",
            f"DocumentReference search: {yn[self.docref_search]}",
            f"Patient search (MRN match): {yn[self.patient_search]}",
        ]
        if self.smart:
            out.append(f"SMART token endpoint: {self.smart.get('token_endpoint') or 'none'}")
            out.append(f"SMART authorize endpoint: {self.smart.get('authorization_endpoint') or 'none'}")
            if self.smart.get("signing_algs"):
                out.append(f"Signing algorithms: {', '.join(self.smart['signing_algs'])}")
            if self.smart.get("grant_types"):
                out.append(f"Grant types: {', '.join(self.smart['grant_types'])}")
        else:
            out.append("SMART configuration: not published")
        out.append(f"Sign-in ({self.auth_method}): " + {None: "not tried", True: "OK", False: "FAILED"}[self.signed_in])
        out += [f"Problem: {p}" for p in self.problems]
        out.append("Result: ready to send notes" if self.ok else "Result: NOT ready — see the problems above")
        return out

    def text(self) -> str:
        return "\n".join(self.lines())


class EhrService:
    """One configured EHR connection (from the settings, or explicit parts in tests)."""

    def __init__(self, settings: Any, *, client: FhirClient | None = None, auth: Any = None):
        self.settings = settings
        self._client = client
        self._auth = auth

    @property
    def client(self) -> FhirClient:
        if self._client is None:
            if not (self.settings.ehr_base_url or "").strip():
                raise EhrRejected(
                    "EHR export is not set up: enter the EHR's FHIR base URL in Settings → EHR "
                    "(or ask IT to set 'ehr_base_url').",
                    cause="settings",
                )
            auth = self._auth if self._auth is not None else auth_from_settings(self.settings)
            self._client = FhirClient(self.settings.ehr_base_url, auth, timeout=self.settings.ehr_timeout)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def outbox_kw(self) -> dict:
        """Arguments for :meth:`Outbox.enqueue_note` from the settings."""
        return {
            "organization": self.settings.organization_name,
            "template_folders": self.settings.template_folders,
            "mrn_system": self.settings.ehr_mrn_system,
            "encounter_system": self.settings.ehr_encounter_system,
        }

    # ------------------------------------------------------------------ connection test
    def test_connection(self) -> ConnectionReport:
        """Read the CapabilityStatement and SMART configuration and try to get a token."""
        c = self.client
        rep = ConnectionReport(base_url=c.base_url, auth_method=getattr(c.auth, "method", "none"))
        try:
            cap = c.request(
                "GET",
                "metadata",
                auth=False,
                ok=(200,),
                expect="CapabilityStatement",
                what="the CapabilityStatement request",
            ).body
        except EhrError as exc:
            rep.problems.append(str(exc))
            return rep
        rep.fhir_version = as_text(cap.get("fhirVersion"))
        sw = as_dict(cap.get("software"))
        rep.software = " ".join(as_text(x) for x in (sw.get("name"), sw.get("version")) if as_text(x))
        for rest in as_list(cap.get("rest")):
            if not isinstance(rest, dict) or rest.get("mode") not in (None, "server"):
                continue
            for res in as_list(rest.get("resource")):
                if not isinstance(res, dict):
                    continue
                codes = {as_text(i.get("code")) for i in as_list(res.get("interaction")) if isinstance(i, dict)}
                if res.get("type") == "DocumentReference":
                    rep.docref_create = "create" in codes
                    rep.conditional_create = bool(res.get("conditionalCreate"))
                    rep.docref_search = "search-type" in codes
                elif res.get("type") == "Patient":
                    rep.patient_search = "search-type" in codes
        try:
            conf = discover(c)
            rep.smart = {
                "token_endpoint": conf.token_endpoint,
                "authorization_endpoint": conf.authorization_endpoint,
                "signing_algs": conf.signing_algs,
                "grant_types": conf.grant_types,
                "auth_methods": conf.auth_methods,
                "source": conf.source,
            }
        except EhrError as exc:
            if rep.auth_method in ("backend-services", "app-launch") and not getattr(c.auth, "token_url", ""):
                rep.problems.append(f"No SMART configuration: {exc}")
        if not rep.fhir_version.startswith("4.0"):
            rep.problems.append(f"The server speaks FHIR {rep.fhir_version or '(unknown)'}; Scribe sends R4 (4.0.1).")
        if not rep.docref_create:
            rep.problems.append("The server's CapabilityStatement does not list DocumentReference create.")
        if not rep.conditional_create:
            rep.problems.append(
                "The server does not declare conditional create: a retry after a lost answer could "
                "file a note twice. Ask the EHR vendor; until then check the EHR after failures."
            )
        if rep.auth_method == "backend-services" and rep.smart:
            algs = rep.smart.get("signing_algs") or []
            alg = (self.settings.ehr_key_alg or "ES384").upper()
            if algs and alg not in algs:
                rep.problems.append(
                    f"The server does not accept {alg} client assertions (it lists {', '.join(algs)}); "
                    "change 'ehr_key_alg' and generate a new key."
                )
        if c.auth is not None and rep.auth_method != "none":
            try:
                if rep.auth_method == "app-launch" and not _has_refresh(c.auth):
                    rep.signed_in = None
                    rep.problems.append("Not signed in yet: use 'Sign in' (or 'scribe ehr login').")
                else:
                    c.auth.token(c, force=True)
                    rep.signed_in = True
            except EhrError as exc:
                rep.signed_in = False
                rep.problems.append(str(exc))
        # a read that needs the token, so scopes and the token itself are really tried
        if rep.signed_in is not False:
            try:
                c.search(
                    "Patient",
                    {"identifier": f"{self.settings.ehr_mrn_system}|scribe-connection-test", "_count": "1"},
                    what="a test Patient search",
                )
            except EhrError as exc:
                rep.problems.append(f"A test patient search failed: {exc}")
        rep.ok = not rep.problems or all(p.startswith("The server does not declare conditional") for p in rep.problems)
        return rep

    # ------------------------------------------------------------------ matching
    def match_patient(self, mrn: str, name: str = "") -> dict:
        system = self.settings.ehr_mrn_system
        found = self.client.search("Patient", {"identifier": f"{system}|{mrn}"}, what="the patient search (by MRN)")
        if not found:
            raise PatientMatchError(
                f"No patient with MRN {mrn} was found in the EHR (identifier system {system}). Check the MRN on the "
                "visit (and with IT that 'ehr_mrn_system' is the EHR's MRN system), then send again.",
                cause="no patient",
            )
        if len(found) > 1:
            ids = ", ".join(f"Patient/{fhir_id(p.get('id')) or '?'}" for p in found[:5])
            raise PatientMatchError(
                f"{len(found)} patients in the EHR have MRN {mrn} ({ids}); Scribe will not guess. Ask the EHR team to "
                "merge or correct the records, then send again.",
                cause="several patients",
            )
        patient = found[0]
        if not fhir_id(patient.get("id")):
            raise EhrResponseError(
                f"The EHR's record for MRN {mrn} has no valid id, so the note cannot be filed to it. Ask IT to check the EHR.",
                cause="no patient id",
            )
        if not name_matches(name, patient):
            ehr_names = "; ".join(_names(patient)) or "(no name)"
            raise PatientMatchError(
                f"The patient with MRN {mrn} in the EHR is '{ehr_names}', but this visit is for '{name}'. Check the "
                "MRN and patient name on the visit; nothing was sent.",
                cause="name mismatch",
            )
        return patient

    def match_encounter(self, encounter_id: str, patient_id: str) -> dict | None:
        system = self.settings.ehr_encounter_system
        found = self.client.search("Encounter", {"identifier": f"{system}|{encounter_id}"}, what="the encounter search")
        if not found:
            if self.settings.ehr_require_encounter:
                raise PatientMatchError(
                    f"Encounter {encounter_id} was not found in the EHR (identifier system {system}). Check the visit's "
                    "encounter id, then send again.",
                    cause="no encounter",
                )
            return None
        if len(found) > 1:
            raise PatientMatchError(
                f"{len(found)} encounters in the EHR have the id {encounter_id}; Scribe will not "
                "guess. Ask the EHR team to correct them.",
                cause="several encounters",
            )
        enc = found[0]
        if not fhir_id(enc.get("id")):
            return None  # an encounter without a usable id cannot be referenced: file without it
        subject = as_text(as_dict(enc.get("subject")).get("reference"))
        if subject and not subject.endswith(f"Patient/{patient_id}"):
            raise PatientMatchError(
                f"Encounter {encounter_id} in the EHR belongs to {subject}, not to this visit's patient "
                f"(Patient/{patient_id}). Check the visit's encounter id and MRN; nothing was sent.",
                cause="encounter mismatch",
            )
        return enc

    # ------------------------------------------------------------------ sending (the outbox's sender)
    def send(self, item: OutboxItem, outbox: Outbox | None = None) -> SendResult:
        if item.kind == ItemKind.retract:
            return self._retract(item)
        return self._create(item, outbox)

    def _create(self, item: OutboxItem, outbox: Outbox | None) -> SendResult:
        c = self.client
        resource = copy.deepcopy(item.resource)
        if not resource:
            raise EhrRejected("This outbox entry has no note to send; queue the note again.", cause="empty item")
        patient_ref, encounter_ref = item.patient_reference, item.encounter_reference
        if not patient_ref:  # matched once per attempt series; a staff retry matches again
            patient = self.match_patient(item.patient_id, item.patient_name)
            patient_ref = f"Patient/{fhir_id(patient['id'])}"
            enc = self.match_encounter(item.encounter_id, fhir_id(patient["id"]))
            encounter_ref = f"Encounter/{fhir_id(enc['id'])}" if enc else ""
            if outbox is not None:
                outbox.remember_match(item, patient_ref, encounter_ref)
        resource["subject"]["reference"] = patient_ref
        if encounter_ref:
            for e in (resource.get("context") or {}).get("encounter") or []:
                e["reference"] = encounter_ref
        if item.amends_version is not None and outbox is not None:
            prev = outbox.find(item_id_for(item.encounter_id, item.amends_version))
            if prev is not None and prev.server_id:
                for rel in resource.get("relatesTo") or []:
                    if rel.get("code") == "replaces":
                        rel["target"]["reference"] = prev.server_reference
        ident = f"{URI_SYSTEM}|{item.identifier}"
        resp = c.request(
            "POST",
            "DocumentReference",
            json_body=resource,
            headers={"If-None-Exist": f"identifier={ident}", "Prefer": "return=representation"},
            ok=(200, 201),
            what="filing the note (DocumentReference create)",
        )
        body = resp.body
        if isinstance(body, dict) and body.get("resourceType") not in (None, "DocumentReference", "OperationOutcome"):
            raise EhrResponseError(
                f"The EHR answered the note upload with a {body.get('resourceType')} instead of the DocumentReference. "
                "Check the FHIR base URL in Settings → EHR.",
                status=resp.status,
                cause="wrong resource type",
            )
        rid, vid = id_and_version(resp, "DocumentReference")
        if not rid:
            # The server filed it (2xx) but did not say where: find it by its identifier.
            found = c.search("DocumentReference", {"identifier": ident}, what="looking up the filed note")
            if len(found) != 1:
                raise EhrResponseError(
                    "The EHR accepted the note but did not say where it filed it, and it cannot be "
                    "found by its identifier. Ask IT to check the EHR.",
                    status=resp.status,
                    cause="no id",
                    transient=True,
                )
            rid = fhir_id(found[0].get("id"))
            vid = as_text(as_dict(found[0].get("meta")).get("versionId"))
        return SendResult(
            server_id=rid,
            server_version=vid,
            location=resp.location,
            result="created" if resp.status == 201 else "existed",
            patient_reference=patient_ref,
            encounter_reference=encounter_ref,
        )

    def _retract(self, item: OutboxItem) -> SendResult:
        c = self.client
        ident = f"{URI_SYSTEM}|{item.identifier}"
        for _ in range(3):
            found = c.search("DocumentReference", {"identifier": ident}, what="finding the note to retract")
            if not found:
                if item.server_id:
                    raise EhrRejected(
                        f"The EHR no longer has DocumentReference/{item.server_id}; nothing was changed. "
                        "Ask the EHR team whether it was removed.",
                        cause="not on server",
                    )
                return SendResult(result="not on server")
            if len(found) > 1:
                raise EhrRejected(
                    f"The EHR holds {len(found)} copies of this note; ask the EHR team to mark them entered-in-error.",
                    cause="several copies",
                )
            doc = found[0]
            rid = fhir_id(doc.get("id"))
            if not rid:
                raise EhrResponseError(
                    "The EHR returned the note without a valid id; nothing was changed. Ask IT to check the EHR.",
                    cause="no id",
                )
            version = as_text(as_dict(doc.get("meta")).get("versionId"))
            if doc.get("status") == "entered-in-error":
                return SendResult(server_id=rid, server_version=version, result="already retracted")
            doc["status"] = "entered-in-error"
            headers = {"Prefer": "return=representation"}
            if version:
                headers["If-Match"] = f'W/"{version}"'
            try:
                resp = c.request(
                    "PUT",
                    f"DocumentReference/{rid}",
                    json_body=doc,
                    headers=headers,
                    ok=(200, 201),
                    what="marking the note entered-in-error",
                )
            except EhrRejected as exc:
                if exc.status in (409, 412):  # changed meanwhile: read again
                    continue
                raise
            rid2, vid = id_and_version(resp, "DocumentReference")
            return SendResult(server_id=rid2 or rid, server_version=vid, location=resp.location, result="retracted")
        raise EhrRejected(
            "The note kept changing in the EHR while Scribe tried to retract it; try again later.", cause="conflict"
        )


def _has_refresh(auth: Any) -> bool:
    from . import secrets as s

    return bool(s.get_secret(s.REFRESH_TOKEN, getattr(auth, "account", "default")))
