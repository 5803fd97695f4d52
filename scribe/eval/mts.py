"""MTS-Dialog as a second development set for the flag and omission benchmarks.

ACI-Bench train has 67 visits, and after many rounds of work on them the check catches nearly every
error injected there while valid lags (a denied symptom made present: 94 % on train, 82 % on valid).
MTS-Dialog (Ben Abacha et al., EACL 2023; github.com/abachaa/MTS-Dialog, CC BY 4.0) is 1 201 short
doctor-patient conversations, each with one section of a note a clinician wrote from it (history,
review of systems, medications, exam ...). Other writers and other wording, so a rule that only fits
ACI-Bench's notes shows here.

``MTS-Dialog-TrainingSet.csv``'s rows are split by ID: even IDs (``dev``) to develop on, odd IDs
(``aside``) only to report, so a change read off ``dev`` can be checked on rows nobody looked at.
After forty rounds both dev sets (ACI-Bench train, these even rows) are read through, so the project's
other MTS-Dialog files join at stop 41, each measured once before anything was read from it:
``MTS-Dialog-ValidationSet.csv`` (100 rows, ``valid``) and ``MTS-Dialog-TestSet-2-MEDIQA-Sum-2023.csv``
(200 rows, ``test2``) to develop on, ``MTS-Dialog-TestSet-1-MEDIQA-Chat-2023.csv`` (200 rows, ``test1``)
only to report. (The brief's held-out sets are ACI-Bench's test sets and PriMock57; MTS-Dialog's test
files are not among them, and ``test1`` is kept unread all the same.) The data is not bundled: point
``SCRIBE_MTS_CSV`` at the training file; the others are looked for beside it, or at their own variable
(:data:`FILES`).
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

from .aci import AciEncounter

CSV_ENV = "SCRIBE_MTS_CSV"
TRAINING_NAME = "MTS-Dialog-TrainingSet.csv"
# split -> (file name, environment variable naming it, encounter id prefix); dev, aside and all read _TRAINING
_TRAINING = (TRAINING_NAME, CSV_ENV, "MTS")
FILES = {
    "valid": ("MTS-Dialog-ValidationSet.csv", "SCRIBE_MTS_VALID_CSV", "MTSV"),
    "test1": ("MTS-Dialog-TestSet-1-MEDIQA-Chat-2023.csv", "SCRIBE_MTS_TEST1_CSV", "MTST1-"),
    "test2": ("MTS-Dialog-TestSet-2-MEDIQA-Sum-2023.csv", "SCRIBE_MTS_TEST2_CSV", "MTST2-"),
}
SPLITS = ("dev", "aside", "all", *FILES)

# MTS-Dialog's speaker tags -> the tags parse_dialogue reads ("Guest_family" speaks for the patient)
# (with the file's two misspellings, "Gest_family" and "Guest_clinican")
_SPEAKER = re.compile(r"^\s*(Doctor|Patient|Gu?est_family|Guest_clinic?ian)\s*:\s*(.*)$", re.I)
_TAG = {
    "doctor": "doctor",
    "patient": "patient",
    "family": "patient_guest",
    "clinician": "clinician",
    "clinican": "clinician",
}


def default_csv() -> Path:
    if os.environ.get(CSV_ENV):
        return Path(os.environ[CSV_ENV])
    return Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mts-dialog" / TRAINING_NAME


def csv_for(split: str) -> Path:
    """The file a split reads: its own variable, else its name beside the training file."""
    if split not in FILES:
        return default_csv()
    name, env, _ = FILES[split]
    return Path(os.environ[env]) if os.environ.get(env) else default_csv().with_name(name)


def tagged_dialogue(text: str) -> str:
    """MTS-Dialog's "Doctor: ..." lines as "[doctor] ..." lines; an untagged line continues the last speaker."""
    out: list[str] = []
    tag = ""
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        m = _SPEAKER.match(line)
        if m:
            tag = _TAG[m.group(1).lower().rsplit("_", 1)[-1]]
            line = m.group(2).strip()
            if not line:
                continue
        out.append(f"[{tag}] {line}" if tag else line)
    return "\n".join(out)


def load(split: str = "dev", path: Path | None = None) -> list[AciEncounter]:
    """The rows of one split as encounters (``MTS<ID>`` for the training file, its own prefix for the others;
    dataset = the section header)."""
    if split not in SPLITS:
        raise ValueError(f"unknown MTS-Dialog split {split!r}: use one of {', '.join(SPLITS)}")
    name, env, prefix = FILES.get(split, _TRAINING)
    path = Path(path or csv_for(split))
    if not path.is_file():
        raise FileNotFoundError(
            f"MTS-Dialog not found: {path} (set {env} to {name} from github.com/abachaa/MTS-Dialog)"
        )
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    keep = {"dev": 0, "aside": 1}.get(split)
    return [
        AciEncounter(
            f"{prefix}{int(r['ID']):04d}", r["section_header"], tagged_dialogue(r["dialogue"]), r["section_text"]
        )
        for r in rows
        if keep is None or int(r["ID"]) % 2 == keep
    ]
