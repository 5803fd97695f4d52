"""No telemetry, no silent network (issue 15, row 3).

A whole visit (transcribe, draft, approve, write the FHIR file; no EHR) opens no network connection
and looks up no host name. Native libraries (onnxruntime's telemetry, llama.cpp, CTranslate2) do not
go through Python's ``socket`` module, so the proof is taken from the kernel: the run is traced
with ``strace`` and every ``connect``/``sendto`` system call is checked. A second run drafts on an
OpenAI-compatible server on this machine: the only connection is to that server.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from scribe.resources import asset

REPO = Path(__file__).resolve().parents[1]
CLIP = asset("sample", "short_clip.flac")
_NET = re.compile(r"(connect|sendto|sendmsg)\((\d+), \{sa_family=(AF_INET6?|AF_UNIX)[^}]*\}")


def _traced(tmp_path: Path, *argv: str, env: dict | None = None) -> tuple[subprocess.CompletedProcess, list[str]]:
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed (apt-get install strace; packaging/dev.sh installs it)")
    trace = tmp_path / "trace.txt"
    cmd = [
        "strace",
        "-f",
        "-qq",
        "-e",
        "trace=connect,sendto,sendmsg",
        "-o",
        str(trace),
        sys.executable,
        "-m",
        "scribe",
        *argv,
    ]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=1200, env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    )
    if proc.returncode != 0 and "PTRACE" in proc.stderr.upper():
        pytest.skip(f"[optional] strace cannot trace here: {proc.stderr.strip()[:200]}")
    calls = [line for line in trace.read_text().splitlines() if _NET.search(line)]
    return proc, calls


def _network(calls: list[str]) -> list[str]:
    """Calls that reach a network: any IPv4/IPv6 address (a DNS query is one, to port 53).

    A local AF_UNIX socket is not: reading the OS account (``getpwuid``) asks the name-service cache
    daemon (``/var/run/nscd/socket``) when there is one. With no nscd, as here, a host-name lookup
    would show up as a connection to a DNS server on port 53, which is checked."""
    return [c for c in calls if "AF_INET" in c or "htons(53)" in c]


@pytest.mark.slow
@pytest.mark.e2e
def test_a_whole_visit_opens_no_connection_and_looks_up_no_host(tmp_path, smollm_gguf, llm_test_threads):
    out = tmp_path / "out"
    proc, calls = _traced(
        tmp_path,
        "run", str(CLIP), "--out", str(out), "--asr-model", "tiny.en", "--llm-model", "smollm2-135m",
        "--threads", str(llm_test_threads), "--approve", "--confirm-unsupported", "--patient-id", "MRN-1", "-q",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (out / "transcript.json").is_file() and (out / "note.json").is_file()
    assert (out / "documentreference.json").is_file()  # approved, signed and exported to a file
    assert _network(calls) == [], "\n".join(_network(calls)[:10])


@pytest.mark.slow
@pytest.mark.e2e
def test_only_the_configured_llm_server_is_contacted(tmp_path, llama_server):
    transcript = tmp_path / "visit.txt"
    transcript.write_text("[doctor] What brings you in?\n[patient] A dry cough for three days.\n")
    port = llama_server.url.split(":")[2].split("/")[0]
    proc, calls = _traced(
        tmp_path,
        "draft", str(transcript), "--out", str(tmp_path / "note.json"), "--server-url", llama_server.url, "-q",
        env={"SCRIBE_LLM_SERVER_API_KEY": llama_server.api_key},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    net = _network(calls)
    assert net, "the draft must have reached the server"
    assert all(f"sin_port=htons({port})" in c and "127.0.0.1" in c for c in net), "\n".join(net[:10])


def test_a_plain_http_server_on_another_computer_is_refused_before_any_connection(tmp_path, monkeypatch, capsys):
    """The refusal comes from the settings layer: no socket is opened for it."""
    from scribe.cli import main

    opened = []
    real_connect = socket.socket.connect

    def guard(self, address):
        opened.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guard)
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: opened.append(a) or [])
    transcript = tmp_path / "visit.txt"
    transcript.write_text("[patient] A dry cough.\n")
    for url, setting in (
        ("http://203.0.113.5:8080/v1", "llm_server_url"),
        ("http://ehr.example.org/fhir", "ehr_base_url"),
    ):
        monkeypatch.setenv(f"SCRIBE_{setting.upper()}", url)
        code = main(["draft", str(transcript), "--out", str(tmp_path / "n.json"), "-q"])
        err = capsys.readouterr().err
        assert code == 2 and "plain http to another computer" in err and err.count("\n") == 1
        monkeypatch.delenv(f"SCRIBE_{setting.upper()}")
    code = main(
        ["draft", str(transcript), "--out", str(tmp_path / "n.json"), "--server-url", "http://198.51.100.7/v1", "-q"]
    )
    assert code == 2 and "plain http" in capsys.readouterr().err
    assert opened == []
    from scribe.offline import check_endpoint

    assert check_endpoint("https://llm.clinic.example/v1", "x") and check_endpoint("http://127.0.0.1:8080/v1", "x")
    assert check_endpoint("http://localhost:8080/v1", "x") and check_endpoint("http://[::1]:8080/v1", "x")
