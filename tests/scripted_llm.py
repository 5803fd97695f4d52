"""A scripted stand-in for the language model, for tests about *mechanics* (splitting, merging,
streaming, diffs), not about what a real model writes.

:class:`KeywordRuntime` reads the numbered transcript lines in the prompt and "drafts" each section
by copying the lines that match that section's pattern, citing their line numbers — a perfectly
extractive model. It enforces its context window exactly as llama.cpp does (a prompt plus answer
budget over the window raises ``ValueError("... exceed context window")``), counting whitespace
separated words as tokens, and records every prompt it was given.
"""

from __future__ import annotations

import json
import re

_LINE = re.compile(r"^\[(\d+)\] (?:Doctor|Patient|Speaker): (.*)$", re.M)
_SECTION = re.compile(r'write only the section "([a-z0-9_]+)"')


class KeywordRuntime:
    name = "scripted"
    model_name = "scripted-keywords"
    supports_constrained_json = True

    def __init__(self, rules: dict[str, str], context_window: int = 4096, per_section: int = 14, answers=None):
        self.rules = {k: re.compile(v, re.I) for k, v in rules.items()}
        self.context_window = context_window
        self.per_section = per_section
        self.prompts: list[str] = []
        self.answers = list(answers or [])  # verbatim answers to give first, if any

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def warm(self, messages) -> None:
        pass

    def _answer(self, prompt: str, schema) -> dict:
        wanted = _SECTION.search(prompt)
        keys = [wanted.group(1)] if wanted else list(self.rules)
        lines = _LINE.findall(prompt)
        out = {}
        for key in keys:
            rule = self.rules.get(key)
            hits = [(int(i), text) for i, text in lines if rule is not None and rule.search(text)]
            # like a constrained model, follow the schema: statement objects with citations, or strings
            items = (schema or {}).get("properties", {}).get(key, {}).get("items") or {}
            plain = items.get("type") == "string"
            out[key] = [text if plain else {"text": text, "evidence": [i]} for i, text in hits[: self.per_section]]
        return out

    def stream_chat(self, messages, *, json_schema=None, max_tokens=1024, temperature=0.0, stop=None):
        prompt = "\n".join(m["content"] for m in messages)
        self.prompts.append(prompt)
        n = self.count_tokens(prompt)
        if n + max_tokens > self.context_window:
            raise ValueError(f"Requested tokens ({n + max_tokens}) exceed context window of {self.context_window}")
        text = self.answers.pop(0) if self.answers else json.dumps(self._answer(messages[-1]["content"], json_schema))
        for i in range(0, len(text), 7):
            yield text[i : i + 7]

    def chat(self, messages, **kw) -> str:
        return "".join(self.stream_chat(messages, **kw))

    def close(self) -> None:
        pass
