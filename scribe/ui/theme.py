"""Light and dark palettes, following the system unless the user picks one.

One Fusion style for every platform, so that a screenshot in the user guide looks like what
the physician sees. Colours that carry meaning (recording red, unsupported amber, evidence
highlight) are defined here once and read by the widgets through :func:`colors`.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle


class _Style(QProxyStyle):
    """Fusion, without the stock icons on dialog buttons (they read as clutter here)."""

    def styleHint(self, hint, option=None, widget=None, data=None):  # noqa: N802
        if hint == QStyle.StyleHint.SH_DialogButtonBox_ButtonsHaveIcons:
            return 0
        return super().styleHint(hint, option, widget, data)


THEME_KEY = "ui/theme"  # "system" | "light" | "dark"


@dataclass(frozen=True)
class Colors:
    dark: bool
    accent: QColor
    recording: QColor
    paused: QColor
    unsupported_bg: QColor
    unsupported_current_bg: QColor
    unsupported_fg: QColor
    confirmed_fg: QColor
    supported_fg: QColor
    evidence_bg: QColor
    current_bg: QColor
    muted_fg: QColor
    banner_bg: QColor
    banner_fg: QColor
    locked_bg: QColor


LIGHT = Colors(
    dark=False,
    accent=QColor("#1f6feb"),
    recording=QColor("#d92d20"),
    paused=QColor("#b54708"),
    unsupported_bg=QColor("#fdecc8"),
    unsupported_current_bg=QColor("#fbd38d"),
    unsupported_fg=QColor("#b42318"),
    confirmed_fg=QColor("#067647"),
    supported_fg=QColor("#98a2b3"),
    evidence_bg=QColor("#fff1a8"),
    current_bg=QColor("#e8f0fe"),
    muted_fg=QColor("#667085"),
    banner_bg=QColor("#fef3f2"),
    banner_fg=QColor("#912018"),
    locked_bg=QColor("#f2f4f7"),
)

DARK = Colors(
    dark=True,
    accent=QColor("#58a6ff"),
    recording=QColor("#f97066"),
    paused=QColor("#fdb022"),
    unsupported_bg=QColor("#4e3112"),
    unsupported_current_bg=QColor("#6e4314"),
    unsupported_fg=QColor("#fda29b"),
    confirmed_fg=QColor("#75e0a7"),
    supported_fg=QColor("#667085"),
    evidence_bg=QColor("#4d4215"),
    current_bg=QColor("#1d2d44"),
    muted_fg=QColor("#98a2b3"),
    banner_bg=QColor("#55160c"),
    banner_fg=QColor("#fecdca"),
    locked_bg=QColor("#1f242c"),
)


def _palette(c: Colors) -> QPalette:
    p = QPalette()
    if c.dark:
        window, base, alt, text, button, mid = "#16191e", "#1e2228", "#23272e", "#e6e8eb", "#262b33", "#3a414c"
        disabled = "#6b7280"
    else:
        window, base, alt, text, button, mid = "#f5f6f8", "#ffffff", "#f9fafb", "#1d2939", "#ffffff", "#d0d5dd"
        disabled = "#98a2b3"
    role = QPalette.ColorRole
    p.setColor(role.Window, QColor(window))
    p.setColor(role.WindowText, QColor(text))
    p.setColor(role.Base, QColor(base))
    p.setColor(role.AlternateBase, QColor(alt))
    p.setColor(role.Text, QColor(text))
    p.setColor(role.Button, QColor(button))
    p.setColor(role.ButtonText, QColor(text))
    p.setColor(role.ToolTipBase, QColor(base))
    p.setColor(role.ToolTipText, QColor(text))
    p.setColor(role.PlaceholderText, c.muted_fg)
    p.setColor(role.Highlight, c.accent)
    p.setColor(role.HighlightedText, QColor("#ffffff"))
    p.setColor(role.Link, c.accent)
    p.setColor(role.Mid, QColor(mid))
    p.setColor(role.Midlight, QColor(mid))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, r, QColor(disabled))
    return p


class ThemeManager(QObject):
    """Applies the palette; re-applies it when the system switches between light and dark."""

    changed = Signal()

    def __init__(self, app: QApplication):
        super().__init__(app)
        self._app = app
        self.mode = str(QSettings().value(THEME_KEY, "system"))
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):  # Qt >= 6.5
            hints.colorSchemeChanged.connect(self._system_scheme_changed)

    def _system_scheme_changed(self, *_: object) -> None:
        if self.mode == "system":
            self.apply()

    def system_is_dark(self) -> bool:
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorScheme"):
            return hints.colorScheme() == Qt.ColorScheme.Dark
        return False

    @property
    def is_dark(self) -> bool:
        return self.mode == "dark" or (self.mode == "system" and self.system_is_dark())

    def set_mode(self, mode: str) -> None:
        if mode not in ("system", "light", "dark"):
            raise ValueError(mode)
        self.mode = mode
        QSettings().setValue(THEME_KEY, mode)
        self.apply()

    def toggle(self) -> None:
        self.set_mode("light" if self.is_dark else "dark")

    def apply(self) -> None:
        global _CURRENT
        _CURRENT = DARK if self.is_dark else LIGHT
        if not isinstance(self._app.style(), _Style):
            self._app.setStyle(_Style("Fusion"))
        self._app.setPalette(_palette(_CURRENT))
        self._app.setStyleSheet(stylesheet(_CURRENT))
        self.changed.emit()


_CURRENT: Colors = LIGHT


def colors() -> Colors:
    return _CURRENT


def stylesheet(c: Colors) -> str:
    """A small stylesheet: hierarchy through weight and spacing, not decoration."""
    border = "#3a414c" if c.dark else "#d0d5dd"
    card = "#1e2228" if c.dark else "#ffffff"
    button = "#262b33" if c.dark else "#ffffff"
    text = "#e6e8eb" if c.dark else "#1d2939"
    disabled_bg = "#1f242c" if c.dark else "#f2f4f7"
    return f"""
    QToolTip {{ padding: 6px; border: 1px solid {border}; }}
    QLabel#pageTitle {{ font-size: 17pt; font-weight: 600; }}
    QLabel#sectionTitle {{ font-size: 12pt; font-weight: 600; padding-top: 6px; }}
    QLabel#muted {{ color: {c.muted_fg.name()}; }}
    QLabel#elapsed {{ font-size: 22pt; font-weight: 600; font-family: monospace; }}
    QFrame#card {{ background: {card}; border: 1px solid {border}; border-radius: 8px; }}
    QFrame#banner {{ background: {c.banner_bg.name()}; border: 1px solid {c.unsupported_fg.name()};
                     border-radius: 6px; }}
    QFrame#banner QLabel {{ color: {c.banner_fg.name()}; }}
    QPushButton {{ padding: 6px 14px; border-radius: 6px; border: 1px solid {border};
                   background: {button}; color: {text}; }}
    QPushButton:hover {{ border-color: {c.accent.name()}; }}
    QPushButton:pressed {{ background: {c.current_bg.name()}; }}
    QPushButton:focus {{ border: 2px solid {c.accent.name()}; padding: 5px 13px; }}
    QPushButton:disabled {{ color: {c.muted_fg.name()}; background: {disabled_bg}; }}
    QPushButton#primary {{ background: {c.accent.name()}; color: white; font-weight: 600;
                          border: 1px solid {c.accent.name()}; }}
    QPushButton#primary:disabled {{ background: {border}; border-color: {border}; color: {c.muted_fg.name()}; }}
    QPushButton#record {{ background: {c.recording.name()}; color: white; font-weight: 600;
                         border: 1px solid {c.recording.name()}; min-height: 28px; }}
    QPushButton#record:disabled {{ background: {border}; border-color: {border}; color: {c.muted_fg.name()}; }}
    QTextEdit[locked="true"] {{ background: {c.locked_bg.name()}; }}
    QListWidget#visitList::item {{ padding: 6px 4px; }}
    """


def base_font() -> QFont:
    f = QFont(QApplication.font())
    if f.pointSizeF() < 10:
        f.setPointSizeF(10)
    return f
