"""Sending approved notes to an EHR over FHIR R4 (issue 5), Qt-free.

``client`` (HTTP, errors in plain words) · ``smart`` (SMART Backend Services, App Launch with PKCE,
static token) · ``secrets`` (OS keyring) · ``outbox`` (durable queue, exactly-once sending) ·
``service`` (connection test, patient match, create / amend / retract). See docs/ehr.md.
"""
