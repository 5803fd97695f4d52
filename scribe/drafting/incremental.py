"""Draft the note while the visit is still going on, so Stop leaves only the tail.

A physician presses Stop and has the next patient waiting. Asking all of a note's questions after
the visit costs a minute or more on a 2-core laptop: the transcript has to be prefilled (~2,000
tokens for 10 minutes of talk) and every answer decoded. Most of that can be done during the visit,
by the same questions :class:`~scribe.drafting.drafter.NoteDrafter` asks, because a transcript only
ever grows at its end:

* **Warm prefix.** Every question's prompt is the system prompt and the numbered transcript, then
  the question. Each :meth:`LiveDrafter.update` prefills that shared prefix for the transcript so far
  (llama.cpp keeps the KV cache), so at Stop only the lines spoken since are new. The app offers each
  new transcript (:meth:`LiveDrafter.offer`), so an update that has just answered a question warms
  the lines spoken meanwhile too, and it starts the next update as soon as one ends.
* **A rolling note.** The questions about what the visit has settled before it ends (who the patient
  is, the history, medications, review of systems, exam, results: :attr:`LiveDrafter.rolling`) are
  answered during the visit, one per update, the one answered longest ago first, once the transcript
  has grown ``refresh_tokens`` since, with exactly the request a from-scratch draft sends, on one
  thread and interruptibly; a question the newest lines concern (:mod:`scribe.drafting.relevance`:
  an exam just said) goes before older ones they do not. At Stop the sections made of them are shown at once (the app shows them
  while the recogniser finishes), and only the questions the end of a visit settles (the problems,
  each problem's assessment and plan, follow-up), plus any rolling question whose
  unseen lines concern it or run to ``stale_tokens``, are asked, from the warm prefix. Then the note is
  composed and finished exactly as an offline draft is. A fact said in the last minutes that a rolling
  answer did not see, in words the cues miss, is in the note only if the medication pass or a Stop
  question catches it; grounding
  still checks every statement against the whole transcript.
* **Stable speaker labels.** Labels are inferred from content and turn structure over the whole
  transcript, so a late segment could relabel an early one and change the prompt's prefix. A
  segment's label is frozen once ``settle_segments`` newer segments follow it.
* **Cores.** Speech recognition and the model share two cores. During the visit the model runs on
  ``background_threads`` (1); :meth:`hold` (Stop) pauses background decoding between tokens so the
  recogniser's final decode gets the CPU, and :meth:`stream` gives the model all its threads again.

Nothing here needs Qt: the desktop app calls :meth:`update` from a worker on a timer, :meth:`hold`
when Stop is pressed and :meth:`stream` once the transcript is final; the benchmark does the same.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum

from ..domain import Encounter, SpeakerRole, Statement, Transcript
from ..errors import DraftingError
from ..lexicon import Lexicon, medication_names
from .compose import check_facts, compose_note
from .drafter import DraftEvent, NoteDrafter
from .questions import ASSESSMENT_PLAN, FOLLOW_UP, Question, VisitFacts, format_transcript_lines, parse_answer
from .relevance import concerns

log = logging.getLogger(__name__)

REFRESH_TOKENS = 150  # a question is asked again once the transcript has grown this much since its answer
# ... and asked at Stop when the lines its answer has not seen concern it (relevance.concerns), or when
# they are this long whatever they say (~9 min: the cues are narrow; a long stretch unseen is not trusted)
STALE_TOKENS = 2700
SETTLE_SEGMENTS = 4  # a segment's speaker label is frozen once this many segments follow it
WARM_STEP_TOKENS = 64  # prefill at most this much per call, so Stop never waits long for a warm-up
STOP_QUESTIONS = frozenset({ASSESSMENT_PLAN.key, FOLLOW_UP.key})  # what the end of a visit settles: asked at Stop


class Update(str, Enum):
    """What one :meth:`LiveDrafter.update` did."""

    idle = "idle"  # nothing new
    warm = "warm"  # prefilled the lines spoken since
    answered = "answered"  # answered a rolling question (and warmed what was said meanwhile)


def _same_lines(by_id: dict[int, str], last_id: int, texts: tuple[str, ...]) -> bool:
    """Whether the transcript's lines up to ``last_id`` are still ``texts`` (what was asked about)."""
    return tuple(text for i, text in by_id.items() if i <= last_id) == texts


@dataclass
class _Answer:
    """A rolling question answered during the visit from the transcript up to ``last_id``."""

    question: Question
    last_id: int
    texts: tuple[str, ...]  # every line it was asked about (to check they are still the transcript's)
    data: dict


@dataclass
class LiveStats:
    updates: int = 0
    warms: int = 0
    warm_s: float = 0.0
    answers: int = 0  # rolling questions answered during the visit
    answer_s: float = 0.0
    aborted: int = 0  # left unfinished because Stop was pressed
    caught_up: int = 0  # updates that warmed lines offered while their question was answered
    # each attempt during the visit: (question key, last line it saw, seconds, "ok" | "failed" | "abandoned")
    attempts: list = field(default_factory=list)
    stop_mode: str = ""  # "rolling" (rolling answers + the rest at Stop) or "full" (every question at Stop)
    stop_update_from: int | None = None  # the oldest rolling answer kept covers the lines before this one
    stop_asked: list = field(default_factory=list)  # the questions asked at Stop
    stop_wait_s: float = 0.0  # Stop waited this long for background work in flight to yield
    stop_prompt_tokens: int = 0
    stop_cold_tokens: int = 0  # transcript tokens of the Stop requests that were not warm (prefilled at Stop)
    stop_threads: int | None = None  # threads the final draft used (free cores at Stop)
    first_event_s: float | None = None
    total_s: float = 0.0


class LiveDrafter:
    """Keeps a visit's note draft as far ahead as the transcript allows.

    Thread use: :meth:`update` on a background worker (calls are serialised), :meth:`hold` from
    any thread, :meth:`stream` on the drafting worker; a stream waits for an update in flight.
    """

    def __init__(
        self,
        drafter: NoteDrafter,
        *,
        settle_segments: int = SETTLE_SEGMENTS,
        background_threads: int = 1,
        rolling: bool = True,
        refresh_tokens: int = REFRESH_TOKENS,
        stale_tokens: int = STALE_TOKENS,
    ):
        self.drafter = drafter
        self.settle_segments = settle_segments
        self.background_threads = background_threads
        self.refresh_tokens = refresh_tokens
        self.stale_tokens = stale_tokens
        # the questions answered during the visit: all but what the end of a visit settles
        self.rolling: list[Question] = (
            [q for q in drafter.questions() if q.key not in STOP_QUESTIONS and not q.key.startswith("section:")]
            if rolling
            else []
        )
        self.answers: dict[str, _Answer] = {}
        self.stats = LiveStats()
        self._abort = False
        self._frozen: dict[int, tuple[str, SpeakerRole]] = {}
        self._busy = threading.Lock()
        self._go = threading.Event()
        self._go.set()
        self._stopped = False
        self._warm_lines_cached: list[str] | None = None  # the transcript lines of the prompt in the cache
        self._latest: Transcript | None = None  # the newest transcript offered (see offer)
        self._free_threads: threading.Thread | None = None  # started by hold(): the cores free at Stop
        self._stop_threads: int | None = None
        self._known: Lexicon | None = None  # the drug names medication talk is recognised by (built on first use)

    @property
    def runtime(self):
        return self.drafter.runtime

    def _threads(self, n: int | None) -> None:
        set_threads = getattr(self.runtime, "set_threads", None)
        if callable(set_threads):
            set_threads(n)

    # ------------------------------------------------------------------ transcript

    def prepare(self, transcript: Transcript) -> Transcript:
        """The transcript as the model sees it: speakers labelled, settled labels frozen."""
        segments = [s for s in transcript.segments if s.text.strip()]
        labelled = self.drafter.prepare(transcript.model_copy(update={"segments": segments}))
        out = []
        for s in labelled.segments:
            frozen = self._frozen.get(s.id)
            if frozen is not None and frozen[0] == s.text and frozen[1] != s.speaker:
                s = s.model_copy(update={"speaker": frozen[1]})
            out.append(s)
        for s in out[: max(0, len(out) - self.settle_segments)]:
            if self._frozen.get(s.id, (None,))[0] != s.text:
                self._frozen[s.id] = (s.text, s.speaker)
        return labelled.model_copy(update={"segments": out})

    def _tokens(self, segments: list) -> int:
        lines = format_transcript_lines(Transcript(segments=segments))
        return sum(self.runtime.count_tokens(line) + 1 for line in lines)

    # ------------------------------------------------------------------ during the visit

    def offer(self, transcript: Transcript) -> None:
        """The newest transcript (the final segments so far), from any thread; cheap.

        Answering a rolling question takes ~20 s on one thread, and the lines spoken meanwhile
        would wait for the next :meth:`update` to be warmed; at Stop they were most of the
        prefill. An update in flight warms up to the transcript offered last once its question
        is answered."""
        self._latest = transcript  # one reference, swapped atomically

    def update(self, transcript: Transcript | None = None) -> Update:
        """Bring the draft up to ``transcript`` (the final segments so far; default: the one
        offered last): answer the rolling question that is due, then warm the prompt Stop will send."""
        transcript = transcript if transcript is not None else self._latest
        if transcript is None:
            return Update.idle
        with self._busy:
            if self._stopped:
                return Update.idle
            self.stats.updates += 1
            self._threads(self.background_threads)
            if transcript.is_empty():  # the visit has just begun: prefill the system prompt
                return Update.warm if self._warm_lines([]) else Update.idle
            prepared = self.prepare(transcript)
            due = self._due(prepared.segments)
            if due is not None:
                self._answer(due, prepared)
                newest = self._latest  # what was said while the question was answered
                if newest is not None and newest.segments and newest.segments[-1].id > prepared.segments[-1].id:
                    if not self._abort:
                        prepared = self.prepare(newest)
                        self.stats.caught_up += 1
            warmed = self._warm_lines(format_transcript_lines(prepared))
            return Update.answered if due is not None else (Update.warm if warmed else Update.idle)

    def _warm_lines(self, lines: list[str]) -> bool:
        """Prefill the shared prefix in steps of ~WARM_STEP_TOKENS from what is already cached;
        stops early when Stop is pressed (the final request prefills the rest)."""
        drafter = self.drafter
        if not drafter.fits(drafter.prompt_tokens(drafter.build(lines))):
            return False
        done = self._warm_prefix(lines)
        if self._warm_lines_cached is not None and done == len(lines) == len(self._warm_lines_cached):
            return False  # nothing new
        t0 = time.perf_counter()
        i = max(0, min(done, len(lines) - 1))  # (a cached prompt longer than this one: its prefix is cached)
        while i < len(lines) or not lines:
            j, acc = i, 0
            while j < len(lines) and (acc < WARM_STEP_TOKENS or j == i):
                acc += self.runtime.count_tokens(lines[j]) + 1
                j += 1
            if not self._go.is_set():
                break
            self.runtime.warm(drafter.build(lines[:j]))
            self._warm_lines_cached = lines[:j]
            self.stats.warms += 1
            i = j
            if not lines:
                break
        self.stats.warm_s += time.perf_counter() - t0
        return True

    def _warm_prefix(self, lines: list[str]) -> int:
        """How many of ``lines`` (from the first) the warm prompt already holds."""
        done = 0
        warm = self._warm_lines_cached or []
        while done < min(len(lines), len(warm)) and lines[done] == warm[done]:
            done += 1
        return done

    def _in_background(self, gen) -> tuple[dict | None, bool]:
        """Run a question's generator during the visit: paused between tokens while Stop lets speech
        recognition finish, and dropped at its next token once Stop was pressed. Returns its answer and
        whether it was abandoned."""
        try:
            while True:
                self._go.wait()  # Stop pressed: let speech recognition finish first
                if self._abort:
                    gen.close()
                    return None, True
                next(gen)
        except StopIteration as done:
            return done.value, False

    def _unseen(self, question: Question, segments: list) -> list:
        """The lines an answer to ``question`` has not seen (all of them if it was never answered)."""
        done = self.answers.get(question.key)
        last = done.last_id if done is not None else -1
        return [s for s in segments if s.id > last]

    def _concerns(self, question: Question, segments: list) -> bool:
        if self._known is None:
            self._known = medication_names(self.drafter.medications)
        return concerns(question.key, segments, self._known)

    def _due(self, segments: list) -> Question | None:
        """The rolling question to ask now, once the transcript has grown ``refresh_tokens`` since its
        answer: one never answered, then one the lines it has not seen concern (so the exam is answered
        soon after it is said, not when its turn in the cycle comes), each the one answered longest ago
        first, then any. (All final lines are used, settled or not: the request then extends the warm
        prompt, and a speaker label that changes later only costs a re-read from that line on.)"""
        ranked = []
        for order, q in enumerate(self.rolling):
            grown = self._unseen(q, segments)
            if not grown or self._tokens(grown) < self.refresh_tokens:
                continue
            done = self.answers.get(q.key)
            last = done.last_id if done is not None else -1
            urgency = 0 if done is None else (1 if self._concerns(q, grown) else 2)
            ranked.append((urgency, last, order, q))
        return min(ranked, key=lambda r: r[:3])[3] if ranked else None

    def _answer(self, question: Question, prepared: Transcript) -> bool:
        """Ask one rolling question about the transcript so far, exactly as a from-scratch draft asks
        it. Returns False if Stop was pressed first or the answer failed (the earlier one stays)."""
        t0 = time.perf_counter()
        lines = format_transcript_lines(prepared)
        self._warm_lines(lines)  # interruptible prefill of what is new
        stats = self.drafter.stats
        try:
            data, abandoned = self._in_background(self.drafter.ask(lines, question, t0))
        except DraftingError as exc:
            log.info("answering %s during the visit failed: %s", question.key, exc)
            self._attempt(question, prepared, t0, "failed")
            return False
        finally:
            self.drafter.stats = stats
        if abandoned:
            self.stats.aborted += 1
            self._attempt(question, prepared, t0, "abandoned")
            return False
        if data is None:
            self._attempt(question, prepared, t0, "failed")
            return False
        self._attempt(question, prepared, t0, "ok")
        last = prepared.segments[-1].id
        self.answers[question.key] = _Answer(question, last, tuple(s.text for s in prepared.segments), data)
        self._warm_lines_cached = lines  # the prompt up to its last line is cached
        self.stats.answers += 1
        self.stats.answer_s += time.perf_counter() - t0
        log.info(
            "answered %s (lines up to %d) during the visit in %.1f s", question.key, last, time.perf_counter() - t0
        )
        return True

    def _attempt(self, question: Question, prepared: Transcript, t0: float, outcome: str) -> None:
        self.stats.attempts.append(
            (question.key, prepared.segments[-1].id, round(time.perf_counter() - t0, 1), outcome)
        )

    def _kept(self, segments: list) -> list[_Answer]:
        """The rolling answers that stand at Stop: those whose unseen lines neither concern them nor run
        to ``stale_tokens``."""
        kept = []
        for q in self.rolling:
            a = self.answers.get(q.key)
            if a is None:
                continue
            unseen = self._unseen(q, segments)
            if not unseen or (self._tokens(unseen) < self.stale_tokens and not self._concerns(q, unseen)):
                kept.append(a)
        return kept

    def _facts(self, answers: Iterable[_Answer]) -> VisitFacts:
        facts = VisitFacts()
        for a in answers:
            parse_answer(a.question, a.data, facts)
        return facts

    def _shown_sections(self, kept: list[_Answer], transcript: Transcript) -> list[str]:
        """Sections any block of which the kept answers cover: what they say goes on screen at Stop, and
        the answers asked at Stop add to it as they stream. (Showing only sections whose every block was
        kept left the screen empty for ~14 s whenever one question of each section was stale: 2 of 4
        bench_visit runs.)"""
        covered = {b for a in kept for b in a.question.blocks}
        if any(a.question.key == "patient" for a in kept):
            covered.add("chief_complaint")
        return [
            s.key for s in self.drafter.template.sections if s.content and any(b.value in covered for b in s.content)
        ]

    def kept_sections(self, transcript: Transcript) -> list[tuple[str, list[Statement]]]:
        """What Stop will show at once for this transcript: (section key, statements) of the sections
        the rolling answers that stand make up. The app calls it at Stop, so the physician sees them
        while the recogniser finishes; it then passes their keys to :meth:`stream` as ``shown``."""
        segments = [s for s in transcript.segments if s.text.strip()]
        kept = self._kept(segments)
        keys = self._shown_sections(kept, transcript)
        if not keys:
            return []
        facts = self._facts(kept)
        if self.drafter.clinical:
            facts = check_facts(facts, transcript)
        note = compose_note(facts, self.drafter.template, clinical=self.drafter.clinical)
        return [(k, list(sec.statements)) for k in keys if (sec := note.section(k)) is not None]

    # ------------------------------------------------------------------ at Stop

    def hold(self) -> None:
        """Stop was pressed: pause background decoding (between tokens) until :meth:`stream`.
        A rolling question in flight is abandoned (its earlier answer stays)."""
        self._abort = True
        self._go.clear()
        if self._free_threads is None:
            # sampling the CPU takes ~0.3 s: done while the recogniser finishes, not after
            self._free_threads = threading.Thread(target=self._sample_free_threads, name="free-cores", daemon=True)
            self._free_threads.start()

    def _sample_free_threads(self) -> None:
        """The threads the final draft gets: all, unless other programs hold cores."""
        free = getattr(self.runtime, "free_threads", None)
        self._stop_threads = free() if callable(free) else None

    def stream(
        self, transcript: Transcript, encounter: Encounter | None = None, shown: Iterable[str] = ()
    ) -> Iterator[DraftEvent]:
        """The final draft of the finished ``transcript``: the sections the rolling answers make up at
        once (those in ``shown`` are on screen already), then the questions left for Stop asked now
        with all threads, then the note composed and finished as an offline draft is."""
        if transcript.is_empty():
            raise DraftingError("The transcript is empty: there is nothing to draft a note from.")
        if self._free_threads is not None:  # sampled since hold()
            self._free_threads.join()
        else:
            self._sample_free_threads()
        self.stats.stop_threads = self._stop_threads
        self._threads(self.stats.stop_threads)
        self._abort = True
        self._go.set()
        t0 = time.perf_counter()
        with self._busy:  # an update in flight yields first
            self.stats.stop_wait_s = time.perf_counter() - t0
            self._stopped = True
            drafter = self.drafter
            encounter = encounter or Encounter(visit_type=drafter.template.name)
            prepared = self.prepare(transcript)
            by_id = {s.id: s.text for s in prepared.segments}
            for key, a in list(self.answers.items()):  # lines changed under an answer (they never should): drop it
                if not _same_lines(by_id, a.last_id, a.texts):
                    del self.answers[key]
            lines = format_transcript_lines(prepared)
            n = drafter.prompt_tokens(drafter.build(lines))
            if not drafter.fits(n) or not self.rolling:  # (a very long visit: asked from scratch, in parts)
                self.stats.stop_mode = "full"
                yield from self._timed(drafter.stream(prepared, encounter), t0)
                self.stats.total_s = time.perf_counter() - t0
                return
            drafter.stats = type(drafter.stats)()
            self.stats.stop_mode = "rolling"
            self.stats.stop_prompt_tokens = drafter.stats.prompt_tokens = n
            self.stats.stop_cold_tokens = sum(
                self.runtime.count_tokens(line) + 1 for line in lines[self._warm_prefix(lines) :]
            )
            kept = self._kept(prepared.segments)
            shown_keys = set(shown)
            for key, statements in self.kept_sections(prepared):  # on screen at once (unless the app showed them)
                if key in shown_keys:
                    continue
                yield DraftEvent(kind="section", section_key=key)
                for st in statements:
                    if self.stats.first_event_s is None:
                        self.stats.first_event_s = time.perf_counter() - t0
                    yield DraftEvent(kind="statement", section_key=key, statement=st)
            self.stats.stop_update_from = min((a.last_id for a in kept), default=-1) + 1
            kept_keys = {a.question.key for a in kept}
            asked = [q for q in drafter.questions() if q.key not in kept_keys]
            self.stats.stop_asked = [q.key for q in asked]
            facts = self._facts(kept)
            yield from self._timed(drafter.ask_all(lines, asked, facts, t0), t0)
            note = yield from drafter.finish(facts, prepared, encounter, lines)
            self.stats.total_s = time.perf_counter() - t0
            drafter.stats.total_s = self.stats.total_s
            yield DraftEvent(kind="done", note=note)

    def _timed(self, gen, t0: float):
        try:
            while True:
                ev = next(gen)
                if ev.kind == "token" and self.stats.first_event_s is None:
                    self.stats.first_event_s = time.perf_counter() - t0
                yield ev
        except StopIteration as done:
            return done.value

    def draft(self, transcript: Transcript, encounter: Encounter | None = None):
        note = None
        for ev in self.stream(transcript, encounter):
            if ev.kind == "done":
                note = ev.note
        assert note is not None
        return note

    def close(self) -> None:
        """The visit was abandoned: background work stops at its next token."""
        self._stopped = True
        self._go.set()


def draft_from_scratch(drafter: NoteDrafter, prepared: Transcript, encounter: Encounter | None = None):
    """The reference a live draft is compared with: the same (already labelled) transcript drafted
    in one go by ``drafter``'s settings with nothing warm, as a post-visit pipeline would."""
    plain = NoteDrafter(
        drafter.runtime,
        drafter.template,
        max_attempts=drafter.max_attempts,
        medications=drafter.medications,
        section_max_tokens=drafter.section_max_tokens,
        system_prompt=drafter.system_prompt,
        preamble=drafter.preamble,
        label_speakers=False,
        cover_medications=drafter.cover_medications,
        clinical=drafter.clinical,
    )
    return plain.draft(prepared, encounter)
