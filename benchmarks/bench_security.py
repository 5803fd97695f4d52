"""Security figures for docs/security.md, each against a baseline tree in the same run.

    python benchmarks/bench_security.py storage   # the cost of sealing the audio (plain vs encrypted store)

    python benchmarks/bench_security.py race    --tree . --baseline /path/to/older/checkout
    python benchmarks/bench_security.py network --tree . --baseline /path/to/older/checkout

``race``: four processes started together (a barrier) on one visit, each appending 200 audit entries,
then each saving 20 note versions, then all opening the recording at once (issue 15 row 4, with two).
Counts duplicate audit sequence numbers, broken chains, note versions lost, recorders that both
"succeeded". ``network``: ``strace`` of ``scribe transcribe`` on the bundled short clip (tiny.en),
counting IPv4/IPv6 connections and DNS queries. Each runs the given tree's ``scribe`` package in
child processes (PYTHONPATH), so an older checkout is measured with its own code.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

WRITERS = "abcd"  # four processes at once: two rarely collide on a fast machine, four always did before the lock

CHILD = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import numpy as np
    from scribe.domain import NoteDraft, Section, Statement
    from scribe.storage import VisitStore
    root, job, name, go = Path(sys.argv[1]), sys.argv[2], sys.argv[3], Path(sys.argv[4])
    visit = VisitStore(root).open("enc-race")
    (go.parent / f"ready-{name}").touch()
    while not go.exists():
        time.sleep(0.001)
    ok, errors = 0, []
    try:
        if job == "audit":
            for i in range(200):
                visit.audit("tick", name, n=i); ok += 1
        elif job == "notes":
            for i in range(20):
                visit.save_note(NoteDraft(sections=[Section(key="p", title="P", statements=[Statement(text=f"{name} {i}")])]), name); ok += 1
        elif job == "record":
            w = visit.open_audio_writer(flush_interval=0.05); ok += 1
            for _ in range(20):
                w.write(np.full(1600, 0.25 if name == "a" else -0.25, dtype=np.float32)); time.sleep(0.02)
            w.close()
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {str(exc)[:90]}")
    print(json.dumps({"ok": ok, "errors": errors}))
    """
)


def _race(tree: Path, job: str, where: str | None) -> tuple[list[dict], Path]:
    root = Path(tempfile.mkdtemp(prefix="scribe-race-", dir=where)) / "visits"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    setup = "import sys; from scribe.domain import Encounter; from scribe.storage import VisitStore; VisitStore(sys.argv[1]).create(Encounter(encounter_id='enc-race'))"
    subprocess.run([sys.executable, "-c", setup, str(root)], env=env, check=True, cwd=tree)
    go = root.parent / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(root), job, n, str(go)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            cwd=tree,
        )
        for n in WRITERS
    ]
    while not all((go.parent / f"ready-{n}").exists() for n in WRITERS):  # both imported and waiting
        time.sleep(0.01)
    go.touch()
    return [json.loads(p.communicate(timeout=600)[0].strip().splitlines()[-1]) for p in procs], root


def _inspect(tree: Path, root: Path, what: str) -> dict:
    code = textwrap.dedent(
        """
        import json, sys, collections
        from scribe.storage import VisitStore
        v = VisitStore(sys.argv[1]).open("enc-race")
        out = {}
        if sys.argv[2] == "audit":
            seqs = [e["seq"] for e in v.audit_log()]
            out = {"entries": len(seqs), "duplicate_seq": sum(c - 1 for c in collections.Counter(seqs).values() if c > 1),
                   "chain_ok": v.verify_audit()}
        elif sys.argv[2] == "notes":
            texts = {n.statements()[0].text for n in v.note_versions()}
            out = {"versions_on_disk": len(v.note_versions()), "versions_lost": 20 * int(sys.argv[3]) - len(texts)}
        else:
            samples, _ = v.load_audio()
            out = {"audio_seconds": round(len(samples) / 16000, 2), "mixed": bool((samples > 0).any() and (samples < 0).any())}
        print(json.dumps(out))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(tree)}
    r = subprocess.run(
        [sys.executable, "-c", code, str(root), what, str(len(WRITERS))],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tree,  # python -c puts the working folder first on sys.path: run in the tree measured
    )
    return json.loads(r.stdout.strip().splitlines()[-1])


def race(tree: Path, where: str | None = None) -> dict:
    out = {}
    for job in ("audit", "notes", "record"):
        results, root = _race(tree, job, where)
        errors = sorted({e for r in results for e in r["errors"]})
        out[job] = {"writers_ok": [r["ok"] for r in results], "errors": errors, **_inspect(tree, root, job)}
    return out


_NET = re.compile(r"(connect|sendto|sendmsg)\(\d+, \{sa_family=AF_INET6?")


def network(tree: Path, where: str | None = None) -> dict:
    clip = Path(__file__).resolve().parents[1] / "assets" / "sample" / "short_clip.flac"
    with tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "trace.txt"
        env = {
            **os.environ,
            "PYTHONPATH": str(tree),
            "SCRIBE_DATA_DIR": tmp,
            "SCRIBE_DATA_PASSPHRASE": "benchmark passphrase",
        }
        env.pop("ORT_DISABLE_TELEMETRY", None)
        env.pop("ORT_TELEMETRY_DISABLED", None)
        cmd = ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace), sys.executable, "-m",
               "scribe", "transcribe", str(clip), "--asr-model", "tiny.en", "--out", str(Path(tmp) / "t.json"), "-q"]  # fmt: skip
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tree)
        lines = [ln for ln in trace.read_text().splitlines() if _NET.search(ln)]
    return {"exit": r.returncode, "network_calls": len(lines), "dns_queries": sum("htons(53)" in ln for ln in lines)}


def storage(tree: Path, where: str | None = None) -> dict:
    """10 minutes of audio written through the crash-safe writer (0.5 s flushes, fsync each) and read
    back, on a plain store and on an encrypted one, in this process (the tree must be this one)."""
    import numpy as np

    from scribe.domain import Encounter
    from scribe.storage import VisitStore
    from scribe.storage.keys import KeyStore

    out = {}
    chunk = (0.1 * np.sin(np.arange(8000) / 16000 * 2 * np.pi * 220)).astype(np.float32)  # 0.5 s
    for label in ("plain", "encrypted"):
        base = Path(tempfile.mkdtemp(prefix="scribe-store-", dir=where))
        keys = (
            KeyStore.open(base / "keys", protection="passphrase", passphrase=lambda _k: "benchmark passphrase")
            if label == "encrypted"
            else None
        )
        visit = VisitStore(base / "visits", keys=keys).create(Encounter(encounter_id="enc-bench"))
        writer = visit.open_audio_writer(flush_interval=3600)
        t0 = time.perf_counter()
        for _ in range(1200):  # 10 minutes
            writer.write(chunk)
            writer.flush()
        writer.close()
        write_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        samples, _ = visit.load_audio()
        read_s = time.perf_counter() - t0
        out[label] = {
            "audio_s": round(len(samples) / 16000, 1),
            "ms_per_flush": round(1000 * write_s / 1200, 2),
            "read_s": round(read_s, 3),
            "bytes_on_disk": (base / "visits" / visit.folder.name / "audio.wav").stat().st_size,
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["race", "network", "storage"])
    ap.add_argument("--tree", default=str(Path(__file__).resolve().parents[1]))
    ap.add_argument("--baseline", help="another checkout to measure the same way")
    ap.add_argument("--dir", help="race: the folder to race in (default: the temp folder; /dev/shm races harder)")
    args = ap.parse_args()
    fn = {"race": race, "network": network, "storage": storage}[args.what]
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    for label, tree in (("baseline", args.baseline), ("this tree", args.tree)):
        if tree:
            print(f"{label} ({tree}): {json.dumps(fn(Path(tree), args.dir))}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
