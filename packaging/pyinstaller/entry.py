"""Entry point of the frozen (PyInstaller) app: one program image under two names.

``scribe`` (``scribe.exe``) is the command line, ``scribe-app`` (``scribe-app.exe``, the macOS
bundle's executable) the desktop app; both share one ``_internal`` folder, so the native
libraries (llama.cpp, CTranslate2, Qt, PortAudio) are on disk once. ``freeze_support`` comes
first: a child process the app starts (``multiprocessing``'s spawn, a model-runtime worker)
re-runs this executable, and must become that child instead of a second app.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path


def _cpu_problem() -> str:
    """The bundled llama.cpp is built for x86-64-v3 (AVX2, FMA); say so instead of dying on SIGILL."""
    if sys.platform != "linux" or os.uname().machine != "x86_64":
        return ""
    try:
        flags = next(
            (line.split(":", 1)[1].split() for line in open("/proc/cpuinfo") if line.startswith("flags")), None
        )
    except OSError:
        return ""
    missing = [f for f in ("avx2", "fma", "f16c") if flags is not None and f not in flags]
    if missing:
        return (
            f"this processor lacks {', '.join(missing)}, which Scribe's note drafting needs (x86-64-v3, 2013 or newer)."
        )
    return ""


def main() -> int:
    multiprocessing.freeze_support()
    bundle = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[2]))
    if (bundle / "assets" / "templates").is_dir():
        os.environ.setdefault("SCRIBE_ASSETS", str(bundle / "assets"))
    app = Path(sys.executable).stem.lower() == "scribe-app" or os.environ.get("SCRIBE_ENTRY") == "app"
    problem = _cpu_problem()
    if problem:
        print(f"{'scribe-app' if app else 'scribe'}: error: {problem}", file=sys.stderr)
        return 2
    if app:
        from scribe.ui.app import main as app_main

        return app_main()
    from scribe.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
