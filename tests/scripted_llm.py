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

from fake_runtime import FakeRuntime

_LINE = re.compile(r"^\[(\d+)\] (?:Doctor|Patient|Speaker): (.*)$", re.M)
_SECTION = re.compile(r'write only the section "([a-z0-9_]+)"')


class KeywordRuntime(FakeRuntime):
    name = "scripted"
    model_name = "scripted-keywords"
    supports_constrained_json = True

    def __init__(self, rules: dict[str, str], context_window: int = 4096, per_section: int = 14, answers=None):
        super().__init__(answers or (), context_window=context_window, piece=7)
        self.rules = {k: re.compile(v, re.I) for k, v in rules.items()}
        self.per_section = per_section

    def answer(self, messages, json_schema) -> str:
        """The verbatim answers first, if any; then the lines each section's pattern matches."""
        if self.answers:
            return self.answers.pop(0)
        return json.dumps(self._answer(messages[-1]["content"], json_schema))

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
