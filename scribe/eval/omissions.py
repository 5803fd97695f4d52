"""Omission benchmark: does the "Said but not in the note" panel list what a draft left out?

For each ACI-Bench encounter with a stored Scribe draft (``benchmarks/results/aci_valid.json``), the
*reference* note's facts in the panel's categories are extracted independently of the panel's own
code: drugs named (brand or generic), tests and referrals in plan sentences, follow-up intervals,
vital-sign numbers, allergy substances and diagnosis terms of the assessment. A reference fact is
*missed by the draft* when its key term appears nowhere in the draft's text; it is *listed* when one of
the panel's items (:func:`scribe.omissions.uncovered`) carries the same key. Two figures:

* recall - of the reference facts the draft misses, the share the panel lists (over all of them, and
  over those whose key term was said in the dialogue at all: the panel only knows what was said);
* false alarms - panel items whose key term the draft's text already contains, per note (a lenient
  judge: anywhere in the draft, not in one statement as the panel requires).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

from ..domain import NoteDraft, Section, Statement
from ..lexicon import Lexicon, default_lexicon, mentioned
from ..omissions import NOT_DIAGNOSES, SPECIALTIES, FactKind, MustChart, uncovered
from ..textnorm import normalise, tokens
from ..transcript_io import parse_dialogue
from .aci import AciEncounter
from .splits import HELP, NAMES, corpus_name, heard_transcripts, load

_PLAN_CUE = re.compile(
    r"\b(order\w*|obtain|schedul\w*|will|repeat|check|recommend\w*|refer\w*|plan\w*|get|request\w*)\b"
)
_FOLLOW = re.compile(
    r"\b(?:follow(?:-| )?up|return|come back|see (?:him|her|them|the patient) back|recheck)\b[^.]{0,40}?"
    r"\b(\d+)\s+(day|week|month|year)s?\b"
)
_VITAL = re.compile(
    r"\b(?:blood pressure|bp|heart rate|pulse|temperature|respiratory rate|oxygen saturation|spo2|sao2)\b"
    r"[^.\n]{0,25}?(\d{2,3}(?:\.\d)?)(?:\s*/\s*(\d{2,3}))?"
)


def _draft_note(row: dict) -> NoteDraft:
    sections: dict[str, list[Statement]] = {}
    for item in row["statement_checks"]:
        sections.setdefault(item["section"], []).append(Statement(text=item["text"]))
    return NoteDraft(sections=[Section(key=k, title=k, statements=v) for k, v in sections.items()])


# MTS-Dialog's note is one section; these are the assessment (its diagnoses count)
_ASSESSMENT_SECTIONS = frozenset({"ASSESSMENT", "DIAGNOSIS"})


# The benchmark's own names of the tests a reference note's plan orders: kept apart from the panel's
# (scribe.grounding.testnames) on purpose, so a test the panel cannot name counts as a fact it missed.
_TESTS = re.compile(
    r"\b(e ?c ?g|e ?k ?g|electrocardiogram|echo(?:cardiogram)?|x-?rays?|ct(?: scan)?|cat scan|mri|ultrasound|"
    r"mammogram|blood ?work|labs?|lab work|a1c|hemoglobin a 1 c|cbc|complete blood count|urinalysis|urine (?:test|sample)|"
    r"biops(?:y|ies)|stress test|colonoscopy|endoscopy|spirometry|lipid panel|metabolic panel|thyroid (?:test|panel)|"
    r"tsh|holter(?: monitor)?|culture|pap smear|bone density|nerve conduction|emg|sleep study|psa)\b"
)


def reference_facts(note: str, lx: Lexicon, section: str = "") -> set[tuple[str, str]]:
    """(kind, key) facts of a reference note in the panel's categories (``section``: MTS-Dialog's header)."""
    facts: set[tuple[str, str]] = set()
    text = normalise(note)
    if section.upper() in _ASSESSMENT_SECTIONS:
        assessment = text
    else:
        assessment = text.split("assessment", 1)[1] if "assessment" in text else ""
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        toks = tokens(sentence)
        allergy = re.search(r"\ballerg", sentence)
        for _, med in lx.medications_in(toks):
            facts.add(("allergy" if allergy else "medication", lx.generic_of(med)))
        if _PLAN_CUE.search(sentence):
            for t in _TESTS.finditer(sentence):
                facts.add(("test", _key_of_test(t.group(1))))
            if re.search(r"\brefer", sentence):
                for sp in SPECIALTIES.finditer(sentence):
                    facts.add(("referral", sp.group(1)[:7]))
        for f in _FOLLOW.finditer(sentence):
            facts.add(("follow_up", f"{f.group(1)} {f.group(2)}"))
        for v in _VITAL.finditer(sentence):
            facts.add(("vital_sign", v.group(1)))
    for term in lx.terms:
        if (
            " " in term
            and not NOT_DIAGNOSES.search(term.lower())
            and re.search(rf"\b{re.escape(term.lower())}\b", assessment)
        ):
            facts.add(("diagnosis", term.lower()))
    return facts


def _key_of_test(found: str) -> str:
    found = re.sub(r"[\s.-]", "", found)
    for pat, key in (
        (r"^e[ck]g|electro", "ecg"),
        (r"^echo", "echo"),
        (r"^xray", "x-ray"),
        (r"^(ct|cat)", "ct"),
        (r"^mri", "mri"),
        (r"a1c|hemoglobina1c", "a1c"),
        (r"lab|bloodwork", "labs"),
        (r"lipid", "lipid"),
        (r"metabolic", "metabolic"),
        (r"ultrasound", "ultrasound"),
    ):
        if re.search(pat, found):
            return key
    return found[:8]


def _fact_in_text(kind: str, key: str, text: str, lx: Lexicon) -> bool:
    """The lenient judge: the fact's key term anywhere in ``text``."""
    toks = tokens(text)
    if kind in ("medication", "allergy"):
        return any(lx.generic_of(m) == key for _, m in lx.medications_in(toks)) or mentioned(
            key, set(toks), " ".join(toks)
        )
    norm = re.sub(r"[.-]", "", " ".join(toks))
    if kind == "test":
        alias = {
            "ecg": r"\b(e ?[ck] ?g|electrocardiogram)",
            "x-ray": r"\bx ?rays?",
            "labs": r"\b(labs?|blood ?work)",
            "a1c": r"\b(a ?1 ?c|hemoglobin)",
            "ct": r"\b(ct|cat scan)",
        }.get(key, rf"\b{re.escape(key)}")
        return bool(re.search(alias, norm))
    if kind == "follow_up":
        n, unit = key.split()
        return bool(re.search(rf"\b{n} {unit}", norm)) or (n == "1" and bool(re.search(rf"\b(a|one) {unit}", norm)))
    return bool(re.search(rf"\b{re.escape(key)}", norm))


def _listed(kind: str, key: str, panel: list[MustChart], lx: Lexicon) -> bool:
    drugs = {"medication", "medication_change", "allergy"}  # "Allergies: Augmentin" under a heading reads as a drug
    kinds = drugs if kind in drugs else {kind}
    return any(
        item.kind.value in kinds and _fact_in_text(kind, key, item.label + " " + item.statement, lx) for item in panel
    )


def simulated_drafts(encounters: list[AciEncounter], keep_none: bool = False) -> dict[str, dict]:
    """Development drafts without a model: each reference note with every third sentence dropped, so the
    panel has known gaps to find (used on *train* and *mts-dev*; the reported figures use real stored
    drafts where there are any). ``keep_none``: empty drafts, so every fact of the reference is a gap (the
    panel's recall of what was said, with no false alarms to count)."""
    from .flags import reference_sentences

    rows = {}
    for enc in encounters:
        kept = [] if keep_none else [s for i, s in enumerate(reference_sentences(enc.note)) if i % 3 != 2]
        rows[enc.encounter_id] = {"statement_checks": [{"section": "note", "text": s} for s in kept]}
    return rows


def run(
    results_file: Path | None,
    split: str = "valid",
    template: str = "aci",
    keep_none: bool = False,
    heard: Path | None = None,
) -> dict:
    """With ``heard`` (a folder of the transcripts Scribe recognised from the voiced dialogues), the panel reads
    what Scribe heard, as in the product, of those encounters only; whether a fact was said is still judged on the
    written dialogue."""
    lx = default_lexicon([])
    everything = load(split)
    if results_file is None:
        rows = simulated_drafts(everything, keep_none)
    else:
        data = json.loads(Path(results_file).read_text())
        rows = {r["encounter_id"]: r for r in data["results"] if r["system"] == "scribe" and r["template"] == template}
    encounters = [e for e in everything if e.encounter_id in rows]
    recognised = heard_transcripts(heard, encounters) if heard is not None else None
    if recognised is not None:
        encounters = [e for e in encounters if e.encounter_id in recognised]
    missed = listed = missed_said = listed_said = 0
    false_alarms = panel_items = 0
    by_kind: Counter = Counter()
    by_kind_listed: Counter = Counter()
    per_note = []
    for enc in encounters:
        note = _draft_note(rows[enc.encounter_id])
        if recognised is not None:
            transcript = recognised[enc.encounter_id]
        else:
            transcript = parse_dialogue(enc.dialogue, source=enc.encounter_id)
        draft = " ".join(st.text for st in note.statements())
        panel = uncovered(note, transcript, lx)
        panel_items += len(panel)
        covered_already = [p for p in panel if _fact_in_text(_judge_kind(p), _judge_key(p, lx), draft, lx)]
        false_alarms += len(covered_already)
        gaps = []
        for kind, key in sorted(reference_facts(enc.note, lx, enc.dataset if split.startswith("mts-") else "")):
            if _fact_in_text(kind, key, draft, lx):
                continue
            said = _fact_in_text(kind, key, enc.dialogue, lx)
            ok = _listed(kind, key, panel, lx)
            missed += 1
            listed += ok
            missed_said += said
            listed_said += ok and said
            by_kind[kind] += 1
            by_kind_listed[kind] += ok
            gaps.append({"kind": kind, "key": key, "said": said, "listed": ok})
        per_note.append(
            {
                "encounter": enc.encounter_id,
                "panel": [p.label for p in panel],
                "already_covered": [p.label for p in covered_already],
                "reference_gaps": gaps,
            }
        )
    n = len(encounters)
    return {
        "split": split,
        "notes": n,
        "reference_facts_missed_by_draft": missed,
        "listed": listed,
        "recall": round(listed / missed, 4) if missed else None,
        "missed_and_said": missed_said,
        "listed_and_said": listed_said,
        "recall_said": round(listed_said / missed_said, 4) if missed_said else None,
        "by_kind": {k: {"missed": by_kind[k], "listed": by_kind_listed[k]} for k in sorted(by_kind)},
        "panel_items": panel_items,
        "panel_items_per_note": round(panel_items / n, 2) if n else 0,
        "false_alarms": false_alarms,
        "false_alarms_per_note": round(false_alarms / n, 2) if n else 0,
        "per_note": per_note,
    }


def _judge_kind(item: MustChart) -> str:
    return {FactKind.medication_change: "medication"}.get(item.kind, item.kind.value)


def _judge_key(item: MustChart, lx: Lexicon) -> str:
    if item.kind in (FactKind.medication, FactKind.medication_change, FactKind.allergy) and item.terms:
        return lx.generic_of(item.terms[0])
    if item.kind == FactKind.follow_up:
        return " ".join(item.terms)
    if item.kind == FactKind.test:
        return _key_of_test(item.label.rsplit(" ordered", 1)[0].lower())
    if item.kind == FactKind.red_flag:
        return item.any_of[0] if item.any_of else ""
    return item.terms[0] if item.terms else item.label


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(
        description="Omission panel recall and false alarms on stored ACI-Bench drafts, or on simulated drafts."
    )
    ap.add_argument("--results", type=Path, default=Path("benchmarks/results/aci_valid.json"))
    ap.add_argument("--split", choices=NAMES, default="valid", help=HELP)
    ap.add_argument("--out", type=Path)
    ap.add_argument(
        "--simulate",
        action="store_true",
        help="no stored drafts: use the reference notes with every third sentence dropped (development on train"
        " or mts-dev; MTS-Dialog has no stored drafts)",
    )
    ap.add_argument(
        "--empty",
        action="store_true",
        help="with --simulate: empty drafts, so the panel must list every fact of the reference that was said",
    )
    ap.add_argument("--template", default="aci", help="whose stored drafts to read (a results file holds several)")
    ap.add_argument(
        "--transcripts",
        type=Path,
        metavar="DIR",
        help="folder of <encounter id>.json transcripts recognised from the voiced dialogues: the panel reads what"
        " Scribe heard (only those encounters)",
    )
    args = ap.parse_args(argv)
    if args.split.startswith("mts-") and not args.simulate:
        print("error: MTS-Dialog has no stored drafts: add --simulate", file=sys.stderr)
        return 2
    try:
        report = run(
            None if args.simulate else args.results,
            args.split,
            args.template,
            args.simulate and args.empty,
            args.transcripts,
        )
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"{corpus_name(args.split)}, {report['notes']} notes: the drafts miss {report['reference_facts_missed_by_draft']} reference facts in the "
        f"panel's categories; the panel lists {report['listed']} ({_pct(report['recall'])}); of the "
        f"{report['missed_and_said']} said in the visit it lists {report['listed_and_said']} ({_pct(report['recall_said'])})"
    )
    for kind, row in report["by_kind"].items():
        print(f"  {kind}: {row['listed']} of {row['missed']}")
    print(
        f"panel: {report['panel_items']} items ({report['panel_items_per_note']} per note), "
        f"{report['false_alarms']} already in the draft ({report['false_alarms_per_note']} per note)"
    )
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n")
    return 0


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"
