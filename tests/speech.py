"""Real speech for tests that need audio but no model pack (espeak-ng)."""

import shutil
import subprocess
from pathlib import Path

import pytest


def espeak_wav(tmp_path_factory: pytest.TempPathFactory, text: str) -> Path:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    path = tmp_path_factory.mktemp("speech") / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True)
    return path
