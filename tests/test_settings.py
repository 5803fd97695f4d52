"""The one settings layer: user file < environment < organisation policy (locked)."""

from __future__ import annotations

import pytest

from scribe.errors import InputError, PolicyError
from scribe.settings import load_settings, save_user_settings


@pytest.fixture()
def files(tmp_path, monkeypatch):
    user, policy = tmp_path / "user.toml", tmp_path / "policy.toml"
    monkeypatch.setenv("SCRIBE_SETTINGS", str(user))
    monkeypatch.setenv("SCRIBE_POLICY", str(policy))
    for key in ("SCRIBE_TEMPLATE", "SCRIBE_MICROPHONE", "SCRIBE_ASR_LIVE_PREVIEW_S"):
        monkeypatch.delenv(key, raising=False)
    return user, policy


def test_policy_beats_environment_beats_user_file(files, monkeypatch):
    user, policy = files
    user.write_text('template = "progress"\nmicrophone = "Desk mic"\nasr_live_preview_s = 1.5\n')
    assert load_settings().template == "progress"
    monkeypatch.setenv("SCRIBE_TEMPLATE", "consult")
    assert load_settings().template == "consult"
    policy.write_text('template = "soap"\nrequire_consent = true\n')
    s = load_settings()
    assert (s.template, s.microphone, s.asr_live_preview_s) == ("soap", "Desk mic", 1.5)
    assert s.locked == {"template", "require_consent"}
    with pytest.raises(PolicyError, match="managed by your organisation"):
        s.set("template", "progress")
    s.set("microphone", "USB mic")
    assert s.microphone == "USB mic"


def test_save_merges_atomically_and_reads_back(files):
    user, _ = files
    user.write_text('template = "progress"\n')
    save_user_settings(
        {"microphone": 'Mic "A"', "asr_live_preview_s": "0", "require_consent": "no", "vocabulary_files": ["/a/b.txt"]}
    )
    s = load_settings()
    assert (s.template, s.microphone, s.asr_live_preview_s, s.require_consent) == ("progress", 'Mic "A"', 0.0, False)
    assert s.vocabulary_files == ["/a/b.txt"]
    assert [p.name for p in user.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_save_refuses_locked_unknown_and_bad_values(files):
    user, policy = files
    policy.write_text('microphone = "Room array"\n')
    locked = load_settings().locked
    with pytest.raises(PolicyError, match="'microphone' is managed"):
        save_user_settings({"microphone": "mine"}, locked=locked)
    with pytest.raises(InputError, match="Unknown setting 'colour'"):
        save_user_settings({"colour": "blue"})
    with pytest.raises(InputError, match="invalid value"):
        save_user_settings({"asr_live_preview_s": "often"})
    assert not user.exists()  # nothing half-written


def test_unreadable_or_unknown_settings_file_is_a_clear_error(files):
    user, _ = files
    user.write_text("template = \n")
    with pytest.raises(InputError, match="Cannot read settings file"):
        load_settings()
    user.write_text('tempalte = "soap"\n')
    with pytest.raises(InputError, match="unknown keys: tempalte"):
        load_settings()
