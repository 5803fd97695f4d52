"""Patient instructions: a plain-language after-visit summary, grounded like the note.

The summary is drafted by the same machinery as the note (:class:`NoteDrafter`: schema-constrained
JSON statements, streamed events) with its own template
and a system prompt that asks for plain words addressed to the patient. It is then checked by the
same grounding check, so a medication, dose, number or warning sign nobody said is flagged for the
physician before the patient ever sees it. The physician reviews and approves it like a note
(:mod:`scribe.approval` works on it unchanged).

If the clinician's note is passed in, its assessment and plan are shown to the model as context,
so the summary agrees with what the physician signed; the evidence is still the transcript.

    writer = InstructionsWriter(runtime)
    summary = writer.draft(transcript, note=note)
    print(render_instructions(summary))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..domain import Encounter, NoteDraft, StatementStatus, Transcript
from .drafter import DraftEvent, NoteDrafter
from .templates import Template, parse_template

TEMPLATE_NAME = "after_visit_summary"

AVS_TEMPLATE = """
name = "after_visit_summary"
title = "After-visit summary"
loinc_code = "69730-0"
loinc_display = "Instructions"
style = "bullets"

[[sections]]
key = "about_your_visit"
title = "About your visit"
instructions = "Why the patient came in and what the doctor found or thinks is going on, in everyday words, written to the patient as you: each sentence starts with You or Your doctor."

[[sections]]
key = "your_medicines"
title = "Your medicines"
instructions = "Each medicine the doctor started, changed, stopped or asked the patient to keep taking: its name, the dose and how often, exactly as said, and whether it is new, changed, stopped or the same. A changed medicine only with its new dose."

[[sections]]
key = "what_to_do"
title = "What to do"
instructions = "What the patient should do at home and which tests, referrals or appointments were arranged, as said."

[[sections]]
key = "when_to_come_back"
title = "When to come back"
instructions = "When the follow-up visit or call is, as said."

[[sections]]
key = "warning_signs"
title = "Call us or get help right away if"
instructions = "Warning signs the doctor told the patient to watch for or call about. Only signs that were said; empty if none were."
"""

AVS_SYSTEM_PROMPT = (
    "You write the after-visit summary a patient takes home after a doctor's visit. Write in plain, "
    "everyday English a 12-year-old could follow: short sentences, common words, medical words "
    'explained, addressed to the patient as "you". Use ONLY what was said in the transcript. Never add '
    "a medication, dose, number, test, diagnosis, instruction or warning sign that was not said. Give "
    "every medicine with the dose and timing that was said for it. If nothing was said for a section, give "
    "an empty list."
)


def instructions_template() -> Template:
    return parse_template(AVS_TEMPLATE, "<after-visit summary>")


def _note_context(note: NoteDraft) -> str:
    keep = [s for s in note.sections if any(w in s.key for w in ("assessment", "plan", "impression", "recommend"))]
    keep = keep or note.sections
    lines = [
        f"{sec.title}: " + " ".join(st.text for st in sec.statements if st.status != StatementStatus.unsupported)
        for sec in keep
        if sec.statements
    ]
    if not lines:
        return ""
    return "The doctor's note for this visit says (use it to choose what matters):\n" + "\n".join(lines)


class InstructionsWriter:
    """Drafts after-visit summaries with one runtime; reusable across visits."""

    def __init__(
        self,
        runtime,
        *,
        medications: set[str] | None = None,
        section_max_tokens: int = 400,
    ):
        self.template = instructions_template()
        self.runtime = runtime
        self.medications = medications
        self.section_max_tokens = section_max_tokens
        self.drafter: NoteDrafter | None = None

    def _drafter(self, note: NoteDraft | None) -> NoteDrafter:
        self.drafter = NoteDrafter(
            self.runtime,
            self.template,
            medications=self.medications,
            section_max_tokens=self.section_max_tokens,
            system_prompt=AVS_SYSTEM_PROMPT,
            preamble=_note_context(note) if note else "",
            clinical=False,  # addressed to the patient, in plain words
        )
        return self.drafter

    def stream(
        self, transcript: Transcript, encounter: Encounter | None = None, note: NoteDraft | None = None
    ) -> Iterator[DraftEvent]:
        encounter = encounter or (note.encounter if note else None)
        return self._drafter(note).stream(transcript, encounter)

    def draft(
        self,
        transcript: Transcript,
        encounter: Encounter | None = None,
        note: NoteDraft | None = None,
        on_event: Callable[[DraftEvent], None] | None = None,
    ) -> NoteDraft:
        summary = None
        for ev in self.stream(transcript, encounter, note):
            if on_event:
                on_event(ev)
            if ev.kind == "done":
                summary = ev.note
        assert summary is not None
        return summary


def render_instructions(summary: NoteDraft, patient_name: str | None = None) -> str:
    """The summary as the patient reads it: friendly headings, empty sections left out.

    Statements the grounding check flagged are marked so a printout made before review cannot
    pass for a checked one.
    """
    name = patient_name or (
        summary.encounter.patient_name if summary.encounter.patient_name != "Unknown patient" else ""
    )
    out = [f"After-visit summary{' for ' + name if name else ''}", ""]
    for sec in summary.sections:
        if not sec.statements:
            continue
        out.append(sec.title)
        for st in sec.statements:
            flag = "  [to be checked by your doctor]" if st.status == StatementStatus.unsupported else ""
            out.append(f"  • {st.text}{flag}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
