"""Turn a doctor/patient dialogue script into a two-voice recording plus a timing "truth" file.

Scribe cannot ship real patient audio, and nothing can be downloaded here, so test and benchmark
recordings are synthesised: espeak-ng speaks each turn (a male US voice for the doctor, a female
variant for the patient), sox resamples, pads the turns with short natural pauses and adds a faint
room-noise floor, and the result is 16 kHz mono (WAV or FLAC, chosen by the output extension).

The truth JSON records every turn's speaker, text and start/end time (of the speech itself, not
the padding), so ASR, diarisation and grounding can be scored against it.

Everything is deterministic: pause lengths come from a hash of the turn index, sox runs in
repeatable mode (-R, fixed dither/noise seeds) and espeak-ng has no randomness, so the same script
gives byte-identical audio on the same espeak-ng/sox versions.

Script format, one turn per line (``#`` comments and blank lines are ignored, an untagged line
continues the previous turn)::

    [doctor] What brings you in today?
    [patient] I've had chest tightness for three weeks.

Usage: ``python benchmarks/synth_visit.py SCRIPT OUT_AUDIO [--truth TRUTH.json]``
"""

from __future__ import annotations

import argparse
import array
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

SAMPLE_RATE = 16000
GENERATOR_VERSION = 2

# Two clearly different voices: default en-us (male) vs. the "f3" female variant at a higher pitch,
# at conversational rates (espeak-ng's -s is words per minute). espeak-ng writes near full scale, so each
# turn is normalised to a per-speaker peak (no clipping after resampling, and the patient a bit quieter,
# as a patient farther from the microphone would be).
VOICES = {
    "doctor": {"voice": "en-us", "wpm": 165, "pitch": 40, "peak_db": -4.0, "role": "clinician"},
    "patient": {"voice": "en-us+f3", "wpm": 160, "pitch": 55, "peak_db": -7.0, "role": "patient"},
}

LEAD_IN_S = 0.6
TAIL_S = 0.8
SPEAKER_CHANGE_PAUSE_S = (0.45, 0.95)  # pause before a turn by the other speaker
SAME_SPEAKER_PAUSE_S = (0.30, 0.55)  # pause when the same person carries on
NOISE_DB = -58.0  # faint pink "room" noise so silence is not digital zero; None to disable
TRIM_THRESHOLD = 200  # int16 amplitude that counts as speech when trimming espeak's padding
TRIM_MARGIN_S = 0.03

_TAG = re.compile(r"^\[(?P<speaker>[A-Za-z]+)\]\s*(?P<text>.*)$")


@dataclass
class Turn:
    speaker: str
    text: str


class SynthError(RuntimeError):
    pass


def parse_script(text: str) -> list[Turn]:
    """Parse ``[speaker] text`` lines; speakers must be ones we have a voice for."""
    turns: list[Turn] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _TAG.match(line)
        if m:
            speaker = m.group("speaker").lower()
            if speaker not in VOICES:
                raise SynthError(f"line {lineno}: unknown speaker [{speaker}] (use {', '.join(VOICES)})")
            turns.append(Turn(speaker, m.group("text").strip()))
        elif turns:
            turns[-1].text = f"{turns[-1].text} {line}".strip()
        else:
            raise SynthError(f"line {lineno}: text before the first [speaker] tag")
    turns = [t for t in turns if t.text]
    if not turns:
        raise SynthError("the script has no turns")
    return turns


def _pause(index: int, lo_hi: tuple[float, float]) -> float:
    """A pause length that looks random but depends only on the turn index (determinism)."""
    digest = hashlib.sha256(f"scribe-synth-{index}".encode()).digest()
    frac = int.from_bytes(digest[:4], "big") / 2**32
    lo, hi = lo_hi
    return round(lo + frac * (hi - lo), 3)


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SynthError(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.strip()[:500]}")


def _read_pcm(path: Path) -> array.array:
    with wave.open(str(path), "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2 or w.getframerate() != SAMPLE_RATE:
            raise SynthError(f"{path}: expected 16-bit mono {SAMPLE_RATE} Hz")
        pcm = array.array("h")
        pcm.frombytes(w.readframes(w.getnframes()))
    if sys.byteorder == "big":
        pcm.byteswap()
    return pcm


def _trim(pcm: array.array) -> array.array:
    """Drop espeak-ng's leading/trailing silence so truth times mark the speech itself."""
    first = next((i for i, s in enumerate(pcm) if abs(s) > TRIM_THRESHOLD), None)
    if first is None:
        return array.array("h")
    last = next(i for i in range(len(pcm) - 1, -1, -1) if abs(pcm[i]) > TRIM_THRESHOLD)
    margin = int(TRIM_MARGIN_S * SAMPLE_RATE)
    return pcm[max(0, first - margin) : min(len(pcm), last + 1 + margin)]


def _speak(turn: Turn, workdir: Path, index: int) -> array.array:
    cfg = VOICES[turn.speaker]
    txt = workdir / f"turn{index:03d}.txt"
    txt.write_text(turn.text + "\n", encoding="utf-8")
    raw = workdir / f"turn{index:03d}_raw.wav"
    pcm16k = workdir / f"turn{index:03d}.wav"
    _run(
        [
            "espeak-ng",
            "-v",
            cfg["voice"],
            "-s",
            str(cfg["wpm"]),
            "-p",
            str(cfg["pitch"]),
            "-f",
            str(txt),
            "-w",
            str(raw),
        ]
    )
    _run(
        [
            "sox",
            "-R",
            "-V1",
            str(raw),
            "-r",
            str(SAMPLE_RATE),
            "-c",
            "1",
            "-b",
            "16",
            str(pcm16k),
            "gain",
            "-n",
            str(cfg["peak_db"]),
        ]
    )
    pcm = _trim(_read_pcm(pcm16k))
    if not pcm:
        raise SynthError(f"turn {index + 1} produced no audible speech: {turn.text[:60]!r}")
    return pcm


def synthesize(
    turns: list[Turn],
    out_audio: Path,
    truth_path: Path | None = None,
    noise_db: float | None = NOISE_DB,
    source: str = "",
) -> dict:
    """Render ``turns`` to ``out_audio`` (16 kHz mono; format from the extension) and write the truth JSON."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise SynthError(f"{tool} is not installed (apt-get install {tool})")
    out_audio = Path(out_audio)
    truth_path = Path(truth_path) if truth_path else out_audio.with_name(out_audio.stem + "_truth.json")
    records = []
    with tempfile.TemporaryDirectory(prefix="scribe-synth-") as tmp:
        work = Path(tmp)
        speech = array.array("h", bytes(2 * int(LEAD_IN_S * SAMPLE_RATE)))
        prev = None
        for i, turn in enumerate(turns):
            if prev is not None:
                gap = _pause(i, SAME_SPEAKER_PAUSE_S if turn.speaker == prev else SPEAKER_CHANGE_PAUSE_S)
                speech.extend(array.array("h", bytes(2 * int(gap * SAMPLE_RATE))))
            pcm = _speak(turn, work, i)
            start = len(speech) / SAMPLE_RATE
            speech.extend(pcm)
            records.append(
                {
                    "index": i,
                    "speaker": turn.speaker,
                    "role": VOICES[turn.speaker]["role"],
                    "start": round(start, 3),
                    "end": round(len(speech) / SAMPLE_RATE, 3),
                    "text": turn.text,
                }
            )
            prev = turn.speaker
        speech.extend(array.array("h", bytes(2 * int(TAIL_S * SAMPLE_RATE))))
        if sys.byteorder == "big":
            speech.byteswap()
        dry = work / "speech.wav"
        with wave.open(str(dry), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(SAMPLE_RATE)
            w.writeframes(speech.tobytes())
        duration = len(speech) / SAMPLE_RATE
        out_audio.parent.mkdir(parents=True, exist_ok=True)
        fmt = ["-r", str(SAMPLE_RATE), "-c", "1", "-b", "16"]
        if noise_db is None:
            _run(["sox", "-R", "-V1", str(dry), *fmt, str(out_audio)])
        else:
            noise = work / "noise.wav"
            _run(
                [
                    "sox",
                    "-R",
                    "-V1",
                    "-n",
                    "-r",
                    str(SAMPLE_RATE),
                    "-c",
                    "1",
                    "-b",
                    "16",
                    str(noise),
                    "synth",
                    f"{duration:.4f}",
                    "pinknoise",
                    "vol",
                    f"{noise_db}dB",
                ]
            )
            _run(["sox", "-R", "-V1", "-m", "-v", "1", str(dry), "-v", "1", str(noise), *fmt, str(out_audio)])
    truth = {
        "generator": "benchmarks/synth_visit.py",
        "generator_version": GENERATOR_VERSION,
        "source": source,
        "audio": out_audio.name,
        "sample_rate": SAMPLE_RATE,
        "duration": round(duration, 3),
        "voices": VOICES,
        "noise_db": noise_db,
        "turns": records,
        "text": " ".join(r["text"] for r in records),
    }
    truth_path.write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    return truth


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("script", type=Path, help="dialogue script with [doctor]/[patient] lines")
    ap.add_argument("out_audio", type=Path, help="output .wav or .flac (16 kHz mono)")
    ap.add_argument("--truth", type=Path, help="truth JSON path (default: <out stem>_truth.json)")
    ap.add_argument("--no-noise", action="store_true", help="leave silences digitally silent")
    args = ap.parse_args(argv)
    try:
        turns = parse_script(args.script.read_text(encoding="utf-8"))
        truth = synthesize(
            turns, args.out_audio, args.truth, None if args.no_noise else NOISE_DB, source=args.script.name
        )
    except (OSError, SynthError) as exc:
        print(f"synth_visit: {exc}", file=sys.stderr)
        return 1
    words = sum(len(t["text"].split()) for t in truth["turns"])
    print(f"{args.out_audio}: {truth['duration']:.1f} s, {len(truth['turns'])} turns, {words} words")
    return 0


if __name__ == "__main__":
    sys.exit(main())
