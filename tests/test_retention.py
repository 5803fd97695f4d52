"""Retention really deletes: recordings N days after export, visits after N days; files gone, keys destroyed,
journaled; a visit still waiting for the EHR is kept."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from scribe.cli import main
from scribe.domain import Encounter, utcnow
from scribe.security import SecurityContext
from scribe.settings import load_settings
from scribe.storage import StorageError
from scribe.storage.retention import run_retention

try:
    from tests.ehr_support import make_visit, memory_keyring  # noqa: F401
except ImportError:
    from ehr_support import make_visit, memory_keyring  # noqa: F401


@pytest.fixture()
def sec(tmp_path, monkeypatch) -> SecurityContext:
    monkeypatch.setenv("SCRIBE_DATA_DIR", str(tmp_path / "data"))
    return SecurityContext(load_settings())


def _recorded(store, exported: bool):
    visit, note = make_visit(store)
    with visit.open_audio_writer() as w:
        w.write(np.full(8000, 0.1, dtype=np.float32))
    if exported:
        visit.set_state("exported", "staff.member")
    return visit


def test_audio_after_export_then_whole_visits_are_deleted_for_real(sec, tmp_path):
    store = sec.store()
    exported = _recorded(store, exported=True)
    draft_only = _recorded(store, exported=False)
    waiting = _recorded(store, exported=False)
    store.outbox().save(f"{waiting.encounter_id}.v1.create", {"encounter_id": waiting.encounter_id, "state": "queued"})
    keys_dir = tmp_path / "data" / "keys" / "visits"
    before = {p.name for p in keys_dir.iterdir()}

    report = run_retention(
        store, audio_days=30, visit_days=0, actor="it.admin", journal=sec.journal(), now=utcnow() + timedelta(days=29)
    )
    assert report.audio_deleted == []  # not yet
    report = run_retention(
        store, audio_days=30, visit_days=0, actor="it.admin", journal=sec.journal(), now=utcnow() + timedelta(days=31)
    )
    assert report.audio_deleted == [exported.encounter_id]
    assert not exported.has_audio() and draft_only.has_audio()  # only what was exported 30 days ago
    assert exported.load_note() is not None  # the note stays
    assert len(before - {p.name for p in keys_dir.iterdir()}) == 1  # the recording's key is destroyed

    report = run_retention(
        store, audio_days=30, visit_days=90, actor="it.admin", journal=sec.journal(), now=utcnow() + timedelta(days=91)
    )
    assert sorted(report.visits_purged) == sorted([exported.encounter_id, draft_only.encounter_id])
    assert report.kept == [(waiting.encounter_id, "an export to the EHR is still waiting")]
    assert [r.encounter_id for r in store.list()] == [waiting.encounter_id]
    for v in (exported, draft_only):
        assert not v.folder.exists()
        with pytest.raises(StorageError):
            store.open(v.encounter_id)
        assert not any(p.name.startswith(v.folder.name) for p in keys_dir.iterdir())
    journal = [e for e in sec.journal().entries() if e["action"] in ("audio_deleted", "visit_purged")]
    assert [e["action"] for e in journal] == ["audio_deleted", "visit_purged", "visit_purged"]
    assert all(e["actor"] == "it.admin" and "enc-" not in str(e["details"]) for e in journal)  # opaque ids only
    assert sec.journal().report().ok


def test_retention_from_the_command_line_follows_the_policy(sec, tmp_path, monkeypatch, capsys):
    store = sec.store()
    store.create(Encounter(encounter_id="enc-recent"))
    policy = tmp_path / "policy.toml"
    policy.write_text("retention_visit_days = 1\nretention_audio_days = 1\n")
    monkeypatch.setenv("SCRIBE_POLICY", str(policy))
    assert main(["retention", "run", "--dry-run"]) == 0
    assert "would purge 0 visit(s)" in capsys.readouterr().out  # created today: kept
    assert [r.encounter_id for r in store.list()] == ["enc-recent"]
