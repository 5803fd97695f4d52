"""Bounded fuzzing of every parser that reads what a user or a server hands Scribe.

Targets: the audio loader, the transcript and note loaders, the template parser, the settings
loader and the FHIR/EHR response handling. Inputs are random bytes, random JSON/TOML shapes and
mutations (flipped, cut, inserted bytes) of real files. The property is the product rule "bad input
gets a clear one-line error, never a traceback": each call returns a valid value or raises a
:class:`ScribeError` whose message is one line; anything else is a crash.

The run is bounded for CI: ``SCRIBE_FUZZ_EXAMPLES`` inputs per target (default 150, a few seconds
each on a loaded 2-core machine). ``SCRIBE_FUZZ_REPORT=FILE`` writes the counts (inputs tried,
crashes) as JSON; docs/security.md quotes a run with 2000 per target
(``SCRIBE_FUZZ_EXAMPLES=2000 SCRIBE_FUZZ_REPORT=fuzz.json python -m pytest tests/test_fuzz.py``).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis", reason="pip install hypothesis (the dev extra)")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from scribe.errors import ScribeError  # noqa: E402
from scribe.resources import asset  # noqa: E402

EXAMPLES = int(os.environ.get("SCRIBE_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # no .hypothesis folder in the repository
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
TRIED: Counter = Counter()
CRASHES: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    path = os.environ.get("SCRIBE_FUZZ_REPORT")
    if path:
        Path(path).write_text(json.dumps({"inputs": dict(TRIED), "crashes": dict(CRASHES)}, indent=1) + "\n")


def _check(target: str, call) -> None:
    """``call()`` must return or raise a one-line ScribeError; anything else is a crash."""
    TRIED[target] += 1
    try:
        call()
    except ScribeError as exc:
        assert str(exc).strip() and "\n" not in str(exc).strip(), f"{target}: multi-line error {exc!r}"
    except Exception:
        CRASHES[target] += 1
        raise


# --------------------------------------------------------------------------- strategies

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    """A real file with a few bytes flipped, a slice cut out, junk inserted, or cut short."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "truncate"]))
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[i : i + draw(st.integers(1, 64))]
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=32))
        else:
            del data[i:]
    return bytes(data)


def _sample_transcript() -> bytes:
    from scribe.domain import Segment, Transcript

    segs = [
        Segment(id=0, start=0.0, end=2.5, text="What brings you in today?", speaker="clinician"),
        Segment(id=1, start=2.7, end=6.0, text="I take lisinopril ten milligrams.", speaker="patient"),
    ]
    return Transcript(segments=segs, duration=6.0, source="a.wav").model_dump_json().encode()


def _sample_note() -> bytes:
    from scribe.domain import GroundingReport, NoteDraft, Section, Statement

    note = NoteDraft(
        sections=[Section(key="plan", title="Plan", statements=[Statement(text="Follow up.", evidence=[1])])],
        grounding=GroundingReport(statements=1),
    )
    return note.model_dump_json().encode()


def _audio_seeds(folder: Path) -> list[bytes]:
    from scribe.audio import write_wav

    t = np.arange(8000) / 16000
    wav = write_wav(folder / "seed.wav", 0.2 * np.sin(2 * np.pi * 300 * t)).read_bytes()
    flac = asset("sample", "short_clip.flac").read_bytes()[:6000]
    return [wav, flac]


# --------------------------------------------------------------------------- targets


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _fuzz_file_loader(path: Path, target: str, inputs, load_and_check) -> None:
    """Feed every input to a loader as a file at ``path``."""

    @FUZZ
    @given(inputs)
    def run(data: bytes):
        path.write_bytes(data)
        _check(target, lambda: load_and_check(path))

    run()


def test_fuzz_audio_loader(workdir):
    from scribe.audio import load_audio

    def check(path):
        audio = load_audio(path)
        assert audio.dtype == np.float32 and audio.ndim == 1 and audio.size > 0

    seeds = _audio_seeds(workdir)
    inputs = st.one_of(st.binary(max_size=2048), st.sampled_from(seeds).flatmap(mutated))
    _fuzz_file_loader(workdir / "input.audio", "audio loader", inputs, check)


def test_fuzz_transcript_loader(workdir):
    from scribe.transcript_io import load_transcript

    def check(path):
        t = load_transcript(path)
        assert not t.is_empty() and len({s.id for s in t.segments}) == len(t.segments)

    inputs = st.one_of(
        st.binary(max_size=512),
        st.text(max_size=300).map(str.encode),
        json_values.map(lambda v: json.dumps(v).encode()),
        mutated(_sample_transcript()),
    )
    _fuzz_file_loader(workdir / "input.transcript", "transcript loader", inputs, check)


def test_fuzz_note_loader(workdir):
    from scribe.pipeline import load_note

    inputs = st.one_of(
        st.binary(max_size=512), json_values.map(lambda v: json.dumps(v).encode()), mutated(_sample_note())
    )
    _fuzz_file_loader(workdir / "input.note", "note loader", inputs, lambda path: load_note(path).render_text())


def test_fuzz_template_parser():
    from scribe.drafting.templates import parse_template

    seed = asset("templates", "soap.toml").read_bytes()

    @FUZZ
    @given(st.one_of(st.text(max_size=400), mutated(seed).map(lambda b: b.decode("utf-8", "replace"))))
    def run(text: str):
        _check("template parser", lambda: parse_template(text, "fuzz.toml").section_keys())

    run()


def _toml_scalar(value) -> str:
    from scribe.settings import _toml_value

    return _toml_value(value)


def test_fuzz_settings_loader(workdir, monkeypatch):
    from scribe.settings import _FIELD_TYPES, load_settings

    user = workdir / "settings.toml"
    monkeypatch.setenv("SCRIBE_SETTINGS", str(user))
    keys = sorted(_FIELD_TYPES)
    values = st.one_of(
        st.booleans(),
        st.integers(-(2**40), 2**40),
        st.floats(allow_nan=False),
        st.text(max_size=30),
        st.lists(st.text(max_size=10), max_size=3),
    )
    lines = st.lists(st.tuples(st.sampled_from(keys), values), max_size=5).map(
        lambda kv: "".join(f"{k} = {_toml_scalar(v)}\n" for k, v in dict(kv).items()).encode()
    )

    @FUZZ
    @given(st.one_of(lines, st.binary(max_size=200), mutated(b'template = "soap"\nllm_threads = 2\n')))
    def run(data: bytes):
        user.write_bytes(data)
        _check("settings loader", lambda: load_settings())

    run()


def test_fuzz_fhir_responses():
    import httpx

    from scribe.ehr.client import FhirClient
    from scribe.ehr.outbox import OutboxItem
    from scribe.ehr.service import EhrService
    from scribe.settings import Settings

    bodies = st.one_of(
        json_values.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=200),
        st.fixed_dictionaries(
            {
                "resourceType": st.sampled_from(["Bundle", "Patient", "OperationOutcome", "Encounter", "x"]),
                "entry": st.lists(st.fixed_dictionaries({"resource": json_values}), max_size=3) | json_values,
                "meta": json_values,
                "id": json_values,
                "issue": json_values,
                "name": json_values,
                "link": json_values,
            }
        ).map(lambda d: json.dumps(d).encode()),
    )
    answers = st.tuples(
        st.sampled_from([200, 201, 204, 301, 400, 401, 404, 409, 412, 422, 429, 500, 503]),
        st.sampled_from(["application/fhir+json", "text/html", "application/json", ""]),
        bodies,
        st.one_of(st.none(), st.text(max_size=20)),  # Retry-After / Location / ETag
    )
    settings_ = Settings(ehr_base_url="https://ehr.example.org/fhir", ehr_auth="none")

    @FUZZ
    @given(st.lists(answers, min_size=1, max_size=6))
    def run(script):
        queue = list(script)

        def handler(request: httpx.Request) -> httpx.Response:
            status, ctype, body, extra = queue.pop(0) if queue else script[-1]
            headers = {"content-type": ctype} if ctype else {}
            if extra is not None and extra.isprintable():
                raw = extra.encode("latin-1", "replace")  # a server may send any byte in a header
                headers.update({"retry-after": raw, "location": raw, "etag": raw})
            return httpx.Response(status, headers=headers, content=body)

        client = FhirClient(settings_.ehr_base_url, None, transport=httpx.MockTransport(handler))
        service = EhrService(settings_, client=client)
        _check("FHIR/EHR responses", lambda: service.match_patient("MRN-1", "Jane Doe"))
        _check("FHIR/EHR responses", lambda: service.match_encounter("enc-1", "p1"))
        _check("FHIR/EHR responses", lambda: service.test_connection())
        for kind in ("create", "retract"):
            item = OutboxItem(
                item_id=f"enc-1.v1.{kind}",
                kind=kind,
                encounter_id="enc-1",
                note_id="note-1",
                note_version=1,
                identifier="urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e",
                patient_id="MRN-1",
                patient_name="Jane Doe",
                resource={"resourceType": "DocumentReference", "subject": {}, "context": {"encounter": [{}]}},
            )
            _check("FHIR/EHR responses", lambda item=item: service.send(item))

    run()
