"""Draft the note while the visit is still going on, so Stop leaves only the tail.

A physician presses Stop and has the next patient waiting. Drafting the whole note after the
visit costs minutes on a 2-core laptop: the transcript has to be prefilled (~2,000 tokens for
10 minutes of talk, ~35 s at 60 tok/s) and every statement decoded (~19 tok/s). Both costs can
be moved into the visit, because a transcript only ever grows at its end:

* **Warm prefix.** Each :meth:`LiveDrafter.update` prefills the prompt of the request that Stop
  will make (instructions, then the numbered transcript so far, without the closing line).
  llama.cpp keeps that KV cache, so at Stop only the lines spoken since the last update and the
  short closing line are new. The app offers each new transcript (:meth:`LiveDrafter.offer`), so an
  update that has just drafted a section warms the lines spoken meanwhile too, and it starts the
  next update as soon as one ends.
* **A rolling note** (the default for a sectioned drafter). All sections but the last
  ``stop_sections`` (subjective, objective, assessment) are mostly settled before a visit ends.
  Each update redrafts the one of them whose draft is oldest, once the transcript has grown by
  ``refresh_tokens`` since, with exactly the request a from-scratch draft sends (instructions, the
  whole transcript so far, the section's closing line), on one thread and interruptibly. At Stop
  they are shown at once (the app shows them while the recogniser finishes), and only the plan is
  drafted, from the warm prompt of the whole transcript, plus any rolling section that has not
  seen ``stale_tokens`` of it. The trade-off: a fact said in the last minutes a rolling section did
  not see is in it only if the medication pass catches it; grounding still checks every statement
  against the whole transcript.
* **Parts drafted during the visit** (opt-in, ``parts=True``). Once the settled transcript since the last part is
  ``part_tokens`` long, that stretch is drafted as one part of the visit (the same part prompt
  and merge as :mod:`scribe.drafting.long_visit`, parts overlapping by a few lines), on one
  thread and at low priority, while the visit goes on. At Stop only the last, short part is
  drafted; the parts' statements are merged deterministically (near-duplicates from the overlap
  kept once) and the merged note is grounded against the whole transcript, exactly as a long
  visit is. A visit shorter than one part is drafted exactly as :class:`NoteDrafter` would,
  from the warm prefix.
* **Stable speaker labels.** Labels are inferred from content and turn structure over the whole
  transcript, so a late segment could relabel an early one and change the prompt's prefix. A
  segment's label is frozen once ``settle_segments`` newer segments follow it.
* **Cores.** Speech recognition and the model share two cores. During the visit the model runs
  on ``background_threads`` (1); :meth:`hold` (Stop) pauses background decoding between tokens
  so the recogniser's final decode gets the CPU, and :meth:`stream` gives the model all its
  threads again.

Nothing here needs Qt: the desktop app calls :meth:`update` from a worker on a timer, :meth:`hold`
when Stop is pressed and :meth:`stream` once the transcript is final; the benchmark does the same.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..domain import Encounter, NoteDraft, SpeakerRole, Transcript
from .drafter import DraftEvent, NoteDrafter, format_transcript_lines
from .long_visit import OVERLAP_SEGMENTS, merge_parts

log = logging.getLogger(__name__)

PART_TOKENS = 400  # transcript tokens per part drafted during the visit (~1.5 minutes of talk)
REFRESH_TOKENS = 150  # a section is redrafted once the transcript has grown this much since its draft
STOP_SECTIONS = 1  # rolling note: the last section of the template (the plan) is always drafted at Stop
STALE_TOKENS = 900  # ... and so is a rolling section that has not seen this much of the transcript (~3 min)
SETTLE_SEGMENTS = 4  # a segment's speaker label is frozen once this many segments follow it
WARM_STEP_TOKENS = 64  # prefill at most this much per call, so Stop never waits long for a warm-up


def _same_lines(by_id: dict[int, str], first_id: int, last_id: int, texts: tuple[str, ...]) -> bool:
    """Whether the transcript's lines first_id..last_id are still ``texts`` (what was drafted)."""
    return tuple(by_id[i] for i in range(first_id, last_id + 1) if i in by_id) == texts


def live_part_preamble(k: int, first_id: int) -> str:
    """The part prompt's opening line. It names only where the part starts, so it does not
    change while the part's transcript grows and the warm prefix stays valid."""
    return (
        f"This visit's transcript comes in parts, drafted while the visit goes on. This is part {k}, "
        f"from transcript line {first_id} on. Write the note for what these lines contain; the other "
        "parts are handled separately."
    )


@dataclass
class _Part:
    first_id: int
    last_id: int
    texts: tuple[str, ...]  # the part's lines as drafted (to check they are still the transcript's)
    preamble: str
    note: NoteDraft  # ungrounded
    events: list[DraftEvent] = field(default_factory=list)  # its section/statement events


@dataclass
class _SectionDraft:
    """A section drafted during the visit from the transcript up to ``last_id``."""

    key: str
    last_id: int
    texts: tuple[str, ...]  # every line it was drafted from (to check they are still the transcript's)
    statements: list  # ungrounded Statements


@dataclass
class LiveStats:
    updates: int = 0
    warms: int = 0
    warm_s: float = 0.0
    parts: int = 0
    part_s: float = 0.0
    stale_parts: int = 0  # parts dropped at Stop because their lines changed
    section_drafts: int = 0  # rolling note: sections (re)drafted during the visit
    section_s: float = 0.0
    aborted_sections: int = 0  # left unfinished because Stop was pressed
    caught_up: int = 0  # updates that warmed lines offered while their section was drafted
    stop_mode: str = ""  # "rolling" (rolling sections + the rest at Stop), "full" (whole draft at Stop), "parts"
    stop_update_from: int | None = None  # rolling: the oldest section kept covers the lines before this one
    stop_redrafted: list = field(default_factory=list)  # rolling: the sections drafted at Stop
    stop_wait_s: float = 0.0  # Stop waited this long for background work in flight to yield
    stop_parts: int = 0  # parts drafted at Stop (normally 1: the tail)
    stop_prompt_tokens: int = 0
    stop_cold_tokens: int = 0  # transcript tokens of the Stop request that were not warm (prefilled at Stop)
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
        part_tokens: int = PART_TOKENS,
        settle_segments: int = SETTLE_SEGMENTS,
        overlap: int = OVERLAP_SEGMENTS,
        background_threads: int = 1,
        parts: bool = False,
        rolling: bool | None = None,
        refresh_tokens: int = REFRESH_TOKENS,
        stop_sections: int = STOP_SECTIONS,
        stale_tokens: int = STALE_TOKENS,
    ):
        self.drafter = drafter
        drafter.preamble_last = True  # part k's opening line after the instructions: one cached prefix for all parts
        self.part_tokens = part_tokens
        self.settle_segments = settle_segments
        self.overlap = overlap
        self.background_threads = background_threads
        self.parts_enabled = parts
        # the rolling note asks one section at a time: it needs a sectioned drafter
        self.rolling = (not parts and drafter.sectioned) if rolling is None else (rolling and not parts)
        self.refresh_tokens = refresh_tokens
        self.stale_tokens = stale_tokens
        keys = drafter.template.section_keys()
        # the last section (the plan) is what the end of a visit settles most: drafted at Stop
        self.rolling_keys = keys[: max(0, len(keys) - stop_sections)] if self.rolling else []
        self.rolling = bool(self.rolling_keys)
        self.sections: dict[str, _SectionDraft] = {}
        self._abort = False
        self.parts: list[_Part] = []
        self.stats = LiveStats()
        self._frozen: dict[int, tuple[str, SpeakerRole]] = {}
        self._busy = threading.Lock()
        self._go = threading.Event()
        self._go.set()
        self._stopped = False
        self._warm_state: tuple[str, list[str]] | None = None  # (preamble, lines) of the prompt in the cache
        self._latest: Transcript | None = None  # the newest transcript offered (see offer)
        self._free_threads: threading.Thread | None = None  # started by hold(): the cores free at Stop
        self._stop_threads: int | None = None

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

    def _tail_start(self, segments: list) -> int:
        """Index of the first segment of the part after the drafted ones (overlap included)."""
        if not self.parts:
            return 0
        last = self.parts[-1].last_id
        end = next((i for i, s in enumerate(segments) if s.id > last), len(segments))
        return max(0, end - self.overlap)

    def _tokens(self, segments: list) -> int:
        lines = format_transcript_lines(Transcript(segments=segments))
        return sum(self.runtime.count_tokens(line) + 1 for line in lines)

    def _preamble(self, first_id: int) -> str:
        """The opening line of the next part's prompt (none while no part has been drafted)."""
        return live_part_preamble(len(self.parts) + 1, first_id) if self.parts else self.drafter.preamble

    # ------------------------------------------------------------------ during the visit

    def offer(self, transcript: Transcript) -> None:
        """The newest transcript (the final segments so far), from any thread; cheap.

        A rolling section takes ~30 s to draft on one thread, and the lines spoken meanwhile
        would wait for the next :meth:`update` to be warmed; at Stop they were most of the
        prefill. An update in flight warms up to the transcript offered last once its section
        is drafted."""
        self._latest = transcript  # one reference, swapped atomically

    def update(self, transcript: Transcript | None = None) -> str:
        """Bring the draft up to ``transcript`` (the final segments so far; default: the one
        offered last): draft a part if a long enough settled stretch is undrafted, else warm
        the prompt Stop will send. Returns what was done: "part", "section", "warm" or "idle"."""
        transcript = transcript if transcript is not None else self._latest
        if transcript is None:
            return "idle"
        with self._busy:
            if self._stopped:
                return "idle"
            self.stats.updates += 1
            self._threads(self.background_threads)
            if transcript.is_empty():  # the visit has just begun: prefill the instructions
                return "warm" if self._warm_lines(self.drafter.preamble, []) else "idle"
            prepared = self.prepare(transcript)
            segs = prepared.segments
            start = self._tail_start(segs)
            settled_end = len(segs) - self.settle_segments
            new_from = start + (self.overlap if self.parts else 0)
            if (
                self.parts_enabled
                and settled_end > new_from
                and self._tokens(segs[new_from:settled_end]) >= self.part_tokens
            ):
                self._draft_part(prepared.model_copy(update={"segments": segs[start:settled_end]}))
                return "part"
            if self.rolling:
                return self._roll(prepared)
            return "warm" if self._warm(prepared, start) else "idle"

    def _warm(self, prepared: Transcript, start: int) -> bool:
        segs = prepared.segments[start:]
        if not segs:
            return False
        lines = format_transcript_lines(prepared.model_copy(update={"segments": segs}))
        return self._warm_lines(self._preamble(segs[0].id), lines)

    def _warm_lines(self, preamble: str, lines: list[str]) -> bool:
        """Prefill the prompt (without its closing line) in steps of ~WARM_STEP_TOKENS from what is
        already cached; stops early when Stop is pressed (the final request prefills the rest)."""
        if not self.drafter.fits(
            self.drafter.prompt_tokens(self.drafter._build(lines, closing=False, preamble=preamble))
        ):
            return False
        done = self._warm_prefix(preamble, lines)
        if (
            self._warm_state is not None
            and self._warm_state[0] == preamble
            and done == len(lines) == len(self._warm_state[1])
        ):
            return False  # nothing new
        t0 = time.perf_counter()
        i = max(
            0, min(done, len(lines) - 1)
        )  # (a cached prompt longer than this one: warm it whole, its prefix is cached)
        while i < len(lines) or not lines:
            j, acc = i, 0
            while j < len(lines) and (acc < WARM_STEP_TOKENS or j == i):
                acc += self.runtime.count_tokens(lines[j]) + 1
                j += 1
            if not self._go.is_set():
                break
            self.runtime.warm(self.drafter._build(lines[:j], closing=False, preamble=preamble))
            self._warm_state = (preamble, lines[:j])
            self.stats.warms += 1
            i = j
            if not lines:
                break
        self.stats.warm_s += time.perf_counter() - t0
        return True

    def _warm_prefix(self, preamble: str, lines: list[str]) -> int:
        """How many of ``lines`` (from the first) the warm prompt already holds."""
        done = 0
        if self._warm_state is not None and self._warm_state[0] == preamble:
            warm = self._warm_state[1]
            while done < min(len(lines), len(warm)) and lines[done] == warm[done]:
                done += 1
        return done

    def _cold_tokens(self, preamble: str, lines: list[str]) -> int:
        """Tokens of ``lines`` beyond what the warm prompt already holds."""
        return sum(self.runtime.count_tokens(line) + 1 for line in lines[self._warm_prefix(preamble, lines) :])

    def _draft_part(self, part: Transcript) -> None:
        k = len(self.parts) + 1
        first, last = part.segments[0].id, part.segments[-1].id
        preamble = live_part_preamble(k, first)
        t0 = time.perf_counter()
        self._warm_lines(preamble, format_transcript_lines(part))  # interruptible, unlike one long prefill
        gen = self.drafter.stream_part(part, Encounter(visit_type=self.drafter.template.name), t0, preamble=preamble)
        note, events = self._in_background(gen, abandon_at_stop=False)
        assert note is not None  # a part is never abandoned (abandon_at_stop=False)
        self.parts.append(_Part(first, last, tuple(s.text for s in part.segments), preamble, note, events))
        self.stats.parts += 1
        self.stats.part_s += time.perf_counter() - t0
        log.info("drafted part %d (lines %d-%d) during the visit in %.1f s", k, first, last, time.perf_counter() - t0)

    def _in_background(self, gen, abandon_at_stop: bool) -> tuple[NoteDraft | None, list[DraftEvent]]:
        """Run a drafting generator during the visit: paused between tokens while Stop lets speech
        recognition finish, and (``abandon_at_stop``) dropped at its next token once Stop was
        pressed. Returns its note (None if abandoned) and its section/statement events."""
        events: list[DraftEvent] = []
        try:
            while True:
                self._go.wait()  # Stop pressed: let speech recognition finish first
                if abandon_at_stop and self._abort:
                    gen.close()
                    return None, events
                ev = next(gen)
                if ev.kind in ("section", "statement"):
                    events.append(ev)
        except StopIteration as done:
            return done.value, events

    # ------------------------------------------------------------------ rolling note

    def _due_section(self, segs: list) -> str | None:
        """The section to redraft now: never drafted, or drafted longest ago, once the transcript
        has grown ``refresh_tokens`` since. (All final lines are used, settled or not: the request
        then extends the warm prompt, and a speaker label that changes later only costs a re-read
        from that line on.)"""
        if not segs:
            return None
        best, best_last = None, None
        for key in self.rolling_keys:
            done = self.sections.get(key)
            last = done.last_id if done is not None else -1
            if best_last is None or last < best_last:
                best, best_last = key, last
        if best is None:
            return None
        grown = [s for s in segs if s.id > best_last]
        if grown and self._tokens(grown) >= self.refresh_tokens:
            return best
        return None

    def _roll(self, prepared: Transcript) -> str:
        """One step of the rolling note: redraft the oldest section if due, then keep the Stop
        request's prompt warm."""
        segs = prepared.segments
        key = self._due_section(segs)
        if key is not None:
            self._draft_section(key, prepared)
            newest = self._latest  # what was said while the section was drafted
            if newest is not None and newest.segments and newest.segments[-1].id > segs[-1].id and not self._abort:
                prepared = self.prepare(newest)
                self.stats.caught_up += 1
        warmed = self._warm(prepared, 0)
        return "section" if key is not None else ("warm" if warmed else "idle")

    def _draft_section(self, key: str, part: Transcript) -> bool:
        """Draft one section from the transcript so far, as a from-scratch draft would ask for it.
        Returns False if Stop was pressed first or drafting failed (the earlier draft stays)."""
        from ..errors import DraftingError

        t0 = time.perf_counter()
        lines = format_transcript_lines(part)
        self._warm_lines(self.drafter.preamble, lines)  # interruptible prefill of what is new
        stats = self.drafter.stats
        gen = self.drafter.stream_part(part, Encounter(visit_type=self.drafter.template.name), t0, sections=[key])
        try:
            note, _ = self._in_background(gen, abandon_at_stop=True)
        except DraftingError as exc:
            log.info("drafting section %s during the visit failed: %s", key, exc)
            return False
        finally:
            self.drafter.stats = stats
        if note is None:
            self.stats.aborted_sections += 1
            return False
        sec = note.section(key)
        self.sections[key] = _SectionDraft(
            key, part.segments[-1].id, tuple(s.text for s in part.segments), list(sec.statements) if sec else []
        )
        self._warm_state = (self.drafter.preamble, lines)  # the prompt up to its last line is cached
        self.stats.section_drafts += 1
        self.stats.section_s += time.perf_counter() - t0
        log.info(
            "drafted section %s (lines up to %d) during the visit in %.1f s",
            key,
            part.segments[-1].id,
            time.perf_counter() - t0,
        )
        return True

    def _kept(self, segments: list) -> list[str]:
        """The rolling sections that stand at Stop: those that have seen all but ``stale_tokens``
        of the transcript."""
        return [
            k
            for k in self.rolling_keys
            if k in self.sections
            and self._tokens([s for s in segments if s.id > self.sections[k].last_id]) < self.stale_tokens
        ]

    def kept_sections(self, transcript: Transcript) -> list[tuple[str, list]]:
        """What Stop will show at once for this transcript: (section key, statements) of the
        rolling sections that stand. The app calls it at Stop, so the physician sees them while
        the recogniser finishes; it then passes their keys to :meth:`stream` as ``shown``."""
        if not self.rolling or any(k not in self.sections for k in self.rolling_keys):
            return []
        sections = dict(self.sections)
        segments = [s for s in transcript.segments if s.text.strip()]
        return [(k, list(sections[k].statements)) for k in self._kept(segments)]

    def _stream_rolling(
        self,
        prepared: Transcript,
        by_id: dict[int, str],
        encounter: Encounter,
        t0: float,
        shown: frozenset = frozenset(),
    ):
        """At Stop: the sections drafted during the visit at once, then the sections left for Stop
        (the last ``stop_sections``, and any rolling one that has not seen ``stale_tokens`` of the
        transcript) drafted now from the warm prompt, exactly as a from-scratch draft asks for them.
        Returns the (ungrounded) note, or None when a rolling section is missing."""
        for key, d in list(self.sections.items()):  # lines changed under a section (they never should): drop it
            if not _same_lines(by_id, 0, d.last_id, d.texts):
                del self.sections[key]
        if any(k not in self.sections for k in self.rolling_keys):
            return None
        drafter = self.drafter
        lines = format_transcript_lines(prepared)
        n = drafter.prompt_tokens(drafter._build(lines))
        if not drafter.fits(n):
            return None  # (a very long visit) drafted from scratch instead, in parts
        self.stats.stop_prompt_tokens = drafter.stats.prompt_tokens = n
        self.stats.stop_cold_tokens = self._cold_tokens(drafter.preamble, lines)
        kept = self._kept(prepared.segments)
        # what the app already showed stands (the final lines made it at most a few lines staler)
        keep = [k for k in self.rolling_keys if k in kept or k in shown]
        self.stats.stop_redrafted = [k for k in drafter.template.section_keys() if k not in keep]
        for key in keep:  # on screen at once (unless the app showed them already)
            if key in shown:
                continue
            yield DraftEvent(kind="section", section_key=key)
            for st in self.sections[key].statements:
                if self.stats.first_event_s is None:
                    self.stats.first_event_s = time.perf_counter() - t0
                yield DraftEvent(kind="statement", section_key=key, statement=st)
        self.stats.stop_update_from = min((self.sections[k].last_id for k in keep), default=-1) + 1
        fresh = yield from self._timed(
            drafter.stream_part(prepared, encounter, t0, sections=self.stats.stop_redrafted), t0
        )
        from ..domain import Section

        return fresh.model_copy(
            update={
                "sections": [
                    Section(
                        key=sec.key,
                        title=sec.title,
                        style=sec.style,
                        statements=list(self.sections[sec.key].statements) if sec.key in keep else sec.statements,
                    )
                    for sec in fresh.sections
                ]
            }
        )

    # ------------------------------------------------------------------ at Stop

    def hold(self) -> None:
        """Stop was pressed: pause background decoding (between tokens) until :meth:`stream`.
        A section of the rolling note in flight is abandoned (its earlier draft stays)."""
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
        """The final draft of the finished ``transcript``: what was drafted during the visit is
        replayed at once (rolling sections in ``shown`` are on screen already), the rest is drafted
        now with all threads, then merged and grounded."""
        from ..errors import DraftingError

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
        with self._busy:  # an update in flight yields first (a part in flight is finished: it is needed)
            self.stats.stop_wait_s = time.perf_counter() - t0
            self._stopped = True
            encounter = encounter or Encounter(visit_type=self.drafter.template.name)
            prepared = self.prepare(transcript)
            segs = prepared.segments
            by_id = {s.id: s.text for s in segs}
            for n, part in enumerate(self.parts):  # a part whose lines changed (they never should) is redrafted
                if not _same_lines(by_id, part.first_id, part.last_id, part.texts):
                    self.stats.stale_parts += len(self.parts) - n
                    self.parts = self.parts[:n]
                    break
            drafter = self.drafter
            drafter.stats = type(drafter.stats)()
            if self.rolling and self.sections:
                note = yield from self._stream_rolling(prepared, by_id, encounter, t0, frozenset(shown))
                if note is not None:
                    self.stats.stop_mode = "rolling"
                    note = yield from self._finish(note, prepared, encounter, t0)
                    return
            self.stats.stop_mode = "parts" if self.parts else "full"
            for part in self.parts:
                for ev in part.events:
                    if self.stats.first_event_s is None:
                        self.stats.first_event_s = time.perf_counter() - t0
                    yield ev
            start = self._tail_start(segs)
            tail = prepared.model_copy(update={"segments": segs[start:]})
            notes = [p.note for p in self.parts]
            if tail.segments and (not self.parts or any(s.id > self.parts[-1].last_id for s in tail.segments)):
                preamble = self._preamble(tail.segments[0].id)
                lines = format_transcript_lines(tail)
                self.stats.stop_cold_tokens = self._cold_tokens(preamble, lines)
                self.stats.stop_prompt_tokens = drafter.prompt_tokens(drafter._build(lines, preamble=preamble))
                drafter.stats.prompt_tokens = self.stats.stop_prompt_tokens
                if drafter.fits(self.stats.stop_prompt_tokens):
                    note = yield from self._timed(drafter.stream_part(tail, encounter, t0, preamble=preamble), t0)
                    notes.append(note)
                    self.stats.stop_parts += 1
                else:  # the tail alone overflows the window (parts off, or a very long visit): split it
                    from .long_visit import stream_in_parts

                    note = yield from self._timed(stream_in_parts(drafter, tail, encounter, t0), t0)
                    notes.append(note)
                    self.stats.stop_parts += drafter.stats.extra.get("parts", 1)
            note = notes[0] if len(notes) == 1 and not self.parts else merge_parts(notes, drafter.template, encounter)
            yield from self._finish(note, prepared, encounter, t0)

    def _finish(self, note: NoteDraft, prepared: Transcript, encounter: Encounter, t0: float):
        """Medication coverage, spelling and grounding against the whole transcript, exactly as
        :meth:`NoteDrafter.stream` finishes; then the done event."""
        note = yield from self.drafter.complete(note, prepared, encounter)
        self.stats.total_s = time.perf_counter() - t0
        self.drafter.stats.total_s = self.stats.total_s
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

    def draft(self, transcript: Transcript, encounter: Encounter | None = None) -> NoteDraft:
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


def draft_from_scratch(drafter: NoteDrafter, prepared: Transcript, encounter: Encounter | None = None) -> NoteDraft:
    """The reference a live draft is compared with: the same (already labelled) transcript drafted
    in one go by ``drafter`` with nothing warm, as a post-visit pipeline would."""
    plain = NoteDrafter(
        drafter.runtime,
        drafter.template,
        max_tokens=drafter.max_tokens,
        max_attempts=drafter.max_attempts,
        medications=drafter.medications,
        sectioned=drafter._sectioned,
        section_max_tokens=drafter.section_max_tokens,
        system_prompt=drafter.system_prompt,
        preamble=drafter.preamble,
        label_speakers=False,
        cite=drafter.cite,
        cover_medications=drafter.cover_medications,
    )
    return plain.draft(prepared, encounter)
