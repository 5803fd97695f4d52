"""Hostile and careless input to the ``scribe`` command: one clear line and exit 2, never a traceback.

Every row-10 case of issue 15 (and its neighbours) is one parametrized case here. The command runs
in-process (``scribe.cli.main``) so the table stays fast; nothing here loads a model.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

import scribe.settings
from scribe.audio import write_wav
from scribe.cli import main
from scribe.resources import asset
from scribe.settings import Settings

NOTE = {
    "sections": [{"key": "plan", "title": "Plan", "statements": [{"text": "Follow up in two weeks."}]}],
    "grounding": {"statements": 1, "unsupported": 0},
}
LONG = "n" * 300  # a file name over 255 bytes
CLIP = asset("sample", "short_clip.flac")


def _write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    elif isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _truncated_mp3(folder: Path) -> Path:
    tone = folder / "tone.wav"
    t = np.arange(3 * 16000) / 16000
    write_wav(tone, 0.3 * np.sin(2 * np.pi * 440 * t))
    mp3 = folder / "full.mp3"
    import av

    with av.open(str(tone)) as src, av.open(str(mp3), "w") as dst:
        out = dst.add_stream("mp3", rate=16000)
        for frame in src.decode(audio=0):
            for packet in out.encode(frame):
                dst.mux(packet)
        for packet in out.encode(None):
            dst.mux(packet)
    data = mp3.read_bytes()
    return _write(folder / "cut.mp3", data[: len(data) // 3])


def _truncated_wav(folder: Path) -> Path:
    full = write_wav(folder / "whole.wav", np.zeros(3 * 16000))
    return _write(folder / "cut.wav", full.read_bytes()[:20000])


STYLE_LIST = (
    'name = "x"\nloinc_code = "11506-3"\nstyle = ["prose"]\n[[sections]]\nkey = "a"\ntitle = "A"\ninstructions = "B"\n'
)


def _draft(d: Path, *options) -> list:
    """``scribe draft`` of a one-line dialogue with the given options."""
    return ["draft", _write(d / "t.txt", "[doctor] hi\n"), "--out", d / "n.json", *options]


# (case id, setup(tmp) -> argv, environment, words the one line must contain)
CASES = [
    (
        "settings-not-utf8",
        lambda d: ["templates"],
        {"SCRIBE_SETTINGS": b'organization_name = "M\xe9dicale"\n'},
        "not UTF-8",
    ),
    (
        "policy-not-utf8",
        lambda d: ["templates"],
        {"SCRIBE_POLICY": b'organization_name = "M\xe9dicale"\n'},
        "not UTF-8",
    ),
    (
        "system-policy-not-utf8",
        lambda d: ["templates"],
        {"SYSTEM_POLICY": b'template = "s\xf6ap"\n'},
        "organisation policy",
    ),
    ("settings-bad-toml", lambda d: ["templates"], {"SCRIBE_SETTINGS": b"template = \n"}, "Cannot read settings file"),
    (
        "require-consent-ture",
        lambda d: ["templates"],
        {"SCRIBE_SETTINGS": b'require_consent = "ture"\n'},
        "require_consent",
    ),
    ("llm-context-zero", lambda d: ["templates"], {"SCRIBE_SETTINGS": b"llm_context = 0\n"}, "llm_context"),
    ("negative-timeout", lambda d: ["templates"], {"SCRIBE_SETTINGS": b"ehr_timeout = -1\n"}, "ehr_timeout"),
    ("negative-threads-env", lambda d: ["templates"], {"SCRIBE_LLM_THREADS": "-3"}, "llm_threads"),
    ("plain-http-llm", lambda d: ["templates"], {"SCRIBE_LLM_SERVER_URL": "http://203.0.113.5:8080/v1"}, "plain http"),
    ("plain-http-fhir", lambda d: ["templates"], {"SCRIBE_EHR_BASE_URL": "http://ehr.example.org/fhir"}, "plain http"),
    ("transcript-array", lambda d: ["draft", _write(d / "t.json", [1, 2]), "--out", d / "n.json"], {}, "holds a list"),
    ("transcript-null", lambda d: ["draft", _write(d / "t.json", "null"), "--out", d / "n.json"], {}, "holds null"),
    ("transcript-number", lambda d: ["draft", _write(d / "t.json", "42"), "--out", d / "n.json"], {}, "holds a number"),
    (
        "transcript-string",
        lambda d: ["draft", _write(d / "t.json", '"hi"'), "--out", d / "n.json"],
        {},
        "holds a string",
    ),
    (
        "transcript-nan-time",
        lambda d: [
            "draft",
            _write(d / "t.json", '{"segments":[{"id":0,"start":NaN,"end":1,"text":"hi"}]}'),
            "--out",
            d / "n.json",
        ],
        {},
        "finite number",
    ),
    (
        "transcript-negative-time",
        lambda d: [
            "draft",
            _write(d / "t.json", {"segments": [{"id": 0, "start": -4, "end": 1, "text": "hi"}]}),
            "--out",
            d / "n.json",
        ],
        {},
        "greater than or equal to 0",
    ),
    (
        "transcript-end-before-start",
        lambda d: [
            "draft",
            _write(d / "t.json", {"segments": [{"id": 0, "start": 9, "end": 1, "text": "hi"}]}),
            "--out",
            d / "n.json",
        ],
        {},
        "ends",
    ),
    (
        "transcript-duplicate-ids",
        lambda d: [
            "draft",
            _write(
                d / "t.json",
                {
                    "segments": [
                        {"id": 3, "start": 0, "end": 1, "text": "a"},
                        {"id": 3, "start": 1, "end": 2, "text": "b"},
                    ]
                },
            ),
            "--out",
            d / "n.json",
        ],
        {},
        "two segments have the id 3",
    ),
    (
        "transcript-deep-json",
        lambda d: ["draft", _write(d / "t.json", "[" * 100000 + "]" * 100000), "--out", d / "n.json"],
        {},
        "transcript",
    ),
    (
        "transcript-binary",
        lambda d: ["draft", _write(d / "t.json", b"\xff\xd8\xff\x00binary"), "--out", d / "n.json"],
        {},
        "binary",
    ),
    (
        "transcript-folder",
        lambda d: ["draft", (d / "t.json").mkdir() or d / "t.json", "--out", d / "n.json"],
        {},
        "folder",
    ),
    ("transcript-long-name", lambda d: ["draft", d / f"{LONG}.json", "--out", d / "n.json"], {}, "too long"),
    ("note-folder", lambda d: ["export", (d / "n.json").mkdir() or d / "n.json", "--out", d / "f.json"], {}, "folder"),
    (
        "note-binary",
        lambda d: ["export", _write(d / "n.json", b"\x00\x01\xfe"), "--out", d / "f.json"],
        {},
        "not a JSON note",
    ),
    (
        "note-not-utf8",
        lambda d: ["export", _write(d / "n.json", b'{"a": "M\xe9d"}'), "--out", d / "f.json"],
        {},
        "not a JSON note",
    ),
    ("note-array", lambda d: ["export", _write(d / "n.json", [NOTE]), "--out", d / "f.json"], {}, "not a Scribe note"),
    (
        "note-wrong-shape",
        lambda d: ["export", _write(d / "n.json", {"sections": 5}), "--out", d / "f.json"],
        {},
        "sections",
    ),
    ("note-long-name", lambda d: ["export", d / f"{LONG}.json", "--out", d / "f.json"], {}, "too long"),
    ("note-unapproved", lambda d: ["export", _write(d / "n.json", NOTE), "--out", d / "f.json"], {}, "not approved"),
    (
        "template-not-utf8",
        lambda d: _draft(d, "--template", _write(d / "x.toml", b'name = "s\xf6ap"\n')),
        {},
        "not UTF-8",
    ),
    ("template-bad-toml", lambda d: _draft(d, "--template", _write(d / "x.toml", "name = [\n")), {}, "not valid TOML"),
    ("template-style-list", lambda d: _draft(d, "--template", _write(d / "x.toml", STYLE_LIST)), {}, "style"),
    ("patient-name-escape", lambda d: _draft(d, "--patient-name", "Jane\x1b[31m Doe"), {}, "printable"),
    ("patient-name-newline", lambda d: _draft(d, "--patient-id", "MRN1\nMRN2"), {}, "line breaks"),
    ("out-is-a-file", lambda d: ["run", _truncated_wav(d), "--out", _write(d / "afile", "x")], {}, "is a file"),
    (
        "out-under-a-file",
        lambda d: ["transcribe", CLIP, "--out", _write(d / "afile", "x") / "t.json"],
        {},
        "is a file",
    ),
    ("out-is-a-folder", lambda d: ["transcribe", CLIP, "--out", d], {}, "is a folder"),
    ("audio-truncated-mp3", lambda d: ["transcribe", _truncated_mp3(d), "--out", d / "t.json"], {}, "ends early"),
    ("audio-truncated-wav", lambda d: ["transcribe", _truncated_wav(d), "--out", d / "t.json"], {}, "ends early"),
    ("audio-long-name", lambda d: ["transcribe", d / f"{LONG}.wav"], {}, "too long"),
    ("audio-folder", lambda d: ["transcribe", d], {}, "folder"),
    (
        "hub-model-when-offline",
        lambda d: ["transcribe", CLIP, "--out", d / "t.json", "--asr-model", "Systran/faster-whisper-small"],
        {},
        "allow_hub_download",
    ),
]


@pytest.mark.parametrize("case, make_argv, env, words", CASES, ids=[c[0] for c in CASES])
def test_hostile_input_gets_one_clear_line(case, make_argv, env, words, tmp_path, monkeypatch, capsys):
    for key, value in env.items():
        if isinstance(value, bytes):
            path = _write(tmp_path / f"{key.lower()}.toml", value)
            if key == "SYSTEM_POLICY":
                monkeypatch.setattr(scribe.settings, "system_policy_path", lambda p=path: p)
            else:
                monkeypatch.setenv(key, str(path))
        else:
            monkeypatch.setenv(key, value)
    argv = [str(a) for a in make_argv(tmp_path)]
    code = main([*argv, "-q"] if argv[0] != "templates" else argv)
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and err.startswith("scribe: error: "), err
    assert "Traceback" not in err + out and "internal error" not in err
    assert words.lower() in err.lower(), err
    assert "\x1b" not in err


def test_unreadable_note_is_one_line(tmp_path, capsys):
    if os.geteuid() == 0:
        pytest.skip("[optional] root reads any file; permissions cannot be tested as root")
    note = _write(tmp_path / "n.json", NOTE)
    note.chmod(0)
    assert main(["export", str(note), "--out", str(tmp_path / "f.json")]) == 2
    assert "Cannot read the note" in capsys.readouterr().err


def test_scribes_own_streamed_or_crashed_wav_is_not_called_truncated(tmp_path):
    """The truncation check must not refuse a WAV whose header under-states its length."""
    from scribe.audio import load_audio

    wav = write_wav(tmp_path / "a.wav", np.zeros(32000))
    raw = bytearray(wav.read_bytes())
    struct.pack_into("<I", raw, 40, 0)  # header says 0 bytes of data (a recording cut by a crash)
    _write(tmp_path / "b.wav", bytes(raw))
    assert len(load_audio(tmp_path / "b.wav")) == 32000
    struct.pack_into("<I", raw, 40, 0xFFFFFFFF)  # a streamed WAV: "unknown size"
    _write(tmp_path / "c.wav", bytes(raw))
    assert len(load_audio(tmp_path / "c.wav")) == 32000


def test_hub_download_happens_only_when_allowed(tmp_path, monkeypatch):
    import sys
    import types

    from scribe.errors import ModelError
    from scribe.packs import resolve_asr_model

    calls = []
    model = tmp_path / "hub" / "model"
    model.mkdir(parents=True)
    (model / "model.bin").write_bytes(b"x")
    (model / "config.json").write_text("{}")
    fake = types.ModuleType("huggingface_hub")
    fake.snapshot_download = lambda repo, cache_dir: (
        calls.append((repo, os.environ.get("HF_HUB_OFFLINE"))) or str(model)
    )
    monkeypatch.setitem(sys.modules, "huggingface_hub", fake)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match="allow_hub_download = false"):
        resolve_asr_model("Systran/faster-whisper-small", tmp_path)
    assert calls == []
    allowed = Settings(allow_hub_download=True)
    assert resolve_asr_model("Systran/faster-whisper-small", tmp_path, settings=allowed) == model
    assert calls == [("Systran/faster-whisper-small", None)]
    assert os.environ["HF_HUB_DISABLE_TELEMETRY"] == "1"  # downloads allowed, telemetry still off


def test_importing_scribe_switches_telemetry_off_and_hubs_offline():
    import sys

    env = {**os.environ, "HF_HUB_OFFLINE": "0", "TRANSFORMERS_OFFLINE": "0"}
    env.pop("ORT_DISABLE_TELEMETRY", None)
    code = "import os, scribe; print(os.environ['ORT_DISABLE_TELEMETRY'], os.environ['HF_HUB_OFFLINE'], os.environ['TRANSFORMERS_OFFLINE'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["1", "1", "1"]
