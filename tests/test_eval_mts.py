"""MTS-Dialog loader: speaker tags, continuation lines, the even/odd split, one-line errors."""

import pytest

from scribe.eval.mts import load, tagged_dialogue
from scribe.transcript_io import parse_dialogue

CSV = """ID,section_header,section_text,dialogue
0,ROS,"Negative for fever or chills.","Doctor: Any fever or chills?
Patient: No.
Guest_family: She has been fine.
Doctor: Good.
And any cough?"
1,ALLERGY,No known drug allergies.,"Doctor: Any allergies to medicines?
Patient: None."
2,MEDICATIONS,"Lisinopril 10 mg daily.","Doctor: What do you take?
Patient: Lisinopril, ten milligrams a day."
"""


def test_speaker_tags_become_roles_and_untagged_lines_continue_the_speaker():
    text = tagged_dialogue("Doctor: Any fever?\nPatient: No.\nGuest_family: She is fine.\nreally fine.\n")
    assert text.splitlines() == [
        "[doctor] Any fever?",
        "[patient] No.",
        "[patient_guest] She is fine.",
        "[patient_guest] really fine.",
    ]
    roles = [s.speaker.value for s in parse_dialogue(text).segments]
    assert roles[:2] == ["clinician", "patient"]


def test_even_rows_develop_odd_rows_report(tmp_path):
    path = tmp_path / "mts.csv"
    path.write_text(CSV, encoding="utf-8")
    dev = load("dev", path)
    aside = load("aside", path)
    assert [e.encounter_id for e in dev] == ["MTS0000", "MTS0002"]
    assert [e.encounter_id for e in aside] == ["MTS0001"]
    assert dev[0].dataset == "ROS" and dev[0].note == "Negative for fever or chills."
    assert dev[0].dialogue.splitlines()[-1] == "[doctor] And any cough?"
    assert len(load("all", path)) == 3


def test_a_missing_file_or_split_says_so_in_one_line(tmp_path):
    with pytest.raises(FileNotFoundError, match="SCRIBE_MTS_CSV"):
        load("dev", tmp_path / "nope.csv")
    with pytest.raises(ValueError, match="unknown MTS-Dialog split"):
        load("test", tmp_path / "nope.csv")


def test_the_benchmark_without_the_data_says_so_in_one_line(tmp_path, monkeypatch, capsys):
    from scribe.eval.flags import main

    monkeypatch.setenv("SCRIBE_MTS_CSV", str(tmp_path / "missing.csv"))
    assert main(["--split", "mts-dev"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: MTS-Dialog not found:") and "\n" not in err


def test_the_omission_benchmark_reads_mts_dialog_with_simulated_drafts(tmp_path, monkeypatch, capsys):
    from scribe.eval import omissions, splits

    path = tmp_path / "mts.csv"
    path.write_text(CSV, encoding="utf-8")
    monkeypatch.setenv("SCRIBE_MTS_CSV", str(path))
    assert [e.encounter_id for e in splits.load("mts-dev")] == ["MTS0000", "MTS0002"]
    with pytest.raises(ValueError, match="unknown split"):
        splits.load("test1")  # ACI-Bench's test sets have no name here
    # an empty draft: the medication note's lisinopril is a gap the panel must list
    report = omissions.run(None, "mts-dev", keep_none=True)
    assert report["notes"] == 2
    assert report["by_kind"] == {"medication": {"missed": 1, "listed": 1}}
    assert omissions.main(["--split", "mts-dev"]) == 2  # no stored drafts for MTS-Dialog
    assert capsys.readouterr().err.strip() == "error: MTS-Dialog has no stored drafts: add --simulate"
    monkeypatch.setenv("SCRIBE_MTS_CSV", str(tmp_path / "missing.csv"))
    assert omissions.main(["--split", "mts-dev", "--simulate"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: MTS-Dialog not found:") and "\n" not in err


def test_the_validation_file_is_found_beside_the_training_file(tmp_path, monkeypatch):
    from scribe.eval import splits

    (tmp_path / "MTS-Dialog-TrainingSet.csv").write_text(CSV, encoding="utf-8")
    monkeypatch.setenv("SCRIBE_MTS_CSV", str(tmp_path / "MTS-Dialog-TrainingSet.csv"))
    monkeypatch.delenv("SCRIBE_MTS_VALID_CSV", raising=False)
    with pytest.raises(FileNotFoundError, match="SCRIBE_MTS_VALID_CSV.*MTS-Dialog-ValidationSet.csv"):
        splits.load("mts-valid")
    (tmp_path / "MTS-Dialog-ValidationSet.csv").write_text(CSV.replace("Lisinopril", "Losartan"), encoding="utf-8")
    rows = splits.load("mts-valid")
    assert [e.encounter_id for e in rows] == ["MTSV0000", "MTSV0001", "MTSV0002"]  # every row, its own names
    assert rows[2].note == "Losartan 10 mg daily."
    assert splits.corpus_name("mts-valid") == "MTS-Dialog valid"


def test_the_voicing_script_refuses_held_out_sets_but_voices_mts_dialogs_development_files(tmp_path, monkeypatch):
    """``benchmarks/voice_aci.py`` renders dialogues as speech for the drug-name benchmark. ACI-Bench's test sets,
    PriMock57 and MTS-Dialog's first test file (a report set) are never voiced; MTS-Dialog's validation and second
    test files are development files here (``scribe/eval/splits.py``) and are."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from voice_aci import SynthError, aci_rows

    for held_out in ("test1", "clef_taskC_test3", "taskB_test2", "primock57", "mts-test1"):
        with pytest.raises(SynthError, match="held-out"):
            aci_rows(held_out)
    second_test = tmp_path / "MTS-Dialog-TestSet-2-MEDIQA-Sum-2023.csv"
    second_test.write_text(CSV, encoding="utf-8")
    monkeypatch.setenv("SCRIBE_MTS_CSV", str(tmp_path / "MTS-Dialog-TrainingSet.csv"))  # the others beside it
    monkeypatch.delenv("SCRIBE_MTS_TEST2_CSV", raising=False)
    rows = aci_rows("mts-test2")
    assert [r["dialogue"].splitlines()[0] for r in rows][:1] == ["[doctor] Any fever or chills?"]
