"""What the drafter asks the model about a visit, and the typed facts the answers become.

A 1.5B model extracts better than it composes: asked for a whole note (or a whole SOAP section) it
writes a short, generic one, fills an exam nobody did from habit and drifts into the dialogue's own
words. Asked one narrow question at a time about the transcript in front of it ("the history of the
present illness", "the physical exam, only what was examined", "the plan for *this* problem") it
answers fully and mostly faithfully. So a note is drafted as a fixed series of :class:`Question`\\ s,
each answered as schema-constrained JSON, every answer parsed into :class:`Fact`\\ s of one
:class:`Block` (chief complaint, HPI, medications, exam, ...), and the note's sections are composed
from the blocks (:mod:`scribe.drafting.compose`) by rule, not by the model.

Every question shares one prompt prefix (system prompt, then the numbered transcript) and differs only
in its last line, so the transcript is prefilled once (or kept warm during the visit) and each
question costs only its answer. Template sections that name no blocks (a clinic's own sections, the
after-visit summary) are asked as free questions built from their instructions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..domain import SpeakerRole, Transcript
from .templates import Block, Template, TemplateSection

SYSTEM_PROMPT = (
    "You are a careful medical scribe. You answer questions about one doctor-patient visit from its transcript. "
    'Write in clinical English and in the third person ("The patient reports ..."), never "I", "we" or "you", '
    "and never copy the dialogue as a quote. Use only facts stated in the transcript: never add a symptom, "
    "finding, number, drug, dose or diagnosis that was not said. Keep symptoms the patient denied as denied. "
    "Keep each medication with the dose said for it; for a changed dose give the old and the new dose. "
    "Transcript lines are labelled Doctor or Patient."
)

# What a statement may contain while decoding: printable ASCII (a multilingual model otherwise drifts
# into another script mid-note) without '"' and '\' (with the quote allowed, a looping model wrote
# '..., "No nausea", "No sweating", ...' inside one string). The repetition bound is in the pattern
# itself: llama.cpp's schema converter ignores maxLength on a string that has a pattern.
STATEMENT_CHARS = r"[ !#-\[\]-~]"
MAX_ANSWER_CHARS = 600


def text_schema(max_chars: int = MAX_ANSWER_CHARS, min_chars: int = 0) -> dict:
    """A string of statement characters, its length bounded in the pattern (no drug name or other text
    of the visit ever goes into a pattern: the grammar is the same for every visit)."""
    return {"type": "string", "pattern": f"^{STATEMENT_CHARS}{{{min_chars},{max_chars}}}$"}


def list_schema(max_items: int, max_chars: int = MAX_ANSWER_CHARS) -> dict:
    return {"type": "array", "items": text_schema(max_chars, 3), "maxItems": max_items}


def object_schema(properties: dict) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


SEXES = ("male", "female", "")
MAX_PROBLEMS = 4
# body systems of the review of systems and of the exam (closed sets: the model picks, the note names)
ROS_SYSTEMS = (
    "constitutional",
    "eyes",
    "ears, nose and throat",
    "cardiovascular",
    "respiratory",
    "gastrointestinal",
    "genitourinary",
    "musculoskeletal",
    "skin",
    "neurological",
    "psychiatric",
    "endocrine",
    "hematologic",
)
EXAM_SYSTEMS = (
    "general",
    "head and neck",
    "eyes",
    "ears, nose and throat",
    "cardiovascular",
    "respiratory",
    "chest and breasts",
    "abdomen",
    "genitourinary",
    "musculoskeletal",
    "extremities",
    "skin",
    "neurological",
    "psychiatric",
)


@dataclass(frozen=True)
class Fact:
    """One statement for the note: its text, the block it belongs to (or a free section's key), the
    transcript lines it is known to come from, and for assessment and plan the problem it is about."""

    text: str
    block: str
    evidence: tuple[int, ...] = ()
    problem: str = ""
    label: str = ""  # what it is about, shown before it: a body system (review of systems, exam), a plan item's kind
    polarity: str = ""  # review of systems: "reports" or "denies"


@dataclass
class Patient:
    name: str = ""
    age: str = ""
    sex: str = ""  # "male", "female" or ""


@dataclass
class VisitFacts:
    """Everything the answers said, in the order they were given."""

    patient: Patient = field(default_factory=Patient)
    facts: list[Fact] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def of(self, block: str) -> list[Fact]:
        return [f for f in self.facts if f.block == block]


@dataclass(frozen=True)
class AnswerField:
    """One field of an answer and where its content goes.

    ``kind``: "list" (statements of ``block``), "text" (one short string: a patient field, or one
    statement of ``block``), "sex", "systems" (review of systems: a body system with the symptoms
    reported and denied), "findings" (exam: a body system with its findings), "results" (each test
    with its result), "assessment_plan" (each problem with its assessment and plan)."""

    name: str
    block: str
    kind: str = "list"
    max_items: int = 10
    max_chars: int = 300
    label: str = ""  # shown before each of its statements

    def schema(self) -> dict:
        if self.kind == "sex":
            return {"type": "string", "enum": list(SEXES)}
        if self.kind == "text":
            return text_schema(self.max_chars)
        if self.kind == "assessment_plan":
            item = object_schema(
                {"problem": text_schema(80, 3), "assessment": text_schema(240), "plan": list_schema(8, 240)}
            )
            # at least one: a visit addresses something (and an empty list is where a small model goes
            # when unsure)
            return {"type": "array", "items": item, "minItems": 1, "maxItems": self.max_items}
        if self.kind == "systems":
            item = object_schema(
                {
                    "system": {"type": "string", "enum": list(ROS_SYSTEMS)},
                    "reported": list_schema(6, 80),
                    "denied": list_schema(8, 80),
                }
            )
            return {"type": "array", "items": item, "maxItems": self.max_items}
        if self.kind == "findings":
            item = object_schema(
                {"system": {"type": "string", "enum": list(EXAM_SYSTEMS)}, "findings": list_schema(4, 160)}
            )
            return {"type": "array", "items": item, "maxItems": self.max_items}
        if self.kind == "results":
            item = object_schema({"test": text_schema(80, 2), "result": text_schema(self.max_chars)})
            return {"type": "array", "items": item, "maxItems": self.max_items}
        return list_schema(self.max_items, self.max_chars)

    def hint(self) -> str:
        if self.kind in ("text", "sex"):
            return f'"{self.name}": "..."'
        if self.kind == "assessment_plan":
            return f'"{self.name}": [{{"problem": "...", "assessment": "...", "plan": [...]}}, ...]'
        if self.kind == "systems":
            return f'"{self.name}": [{{"system": "...", "reported": [...], "denied": [...]}}, ...]'
        if self.kind == "findings":
            return f'"{self.name}": [{{"system": "...", "findings": [...]}}, ...]'
        if self.kind == "results":
            return f'"{self.name}": [{{"test": "...", "result": "..."}}, ...]'
        return f'"{self.name}": ["...", ...]'


@dataclass(frozen=True)
class Question:
    """One narrow question: the prompt's last line, the answer's fields and where they go."""

    key: str
    text: str
    fields: tuple[AnswerField, ...]
    max_tokens: int = 400
    problem: str = ""
    evidence: tuple[int, ...] = ()  # lines the question is about (a stretch of the transcript)

    def schema(self) -> dict:
        return object_schema({f.name: f.schema() for f in self.fields})

    @property
    def blocks(self) -> list[str]:
        return [f.block for f in self.fields if f.block]


def _f(
    name: str,
    block: Block | str,
    kind: str = "list",
    max_items: int = 10,
    max_chars: int = 300,
    label: str = "",
) -> AnswerField:
    return AnswerField(name, block.value if isinstance(block, Block) else block, kind, max_items, max_chars, label)


PATIENT = Question(
    "patient",
    "Who is the patient and why did they come? Give the patient's name, age in years and sex as said in the "
    "transcript (an empty string for what was not said) and the chief complaint: the main symptom or concern the "
    "patient came with, in a few words.",
    (
        _f("name", "", "text", max_chars=60),
        _f("age", "", "text", max_chars=20),
        _f("sex", "", "sex"),
        _f("chief_complaint", Block.chief_complaint, "text", max_chars=100),
    ),
    max_tokens=70,
)

BLOCK_QUESTIONS: dict[Block, Question] = {
    Block.history_of_present_illness: Question(
        "hpi",
        "Write the history of present illness in full sentences: for each symptom or concern the patient reports, "
        "when it started, how long it has lasted, where it is, what it feels like, how severe it is, when it "
        "happens, what makes it better or worse, what the patient has tried and whether it helped; then the "
        "symptoms the patient denies.",
        # (a string may hold the whole history: the model often writes it as one paragraph, and a cap of
        # 600 characters cut it off after five sentences of a visit whose reference history has fifteen;
        # 1000 is about the most llama.cpp's grammar parser accepts for one repetition)
        (_f("history_of_present_illness", Block.history_of_present_illness, max_items=16, max_chars=1000),),
        max_tokens=500,
    ),
    Block.medical_history: Question(
        "medical_history",
        "Which illnesses and operations has the patient had before this visit, as said? A short phrase each; an "
        "empty list if none were mentioned.",
        (_f("medical_history", Block.medical_history, max_chars=120),),
        max_tokens=100,
    ),
    Block.medications: Question(
        "medications",
        "Which medications did the patient already take before this visit, each with its dose and how often as "
        "said, and which drug allergies does the patient have? Empty lists for what was not mentioned.",
        (
            _f("medications", Block.medications, max_items=12, max_chars=120),
            _f("allergies", Block.allergies, max_items=4),
        ),
        max_tokens=150,
    ),
    Block.social_history: Question(
        "social_history",
        "What did the patient say about their own life (work, habits, home) and about illnesses in their family? "
        "A short sentence each; empty lists if nothing was said.",
        (
            _f("social_history", Block.social_history, max_items=6, max_chars=160),
            _f("family_history", Block.family_history, max_items=5, max_chars=160),
        ),
        max_tokens=150,
    ),
    Block.review_of_systems: Question(
        "review_of_systems",
        "Review of systems: for each body system the patient was asked about or mentioned, the symptoms the "
        "patient reports and the symptoms the patient denies, a few words each.",
        (_f("review_of_systems", Block.review_of_systems, "systems", max_items=8),),
        max_tokens=260,
    ),
    Block.physical_exam: Question(
        "physical_exam",
        "What did the doctor find when examining the patient in this visit: the vital signs with the values that "
        "were said, and what the doctor said about each body part looked at, listened to, pressed or tested? Empty "
        "lists if there was no examination or no vital signs were said.",
        (
            _f("vital_signs", Block.vital_signs, max_items=6, max_chars=80),
            _f("physical_exam", Block.physical_exam, "findings", max_items=8),
        ),
        max_tokens=260,
    ),
    Block.results: Question(
        "results",
        "Which test results (blood work, imaging, ECG and other studies) were already available and discussed in "
        "this visit? Each test with its result as said; not tests that were only ordered. An empty list if none.",
        # (asked as a list of strings, the model often gave the tests' names alone, "creatinine", "abdominal
        # x-rays", and the results the doctor read out were lost: a slot for the result asks for it)
        (_f("results", Block.results, "results", max_items=8, max_chars=200),),
        max_tokens=160,
    ),
}
# blocks answered by another block's question
BLOCK_QUESTIONS[Block.allergies] = BLOCK_QUESTIONS[Block.medications]
BLOCK_QUESTIONS[Block.family_history] = BLOCK_QUESTIONS[Block.social_history]
BLOCK_QUESTIONS[Block.vital_signs] = BLOCK_QUESTIONS[Block.physical_exam]

ASSESSMENT_PLAN = Question(
    "assessment_plan",
    "Assessment and plan: for each problem the doctor addressed in this visit (the diagnosis, or the complaint if "
    "no diagnosis was made), the doctor's assessment in one sentence (what the doctor thinks it is and why), and the "
    "plan for it: each thing the doctor decided, prescribed, ordered or advised for it, one short sentence each.",
    # (named "problems", the field got an empty list from the bundled model; "assessment_and_plan" it fills)
    (_f("assessment_and_plan", "", "assessment_plan", max_items=MAX_PROBLEMS),),
    max_tokens=600,
)


def medication_question(drug: str, lines: tuple[int, ...] = ()) -> Question:
    """What was said about one drug the note left out (the medication pass)."""
    return Question(
        f"medication:{drug}",
        f"What was said about {drug}: does the patient take it or did they try it, or did the doctor start, "
        "continue, change or stop it? Give the dose and how often if said. One or two sentences that name "
        f"{drug}.",
        (_f("statements", Block.medications, max_items=2, max_chars=200),),
        max_tokens=90,
        evidence=lines,
    )


FOLLOW_UP = Question(
    "follow_up",
    "When should the patient come back or be contacted? One short sentence; an empty list if it was not said.",
    (_f("follow_up", Block.follow_up, max_items=2, max_chars=160),),
    max_tokens=60,
)

STYLE_HINTS = {
    "bullets": "short clinical phrases, one fact each",
    "prose": "complete sentences that read as a paragraph when joined",
}
# a section written for the patient (the after-visit summary): "clinical phrases" made the model
# write about "the patient" in a text addressed to them
PLAIN_STYLE_HINTS = {
    "bullets": "short sentences in everyday words, addressed to the patient as you, one fact each",
    "prose": "complete sentences in everyday words, addressed to the patient as you",
}


def section_question(
    template: Template, section: TemplateSection, max_tokens: int = 400, clinical: bool = True
) -> Question:
    """A section that names no blocks (a clinic's own, the after-visit summary): asked as written."""
    hints = STYLE_HINTS if clinical else PLAIN_STYLE_HINTS
    return Question(
        f"section:{section.key}",
        f"Write the section {section.title} ({hints[template.section_style(section.key)]}): "
        f"{section.instructions} An empty list if nothing was said for it.",
        (_f(section.key, section.key, max_items=14, max_chars=MAX_ANSWER_CHARS),),
        max_tokens=max_tokens,
    )


def blocks_of(template: Template) -> list[Block]:
    return [Block(b) for s in template.sections for b in s.content]


def questions_for(template: Template, section_max_tokens: int = 400, clinical: bool = True) -> list[Question]:
    """The questions a template needs before its problems are known, in note order. The patient
    question comes first when the note has a history or a chief complaint (it names who presents with
    what); the problems question comes when the note has an assessment or a plan."""
    wanted = set(blocks_of(template))
    out: list[Question] = []
    if wanted & {Block.chief_complaint, Block.history_of_present_illness}:
        out.append(PATIENT)
    for section in template.sections:
        if not section.content:
            out.append(section_question(template, section, section_max_tokens, clinical))
            continue
        for block in section.content:
            q = BLOCK_QUESTIONS.get(Block(block))
            if q is not None and q not in out:
                out.append(q)
    if wanted & {Block.assessment, Block.plan}:
        out.append(ASSESSMENT_PLAN)
    if Block.follow_up in wanted:
        out.append(FOLLOW_UP)
    return out


# ----------------------------------------------------------------------------- prompt


def _speaker(role: SpeakerRole) -> str:
    return {"clinician": "Doctor", "patient": "Patient"}.get(role.value, "Speaker")


def format_transcript_lines(transcript: Transcript) -> list[str]:
    return [f"[{s.id}] {_speaker(s.speaker)}: {s.text.strip()}" for s in transcript.segments if s.text.strip()]


def answer_hint(question: Question) -> str:
    """The answer's shape in words (constrained decoding enforces it; an unconstrained runtime needs it)."""
    return "Answer with JSON only: {" + ", ".join(f.hint() for f in question.fields) + "}"


def build_messages(
    transcript_lines: list[str],
    question: Question | None = None,
    *,
    system_prompt: str = SYSTEM_PROMPT,
    preamble: str = "",
) -> list[dict]:
    """System prompt, then the numbered transcript, then the question (none: the prefix every
    question shares, for warming)."""
    body = (preamble + "\n\n" if preamble else "") + "Transcript:\n" + "\n".join(transcript_lines)
    if question is not None:
        body += f"\n\nEnd of transcript. {question.text} {answer_hint(question)}"
    return [{"role": "system", "content": system_prompt}, {"role": "user", "content": body}]


# ----------------------------------------------------------------------------- answers


def _strings(value, limit: int = 0) -> list[str]:
    """The answer's strings. With ``limit`` (the field's length cap), each string the cap cut off goes back to
    its last full sentence, and the next string, when it only carries on the cut sentence ("...has an infe",
    "tion of some kind. The doctor also ordered ..."), loses that broken head: the grammar made the model
    start a new string mid-sentence."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    out = []
    for item in value:
        if isinstance(item, dict):
            item = item.get("text") or item.get("statement") or ""
        if isinstance(item, str) and item.strip():
            out.append(item.strip())
    if not limit:
        return out
    kept, cut = [], False
    for text in out:
        if cut and text[:1].islower():
            end = _SENTENCE_END.search(text)
            text = text[end.end() :].strip() if end else ""
        cut = len(text) >= limit - 2 and text[-1:] not in ".!?"
        if text:
            kept.append(_uncut(text, limit))
    return kept


_SENTENCE_END = re.compile(r"[.!?](?:\s+|$)")


_NOTHING = re.compile(
    r"^(?:[\w ]{1,40}:\s*)?(?:none|n/?a|unknown|not applicable|no(?:ne)?\s+(?:\w+\s+){0,3}(?:mentioned|discussed|"
    r"stated|reported|given|provided|noted|said)|not\s+(?:mentioned|discussed|stated|specified|examined|said)|"
    r"(?:not|not yet)\s+(?:available|done|known)|unavailable|"
    r"take care|thank you|thanks|good luck|see you(?: then| soon)?|goodbye|bye|finali[sz]e the note)\.?$",
    re.I,
)


_FIELD_NAME = re.compile(r"^[a-z]+(?:_[a-z]+)+\.?$")


def is_filler(text: str) -> bool:
    """An answer that says there is nothing ("None", "No allergies mentioned"), or that is only a field's name
    ("family_history", written as the social history's item by the bundled model): not a fact."""
    return bool(_NOTHING.match(text.strip()) or _FIELD_NAME.match(text.strip().lower()))


def _system_title(system: str) -> str:
    return {"ears, nose and throat": "ENT", "head and neck": "Head and neck", "chest and breasts": "Chest"}.get(
        system, system[:1].upper() + system[1:]
    )


def _join(items: list[str]) -> str:
    items = [i.strip().rstrip(".") for i in items if i.strip()]
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else (items[0] if items else "")


def _system_items(f: AnswerField, value) -> list[tuple[str, str, str]]:
    """Review of systems or exam items as (body system, polarity, item): the note groups them by
    system ("Respiratory: Reports cough. Denies shortness of breath.") after each item is checked."""
    out = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict):
            continue
        system = str(item.get("system", "")).strip().lower()
        title = _system_title(system) if system else ""
        if f.kind == "systems":
            out += [(title, "reports", x) for x in _strings(item.get("reported"))]
            out += [(title, "denies", x) for x in _strings(item.get("denied"))]
        else:
            out += [(title, "", x) for x in _strings(item.get("findings"), 160)]
    return out


def _results(value) -> list[str]:
    """Results answers as statements: "Creatinine: up slightly" (a test without its result is kept as
    the model wrote it, for the composer to drop unless it states a result itself)."""
    out = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict):
            continue
        test, result = (str(item.get(k) or "").strip().rstrip(".") for k in ("test", "result"))
        if test and result and not is_filler(result):
            if result[1:2].islower():  # "Positive" -> "positive" (an acronym such as "MRI normal" stays)
                result = result[:1].lower() + result[1:]
            out.append(f"{_sentence_case(test)}: {result}")
        elif test:
            out.append(_sentence_case(test))
    return out


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def parse_answer(question: Question, data: dict, facts: VisitFacts) -> list[Fact]:
    """Add one answer to ``facts``; returns the new facts (statements not yet cleaned: see
    :func:`scribe.drafting.compose.clean_text`)."""
    lowered = {str(k).lower().replace(" ", "_"): v for k, v in (data or {}).items()}
    new: list[Fact] = []
    for f in question.fields:
        value = lowered.get(f.name)
        if not f.block and f.kind in ("text", "sex"):  # the patient's name, age, sex
            text = value.strip() if isinstance(value, str) else ""
            if text and not is_filler(text):
                setattr(facts.patient, f.name, text.lower() if f.kind == "sex" else text)
            continue
        if f.kind in ("systems", "findings"):
            items = _system_items(f, value)
        elif f.kind == "results":
            items = [(f.label, "", text) for text in _results(value)[: f.max_items]]
        elif f.kind == "assessment_plan":
            items = []
            for entry in value if isinstance(value, list) else []:
                if not isinstance(entry, dict):
                    continue
                problem = str(entry.get("problem") or "").strip()
                if not problem or is_filler(problem) or echoes(problem, question.text):
                    continue
                if problem.lower() not in map(str.lower, facts.problems):
                    facts.problems.append(problem)
                for block, key, limit in ((Block.assessment.value, "assessment", 240), (Block.plan.value, "plan", 240)):
                    for text in _strings(entry.get(key), limit):
                        if not is_filler(text) and not echoes(text, question.text):
                            new.append(Fact(text, block, question.evidence, problem))
            continue
        else:
            items = [(f.label, "", t) for t in _strings(value, f.max_chars)[: f.max_items]]
        for label, polarity, text in items:
            if text and not is_filler(text) and not echoes(text, question.text):
                new.append(Fact(text, f.block, question.evidence, question.problem, label, polarity))
    facts.facts.extend(new)
    return new


_WORD = re.compile(r"[a-z]+")
_LAST_END = re.compile(r"^(.*[.!?])\s", re.S)


def _uncut(text: str, limit: int) -> str:
    """A string the length limit cut off mid-sentence, back to its last full sentence (or clause)."""
    if len(text) < limit - 2:
        return text
    m = _LAST_END.match(text)
    if m and len(m.group(1)) > limit // 3:
        return m.group(1)
    cut = max(text.rfind(", "), text.rfind("; "))
    return text[:cut] if cut > limit // 3 else text.rsplit(" ", 1)[0]


def echoes(text: str, question: str) -> bool:
    """The answer only repeats words of the question ("work", "alcohol", "tests ordered"): a small
    model fills a list with the categories it was asked about."""
    words = [w for w in _WORD.findall(text.lower()) if len(w) > 2]
    asked = set(_WORD.findall(question.lower()))
    return bool(words) and all(w in asked or w.rstrip("s") in asked for w in words)


def unanswered(questions: Iterable[Question], answered: Iterable[str]) -> list[Question]:
    done = set(answered)
    return [q for q in questions if q.key not in done]
