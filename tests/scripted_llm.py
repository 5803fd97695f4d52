"""A scripted stand-in for the language model, for tests about *mechanics* (questions, composition,
long visits, streaming, diffs), not about what a real model writes.

:class:`KeywordRuntime` reads the numbered transcript lines in the prompt and answers each question
field by copying the lines that match that field's pattern — a perfectly extractive model. Fields are
the answer's JSON keys (``history_of_present_illness``, ``medications``, ``physical_exam``, ...; a
free template section's key). The assessment and plan lists each problem the ``problems`` pattern
finds (its first group, in each matching line), or the scripted problem names, with the lines naming it
that match ``assessment`` and ``plan``. It enforces
its context window exactly as llama.cpp does (a prompt plus answer budget over the window raises
``ValueError("... exceed context window")``), counting whitespace separated words as tokens, and
records every prompt it was given.
"""

from __future__ import annotations

import json
import re

from fake_runtime import FakeRuntime

_LINE = re.compile(r"^\[(\d+)\] (?:Doctor|Patient|Speaker): (.*)$", re.M)


class KeywordRuntime(FakeRuntime):
    name = "scripted"
    model_name = "scripted-keywords"
    supports_constrained_json = True

    def __init__(
        self,
        rules: dict[str, str],
        context_window: int = 4096,
        per_field: int = 14,
        answers=None,
        problems: list[str] | None = None,
    ):
        super().__init__(answers or (), context_window=context_window, piece=7)
        self.rules = {k: re.compile(v, re.I) for k, v in rules.items()}
        self.per_field = per_field
        self.problems = list(problems or [])

    def answer(self, messages, json_schema) -> str:
        """The verbatim answers first, if any; then the lines each field's pattern matches."""
        if self.answers:
            return self.answers.pop(0)
        return json.dumps(self._answer(messages[-1]["content"], json_schema or {}))

    def _answer(self, prompt: str, schema: dict) -> dict:
        lines = [(int(i), text) for i, text in _LINE.findall(prompt)]
        out: dict = {}
        for key, spec in schema.get("properties", {}).items():
            rule = self.rules.get(key)
            hits = [text for _, text in lines if rule is not None and rule.search(text)][: self.per_field]
            if key == "assessment_and_plan":
                found = [m.group(1) for _, text in lines if rule is not None and (m := rule.search(text))]
                out[key] = [
                    {
                        "problem": name,
                        "assessment": " ".join(self._about(name, "assessment", lines)),
                        "plan": self._about(name, "plan", lines),
                    }
                    for name in dict.fromkeys(self.problems or found)
                ]
            elif spec.get("type") == "string":
                out[key] = "" if "enum" in spec else (hits[0] if hits else "")
            elif spec.get("items", {}).get("properties", {}).keys() == {"test", "result"}:
                out[key] = [{"test": text, "result": ""} for text in hits]  # (the line as the model wrote it before)
            elif spec.get("items", {}).get("type") == "object":  # a body system and what was found
                props = spec["items"]["properties"]
                system = props["system"]["enum"][0]
                if "findings" in props:
                    out[key] = [{"system": system, "findings": hits}] if hits else []
                else:
                    out[key] = [{"system": system, "reported": hits, "denied": []}] if hits else []
            else:
                out[key] = hits
        return out

    def _about(self, problem: str, field: str, lines) -> list[str]:
        rule = self.rules.get(field)
        return [t for _, t in lines if rule is not None and rule.search(t) and problem.lower() in t.lower()]
