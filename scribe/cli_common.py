"""What the ``scribe`` subcommand modules share: the progress printer, and the settings and
pipeline built from the common options. ``cli.py`` registers the commands and ``quality_cli.py``
adds its own; both import this module, never each other."""

from __future__ import annotations

import re
import sys
import time


class ProgressPrinter:
    """A one-line progress bar on a terminal; sparse plain lines when piped (CI logs)."""

    def __init__(self, stream=sys.stderr, enabled: bool = True):
        self.stream = stream
        self.enabled = enabled
        self.tty = stream.isatty()
        self.last_msg: str | None = None
        self.last_bucket = -1
        self.t0 = time.perf_counter()

    def __call__(self, fraction: float, message: str) -> None:
        if not self.enabled:
            return
        fraction = max(0.0, min(1.0, fraction))
        if self.tty:
            bar = "#" * int(fraction * 30)
            self.stream.write(f"\r{message[:40]:<40} [{bar:<30}] {fraction * 100:5.1f}%")
            if fraction >= 1.0:
                self.stream.write("\n")
            self.stream.flush()
            return
        bucket = int(fraction * 4)
        kind = re.sub(r"[\d:.,]+", "#", message)  # "transcribed 0:05 of 4:52" is one kind of step
        if kind != self.last_msg or bucket > self.last_bucket:
            self.stream.write(f"[{time.perf_counter() - self.t0:6.1f}s] {message}: {fraction * 100:.0f}%\n")
            self.stream.flush()
            self.last_msg, self.last_bucket = kind, bucket


def settings_from_args(args):
    from .settings import load_settings

    s = load_settings()
    for attr, key in (
        ("asr_model", "asr_model"),
        ("llm_model", "llm_model"),
        ("runtime", "llm_runtime"),
        ("server_url", "llm_server_url"),
        ("server_model", "llm_server_model"),
        ("threads", "llm_threads"),
    ):
        value = getattr(args, attr, None)
        if value not in (None, ""):
            s.set(key, value)
    return s


def pipeline_from_args(args):
    from .pipeline import Pipeline

    return Pipeline(settings_from_args(args), ProgressPrinter(enabled=not args.quiet))
