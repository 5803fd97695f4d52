"""Where bundled data (templates, vocabulary, sample visit, FHIR schema) lives, and the data files of installed
packages read without importing them.

In a source checkout it is the top-level ``assets/`` folder; installers put the same tree in
``<prefix>/share/scribe/assets``. ``SCRIBE_ASSETS`` overrides both (used by packaged builds).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def assets_dir() -> Path:
    candidates = []
    if os.environ.get("SCRIBE_ASSETS"):
        candidates.append(Path(os.environ["SCRIBE_ASSETS"]))
    candidates.append(Path(__file__).resolve().parent.parent / "assets")
    candidates.append(Path(sys.prefix) / "share" / "scribe" / "assets")
    for c in candidates:
        if (c / "templates").is_dir():
            return c
    return candidates[0]


def asset(*parts: str) -> Path:
    return assets_dir().joinpath(*parts)


def package_file(package: str, *parts: str) -> Path | None:
    """A data file shipped inside an installed package (``parts`` below its folder), found without importing the
    package, whose ``__init__`` may load heavy or networked code; None when the package or the file is missing."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent.joinpath(*parts)
    return path if path.is_file() else None
