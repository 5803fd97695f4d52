"""Known-bad Qt binding builds, refused with a clear message instead of a crash later."""

from __future__ import annotations

import sys


def qt_binding_problem() -> str | None:
    """A sentence saying why this PySide6 cannot run Scribe, or None if it is fine."""
    try:
        import PySide6
    except ImportError as exc:
        return f"PySide6 is not installed ({exc}); install it with: pip install 'PySide6-Essentials>=6.6,<6.12'"
    version = tuple(int(p) for p in PySide6.__version__.split(".")[:3] if p.isdigit())
    if version[:2] == (6, 12) and sys.version_info < (3, 12):
        # Every call of a Qt method returning void drops a reference to None; on Python < 3.12
        # (where None is not immortal) the interpreter aborts with "deallocating None" within
        # seconds of running an event loop.
        return (
            f"PySide6 {PySide6.__version__} crashes on Python {sys.version_info.major}.{sys.version_info.minor} "
            "(it over-releases None). Install an earlier release: pip install 'PySide6-Essentials>=6.6,<6.12'"
        )
    return None
