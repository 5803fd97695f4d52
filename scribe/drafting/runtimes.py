"""Chat LLM runtimes behind one small interface.

Note drafting needs only a handful of operations from a language model: stream a chat
answer (optionally constrained to a JSON schema), count tokens to budget the prompt, and keep
a growing prompt "warm" during the visit so the final draft only pays for the new tail. Three
back ends implement them:

* :class:`LlamaCppRuntime` - llama-cpp-python on a GGUF file. The default on CPU: ~10x faster
  and ~4x smaller than transformers (see ``/work/shared/MODELS.md``), with grammar-constrained
  JSON.
* :class:`TransformersRuntime` - transformers + torch on a Hugging Face folder or a GGUF
  (dequantized). For GPUs and for models llama.cpp cannot run; no constrained decoding.
* :class:`OpenAICompatRuntime` - any OpenAI-compatible server (vLLM, Ollama, llama.cpp server)
  at a URL the clinic configured. Never a built-in remote default: Scribe stays local-first.

:func:`create_runtime` picks one from :class:`~scribe.settings.Settings` and, for the two native
ones, hosts it in a worker process (:mod:`scribe.workers`) so a crash in native code cannot take
the app down. Every failure a user
or admin can cause (missing package, corrupt model, unreachable server) surfaces as a one-line
:class:`~scribe.errors.ModelError` or :class:`~scribe.errors.DraftingError`.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import logging
import math
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..errors import DraftingError, ModelError
from ..packs import PACKS, resolve_llm_model
from ..settings import Settings
from ..threads import free_cores

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]  # fraction done (0..1), message

RUNTIME_NAMES = ("llama.cpp", "transformers", "openai")
_ALIASES = {"llamacpp": "llama.cpp", "llama-cpp": "llama.cpp", "llama_cpp": "llama.cpp", "hf": "transformers"}

# What to install for each runtime; quoted in error messages so an admin can act on them.
_PIP_HINT = {
    "llama.cpp": "pip install llama-cpp-python==0.3.36",
    "transformers": "pip install torch transformers gguf accelerate",
    "openai": "pip install httpx",
}


@runtime_checkable
class LLMRuntime(Protocol):
    """A chat language model, loaded lazily, used by one drafting job at a time."""

    name: str  # "llama.cpp" | "transformers" | "openai"
    model_name: str
    supports_constrained_json: bool  # True: json_schema is enforced while decoding

    def load(self, progress: Progress | None = None) -> None:
        """Load the model (or probe the server). Idempotent; other methods call it lazily."""

    def stream_chat(
        self,
        messages: list[dict],
        *,
        json_schema: dict | None = None,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        stop: list[str] | None = None,
    ) -> Iterator[str]:
        """Yield the answer's text pieces as they are generated."""

    def chat(self, messages: list[dict], **kw: Any) -> str:
        """The whole answer of :meth:`stream_chat`."""

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes in this model (an over-estimate where the tokenizer is remote)."""

    def warm(self, messages: list[dict]) -> None:
        """Prefill a prompt prefix so a later call extending it only pays for the new tail."""

    @property
    def context_window(self) -> int:
        """Tokens available for prompt plus answer."""

    def close(self) -> None:
        """Free the model (or connection); the runtime can be loaded again afterwards."""


class _RuntimeBase:
    """Shared plumbing: ``chat`` joins ``stream_chat``; usable as a context manager."""

    name = ""
    model_name = ""
    supports_constrained_json = False

    def chat(self, messages: list[dict], **kw: Any) -> str:
        return "".join(self.stream_chat(messages, **kw))

    def stream_chat(self, messages: list[dict], **kw: Any) -> Iterator[str]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.model_name!r}>"


# ---------------------------------------------------------------------------------------------
# helpers


def physical_cores() -> int:
    """Physical cores: llama.cpp and torch get slower, not faster, on hyper-threads."""
    try:
        import psutil

        n = psutil.cpu_count(logical=False)
    except Exception:  # psutil missing or the platform does not say
        n = None
    return n or os.cpu_count() or 1


def _threads(n: int) -> int:
    return n if n and n > 0 else physical_cores()


def _import(module: str, runtime: str):
    """Import a runtime's package or explain what to install (it may fail with OSError too:
    llama-cpp-python's shared library can be missing or built for another CPU)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ModelError(
            f"The {runtime} runtime needs the Python package '{module}', which is not installed "
            f"({exc.name or module}). Install it with: {_PIP_HINT[runtime]}."
        ) from None
    except OSError as exc:
        raise ModelError(
            f"The {runtime} runtime's package '{module}' is installed but cannot be loaded ({exc}). "
            f"Reinstall it with: {_PIP_HINT[runtime]}."
        ) from None


def _importable(module: str, load: bool = True) -> bool:
    """Whether ``module`` is there; ``load=False`` only looks (a native runtime hosted in a worker
    process is never loaded into this one: a broken build then fails there, with the same message)."""
    if not load:
        return importlib.util.find_spec(module) is not None
    try:
        importlib.import_module(module)
        return True
    except (ImportError, OSError):
        return False


def _check_gguf_file(path: Path) -> None:
    """Fail with a one-liner before a native loader prints a wall of text or crashes."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelError(f"Cannot read language model file {path}: {exc.strerror or exc}.") from None
    if magic != b"GGUF":
        raise ModelError(f"Language model file {path} is not a GGUF file (corrupt or wrong format).")


def _clip(text: str, limit: int = 200, first_line: bool = True) -> str:
    """A (possibly multi-line, library-generated) message as one line of at most ``limit``."""
    text = (text or "").strip()
    if first_line:
        text = text.splitlines()[0] if text else ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(exc: BaseException, limit: int = 200) -> str:
    return _clip(str(exc), limit) or type(exc).__name__


class _StopScanner:
    """Cuts a text stream at the first stop string, holding back text that may start one.

    transformers' own ``stop_strings`` leaves the stop text in the output; this yields exactly
    what precedes it, like llama.cpp and OpenAI servers do.
    """

    def __init__(self, stops: list[str] | None):
        self.stops = [s for s in (stops or []) if s]
        self.buffer = ""
        self.stopped = False

    def feed(self, piece: str) -> str:
        if not self.stops:
            return piece
        self.buffer += piece
        hits = [i for i in (self.buffer.find(s) for s in self.stops) if i >= 0]
        if hits:
            out, self.buffer, self.stopped = self.buffer[: min(hits)], "", True
            return out
        hold = 0
        for s in self.stops:
            for k in range(min(len(s) - 1, len(self.buffer)), 0, -1):
                if self.buffer.endswith(s[:k]):
                    hold = max(hold, k)
                    break
        out = self.buffer[: len(self.buffer) - hold]
        self.buffer = self.buffer[len(out) :]
        return out

    def flush(self) -> str:
        out, self.buffer = self.buffer, ""
        return out


# ---------------------------------------------------------------------------------------------
# llama.cpp


class LlamaCppRuntime(_RuntimeBase):
    """llama-cpp-python on a GGUF file (CPU default).

    The chat template comes from the GGUF. llama-cpp-python keeps the KV cache of the last
    evaluated prompt and reuses its longest common token prefix on the next call; :meth:`warm`
    exploits that. One call at a time: the underlying ``Llama`` is not thread-safe, so calls
    from other threads wait on a lock (a stream holds it until exhausted or closed).
    """

    name = "llama.cpp"
    supports_constrained_json = True

    def __init__(
        self,
        model_path: Path | str,
        *,
        n_threads: int = 0,
        n_ctx: int = 8192,
        model_name: str = "",
        n_batch: int = 512,
        warm_threads: int = 0,
    ):
        self.model_path = Path(model_path)
        self.model_name = model_name or self.model_path.name
        self.n_threads = _threads(n_threads)
        # warm() runs during the visit, next to speech recognition. llama.cpp's threads wait for
        # each other at every layer, so when the CPU is oversubscribed each one that is descheduled
        # stalls the rest: with 2 cores busy, 1 thread prefilled 2x faster than 2 (measured).
        self.warm_threads = warm_threads or max(1, self.n_threads // 2)
        self.n_ctx = n_ctx
        self.n_batch = n_batch
        self._llm: Any = None  # llama_cpp.Llama once loaded
        self._lock = threading.Lock()
        self._want_threads = self.n_threads  # see set_threads
        self._threads_now = self.n_threads  # what the context is set to
        self._grammars: Any = None  # GrammarCompiler for the loaded model's vocabulary
        self._schema_grammars: dict[str, Any] = {}  # schema JSON -> checked LlamaGrammar

    def set_threads(self, n: int | None) -> None:
        """Threads for generation from the next token on (``None``: all ``n_threads``).

        Safe from any thread: a running :meth:`stream_chat` applies it between tokens. A visit's
        background drafting runs on one thread next to speech recognition; at Stop the final
        draft gets them all back, even mid-answer.
        """
        self._want_threads = max(1, min(self.n_threads, n or self.n_threads))

    def free_threads(self) -> int:
        """Threads worth using now: ``n_threads`` less the cores other programs keep busy."""
        return free_cores(self.n_threads)

    def _apply_threads(self, n: int | None = None) -> None:
        """Set the context's thread counts (caller holds the lock, no decode running)."""
        n = n or self._want_threads
        if n != self._threads_now and self._llm is not None:
            import llama_cpp

            llama_cpp.llama_set_n_threads(self._llm.ctx, n, n)
            self._threads_now = n

    def load(self, progress: Progress | None = None) -> None:
        if self._llm is not None:
            return
        llama_cpp = _import("llama_cpp", self.name)
        _check_gguf_file(self.model_path)
        with self._lock:
            if self._llm is not None:
                return
            if progress:
                progress(0.0, f"loading {self.model_name}")
            try:
                self._llm = llama_cpp.Llama(
                    model_path=str(self.model_path),
                    n_ctx=self.n_ctx,
                    n_batch=self.n_batch,
                    n_threads=self.n_threads,
                    n_threads_batch=self.n_threads,
                    # llama.cpp repacks the quantised weights into its CPU layout at load; with the file
                    # memory-mapped, the pages read for that stay mapped too and the weights are resident
                    # twice (2.20 GB against 1.59 GB peak for the bundled 1.5B model, 0.35 s slower load;
                    # benchmarks/bench_llm_memory.py)
                    use_mmap=False,
                    verbose=False,
                )
            except (ValueError, RuntimeError, OSError) as exc:
                raise ModelError(
                    f"llama.cpp cannot load {self.model_path.name}: the file is truncated, corrupt or of an "
                    f"unsupported architecture ({_short(exc)})."
                ) from None
            self._threads_now = self.n_threads
            from .fast_grammar import install

            self._grammars = install(self._llm)  # constrained greedy decoding ~1.5x faster, same tokens
            self._schema_grammars.clear()
            if progress:
                progress(1.0, f"{self.model_name} ready")

    @property
    def context_window(self) -> int:
        """The allocated context (prompt + answer); the configured size until loaded."""
        return self._llm.n_ctx() if self._llm is not None else self.n_ctx

    def count_tokens(self, text: str) -> int:
        self.load()
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def _failure(self, exc: ValueError) -> DraftingError:
        """llama-cpp-python reports a too-long prompt and template errors as ValueError."""
        if "exceed context window" in str(exc):
            return DraftingError(
                f"The prompt does not fit the language model's context window ({_short(exc)}). "
                "Raise llm_context or shorten the transcript."
            )
        return DraftingError(f"The model {self.model_name} cannot process this chat ({_short(exc)}).")

    def grammar(self, schema: dict):
        """The schema's grammar, compiled by llama.cpp before use (GrammarError if it does not).

        llama-cpp-python's chat handler would convert the schema itself and fall back to any-JSON
        when its converter fails; Scribe converts, checks and caches it here instead."""
        self.load()
        key = json.dumps(schema, sort_keys=True)
        grammar = self._schema_grammars.get(key)
        if grammar is None:
            from llama_cpp import LlamaGrammar

            grammar = LlamaGrammar.from_string(self._grammars.grammar(schema), verbose=False)
            if len(self._schema_grammars) >= 64:
                self._schema_grammars.clear()
            self._schema_grammars[key] = grammar
        return grammar

    def stream_chat(self, messages, *, json_schema=None, max_tokens=1024, temperature=0.0, stop=None):
        self.load()
        kw: dict[str, Any] = dict(
            messages=messages, max_tokens=max_tokens, temperature=temperature, stop=list(stop or []), stream=True
        )
        if json_schema is not None:
            # Grammar-constrained sampling: the output is valid JSON of this schema by construction
            # (unless max_tokens cuts it short). Checked here, before the first token.
            kw["grammar"] = self.grammar(json_schema)
        with self._lock:
            self._apply_threads()
            try:
                for chunk in self._llm.create_chat_completion(**kw):
                    self._apply_threads()  # between tokens: set_threads() from another thread
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        yield piece
            except ValueError as exc:  # raised lazily, on the first next()
                raise self._failure(exc) from None

    def warm(self, messages: list[dict]) -> None:
        """Evaluate ``messages`` as a later ``stream_chat`` would format them, keeping the KV cache.

        Runs the same chat handler with ``max_tokens=1``: the prompt tokens are exactly those of
        a real call (same template, same BOS handling) and the one sampled token is never
        evaluated, so the cache holds precisely the prompt. The next call re-evaluates only
        what follows the longest common token prefix. Uses ``warm_threads`` (half the cores)
        so a background warm-up does not starve speech recognition, nor itself.
        """
        self.load()
        with self._lock:
            self._apply_threads(min(self.warm_threads, self._want_threads))
            try:
                self._llm.create_chat_completion(messages=messages, max_tokens=1, temperature=0.0)
            except ValueError as exc:
                raise self._failure(exc) from None
            finally:
                self._apply_threads()

    def cached_tokens(self) -> int:
        """Tokens of the last prompt (and answer) held in the KV cache: what a call can reuse."""
        return int(self._llm.n_tokens) if self._llm is not None else 0

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None


# ---------------------------------------------------------------------------------------------
# transformers


def _gguf_fingerprint(path: Path) -> str:
    """Key for the cached tokenizer: size + sha256 of the first 64 MiB.

    The tokenizer and chat template live in the GGUF's metadata header, which precedes the
    tensor data and is far smaller than 64 MiB, so this changes whenever they can; hashing the
    whole 1 GB file would cost seconds on every load.
    """
    h = hashlib.sha256()
    size = path.stat().st_size
    h.update(str(size).encode())
    with open(path, "rb") as fh:
        h.update(fh.read(64 << 20))
    return f"{size}-{h.hexdigest()[:16]}"


_END_OF_TURN = ("<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>", "<|endoftext|>")


class TransformersRuntime(_RuntimeBase):
    """transformers + torch on a Hugging Face folder or a GGUF file.

    A GGUF is dequantized (fp32 on CPU: ~4x the file size in RAM and ~7x slower than llama.cpp,
    but it runs models llama.cpp does not, and any GPU torch supports). No constrained decoding
    (``supports_constrained_json`` is False): ``json_schema`` is ignored and the caller must
    describe the JSON in the prompt and validate/repair the answer. :meth:`warm` keeps a
    ``DynamicCache`` of the last prompt, mirroring llama.cpp's prefix reuse.
    """

    name = "transformers"
    supports_constrained_json = False

    def __init__(
        self,
        model_path: Path | str,
        *,
        n_threads: int = 0,
        n_ctx: int = 8192,
        cache_dir: Path | str | None = None,
        model_name: str = "",
        device: str = "",
    ):
        path = Path(model_path)
        self.gguf_file: str | None
        if path.is_file():
            self.folder, self.gguf_file = path.parent, path.name
        else:
            self.folder, self.gguf_file = path, None
        self.model_path = path
        self.model_name = model_name or path.name
        self.n_threads = _threads(n_threads)
        self.n_ctx = n_ctx
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.device = device
        self.tokenizer: Any = None
        self.model: Any = None
        self._torch: Any = None
        self._lock = threading.Lock()
        self._prefix: tuple[list[int], Any] | None = None  # (token ids in cache, DynamicCache)

    # -- loading ------------------------------------------------------------------------------

    def _modules(self):
        torch = _import("torch", self.name)
        transformers = _import("transformers", self.name)
        if self.gguf_file:  # transformers needs both to read GGUF files
            _import("gguf", self.name)
            _import("accelerate", self.name)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the hub, even by accident
        self._torch = torch
        return torch, transformers

    def _meta_cache(self) -> Path | None:
        """Folder caching what transformers derives from a GGUF's header (tokenizer, config).

        Building them means parsing every metadata field with gguf-py: 7-19 s per load for the
        default model, done twice (config, then weights). Saved once with ``save_pretrained``,
        they load in well under a second.
        """
        if not self.gguf_file or self.cache_dir is None:
            return None
        gguf_path = self.folder / self.gguf_file
        return self.cache_dir / "gguf-meta" / f"{gguf_path.stem}-{_gguf_fingerprint(gguf_path)}"

    def _load_tokenizer(self, transformers, progress: Progress | None) -> None:
        if self.tokenizer is not None:
            return
        auto = transformers.AutoTokenizer
        try:
            if not self.gguf_file:
                self.tokenizer = auto.from_pretrained(self.folder, local_files_only=True)
                return
            _check_gguf_file(self.folder / self.gguf_file)
            cached = self._meta_cache()
            if cached is not None and (cached / ".tokenizer-complete").is_file():
                try:
                    self.tokenizer = auto.from_pretrained(cached, local_files_only=True)
                    return
                except Exception as exc:  # stale or damaged cache: rebuild it below
                    log.warning("Rebuilding cached tokenizer %s: %s", cached, exc)
            if progress:
                progress(0.05, "building the tokenizer from the GGUF (once; cached afterwards)")
            self.tokenizer = auto.from_pretrained(self.folder, gguf_file=self.gguf_file, local_files_only=True)
            if cached is not None:
                self._save_meta(cached, self.tokenizer, ".tokenizer-complete")
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(
                f"transformers cannot read the tokenizer of {self.model_path.name} ({_short(exc)})."
            ) from None

    def _load_config(self, transformers):
        """The GGUF-derived model config, from the cache when possible (None for HF folders)."""
        if not self.gguf_file:
            return None
        cached = self._meta_cache()
        if cached is not None and (cached / ".config-complete").is_file():
            try:
                return transformers.AutoConfig.from_pretrained(cached, local_files_only=True)
            except Exception as exc:
                log.warning("Rebuilding cached config %s: %s", cached, exc)
        config = transformers.AutoConfig.from_pretrained(self.folder, gguf_file=self.gguf_file, local_files_only=True)
        if cached is not None:
            self._save_meta(cached, config, ".config-complete")
        return config

    def _save_meta(self, folder: Path, obj, marker: str) -> None:
        """Save into the cache folder; the marker is written last, so a crash leaves no half entry."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
            obj.save_pretrained(folder)
            (folder / marker).write_text(str(self.model_path))
        except OSError as exc:  # a read-only cache only costs speed
            log.warning("Cannot cache GGUF metadata in %s: %s", folder, exc)

    def load(self, progress: Progress | None = None) -> None:
        if self.model is not None:
            return
        torch, transformers = self._modules()
        with self._lock:
            if self.model is not None:
                return
            if progress:
                progress(0.0, f"loading {self.model_name}")
            self._load_tokenizer(transformers, progress)
            device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
            if device == "cpu":
                torch.set_num_threads(self.n_threads)
                dtype = torch.float32  # CPUs without bf16 units are slower in bf16 (MODELS.md)
            else:
                dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
            if progress:
                progress(0.2, f"reading weights of {self.model_name}" + (" (dequantizing)" if self.gguf_file else ""))
            kw: dict[str, Any] = dict(dtype=dtype, local_files_only=True)
            transformers.utils.logging.disable_progress_bar()  # Scribe reports progress itself
            try:
                if self.gguf_file:
                    kw.update(gguf_file=self.gguf_file, config=self._load_config(transformers))
                model = transformers.AutoModelForCausalLM.from_pretrained(self.folder, **kw)
            except Exception as exc:  # corrupt file, unsupported quantization or architecture
                raise ModelError(
                    f"transformers cannot load {self.model_path.name}: the model is corrupt or unsupported ({_short(exc)})."
                ) from None
            self.model = model.to(device).eval()
            self._device = device
            if progress:
                progress(1.0, f"{self.model_name} ready")

    # -- interface ----------------------------------------------------------------------------

    @property
    def context_window(self) -> int:
        """Configured ``llm_context`` capped by the model's trained length (known once loaded)."""
        trained = getattr(getattr(self.model, "config", None), "max_position_embeddings", None)
        return min(self.n_ctx, trained) if trained else self.n_ctx

    def count_tokens(self, text: str) -> int:
        if self.tokenizer is None:  # the tokenizer alone is enough, and fast once cached
            _, transformers = self._modules()
            with self._lock:
                self._load_tokenizer(transformers, None)
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _prompt_ids(self, messages: list[dict]) -> list[int]:
        try:
            text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        except Exception as exc:  # no template in the model, or one that rejects these roles
            raise DraftingError(f"The model {self.model_name} cannot format this chat ({_short(exc)}).") from None
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]  # the template adds BOS itself
        if len(ids) >= self.context_window:
            raise DraftingError(
                f"The prompt is {len(ids)} tokens, more than the language model's context window of "
                f"{self.context_window}. Raise llm_context or shorten the transcript."
            )
        return ids

    def _eos_ids(self) -> list[int]:
        """GGUF files name one EOS; chat models also end turns with their template's marker."""
        ids: set[int] = set()
        for v in (self.model.generation_config.eos_token_id, self.tokenizer.eos_token_id):
            ids.update(v if isinstance(v, (list, tuple)) else [v] if v is not None else [])
        vocab = self.tokenizer.get_vocab()
        ids.update(vocab[t] for t in _END_OF_TURN if t in vocab)
        return sorted(ids)

    def _new_cache(self):
        from transformers import DynamicCache

        try:  # with the config, sliding-window layers get their proper (smaller) cache
            return DynamicCache(config=self.model.config)
        except TypeError:  # older transformers
            return DynamicCache()

    def _reusable_cache(self, ids: list[int]):
        """The warm cache cropped to the prefix shared with ``ids`` (at least one token stays
        uncached so generate has logits to sample from), or a fresh cache."""
        if self._prefix is not None:
            cached_ids, cache = self._prefix
            self._prefix = None  # generate mutates it; stored again after a clean run
            n = 0
            for a, b in zip(cached_ids, ids):
                if a != b:
                    break
                n += 1
            have = cache.get_seq_length()
            n = min(n, len(ids) - 1, have)
            if n > 0:
                try:
                    if have > n:
                        cache.crop(n - have)  # negative = tokens to drop (transformers 4.x and 5.x)
                    return cache
                except (RuntimeError, ValueError) as exc:  # e.g. a sliding window already rolled over
                    log.debug("Prefix cache not reusable: %s", exc)
        return self._new_cache()

    def stream_chat(self, messages, *, json_schema=None, max_tokens=1024, temperature=0.0, stop=None):
        self.load()
        torch = self._torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        halt = threading.Event()

        class _Halt(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                return halt.is_set()

        with self._lock:
            ids = self._prompt_ids(messages)
            cache = self._reusable_cache(ids)
            input_ids = torch.tensor([ids], device=self._device)
            streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
            eos = self._eos_ids()
            gen = dict(
                input_ids=input_ids,
                attention_mask=torch.ones_like(input_ids),
                past_key_values=cache,
                max_new_tokens=max(1, min(max_tokens, self.context_window - len(ids))),
                streamer=streamer,
                stopping_criteria=StoppingCriteriaList([_Halt()]),
                eos_token_id=eos,
                pad_token_id=self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else eos[0],
            )
            if temperature and temperature > 0:
                gen.update(do_sample=True, temperature=temperature, top_p=0.95, top_k=0)
            else:
                gen.update(do_sample=False, temperature=None, top_p=None, top_k=None)
            failure: list[BaseException] = []

            def run() -> None:
                try:
                    with torch.inference_mode():
                        out = self.model.generate(**gen)
                    n = cache.get_seq_length()
                    self._prefix = (out[0][:n].tolist(), cache)
                except BaseException as exc:  # surfaced in the consumer thread below
                    failure.append(exc)
                    streamer.on_finalized_text("", stream_end=True)

            worker = threading.Thread(target=run, name="scribe-llm-generate", daemon=True)
            worker.start()
            scanner = _StopScanner(stop)
            try:
                for piece in streamer:
                    out = scanner.feed(piece)
                    if out:
                        yield out
                    if scanner.stopped:
                        break
                else:
                    tail = scanner.flush()
                    if tail:
                        yield tail
            finally:
                halt.set()  # also when the consumer abandons the stream
                worker.join()
            if failure:
                raise DraftingError(f"The language model failed while writing ({_short(failure[0])}).") from None

    def warm(self, messages: list[dict]) -> None:
        """Prefill ``messages`` into a KV cache a later call with the same prefix reuses."""
        self.load()
        with self._lock:
            ids = self._prompt_ids(messages)
            if self._prefix is not None and self._prefix[0] == ids:
                return
            self._prefix = None
            cache = self._new_cache()
            kw = dict(input_ids=self._torch.tensor([ids], device=self._device), past_key_values=cache, use_cache=True)
            with self._torch.inference_mode():
                try:  # logits for the last position only: all of them would be prompt x vocab floats
                    self.model(**kw, logits_to_keep=1)
                except TypeError:  # model without that argument
                    cache = kw["past_key_values"] = self._new_cache()
                    self.model(**kw)
            self._prefix = (ids, cache)

    def cached_tokens(self) -> int:
        """Tokens of the warm prefix in the cache (0 without one)."""
        prefix = self._prefix
        return len(prefix[0]) if prefix is not None else 0

    def close(self) -> None:
        with self._lock:
            self.model = None
            self._prefix = None
            if self._torch is not None and self._torch.cuda.is_available():
                self._torch.cuda.empty_cache()


# ---------------------------------------------------------------------------------------------
# OpenAI-compatible server


class OpenAICompatRuntime(_RuntimeBase):
    """Any server speaking the OpenAI chat-completions API (vLLM, Ollama, llama.cpp server).

    The URL comes only from settings (``llm_server_url``, e.g. ``http://127.0.0.1:8080/v1``):
    there is deliberately no default host, so nothing leaves the machine unless an admin
    pointed Scribe at a server. JSON schemas are sent as OpenAI's ``json_schema`` response
    format, falling back to llama.cpp's ``json_object`` + ``schema`` when a server rejects it;
    the working form is remembered for later calls.
    """

    name = "openai"

    def __init__(
        self,
        base_url: str,
        *,
        model: str = "",
        api_key: str = "",
        n_ctx: int = 8192,
        timeout: float = 300.0,
        connect_timeout: float = 5.0,
    ):
        httpx = _import("httpx", self.name)
        from ..errors import PolicyError
        from ..offline import check_endpoint

        try:  # no transcript over plain http to another computer
            url = check_endpoint(base_url, "llm_server_url").rstrip("/")
        except PolicyError as exc:
            raise ModelError(str(exc)) from None
        self.base_url = url
        self.model_name = model
        self.n_ctx = n_ctx
        self._server_ctx: int | None = None
        self._format_style: str | None = None  # "json_schema" | "json_object" once known
        self._httpx = httpx
        key = api_key or os.environ.get("SCRIBE_LLM_SERVER_API_KEY", "")
        headers = {"Accept": "application/json, text/event-stream"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        host = (httpx.URL(url).host or "").lower()
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            # A server on this machine must never be reached through an HTTP(S)_PROXY from the
            # environment; remote ones keep the admin's proxy and CA settings.
            trust_env=not (host in ("localhost", "::1") or host.startswith("127.")),
        )
        self._loaded = False

    supports_constrained_json = True  # vLLM, llama.cpp and Ollama all constrain

    # -- errors -------------------------------------------------------------------------------

    def _transport_error(self, exc: Exception, during_stream: bool = False) -> Exception:
        httpx = self._httpx
        where = f"the language model server at {self.base_url}"
        if isinstance(exc, httpx.ConnectTimeout):
            return ModelError(
                f"Cannot reach {where}: connection timed out. Check llm_server_url and that the server is up."
            )
        if isinstance(exc, httpx.ConnectError):
            return ModelError(
                f"Cannot reach {where}: connection refused or host unknown. Check llm_server_url and that the server is running."
            )
        if isinstance(exc, httpx.TimeoutException):
            return DraftingError(
                f"No answer from {where} in time ({type(exc).__name__}); the server may be overloaded."
            )
        if isinstance(exc, httpx.RemoteProtocolError):
            return DraftingError(
                f"{where[0].upper()}{where[1:]} closed the connection{' mid-answer' if during_stream else ''} ({_short(exc)})."
            )
        return ModelError(f"Cannot talk to {where}: {_short(exc)}.")

    @staticmethod
    def _server_message(resp) -> str:
        """The error text a server put in its body (OpenAI: error.message; FastAPI: detail)."""
        try:
            body = resp.json()
        except ValueError:
            return _clip(resp.text or resp.reason_phrase, 200, first_line=False)
        err = body.get("error", body.get("detail", body)) if isinstance(body, dict) else body
        if isinstance(err, dict) and "message" in err:
            err = err["message"]
        return _clip(err if isinstance(err, str) else json.dumps(err), 200, first_line=False)

    def _status_error(self, resp, endpoint: str) -> Exception:
        """Map an HTTP error to a one-liner; ``.status`` lets callers react to the code."""
        code = resp.status_code
        msg = self._server_message(resp)
        if code in (401, 403):
            err: Exception = ModelError(
                f"The language model server at {self.base_url} refused access (HTTP {code}). "
                "Set llm_server_api_key or SCRIBE_LLM_SERVER_API_KEY."
            )
        elif code == 404 and endpoint == "/models":
            err = ModelError(
                f"The server at {self.base_url} has no {endpoint} endpoint (HTTP 404). "
                "Check llm_server_url; it usually ends in /v1."
            )
        elif code == 404:
            err = ModelError(
                f"The server at {self.base_url} does not know model '{self.model_name}' or has no {endpoint} "
                f"endpoint (HTTP 404: {msg}). Check llm_server_model and llm_server_url."
            )
        elif code >= 500:
            err = DraftingError(f"The language model server failed (HTTP {code}: {msg}).")
        else:
            err = DraftingError(f"The language model server rejected the request (HTTP {code}: {msg}).")
        err.status = code  # type: ignore[attr-defined]
        return err

    def _json(self, resp, what: str, error: type = DraftingError) -> Any:
        try:
            return resp.json()
        except ValueError:
            raise error(
                f"The server at {self.base_url} answered {what} with something that is not JSON; "
                "is llm_server_url an OpenAI-compatible endpoint (usually ending in /v1)?"
            ) from None

    # -- interface ----------------------------------------------------------------------------

    def load(self, progress: Progress | None = None) -> None:
        """Probe ``/models``: proves the URL, the key and the model name before a visit."""
        if self._loaded:
            return
        if progress:
            progress(0.0, f"connecting to {self.base_url}")
        try:
            resp = self._client.get(f"{self.base_url}/models")
            err = None if resp.status_code == 200 else self._status_error(resp, "/models")
        except self._httpx.HTTPError as exc:
            err = self._transport_error(exc)
        if err is not None:  # before a visit, any failure means the setup is wrong
            raise err if isinstance(err, ModelError) else ModelError(str(err))
        body = self._json(resp, "/models", ModelError)
        models = body.get("data") if isinstance(body, dict) else None
        if not isinstance(models, list):
            raise ModelError(f"The server at {self.base_url} did not list its models; is it OpenAI-compatible?")
        ids: list[Any] = [m.get("id") for m in models if isinstance(m, dict) and m.get("id")]
        if not self.model_name:
            if not ids:
                raise ModelError(f"The server at {self.base_url} serves no model; set llm_server_model.")
            self.model_name = ids[0]
        elif ids and self.model_name not in ids:
            raise ModelError(
                f"The server at {self.base_url} does not serve model '{self.model_name}' "
                f"(available: {', '.join(ids[:5])}). Fix llm_server_model."
            )
        entry = next((m for m in models if isinstance(m, dict) and m.get("id") == self.model_name), {})
        meta = entry.get("meta")
        if not isinstance(meta, dict):
            meta = {}
        for value in (entry.get("max_model_len"), entry.get("context_length"), meta.get("n_ctx_train")):
            if isinstance(value, int) and value > 0:  # vLLM / LM Studio / llama.cpp server report it
                self._server_ctx = value
                break
        self._loaded = True
        if progress:
            progress(1.0, f"{self.model_name} on {self.base_url}")

    @property
    def context_window(self) -> int:
        return min(self.n_ctx, self._server_ctx) if self._server_ctx else self.n_ctx

    def count_tokens(self, text: str) -> int:
        """An over-estimate (3 characters per token; English averages ~4): the standard API has
        no tokenizer endpoint, and over-counting only trims the prompt budget, never overflows it."""
        return math.ceil(len(text) / 3)

    def _response_format(self, schema: dict, style: str) -> dict:
        if style == "json_schema":
            return {"type": "json_schema", "json_schema": {"name": "note", "schema": schema, "strict": True}}
        return {"type": "json_object", "schema": schema}

    def _open(self, body: dict):
        """POST and return an open streaming response with status 200, or raise a ScribeError."""
        try:
            req = self._client.build_request("POST", f"{self.base_url}/chat/completions", json=body)
            resp = self._client.send(req, stream=True)
        except self._httpx.HTTPError as exc:
            raise self._transport_error(exc) from None
        if resp.status_code == 200:
            return resp
        try:
            resp.read()
        finally:
            resp.close()
        raise self._status_error(resp, "/chat/completions")

    def _open_with_schema(self, body: dict, schema: dict):
        """Send the schema in the form this server accepts, finding it out on first use.

        OpenAI, vLLM and Ollama take ``json_schema``; llama-cpp-python's server only takes
        ``json_object`` + ``schema`` and answers the other with 422 or, in 0.3.x, a 500 carrying
        a validation error. Until a form has worked, any rejection triggers the fallback.
        """
        styles = [self._format_style] if self._format_style else ["json_schema", "json_object"]
        last: Exception | None = None
        for style in styles:
            body["response_format"] = self._response_format(schema, style)
            try:
                resp = self._open(body)
            except DraftingError as exc:
                if len(styles) > 1 and getattr(exc, "status", None) in (400, 422, 500):
                    log.info("Server %s rejected response_format %s: %s", self.base_url, style, exc)
                    last = exc
                    continue
                raise
            if self._format_style != style:
                log.info("Server %s accepts response_format type %s", self.base_url, style)
            self._format_style = style
            return resp
        raise last  # type: ignore[misc]

    def stream_chat(self, messages, *, json_schema=None, max_tokens=1024, temperature=0.0, stop=None):
        self.load()
        body: dict[str, Any] = {
            "model": self.model_name,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
        }
        if stop:
            body["stop"] = list(stop)
        resp = self._open_with_schema(body, json_schema) if json_schema is not None else self._open(body)
        try:
            if "text/event-stream" not in resp.headers.get("content-type", ""):
                # Some servers ignore stream=True and answer in one JSON document.
                resp.read()
                text = self._message_text(self._json(resp, "/chat/completions"))
                if text:
                    yield text
                return
            for line in resp.iter_lines():
                if not line.startswith("data:"):
                    continue  # blank separators, ": keep-alive" comments, event: lines
                payload = line[5:].strip()
                if payload == "[DONE]":
                    break
                try:
                    chunk = json.loads(payload)
                except ValueError:
                    raise DraftingError(
                        f"The server at {self.base_url} streamed a line that is not JSON: {payload[:80]!r}."
                    ) from None
                if isinstance(chunk, dict) and chunk.get("error"):
                    err = chunk["error"]
                    msg = err.get("message", err) if isinstance(err, dict) else err
                    raise DraftingError(f"The language model server failed mid-answer: {_clip(str(msg), 160)}.")
                choices = chunk.get("choices") if isinstance(chunk, dict) else None
                if choices:
                    piece = (choices[0].get("delta") or {}).get("content")
                    if piece:
                        yield piece
        except self._httpx.HTTPError as exc:
            raise self._transport_error(exc, during_stream=True) from None
        finally:
            resp.close()  # also when the consumer abandons the stream

    def _message_text(self, data: Any) -> str:
        try:
            return data["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            raise DraftingError(f"The server at {self.base_url} sent a chat answer Scribe cannot read.") from None

    def warm(self, messages: list[dict]) -> None:
        """Ask for one token: llama.cpp server, Ollama and vLLM (prefix caching) keep the prompt's
        KV cache, so the final request only prefills its new tail."""
        self.load()
        body = {"model": self.model_name, "messages": messages, "max_tokens": 1, "temperature": 0.0, "stream": False}
        try:
            resp = self._client.post(f"{self.base_url}/chat/completions", json=body)
        except self._httpx.HTTPError as exc:
            raise self._transport_error(exc) from None
        if resp.status_code != 200:
            raise self._status_error(resp, "/chat/completions")

    def close(self) -> None:
        self._client.close()


# ---------------------------------------------------------------------------------------------
# factory


def _gguf_in(folder: Path) -> Path | None:
    found = sorted(folder.glob("*.gguf"))
    if len(found) > 1:
        raise ModelError(f"Folder {folder} holds several GGUF files; set llm_model to the one to use.")
    return found[0] if found else None


def create_runtime(settings: Settings, progress: Progress | None = None) -> LLMRuntime:
    """Build (not load) the runtime the settings ask for.

    ``auto``: the configured server if ``llm_server_url`` is set; else llama.cpp for a GGUF
    (transformers if llama-cpp-python is not importable); transformers for an HF folder.
    Pack models are assembled into the cache here (``progress`` reports it).
    """
    choice = (settings.llm_runtime or "auto").strip().lower()
    choice = _ALIASES.get(choice, choice)
    if choice not in RUNTIME_NAMES + ("auto",):
        raise ModelError(f"Unknown llm_runtime '{settings.llm_runtime}'; use auto, llama.cpp, transformers or openai.")

    if choice == "openai" or (choice == "auto" and settings.llm_server_url.strip()):
        if not settings.llm_server_url.strip():
            raise ModelError("llm_runtime is 'openai' but llm_server_url is not set (e.g. http://127.0.0.1:8080/v1).")
        return OpenAICompatRuntime(
            settings.llm_server_url,
            model=settings.llm_server_model,
            api_key=settings.llm_server_api_key,
            n_ctx=settings.llm_context,
        )

    spec = settings.llm_model
    try:
        path = resolve_llm_model(spec, settings.cache_path, progress, settings=settings)
    except OSError as exc:  # unreadable file or cache folder
        raise ModelError(f"Cannot read language model '{spec}': {exc.strerror or exc}.") from None
    name = spec if spec in PACKS else path.name
    if path.is_dir():
        gguf = None if (path / "config.json").is_file() and choice != "llama.cpp" else _gguf_in(path)
    else:
        gguf = path
    if gguf is not None:
        _check_gguf_file(gguf)

    load = not settings.isolate_models  # whether this process may load the runtime's package to check it
    if choice == "auto":
        if gguf is None:
            choice = "transformers"
        elif _importable("llama_cpp", load):
            choice = "llama.cpp"
        elif _importable("transformers", load) and _importable("torch", load):
            log.info("llama-cpp-python is not installed; running %s with transformers (slower).", name)
            choice = "transformers"
        else:
            raise ModelError(f"No runtime for GGUF models is installed. Install one: {_PIP_HINT['llama.cpp']}.")

    if choice == "llama.cpp":
        if gguf is None:
            raise ModelError(
                f"llama.cpp needs a GGUF file, but {path} is a Hugging Face folder; set llm_runtime to transformers."
            )
        if not _importable("llama_cpp", load):
            _import("llama_cpp", "llama.cpp")  # explains what to install
        return _hosted(
            settings,
            "LlamaCppRuntime",
            (gguf,),
            dict(n_threads=settings.llm_threads, n_ctx=settings.llm_context, model_name=name),
        )

    for module in ("torch", "transformers") + (("gguf", "accelerate") if gguf is not None else ()):
        if importlib.util.find_spec(module) is None:  # importing torch here would cost seconds
            raise ModelError(
                f"The transformers runtime needs the Python package '{module}'. Install it with: {_PIP_HINT['transformers']}."
            )
    return _hosted(
        settings,
        "TransformersRuntime",
        (gguf or path,),
        dict(
            n_threads=settings.llm_threads, n_ctx=settings.llm_context, cache_dir=settings.cache_path, model_name=name
        ),
    )


def _hosted(settings: Settings, cls: str, args: tuple, kwargs: dict) -> LLMRuntime:
    """The runtime in a worker process (``isolate_models``, the default: a native crash then
    leaves the app up), or in this one."""
    from ..workers.process import Spec

    spec = Spec(__name__, cls, args, kwargs)
    if not settings.isolate_models:
        return spec.build()
    from ..workers.llm import ProcessRuntime

    return ProcessRuntime(spec)
