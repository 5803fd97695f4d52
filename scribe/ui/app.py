"""Entry point of the desktop app: ``scribe-app`` or ``python -m scribe.ui``.

The window is shown first; the speech and language models load afterwards on a worker with
progress in the status bar. A recording cut off by a crash is offered for recovery.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger("scribe.ui")


def _setup_logging(folder: Path) -> Path | None:
    root = logging.getLogger()
    if any(getattr(h, "_scribe", False) for h in root.handlers):
        return None
    root.setLevel(logging.INFO)
    stream = logging.StreamHandler()
    stream.setLevel(logging.WARNING)
    stream._scribe = True  # type: ignore[attr-defined]
    root.addHandler(stream)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "scribe-app.log"
        fh = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
        fh._scribe = True  # type: ignore[attr-defined]
        root.addHandler(fh)
        return path
    except OSError:
        return None


def _excepthook(exc_type, exc, tb) -> None:
    """A bug in a slot must not kill the app silently: log it and say so briefly."""
    log.error("unhandled exception:\n%s", "".join(traceback.format_exception(exc_type, exc, tb)))
    try:
        from PySide6.QtWidgets import QApplication

        from .ops import show_error

        if QApplication.instance() is not None:
            exc._scribe_logged = True
            show_error(QApplication.activeWindow(), exc)
    except Exception:  # noqa: BLE001 - the error is logged above; showing it failed too
        log.exception("could not show the unhandled exception to the user")


def create_app(argv: Sequence[str] | None = None):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(list(argv if argv is not None else sys.argv))
    app.setApplicationName("Scribe")
    app.setOrganizationName("Scribe")
    QGuiApplication.setApplicationDisplayName("Scribe")
    QGuiApplication.setDesktopFileName("scribe")
    return app


def build_window(app, settings=None, **ctx_overrides):
    """Settings -> store, models, context, themed main window (not shown, models not loading)."""
    from ..settings import load_settings
    from ..storage import VisitStore
    from .context import AppContext
    from .main_window import MainWindow
    from .models import ModelHub
    from .player import AudioPlayer
    from .theme import ThemeManager

    settings = settings or load_settings()
    theme = ThemeManager(app)
    theme.apply()
    store = ctx_overrides.pop("store", None) or VisitStore(settings.data_path / "visits")
    models = ctx_overrides.pop("models", None) or ModelHub(settings)
    ctx = AppContext(settings=settings, store=store, models=models, player=AudioPlayer(), **ctx_overrides)
    return MainWindow(ctx, theme)


def self_test(win, app, out: Path, timeout_s: float) -> int:
    """``scribe-app --self-test FILE.png``: show the window, load the models, save a screenshot, exit.

    How IT (and the installers' clean-root test) checks that an installed app starts, finds its
    Qt plugins and native libraries, and loads the speech and language models, without a user.
    """
    from PySide6.QtCore import QElapsedTimer

    hub = win.ctx.models
    hub.load()
    clock = QElapsedTimer()
    clock.start()
    while (hub.loading or hub.asr is None and hub.asr_error() is None) and clock.elapsed() < timeout_s * 1000:
        app.processEvents()
        time.sleep(0.05)
    app.processEvents()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        saved = win.grab().save(str(out))
    except OSError:
        saved = False
    asr = "loaded" if hub.asr is not None else f"failed: {hub.asr_error() or 'timed out'}"
    llm = "loaded" if hub.llm is not None else f"failed: {hub.llm_error() or 'timed out'}"
    print(f"window: '{win.windowTitle()}' {win.width()}x{win.height()} visible={win.isVisible()}")
    print(f"speech model: {asr}")
    print(f"language model: {llm}")
    print(f"screenshot: {out if saved else 'not saved'}")
    ok = win.isVisible() and saved and hub.asr is not None and hub.llm is not None
    win.close()
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    from .compat import qt_binding_problem

    argv = list(sys.argv if argv is None else argv)
    test_png = None
    if "--self-test" in argv:
        i = argv.index("--self-test")
        if i + 1 >= len(argv):
            print("scribe-app: error: --self-test needs the screenshot file to write", file=sys.stderr)
            return 2
        test_png = Path(argv[i + 1])
        del argv[i : i + 2]
    problem = qt_binding_problem()
    if problem:
        print(f"scribe-app: {problem}", file=sys.stderr)
        return 2
    app = create_app(argv)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    from ..errors import ScribeError
    from ..settings import load_settings

    try:
        settings = load_settings()
    except ScribeError as exc:
        QMessageBox.critical(None, "Scribe", str(exc))
        return 2
    _setup_logging(settings.data_path / "logs")
    sys.excepthook = _excepthook
    try:
        win = build_window(app, settings)
    except ScribeError as exc:
        QMessageBox.critical(None, "Scribe", str(exc))
        return 2
    win.show()
    if test_png is not None:
        return self_test(win, app, test_png, timeout_s=float(os.environ.get("SCRIBE_SELF_TEST_TIMEOUT", "600")))
    QTimer.singleShot(0, win.ctx.models.load)  # after the window is on screen
    if win.ctx.check_recovery:
        QTimer.singleShot(200, win.check_recovery)
    return app.exec()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
