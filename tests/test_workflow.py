"""The visit workflow without Qt: the steps the app and the command line share, on real files.

The language model is the shared fake (mechanics, not note quality); storage, grounding,
approval and FHIR validation are the real ones.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from fake_runtime import FakeRuntime

from scribe.domain import Encounter, NoteAction, Segment, StatementStatus, Transcript, Word
from scribe.drafting.templates import get_template
from scribe.errors import ApprovalError, ScribeError, TranscriptError
from scribe.fhir.validate import validate_document_reference
from scribe.note_lines import ChangeKind, LineChange
from scribe.pipeline import Pipeline
from scribe.recording import FileReplaySource
from scribe.settings import Settings
from scribe.storage import VisitState, VisitStore
from scribe.workflow import DRAFTER_ACTOR, VisitWorkflow

SPOKEN = [
    "What medications are you taking?",
    "I take lisinopril ten milligrams once a day.",
    "Any allergies?",
    "I am allergic to penicillin.",
    "Your blood pressure today is 148 over 92.",
]
# the fake model's answer to every question the drafter asks (each question reads the fields it asked for):
# the history, a blood pressure, one problem whose plan names a drug never said (a safety flag)
NOTE_JSON = json.dumps(
    {
        "history_of_present_illness": ["Takes lisinopril 10 mg once daily.", "Allergic to penicillin."],
        "vital_signs": ["Blood pressure 148/92."],
        "assessment_and_plan": [
            {"problem": "Blood pressure above goal", "assessment": "", "plan": ["Start warfarin 5 mg daily."]}
        ],
    }
)


def segments(texts: list[str], start: float = 0.0, first_id: int = 0) -> list[Segment]:
    return [
        Segment(id=first_id + i, start=start + 2.0 * i, end=start + 2.0 * i + 1.8, text=t) for i, t in enumerate(texts)
    ]


@pytest.fixture()
def store(tmp_path: Path) -> VisitStore:
    return VisitStore(tmp_path / "visits")


def record(workflow: VisitWorkflow, seconds: float) -> list[np.ndarray]:
    """Record ``seconds`` of a tone through the workflow (as from a microphone) and stop."""
    heard: list[np.ndarray] = []
    t = np.arange(int(16000 * seconds)) / 16000
    source = FileReplaySource("tone.wav", realtime=False, audio=(0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32))
    workflow.start_recording(source, heard.append, actor="dr.grey")
    source.finished.wait(10)
    time.sleep(0.3)  # the listener thread hands on the last chunks
    workflow.stop_recording()
    return heard


def test_a_whole_visit_from_recording_to_amendment(store: VisitStore, tmp_path: Path) -> None:
    enc = Encounter(encounter_id="enc-wf-1", patient_name="Pat Lee", patient_id="MRN-77", clinician="dr.grey")
    visit = store.create(enc, actor="dr.grey")
    wf = VisitWorkflow(visit)
    heard = record(wf, 3.0)
    assert sum(len(c) for c in heard) == 3 * 16000  # the recogniser heard all of it
    assert wf.state == VisitState.transcribing and visit.audio_seconds() == pytest.approx(3.0, abs=0.01)

    # the recogniser's segments arrive; the finished transcript is kept
    wf.add_segments(segments(SPOKEN))
    transcript, renumbered = wf.finish_transcript()
    assert not renumbered and [s.text for s in transcript.segments] == SPOKEN
    assert wf.keep_transcript() == visit.load_transcript() == transcript

    # draft: streamed, kept as version 1, the visit waits for review
    seen: list[str] = []
    note = wf.draft(lambda: FakeRuntime([NOTE_JSON]), get_template("soap"), on_event=lambda ev: seen.append(ev.kind))
    assert {"token", "statement", "done"} <= set(seen)
    assert wf.state == VisitState.draft and note.version == 1 and visit.load_note() == note
    assert [st.text for st in note.unresolved()] == [
        "Blood pressure above goal: Start warfarin 5 mg daily."
    ]  # never said: flagged

    # review: an edit through the line diff is attributed and kept as the working draft
    lisinopril = note.sections[0].statements[0]
    change = LineChange(ChangeKind.edit, "subjective", lisinopril.id, "Takes lisinopril 10 mg daily.")
    edited = wf.apply_changes([change], "dr.grey")
    assert wf.dirty and edited.events[-1].action == NoteAction.edited
    saved = wf.save_working_draft("dr.grey")
    assert saved is not None and not wf.dirty and visit.load_note().statements()[0].text.endswith("10 mg daily.")
    assert [v.version for v in visit.note_versions()] == [1]  # an autosave is not a version

    # approval is refused while anything is flagged, then signed once it is confirmed
    with pytest.raises(ApprovalError, match="flagged unsupported"):
        wf.approve("dr.grey")
    assert wf.note is not None and wf.note.approval is None
    warfarin = wf.note.unresolved()[0]
    assert wf.confirm(warfarin.id, "dr.grey").statements()[-1].status == StatementStatus.confirmed
    approved = wf.approve("dr.grey")
    assert approved.is_approved and approved.version == 2 and wf.state == VisitState.approved
    with pytest.raises(ScribeError, match="approved and locked"):
        wf.apply_changes([change], "dr.grey")

    # export: a valid DocumentReference; the visit is exported and the audit says where to
    out = wf.export_fhir(tmp_path / "note.fhir.json", "dr.grey", "Clinic Test")
    resource = json.loads(out.read_text())
    validate_document_reference(resource)
    assert resource["custodian"]["display"] == "Clinic Test" and wf.state == VisitState.exported

    # amendment: a new editable version
    amended = wf.amend("dr.grey", "typo in the plan")
    assert amended.version == 3 and amended.approval is None and wf.state == VisitState.draft
    log = visit.audit_log()
    actions = [e["action"] for e in log]
    assert {"note_saved", "note_edited", "note_approved", "exported_fhir"} <= set(actions)
    assert visit.verify_audit()
    states = [(e["details"]["from"], e["details"]["to"]) for e in log if e["action"] == "state"]
    assert states[-5:] == [
        ("transcribing", "drafting"),
        ("drafting", "draft"),
        ("draft", "approved"),
        ("approved", "exported"),
        ("exported", "draft"),
    ]
    assert any(e["action"] == "note_saved" and e["actor"] == DRAFTER_ACTOR for e in log)


def test_a_continued_recording_numbers_its_segments_after_the_saved_ones(store: VisitStore) -> None:
    visit = store.create(Encounter(encounter_id="enc-wf-2"), actor="dr.grey")
    first = VisitWorkflow(visit)
    record(first, 2.0)
    first.add_segments(segments(SPOKEN[:2]))
    first.keep_transcript()
    # the app is reopened on this visit with its transcript: recording continues
    wf = VisitWorkflow(store.open("enc-wf-2"), transcript=visit.load_transcript())
    heard = record(wf, 1.0)
    assert sum(len(c) for c in heard) == 16000  # only the new audio: the saved part is transcribed
    new = wf.add_segments(segments(["I am allergic to penicillin."]))
    assert (new[0].id, new[0].start) == (2, pytest.approx(2.0))  # after the saved ones, in ids and time


def test_a_drug_correction_the_visit_does_not_bear_out_is_taken_back_when_the_recording_ends(store: VisitStore) -> None:
    """The recogniser's correction wrote Entresto over "on the northwest" mid-visit; no other line names it. When the
    recording ends the heard words come back, the saved transcript says what was heard, and the view is told to
    follow (scribe.asr.correction.withdraw_lone_guesses)."""
    visit = store.create(Encounter(encounter_id="enc-wf-lone"), actor="dr.grey")
    wf = VisitWorkflow(visit)
    record(wf, 1.0)
    texts = ["We have you on", "Entresto", "five milligrams."]
    words = [
        Word(start=0.0, end=0.9, word=texts[0]),
        Word(start=1.0, end=1.6, word="Entresto", original="the northwest"),
    ]
    words.append(Word(start=1.7, end=2.5, word=texts[2]))
    said = Segment(id=0, start=0.0, end=2.5, text=" ".join(texts), words=words)
    wf.add_segments([said, *segments(["How has that been?"], start=3.0, first_id=1)])
    transcript, changed = wf.finish_transcript()
    assert changed
    assert transcript.segments[0].text == "We have you on the northwest five milligrams."
    assert not any(w.original for w in transcript.segments[0].words)
    assert (
        wf.keep_transcript().segments[0].text == visit.load_transcript().segments[0].text == transcript.segments[0].text
    )


def test_recording_without_a_transcript_replays_the_saved_audio_first(store: VisitStore) -> None:
    visit = store.create(Encounter(encounter_id="enc-wf-3"), actor="dr.grey")
    record(VisitWorkflow(visit), 2.0)
    heard = record(VisitWorkflow(store.open("enc-wf-3")), 1.0)  # e.g. after a crash: no transcript saved
    assert sum(len(c) for c in heard) == 3 * 16000


def test_no_speech_means_nothing_to_draft(store: VisitStore) -> None:
    visit = store.create(Encounter(encounter_id="enc-wf-4"), actor="dr.grey")
    wf = VisitWorkflow(visit)
    record(wf, 1.0)
    wf.finish_transcript()
    with pytest.raises(TranscriptError, match="no speech was recognised"):
        wf.keep_transcript()
    assert visit.refresh().state == VisitState.recorded
    with pytest.raises(TranscriptError, match="no speech was recognised"):
        wf.draft(lambda: FakeRuntime([NOTE_JSON]), get_template("soap"))


def test_small_talk_is_not_drafted_into_a_visit(store: VisitStore) -> None:
    """The content gate (scribe.asr.content) sits in the workflow, so the app and the CLI both refuse."""
    visit = store.create(Encounter(encounter_id="enc-wf-4b"), actor="dr.grey")
    chat = Transcript(segments=[Segment(id=0, start=0.0, end=3.0, text="Lovely weather today, did you find parking?")])
    wf = VisitWorkflow(visit, transcript=chat)
    with pytest.raises(TranscriptError, match="No clinical conversation was recorded"):
        wf.keep_transcript()
    assert visit.refresh().state == VisitState.recorded
    refusal = wf.content_refusal()  # what the page shows instead of "not transcribed (interrupted)"
    assert refusal is not None and refusal.startswith("No clinical conversation was recorded")
    assert "no note was drafted" in refusal
    assert VisitWorkflow(visit).content_refusal() is None  # nothing transcribed yet: nothing was refused
    said = Transcript(segments=[Segment(id=0, start=0.0, end=3.0, text="The cough started three days ago.")])
    assert VisitWorkflow(visit, transcript=said).content_refusal() is None
    runtime = FakeRuntime([NOTE_JSON])
    with pytest.raises(TranscriptError, match="No clinical conversation"):
        wf.draft(lambda: runtime, get_template("soap"))
    assert visit.load_note() is None


def test_one_visit_records_one_conversation(store: VisitStore) -> None:
    visit = store.create(Encounter(encounter_id="enc-wf-5"), actor="dr.grey")
    wf = VisitWorkflow(visit, transcript=Transcript(segments=segments(SPOKEN)))
    wf.draft(lambda: FakeRuntime([NOTE_JSON]), get_template("soap"))
    with pytest.raises(ScribeError, match="already has a note"):
        wf.check_can_record()


def test_drafting_during_the_visit_runs_in_the_background_and_the_draft_uses_it(store: VisitStore) -> None:
    visit = store.create(Encounter(encounter_id="enc-wf-6"), actor="dr.grey")
    wf = VisitWorkflow(visit)
    runtime = FakeRuntime([NOTE_JSON])
    template = get_template("soap")
    gate = threading.Event()
    record(wf, 1.0)
    wf.add_segments(segments(SPOKEN))
    wf.start_live_drafting(lambda: gate.wait(5) and runtime, template, every_s=0.05)
    gate.set()
    for _ in range(100):
        if runtime.warm_prompts:
            break
        time.sleep(0.05)
    assert runtime.warm_prompts and wf.live_drafter is not None  # the prompt Stop will send is kept warm
    wf.hold_live_drafter()
    wf.finish_transcript()
    note = wf.draft(lambda: runtime, template)
    assert wf.live_drafter is None and note.statements()  # handed to the draft at Stop
    assert runtime.prompts[0].startswith(runtime.warm_prompts[-1][:200])


def test_pipeline_honours_the_settings_it_is_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pipeline(settings=X) uses X, never the settings file or environment behind the caller's back."""
    monkeypatch.setenv("SCRIBE_ORGANIZATION_NAME", "Clinic From The Environment")

    class Recogniser:
        def transcribe_file(self, path, progress=None):
            return Transcript(segments=segments(SPOKEN), duration=10.0, source=Path(path).name)

    pipe = Pipeline(Settings(organization_name="Clinic Given", data_dir=str(tmp_path / "data")))
    pipe._asr, pipe._runtime = Recogniser(), FakeRuntime([NOTE_JSON])
    enc = Encounter(patient_name="Pat Lee", patient_id="MRN-77")
    from scribe.access import Role, User
    from scribe.storage.keys import KeyStore

    keys = KeyStore.open(tmp_path / "keys", protection="passphrase")
    grey = User("dr.grey", "Dr Grey", frozenset({Role.physician, Role.staff}))
    res = pipe.run(
        tmp_path / "visit.wav", tmp_path / "out", approver=grey, keys=keys, confirm_unsupported=True, encounter=enc
    )
    assert res.note.is_approved and res.fhir_path is not None
    assert res.note.approval is not None and res.note.approval.signature  # signed with the keys given
    resource = json.loads(res.fhir_path.read_text())
    assert resource["custodian"]["display"] == "Clinic Given"
    assert not (tmp_path / "data").exists()  # the command line keeps no visit in the data folder


def test_each_step_runs_only_where_the_visit_state_allows_it(store: VisitStore, tmp_path: Path) -> None:
    visit = store.create(Encounter(encounter_id="enc-wf-7", patient_id="MRN-7"), actor="dr.grey")
    wf = VisitWorkflow(visit, transcript=Transcript(segments=segments(SPOKEN)))
    wf.draft(lambda: FakeRuntime([NOTE_JSON]), get_template("soap"))
    with pytest.raises(ScribeError, match="cannot be exported while the visit is draft"):
        wf.export_fhir(tmp_path / "x.json", "dr.grey", "Clinic")
    with pytest.raises(ApprovalError, match="Only an approved note can be amended"):
        wf.amend("dr.grey")
    visit.refresh()
    approved = wf.approve("dr.grey", confirm_flagged=True)
    with pytest.raises(ScribeError, match="cannot be drafted while the visit is approved"):
        wf.draft(lambda: FakeRuntime([NOTE_JSON]), get_template("soap"))
    assert wf.note == approved and not (tmp_path / "x.json").exists()
    # a note file outside any visit (the command line) starts where its note stands
    assert VisitWorkflow(None, note=approved).state == VisitState.approved


def test_a_cancelled_draft_keeps_nothing(store: VisitStore) -> None:
    from scribe.errors import DraftCancelled

    visit = store.create(Encounter(encounter_id="enc-wf-8"), actor="dr.grey")
    wf = VisitWorkflow(visit, transcript=Transcript(segments=segments(SPOKEN)))
    with pytest.raises(DraftCancelled):
        wf.draft(lambda: FakeRuntime([NOTE_JSON]), get_template("soap"), cancelled=lambda: True)
    assert wf.note is None and visit.load_note() is None and visit.refresh().state == VisitState.drafting
