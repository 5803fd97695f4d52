"""The chat runtimes against real models: llama.cpp, transformers and a real OpenAI-compatible server.

Small models (SmolLM2-135M) keep this fast; one slow test runs the default 1.5B drafter.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jsonschema
import pytest

from scribe.drafting.runtimes import (
    LlamaCppRuntime,
    LLMRuntime,
    OpenAICompatRuntime,
    TransformersRuntime,
    _StopScanner,
    create_runtime,
)
from scribe.errors import DraftingError, ModelError
from scribe.resources import asset
from scribe.settings import Settings

HELLO = [{"role": "user", "content": "Say hello to the patient in one short sentence."}]

# Small enough that a 135M model fills it well within the token limit.
SYMPTOM_SCHEMA = {
    "type": "object",
    "properties": {
        "symptom": {"type": "string", "maxLength": 30},
        "severity": {"enum": ["mild", "moderate", "severe"]},
        "days": {"type": "integer", "minimum": 0, "maximum": 365},
    },
    "required": ["symptom", "severity", "days"],
    "additionalProperties": False,
}
SYMPTOM_PROMPT = [
    {"role": "system", "content": "You extract facts from clinic visits and answer in JSON."},
    {
        "role": "user",
        "content": "Patient: I've had a moderate headache for three days.\nGive symptom, severity and days as JSON.",
    },
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def script_text(name: str) -> str:
    """A sample visit script without its comment lines."""
    lines = asset("sample", name).read_text(encoding="utf-8").splitlines()
    return "\n".join(ln for ln in lines if ln and not ln.startswith("#"))


def visit_transcript(lines: int = 0) -> str:
    """The sample visit (~1,100 tokens), or its first ``lines`` lines."""
    text = script_text("visit_script.txt")
    return "\n".join(text.splitlines()[:lines]) if lines else text


def note_messages(transcript: str, system: str = "You are a careful medical scribe.") -> list[dict]:
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": "Summarise this visit in two sentences.\n\nTranscript:\n" + transcript},
    ]


def first_token_time(runtime, messages, **kw) -> tuple[float, str]:
    t0 = time.perf_counter()
    stream = runtime.stream_chat(messages, max_tokens=kw.pop("max_tokens", 8), **kw)
    first = next(stream)
    elapsed = time.perf_counter() - t0
    return elapsed, first + "".join(stream)


# --------------------------------------------------------------------------------- llama.cpp


def test_llama_streams_several_pieces(smollm_llama):
    assert isinstance(smollm_llama, LLMRuntime)
    pieces = list(smollm_llama.stream_chat(HELLO, max_tokens=24))
    assert len(pieces) > 1
    assert "".join(pieces).strip()
    assert smollm_llama.chat(HELLO, max_tokens=24) == "".join(pieces)  # greedy: deterministic


def test_llama_json_schema_is_enforced(smollm_llama):
    assert smollm_llama.supports_constrained_json
    data = json.loads(smollm_llama.chat(SYMPTOM_PROMPT, json_schema=SYMPTOM_SCHEMA, max_tokens=80))
    jsonschema.validate(data, SYMPTOM_SCHEMA)


def test_llama_stop_strings(smollm_llama):
    full = smollm_llama.chat(HELLO, max_tokens=24)
    word = full.split()[2]
    cut = smollm_llama.chat(HELLO, max_tokens=24, stop=[word])
    assert cut == full[: full.index(word)]


def test_llama_warm_prefix_skips_prefill(smollm_llama):
    transcript = visit_transcript(lines=24)  # ~600 tokens; bench_llm.py --prefix-cache times a full note
    assert 400 < smollm_llama.count_tokens(transcript) < 1000
    # Cold: nothing of this prompt is cached (a different system prompt comes first).
    cold, _ = first_token_time(smollm_llama, note_messages(transcript, "You write clinic notes."))
    # The visit goes on: warm what we have, then the final prompt only adds a tail.
    smollm_llama.warm(note_messages(transcript))
    later = note_messages(transcript + "\n[patient] One more thing, my knee hurts.")
    warm, text = first_token_time(smollm_llama, later)
    assert text.strip()
    assert warm < cold / 3, f"warm first token {warm:.3f}s vs cold {cold:.3f}s"


def test_llama_prompt_longer_than_context(smollm_llama):
    long = [{"role": "user", "content": visit_transcript() * 3}]  # ~3,800 tokens > n_ctx 2048
    with pytest.raises(DraftingError, match="context window"):
        smollm_llama.chat(long, max_tokens=8)


def test_truncated_gguf_is_a_model_error(smollm_gguf, tmp_path):
    broken = tmp_path / "broken.gguf"
    with open(smollm_gguf, "rb") as src:
        broken.write_bytes(src.read(1 << 20))  # header intact, tensors missing
    runtime = create_runtime(Settings(llm_model=str(broken), llm_runtime="llama.cpp", cache_dir=str(tmp_path)))
    with pytest.raises(ModelError, match="llama.cpp cannot load broken.gguf"):
        runtime.load()


def test_not_a_gguf_is_a_model_error(tmp_path):
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"<html>not a model</html>")
    with pytest.raises(ModelError, match="not a GGUF"):
        create_runtime(Settings(llm_model=str(fake), cache_dir=str(tmp_path)))


def test_create_runtime_choices(smollm_gguf, tmp_path):
    from scribe.workers.llm import ProcessRuntime

    here = dict(cache_dir=str(tmp_path), isolate_models=False)
    auto = create_runtime(Settings(llm_model=str(smollm_gguf), **here))
    assert isinstance(auto, LlamaCppRuntime) and auto.name == "llama.cpp"
    hf = create_runtime(Settings(llm_model=str(smollm_gguf), llm_runtime="transformers", **here))
    assert isinstance(hf, TransformersRuntime) and hf.gguf_file == smollm_gguf.name
    # by default the native runtimes are hosted in a worker process (scribe.workers)
    hosted = create_runtime(Settings(llm_model=str(smollm_gguf), cache_dir=str(tmp_path)))
    assert isinstance(hosted, ProcessRuntime) and hosted.spec.qualname == "LlamaCppRuntime"
    assert (hosted.name, hosted.supports_constrained_json, hosted.pid) == ("llama.cpp", True, None)  # not started
    hosted_hf = create_runtime(
        Settings(llm_model=str(smollm_gguf), llm_runtime="transformers", cache_dir=str(tmp_path))
    )
    assert hosted_hf.spec.qualname == "TransformersRuntime" and not hosted_hf.supports_constrained_json
    server = create_runtime(Settings(llm_server_url="http://127.0.0.1:9/v1", cache_dir=str(tmp_path)))
    assert isinstance(server, OpenAICompatRuntime)
    with pytest.raises(ModelError, match="Unknown llm_runtime"):
        create_runtime(Settings(llm_runtime="vllm-local"))
    with pytest.raises(ModelError, match="llm_server_url is not set"):
        create_runtime(Settings(llm_runtime="openai"))
    folder = tmp_path / "hf-model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    with pytest.raises(ModelError, match="llama.cpp needs a GGUF"):
        create_runtime(Settings(llm_model=str(folder), llm_runtime="llama.cpp", cache_dir=str(tmp_path)))


@pytest.mark.slow
@pytest.mark.e2e  # the default 1.5B model's content check: kept apart to hold the suite to 15 minutes
def test_default_model_writes_short_json(qwen_gguf, llm_test_threads):
    schema = {
        "type": "object",
        "properties": {
            "medications": {
                "type": "array",
                "maxItems": 3,
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "maxLength": 30},
                        "dose": {"type": "string", "maxLength": 20},
                    },
                    "required": ["name", "dose"],
                    "additionalProperties": False,
                },
            },
            "allergy": {"type": "string", "maxLength": 30},
        },
        "required": ["medications", "allergy"],
        "additionalProperties": False,
    }
    messages = [
        {"role": "system", "content": "You extract facts from a clinic visit transcript. Answer in JSON."},
        {
            "role": "user",
            "content": "Transcript:\n"
            + script_text("short_clip_script.txt")
            + "\n\nList every medication the patient takes (name and dose) and the drug allergy.",
        },
    ]
    with LlamaCppRuntime(qwen_gguf, n_ctx=2048, n_threads=llm_test_threads, model_name="qwen2.5-coder-1.5b") as runtime:
        data = json.loads(runtime.chat(messages, json_schema=schema, max_tokens=150))
    jsonschema.validate(data, schema)
    names = " ".join(m["name"] for m in data["medications"]).lower()
    assert "lisinopril" in names and "metformin" in names
    assert "penicillin" in data["allergy"].lower()


# ------------------------------------------------------------------------------ transformers


@pytest.mark.e2e
def test_transformers_streams_text(smollm_transformers):
    runtime = smollm_transformers
    assert not runtime.supports_constrained_json
    pieces = list(runtime.stream_chat(HELLO, max_tokens=24))
    assert len(pieces) > 1 and "".join(pieces).strip()


@pytest.mark.e2e
def test_transformers_stop_and_prefix_cache(smollm_transformers):
    runtime = smollm_transformers
    full = runtime.chat(HELLO, max_tokens=24)
    word = full.split()[2]
    # Same prompt again: the KV cache of the first call is reused (all but the last prompt token).
    cut = runtime.chat(HELLO, max_tokens=24, stop=[word])
    assert cut == full[: full.index(word)]


@pytest.mark.e2e
def test_transformers_warm_prefix(smollm_transformers):
    runtime = smollm_transformers
    transcript = visit_transcript(lines=20)  # ~500 tokens: fp32 prefill is slow
    cold, _ = first_token_time(runtime, note_messages(transcript, "You write clinic notes."), max_tokens=4)
    runtime.warm(note_messages(transcript))
    warm, text = first_token_time(runtime, note_messages(transcript + "\n[patient] My knee hurts."), max_tokens=4)
    assert text.strip()
    assert warm < cold / 2, f"warm first token {warm:.3f}s vs cold {cold:.3f}s"


@pytest.mark.e2e
def test_transformers_tokenizer_is_cached(smollm_transformers, smollm_gguf, model_cache_dir):
    cached = list((model_cache_dir / "gguf-meta").glob(f"{smollm_gguf.stem}-*/.tokenizer-complete"))
    assert cached, "the GGUF tokenizer was not cached"
    fresh = TransformersRuntime(smollm_gguf, cache_dir=model_cache_dir)
    t0 = time.perf_counter()
    n = fresh.count_tokens("Lisinopril ten milligrams once a day.")  # loads only the tokenizer
    assert time.perf_counter() - t0 < 5
    assert n == smollm_transformers.count_tokens("Lisinopril ten milligrams once a day.")
    assert fresh.model is None


def test_transformers_corrupt_gguf(smollm_gguf, tmp_path):
    pytest.importorskip("transformers")
    broken = tmp_path / "broken.gguf"
    with open(smollm_gguf, "rb") as src:
        broken.write_bytes(src.read(1 << 20))
    with pytest.raises(ModelError, match="broken.gguf"):
        TransformersRuntime(broken, cache_dir=tmp_path).load()


def test_stop_scanner_holds_back_partial_stop():
    s = _StopScanner(["END"])
    assert s.feed("abc E") == "abc "
    assert s.feed("N") == ""
    assert s.feed("Xdef") == "ENXdef"
    assert s.feed(" tail EN") == " tail "
    assert s.feed("D more") == "" and s.stopped


# ------------------------------------------------------------------------ OpenAI-compatible


def test_openai_streams_from_real_server(llama_server):
    runtime = OpenAICompatRuntime(llama_server.url, api_key=llama_server.api_key)
    runtime.load()
    assert runtime.model_name == "smollm2-135m"  # discovered from /models
    pieces = list(runtime.stream_chat(HELLO, max_tokens=24))
    assert len(pieces) > 1 and "".join(pieces).strip()
    runtime.close()


def test_openai_json_schema_with_fallback(llama_server):
    runtime = OpenAICompatRuntime(llama_server.url, model="smollm2-135m", api_key=llama_server.api_key)
    data = json.loads(runtime.chat(SYMPTOM_PROMPT, json_schema=SYMPTOM_SCHEMA, max_tokens=80))
    jsonschema.validate(data, SYMPTOM_SCHEMA)
    # llama_cpp.server rejects OpenAI's "json_schema" form; the fallback is remembered.
    assert runtime._format_style == "json_object"
    data = json.loads(runtime.chat(SYMPTOM_PROMPT, json_schema=SYMPTOM_SCHEMA, max_tokens=80))
    jsonschema.validate(data, SYMPTOM_SCHEMA)
    runtime.close()


def test_openai_warm_then_chat(llama_server, monkeypatch):
    monkeypatch.setenv("SCRIBE_LLM_SERVER_API_KEY", llama_server.api_key)  # key from the environment
    runtime = create_runtime(Settings(llm_server_url=llama_server.url))
    runtime.warm(note_messages(visit_transcript(lines=12)))
    assert runtime.chat(note_messages(visit_transcript(lines=12) + "\n[doctor] Bye."), max_tokens=8).strip()
    runtime.close()


def test_openai_clear_errors(llama_server):
    with pytest.raises(ModelError, match="Cannot reach .* connection refused"):
        OpenAICompatRuntime(f"http://127.0.0.1:{free_port()}/v1").load()
    with pytest.raises(ModelError, match=r"refused access \(HTTP 401\)"):
        OpenAICompatRuntime(llama_server.url, api_key="wrong").load()
    with pytest.raises(ModelError, match="does not serve model 'gpt-4o'"):
        OpenAICompatRuntime(llama_server.url, model="gpt-4o", api_key=llama_server.api_key).load()
    with pytest.raises(ModelError, match="no /models endpoint"):
        OpenAICompatRuntime(llama_server.url.removesuffix("/v1"), api_key=llama_server.api_key).load()
    with pytest.raises(ModelError, match="must start with http"):
        OpenAICompatRuntime("127.0.0.1:8080/v1")


class _NotAnAPI(BaseHTTPRequestHandler):
    """A web server that is not an OpenAI API: HTML for everything, or silence on /slow."""

    def do_GET(self):
        if self.path.startswith("/slow"):
            time.sleep(2)
        body = b"<html><body>Clinic intranet</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except BrokenPipeError:  # the client timed out first, as intended
            pass

    def log_message(self, *args):
        pass


@pytest.fixture()
def html_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotAnAPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_openai_non_json_and_timeout(html_server):
    with pytest.raises(ModelError, match="not JSON"):
        OpenAICompatRuntime(f"{html_server}/v1").load()
    with pytest.raises(ModelError, match="No answer from .* in time"):
        OpenAICompatRuntime(f"{html_server}/slow/v1", timeout=0.5).load()
