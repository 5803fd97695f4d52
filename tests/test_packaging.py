"""Installer sources that cannot run here (MSI, macOS bundle) are at least consistent, and the parts that
can run here (the frozen entry point, the policy template, Depends computation, the scripts) do.

The full chain (freeze, .debs, signatures, apt, tamper tests) is `bash packaging/build.sh` in .ci/run;
the clean-root install is `bash packaging/build.sh cleanroot` (docs/it/build.md).
"""

from __future__ import annotations

import os
import plistlib
import re
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from scribe.settings import load_settings

REPO = Path(__file__).resolve().parents[1]
PACKAGING = REPO / "packaging"
WIX = "{http://wixtoolset.org/schemas/v4/wxs}"


def test_policy_template_locks_nothing_and_every_example_is_a_valid_setting(tmp_path, monkeypatch):
    text = (PACKAGING / "policy.example.toml").read_text()
    assert tomllib.loads(text) == {}  # installed as the default policy: nothing locked until IT edits it
    examples = [m.group(1) for m in re.finditer(r"^# ([a-z_]+ = .+?)(?:\s+#.*)?$", text, re.MULTILINE)]
    keys = [e.split(" = ")[0] for e in examples]
    assert {"require_consent", "allowed_models", "model_dirs", "ehr_base_url", "data_dir", "llm_runtime"} <= set(keys)
    policy = tmp_path / "policy.toml"
    policy.write_text("\n".join(examples) + "\n")  # every commented-out line, switched on
    monkeypatch.setenv("SCRIBE_POLICY", str(policy))
    s = load_settings()
    assert s.locked == set(keys)
    assert s.allowed_models == ["base", "qwen2.5-coder-1.5b"] and s.require_consent is True


def test_msi_source_is_per_machine_with_a_policy_property_and_safe_acls():
    root = ET.parse(PACKAGING / "windows" / "scribe.wxs").getroot()
    package = root.find(f"{WIX}Package")
    assert package.get("Scope") == "perMachine" and package.get("UpgradeCode")
    props = {p.get("Id"): p for p in package.iter(f"{WIX}Property")}
    assert props["POLICYFILE"].get("Secure") == "yes"
    copy = next(package.iter(f"{WIX}CopyFile"))
    assert (copy.get("SourceProperty"), copy.get("DestinationName")) == ("POLICYFILE", "policy.toml")
    sddls = [p.get("Sddl") for p in package.iter(f"{WIX}PermissionEx")]
    assert sddls and all("(A;OICI;FA;;;BA)" in s and "(A;OICI;0x1200a9;;;BU)" in s for s in sddls)  # users read only
    features = {f.get("Id"): f for f in package.iter(f"{WIX}Feature")}
    assert set(features) == {"App", "Models"} and features["App"].get("AllowAbsent") == "no"
    shortcut = next(package.iter(f"{WIX}Shortcut"))
    assert shortcut.get("Target") == "[INSTALLFOLDER]scribe-app.exe"
    for f in package.iter(f"{WIX}File"):
        assert (REPO / f.get("Source").replace("\\", "/")).is_file()
    assert (REPO / next(package.iter(f"{WIX}Icon")).get("SourceFile").replace("\\", "/")).is_file()


def test_macos_bundle_asks_for_the_microphone():
    ent = plistlib.loads((PACKAGING / "macos" / "entitlements.plist").read_bytes())
    assert ent["com.apple.security.device.audio-input"] is True
    assert not any("network.server" in k or "camera" in k for k in ent)
    spec = (PACKAGING / "pyinstaller" / "scribe.spec").read_text()
    assert '"NSMicrophoneUsageDescription"' in spec and "entitlements.plist" in spec


def test_frozen_app_ships_no_hf_runtime():
    shipped = subprocess.run(
        [sys.executable, str(PACKAGING / "tools" / "requirements.py")], capture_output=True, text=True, check=True
    ).stdout.split()
    names = {re.split(r"[<>=!\[]", r)[0].lower() for r in shipped}
    assert {"llama-cpp-python", "faster-whisper", "pyside6-essentials", "sounddevice"} <= names
    assert not names & {"torch", "transformers", "accelerate"}
    spec = (PACKAGING / "pyinstaller" / "scribe.spec").read_text()
    assert '"torch"' in spec and '"transformers"' in spec  # excluded even if present in the build environment
    pins = (PACKAGING / "constraints.txt").read_text()
    assert "llama-cpp-python==0.3.36" in pins and "\ntorch" not in pins


def test_depends_are_computed_from_the_bundle(tmp_path):
    sys.path.insert(0, str(PACKAGING / "linux"))
    try:
        from make_debs import compute_depends
    finally:
        sys.path.pop(0)
    if shutil.which("readelf") is None or shutil.which("dpkg-query") is None:
        pytest.skip("needs readelf and dpkg (binutils, a Debian system)")
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    portaudio = Path("/usr/lib/x86_64-linux-gnu/libportaudio.so.2")
    if not portaudio.exists():
        pytest.skip("libportaudio2 is not installed")
    shutil.copy(portaudio, bundle / portaudio.name)  # carried: its own package is not a dependency
    depends, libs = compute_depends(bundle)
    names = [d.split()[0] for d in depends]
    assert "libasound2" in names and "libc6" in names and "libportaudio2" not in names
    versioned = [d for d in depends if d.split()[0] in libs]
    assert versioned and all(re.match(r"^[a-z0-9.+-]+ \(>= [^)]+\)$", d) for d in versioned)
    assert libs["libasound2"] == "libasound.so.2"


def test_entry_point_runs_the_cli_or_the_app(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, str(PACKAGING / "pyinstaller" / "entry.py"), "--version"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.returncode == 0 and out.stdout.startswith("scribe ")
    env.update(SCRIBE_ENTRY="app", QT_QPA_PLATFORM="offscreen")
    bad = subprocess.run(
        [sys.executable, str(PACKAGING / "pyinstaller" / "entry.py"), "--self-test"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert bad.returncode == 2 and bad.stderr == "scribe-app: error: --self-test needs the screenshot file to write\n"


@pytest.mark.slow
def test_app_self_test_shows_the_window_and_loads_the_models(tmp_path, model_cache_dir):
    """What IT runs after an install (and the clean-root test runs in the installed app)."""
    from scribe.packs import PACKS, missing_distributions

    for name in ("tiny.en", "smollm2-135m"):
        if missing_distributions(PACKS[name]):
            pytest.skip(f"model pack {name} not installed")
    png = tmp_path / "shot.png"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SCRIBE_ENTRY": "app",
        "QT_QPA_PLATFORM": "offscreen",
        "SCRIBE_ASR_MODEL": "tiny.en",
        "SCRIBE_LLM_MODEL": "smollm2-135m",
        "SCRIBE_LLM_CONTEXT": "2048",
        "SCRIBE_CACHE_DIR": str(model_cache_dir),
        "SCRIBE_DATA_DIR": str(tmp_path / "data"),
    }
    out = subprocess.run(
        [sys.executable, str(PACKAGING / "pyinstaller" / "entry.py"), "--self-test", str(png)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert re.match(r"^window: 'Scribe' \d+x\d+ visible=True$", lines[0])
    assert lines[1:3] == ["speech model: loaded", "language model: loaded"]
    assert png.stat().st_size > 10_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="apt-get install shellcheck (packaging/dev.sh does)")
def test_packaging_scripts_pass_shellcheck():
    scripts = [
        PACKAGING / "build.sh",
        PACKAGING / "dev.sh",
        PACKAGING / "apt.sh",
        *sorted((PACKAGING / "linux").glob("*.sh")),
        *sorted((PACKAGING / "macos").glob("*.sh")),
    ]
    out = subprocess.run(["shellcheck", "-x", *map(str, scripts)], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stdout


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="apt-get install desktop-file-utils")
def test_desktop_entry_is_valid():
    out = subprocess.run(
        ["desktop-file-validate", str(PACKAGING / "linux" / "scribe.desktop")], capture_output=True, text=True
    )
    assert out.returncode == 0 and "error" not in out.stdout
