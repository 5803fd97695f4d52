"""The organisation's policy holds: always read, only ever adds locks, stops Scribe when unreadable.

And every settings value is validated (pydantic) wherever it comes from, with a one-line error.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import scribe.settings
from scribe.errors import InputError, PolicyError, ScribeError
from scribe.settings import Settings, load_settings, save_user_settings

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def files(tmp_path, monkeypatch):
    system, extra, user = tmp_path / "system-policy.toml", tmp_path / "extra.toml", tmp_path / "user.toml"
    monkeypatch.setattr(scribe.settings, "system_policy_path", lambda: system)
    monkeypatch.setenv("SCRIBE_POLICY", str(extra))
    monkeypatch.setenv("SCRIBE_SETTINGS", str(user))
    for key in ("SCRIBE_LLM_SERVER_URL", "SCRIBE_REQUIRE_CONSENT", "SCRIBE_TEMPLATE"):
        monkeypatch.delenv(key, raising=False)
    return system, extra, user


SYSTEM = 'require_consent = true\nllm_server_url = "https://llm.clinic.example/v1"\ntemplate = "soap"\n'


def test_scribe_policy_dev_null_or_missing_unlocks_nothing(files, monkeypatch):
    system, _extra, user = files
    system.write_text(SYSTEM)
    user.write_text('require_consent = false\nllm_server_url = "http://127.0.0.1:8080/v1"\n')
    monkeypatch.setenv("SCRIBE_REQUIRE_CONSENT", "no")
    for escape in ("/dev/null", str(system.parent / "missing.toml"), ""):
        monkeypatch.setenv("SCRIBE_POLICY", escape)
        s = load_settings()
        assert s.require_consent is True
        assert s.llm_server_url == "https://llm.clinic.example/v1"
        assert {"require_consent", "llm_server_url", "template"} <= s.locked
        with pytest.raises(PolicyError, match="managed by your organisation"):
            s.set("require_consent", False)
        with pytest.raises(PolicyError):
            save_user_settings({"llm_server_url": "http://127.0.0.1:1/v1"}, user, s.locked)


def test_extra_policy_adds_locks_but_never_changes_the_systems(files):
    system, extra, _user = files
    system.write_text(SYSTEM)
    extra.write_text('require_consent = false\nmicrophone = "Room 4 array"\ntemplate = "progress"\n')
    s = load_settings()
    assert (s.require_consent, s.template) == (True, "soap")  # the system's values stand
    assert s.microphone == "Room 4 array" and "microphone" in s.locked  # a lock added
    # without a system policy the extra policy alone locks (tests and per-room locks)
    system.unlink()
    s = load_settings()
    assert (s.require_consent, s.template, s.locked) == (
        False,
        "progress",
        {"require_consent", "microphone", "template"},
    )


@pytest.mark.parametrize(
    "content, message",
    [
        (b'organization_name = "Cabinet M\xe9dicale"\n', "not UTF-8 text"),
        (b"require_consent = \n", "Cannot read organisation policy"),
        (b'require_consent = "ture"\n', "'require_consent'.*invalid value 'ture'"),
        (b"requir_consent = true\n", "unknown keys: requir_consent"),
        (b'llm_server_url = "http://203.0.113.5:8080/v1"\n', "plain http to another computer"),
        (None, "Cannot read organisation policy"),  # a folder where the file should be
    ],
)
def test_an_unreadable_system_policy_stops_scribe(files, content, message):
    system, _extra, _user = files
    if content is None:
        system.mkdir()
    else:
        system.write_bytes(content)
    with pytest.raises(PolicyError, match=message) as err:
        load_settings()
    assert "will not start without its policy" in str(err.value)
    assert "\n" not in str(err.value)


def test_cli_stops_on_an_unreadable_system_policy_in_one_line(tmp_path):
    system = tmp_path / "policy.toml"
    system.write_bytes(b'organization_name = "Cabinet M\xe9dicale"\n')
    code = (
        "import sys, pathlib, scribe.settings as s; s.system_policy_path = lambda: pathlib.Path(sys.argv[1]);"
        "from scribe.cli import main; sys.exit(main(sys.argv[2:]))"
    )
    env = {**os.environ, "SCRIBE_POLICY": "/dev/null", "PYTHONPATH": str(REPO)}
    r = subprocess.run(
        [sys.executable, "-c", code, str(system), "templates"], capture_output=True, text=True, env=env, timeout=120
    )
    assert r.returncode == 2, r.stderr
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("scribe: error: Cannot read organisation policy") and "not UTF-8" in r.stderr


@pytest.mark.parametrize(
    "line, message",
    [
        ('require_consent = "ture"', "valid boolean"),
        ("llm_context = 0", "greater than or equal to 512"),
        ("llm_threads = -1", "greater than or equal to 0"),
        ("asr_threads = -4", "greater than or equal to 0"),
        ("ehr_timeout = -5.0", "greater than 0"),
        ("ehr_timeout = nan", "finite number"),
        ("asr_live_preview_s = -1", "greater than or equal to 0"),
        ("ehr_redirect_port = 70000", "less than or equal to 65535"),
        ("organization_name = 42", "valid string"),
        ("vocabulary_files = [1, 2]", "valid string"),
        ('ehr_base_url = "http://ehr.clinic.example/fhir"', "plain http to another computer"),
        ('llm_server_url = "ftp://127.0.0.1/v1"', "must start with http"),
        ('llm_server_url = "https://user:pw@llm.example/v1"', "user name or password"),
    ],
)
def test_bad_values_are_one_line_errors(files, line, message):
    _system, _extra, user = files
    user.write_text(line + "\n")
    with pytest.raises(InputError, match=message) as err:
        load_settings()
    assert "\n" not in str(err.value) and str(user) in str(err.value)


def test_good_values_and_the_environment_are_validated_too(files, monkeypatch):
    _system, _extra, user = files
    user.write_text(
        'require_consent = "no"\nllm_server_url = "http://127.0.0.1:8080/v1"\n'
        'ehr_base_url = "https://ehr.clinic.example/fhir"\nllm_threads = 2\n'
    )
    s = load_settings()
    assert (s.require_consent, s.llm_threads) == (False, 2)
    monkeypatch.setenv("SCRIBE_LLM_CONTEXT", "0")
    with pytest.raises(InputError, match="SCRIBE_LLM_CONTEXT.*greater than or equal to 512"):
        load_settings()
    monkeypatch.delenv("SCRIBE_LLM_CONTEXT")
    with pytest.raises(ScribeError, match="valid integer"):
        s.set("llm_threads", "many")
    with pytest.raises(InputError, match="invalid value"):
        save_user_settings({"require_consent": "ture"}, user)
    assert "ture" not in user.read_text()  # nothing written
    with pytest.raises(InputError):
        Settings(llm_context=0)  # in code as well
