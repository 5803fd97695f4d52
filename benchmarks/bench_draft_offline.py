"""Offline drafting speed: ``scribe draft`` on ~1,300-word dialogues, as a user runs it.

Issue 12's target: a 1,300-word dialogue drafts in a median ≤ 90 s with 2 threads. Each dialogue
runs the real CLI in its own process (model load included, as the user waits for it) on the
default template and model. The dialogues are ACI-Bench **train** encounters chosen by a fixed rule
(the N whose word count is closest to 1,300), never by their results.

    python benchmarks/bench_draft_offline.py                   # 5 train dialogues, 2 threads
    python benchmarks/bench_draft_offline.py --n 3 --threads 2 --keep /tmp/notes
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACI = Path(os.environ.get("SCRIBE_ACI_DIR", ROOT.parent / "shared" / "data" / "aci-bench"))


def closest(n: int, words: int = 1300) -> list[dict]:
    with open(ACI / "train.csv", encoding="utf-8") as fh:  # train only: the held-out splits are never read
        rows = list(csv.DictReader(fh))
    return sorted(rows, key=lambda r: (abs(len(r["dialogue"].split()) - words), r["encounter_id"]))[:n]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5, help="how many dialogues")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--template", default="soap")
    ap.add_argument("--keep", type=Path, help="keep the dialogues and notes in this folder")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="scribe-draft-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    times = []
    print(f"scribe draft, template {args.template}, {args.threads} threads, train dialogues closest to 1,300 words")
    for row in closest(args.n):
        enc, words = row["encounter_id"], len(row["dialogue"].split())
        src = folder / f"{enc}.txt"
        src.write_text(row["dialogue"], encoding="utf-8")
        out = folder / f"{enc}.note.json"
        t0 = time.perf_counter()
        r = subprocess.run(
            [sys.executable, "-m", "scribe", "draft", str(src), "--out", str(out), "-q"]
            + ["--threads", str(args.threads), "--template", args.template],
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - t0
        if r.returncode != 0:
            print(f"  {enc}: failed ({r.returncode}): {(r.stderr or r.stdout).strip().splitlines()[-1:]}")
            continue
        times.append(wall)
        print(f"  {enc}: {words} words, {wall:.1f} s")
    if not times:
        return 1
    print(f"median {statistics.median(times):.1f} s (min {min(times):.1f}, max {max(times):.1f}) over {len(times)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
