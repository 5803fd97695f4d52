"""The end-of-visit withdrawal of this checkout, re-run on corrected transcripts ``bench_drugs.py`` cached.

A change to ``scribe.asr.correction.withdraw_lone_guesses`` alone needs no new recognition to be measured: each
cached corrected transcript keeps what its run withdrew (heard words, the drug written over them, when). This puts
those drugs back, settles the visit again with this checkout's rule and scores it as ``bench_drugs.py`` does.
Proposals and the ear check are those of the run that made the cache: a change to them needs ``bench_drugs.py``.

Usage::

    python benchmarks/resettle_drugs.py CODEHASH [--visits D2N001+D2N002] [--out results.json]

``CODEHASH`` is the last part of the cache files' names (``<visit>.corrected.<audio>.<CODEHASH>.json`` in
``~/.cache/scribe/bench/drugs``); the truth files are beside the voiced recordings (``SCRIBE_VOICED_DIR``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_drugs as bench  # noqa: E402

from scribe.asr.correction import retext, spread_words  # noqa: E402
from scribe.asr.engine import settle_segments  # noqa: E402
from scribe.domain import Transcript  # noqa: E402


def unwithdrawn(transcript: Transcript, withdrawn: list[dict]) -> Transcript:
    """``transcript`` with each withdrawn drug written back over the heard words it had replaced."""
    segments = list(transcript.segments)
    for w in withdrawn:
        k = next(n for n, s in enumerate(segments) if s.id == w["segment_id"])
        seg, n = segments[k], len(w["original"].split())
        i = next(
            i
            for i in range(len(seg.words))
            if abs(seg.words[i].start - w["start"]) < 0.02
            and " ".join(x.word for x in seg.words[i : i + n]) == w["original"]
        )
        end, heard = seg.words[i + n - 1].end, seg.words[i]
        new = spread_words(w["replacement"].split(), heard.start, end, heard.probability, w["original"])
        words = [*seg.words[:i], *new, *seg.words[i + n :]]
        text = retext(seg.text, [x.word for x in seg.words], i, i + n - 1, w["replacement"].split())
        segments[k] = seg.model_copy(update={"words": words, "text": text})
    return transcript.model_copy(update={"segments": segments})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("code", metavar="CODEHASH")
    ap.add_argument("--visits", help="only these visits, joined by +")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    wanted = set(args.visits.split("+")) if args.visits else None
    names, rows = bench.medication_names(), []
    files = sorted(bench.CACHE.glob(f"*.corrected.*.{args.code}.json"))
    for f in files:
        visit = f.name.split(".")[0]
        truth_file = bench.VOICED / f"{visit}.json"
        if (wanted and visit not in wanted) or not truth_file.is_file():
            continue
        cached = json.loads(f.read_text())
        before = unwithdrawn(Transcript.model_validate(cached["transcript"]), cached.get("withdrawn", []))
        segments, withdrawn = settle_segments(list(before.segments), None)
        settled = before.model_copy(update={"segments": segments}).model_dump(mode="json")
        truth = json.loads(truth_file.read_text())
        row = bench.score(settled, truth, names)
        right, false = bench.judge_corrections(settled, truth)
        row.update(visit=visit, corrections_right=len(right), corrections_false=len(false))
        row["withdrawn"] = [{"original": w.original, "replacement": w.replacement} for w in withdrawn]
        rows.append(row)
        print(
            f"{visit}: {row['drugs_found']} of {row['drug_mentions']}, invented {row['invented']},"
            f" right {len(right)} false {len(false)}, withdrawn {[w.original for w in withdrawn]}"
        )
    if not rows:
        raise SystemExit(f"no cached corrected transcripts of code {args.code} with a truth file in {bench.VOICED}")
    found, said = sum(r["drugs_found"] for r in rows), sum(r["drug_mentions"] for r in rows)
    print(
        f"all {len(rows)}: recall {100 * found / max(1, said):.1f} % ({found} of {said}),"
        f" invented {sum(r['invented'] for r in rows)},"
        f" right {sum(r['corrections_right'] for r in rows)} false {sum(r['corrections_false'] for r in rows)}"
    )
    if args.out:
        args.out.write_text(json.dumps({"code": args.code, "visits": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
