"""Why each drug a corrected transcript still misses was missed: never proposed, or how the ear scored it.

``bench_drugs.py`` counts the drugs said and heard per visit. This reads the turns of a voiced visit that name a
drug its cached corrected transcript does not, takes the cached *plain* decode of those turns (with a line either
side), runs this checkout's correction on them with Whisper listening, and prints per missed drug either "not
proposed" or each candidate put to the ear with its three scores (``gain``, ``fit``, ``bare``: see
``scribe.asr.correction.correct``) and whether ``accepted`` passed it. It is a reading aid for developing the
correction on development sets; it prints the heard words, so do not run it on a set kept for reporting. The lines
are checked as one batch here, not in the stream's batches of about 27 s, so a score may differ a little from the
run's.

Usage::

    python benchmarks/why_drugs_missed.py CODEHASH D2N001 D2N004 ...

``CODEHASH`` names the corrected run whose misses are read (the last part of ``<visit>.corrected.<audio>.<CODEHASH>
.json`` in ``~/.cache/scribe/bench/drugs``); the voiced recordings and their truth files are in ``SCRIBE_VOICED_DIR``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_drugs as bench  # noqa: E402

from scribe.asr import correction  # noqa: E402
from scribe.domain import Transcript  # noqa: E402


def _cached(visit: str, config: str, code: str | None = None) -> Path | None:
    pattern = f"{visit}.{config}.*.{code}.json" if code else f"{visit}.{config}.*.json"
    files = sorted(bench.CACHE.glob(pattern), key=lambda f: f.stat().st_mtime)
    return files[-1] if files else None


def missed_turns(truth: dict, heard: dict, names) -> list[tuple[dict, set[str]]]:
    """The turns said that name a drug the heard segments around them (±0.5 s) name fewer times."""
    out = []
    for turn in truth["turns"]:
        said = bench.drug_counts(turn["text"], names)
        if not said:
            continue
        near = [s for s in heard["segments"] if s["end"] >= turn["start"] - 0.5 and s["start"] <= turn["end"] + 0.5]
        got = bench.drug_counts(" ".join(s["text"] for s in near), names)
        missed = {d for d, n in said.items() if got.get(d, 0) < n}
        if missed:
            out.append((turn, missed))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("code", metavar="CODEHASH")
    ap.add_argument("visits", nargs="+")
    args = ap.parse_args(argv)
    from scribe.asr.engine import FasterWhisperEngine
    from scribe.audio import load_audio
    from scribe.settings import load_settings

    names = bench.medication_names()

    def generic(term: str) -> str:
        return names.generic_of(term.lower()) if term.lower() in names else term.lower()

    engine = FasterWhisperEngine("base", load_settings())
    engine.load()
    seen: dict[str, list] = {}
    checked = correction.check

    def recording_check(segments, proposals, score):
        results = checked(segments, proposals, score)
        seen["proposed"] = [c for _k, c in proposals]
        seen["checks"] = [(segments[k], g, f, b, c) for g, f, b, k, c in results]
        return results

    correction.check = recording_check  # the engine calls the module's check: record what it scored
    for visit in args.visits:
        truth_file = bench.VOICED / f"{visit}.json"
        corrected, plain = _cached(visit, "corrected", args.code), _cached(visit, "plain")
        if not truth_file.is_file() or corrected is None or plain is None:
            print(f"{visit}: no voiced truth or no cached plain and corrected runs", file=sys.stderr)
            continue
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        heard = json.loads(corrected.read_text(encoding="utf-8"))["transcript"]
        segments = Transcript.model_validate(json.loads(plain.read_text(encoding="utf-8"))["transcript"]).segments
        audio = load_audio(str(bench.VOICED / f"{visit}.flac"))
        for turn, missed in missed_turns(truth, heard, names):
            at = [k for k, s in enumerate(segments) if s.end >= turn["start"] - 0.5 and s.start <= turn["end"] + 0.5]
            if not at:
                continue
            seen.clear()
            engine.correct(audio, 0.0, segments[max(0, at[0] - 1) : at[-1] + 2])
            print(f"== {visit} {turn['start']:.0f} s: missed {', '.join(sorted(missed))}")
            if not any(generic(c.term.text) in missed for c in seen.get("proposed", [])):
                print("   not proposed")
            for seg, gain, fit, bare, cand in seen.get("checks", []):
                if generic(cand.term.text) not in missed:
                    continue
                words = " ".join(w.word for w in seg.words[cand.first : cand.last + 1])
                ok = correction.accepted(gain, fit, bare, cand, engine.correction_margin, correction.SELF_PROMPT_SLACK)
                print(
                    f"   {words!r} -> {cand.term.text}: similarity {cand.similarity:.2f}, slot {cand.slot}, "
                    f"dosed {cand.dosed}, gain {gain:.1f}, fit {fit:.1f}, bare {bare:.1f}, "
                    f"{'accepted' if ok else 'refused'}"
                )
    correction.check = checked
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
