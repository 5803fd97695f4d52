"""Model runtimes in worker processes (scribe.workers): same interface, and a crash stays in the child.

The protocol is checked with a scripted model hosted in the child (tests/worker_fakes.py); the real
runtimes (llama.cpp with SmolLM2, faster-whisper tiny.en) then cross the same boundary, and the CLI
is run with its model process killed under it.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from scribe.errors import DraftingCrashed, DraftingError, ModelError, RecognitionCrashed
from scribe.workers.llm import ProcessRuntime
from scribe.workers.process import STREAM_AHEAD, Spec, describe_exit

TESTS = str(Path(__file__).resolve().parent)
REPO = Path(__file__).resolve().parent.parent
MESSAGES = [{"role": "user", "content": "Write the note."}]


def fake(**kwargs) -> ProcessRuntime:
    return ProcessRuntime(Spec("worker_fakes", "SlowLLM", (), kwargs, sys_path=(TESTS,)))


def stats(rt: ProcessRuntime) -> dict:
    return rt.worker.call("stats", quick=True)


def wait_until(cond, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(0.02)


@pytest.fixture
def rt():
    runtime = fake()
    yield runtime
    runtime.close()


# ----------------------------------------------------------------------------- protocol


def test_the_frozen_app_starts_its_workers_through_its_own_entry_point(tmp_path, monkeypatch):
    """A PyInstaller app has no ``python -m``: the worker is the app's own executable with a flag, and the
    entry point (packaging/pyinstaller/entry.py) must become the worker host, not a second CLI or window."""
    import scribe.workers.process as process

    frozen_exe = tmp_path / "scribe"  # stands in for the frozen executable: runs the real entry point
    frozen_exe.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" "{REPO / "packaging" / "pyinstaller" / "entry.py"}" "$@"\n'
    )
    frozen_exe.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(frozen_exe))
    assert process.worker_command("llm") == [str(frozen_exe), process.WORKER_FLAG, "llm"]
    runtime = fake()
    try:
        runtime.load()
        assert psutil.Process(runtime.pid).cmdline()[-2:] == [process.WORKER_FLAG, "llm"]
        assert runtime.chat(MESSAGES).startswith('{"subjective"')
    finally:
        runtime.close()


def test_the_proxy_answers_like_the_runtime(rt):
    from scribe.drafting.runtimes import LLMRuntime

    assert isinstance(rt, LLMRuntime)
    assert (rt.name, rt.model_name, rt.supports_constrained_json, rt.context_window) == (
        "slow",
        "slow-fake",
        True,
        4096,
    )
    seen = []
    rt.load(lambda f, m: seen.append((f, m)))
    assert seen == [(0.0, "loading slow-fake"), (1.0, "slow-fake ready")]  # progress crosses the pipe
    assert rt.pid is not None and rt.pid != os.getpid()
    schema = {"type": "object", "properties": {"plan": {"type": "array"}}}
    assert (
        rt.chat(MESSAGES, json_schema=schema)
        == '{"plan": [{"text": "Rest and fluids; return if fever.", "evidence": [3]}]}'
    )
    assert "".join(rt.stream_chat(MESSAGES)).startswith('{"subjective"')
    rt.warm(MESSAGES)
    assert rt.cached_tokens() == 3  # the warm prefix lives in the child


def test_errors_keep_their_type_and_message(rt):
    with pytest.raises(DraftingError, match="cannot process this chat") as err:
        rt.chat([{"role": "user", "content": "fail with a drafting error"}])
    assert not isinstance(err.value, DraftingCrashed)
    with pytest.raises(ValueError, match="exceed context window"):
        next(rt.stream_chat([{"role": "user", "content": "fail with a value error"}]))
    assert rt.chat(MESSAGES)  # the same process goes on
    assert rt.worker.starts == 1


def test_a_runtime_that_cannot_be_built_is_a_one_line_error():
    from scribe.workers.process import WorkerProcess

    worker = WorkerProcess("llm", Spec("worker_fakes", "BrokenModel", sys_path=(TESTS,)), DraftingCrashed)
    with pytest.raises(ModelError, match="not a GGUF file"):
        worker.call("load")
    assert worker.pid is None


def test_count_tokens_is_asked_once_per_text(rt):
    lines = [f"[{i}] Patient: line number {i} of the visit" for i in range(200)]
    t0 = time.perf_counter()
    first = [rt.count_tokens(line) for line in lines]
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = [rt.count_tokens(line) for line in lines]
    warm = time.perf_counter() - t0
    assert first == again == [len(line.split()) for line in lines]
    assert stats(rt)["count_calls"] == 200
    assert warm < cold / 5, (warm, cold)


def test_a_stream_is_pulled_so_a_paused_consumer_pauses_the_model(rt):
    stream = rt.stream_chat(MESSAGES)
    next(stream)
    time.sleep(0.5)  # ~25 pieces' worth of time
    assert stats(rt)["produced"] <= 1 + STREAM_AHEAD
    next(stream)
    time.sleep(0.3)
    assert stats(rt)["produced"] <= 2 + STREAM_AHEAD
    stream.close()  # the rolling note abandons a section at Stop
    wait_until(lambda: stats(rt)["closed_streams"] == 1)
    assert stats(rt)["produced"] <= 2 + STREAM_AHEAD
    assert rt.chat(MESSAGES).startswith('{"subjective"')  # the next request runs at once


def test_set_threads_reaches_a_running_stream_between_tokens(rt):
    rt.set_threads(1)
    stream = rt.stream_chat(MESSAGES)
    for _ in range(4):
        next(stream)
    rt.set_threads(None)  # Stop: all threads back, mid-answer
    rest = list(stream)
    seen = stats(rt)["threads_seen"]
    assert rest and seen[0] == 1 and seen[-1] == 2, seen


@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGKILL, signal.SIGABRT])
def test_a_crash_mid_stream_is_a_typed_error_and_the_next_call_starts_afresh(rt, sig, caplog):
    rt.set_threads(1)
    stream = rt.stream_chat(MESSAGES)
    next(stream)
    first = rt.pid
    caplog.set_level(logging.ERROR, logger="scribe.workers")
    rt.worker.kill(sig)
    with pytest.raises(DraftingCrashed) as err:
        list(stream)
    assert sig.name in str(err.value) and "\n" not in str(err.value)
    assert err.value.exit_code == 1
    report = "\n".join(r.getMessage() for r in caplog.records)
    assert f"ended: {sig.name}" in report
    if sig == signal.SIGSEGV:  # faulthandler's stack of the child is in the log, down to the streaming thread (in the
        # model's stream_chat, or writing the reply it yielded when the signal came between two tokens)
        assert "Segmentation fault" in report and "in _stream" in report
    assert rt.chat(MESSAGES).startswith('{"subjective"')
    assert rt.pid not in (None, first) and rt.worker.starts == 2
    assert stats(rt)["threads"] == 1  # the thread count was given to the fresh process


def test_a_child_that_exits_is_reported_with_its_status(rt):
    rt.load()
    with pytest.raises(DraftingCrashed, match="exit status 3"):
        rt.worker.call("exit_now", 3)
    assert rt.count_tokens("still counts here") == 3


def test_idle_crash_is_invisible_until_needed(rt):
    rt.load()
    rt.worker.kill(signal.SIGKILL)
    wait_until(lambda: rt.pid is None)
    rt.warm(MESSAGES)  # a fresh process
    assert rt.cached_tokens() == 3


def test_close_ends_the_process_and_a_dead_parent_ends_it_too(rt):
    rt.load()
    pid = rt.pid
    rt.close()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    code = (
        f"import sys, os; sys.path.insert(0, {TESTS!r})\n"
        "from test_workers import fake\n"
        "rt = fake(); rt.load(); print(rt.pid, flush=True); os._exit(0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    child = int(out.stdout.split()[0])
    wait_until(lambda: not psutil.pid_exists(child) or psutil.Process(child).status() == psutil.STATUS_ZOMBIE, 10)


def test_describe_exit():
    assert describe_exit(-11) == "SIGSEGV, segmentation fault"
    assert describe_exit(-9) == "SIGKILL, killed"
    assert describe_exit(2) == "exit status 2"


# ----------------------------------------------------------------------------- real runtimes


@pytest.fixture(scope="module")
def llama_in_child(smollm_gguf, llm_test_threads):
    pytest.importorskip("llama_cpp", reason="pip install llama-cpp-python==0.3.36")
    runtime = ProcessRuntime(
        Spec(
            "scribe.drafting.runtimes",
            "LlamaCppRuntime",
            (smollm_gguf,),
            dict(n_ctx=2048, n_threads=llm_test_threads, model_name="smollm2-135m"),
        )
    )
    runtime.load()
    yield runtime
    runtime.close()


def test_llama_cpp_through_the_boundary_gives_the_same_answers_and_keeps_the_prefix_warm(llama_in_child, smollm_llama):
    from scribe.drafting.questions import questions_for
    from scribe.drafting.templates import get_template

    schema = next(q for q in questions_for(get_template("soap")) if q.key == "assessment_plan").schema()
    messages = [
        {"role": "system", "content": "You write clinical notes as JSON."},
        {"role": "user", "content": "Doctor: Start ibuprofen 400 mg twice a day. Come back in two weeks."},
    ]
    here = smollm_llama.chat(messages, json_schema=schema, max_tokens=60)
    there = llama_in_child.chat(messages, json_schema=schema, max_tokens=60)
    assert here == there and len(there) > 10
    assert llama_in_child.count_tokens("potassium chloride") == smollm_llama.count_tokens("potassium chloride")
    assert llama_in_child.context_window == smollm_llama.context_window == 2048
    smollm_llama.warm(messages)
    llama_in_child.warm(messages)
    assert llama_in_child.cached_tokens() == smollm_llama.cached_tokens() > 20


def test_a_grammar_error_crosses_the_boundary_typed(llama_in_child):
    from scribe.drafting.grammar import GrammarError

    bad = {"type": "object", "properties": {"t": {"type": "string", "pattern": "^St\\. John\\'s wort[ -~]{3,9}$"}}}
    with pytest.raises(GrammarError) as err:
        llama_in_child.chat(MESSAGES, json_schema=bad, max_tokens=5)
    assert err.value.literal == bad["properties"]["t"]["pattern"]
    assert llama_in_child.chat(MESSAGES, max_tokens=3)


def test_llama_cpp_killed_mid_answer(llama_in_child):
    stream = llama_in_child.stream_chat(MESSAGES, max_tokens=200)
    next(stream)
    llama_in_child.worker.kill(signal.SIGSEGV)
    with pytest.raises(DraftingCrashed, match="SIGSEGV"):
        list(stream)
    assert llama_in_child.chat(MESSAGES, max_tokens=3)


@pytest.fixture(scope="module")
def tiny_settings(model_cache_dir):
    from scribe.packs import PACKS, missing_distributions
    from scribe.settings import Settings

    if missing_distributions(PACKS["tiny.en"]):
        pytest.skip("model pack tiny.en not installed")
    return Settings(asr_model="tiny.en", cache_dir=str(model_cache_dir))


@pytest.mark.e2e
def test_recognition_in_a_child_hears_the_same_and_survives_a_kill(tiny_settings):
    from scribe.asr.engine import FasterWhisperEngine
    from scribe.resources import asset
    from scribe.workers.asr import ProcessASREngine, create_asr_engine

    clip = asset("sample", "short_clip.flac")
    local = FasterWhisperEngine("tiny.en", tiny_settings)
    here = local.transcribe_file(clip)
    engine = create_asr_engine("tiny.en", tiny_settings)
    assert isinstance(engine, ProcessASREngine)
    try:
        there = engine.transcribe_file(clip)
        assert [(s.text, s.start, s.end) for s in there.segments] == [(s.text, s.start, s.end) for s in here.segments]
        assert engine.hotwords == local.hotwords  # (no decoder prompt since issue 13: terms are corrected after)
        assert engine.corrections == local.corrections  # the term correction ran in the child, as it does here
        assert engine.is_common_word("the") and not engine.is_common_word("lisinopril")
        first = engine.pid
        threading.Timer(0.3, lambda: engine.worker.kill(signal.SIGKILL)).start()
        again = engine.transcribe_file(clip)  # the window in flight is decoded again by a fresh process
        assert [s.text for s in again.segments] == [s.text for s in here.segments]
        assert engine.pid != first
    finally:
        engine.close()


def test_recognition_that_keeps_crashing_is_a_typed_error(tmp_path, tiny_settings):
    import numpy as np

    from scribe.workers.asr import ProcessASREngine

    flag = tmp_path / "crash"
    flag.touch()
    engine = ProcessASREngine("tiny.en", tiny_settings)
    engine.worker.spec = Spec("worker_fakes", "CrashingEngine", (), {"crash_flag": str(flag)}, sys_path=(TESTS,))
    try:
        with pytest.raises(RecognitionCrashed, match="SIGSEGV"):
            list(engine.decode_window(np.zeros(16000 * 5, np.float32)))
        assert engine.worker.starts == 2  # tried once more in a fresh process
        flag.unlink()
        assert [s.text for s in engine.decode_window(np.zeros(16000 * 5, np.float32))] == [
            "The patient reports a dry cough."
        ]
    finally:
        engine.close()


# ----------------------------------------------------------------------------- the CLI


def _kill_worker_of(
    proc: subprocess.Popen, role: str, sig: int, stop: threading.Event, after: Path | None = None
) -> None:
    """Send ``sig`` to each of ``proc``'s worker processes for ``role`` as soon as it exists (and ``after`` does: e.g.
    the transcript, so that the kill lands in drafting, not in an idle model that a request would restart)."""
    killed: set[int] = set()
    while not stop.is_set() and proc.poll() is None:
        if after is not None and not after.exists():
            time.sleep(0.05)
            continue
        try:
            for child in psutil.Process(proc.pid).children(recursive=True):
                if "scribe.workers.host" in child.cmdline() and role in child.cmdline() and child.pid not in killed:
                    time.sleep(0.3)
                    child.send_signal(sig)
                    killed.add(child.pid)
                    # drafting asks many short questions: a kill between two of them only restarts an idle
                    # model, so every new worker is killed too until the command gives up
        except psutil.Error:
            pass
        time.sleep(0.05)


def _scribe_with_crash(
    args: list, model_cache_dir, role: str = "llm", sig: int = signal.SIGSEGV, after: Path | None = None
):
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SCRIBE_LLM_MODEL": "smollm2-135m",
        "SCRIBE_ASR_MODEL": "tiny.en",
        "SCRIBE_LLM_CONTEXT": "4096",
        "SCRIBE_LLM_THREADS": "1",
        "SCRIBE_CACHE_DIR": str(model_cache_dir),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "scribe", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    stop = threading.Event()
    killer = threading.Thread(target=_kill_worker_of, args=(proc, role, sig, stop, after), daemon=True)
    killer.start()
    try:
        out, err = proc.communicate(timeout=600)
    finally:
        stop.set()
    return proc.returncode, out, err


def _one_line_crash(code, out, err, signame):
    assert code == 1, (code, out, err)
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("scribe: error: "), err
    assert signame in lines[0] and "Traceback" not in err + out
    log_file = Path(lines[0].rsplit("Details: ", 1)[1])
    assert "Its last output" in log_file.read_text(encoding="utf-8")
    return lines[0]


def test_cli_draft_reports_a_crashed_model_in_one_line(tmp_path, model_cache_dir, smollm_gguf):
    dialogue = tmp_path / "visit.txt"
    dialogue.write_text(
        "[doctor] What brings you in?\n[patient] A cough for two weeks.\n[doctor] Start benzonatate 100 mg.\n"
    )
    code, out, err = _scribe_with_crash(["draft", dialogue, "--out", tmp_path / "note.json", "-q"], model_cache_dir)
    _one_line_crash(code, out, err, "SIGSEGV")
    assert not (tmp_path / "note.json").exists()


@pytest.mark.slow
def test_cli_run_keeps_the_transcript_when_drafting_crashes(tmp_path, model_cache_dir, smollm_gguf):
    from scribe.resources import asset

    out_dir = tmp_path / "out"
    code, out, err = _scribe_with_crash(
        ["run", asset("sample", "short_clip.flac"), "--out", out_dir, "-q"],
        model_cache_dir,
        sig=signal.SIGKILL,
        after=out_dir / "transcript.json",
    )
    line = _one_line_crash(code, out, err, "SIGKILL")
    transcript = out_dir / "transcript.json"
    assert str(transcript) in line and transcript.is_file()
    # the words tiny.en hears on every CPU (its drug names depend on the CPU's int8 arithmetic: docs/quality.md)
    assert "blood pressure" in transcript.read_text().lower()


def test_the_recogniser_proxy_forwards_every_public_method_that_needs_the_model():
    """The engine's model lives in the child: a public engine method that uses it must be forwarded by
    ProcessASREngine, or it would run in the app on a model that is not there. (A guard for when the
    engine grows one.)"""
    import inspect

    from scribe.asr.engine import FasterWhisperEngine
    from scribe.workers.asr import ProcessASREngine

    def uses_model(member) -> bool:
        fn = member.fget if isinstance(member, property) else member
        return callable(fn) and "self._model" in inspect.getsource(fn)

    needing = {name for name, m in vars(FasterWhisperEngine).items() if not name.startswith("_") and uses_model(m)}
    assert {"load", "count_tokens"} <= needing
    missing = needing - set(vars(ProcessASREngine))
    assert not missing, f"forward these to the worker process in scribe/workers/asr.py: {sorted(missing)}"
