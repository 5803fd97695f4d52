"""Run the real Scribe window with sample visits, scene by scene, for screenshots.

Used by ``test_screenshot.py`` under Xvfb (and by hand: ``python tests/ui/screenshot_app.py``
with a DISPLAY). It reads scene names on stdin, sets the scene up through the same widgets and
core calls a physician's clicks would trigger, and prints ``READY <scene>`` once the window has
settled; the caller then captures the screen (``import -window root``).

The sample visit is the bundled synthetic consultation (``assets/sample/visit_truth.json``:
the script it was spoken from, with timings). Its note is written here as a good drafting
model would write it, plus one statement the transcript does not support, and then checked by
the real grounding code, so every mark on screen is what Scribe itself computes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal  # noqa: E402

from scribe.domain import Encounter, NoteDraft, Section, Segment, SpeakerRole, Statement, Transcript  # noqa: E402

NOTE = {
    "subjective": [
        "Three weeks of exertional chest tightness, pressure-like, about five minutes, relieved by rest.",
        "No radiation; no shortness of breath, nausea or sweating.",
        "No chest pain at rest or at night.",
        "One episode of dizziness on standing last week.",
        "Left ankle puffy in the evenings for about a week, painless.",
        "Takes lisinopril 10 mg daily, metformin 500 mg twice daily, atorvastatin 20 mg at night, aspirin 81 mg.",
        "Sometimes misses the evening metformin.",
        "Allergic to penicillin (rash and hives).",
        "Former smoker, quit ten years ago, 20 pack-years; one or two beers on weekends.",
        "Father had a heart attack at 62.",
        "Works long hours as an accountant under significant stress.",  # the visit hardly backs it: a review hint
    ],
    "objective": [
        "Blood pressure 148/92, heart rate 84, temperature 98.6, oxygen saturation 97% on room air.",
        "Home blood pressure about 135/85.",
        "Heart regular rate and rhythm, no murmurs; lungs clear bilaterally.",
        "Mild swelling of the left ankle; right ankle normal.",
        "Left calf soft and non-tender; pedal pulses normal.",
    ],
    "assessment": [
        "Exertional chest tightness relieved by rest, concerning for stable angina.",
        "Hypertension not well controlled on current dose.",
        "Mild left ankle swelling, to monitor.",
    ],
    "plan": [
        "Increase lisinopril from 10 mg to 20 mg once daily.",
        "Continue metformin 500 mg twice daily, atorvastatin 20 mg and aspirin 81 mg daily.",
        "ECG today; lipid panel and basic metabolic panel.",
        "Refer to cardiology for a stress test.",
        "Start nitroglycerin 0.4 mg sublingual as needed for chest pain.",
        "Avoid heavy exertion; easy walking on flat ground is fine.",
        "Call 911 for chest pain over 15 minutes, at rest, or with shortness of breath or sweating.",
        "Check blood pressure at home twice daily.",  # the follow-up is left out: "Said but not in the note" lists it
    ],
}


def sample_transcript() -> Transcript:
    truth = json.loads((REPO / "assets" / "sample" / "visit_truth.json").read_text())
    segs = [
        Segment(
            id=i,
            start=t["start"],
            end=t["end"],
            text=t["text"],
            speaker=SpeakerRole.clinician if t["role"] == "clinician" else SpeakerRole.patient,
        )
        for i, t in enumerate(truth["turns"])
    ]
    return Transcript(segments=segs, duration=truth["duration"], source="audio.wav", asr_model="base")


def sample_note(encounter: Encounter, transcript: Transcript) -> NoteDraft:
    from scribe.drafting.templates import get_template
    from scribe.grounding import ground_note

    tpl = get_template("soap")
    sections = [
        Section(key=s.key, title=s.title, statements=[Statement(text=t) for t in NOTE.get(s.key, [])])
        for s in tpl.sections
    ]
    note = NoteDraft(
        template="soap", encounter=encounter, sections=sections, model="qwen2.5-coder-1.5b", runtime="llama.cpp"
    )
    return ground_note(note, transcript)


REFUSED_ID = "enc-20260412-0912"


def populate(store) -> str:
    """A morning's visit list; returns the id of the one to review."""
    from scribe.approval import approve_all_flagged_confirmed

    transcript = sample_transcript()
    others = [
        ("Grace Okafor", "100234", "exported"),
        ("Lena Fischer", "100298", "approved"),
        ("Tomás Ruiz", "100311", "draft"),
    ]
    for name, mrn, state in others:  # earlier visits of the morning, taken through the real workflow
        enc = Encounter(patient_name=name, patient_id=mrn, clinician="Dr. Priya Patel")
        v = store.create(enc, actor="Dr. Priya Patel", state="recorded")
        v.save_transcript(transcript)
        note = sample_note(enc, transcript)
        if state != "draft":
            note = approve_all_flagged_confirmed(note, "Dr. Priya Patel", transcript=transcript)
        v.save_note(note, "Dr. Priya Patel")
        v.set_state("draft" if state == "draft" else "approved", "Dr. Priya Patel")
        if state == "exported":
            v.set_state("exported", "Dr. Priya Patel")
    # a recording of small talk: the gate refused to draft from it ("No clinical conversation was recorded")
    enc = Encounter(
        encounter_id=REFUSED_ID, patient_name="Maria Chen", patient_id="100317", clinician="Dr. Priya Patel"
    )
    v = store.create(enc, actor="Dr. Priya Patel", state="recorded")
    with v.open_audio_writer() as audio:  # seconds of quiet room: the banner offers to transcribe it again
        audio.write(np.zeros(16000 * 4, dtype=np.float32))
    v.save_transcript(
        Transcript(
            segments=[
                Segment(id=0, start=0.0, end=2.0, text="Lovely weather today.", speaker=SpeakerRole.clinician),
                Segment(id=1, start=2.0, end=4.0, text="Did you park nearby?", speaker=SpeakerRole.clinician),
            ],
            duration=4.0,
            source="audio.wav",
            asr_model="base",
        )
    )
    enc = Encounter(
        encounter_id="enc-20260412-0931",
        patient_name="Daniel Alvarez",
        patient_id="100342",
        clinician="Dr. Priya Patel",
        visit_type="soap",
    )
    visit = store.create(enc, actor="Dr. Priya Patel", state="recorded")
    visit.save_transcript(transcript)
    visit.save_note(sample_note(enc, transcript), "scribe")
    visit.set_state("draft", "scribe")
    return enc.encounter_id


class StdinReader(QObject):
    line = Signal(str)

    def start(self) -> None:
        def run():
            for raw in sys.stdin:
                self.line.emit(raw.strip())
            self.line.emit("quit")

        threading.Thread(target=run, daemon=True).start()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--width", type=int, default=1440)
    ap.add_argument("--height", type=int, default=900)
    ap.add_argument("--clip", default=str(REPO / "assets" / "sample" / "short_clip.flac"))
    args = ap.parse_args()
    data = Path(args.data)
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(data / "qsettings"))
    os.environ["SCRIBE_SETTINGS"] = str(data / "settings.toml")
    os.environ["SCRIBE_POLICY"] = str(data / "no-policy.toml")

    from scribe.settings import Settings
    from scribe.storage import VisitStore
    from scribe.ui.app import build_window, create_app
    from scribe.ui.models import ModelHub

    app = create_app(["scribe"])
    settings = Settings(asr_model="tiny.en", llm_model="smollm2-135m", data_dir=str(data / "data"))
    store = VisitStore(data / "visits")
    review_id = populate(store)

    from scribe.recording import FileReplaySource, InputDevice

    asr_holder = {}

    def load_asr(s, progress):
        from scribe.asr.engine import FasterWhisperEngine

        e = FasterWhisperEngine("base", s)  # the default speech model clinics run
        e.load(progress)
        asr_holder["e"] = e
        return e

    hub = ModelHub(settings, asr_loader=load_asr, llm_loader=lambda s, p: "screenshot-llm")

    def transcriber(engine):
        from scribe.asr.engine import StreamingTranscriber

        return StreamingTranscriber(engine, window_s=10.0, step_s=2.0, holdback_s=2.0)

    mic = InputDevice(id=0, name="USB Conference Microphone", is_default=True, channels=1, default_samplerate=16000)
    win = build_window(
        app,
        settings,
        store=store,
        models=hub,
        clinician="Dr. Priya Patel",
        list_devices=lambda: [mic],
        make_source=lambda d: FileReplaySource(args.clip, realtime=True),
        make_transcriber=transcriber,
        warm_interval_s=0,
        check_recovery=False,
    )
    win.move(0, 0)
    win.resize(args.width, args.height)
    win.show()
    hub.load()
    page = win.page

    def ready(scene: str, delay: int = 700, widget=None) -> None:
        def say():
            extra = ""
            if widget is not None:  # no window manager under Xvfb: the caller crops to the dialog
                g = widget.frameGeometry()
                extra = f" {g.x()} {g.y()} {g.width()} {g.height()}"
            print(f"READY {scene}{extra}", flush=True)

        QTimer.singleShot(delay, say)

    def when(cond, then, timeout_ms=60000, waited=0):
        if cond():
            then()
            return
        if waited > timeout_ms:
            print("FAILED timeout", flush=True)
            return
        QTimer.singleShot(100, lambda: when(cond, then, timeout_ms, waited + 100))

    def select_first_supported_in(section: str) -> None:
        note = win.session.note
        sec = note.section(section)
        st = next(s for s in sec.statements if s.evidence and s.status.value == "supported")
        page.editor.select_statement(st.id)

    def scene(name: str) -> None:
        if name == "quit":
            if win.session is not None:
                win.session.close(wait=True)  # keeps the recording, no "quit while recording?" question
            win.close()
            app.quit()
            return
        if name in ("review", "review-dark"):
            win.theme.set_mode("dark" if name.endswith("dark") else "light")
            win.open_visit(review_id)

            def go():
                win.page.editor.set_note(win.session.note, keep_text=True)
                select_first_supported_in("plan")
                ready(name)

            # the "Said but not in the note" rows are computed in the background
            when(lambda: win.session is not None and win.session.note is not None and win.page.omissions.rows, go)
        elif name == "flagged":
            win.theme.set_mode("light")

            def go():
                page.editor.go_to_next_flagged()
                ready(name)

            when(lambda: win.session is not None and win.session.note is not None, go)
        elif name == "approved":
            win.theme.set_mode("light")
            s = win.session
            for st in s.note.unresolved():
                s.confirm(st.id)
            s.approve("Dr. Priya Patel", None)
            when(lambda: s.note.approval is not None and page.editor.locked, lambda: ready(name))
        elif name == "refused":
            win.theme.set_mode("light")
            win.open_visit(REFUSED_ID)
            when(lambda: win.session is not None and page.info_banner.isVisible(), lambda: ready(name))
        elif name == "new-visit":
            win.close_visit()
            win.new_visit()

            def go():
                d = win._new_dialog
                d.patient_name.setText("Daniel Alvarez")
                d.mrn.setText("100342")
                d.consent.setChecked(True)
                ready(name, widget=d)

            when(lambda: getattr(win, "_new_dialog", None) is not None and win._new_dialog.isVisible(), go)
        elif name == "recording":
            d = win._new_dialog
            d.accept()

            def record():
                page.recording.record_button.click()
                when(lambda: len(page.transcript.segment_ids) >= 2, lambda: ready(name, 300), timeout_ms=90000)

            when(
                lambda: win.session is not None and win.session.recorder_state == "idle" and hub.asr is not None, record
            )
        else:
            print(f"FAILED unknown scene {name}", flush=True)

    reader = StdinReader()
    reader.line.connect(scene, Qt.ConnectionType.QueuedConnection)
    reader.start()
    print("STARTED", flush=True)
    rc = app.exec()
    if win.session is not None:
        win.session.close(wait=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
