"""The real app on a real X server (Xvfb), captured with ImageMagick's ``import``.

Writes the screenshots into the test's temporary folder, so a test run never changes the
repository; to refresh the ones docs/user-guide.md shows, run it with
``SCRIBE_SCREENSHOT_DIR=docs/screenshots``. The app runs in its own process with
QT_QPA_PLATFORM=xcb; ``screenshot_app.py`` sets each scene up through the normal widgets.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCENES = ["review", "review-dark", "flagged", "approved", "refused", "new-visit", "recording"]
WIDTH, HEIGHT = 1440, 900


def _free_display() -> int:
    for n in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    pytest.skip("no free X display number")


@pytest.fixture
def xvfb():
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    if shutil.which("import") is None:
        pytest.skip("ImageMagick is not installed (apt-get install imagemagick)")
    n = _free_display()
    proc = subprocess.Popen(
        ["Xvfb", f":{n}", "-screen", "0", f"{WIDTH}x{HEIGHT}x24", "-nolisten", "tcp", "-dpi", "96"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 15
        while not Path(f"/tmp/.X11-unix/X{n}").exists():
            if proc.poll() is not None:
                pytest.fail(f"Xvfb exited: {proc.stderr.read().decode()[-500:]}")
            if time.monotonic() > deadline:
                pytest.fail("Xvfb did not start within 15 s")
            time.sleep(0.05)
        yield f":{n}"
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def _read_until(proc, prefix: str, timeout: float) -> str:
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"screenshot app exited with {proc.returncode}: {proc.stderr.read()[-3000:]}")
        if sel.select(timeout=0.5):
            line = proc.stdout.readline().strip()
            if line.startswith("FAILED"):
                raise AssertionError(line)
            if line.startswith(prefix):
                return line
    raise AssertionError(f"no '{prefix}' from the screenshot app within {timeout} s")


@pytest.mark.slow
def test_screenshots_of_the_real_app(xvfb, tmp_path, tmp_path_factory, speech_clip):
    from .conftest import _need_pack

    _need_pack("base")  # the screenshots show the default speech model
    out_dir = Path(os.environ.get("SCRIBE_SCREENSHOT_DIR") or tmp_path_factory.mktemp("screenshots"))
    out_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DISPLAY": xvfb, "QT_QPA_PLATFORM": "xcb", "QT_SCALE_FACTOR": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("screenshot_app.py")),
            "--data",
            str(tmp_path),
            "--clip",
            str(speech_clip),
            "--width",
            str(WIDTH),
            "--height",
            str(HEIGHT),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=str(REPO),
    )
    shots = []
    try:
        _read_until(proc, "STARTED", 60)
        for scene in SCENES:
            proc.stdin.write(scene + "\n")
            proc.stdin.flush()
            ready = _read_until(proc, f"READY {scene}", 180).split()
            png = out_dir / f"{scene}.png"
            cmd = ["import", "-display", xvfb, "-window", "root"]
            if len(ready) == 6:  # a dialog: crop to it, with a margin of the window behind
                x, y, w, h = (int(v) for v in ready[2:])
                m = 28
                cmd += ["-crop", f"{w + 2 * m}x{h + 2 * m}+{max(0, x - m)}+{max(0, y - m)}", "+repage"]
            subprocess.run(cmd + [str(png)], check=True, timeout=30, capture_output=True)
            shots.append((png, len(ready) == 6))
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    for png, cropped in shots:
        assert png.stat().st_size > 10_000, f"{png} looks empty"
        ident = subprocess.run(
            ["identify", "-format", "%w %h %k", str(png)], capture_output=True, text=True, check=True
        )
        w, h, colours = ident.stdout.split()
        if not cropped:
            assert (int(w), int(h)) == (WIDTH, HEIGHT)
        assert int(colours) > 64, f"{png} is nearly blank ({colours} colours)"
