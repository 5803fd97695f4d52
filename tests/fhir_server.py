"""A real FHIR R4 server for tests: session fixture ``fhir_server`` yields its base URL.

It runs ``sekmet serve`` (PyPI ``sekmet-fhir``, pinned in the dev extra) on a free loopback
port, so export code is checked against an actual server's parsing, conditional create and
search instead of our own idea of FHIR. Everything sekmet writes (its SQLite store, logs,
keys) goes to a temporary folder: it is started with its own ``settings.yaml`` because the
CLI's ``--port`` does not change the base URL it puts in ``Location`` headers.

Auth is off (sekmet's default) for ``fhir_server``; :func:`run_sekmet` starts one with SMART
Backend Services (or static tokens) switched on through sekmet's ``server_auth`` block. Use it with::

    from fhir_server import fhir_server  # noqa: F401  (registers the fixture)
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

STARTUP_TIMEOUT = 60.0  # seconds; sekmet is ready in ~2-4 s, CI machines can be slower
_ENV_OVERRIDES = ("SEKMET_CONFIG", "SEKMET_BASE_URL", "SEKMET_DB", "SEKMET_PORT", "SEKMET_PUBLIC_URL")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settings_yaml(folder: Path, port: int, server_auth: dict | None = None) -> str:
    # JSON is valid YAML; quoting every path keeps odd temp folder names safe.
    import json

    return json.dumps(
        {
            "base_url": f"http://127.0.0.1:{port}/fhir",
            "host": "127.0.0.1",
            "port": port,
            "data_dir": str(folder / "data"),
            "own_private_key_path": str(folder / "keys" / "sekmet_private.pem"),
            "simulator": {"enabled": False},  # no background workflow traffic during tests
            "server_auth": server_auth or {"types": ["none"]},
        },
        indent=1,
    )


def _log_tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen) -> None:
    """Stop our server process (by its pid via Popen), politely first."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _start(folder: Path, server_auth: dict | None = None) -> tuple[subprocess.Popen, str]:
    import httpx

    port = _free_port()
    config = folder / "settings.yaml"
    config.write_text(_settings_yaml(folder, port, server_auth), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in _ENV_OVERRIDES}
    env["SEKMET_CONFIG"] = str(config)
    log = folder / "sekmet.log"
    # Run the CLI with this interpreter so the sekmet under test is the one installed beside pytest.
    cmd = [
        sys.executable,
        "-c",
        "from sekmet.cli import app; app(prog_name='sekmet')",
        "serve",
        "--config",
        str(config),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    base = f"http://127.0.0.1:{port}/fhir"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sekmet exited with code {proc.returncode} before serving:\n{_log_tail(log)}")
        try:
            r = httpx.get(f"{base}/metadata", timeout=2, headers={"Accept": "application/fhir+json"})
            if r.status_code == 200 and r.json().get("fhirVersion") == "4.0.1":
                return proc, base
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    _stop(proc)
    raise RuntimeError(f"sekmet did not answer {base}/metadata within {STARTUP_TIMEOUT:.0f} s:\n{_log_tail(log)}")


def run_sekmet(folder: Path, server_auth: dict | None = None) -> Iterator[str]:
    """Start sekmet in ``folder`` (``server_auth``: sekmet's inbound auth block, e.g. SMART clients
    with their JWKS and scopes), yield its base URL, stop it afterwards."""
    if importlib.util.find_spec("sekmet") is None:
        pytest.skip("sekmet-fhir is not installed (pip install 'sekmet-fhir==0.1.1', in the dev extra)")
    last_error: Exception | None = None
    for _ in range(3):  # another process may grab the free port between probe and bind
        try:
            proc, base = _start(folder, server_auth)
            break
        except RuntimeError as exc:
            last_error = exc
    else:
        raise RuntimeError(f"could not start sekmet: {last_error}")
    try:
        yield base
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def fhir_server(tmp_path_factory) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:<port>/fhir``) of a fresh, empty sekmet FHIR R4 server."""
    yield from run_sekmet(tmp_path_factory.mktemp("sekmet"))
