"""How well speaker roles are inferred (``scribe/roles.py``), without audio or a model.

1. ACI-Bench: strip the ``[doctor]``/``[patient]`` tags of every dialogue of a split, label the
   lines from content and turn structure, and compare with the tags (which are themselves partly
   wrong on purpose, so 100 % is not reachable).
2. Optionally a real speech-recognition transcript (``scribe transcribe`` JSON) against the timing
   truth file of a synthesised visit (``benchmarks/synth_visit.py --truth``): each ASR segment's true
   role is the role of the turn it overlaps most. ASR segments are not turns, so this is the harder,
   realistic case.

    python benchmarks/eval_roles.py --split valid
    scribe transcribe assets/sample/visit.flac --out /tmp/visit.json
    python benchmarks/eval_roles.py --split valid --asr /tmp/visit.json --truth assets/sample/visit_truth.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scribe.domain import SpeakerRole, Transcript  # noqa: E402
from scribe.eval.aci import load_split  # noqa: E402
from scribe.roles import label_roles, role_agreement, strip_roles  # noqa: E402
from scribe.transcript_io import parse_dialogue  # noqa: E402


def aci_agreement(split: str) -> dict:
    segments = right = unknown = 0
    for enc in load_split(split):
        truth = parse_dialogue(enc.dialogue)
        a = role_agreement(label_roles(strip_roles(truth), overwrite=True), truth)
        segments += a["segments"]
        right += round(a["accuracy"] * a["segments"])
        unknown += round(a["unknown"] * a["segments"])
    return {
        "split": split,
        "segments": segments,
        "agreement": round(right / segments, 4),
        "unknown": round(unknown / segments, 4),
    }


def asr_agreement(transcript: Transcript, truth: dict) -> dict:
    turns = truth["turns"]
    reference = []
    for s in transcript.segments:
        best = max(turns, key=lambda t: min(s.end, t["end"]) - max(s.start, t["start"]))
        reference.append(s.model_copy(update={"speaker": SpeakerRole(best["role"])}))
    ref = transcript.model_copy(update={"segments": reference})
    a = role_agreement(label_roles(strip_roles(transcript)), ref)
    return {
        "segments": a["segments"],
        "agreement": round(a["accuracy"], 4),
        "unknown": round(a["unknown"], 4),
        "agreement_when_labelled": round(a["accuracy_when_labelled"], 4),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--split", default="valid", choices=["train", "valid"])
    p.add_argument("--asr", type=Path, help="transcript JSON from `scribe transcribe`")
    p.add_argument("--truth", type=Path, help="timing truth JSON of the synthesised visit")
    args = p.parse_args(argv)
    out = {"aci": aci_agreement(args.split)}
    if args.asr:
        t = Transcript.model_validate_json(args.asr.read_text(encoding="utf-8"))
        out["asr"] = asr_agreement(t, json.loads(args.truth.read_text(encoding="utf-8")))
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
