"""Greedy grammar-constrained sampling for llama-cpp-python without checking the whole vocabulary.

Every note section is decoded under a JSON-schema grammar. llama-cpp-python's sampler chain applies
the grammar to all ~150,000 vocabulary entries before each token; on the bundled 1.5B model that
took ~40 % of decode time (16.7 tok/s constrained vs 27 tok/s free, 2 threads, measured). llama.cpp's
own command-line sampler avoids it by checking the model's favourite token first and constraining
the whole vocabulary only when that token breaks the grammar. For greedy decoding (temperature 0,
no penalties: what Scribe always asks for) the result is the same token either way: the argmax over
the allowed tokens *is* the overall argmax whenever the overall argmax is allowed.

:func:`install` puts that shortcut into one ``llama_cpp.Llama``; requests that sample (temperature
> 0), use penalties or a logits processor keep llama-cpp-python's own chain.

The same sampler breaks list loops (:class:`ListLoopGuard`): the 1.5B model, having written a list
item it already wrote in the same answer, goes on copying the rest of the earlier list (the 10-minute
benchmark visit's assessment and plan repeated the first problem's eight plan items under the second
problem, and more under the third and fourth: 17 of its 28 items, ~60 % of the plan's tokens). Those
copies are dropped when the note is composed, but at Stop each one costs ~1 s of decoding. So once an
item closes as a copy of an earlier one, the list is closed there.
"""

from __future__ import annotations

import ctypes
import logging
import re
from typing import Any

import numpy as np

from .grammar import GrammarCompiler, GrammarError

log = logging.getLogger(__name__)

# The sampler's own rules, by version: a change to them changes answers to the same request, so
# anything that keeps answers by request (the evaluation's answer cache) keys them by this too.
# 2: the loop guard counts items that differ only in their numbers as copies.
DECODING_RULES = "greedy-fast-grammar/list-loop-guard-2"


def _norm(item: str) -> str:
    """An item as compared for copies: case, spacing, a final period and its numbers aside (a loop also
    counts: "... to make him 1", "... to make him 2", ...)."""
    return re.sub(r"\d+", "#", " ".join(item.casefold().split()).rstrip("."))


class ListLoopGuard:
    """Follows a JSON answer as it is written and says when a list item just written repeats an earlier
    item of the same answer (any list of strings in it), so the sampler can close that list.

    Pure text in, decisions out: no llama.cpp here (tested on its own). The answer formats never
    contain escapes (statement strings exclude ``"`` and ``\\``), so a quote always opens or closes a
    string."""

    def __init__(self) -> None:
        self._stack: list[str] = []  # "{" / "["
        self._in_string = False
        self._item = False  # the open string is an element of a list
        self._buf: list[str] = []
        self._seen: set[str] = set()
        self.close_list = False  # the item just closed is a copy: close its list next
        self.closed = 0  # lists closed this way

    def feed(self, text: str) -> None:
        for ch in text:
            if self._in_string:
                if ch == '"':
                    self._in_string = False
                    if self._item:
                        item = _norm("".join(self._buf))
                        if item and item in self._seen:
                            self.close_list = True
                        self._seen.add(item)
                else:
                    self._buf.append(ch)
            elif ch == '"':
                self._in_string, self._item, self._buf = True, bool(self._stack) and self._stack[-1] == "[", []
            elif ch in "{[":
                self._stack.append(ch)
            elif ch in "}]" and self._stack:
                self._stack.pop()

    def closing_copy(self, piece: str) -> int | None:
        """If ``piece`` (the next token's text) closes the list item being written and that item repeats
        an earlier one: where in ``piece`` the closing quote is; else None."""
        if not (self._in_string and self._item):
            return None
        k = piece.find('"')
        if k < 0:
            return None
        item = _norm("".join(self._buf) + piece[:k])
        return k if item and item in self._seen else None


class GreedyGrammarSampler:
    """Stands in for ``llama_cpp._internals.LlamaSampler`` for one greedy, constrained generation:
    ``Llama.sample`` calls :meth:`sample` once per token."""

    break_loops = True  # close a list at its first copied item (off: exactly llama-cpp-python's greedy tokens)

    def __init__(self, llm: Any, grammar: Any):
        import llama_cpp

        self._lib = llama_cpp
        self._grammar = llama_cpp.llama_sampler_init_grammar(
            llm._model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
        )
        if not self._grammar:  # never hand NULL on: llama-cpp-python's chain dereferences it and crashes
            raise GrammarError("llama.cpp cannot compile the answer format (its grammar parser refused it).")
        self._n_vocab = llm.n_vocab()
        self._one = (llama_cpp.llama_token_data * 1)()
        self._one_arr = llama_cpp.llama_token_data_array(data=self._one, size=1, selected=-1, sorted=False)
        self._all = (llama_cpp.llama_token_data * self._n_vocab)()
        self._all_arr = llama_cpp.llama_token_data_array(data=self._all, size=self._n_vocab, selected=-1, sorted=False)
        # the (id, logit, p) records as numpy columns, to fill and read without a Python loop
        self._view = np.ctypeslib.as_array(self._all).view(
            np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])
        )
        self._ids = np.arange(self._n_vocab, dtype=np.int32)
        self.fast = self.full = 0  # tokens taken at once / after constraining the whole vocabulary
        self._llm = llm
        self.guard = ListLoopGuard()
        self._quote = self._single_token('"')
        self._close = self._single_token("]")

    def _allowed(self, token: int, logit: float) -> bool:
        self._one[0].id, self._one[0].logit, self._one[0].p = token, logit, 0.0  # type: ignore[assignment]
        self._one_arr.data, self._one_arr.size, self._one_arr.selected, self._one_arr.sorted = self._one, 1, -1, False
        self._lib.llama_sampler_apply(self._grammar, ctypes.byref(self._one_arr))
        return self._one_arr.size == 1 and np.isfinite(self._one[0].logit)

    def sample(self, ctx: Any, idx: int = -1) -> int:
        lib = self._lib
        ptr = lib.llama_get_logits_ith(ctx.ctx, idx)
        logits = np.ctypeslib.as_array(ptr, shape=(self._n_vocab,))
        token = int(np.argmax(logits))
        if self._allowed(token, float(logits[token])):
            self.fast += 1
        else:
            self.full += 1
            view = self._view
            view["id"] = self._ids
            view["logit"] = logits
            view["p"] = 0.0
            arr = self._all_arr
            arr.data, arr.size, arr.selected, arr.sorted = self._all, self._n_vocab, -1, False
            lib.llama_sampler_apply(self._grammar, ctypes.byref(arr))
            n = arr.size
            if n == len(view):  # the grammar masks with -inf in place
                token = int(view["id"][int(np.argmax(view["logit"]))])
            else:  # (or it shrank the array: read what is left)
                kept = np.ctypeslib.as_array(arr.data, shape=(n,)).view(view.dtype)
                token = int(kept["id"][int(np.argmax(kept["logit"]))])
        token, piece = self._break_loop(token)
        lib.llama_sampler_accept(self._grammar, token)
        self.guard.feed(piece)
        return token

    def _piece(self, token: int) -> str:
        # (llama-cpp-python returns the piece in a fixed buffer padded with NULs: cut them off)
        return self._llm._model.token_to_piece(token).split(b"\x00", 1)[0].decode("utf-8", errors="replace")

    def _single_token(self, text: str) -> int | None:
        ids = self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        return ids[0] if len(ids) == 1 else None

    def _break_loop(self, token: int) -> tuple[int, str]:
        """``token``, or what closes a list whose last item repeated an earlier one: the item's closing
        quote on its own (not ``",``, which would open the next item), then ``]``. A forced token the
        grammar does not allow is never used. Returns the token and its text."""
        guard = self.guard
        piece = self._piece(token)
        if not self.break_loops:
            return token, piece
        if guard.close_list:
            guard.close_list = False
            if self._close is not None and self._allowed(self._close, 0.0):
                guard.closed += 1
                return self._close, "]"
            return token, piece
        k = guard.closing_copy(piece)
        if k is None:
            return token, piece
        # the token starts with the closing quote; or "...day." then '",': end on the item's last
        # characters, the quote comes next
        text = '"' if k == 0 else piece[:k]
        forced = self._quote if k == 0 else self._single_token(text)
        return (forced, text) if forced is not None and self._allowed(forced, 0.0) else (token, piece)

    def close(self) -> None:
        if self._grammar:
            self._lib.llama_sampler_free(self._grammar)
            self._grammar = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass


def install(llm: Any) -> GrammarCompiler:
    """Use :class:`GreedyGrammarSampler` for this ``Llama``'s greedy, constrained requests.

    Every grammar is compiled by llama.cpp before a sampler is built (:class:`GrammarCompiler`):
    one that does not compile is a :class:`~scribe.drafting.grammar.GrammarError` for that request,
    never llama-cpp-python's own chain, which adds the NULL grammar and crashes the process."""
    original = llm._init_sampler
    compiler = GrammarCompiler(llm._model.vocab)

    def init_sampler(**kw):
        grammar = kw.get("grammar")
        if grammar is not None:
            compiler.check(grammar._grammar, grammar._root)
        greedy = (
            kw.get("temp", 0.8) == 0.0
            and kw.get("grammar") is not None
            and not kw.get("logits_processor")
            and kw.get("repeat_penalty", 1.0) == 1.0
            and not kw.get("frequency_penalty")
            and not kw.get("presence_penalty")
        )
        if greedy:
            try:
                return GreedyGrammarSampler(llm, kw["grammar"])
            except GrammarError:
                raise
            except Exception as exc:  # an unexpected llama-cpp-python: its own chain still works
                log.info("fast grammar sampling unavailable (%s); using llama-cpp-python's sampler", exc)
        return original(**kw)

    llm._init_sampler = init_sampler
    return compiler
