"""Every fake language model in the tests is the shared one (tests/fake_runtime.py), and that one
has the runtime Protocol's members with the Protocol's signatures (mypy checks the types too)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from fake_runtime import FakeRuntime

from scribe.drafting.runtimes import LLMRuntime

TESTS = Path(__file__).resolve().parent
_RUNTIME_METHODS = {"stream_chat", "count_tokens", "warm"}  # what makes a class a stand-in for a model


ROOT = ("fake_runtime.py", "FakeRuntime")


def _classes() -> dict[tuple[str, str], tuple[list[str], bool]]:
    """(file, class name) -> (base names, defines a language-model method) for every class in tests/."""
    found = {}
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = [b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in node.bases]
                methods = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
                found[(path.relative_to(TESTS).as_posix(), node.name)] = (bases, bool(methods & _RUNTIME_METHODS))
    return found


def test_every_fake_language_model_derives_from_the_shared_one() -> None:
    classes = _classes()

    def ancestors(key: tuple[str, str], seen: frozenset = frozenset()) -> set[tuple[str, str]]:
        """Every class ``key`` may derive from (a base name matches any class of that name)."""
        out: set[tuple[str, str]] = set()
        for base in classes[key][0]:
            for other in classes:
                if other[1] == base and other not in seen and other != key:
                    out |= {other} | ancestors(other, seen | {key})
        return out

    models = {k for k in classes if k != ROOT and (classes[k][1] or any(classes[a][1] for a in ancestors(k)))}
    assert {("scripted_llm.py", "KeywordRuntime"), ("ui/test_mechanics.py", "RecordingRuntime")} <= models
    strays = sorted(k for k in models if ROOT not in ancestors(k))
    assert not strays, f"fake language models that do not derive from tests/fake_runtime.FakeRuntime: {strays}"


def test_the_shared_fake_has_the_protocol_s_members_and_signatures() -> None:
    fake = FakeRuntime(["{}"])
    assert isinstance(fake, LLMRuntime)
    for name, member in inspect.getmembers(LLMRuntime):
        if name.startswith("_") or not callable(member):
            continue
        want = inspect.signature(member)
        have = inspect.signature(getattr(FakeRuntime, name))
        assert list(have.parameters) == list(want.parameters), name
        for p in want.parameters.values():
            q = have.parameters[p.name]
            assert (q.kind, q.default) == (p.kind, p.default), f"{name}({p.name})"


def test_the_shared_fake_streams_its_scripted_answers_and_enforces_its_window() -> None:
    fake = FakeRuntime(["first answer", "then this one"], context_window=50, piece=4)
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Draft it."}]
    assert list(fake.stream_chat(messages, max_tokens=10)) == ["firs", "t an", "swer"]
    assert fake.chat(messages, max_tokens=10) == "then this one"
    assert fake.chat(messages, max_tokens=10) == "then this one"  # the last answer repeats
    assert fake.prompts == ["Be brief.\nDraft it."] * 3 and fake.calls == 3
    with pytest.raises(ValueError, match="exceed context window"):
        fake.chat(messages, max_tokens=49)
