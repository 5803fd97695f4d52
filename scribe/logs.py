"""Log files that hold no patient data, readable by their owner only, rotated.

Scribe's own log calls name things by id (visit, note version, segment index), never by content.
Some text still reaches a log from outside: an exception message quoting a file name (a clinic's
file may be called after the patient), pydantic quoting the bad input, a library repeating what it
was given. :class:`PhiFilter` scrubs every record before it is written, at every level:

* the patient names and MRNs Scribe is working with (:func:`register_phi`, called when a visit is
  opened) are replaced wherever they appear;
* pydantic's ``input_value=…`` is cut;
* quoted absolute paths and paths passed as arguments become ``<path>`` (a clinic's folders and
  files can be named after patients); Python source files stay, so a traceback still points at code.

Files are created 0600 in a 0700 folder and rotated (2 MB x 3), so a log never grows without bound
and other accounts on a shared workstation cannot read it.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import threading
import traceback
from pathlib import Path, PurePath

MAX_BYTES = 2_000_000
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"

_terms: set[str] = set()
_terms_lock = threading.Lock()
_pattern: re.Pattern | None = None

_INPUT_VALUE = re.compile(r"input_value=.*?(?=, input_type=|\]$|$)", re.M)
_QUOTED_PATH = re.compile(r"""(['"])(?:[A-Za-z]:[\\/]|/|~/)[^'"\n]*\1""")
_PLACEHOLDER = "[patient data]"


def register_phi(*terms: str) -> None:
    """Words that identify the patient in hand (name, MRN); they never reach a log file."""
    global _pattern
    with _terms_lock:
        for term in terms:
            term = (term or "").strip()
            if len(term) >= 3 and term.lower() not in ("unknown", "unknown patient"):
                _terms.add(term)
                _terms.update(w for w in term.split() if len(w) >= 4)  # "Doe, Jane" -> also each name
        _pattern = (
            re.compile("|".join(re.escape(t) for t in sorted(_terms, key=len, reverse=True)), re.I) if _terms else None
        )


def forget_phi() -> None:
    """Tests: start from an empty list of terms."""
    global _pattern
    with _terms_lock:
        _terms.clear()
        _pattern = None


def _path_text(value: os.PathLike | str) -> str:
    """A path as ``<path>`` (folder and file names can carry a patient's name), but Python source
    files as they are: a traceback still says where a bug is."""
    text = str(value)
    return text if text.endswith(".py") else "<path>"


def redact(text: str) -> str:
    """``text`` with registered patient words, pydantic input values and quoted paths removed."""
    if not text:
        return text
    text = _INPUT_VALUE.sub("input_value=[redacted]", text)
    text = _QUOTED_PATH.sub(lambda m: m.group(1) + _path_text(m.group(0)[1:-1]) + m.group(1), text)
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(_PLACEHOLDER, text)
    return text


def _scrub_arg(arg):
    if isinstance(arg, (int, float, bool)) or arg is None:
        return arg
    if isinstance(arg, PurePath):
        return _path_text(arg)
    if isinstance(arg, BaseException):
        return redact(f"{type(arg).__name__}: {arg}")
    return redact(str(arg))


class PhiFilter(logging.Filter):
    """Scrub a record in place (message, arguments, traceback) before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            try:
                record.msg = redact(str(record.msg) % tuple(_scrub_arg(a) for a in args))
            except (TypeError, ValueError):
                record.msg = redact(record.getMessage())
            record.args = None
        else:
            record.msg = redact(str(record.msg))
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files are created 0600 (owner only), scrubbed by :class:`PhiFilter`."""

    def __init__(self, path: Path, max_bytes: int = MAX_BYTES, backups: int = BACKUPS):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _make_private(path)
        super().__init__(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        self.addFilter(PhiFilter())
        self.setFormatter(logging.Formatter(FORMAT))

    def _open(self):
        _make_private(Path(self.baseFilename))
        return super()._open()


def _make_private(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.close(fd)
    if os.name == "posix":
        os.chmod(path, 0o600)


def log_folder(settings) -> Path:
    """Where Scribe's logs live: beside the visits, so they share the data folder's protection."""
    return settings.data_path / "logs"


def setup(folder: Path, name: str, level: int = logging.INFO, console: int | None = logging.WARNING) -> Path | None:
    """Send Scribe's logging to ``folder/name`` (once per process); return the file, None if unwritable.

    The console handler (if any) gets the same filter: a terminal is a log too.
    """
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_scribe", False):
            existing = getattr(handler, "baseFilename", None)
            return Path(existing) if existing else None
    root.setLevel(min(level, root.getEffectiveLevel()))
    if console is not None:
        stream = logging.StreamHandler()
        stream.setLevel(console)
        stream.addFilter(PhiFilter())
        stream._scribe_console = True  # type: ignore[attr-defined]
        root.addHandler(stream)
    try:
        handler = PrivateRotatingFileHandler(Path(folder) / name)
    except OSError:
        return None
    handler.setLevel(level)
    handler._scribe = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    return Path(handler.baseFilename)
