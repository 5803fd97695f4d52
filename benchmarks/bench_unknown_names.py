"""How many misheard drug names the unknown-name flag marks in recognised speech.

Grounding flags a dose given to a word that is neither a drug name nor English ("addormaster 20 mg",
``scribe.grounding.quantities.unknown_name_issues``). This runs that check on every line of the
transcripts ``bench_drugs.py`` makes (its ``corrected`` configuration, from its cache: run it first), as if
a note had copied the line, and compares with what was said (the visit's truth file):

- per dose said with a drug name (a number and a dose unit within four words after the name): heard with
  its drug, misheard and flagged, or misheard and not flagged;
- flags on lines where no dose was said with a drug name around them (false alarms).

Usage::

    python benchmarks/bench_drugs.py --visits sample,train --configs plain,corrected
    python benchmarks/bench_unknown_names.py --visits sample,train [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from bench_drugs import transcribe, visits  # noqa: E402

from scribe.domain import Transcript  # noqa: E402
from scribe.grounding.index import TranscriptIndex  # noqa: E402
from scribe.grounding.quantities import unknown_name_issues  # noqa: E402
from scribe.lexicon import Lexicon, default_lexicon  # noqa: E402
from scribe.textnorm import DOSE_UNITS, UNITS, tokens  # noqa: E402

NEAR_S = 1.5  # seconds a transcript line and a spoken turn may be apart and still be the same speech
NAME_TO_DOSE = 4  # words from a drug's name to its dose


def doses(text: str, lx: Lexicon) -> list[tuple[str, str | None]]:
    """(number, drug or None) of every dose in ``text``: a drug named at most ``NAME_TO_DOSE`` words before."""
    toks = tokens(text)
    meds = lx.medications_in(toks)
    out = []
    for i, t in enumerate(toks[:-1]):
        if re.fullmatch(r"\d+(?:\.\d+)?", t) and UNITS.get(toks[i + 1]) in DOSE_UNITS:
            named = [m for j, m in meds if 0 <= i - j <= NAME_TO_DOSE]
            out.append((t, named[-1] if named else None))
    return out


def measure(transcript: Transcript, truth: dict, lx: Lexicon) -> dict:
    index = TranscriptIndex(transcript, lx)
    flags = {seg.id: unknown_name_issues(seg.text, index) for seg in transcript.segments}
    turns = truth["turns"]
    out: dict = {"said": 0, "heard_right": 0, "flagged": 0, "missed": 0, "false_alarms": 0, "detail": []}
    for seg in transcript.segments:
        around = [t for t in turns if t["end"] > seg.start - NEAR_S and t["start"] < seg.end + NEAR_S]
        if flags[seg.id] and not any(drug for t in around for _, drug in doses(t["text"], lx)):
            out["false_alarms"] += len(flags[seg.id])
            out["detail"].append({"false_alarm": seg.text})
    used: set[tuple[int, int]] = set()  # each flag counts for one dose said
    for turn in turns:
        segs = [s for s in transcript.segments if s.end > turn["start"] - NEAR_S and s.start < turn["end"] + NEAR_S]
        for value, drug in doses(turn["text"], lx):
            if drug is None:
                continue
            out["said"] += 1
            generic = lx.generic_of(drug)
            heard = [(v, d) for s in segs for v, d in doses(s.text, lx)]
            if any(v == value and d and lx.generic_of(d) == generic for v, d in heard):
                out["heard_right"] += 1
                continue
            free = [(s.id, k, f) for s in segs for k, f in enumerate(flags[s.id]) if (s.id, k) not in used]
            # the flag on this dose's number, else one on these lines whose number was misheard too
            mine = [x for x in free if f"({value} " in x[2].detail] or [
                x for x in free if not any(f"({v} " in x[2].detail for v, _ in doses(turn["text"], lx))
            ]
            if mine:
                used.add(mine[0][:2])
                out["flagged"] += 1
                out["detail"].append({"flagged": drug, "heard": " / ".join(s.text for s in segs)})
            else:
                out["missed"] += 1
                out["detail"].append({"missed": drug, "heard": " / ".join(s.text for s in segs)})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--visits", default="sample,train")
    ap.add_argument("--out", type=Path, help="write every visit's counts and cases as JSON here")
    args = ap.parse_args(argv)
    lx = default_lexicon()
    rows = []
    for visit, audio, truth in visits(args.visits.split(",")):
        result = transcribe("corrected", audio, None, False)
        row = {"visit": visit, **measure(Transcript.model_validate(result["transcript"]), truth, lx)}
        rows.append(row)
    keys = ("said", "heard_right", "flagged", "missed", "false_alarms")
    print(
        "| visit | doses said with a drug | heard with their drug | misheard, flagged | misheard, not | false alarms |"
    )
    print("|---|---|---|---|---|---|")
    for row in [*rows, {"visit": f"**all {len(rows)}**", **{k: sum(r[k] for r in rows) for k in keys}}]:
        print(f"| {row['visit']} | " + " | ".join(str(row[k]) for k in keys) + " |")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
