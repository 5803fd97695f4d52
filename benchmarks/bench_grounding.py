"""How long the grounding check takes on the sample note (it runs on every edit in the app).

python benchmarks/bench_grounding.py     # median of 7 checks after one warm-up (lexicon loaded)

Uses the screenshot scene's note and transcript (tests/ui/screenshot_app.py): 27 statements, 42 segments.
"""

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "tests" / "ui"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from screenshot_app import NOTE, sample_transcript  # noqa: E402

from scribe.domain import NoteDraft, Section, Statement  # noqa: E402
from scribe.grounding import ground_note  # noqa: E402


def main() -> int:
    transcript = sample_transcript()
    note = NoteDraft(
        sections=[Section(key=k, title=k, statements=[Statement(text=x) for x in v]) for k, v in NOTE.items()]
    )
    started = time.perf_counter()
    ground_note(note, transcript)  # loads the lexicon
    first = time.perf_counter() - started
    times = []
    for _ in range(7):
        t0 = time.perf_counter()
        ground_note(note, transcript)
        times.append(time.perf_counter() - t0)
    print(
        f"{len(note.statements())} statements, {len(transcript.segments)} segments: first check {first:.2f} s "
        f"(lexicon load included), then median {1000 * statistics.median(times):.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
