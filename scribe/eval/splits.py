"""One name per development or report set, for every benchmark that reads visits with reference notes.

``train`` and ``valid`` are ACI-Bench's (:mod:`scribe.eval.aci`); ``mts-dev`` and ``mts-aside`` are
MTS-Dialog's even and odd training rows, ``mts-valid`` and ``mts-test2`` its validation file and second test file
(developed on from stop 41), ``mts-test1`` its first test file (report only) (:mod:`scribe.eval.mts`). ACI-Bench's test sets have no name here on
purpose: they are the project's unseen evaluation.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..domain import Transcript
from .aci import AciEncounter, load_split

NAMES = ("train", "valid", "mts-dev", "mts-aside", "mts-valid", "mts-test2", "mts-test1")
HELP = (
    "ACI-Bench train to develop, valid to report; MTS-Dialog's even rows (mts-dev) to develop, odd rows"
    " (mts-aside) to report; its validation file (mts-valid) and second test file (mts-test2) to develop on, its"
    " first test file (mts-test1) to report (needs SCRIBE_MTS_CSV)"
)


def load(name: str) -> list[AciEncounter]:
    """The visits of one set; FileNotFoundError (with what to set) when its data is missing."""
    if name not in NAMES:
        raise ValueError(f"unknown split {name!r}: use one of {', '.join(NAMES)}")
    if name.startswith("mts-"):
        from .mts import load as load_mts

        return load_mts(name.removeprefix("mts-"))
    return load_split(name)


def corpus_name(name: str) -> str:
    """ "MTS-Dialog dev", "ACI-Bench valid": for report headings."""
    return f"MTS-Dialog {name.removeprefix('mts-')}" if name.startswith("mts-") else f"ACI-Bench {name}"


def heard_transcripts(folder: Path, encounters: Iterable[AciEncounter]) -> dict[str, Transcript]:
    """The transcripts Scribe recognised from the voiced dialogues (``folder/<encounter id>.json``, as
    ``benchmarks/bench_drugs.py --save-transcripts`` writes them) of the given encounters: what grounding and the
    omission panel read in the product. ValueError, in one line, when there are none or one is unreadable."""
    from ..errors import TranscriptError
    from ..transcript_io import load_transcript

    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder of transcripts")
    out: dict[str, Transcript] = {}
    for enc in encounters:
        path = folder / f"{enc.encounter_id}.json"
        if path.is_file():
            try:
                out[enc.encounter_id] = load_transcript(path)
            except TranscriptError as exc:
                raise ValueError(str(exc)) from None
    if not out:
        raise ValueError(f"no <encounter id>.json transcript in {folder} belongs to this split")
    return out
