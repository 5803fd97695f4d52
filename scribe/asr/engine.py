"""Speech recognition: faster-whisper (CTranslate2) behind a small interface.

Two ways in:

* :meth:`FasterWhisperEngine.transcribe_file` for a finished recording (CLI, re-runs), and
* :class:`StreamingTranscriber` during a visit: audio is fed as it is recorded and stretches of
  speech become *final* as soon as enough audio follows them, so at Stop only the last few seconds
  are left to decode and the transcript is ready almost at once.

Both use the same decoder: audio is cut into windows of at most ~27 s that start in a pause,
and each window is one faster-whisper call. On the sample visit, faster-whisper's own long-form
loop (which seeks wherever the last window stopped) fell into loops or recited the hotword list
whenever hotwords were on (WER 0.26-0.48), while pause-aligned windows stayed at 0.09-0.13 with
every hotword budget tried. Using one path also means the live transcript *is* the file
transcript: the windows do not depend on how the audio was chunked.

Decoding settings: int8, greedy (beam 1) at temperature 0 (deterministic: same audio, same
transcript), Silero VAD inside each window, word timestamps (for evidence links), and *no* word list
in the decoder prompt: faster-whisper's ``hotwords`` fixed drug names but made the decoder copy the
list where the audio was unclear (drugs nobody said entered transcripts, windows recited the list).
Drug and clinical terms are corrected after decoding instead, only where the heard words sound like
the term and the audio scores the term better (:mod:`scribe.asr.correction`). Whisper's known
phantom phrases ("Thanks for watching!") are dropped, and a segment stuck repeating one word keeps
one copy (:mod:`scribe.asr.content`).
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..audio import SAMPLE_RATE, as_mono_float32, is_silent, load_audio
from ..domain import Segment, Transcript, Word
from ..errors import AudioError, ModelError
from ..packs import PACKS, Progress, resolve_asr_model
from ..settings import Settings, load_settings
from . import correction
from .content import NO_CLINICAL_CONVERSATION, collapse_repeats, is_phantom
from .vocabulary import build_hotwords, load_terms

log = logging.getLogger(__name__)

# Less VAD-detected speech than this (seconds) means the recording is silence or noise.
MIN_SPEECH_S = 0.3
# Committed text kept as decoder context for the next streaming window (characters).
_CONTEXT_CHARS = 400


@runtime_checkable
class ASREngine(Protocol):
    """What the rest of Scribe needs from a recogniser (a test double or another backend fits)."""

    name: str

    def load(self, progress: Progress | None = None) -> None: ...

    def transcribe(self, audio: np.ndarray) -> Iterator[Segment]: ...

    def transcribe_file(self, path: str | os.PathLike, progress: Progress | None = None) -> Transcript: ...


def transcript_from_segments(
    segments: Iterable[Segment],
    *,
    duration: float,
    source: str | None = None,
    asr_model: str | None = None,
    language: str | None = "en",
) -> Transcript:
    """Build a Transcript, numbering segments 0..n-1 in time order (notes cite these ids)."""
    segs = sorted((s for s in segments if s.text.strip()), key=lambda s: (s.start, s.end))
    numbered = [s if s.id == i else s.model_copy(update={"id": i}) for i, s in enumerate(segs)]
    return Transcript(
        segments=numbered, duration=round(float(duration), 3), source=source, asr_model=asr_model, language=language
    )


def settle_segments(
    segments: list[Segment], terms: correction.TermIndex | Iterable[str] | None
) -> tuple[list[Segment], list[correction.Withdrawal]]:
    """A finished recording's segments with the drug corrections the visit does not bear out taken back
    (:func:`scribe.asr.correction.withdraw_lone_guesses`), and those corrections. ``terms``: the engine's
    term index, or the clinic's vocabulary files to build it from. Each is logged by segment only (the
    heard words are what was said in the consultation)."""
    if not any(w.original for s in segments for w in s.words):
        return list(segments), []
    index = terms if isinstance(terms, correction.TermIndex) else correction.TermIndex.from_vocabulary(terms)
    out, withdrawn = correction.withdraw_lone_guesses(segments, index)
    for w in withdrawn:
        log.info("segment %d: a medication correction withdrawn (the visit names that drug nowhere else)", w.segment_id)
    return out, withdrawn


_ABBREVIATIONS = {"dr.", "mr.", "mrs.", "ms.", "st.", "vs.", "e.g.", "i.e.", "etc.", "approx.", "no."}


def split_sentences(words: list, max_gap_s: float = 1.0) -> list[list]:
    """Split one decoded segment's words into sentences (and at long pauses).

    Whisper often returns a question and its answer as one segment; notes cite segments as
    evidence and speaker labels attach to segments, so a segment should be one sentence of one
    speaker. Without word timings the segment stays whole.
    """
    if not words:
        return [[]]
    pieces: list[list] = [[]]
    for i, w in enumerate(words):
        pieces[-1].append(w)
        if i + 1 == len(words):
            break
        token = w.word.strip()
        sentence_end = token[-1:] in (".", "?", "!") and token.lower() not in _ABBREVIATIONS
        if sentence_end or words[i + 1].start - w.end >= max_gap_s:
            pieces.append([])
    return [p for p in pieces if p]


def _fmt_time(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"


class FasterWhisperEngine:
    """faster-whisper Whisper model from a pack name or CTranslate2 folder; loads lazily.

    ``correct_terms`` (default on) corrects drug and clinical terms against the medical vocabulary
    (bundled + ``vocabulary_files``) after decoding. ``hotwords`` (off by default) puts a term list
    into the decoder prompt, as Scribe did before the correction existed: a string is used as is,
    ``None`` builds one from the vocabulary within ``hotword_tokens`` (0 = none); kept for comparison
    (``benchmarks/bench_drugs.py``), not recommended. Within a window faster-whisper's
    ``condition_on_previous_text`` is off (a window rarely needs a second 30 s pass, and it lets a
    loop carry over); across windows the previous final text is passed as context instead.
    ``temperature`` 0 keeps decoding deterministic; faster-whisper's sampling fallback cannot be
    seeded (it samples in a worker thread).
    """

    def __init__(
        self,
        model: str | None = None,
        settings: Settings | None = None,
        *,
        language: str | None = "en",
        hotwords: str | None = None,
        hotword_tokens: int = 0,
        correct_terms: bool = True,
        correction_margin: float = correction.DEFAULT_MARGIN,
        beam_size: int = 1,
        condition_on_previous_text: bool = False,
        vad_filter: bool = True,
        temperature: float | tuple[float, ...] = 0.0,
    ) -> None:
        self.settings = settings or load_settings()
        self.spec = model or self.settings.asr_model
        self.name = f"faster-whisper:{self.spec if self.spec in PACKS else Path(self.spec).name}"
        self.language = language
        self.beam_size = beam_size
        self.condition_on_previous_text = condition_on_previous_text
        self.vad_filter = vad_filter
        self.temperature = temperature
        self.hotword_tokens = hotword_tokens
        self._hotwords_arg = hotwords
        self.hotwords: str = ""
        self.correct_terms = correct_terms
        self.correction_margin = correction_margin
        self.term_index: correction.TermIndex | None = None
        self.corrections: list[correction.Correction] = []  # every correction made, in order (audit, benchmarks)
        self.withdrawn: list[correction.Withdrawal] = []  # corrections taken back at the end of a recording (settle)
        self.correction_seconds = 0.0  # time spent proposing and checking corrections
        self.model_path: Path | None = None
        self._model: Any = None
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ loading

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self, progress: Progress | None = None) -> None:
        """Assemble the pack if needed and load the weights (once; safe to call again)."""
        with self._lock:
            if self._model is not None:
                return
            folder = resolve_asr_model(self.spec, self.settings.cache_path, progress, settings=self.settings)
            if progress:
                progress(0.0, f"loading speech model {self.spec}")
            from faster_whisper import WhisperModel

            try:
                model = WhisperModel(
                    str(folder),
                    device=self.settings.asr_device,
                    compute_type=self.settings.asr_compute_type,
                    cpu_threads=max(0, int(self.settings.asr_threads)),
                    num_workers=1,
                    local_files_only=True,
                )
            except (RuntimeError, ValueError, OSError) as exc:
                raise ModelError(
                    f"Cannot load speech model from {folder} "
                    f"(device {self.settings.asr_device}, compute type {self.settings.asr_compute_type}): {exc}"
                ) from None
            if self.language and not model.model.is_multilingual and self.language != "en":
                raise ModelError(f"Speech model {self.spec} is English-only; it cannot transcribe '{self.language}'.")
            self._model = model
            self.model_path = folder
            self.hotwords = self._build_hotwords() if self._hotwords_arg is None else self._hotwords_arg.strip()
            if self.correct_terms:
                self.term_index = correction.TermIndex.for_settings(self.settings)
            if progress:
                progress(1.0, f"speech model {self.spec} ready")

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes in this model's decoder prompt."""
        if self._model is None:
            self.load()
        return len(self._model.hf_tokenizer.encode(text, add_special_tokens=False).ids)

    def _build_hotwords(self) -> str:
        if self.hotword_tokens <= 0:
            return ""
        terms = load_terms(self.settings.vocabulary_files)
        return build_hotwords(terms, self.hotword_tokens, count_tokens=self.count_tokens)

    # ------------------------------------------------------------------ decoding

    def _options(self, context: str | None) -> dict:
        return dict(
            language=self.language,
            task="transcribe",
            beam_size=self.beam_size,
            best_of=1,
            temperature=self.temperature,
            word_timestamps=True,
            vad_filter=self.vad_filter,
            hotwords=self.hotwords or None,
            condition_on_previous_text=self.condition_on_previous_text,
            initial_prompt=context or None,
        )

    def _run(self, audio: np.ndarray, context: str | None = None):
        self.load()
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        return self._model.transcribe(audio, **self._options(context))

    @staticmethod
    def _convert(seg: Any, words: list, seg_id: int, offset: float) -> Segment:
        """A faster-whisper segment (or one sentence of it: ``words``) as a Scribe Segment."""
        text = "".join(w.word for w in words).strip() if words else seg.text.strip()
        start = words[0].start if words else seg.start
        end = words[-1].end if words else seg.end
        confidence = math.exp(seg.avg_logprob) if seg.avg_logprob is not None else 0.0
        return Segment(
            id=seg_id,
            start=round(start + offset, 3),
            end=round(max(end, start) + offset, 3),
            text=text,
            confidence=round(min(1.0, max(0.0, confidence)), 4),
            words=[
                Word(
                    start=round(w.start + offset, 3),
                    end=round(w.end + offset, 3),
                    word=w.word.strip(),
                    probability=round(float(w.probability), 4),
                )
                for w in words
                if w.word.strip()
            ],
        )

    def decode_window(
        self,
        audio: np.ndarray,
        *,
        offset: float = 0.0,
        first_id: int = 0,
        context: str | None = None,
    ) -> Iterator[Segment]:
        """One faster-whisper call on a short piece (<= 30 s) of a recording.

        Times are shifted by ``offset`` seconds and ids start at ``first_id``; ``context`` is the
        text that preceded this audio. Terms are not corrected here (a window is decoded several
        times before its segments are final): see :meth:`correct`. Use :meth:`transcribe` for
        anything longer.
        """
        segments, _info = self._run(audio, context)
        yield from self._iter_segments(segments, offset, first_id)

    def transcribe(self, audio: np.ndarray) -> Iterator[Segment]:
        """Yield final segments of a whole recording (16 kHz mono float32) as they are decoded."""
        stream = StreamingTranscriber(self)
        for i in range(0, len(audio), stream.step):
            yield from stream.feed(audio[i : i + stream.step])
        yield from stream.finish()

    def _iter_segments(self, segments: Iterable[Any], offset: float, first_id: int) -> Iterator[Segment]:
        seg_id = first_id
        for seg in segments:
            if not seg.text.strip() or is_phantom(seg.text):
                continue
            for words in split_sentences(collapse_repeats(seg.words or [])):
                out = self._convert(seg, words, seg_id, offset)
                if out.text and not is_phantom(out.text):
                    yield out
                    seg_id += 1

    # ------------------------------------------------------------------ term correction

    def score_texts(self, audio: np.ndarray, requests: list[tuple[str | None, list[str]]]) -> list[list[float]]:
        """Log-probability of texts as the transcription of ``audio`` (<= 30 s), each group under its prompt.

        ``requests`` are ``(prompt, texts)`` pairs. The audio is encoded once; each group is one batched
        decoder pass over its texts (teacher forcing) with the prompt as previous-text context, as
        faster-whisper passes a prompt. Checks a correction by ear.
        """
        import ctranslate2
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.tokenizer import Tokenizer

        self.load()
        model = self._model
        tokenizer = Tokenizer(
            model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=self.language
        )
        extractor = model.feature_extractor
        audio = np.ascontiguousarray(audio[: int(30 * SAMPLE_RATE)], dtype=np.float32)
        frames = min(extractor.nb_max_frames, max(1, audio.size // extractor.hop_length))
        features = pad_or_trim(extractor(audio)[:, :frames])
        out: list[list[float]] = []
        with self._lock:
            encoded = np.asarray(model.encode(features))
            for prompt, texts in requests:
                start = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
                if prompt:
                    start = [tokenizer.sot_prev, *tokenizer.encode(" " + prompt.strip()), *start]
                tokens = [tokenizer.encode(" " + t.strip()) or [tokenizer.eot] for t in texts]
                batch = ctranslate2.StorageView.from_array(np.repeat(encoded, len(tokens), axis=0))
                results = model.model.align(batch, start, tokens, [frames] * len(tokens))
                out.append(
                    [
                        float(np.log(np.maximum(np.asarray(r.text_token_probs, np.float64), 1e-12)).sum())
                        for r in results
                    ]
                )
        return out

    def is_common_word(self, word: str) -> bool:
        """A word that is a single token of Whisper's vocabulary (an ordinary word the decoder chose on purpose)."""
        self.load()
        return len(self._model.hf_tokenizer.encode(" " + word, add_special_tokens=False).ids) == 1

    def correct(
        self,
        audio: np.ndarray,
        offset: float,
        segments: list[Segment],
        context: Sequence[str] = (),
        after: Sequence[str] = (),
    ) -> list[Segment]:
        """Correct drug and clinical terms in final ``segments`` heard in ``audio`` (starting at ``offset`` s).

        See :mod:`scribe.asr.correction`; ``context`` are the words said just before and ``after`` the
        words said next, as far as decoded (medication talk there makes drug names targets). A no-op
        when ``correct_terms`` is off. The corrections made are appended to :attr:`corrections`.
        """
        if not self.correct_terms or not segments:
            return segments
        self.load()
        if self.term_index is None or not len(self.term_index):
            return segments

        def score(seg: Segment, requests: list[tuple[str | None, list[str]]]) -> list[list[float]]:
            lo = max(0, int((seg.start - offset - 0.4) * SAMPLE_RATE))
            hi = min(audio.size, int((seg.end - offset + 0.4) * SAMPLE_RATE))
            return self.score_texts(audio[lo:hi], requests)

        t0 = time.perf_counter()
        fixed, changes = correction.correct(
            segments,
            self.term_index,
            score,
            margin=self.correction_margin,
            is_common=self.is_common_word,
            context=context,
            after=after,
        )
        for c in changes:
            # by id and kind only: the heard words are what was said in the consultation (a misheard name among them)
            how = "joined" if c.split else f"+{c.gain:.1f} nats"
            log.info("segment %d: a %s term corrected (%s)", c.segment_id, c.kind, how)
        self.corrections.extend(changes)
        self.correction_seconds += time.perf_counter() - t0
        return fixed

    def settle(self, segments: list[Segment]) -> list[Segment]:
        """The recording is over: take back the drug corrections the rest of it does not bear out
        (:func:`scribe.asr.correction.withdraw_lone_guesses`), appending them to :attr:`withdrawn`."""
        out, withdrawn = settle_segments(segments, self.term_index or self.settings.vocabulary_files)
        self.withdrawn.extend(withdrawn)
        return out

    def transcribe_file(self, path: str | os.PathLike, progress: Progress | None = None) -> Transcript:
        """Transcribe a recording; AudioError if it is unreadable or has no speech."""
        audio = load_audio(path)
        name = Path(path).name
        total = len(audio) / SAMPLE_RATE
        if is_silent(audio):
            raise AudioError(
                f"{NO_CLINICAL_CONVERSATION}: {name} contains no speech (only silence or noise); "
                "check the microphone and record again."
            )
        self.load(progress)
        if progress:
            progress(0.0, f"transcribing {name} ({_fmt_time(total)})")
        out: list[Segment] = []
        for seg in self.transcribe(audio):
            out.append(seg)
            if progress:
                progress(
                    min(0.999, seg.end / total) if total else 0.999,
                    f"transcribed {_fmt_time(seg.end)} of {_fmt_time(total)}",
                )
        if not out:
            raise AudioError(
                f"{NO_CLINICAL_CONVERSATION}: {name} contains no recognisable speech; check the recording."
            )
        out = self.settle(out)
        if progress:
            progress(1.0, "transcription done")
        return transcript_from_segments(out, duration=total, source=name, asr_model=self.name, language=self.language)


class StreamingTranscriber:
    """Incremental transcription of a recording in progress.

    Audio accumulates in a buffer that starts where the last final segment ended. When the buffer
    holds ``window_s`` seconds (re-checked every ``step_s`` new seconds) it is decoded; segments
    that end at least ``holdback_s`` before the buffer's end are final: the speaker has moved on,
    so more audio cannot change them. They are returned with timestamps relative to the start of
    the recording, and the buffer is cut in the pause after the last of them. The buffer never
    grows past one Whisper window (30 s), so each decode costs about the same however long the
    visit runs, and :meth:`finish` decodes only the unfinalised tail.

    Windows are long (24-27 s) because short ones lose context and cut words; decode points fall
    at fixed buffer lengths, so :meth:`FasterWhisperEngine.transcribe_file`, which runs this same
    class over the file, gives exactly the live result. ``use_context`` passes the last final text
    as a prompt: slightly better on the sample visit (WER 0.110 vs 0.120, base) but on a repeated
    clip tiny.en copied the prompt instead of transcribing and lost 25 s, so it is off by default.
    Not thread-safe: call feed()/finish() from one worker thread.
    """

    MAX_WINDOW_S = 29.0  # stay inside Whisper's 30 s receptive field

    def __init__(
        self,
        engine: FasterWhisperEngine,
        *,
        window_s: float = 24.0,
        step_s: float = 3.0,
        holdback_s: float = 4.0,
        use_context: bool = False,
    ) -> None:
        if not (0 < holdback_s < window_s and step_s > 0 and window_s + step_s <= self.MAX_WINDOW_S + 1):
            raise ValueError(f"need 0 < holdback_s < window_s and window_s + step_s <= {self.MAX_WINDOW_S + 1:.0f}")
        self.engine = engine
        self.window = int(window_s * SAMPLE_RATE)
        self.step = int(step_s * SAMPLE_RATE)
        self.holdback = holdback_s
        self.use_context = use_context
        self._chunks: list[np.ndarray] = []
        self._buffered = 0  # samples in the buffer
        self._buf_start = 0  # absolute sample index of the buffer's first sample
        self._decoded_at = 0  # buffer length at the last decode without commits
        self._next_id = 0
        self._last_end = 0.0
        self._final: list[Segment] = []
        self.decode_calls = 0
        self.decoded_seconds = 0.0  # audio seconds run through the model (for cost accounting)
        self.preview_calls = 0
        self.preview_seconds = 0.0  # audio seconds decoded for previews only
        self._previewed_to = 0  # absolute sample up to which the last preview saw audio
        self._finished = False

    # ------------------------------------------------------------------ public

    @property
    def segments(self) -> list[Segment]:
        """All final segments so far."""
        return list(self._final)

    @property
    def duration(self) -> float:
        """Seconds of audio fed so far."""
        return (self._buf_start + self._buffered) / SAMPLE_RATE

    def feed(self, chunk: np.ndarray) -> list[Segment]:
        """Add recorded audio (16 kHz; any length, int16 or float, mono or multi-channel).

        Returns the segments that became final because of it (often none). Decodes happen at
        fixed buffer lengths, whatever the chunk sizes, so the result does not depend on them.
        """
        if self._finished:
            raise RuntimeError("feed() after finish()")
        a = as_mono_float32(chunk)
        out: list[Segment] = []
        pos = 0
        while pos < a.size:
            take = min(a.size - pos, max(0, self._next_decode_at() - self._buffered))
            if take:
                self._chunks.append(a[pos : pos + take])
                self._buffered += take
                pos += take
            if self._buffered >= self._next_decode_at():
                out += self._decode(final=False)
        return out

    def _next_decode_at(self) -> int:
        """Buffer length (samples) at which the next decode runs."""
        return max(self.window, self._decoded_at + self.step)

    def finish(self) -> list[Segment]:
        """Decode what is left; every remaining segment becomes final."""
        if self._finished:
            return []
        self._finished = True
        if self._buffered < int(0.1 * SAMPLE_RATE):
            return []
        return self._decode(final=True)

    def preview(self, min_new_s: float = 1.0) -> list[Segment] | None:
        """Provisional segments for the audio not yet final, for the live view.

        Final segments wait for a pause (the buffer is only decoded at 24 s and then every few
        seconds), so on their own they trail speech by 10-20 s. A preview decodes whatever is
        buffered right now, so the physician sees words a few seconds after they are said; it
        changes nothing here (finals, decode points and therefore the final transcript are
        exactly what they would be without it). Returns ``None`` when there is nothing new
        worth decoding (less than ``min_new_s`` seconds since the last preview), else the
        segments (possibly empty), with ids following the final ones and absolute times.
        Costs one decode of up to ~27 s of audio, so callers pace it (see
        :class:`scribe.ui.workers.TranscriptionWorker`).
        """
        if self._finished:
            return None
        end = self._buf_start + self._buffered
        if self._buffered < int(0.5 * SAMPLE_RATE) or end - self._previewed_to < int(min_new_s * SAMPLE_RATE):
            return None
        self._previewed_to = end
        audio = self._buffer()
        segs = list(
            self.engine.decode_window(
                audio,
                offset=self._buf_start / SAMPLE_RATE,
                first_id=self._next_id,
                context=self._context(),
            )
        )
        self.preview_calls += 1
        self.preview_seconds += audio.size / SAMPLE_RATE
        floor = self._last_end
        out = []
        for seg in segs:
            if not seg.text.strip():
                continue
            start = max(seg.start, floor)
            out.append(
                seg if start == seg.start else seg.model_copy(update={"start": start, "end": max(seg.end, start)})
            )
        return out

    def transcript(self, source: str | None = None) -> Transcript:
        return transcript_from_segments(
            self._final,
            duration=self.duration,
            source=source,
            asr_model=self.engine.name,
            language=self.engine.language,
        )

    # ------------------------------------------------------------------ internals

    def _buffer(self) -> np.ndarray:
        if len(self._chunks) > 1:
            self._chunks = [np.concatenate(self._chunks)]
        return self._chunks[0] if self._chunks else np.zeros(0, np.float32)

    def _context(self) -> str | None:
        if not self.use_context or not self._final:
            return None
        text = " ".join(s.text for s in self._final[-8:])
        return text[-_CONTEXT_CHARS:].split(" ", 1)[-1] if len(text) > _CONTEXT_CHARS else text

    def _decode(self, final: bool) -> list[Segment]:
        audio = self._buffer()
        offset = self._buf_start / SAMPLE_RATE
        end = offset + audio.size / SAMPLE_RATE
        segs = list(self.engine.decode_window(audio, offset=offset, first_id=self._next_id, context=self._context()))
        self.decode_calls += 1
        self.decoded_seconds += audio.size / SAMPLE_RATE

        if final:
            commit = segs
        else:
            limit = end - self.holdback
            n = 0
            while n < len(segs) and segs[n].end <= limit:
                n += 1
            if n == 0 and audio.size >= int(self.MAX_WINDOW_S * SAMPLE_RATE) - self.step:
                # One long run of speech fills the window: give up waiting for a pause.
                n = max(1, len(segs) - 1) if segs else 0
            commit = segs[:n]

        if not commit:
            if not segs and not final:
                # Nothing but silence/noise: drop it, keeping the tail where speech may be starting.
                self._cut(max(self._buf_start, int((end - self.holdback) * SAMPLE_RATE)))
            else:
                self._decoded_at = self._buffered
            return []

        before = [w.word for w in self._final[-1].words] if self._final else []
        after = [w.word for w in segs[len(commit)].words] if len(commit) < len(segs) else []
        committed = self.engine.correct(audio, offset, [self._monotonic(s) for s in commit], before, after)
        self._final.extend(committed)
        self._next_id = committed[-1].id + 1
        if final:
            self._chunks, self._buffered, self._buf_start = [], 0, self._buf_start + audio.size
        else:
            self._cut(self._cut_point(commit[-1], segs[len(commit)] if len(commit) < len(segs) else None))
        return committed

    def _cut_point(self, last: Segment, nxt: Segment | None) -> int:
        """Absolute sample where the next buffer starts: in the pause after ``last``."""
        cut = last.end
        if nxt is not None:
            nxt_start = nxt.words[0].start if nxt.words else nxt.start
            cut = (last.end + nxt_start) / 2 if nxt_start > last.end else nxt_start
        return int(round(cut * SAMPLE_RATE))

    def _cut(self, abs_sample: int) -> None:
        drop = min(max(0, abs_sample - self._buf_start), self._buffered)
        if drop:
            buf = self._buffer()[drop:]
            self._chunks = [buf] if buf.size else []
            self._buffered = buf.size
            self._buf_start += drop
        # Re-decode at once only if the buffer actually moved; otherwise wait for new audio.
        self._decoded_at = 0 if drop else self._buffered

    def _monotonic(self, seg: Segment) -> Segment:
        """Keep segment times non-decreasing across window boundaries."""
        start = max(seg.start, self._last_end)
        end = max(seg.end, start)
        words = [
            w if w.start >= start else w.model_copy(update={"start": start, "end": max(w.end, start)})
            for w in seg.words
        ]
        self._last_end = end
        if start == seg.start and end == seg.end and words == seg.words:
            return seg
        return seg.model_copy(update={"start": start, "end": end, "words": words})
