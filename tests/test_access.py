"""Users and roles (issue 15, row 8): every forbidden action is refused with one line and journaled.

The acting user is this process's OS account; the policy (``SCRIBE_POLICY``, which may add locks)
maps it to a role. Each test gives the account one role and tries what that role may not do.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scribe.access import AccessDenied, LocalAccounts, Role, User, check_identity, current_user, os_login, require
from scribe.cli import main
from scribe.security import SecurityContext
from scribe.settings import Settings, load_settings
from scribe.transcript_io import parse_dialogue

LOGIN = os_login()
TRANSCRIPT = parse_dialogue("[patient] I have had a dry cough for three days.\n")


@pytest.fixture()
def as_role(tmp_path, monkeypatch):
    """Give this OS account the roles named (an extra policy file); returns the data folder."""
    monkeypatch.setenv("SCRIBE_DATA_DIR", str(tmp_path / "data"))

    def give(*roles: str, local: bool = False) -> Path:
        policy = tmp_path / "policy.toml"
        body = f'[users."{LOGIN}"]\nname = "Dr Test Person"\nroles = {json.dumps(list(roles))}\n'
        if local:
            body += "local_accounts = true\n"
        policy.write_text(body)
        monkeypatch.setenv("SCRIBE_POLICY", str(policy))
        return tmp_path / "data"

    return give


def _files(tmp_path: Path) -> tuple[Path, Path]:
    """A transcript and a grounded draft note beside it."""
    from scribe.domain import Encounter, NoteDraft, Section, Statement
    from scribe.grounding import ground_note

    folder = tmp_path / "visit"
    folder.mkdir(exist_ok=True)
    (folder / "transcript.json").write_text(TRANSCRIPT.model_dump_json())
    note = NoteDraft(
        encounter=Encounter(patient_id="MRN-1"),
        sections=[Section(key="subjective", title="Subjective", statements=[Statement(text="Dry cough for 3 days.")])],
    )
    path = folder / "note.json"
    path.write_text(ground_note(note, TRANSCRIPT).model_dump_json())
    return folder / "transcript.json", path


def _run(capsys, *argv) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, err


def _refusals(data: Path) -> list[dict]:
    from scribe.storage.journal import SecurityJournal

    return [e for e in SecurityJournal(data).entries() if e["action"] == "refused"]


# (role held, command, what the refusal names)
FORBIDDEN = [
    ("staff", lambda t, n: ["transcribe", "assets/sample/short_clip.flac", "--out", n.parent / "t.json"], "record"),
    ("staff", lambda t, n: ["draft", t, "--out", n.parent / "d.json"], "record"),
    ("staff", lambda t, n: ["approve", n], "approve"),
    (
        "staff",
        lambda t, n: [
            "revise",
            n,
            "--transcript",
            t,
            "--section",
            "subjective",
            "--instruction",
            "as bullets",
            "--accept-as",
            "x",
        ],
        "edit",
    ),
    ("physician", lambda t, n: ["export", n, "--out", n.parent / "f.json"], "export"),
    ("physician", lambda t, n: ["ehr", "queue"], "queue"),
    ("physician", lambda t, n: ["ehr", "drain"], "queue"),
    ("physician", lambda t, n: ["ehr", "send", "enc-1"], "queue"),
    ("physician", lambda t, n: ["ehr", "keygen"], "settings"),
    ("physician", lambda t, n: ["audit", "verify"], "audit"),
    ("physician", lambda t, n: ["retention", "run"], "retention"),
    ("physician", lambda t, n: ["keys", "rotate"], "keys"),
    ("physician", lambda t, n: ["users", "list"], "settings"),
    ("admin", lambda t, n: ["approve", n], "approve"),
    ("admin", lambda t, n: ["export", n, "--out", n.parent / "f.json"], "export"),
]


@pytest.mark.parametrize("role, argv, action", FORBIDDEN, ids=[f"{r}-{a}-{i}" for i, (r, _, a) in enumerate(FORBIDDEN)])
def test_each_forbidden_action_is_refused_in_one_line_and_journaled(role, argv, action, as_role, tmp_path, capsys):
    data = as_role(role)
    transcript, note = _files(tmp_path)
    code, err = _run(capsys, *argv(transcript, note), "-q")
    assert code == 3, err
    assert err.count("\n") == 1 and err.startswith("scribe: error: Dr Test Person")
    assert f"({LOGIN}, {role})" in err and "not allowed to" in err and "Ask IT" in err
    entries = _refusals(data)
    assert entries and entries[-1]["actor"] == LOGIN and entries[-1]["details"]["denied"] == action
    assert not (note.parent / "f.json").exists()


def test_an_account_the_policy_does_not_list_may_do_nothing(as_role, tmp_path, monkeypatch, capsys):
    policy = tmp_path / "policy.toml"
    policy.write_text('[users.someone-else]\nroles = ["physician"]\n')
    monkeypatch.setenv("SCRIBE_POLICY", str(policy))
    monkeypatch.setenv("SCRIBE_DATA_DIR", str(tmp_path / "data"))
    transcript, note = _files(tmp_path)
    code, err = _run(capsys, "approve", note, "-q")
    assert code == 3 and "no role in Scribe" in err


def test_the_roles_allow_what_they_should(as_role, tmp_path, capsys):
    as_role("physician")
    transcript, note = _files(tmp_path)
    code, err = _run(capsys, "approve", note, "-q")
    assert code == 0, err
    approved = json.loads(note.read_text())["approval"]
    assert (approved["approved_by"], approved["login"]) == ("Dr Test Person", LOGIN)  # from the policy, not a text box
    code, err = _run(capsys, "approve", note, "--as", "Dr Somebody Else", "-q")
    assert code == 3 and "not as 'Dr Somebody Else'" in err
    as_role("staff")
    code, err = _run(capsys, "export", note, "--out", note.parent / "f.json", "-q")
    assert code == 0, err


def test_users_table_is_policy_only(tmp_path, monkeypatch):
    user_file = tmp_path / "user.toml"
    user_file.write_text(f'[users."{LOGIN}"]\nroles = ["admin"]\n')
    monkeypatch.setenv("SCRIBE_SETTINGS", str(user_file))
    with pytest.raises(Exception, match="belongs in the organisation's policy"):
        load_settings()
    monkeypatch.setenv("SCRIBE_SETTINGS", str(tmp_path / "none.toml"))
    monkeypatch.setenv("SCRIBE_USERS", "{}")
    assert load_settings().users == {}  # the environment cannot set it either


def test_single_user_install_and_identity_checks():
    me = current_user(Settings())
    assert me.login == LOGIN and me.roles == frozenset(Role) and me.how == "single-user"
    check_identity(me, me.login)
    with pytest.raises(AccessDenied, match="not as 'Dr House'"):
        check_identity(me, "Dr House")
    from scribe.approval import approve
    from scribe.domain import NoteDraft, Section, Statement
    from scribe.errors import ApprovalError

    note = NoteDraft(sections=[Section(key="s", title="S", statements=[Statement(text="Dry cough.")])])
    for bad in ("Dr\x1b[31m House", "Dr House\nDr Grey"):  # would reach the FHIR author and terminals
        with pytest.raises(ApprovalError, match="printable"):
            approve(note, bad, transcript=TRANSCRIPT)
    with pytest.raises(Exception, match="one line of text"):
        Settings(users={"x": {"name": "Dr\nX", "roles": ["physician"]}})
    nobody = User("x", "X", frozenset())
    seen = []
    from scribe.access import Action

    with pytest.raises(
        AccessDenied, match=r"X \(x, no role in Scribe\) is not allowed to approve notes: that needs the physician role"
    ):
        require(nobody, Action.approve, on_refusal=lambda u, a, w: seen.append((u.login, a.value)))
    assert seen == [("x", "approve")]


def test_local_accounts_on_a_shared_computer(as_role, tmp_path, monkeypatch, capsys):
    data = as_role("admin", local=True)
    sec = SecurityContext(load_settings())
    accounts = LocalAccounts(data / "accounts.json", sec.keys)
    accounts.add("jdoe", "correct horse battery", ["physician"], "Dr Jane Doe")
    accounts.add("desk", "front desk password", ["staff"])
    monkeypatch.setenv("SCRIBE_USER", "jdoe")
    monkeypatch.setenv("SCRIBE_PASSWORD", "correct horse battery")
    user = SecurityContext(load_settings()).user
    assert (user.login, user.name, user.roles) == ("local:jdoe", "Dr Jane Doe", frozenset({Role.physician}))
    transcript, note = _files(tmp_path)
    code, err = _run(capsys, "approve", note, "-q")
    assert code == 0, err
    assert json.loads(note.read_text())["approval"]["login"] == "local:jdoe"
    monkeypatch.setenv("SCRIBE_PASSWORD", "wrong password!")
    code, err = _run(capsys, "approve", note, "-q")
    assert code == 3 and "Wrong Scribe user name or password" in err
    # an account added by editing the file is refused: the file is signed
    raw = json.loads((data / "accounts.json").read_text())
    raw["accounts"]["desk"]["roles"] = ["admin", "physician"]
    (data / "accounts.json").write_text(json.dumps(raw))
    monkeypatch.setenv("SCRIBE_USER", "desk")
    monkeypatch.setenv("SCRIBE_PASSWORD", "front desk password")
    code, err = _run(capsys, "approve", note, "-q")
    assert code == 3 and "changed outside Scribe" in err
