"""Storage errors, and the one place an ``OSError`` becomes a sentence a clinician or IT can act on."""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path

from ..errors import ScribeError


class StorageError(ScribeError):
    """Scribe's data folder cannot be written or read (disk full, permissions, corruption)."""

    errno: int | None = None  # the OSError's errno when the cause was one


class VisitNotFound(StorageError):
    """No visit with that encounter id exists in the store."""


@dataclass
class StoreProblem:
    """A visit folder (or outbox entry) that a listing could not read (it was skipped)."""

    folder: Path
    message: str


def storage_error(exc: OSError, doing: str, path: Path) -> StorageError:
    """Turn an OSError into a one-line message a clinician or IT admin can act on."""
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        msg = (
            f"The disk holding Scribe's data is full while {doing} ({path}). "
            "Free some disk space now; recorded audio is kept until it can be saved."
        )
    elif code in (errno.EACCES, errno.EPERM):
        msg = (
            f"Scribe has no permission to write its data while {doing} ({path}). "
            "Ask IT to give your user write access to this folder or choose another data folder."
        )
    elif code == errno.EROFS:
        msg = (
            f"Scribe's data folder is on a read-only disk ({path}) while {doing}. "
            "Choose a writable data folder in Settings."
        )
    elif code in (errno.ENOTDIR, errno.EEXIST) and "creat" in doing:
        msg = (
            f"Scribe cannot create its data folder {path}: part of that path is a file, "
            "not a folder. Choose another data folder in Settings."
        )
    else:
        msg = f"Scribe could not save its data while {doing} ({path}): {exc.strerror or exc}."
    err = StorageError(msg)
    err.errno = code
    return err


def first_line(exc: Exception) -> str:
    """The first line of an exception's message (pydantic's run to many lines)."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
