"""Drug names heard right: recall, invented drug mentions, false corrections and WER on voiced visits.

Visits (each a recording with a truth file of what was said):

- ``sample``: the bundled 5-minute visit (``assets/sample/visit.flac``, espeak-ng voices);
- ``visit10``: the 10-minute benchmark visit (``assets/sample/visit10_script.txt`` rendered by
  ``synth_visit.py``, espeak-ng, cached as ``bench_visit.py`` does);
- ``train``: the ACI-Bench *train* dialogues voiced by ``voice_aci.py`` (Piper neural voice, room
  noise) into ``~/.cache/scribe/voiced/train`` (``--most-drugs 8``: the 8 naming drugs most often).

Configurations, each transcribed in its own process and cached (``~/.cache/scribe/bench/drugs``):

- ``plain``: Whisper base, no word list, no correction (plain Whisper);
- ``hotwords``: Whisper base with the medical word list in the decoder prompt and no correction. With
  ``--before-root DIR`` (a checkout of the code before the correction, e.g. ``git worktree add DIR
  311a521``) it runs *that* code's default engine, hot-word loop guard included: Scribe as it was;
- ``corrected``: Scribe's engine now: no word list, dictionary terms corrected and checked by ear.

Metrics per visit: WER (after the number/unit normalisation grounding uses), drug-name recall (of the
drug mentions in what was said, how many the transcript has, counted per generic drug with the clinical
lexicon, ``scribe.lexicon``), invented drug mentions (mentions beyond what was said: drugs never said,
or said fewer times), clinical-term recall (of the mentions of the vocabulary's clinical terms said,
``[terms]`` of ``assets/vocabulary/medical.txt``: "pitting edema", "echocardiogram", "reflux", how many the
transcript has), and for ``corrected`` the corrections made, split into right (the term was said there) and
false.

Usage::

    python benchmarks/voice_aci.py --split train --most-drugs 8 --out ~/.cache/scribe/voiced/train
    python benchmarks/bench_drugs.py [--visits sample,visit10,train] [--before-root DIR] \
        [--out benchmarks/results/drug_names.json] [--save-transcripts DIR]

``--save-transcripts DIR`` also writes each visit's transcript as ``DIR/<config>/<visit>.json`` (Scribe's
transcript file): what grounding reads in the product, for ``eval_flags.py --transcripts``.
``--saved DIR`` scores transcripts saved so instead of transcribing: two checkouts' transcripts of the same
recordings, scored by one version of the metrics. ``--settle-again`` (with ``--saved``) first takes back, with this
checkout's end-of-visit rule (``scribe.asr.engine.settle_segments``), the corrections it would not keep: a rule
for the finished visit measured on transcripts an earlier checkout saved, without recognising them again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from scribe.eval.wer import wer  # noqa: E402

CACHE = Path(os.environ.get("SCRIBE_BENCH_CACHE", Path.home() / ".cache" / "scribe" / "bench")) / "drugs"
VOICED = Path(os.environ.get("SCRIBE_VOICED_DIR", Path.home() / ".cache" / "scribe" / "voiced" / "train"))
CONFIGS = ("plain", "hotwords", "corrected")

_CHILD = r"""
import json, sys, time
from scribe.asr.engine import FasterWhisperEngine
from scribe.settings import load_settings
config, audio, out = sys.argv[1], sys.argv[2], sys.argv[3]
settings = load_settings()
if config == "plain":
    engine = FasterWhisperEngine("base", settings, hotwords="", correct_terms=False)
elif config == "hotwords-before":
    engine = FasterWhisperEngine("base", settings)  # that checkout's default
elif config == "hotwords":
    engine = FasterWhisperEngine("base", settings, hotwords=None, hotword_tokens=80, correct_terms=False)
else:
    engine = FasterWhisperEngine("base", settings)
engine.load()
t0 = time.perf_counter()
if config == "corrected" and len(sys.argv) > 4:
    # The plain decode is exactly what the engine decodes before correcting (a correction never feeds
    # back into decoding), so correct that cached transcript instead of decoding again: each run of final
    # segments up to ~27 s is checked against its audio, as the streaming recogniser checks each batch.
    from scribe.audio import load_audio
    from scribe.domain import Transcript

    plain = Transcript.model_validate(json.load(open(sys.argv[4]))["transcript"])
    samples = load_audio(audio)
    batches, batch = [], []
    for seg in plain.segments:
        if batch and seg.end - batch[0].start > 27.0:
            batches.append(batch)
            batch = []
        batch.append(seg)
    batches += [batch] if batch else []
    segments = []
    for n, b in enumerate(batches):  # each batch with the words said just before and after it, as the stream passes them
        before = [w.word for w in segments[-1].words] if segments else []
        after = [w.word for w in batches[n + 1][0].words] if n + 1 < len(batches) else []
        segments += engine.correct(samples, 0.0, b, before, after)
    segments = engine.settle(segments)  # the recording is over, as at Stop
    tr = plain.model_copy(update={"segments": segments, "asr_model": engine.name})
else:
    tr = engine.transcribe_file(audio)
seconds = time.perf_counter() - t0
corrections = [c.__dict__ for c in getattr(engine, "corrections", [])]
withdrawn = [w.__dict__ for w in getattr(engine, "withdrawn", [])]
with open(out, "w") as fh:
    result = {"transcript": json.loads(tr.model_dump_json()), "seconds": seconds, "corrections": corrections}
    json.dump({**result, "withdrawn": withdrawn}, fh)
"""


def visits(names: list[str]) -> list[tuple[str, Path, dict]]:
    """(name, audio, truth) for each requested visit set."""
    out = []
    for name in names:
        if name == "sample":
            audio = ROOT / "assets" / "sample" / "visit.flac"
            out.append(("sample", audio, json.loads((ROOT / "assets" / "sample" / "visit_truth.json").read_text())))
        elif name == "visit10":
            from bench_visit import visit_audio

            audio = visit_audio()
            out.append(("visit10", audio, json.loads(audio.with_name("visit10_truth.json").read_text())))
        elif name == "train" or name.startswith("train:"):
            ids = name.split(":", 1)[1].split("+") if ":" in name else None
            # a link to a rendition that is gone is no voiced dialogue
            found = sorted(
                f
                for f in VOICED.glob("*.flac")
                if (ids is None or f.stem in ids) and f.exists() and f.with_suffix(".json").exists()
            )
            if not found:
                raise SystemExit(f"no voiced dialogues in {VOICED}: run benchmarks/voice_aci.py first (see --help)")
            if ids is not None and (missing := sorted(set(ids) - {f.stem for f in found})):
                raise SystemExit(f"not voiced in {VOICED}: {', '.join(missing)} (run benchmarks/voice_aci.py first)")
            out += [(f.stem, f, json.loads(f.with_suffix(".json").read_text())) for f in found]
        else:
            raise SystemExit(f"unknown visit set {name!r} (sample, visit10, train, train:ID+ID)")
    return out


def _cache_path(config: str, audio: Path, before_root: Path | None) -> tuple[Path, str, Path]:
    """(code root, child configuration, cache file) of one configuration on one recording.

    Keyed on the audio and on the source of the code that runs: the recogniser, the vocabulary (not
    for ``plain``, which decodes without it) and for ``corrected`` the correction and the lexicon.
    """
    root = before_root if (config == "hotwords" and before_root) else ROOT
    child_config = "hotwords-before" if root != ROOT else config
    code = hashlib.sha256()
    sources = ["asr/engine.py", "asr/content.py"]
    if child_config != "plain":  # plain decodes with no word list: the vocabulary does not change it
        sources += ["asr/vocabulary.py", "../assets/vocabulary/medical.txt"]
    if child_config == "corrected":
        sources += ["asr/correction.py", "lexicon.py", "wordlist.py"]
    for f in (root / "scribe" / n for n in sources):
        if f.is_file():
            code.update(f.read_bytes())
    digest = hashlib.sha256(audio.read_bytes()).hexdigest()[:12]
    return root, child_config, CACHE / f"{audio.stem}.{child_config}.{digest}.{code.hexdigest()[:10]}.json"


def transcribe(config: str, audio: Path, before_root: Path | None, fresh: bool) -> dict:
    root, child_config, path = _cache_path(config, audio, before_root)
    if path.is_file() and not fresh:
        return json.loads(path.read_text())
    CACHE.mkdir(parents=True, exist_ok=True)
    extra = []
    if config == "corrected":  # corrects the plain decode (see _CHILD)
        transcribe("plain", audio, before_root, fresh)
        extra = [str(_cache_path("plain", audio, before_root)[2])]
    env = {**os.environ, "PYTHONPATH": str(root), "HF_HUB_OFFLINE": "1"}
    t0 = time.time()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, child_config, str(audio), str(path), *extra],
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{config} on {audio.name} failed:\n{proc.stderr[-2000:]}")
    print(f"  {audio.stem} {config}: {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    return json.loads(path.read_text())


# --------------------------------------------------------------------------- metrics


def medication_names():
    """The clinical lexicon (scribe.lexicon: bundled list + drug dictionary, brand -> generic)."""
    from scribe.lexicon import default_lexicon

    return default_lexicon([])


def _norm(text: str) -> str:
    return " " + " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split()) + " "


# the dictionary's one dose-qualified entry: "low dose aspirin" said and "low-ghost aspirin" heard is aspirin heard
_DOSE_QUALIFIED = re.compile(r"^low dose ")


def drug_counts(text: str, lexicon) -> dict[str, int]:
    """Mentions per generic name of the drugs the lexicon's dictionary names in ``text`` (a brand counts
    as its generic; the longest name wins where names overlap; drug-like stems alone do not count)."""
    from scribe.textnorm import tokens

    toks = tokens(text)
    counts: dict[str, int] = {}
    covered = -1
    for i, name in sorted(lexicon.medications_in(toks), key=lambda x: (x[0], -len(x[1]))):
        if i <= covered or name not in lexicon:
            continue
        covered = i + len(name.split()) - 1
        generic = _DOSE_QUALIFIED.sub("", lexicon.generic_of(name))
        counts[generic] = counts.get(generic, 0) + 1
    return counts


def clinical_terms() -> list[str]:
    """The vocabulary's clinical terms the correction may write (``[terms]``, correction targets), longest first."""
    from scribe.asr.correction import is_target
    from scribe.asr.vocabulary import load_vocabulary

    terms = {_norm(t).strip() for t in load_vocabulary([]).terms if is_target(t)}
    return sorted(terms, key=lambda t: (-len(t), t))


def term_counts(text: str, terms: list[str]) -> dict[str, int]:
    """Mentions per clinical term in ``text``; a longer term takes its words from a shorter one inside it
    ("congestive heart failure" is not also "heart failure")."""
    norm, counts = _norm(text), {}
    for term in terms:
        n = norm.count(f" {term} ")
        if n:
            counts[term] = n
            norm = norm.replace(f" {term} ", " | ")
    return counts


def _said_at(truth: dict, start: float, end: float) -> str:
    """What the script says within 3 s of ``start``..``end``."""
    return " ".join(t["text"] for t in truth["turns"] if t["start"] - 3 <= end and t["end"] + 3 >= start)


def judge_corrections(transcript: dict, truth: dict) -> tuple[list[dict], list[dict]]:
    """Corrected words grouped per correction, split by whether the term was said there."""
    right, false = [], []
    for seg in transcript["segments"]:
        words = seg["words"]
        i = 0
        while i < len(words):
            if not words[i].get("original"):
                i += 1
                continue
            j = i
            while j + 1 < len(words) and words[j + 1].get("original") == words[i]["original"]:
                j += 1
            term = " ".join(w["word"] for w in words[i : j + 1])
            start, end = words[i]["start"], words[j]["end"]
            said = _said_at(truth, start, end)
            item = {"at": round(start, 1), "heard": words[i]["original"], "corrected": term}
            name = " ".join(w for w in term.split() if not re.search(r"\d", w))  # a dose a number kept is no term
            (right if _norm(name).strip() in _norm(said) else false).append(item)
            i = j + 1
    return right, false


def score(transcript: dict, truth: dict, names: dict[str, str], terms: list[str] = ()) -> dict:
    hyp = " ".join(s["text"] for s in transcript["segments"])
    ref = truth["text"]
    said, heard = drug_counts(ref, names), drug_counts(hyp, names)
    found = sum(min(n, heard.get(d, 0)) for d, n in said.items())
    terms_said, terms_heard = term_counts(ref, list(terms)), term_counts(hyp, list(terms))
    invented = {d: n - said.get(d, 0) for d, n in heard.items() if n > said.get(d, 0)}
    return {
        "wer": round(wer(ref, hyp), 4),
        "drug_mentions": sum(said.values()),
        "drugs_found": found,
        "invented": sum(invented.values()),
        "invented_detail": invented,
        "never_said": sorted(d for d in heard if d not in said),
        "missed": {d: n - heard.get(d, 0) for d, n in said.items() if heard.get(d, 0) < n},
        # the clinical terms (not drugs) said, and how many of those mentions the transcript has
        "term_mentions": sum(terms_said.values()),
        "terms_found": sum(min(n, terms_heard.get(t, 0)) for t, n in terms_said.items()),
        "terms_missed": {t: n - terms_heard.get(t, 0) for t, n in terms_said.items() if terms_heard.get(t, 0) < n},
    }


def settle_again(transcript: dict) -> dict:
    """A saved corrected transcript with this checkout's end-of-visit withdrawal applied, and what it took back."""
    from scribe.asr.engine import settle_segments
    from scribe.domain import Transcript

    parsed = Transcript.model_validate(transcript)
    segments, withdrawn = settle_segments(parsed.segments, None)
    settled = parsed.model_copy(update={"segments": segments}).model_dump(mode="json")
    return {
        "transcript": settled,
        "seconds": 0.0,
        "withdrawn": [{"original": w.original, "replacement": w.replacement, "start": w.start} for w in withdrawn],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--visits", default="sample,visit10,train")
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--before-root", type=Path, help="checkout whose default engine is the 'hotwords' column")
    ap.add_argument("--fresh", action="store_true", help="transcribe again even if cached")
    ap.add_argument("--out", type=Path, help="write all results as JSON here")
    ap.add_argument("--save-transcripts", type=Path, metavar="DIR", help="write DIR/<config>/<visit>.json transcripts")
    ap.add_argument(
        "--saved",
        type=Path,
        metavar="DIR",
        help="score the transcripts saved in DIR/<config>/<visit>.json (by --save-transcripts) instead of transcribing:"
        " two runs' transcripts scored by the same code",
    )
    ap.add_argument(
        "--settle-again",
        action="store_true",
        help="with --saved: apply this checkout's end-of-visit withdrawal to the saved corrected transcripts first",
    )
    args = ap.parse_args(argv)
    if args.settle_again and not args.saved:
        ap.error("--settle-again needs --saved")
    configs = [c for c in args.configs.split(",") if c]
    names = medication_names()
    terms = clinical_terms()
    load = os.getloadavg()
    rows = []
    for visit, audio, truth in visits(args.visits.split(",")):
        row = {"visit": visit, "duration_s": truth.get("duration")}
        for config in configs:
            if args.saved:
                saved_file = args.saved / config / f"{visit}.json"
                result = {"transcript": json.loads(saved_file.read_text(encoding="utf-8")), "seconds": 0.0}
                if args.settle_again and config == "corrected":
                    result = settle_again(result["transcript"])
            else:
                result = transcribe(config, audio, args.before_root, args.fresh)
            if args.save_transcripts:
                (args.save_transcripts / config).mkdir(parents=True, exist_ok=True)
                saved = args.save_transcripts / config / f"{visit}.json"
                saved.write_text(json.dumps(result["transcript"], indent=1) + "\n", encoding="utf-8")
            metrics = score(result["transcript"], truth, names, terms)
            metrics["seconds"] = round(result["seconds"], 1)
            if config == "corrected":
                right, false = judge_corrections(result["transcript"], truth)
                # with the audio's scores of each (nats; scribe.asr.correction.accepted): to see what a rule would keep
                scores = {
                    c["original"]: {k: round(c[k], 1) for k in ("gain", "fit", "bare") if k in c}
                    for c in result.get("corrections", [])
                }
                for item in right + false:
                    item.update(scores.get(item["heard"], {}))
                metrics.update(
                    corrections_right=len(right), corrections_false=len(false), false_detail=false, right_detail=right
                )
                # taken back at the end of the recording: was the drug said there after all?
                metrics["withdrawn"] = [
                    {**w, "said": _norm(w["replacement"]).strip() in _norm(_said_at(truth, w["start"], w["start"]))}
                    for w in result.get("withdrawn", [])
                ]
            row[config] = metrics
        rows.append(row)

    print(f"load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; at end {os.getloadavg()[0]:.2f}")
    head = "| visit | drug mentions said |" + "".join(f" {c}: WER · recall · invented |" for c in configs)
    print(head + (" corrections right · false |" if "corrected" in configs else ""))
    print("|---|---|" + "---|" * len(configs) + ("---|" if "corrected" in configs else ""))
    total = {c: {"found": 0, "invented": 0, "words_err": 0.0, "false": 0, "right": 0} for c in configs}
    mentions = 0
    for row in rows:
        first = row[configs[0]]
        mentions += first["drug_mentions"]
        line = f"| {row['visit']} | {first['drug_mentions']} |"
        for c in configs:
            m = row[c]
            rec = m["drugs_found"] / m["drug_mentions"] if m["drug_mentions"] else 1.0
            line += f" {100 * m['wer']:.1f} % · {100 * rec:.0f} % · {m['invented']} |"
            total[c]["found"] += m["drugs_found"]
            total[c]["invented"] += m["invented"]
            total[c]["words_err"] += m["wer"]
            total[c]["false"] += m.get("corrections_false", 0)
            total[c]["right"] += m.get("corrections_right", 0)
        if "corrected" in configs:
            line += f" {row['corrected']['corrections_right']} · {row['corrected']['corrections_false']} |"
        print(line)
    line = f"| **all {len(rows)}** | {mentions} |"
    for c in configs:
        t = total[c]
        line += f" {100 * t['words_err'] / len(rows):.1f} % (mean) · {100 * t['found'] / max(1, mentions):.1f} % · {t['invented']} |"
    if "corrected" in configs:
        line += f" {total['corrected']['right']} · {total['corrected']['false']} |"
    print(line)
    said_terms = sum(row[configs[0]]["term_mentions"] for row in rows)
    found = ", ".join(f"{c} {sum(row[c]['terms_found'] for row in rows)}" for c in configs)
    print(f"clinical terms (the vocabulary's, not drugs): {said_terms} mentions said; heard: {found}")
    if args.out:
        args.out.write_text(
            json.dumps({"load_average_start": load, "configs": configs, "visits": rows}, indent=1) + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
