"""ACI-Bench scorecard: Scribe's drafting pipeline against a naive one-prompt baseline.

For every encounter of a split (``valid`` for reporting, ``train`` for development) and every
template asked for, it drafts a note with :class:`~scribe.drafting.drafter.NoteDrafter` and, in
the same run with the same model, a *naive baseline*: the whole dialogue and one plain "write the
visit note" prompt. Both are scored the same way:

* ROUGE-1/2/L F1 against the reference note (Google's ``rouge-score`` package, Porter stemmer,
  its default tokenizer: lower-case alphanumeric tokens, so headings and bullets cost nothing);
* medication recall: medications named in the reference note that the draft names too — over
  all of them, and over those that were actually said in the dialogue (the fair figure: some
  reference notes name drugs nobody said);
* the unsupported-statement rate from the grounding check (for the baseline its sentences are
  grounded as statements, so the rate is comparable);
* a hallucination audit independent of the grounding check's own logic: every medication in a
  draft that the dialogue never mentions, and every dose whose number the dialogue never says,
  and whether the grounding check flagged it (the target is none left unflagged);
* seconds per note (wall clock, model already loaded).

Results are written to a JSON file after every note, so a long run can be stopped and resumed
(``--resume``) and a partial run still reports what it measured. The ``aci`` template mirrors the
headings ACI-Bench notes use; that is a template choice, not tuning to single encounters.

    nice -n 19 python benchmarks/eval_aci.py --split valid --templates aci --out benchmarks/results/aci_valid.json
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..domain import NoteDraft, Section, Statement, StatementStatus, Transcript
from ..errors import InputError
from ..grounding import extract_facts, ground_note, normalise, tokens
from ..lexicon import default_medications, mentioned
from ..lexicon import medications_in as _names_in
from ..transcript_io import parse_dialogue

DATA_ENV = "SCRIBE_ACI_DIR"
SPLITS = ("train", "valid")
NAIVE_PROMPT = "Write the visit note for this doctor-patient conversation.\n\n{dialogue}"
NAIVE_MAX_TOKENS = 1024

Log = Callable[[str], None]


@dataclass(frozen=True)
class AciEncounter:
    encounter_id: str
    dataset: str
    dialogue: str
    note: str


def default_data_dir() -> Path:
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    root = Path(__file__).resolve().parents[2]
    return root.parent / "shared" / "data" / "aci-bench"


def load_split(split: str, data_dir: Path | None = None) -> list[AciEncounter]:
    path = Path(data_dir or default_data_dir()) / f"{split}.csv"
    if not path.is_file():
        raise FileNotFoundError(
            f"ACI-Bench split not found: {path} (set {DATA_ENV} to the folder with train.csv/valid.csv)"
        )
    with open(path, newline="", encoding="utf-8") as fh:
        return [
            AciEncounter(r["encounter_id"], r.get("dataset", ""), r["dialogue"], r["note"]) for r in csv.DictReader(fh)
        ]


# ----------------------------------------------------------------------------- metrics


class Rouge:
    """ROUGE-1/2/L F1 (x100) with rouge-score's stemmer; one scorer reused."""

    def __init__(self):
        from rouge_score import rouge_scorer

        self._scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)

    def __call__(self, prediction: str, reference: str) -> dict:
        s = self._scorer.score(reference, prediction)
        out = {k: round(v.fmeasure * 100, 2) for k, v in s.items()}
        out["rouge1_recall"] = round(s["rouge1"].recall * 100, 2)  # completeness: the reference's words the draft has
        return out


def medications_in(text: str, known: frozenset | None = None) -> set[str]:
    """Medication names in ``text`` (bundled vocabulary plus drug-name suffixes)."""
    return {m for _, m in _names_in(tokens(text), known or default_medications())}


def _mentioned(term: str, text_tokens: set[str], text_lower: str) -> bool:
    return mentioned(term, text_tokens, text_lower)


def medication_recall(reference: str, draft: str, dialogue: str) -> dict:
    ref = medications_in(reference)
    dtoks, dlow = set(tokens(draft)), normalise(draft)
    gtoks, glow = set(tokens(dialogue)), normalise(dialogue)
    said = {m for m in ref if _mentioned(m, gtoks, glow)}
    found = {m for m in ref if _mentioned(m, dtoks, dlow)}
    return {
        "reference": sorted(ref),
        "said": sorted(said),
        "found": sorted(found),
        "missing_said": sorted(said - found),
    }


def audit_hallucinations(note: NoteDraft, dialogue: str) -> list[dict]:
    """Medications and dose numbers in the note that the dialogue never mentions, and whether
    the grounding check flagged the statement carrying them."""
    gtoks, glow = set(tokens(dialogue)), normalise(dialogue)
    numbers = {t for t in gtoks if re.fullmatch(r"\d+(?:\.\d+)?", t)}
    numbers |= {str(int(float(n))) for n in numbers if float(n).is_integer()}
    known = default_medications()
    found = []
    for st in note.statements():
        flagged = st.status != StatementStatus.supported
        facts = extract_facts(st.text, known)
        for med in sorted(facts.medications):
            if not _mentioned(med, gtoks, glow):
                found.append({"kind": "medication", "term": med, "statement": st.text, "flagged": flagged})
        for dose in facts.doses:
            if dose.value not in numbers:
                found.append(
                    {"kind": "dose", "term": f"{dose.value} {dose.unit}", "statement": st.text, "flagged": flagged}
                )
    return found


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_HEADING = re.compile(r"^\s*(?:#{1,6}\s*|\*\*)?(?P<title>[A-Za-z][A-Za-z /&()-]{1,60}?)(?:\*\*)?\s*:?\s*(?:\*\*)?\s*$")


def text_as_note(text: str, template: str = "naive") -> NoteDraft:
    """Free text (the baseline's answer) as a note of sentence statements, so it can be grounded and
    audited: a line that is only a heading ("**Physical Examination:**", "OBJECTIVE") starts a section."""
    sections: list[Section] = [Section(key="note", title="Note")]
    for line in text.splitlines():
        m = _HEADING.match(line)
        if m and len(m.group("title").split()) <= 5:
            title = m.group("title").strip()
            sections.append(Section(key=re.sub(r"\W+", "_", title.lower()).strip("_") or "note", title=title))
            continue
        for raw in _SENTENCE.split(line):
            s = re.sub(r"^[\s#*\-•>]+|[*#]+", "", raw).strip()
            if len(re.findall(r"[A-Za-z]{2,}", s)) >= 2:
                sections[-1].statements.append(Statement(text=s[:1000]))
    return NoteDraft(template=template, sections=[s for s in sections if s.statements])


# ----------------------------------------------------------------------------- invented findings, voice

_EXAM_SECTION = re.compile(r"exam|objective|finding|vital|physical", re.I)
_NOT_FINDING = re.compile(r"^\s*(?:results?|labs?|imaging|assessment|plan)\b", re.I)
_VITAL_TERMS = {
    "blood pressure": ("blood pressure", "pressure", "bp"),
    "heart rate": ("heart rate", "pulse", "heartbeat", "heart beat", "bpm"),
    "temperature": ("temperature", "temp", "fever"),
    "respiratory rate": ("respiratory rate", "respirations", "breathing rate", "breaths"),
    "oxygen saturation": ("oxygen", "o2", "saturation", "sat", "pulse ox"),
    "weight": ("weight", "weigh", "pounds", "lbs", "kg"),
}
# body parts an exam statement may be about, and the words of a dialogue that show it came up at all
_BODY = {
    "eyes": ("eye", "pupil", "vision", "conjunctiva", "sclera", "perrla"),
    "ears": ("ear", "tympanic", "hearing"),
    "nose": ("nose", "nasal", "sinus"),
    "throat": ("throat", "pharynx", "oropharynx", "tonsil", "mouth", "oral"),
    "neck": ("neck", "thyroid", "lymph", "jugular", "carotid"),
    "heart": ("heart", "cardiac", "cardiovascular", "murmur", "rhythm", "gallop"),
    "lungs": ("lung", "respiratory", "breath", "wheez", "crackle", "rale", "rhonch", "auscultation"),
    "abdomen": ("abdomen", "abdominal", "belly", "stomach", "bowel", "liver", "spleen"),
    "skin": ("skin", "rash", "lesion", "wound", "incision", "scar", "erythema"),
    "neurological": ("neuro", "reflex", "sensation", "cranial", "gait", "strength"),
    "extremities": ("extremit", "edema", "leg", "arm", "ankle", "foot", "feet", "hand", "knee", "calf"),
    "psychiatric": ("psych", "mood", "affect", "anxious", "depress"),
}


def _stems_in(words: Iterable[str], text: str) -> bool:
    return any(re.search(rf"\b{re.escape(w)}", text) for w in words)


def audit_findings(note: NoteDraft, dialogue: str) -> list[dict]:
    """Exam findings and vital signs in the note that nobody said, flagged or not: a value the dialogue
    never says, a vital sign it never mentions, or a body part it never mentions ("Eyes: no signs of
    infection" in a visit about a knee). Independent of the drafter's own checks (which look at the
    finding's words): this looks at numbers, vital-sign names and body parts only. Exam statements are
    those in a section about the exam, objective findings or vital signs (for the baseline: under such a
    heading), results excepted."""
    said = normalise(dialogue)
    numbers = {t for t in tokens(dialogue) if re.fullmatch(r"\d+(?:\.\d+)?", t)}
    numbers |= {str(int(float(n))) for n in numbers if float(n).is_integer()}
    found = []
    for sec in note.sections:
        if not _EXAM_SECTION.search(f"{sec.key} {sec.title}"):
            continue
        for st in sec.statements:
            text = normalise(st.text)
            if _NOT_FINDING.match(st.text):
                continue
            why = ""
            unsaid = [n for n in re.findall(r"\d+(?:\.\d+)?", text) if n not in numbers]
            vitals = [k for k, words in _VITAL_TERMS.items() if _stems_in((k, *words), text)]
            if unsaid:
                why = f"value {unsaid[0]} never said"
            elif vitals and re.search(r"\d", text) and not any(_stems_in(_VITAL_TERMS[k], said) for k in vitals):
                why = f"{vitals[0]} never mentioned"
            else:
                parts = [k for k, words in _BODY.items() if _stems_in(words, text)]
                if parts and not any(_stems_in(_BODY[k], said) for k in parts):
                    why = f"{parts[0]} never mentioned"
            if why:
                found.append({"statement": st.text, "why": why, "flagged": st.status != StatementStatus.supported})
    return found


FILLERS = re.compile(r"\b(?:uh|um|uh-huh|mm-hmm|gonna|wanna|gotta|yeah|okay|you know)\b", re.I)


def voice_issues(note: NoteDraft) -> list[str]:
    """Statements not in clinical third person: a first- or second-person pronoun (the dialogue's "I'm
    going to", "your"), a conversational filler, or a quotation."""
    from ..drafting.compose import FIRST_OR_SECOND_PERSON

    return [
        st.text
        for st in note.statements()
        if FIRST_OR_SECOND_PERSON.search(st.text) or FILLERS.search(st.text) or re.search(r'["“”]', st.text)
    ]


# ----------------------------------------------------------------------------- systems


class CachedRuntime:
    """A runtime whose answers are kept on disk by request (messages, schema, token budget) and by the
    version of the sampler's rules (``fast_grammar.DECODING_RULES``: an answer cached before the loop
    guard is not the answer the same request gets now).

    Greedy decoding gives the same answer to the same request, so a request asked again — by another
    template that asks the same question, or by a re-run after a change to other questions — is
    answered from the cache instead of the model. Rows drafted from cached answers say so
    (``cached_answers``); their seconds are not a drafting time."""

    def __init__(self, runtime, folder: Path):
        self.runtime = runtime
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.hits = self.misses = 0

    def __getattr__(self, name):
        return getattr(self.runtime, name)

    def _path(self, messages: list[dict], kw: dict) -> Path:
        import hashlib

        from ..drafting.fast_grammar import DECODING_RULES

        key = json.dumps(
            [self.runtime.model_name, DECODING_RULES, messages, kw.get("json_schema"), kw.get("max_tokens")],
            sort_keys=True,
        )
        return self.folder / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"

    def stream_chat(self, messages: list[dict], **kw):
        path = self._path(messages, kw)
        if path.is_file():
            self.hits += 1
            yield json.loads(path.read_text(encoding="utf-8"))["answer"]
            return
        self.misses += 1
        answer = "".join(self.runtime.stream_chat(messages, **kw))
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"answer": answer}), encoding="utf-8")
        os.replace(tmp, path)
        yield answer

    def chat(self, messages: list[dict], **kw) -> str:
        return "".join(self.stream_chat(messages, **kw))


def naive_note(runtime, dialogue: str, max_tokens: int = NAIVE_MAX_TOKENS) -> str:
    messages = [{"role": "user", "content": NAIVE_PROMPT.format(dialogue=dialogue.strip())}]
    return runtime.chat(messages, max_tokens=max_tokens, temperature=0.0)


def _score(row: dict, draft_text: str, note: NoteDraft, enc: AciEncounter, rouge: Rouge) -> dict:
    row.update(rouge(draft_text, enc.note))
    row["words"] = len(draft_text.split())
    row["reference_words"] = len(enc.note.split())
    row["invented_findings"] = audit_findings(note, enc.dialogue)
    row["voice"] = voice_issues(note)
    row["medications"] = medication_recall(enc.note, draft_text, enc.dialogue)
    g = note.grounding
    row["statements"] = g.statements if g else 0
    row["unsupported"] = g.unsupported if g else 0
    row["unsupported_rate"] = round(g.unsupported_rate, 4) if g else None
    row["hallucinations"] = audit_hallucinations(note, enc.dialogue)
    row["draft"] = draft_text
    row["statement_checks"] = [
        {
            "section": sec.key,
            "text": st.text,
            "evidence": st.evidence,
            "status": st.status.value,
            "issues": [f"{i.kind}: {i.detail}" for i in st.issues],
        }
        for sec in note.sections
        for st in sec.statements
    ]
    return row


def run_scribe(
    runtime,
    template,
    enc: AciEncounter,
    rouge: Rouge,
    *,
    transcript: Transcript | None = None,
    system: str = "scribe",
) -> dict:
    """Scribe's note for one encounter: from the dialogue's text, or from ``transcript`` (the dialogue
    voiced and transcribed: the end-to-end system)."""
    from ..drafting.drafter import NoteDrafter

    transcript = transcript or parse_dialogue(enc.dialogue, source=enc.encounter_id)
    drafter = NoteDrafter(runtime, template)
    hits = getattr(runtime, "hits", 0)
    t0, c0 = time.perf_counter(), time.process_time()
    note = drafter.draft(transcript)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    row = {
        "encounter_id": enc.encounter_id,
        "system": system,
        "template": template.name,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),  # all threads' CPU time: what the note costs whatever else runs
        "parts": drafter.stats.extra.get("parts", 1),
        "questions": drafter.stats.questions,
        "cached_answers": getattr(runtime, "hits", 0) - hits,
    }
    return _score(row, note.render_text(), note, enc, rouge)


def run_naive(runtime, enc: AciEncounter, rouge: Rouge, stored: dict | None = None) -> dict:
    """The baseline's note, drafted, or taken from ``stored`` (the naive row of an earlier results file:
    the same greedy request to the same model gives the same note, so it is scored again, not drafted)."""
    if stored is not None:
        text, seconds, cpu = stored["draft"], stored.get("seconds"), stored.get("cpu_seconds")
    else:
        t0, c0 = time.perf_counter(), time.process_time()
        text = naive_note(runtime, enc.dialogue)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    note = ground_note(text_as_note(text), parse_dialogue(enc.dialogue, source=enc.encounter_id))
    row = {
        "encounter_id": enc.encounter_id,
        "system": "naive",
        "template": "-",
        "seconds": round(seconds, 1) if seconds is not None else None,
        "cpu_seconds": round(cpu, 1) if cpu is not None else None,
    }
    if stored is not None:
        row["reused_from"] = stored.get("_source", "")
    return _score(row, text, note, enc, rouge)


def stored_naive(path: Path, model: str) -> dict[str, dict]:
    """The naive rows of an earlier results file, by encounter id (``--naive-from``): only from the same
    prompt and model."""
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a results file ({exc}).") from exc
    config = payload.get("config", {})
    if config.get("naive_prompt") != NAIVE_PROMPT or config.get("model") != model:
        raise InputError(f"{path}: its baseline was drafted with another prompt or model ({config.get('model')}).")
    return {
        r["encounter_id"]: {**r, "_source": f"{path} (git {r.get('git')})"}
        for r in payload.get("results", [])
        if r.get("system") == "naive" and r.get("draft")
    }


# ----------------------------------------------------------------------------- summary


def paired(rows: list[dict]) -> list[dict]:
    """Only the encounters every system (and template) of the run has a note for, so a run stopped
    half-way through an encounter still compares like with like."""
    keys = {(r["system"], r["template"]) for r in rows}
    have: dict[str, set] = {}
    for r in rows:
        have.setdefault(r["encounter_id"], set()).add((r["system"], r["template"]))
    return [r for r in rows if have[r["encounter_id"]] >= keys]


def _mean(rs: list[dict], key: str, ndigits: int = 2):
    values = [r[key] for r in rs if r.get(key) is not None]
    return round(statistics.mean(values), ndigits) if values else None


def summarise(rows: list[dict]) -> list[dict]:
    """One line per (system, template): means over encounters, pooled medication recall, and against
    the naive baseline of the same encounters: on how many it is better and its worst margin."""
    groups: dict[tuple, list[dict]] = {}
    for r in paired(rows):
        groups.setdefault((r["system"], r["template"]), []).append(r)
    naive = {r["encounter_id"]: r["rouge1"] for r in paired(rows) if r["system"] == "naive"}
    out = []
    for (system, template), rs in sorted(groups.items()):
        ref = sum(len(r["medications"]["reference"]) for r in rs)
        said = sum(len(r["medications"]["said"]) for r in rs)
        found_said = sum(len(set(r["medications"]["said"]) & set(r["medications"]["found"])) for r in rs)
        found_ref = sum(len(r["medications"]["found"]) for r in rs)
        hall = [h for r in rs for h in r["hallucinations"]]
        total_st = sum(r["statements"] for r in rs)
        margins = [r["rouge1"] - naive[r["encounter_id"]] for r in rs if r["encounter_id"] in naive]
        out.append(
            {
                "system": system,
                "template": template,
                "notes": len(rs),
                "rouge1": _mean(rs, "rouge1"),
                "rouge2": _mean(rs, "rouge2"),
                "rougeL": _mean(rs, "rougeL"),
                "rouge1_recall": _mean(rs, "rouge1_recall"),
                "words": _mean(rs, "words", 0),
                "reference_words": _mean(rs, "reference_words", 0),
                "unsupported_rate": round(sum(r["unsupported"] for r in rs) / total_st, 4) if total_st else None,
                "med_recall_said": round(found_said / said, 4) if said else None,
                "med_recall_all": round(found_ref / ref, 4) if ref else None,
                "meds_said": said,
                "meds_reference": ref,
                "hallucinated": len(hall),
                "hallucinated_unflagged": sum(1 for h in hall if not h["flagged"]),
                "invented_findings_per_note": (
                    round(sum(len(r["invented_findings"]) for r in rs) / len(rs), 2)
                    if all("invented_findings" in r for r in rs)
                    else None
                ),
                "voice_issues": sum(len(r["voice"]) for r in rs) if all("voice" in r for r in rs) else None,
                "better_than_naive": sum(1 for m in margins if m > 0) if system != "naive" and margins else None,
                "worst_vs_naive": round(min(margins), 2) if system != "naive" and margins else None,
                "seconds_per_note": _mean(rs, "seconds", 1),
                "cpu_seconds_per_note": _mean(rs, "cpu_seconds", 1),
            }
        )
    return out


def format_table(summary: list[dict]) -> str:
    head = (
        "| system | template | notes | ROUGE-1 | ROUGE-2 | ROUGE-L | ROUGE-1 recall | words (reference) | "
        "med recall (said) | invented meds/doses (unflagged) | invented findings / note | first person or "
        "verbatim | unsupported | better than naive (worst margin) | s/note (CPU s) |"
    )
    lines = [head, "|" + "---|" * 15]
    pct = lambda v: "—" if v is None else f"{v * 100:.1f} %"  # noqa: E731
    num = lambda v, f="{:.2f}": "—" if v is None else f.format(v)  # noqa: E731
    for s in summary:
        vs = (
            "—"
            if s.get("better_than_naive") is None
            else f"{s['better_than_naive']} of {s['notes']} ({s['worst_vs_naive']:+.1f})"
        )
        lines.append(
            f"| {s['system']} | {s['template']} | {s['notes']} | {num(s['rouge1'])} | {num(s['rouge2'])} | "
            f"{num(s['rougeL'])} | {num(s.get('rouge1_recall'))} | {num(s['words'], '{:.0f}')} "
            f"({num(s.get('reference_words'), '{:.0f}')}) | {pct(s['med_recall_said'])} ({s['meds_said']}) | "
            f"{s['hallucinated']} ({s['hallucinated_unflagged']}) | {num(s.get('invented_findings_per_note'))} | "
            f"{num(s.get('voice_issues'), '{}')} | {pct(s['unsupported_rate'])} | {vs} | "
            f"{num(s['seconds_per_note'], '{:.1f}')} ({num(s.get('cpu_seconds_per_note'), '{:.0f}')}) |"
        )
    return "\n".join(lines)


def reference_grounding(encounters: list[AciEncounter]) -> dict:
    """The human reference notes through the same grounding check (sentences as statements): how
    strict the lexical check is on notes written by people, to read the drafts' rate against."""
    total = unsupported = 0
    for enc in encounters:
        g = ground_note(text_as_note(enc.note), parse_dialogue(enc.dialogue, source=enc.encounter_id)).grounding
        assert g is not None  # ground_note always reports
        total += g.statements
        unsupported += g.unsupported
    return {
        "notes": len(encounters),
        "statements": total,
        "unsupported": unsupported,
        "unsupported_rate": round(unsupported / total, 4) if total else None,
    }


def _reference_line(payload: dict, data_dir: Path | None) -> str:
    ids = {r["encounter_id"] for r in paired(payload.get("results", []))}
    split = payload.get("config", {}).get("split", "valid")
    encs = [e for e in load_split(split, data_dir) if e.encounter_id in ids]
    ref = reference_grounding(encs)
    if not ref["statements"]:
        return ""
    return (
        f"Reference notes of the same {len(encs)} encounters through the same check: "
        f"{ref['unsupported_rate'] * 100:.1f} % of {ref['statements']} sentences flagged unsupported."
    )


# ----------------------------------------------------------------------------- runner


def regrade(payload: dict, encounters: dict[str, AciEncounter]) -> dict:
    """Grounding figures and audits recomputed for stored drafts (drafting is the slow part; the checks
    are not)."""
    rouge = Rouge()
    for row in payload.get("results", []):
        enc = encounters.get(row["encounter_id"])
        if enc is None:
            continue
        if row["system"] == "naive":
            note = text_as_note(row["draft"])
        else:
            sections: dict[str, list[Statement]] = {}
            for st in row.get("statement_checks", []):
                # the drafts were written without citations (the drafter's default): ground from scratch
                sections.setdefault(st["section"], []).append(Statement(text=st["text"]))
            note = NoteDraft(sections=[Section(key=k, title=k, statements=v) for k, v in sections.items()])
        note = ground_note(note, parse_dialogue(enc.dialogue, source=enc.encounter_id))
        row.setdefault("unsupported_at_run", row.get("unsupported"))
        g = note.grounding
        assert g is not None  # ground_note always reports
        row.update(
            statements=g.statements,
            unsupported=g.unsupported,
            unsupported_rate=round(g.unsupported_rate, 4),
            hallucinations=audit_hallucinations(note, enc.dialogue),
            invented_findings=audit_findings(note, enc.dialogue),
            voice=voice_issues(note),
            reference_words=len(enc.note.split()),
        )
        if "draft" in row:
            row.update(rouge(row["draft"], enc.note))
        if row["system"] != "naive":
            row["statement_checks"] = [
                {
                    "section": sec.key,
                    "text": st.text,
                    "evidence": st.evidence,
                    "status": st.status.value,
                    "issues": [f"{i.kind}: {i.detail}" for i in st.issues],
                }
                for sec in note.sections
                for st in sec.statements
            ]
    payload["summary"] = summarise(payload.get("results", []))
    payload.setdefault("config", {})["regraded"] = {"git": _git_head(), "at": time.strftime("%Y-%m-%d %H:%M:%S")}
    return payload


def _write(path: Path | None, payload: dict) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def evaluate(
    encounters: Iterable[AciEncounter],
    runtime,
    templates: list,
    *,
    naive: bool = True,
    out: Path | None = None,
    config: dict | None = None,
    resume: bool = False,
    log: Log = lambda m: print(m, file=sys.stderr, flush=True),
    transcripts: dict[str, Transcript] | None = None,
    naive_notes: dict[str, dict] | None = None,
) -> dict:
    """Draft and score every encounter with every template and the baseline; with ``transcripts`` (the
    dialogues voiced and transcribed by Scribe, by encounter id) also the end-to-end system: the first
    template's note from the recognised transcript, so recognition errors count. ``naive_notes``
    (:func:`stored_naive`): baseline notes drafted earlier, scored instead of drafted again."""
    rouge = Rouge()
    rows: list[dict] = []
    config = dict(config or {})
    extra: dict = {}
    if resume and out is not None and out.is_file():
        earlier = json.loads(out.read_text(encoding="utf-8"))
        rows = earlier.get("results", [])
        # keep how the notes already there were made (command, commit, machine load) next to this run's
        before = dict(earlier.get("config", {}))
        config["earlier_runs"] = before.pop("earlier_runs", []) + [before]
        extra = {k: v for k, v in earlier.items() if k not in ("config", "results", "summary")}  # e.g. notes, errors
    done = {(r["encounter_id"], r["system"], r["template"]) for r in rows}
    payload = {**extra, "config": config, "results": rows, "summary": summarise(rows) if rows else []}
    for enc in encounters:
        jobs = [("scribe", t.name, t) for t in templates] + ([("naive", "-", None)] if naive else [])
        if transcripts is not None and templates:
            jobs.append(("end-to-end", templates[0].name, templates[0]))
        for system, tname, template in jobs:
            if (enc.encounter_id, system, tname) in done:
                continue
            try:
                if system == "naive":
                    row = run_naive(runtime, enc, rouge, (naive_notes or {}).get(enc.encounter_id))
                elif system == "end-to-end":
                    if transcripts is None or enc.encounter_id not in transcripts:
                        raise FileNotFoundError(f"no recognised transcript for {enc.encounter_id}")
                    heard = transcripts[enc.encounter_id]
                    row = run_scribe(runtime, template, enc, rouge, transcript=heard, system=system)
                else:
                    row = run_scribe(runtime, template, enc, rouge)
            except Exception as exc:  # one failed note is a result, not the end of the run
                row = {
                    "encounter_id": enc.encounter_id,
                    "system": system,
                    "template": tname,
                    "error": f"{type(exc).__name__}: {exc}",
                }
                log(f"{enc.encounter_id} {system}/{tname}: FAILED {row['error']}")
                payload.setdefault("errors", []).append(row)
                _write(out, payload)
                continue
            row["git"] = config.get("git")
            rows.append(row)
            log(
                f"{enc.encounter_id} {system}/{tname}: R1 {row['rouge1']:.1f} R2 {row['rouge2']:.1f} RL {row['rougeL']:.1f} "
                f"words {row['words']} unsupported {row['unsupported']}/{row['statements']} "
                f"meds {len(row['medications']['found'])}/{len(row['medications']['reference'])} "
                f"halluc {sum(1 for h in row['hallucinations'] if not h['flagged'])}/{len(row['hallucinations'])} unflagged "
                f"{row['seconds']:.0f}s"
            )
            payload["summary"] = summarise(rows)
            _write(out, payload)
    payload["summary"] = summarise(rows)
    _write(out, payload)
    return payload


def build_arg_parser(prog: str = "eval_aci") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="ACI-Bench scorecard: Scribe vs. a naive one-prompt baseline.")
    p.add_argument("--split", choices=SPLITS, default="valid")
    p.add_argument(
        "--data", type=Path, help=f"folder with train.csv/valid.csv (default ${DATA_ENV} or ../shared/data/aci-bench)"
    )
    p.add_argument("--limit", type=int, help="only the first N encounters")
    p.add_argument("--ids", help="comma-separated encounter ids")
    p.add_argument("--templates", default="aci", help="comma-separated template names or .toml files (default aci)")
    p.add_argument("--no-naive", action="store_true", help="skip the naive baseline")
    p.add_argument(
        "--naive-from",
        type=Path,
        help="score the baseline notes stored in this earlier results file (same prompt and model) instead of "
        "drafting them again; encounters it lacks are drafted",
    )
    p.add_argument("--out", type=Path, help="results JSON (written after every note)")
    p.add_argument("--resume", action="store_true", help="skip notes already in --out")
    p.add_argument("--llm-model", help="pack name, GGUF file or HF folder (default: settings)")
    p.add_argument("--runtime", choices=["auto", "llama.cpp", "transformers", "openai"])
    p.add_argument("--server-url")
    p.add_argument("--server-model")
    p.add_argument("--threads", type=int)
    p.add_argument("--context", type=int, help="context window (llm_context)")
    p.add_argument(
        "--cache",
        type=Path,
        help="keep the model's answers here by request: a template asking the questions another one asked, or "
        "a re-run, is answered from it (rows say how many answers were cached)",
    )
    p.add_argument(
        "--transcripts",
        type=Path,
        help="folder of <encounter id>.json transcripts of the dialogues voiced and recognised by Scribe "
        "(benchmarks/voice_aci.py): adds the end-to-end system (first template)",
    )
    p.add_argument("--summarize", action="store_true", help="only print the scorecard of an existing --out file")
    p.add_argument(
        "--regrade",
        action="store_true",
        help="re-run the grounding check (current code) on the drafts stored in --out; ROUGE is unchanged",
    )
    return p


def _git_head() -> str | None:
    import subprocess

    try:
        root = Path(__file__).resolve().parents[2]
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def main(argv: list[str] | None = None, prog: str = "eval_aci") -> int:
    args = build_arg_parser(prog).parse_args(argv)
    if args.regrade:
        if not args.out or not args.out.is_file():
            print(f"{prog}: --regrade needs an existing --out file", file=sys.stderr)
            return 2
        payload = json.loads(args.out.read_text(encoding="utf-8"))
        split = payload.get("config", {}).get("split", args.split)
        payload = regrade(payload, {e.encounter_id: e for e in load_split(split, args.data)})
        _write(args.out, payload)
        args.summarize = True
    if args.summarize:
        if not args.out or not args.out.is_file():
            print(f"{prog}: --summarize needs an existing --out file", file=sys.stderr)
            return 2
        payload = json.loads(args.out.read_text(encoding="utf-8"))
        print(format_table(summarise(payload.get("results", []))))
        print("\n" + _reference_line(payload, args.data))
        per: dict[str, dict[str, float]] = {}
        for r in payload.get("results", []):
            per.setdefault(r["encounter_id"], {})[r["system"]] = r["rouge1"]
        systems = sorted({k for v in per.values() for k in v})
        print("\n| encounter | " + " | ".join(systems) + " |\n|---|" + "---|" * len(systems))
        for enc, v in per.items():
            print(
                f"| {enc} | "
                + " | ".join(f"{v.get(k, float('nan')):.1f}" for k in sorted({k for v in per.values() for k in v}))
                + " |"
            )
        return 0
    from ..drafting.runtimes import create_runtime
    from ..drafting.templates import get_template
    from ..settings import load_settings

    settings = load_settings()
    for attr, key in (
        ("llm_model", "llm_model"),
        ("runtime", "llm_runtime"),
        ("server_url", "llm_server_url"),
        ("server_model", "llm_server_model"),
        ("threads", "llm_threads"),
        ("context", "llm_context"),
    ):
        if getattr(args, attr) not in (None, ""):
            settings.set(key, getattr(args, attr))
    templates = [get_template(t.strip()) for t in args.templates.split(",") if t.strip()]
    encounters = load_split(args.split, args.data)
    if args.ids:
        wanted = [i.strip() for i in args.ids.split(",")]
        encounters = [e for w in wanted for e in encounters if e.encounter_id == w]
    if args.limit:
        encounters = encounters[: args.limit]
    runtime = create_runtime(settings)
    try:
        naive_notes = stored_naive(args.naive_from, runtime.model_name) if args.naive_from else None
    except InputError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    runtime.load()
    model_runtime = runtime
    if args.cache:
        runtime = CachedRuntime(runtime, args.cache)
    heard = None
    if args.transcripts:
        from ..transcript_io import load_transcript

        heard = {
            e.encounter_id: load_transcript(args.transcripts / f"{e.encounter_id}.json")
            for e in encounters
            if (args.transcripts / f"{e.encounter_id}.json").is_file()
        }
    config = {
        "split": args.split,
        "encounters": [e.encounter_id for e in encounters],
        "templates": [t.name for t in templates],
        "runtime": runtime.name,
        "model": runtime.model_name,
        "context": runtime.context_window,
        "threads": getattr(runtime, "n_threads", None),
        "naive_prompt": NAIVE_PROMPT,
        "answer_cache": str(args.cache) if args.cache else None,
        "naive_from": str(args.naive_from) if args.naive_from else None,
        "transcripts": str(args.transcripts) if args.transcripts else None,
        "rouge": "rouge-score F1 x100, use_stemmer=True",
        "load_seconds": round(time.perf_counter() - t0, 1),
        "command": " ".join(sys.argv),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "git": _git_head(),
    }
    try:
        payload = evaluate(
            encounters,
            runtime,
            templates,
            naive=not args.no_naive,
            out=args.out,
            config=config,
            resume=args.resume,
            transcripts=heard,
            naive_notes=naive_notes,
        )
    finally:
        model_runtime.close()
    print(format_table(payload["summary"]))
    print("\n" + _reference_line(payload, args.data))
    return 0
