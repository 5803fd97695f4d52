"""The main window: visit list on the left, the open visit on the right, models in the status bar."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..drafting.templates import available_templates, get_template
from ..errors import ScribeError
from ..workflow import RecorderPhase
from .context import AppContext
from .dialogs import NewVisitDialog, RecoveryDialog
from .ops import BackgroundOp, serial_pool, show_error, wait_for_ops
from .session import VisitSession
from .settings_dialog import SettingsDialog
from .theme import ThemeManager
from .visit_list import VisitListPanel
from .visit_page import VisitPage

log = logging.getLogger(__name__)


class EmptyPage(QWidget):
    def __init__(self, on_new, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.addStretch(2)
        title = QLabel("No visit open")
        title.setObjectName("pageTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(title)
        text = QLabel("Start a new visit to record the conversation, or reopen one from the list.")
        text.setObjectName("muted")
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(text)
        self.button = QPushButton("Start a new visit  (Ctrl+N)")
        self.button.setObjectName("primary")
        self.button.setMinimumHeight(40)
        self.button.clicked.connect(on_new)
        row = QVBoxLayout()
        row.setAlignment(Qt.AlignmentFlag.AlignCenter)
        row.addWidget(self.button)
        lay.addLayout(row)
        lay.addStretch(3)


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext, theme: ThemeManager | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.theme = theme
        self.session: VisitSession | None = None
        self.setObjectName("mainWindow")
        self.setWindowTitle("Scribe")
        self.resize(1360, 860)
        self.setMinimumSize(980, 640)

        self.visits = VisitListPanel(ctx.store)
        self.visits.open_requested.connect(self.open_visit)
        self.visits.new_requested.connect(self.new_visit)
        self.stack = QStackedWidget()
        self.empty = EmptyPage(self.new_visit)
        self.page = VisitPage(ctx)
        self.page.visit_changed.connect(self.visits.refresh)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.page)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.visits)
        split.addWidget(self.stack)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([270, 1090])
        split.setChildrenCollapsible(False)
        self.setCentralWidget(split)

        self._build_status_bar()
        self._build_menus()
        from .ehr import EhrController  # EHR menu, "Send to EHR", background retries (issue 5)

        self.ehr = EhrController(self)
        hub = ctx.models
        hub.progress.connect(self._model_progress)
        hub.asr_ready.connect(lambda: self._model_state("asr", "ready"))
        hub.llm_ready.connect(lambda: self._model_state("llm", "ready"))
        hub.failed.connect(self._model_failed)
        hub.all_done.connect(self._models_done)
        self._model_state("asr", "ready" if hub.asr is not None else "loading…")
        self._model_state("llm", "ready" if hub.llm is not None else "loading…")
        if ctx.player is not None:
            ctx.player.started.connect(
                lambda t: self.statusBar().showMessage(f"Playing from {int(t // 60):02d}:{int(t % 60):02d}…", 4000)
            )
        if theme is not None:
            theme.changed.connect(self._theme_changed)
        self.visits.refresh()
        self._update_actions()

    def _theme_changed(self) -> None:
        self.visits.fill()
        self.page.refresh_theme()
        for mode, a in getattr(self, "theme_actions", {}).items():
            a.setChecked(self.theme is not None and mode == self.theme.mode)

    # ------------------------------------------------------------------ chrome
    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.model_progress = QProgressBar()
        self.model_progress.setObjectName("modelProgress")
        self.model_progress.setRange(0, 1000)
        self.model_progress.setMaximumWidth(180)
        self.model_progress.setMaximumHeight(14)
        self.model_progress.setTextVisible(False)
        self.model_progress.hide()
        self.model_message = QLabel("")
        self.model_message.setObjectName("modelMessage")
        self.asr_status = QLabel("")
        self.asr_status.setObjectName("asrStatus")
        self.llm_status = QLabel("")
        self.llm_status.setObjectName("llmStatus")
        sb.addPermanentWidget(self.model_message)
        sb.addPermanentWidget(self.model_progress)
        sb.addPermanentWidget(self.asr_status)
        sb.addPermanentWidget(self.llm_status)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        self.new_action = self.add_action(m, "&New visit…", "Ctrl+N", self.new_visit)
        self.export_action = self.add_action(m, "&Export FHIR…", "Ctrl+E", self.page.export)
        m.addSeparator()
        self.settings_action = self.add_action(m, "&Settings…", "Ctrl+,", self.open_settings)
        m.addSeparator()
        self.add_action(m, "&Quit", QKeySequence.StandardKey.Quit, self.close)

        m = mb.addMenu("&Edit")
        self.add_action(m, "&Undo", None, lambda: self._focused("undo"))
        self.add_action(m, "&Redo", None, lambda: self._focused("redo"))
        m.addSeparator()
        self.add_action(
            m, "Next &flagged statement", None, self.page.editor.go_to_next_flagged
        ).setShortcutVisibleInContextMenu(True)

        m = mb.addMenu("&Visit")
        self.record_action = self.add_action(
            m, "&Record / pause", "Ctrl+Shift+R", self.page.toggle_recording, app_wide=True
        )
        self.stop_action = self.add_action(
            m, "&Stop and draft note", "Ctrl+Shift+E", self.page.stop_recording, app_wide=True
        )
        m.addSeparator()
        self.approve_action = self.add_action(m, "&Approve note…", "Ctrl+Shift+A", self.page.approve)
        self.close_visit_action = self.add_action(m, "&Close visit", "Ctrl+W", self.close_visit)

        m = mb.addMenu("V&iew")
        themes = m.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions = {}
        for mode, label in (("system", "Follow &system"), ("light", "&Light"), ("dark", "&Dark")):
            a = QAction(label, self, checkable=True)
            a.setChecked(self.theme is not None and self.theme.mode == mode)
            a.triggered.connect(lambda _=False, md=mode: self._set_theme_mode(md))
            group.addAction(a)
            themes.addAction(a)
            self.theme_actions[mode] = a
        self.add_action(m, "Toggle &dark mode", "Ctrl+Shift+D", self._toggle_theme)
        self.add_action(m, "Visit &list", "Ctrl+L", lambda: self.visits.list.setFocus())

        m = mb.addMenu("&Help")
        self.add_action(m, "&User guide", "F1", self.open_user_guide)
        self.add_action(m, "&About Scribe", None, self.about)

    def add_action(self, menu, text, shortcut, slot, app_wide: bool = False) -> QAction:
        """A menu entry with its shortcut (the EHR page adds its own entries through this)."""
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        if app_wide:
            a.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        a.triggered.connect(lambda _=False: slot())
        menu.addAction(a)
        self.addAction(a)
        return a

    def _focused(self, what: str) -> None:
        w = self.focusWidget()
        if w is not None and hasattr(w, what):
            getattr(w, what)()

    def _toggle_theme(self) -> None:
        if self.theme is not None:
            self.theme.toggle()

    def _set_theme_mode(self, mode: str) -> None:
        if self.theme is not None:
            self.theme.set_mode(mode)

    # ------------------------------------------------------------------ models
    def _model_progress(self, fraction: float, message: str) -> None:
        self.model_progress.show()
        self.model_progress.setValue(int(fraction * 1000))
        self.model_message.setText(message[:80])

    def _model_state(self, kind: str, text: str) -> None:
        label = self.asr_status if kind == "asr" else self.llm_status
        name = "Speech model" if kind == "asr" else "Note model"
        label.setText(f"{name}: {text}")
        label.setProperty("state", text)

    def _model_failed(self, kind: str, exc: BaseException) -> None:
        self._model_state(kind, "not available")
        show_error(self, exc)

    def _models_done(self) -> None:
        self.model_progress.hide()
        self.model_message.setText("")

    # ------------------------------------------------------------------ visits
    def new_visit(self) -> None:
        if self.session is not None and self.session.is_recording:
            show_error(self, ScribeError("Stop the current recording before starting a new visit."))
            return
        try:
            self.ctx.check("record")  # a role that may not record is told so now, not after the form
        except ScribeError as exc:
            show_error(self, exc)
            return
        try:
            templates = {}
            folders = self.ctx.settings.template_folders
            for name in available_templates(folders):
                try:
                    templates[name] = get_template(name, folders).title
                except ScribeError as exc:
                    log.warning("template %s unusable: %s", name, exc)
        except ScribeError as exc:
            show_error(self, exc)
            return
        s = self.ctx.settings
        dlg = NewVisitDialog(templates, s.template, s.require_consent, self.ctx.clinician, self)
        dlg.accepted.connect(lambda: self._create_visit(dlg.encounter(), dlg.consent_given, s.require_consent))
        dlg.open()
        self._new_dialog = dlg

    def _create_visit(self, encounter, consent: bool, required: bool) -> None:
        store = self.ctx.store
        actor = self.ctx.actor if self.ctx.user is not None else (encounter.clinician or self.ctx.clinician)

        def work(_ctx):
            from ..storage import VisitState

            visit = store.create(encounter, actor=actor, state=VisitState.recorded)
            visit.audit("consent", actor, given=bool(consent), required=bool(required))
            return visit

        BackgroundOp(work, on_success=self._show_visit_loaded, parent=self, name="create-visit").start(serial_pool())

    def open_visit(self, encounter_id: str) -> None:
        if self.session is not None and self.session.visit.encounter_id == encounter_id:
            return
        if self.session is not None and self.session.is_recording:
            show_error(self, ScribeError("Stop the current recording before opening another visit."))
            self.visits.set_current(self.session.visit.encounter_id)
            return
        store = self.ctx.store

        def work(_ctx):
            visit = store.open(encounter_id)
            return visit, visit.load_transcript(), visit.load_note()

        BackgroundOp(work, on_success=lambda r: self._show_visit(*r), parent=self, name="open-visit").start()

    def _show_visit_loaded(self, visit) -> None:
        self._show_visit(visit, None, None)

    def _show_visit(self, visit, transcript, note) -> None:
        if self.session is not None:
            self.session.close()
            self.session.deleteLater()
        if self.session is None or self.session.visit.encounter_id != visit.encounter_id:
            self.statusBar().clearMessage()  # "Note approved and signed…" was about the last patient, not this one
        self.session = VisitSession(self.ctx, visit, transcript, note, parent=self)
        self.session.message.connect(lambda m: self.statusBar().showMessage(m, 8000))
        self.session.state_changed.connect(lambda _s: self._update_actions())
        self.session.recorder_state_changed.connect(lambda _s: self._update_actions())
        self.session.note_changed.connect(lambda *_: self._update_actions())
        self.page.bind(self.session)
        self.stack.setCurrentWidget(self.page)
        self.visits.set_current(visit.encounter_id)
        self.visits.refresh()
        self.setWindowTitle(f"{visit.record.encounter.patient_name} — Scribe")
        self._update_actions()
        if self.session.recorder_state == RecorderPhase.idle:
            self.page.recording.record_button.setFocus()

    def close_visit(self) -> None:
        if self.session is None:
            return
        if self.session.is_recording:
            show_error(self, ScribeError("Stop the recording before closing the visit."))
            return
        self.session.close()
        self.page.unbind()
        self.session.deleteLater()
        self.session = None
        self.stack.setCurrentWidget(self.empty)
        self.setWindowTitle("Scribe")
        self.visits.set_current(None)
        self._update_actions()

    def _update_actions(self) -> None:
        s = self.session
        self.record_action.setEnabled(s is not None)
        self.stop_action.setEnabled(s is not None and s.is_recording)
        self.approve_action.setEnabled(self.page.approve_button.isEnabled())
        self.export_action.setEnabled(self.page.export_button.isEnabled())
        self.close_visit_action.setEnabled(s is not None)

    # ------------------------------------------------------------------ recovery
    def check_recovery(self) -> None:
        store = self.ctx.store
        BackgroundOp(
            lambda _c: store.recoverable(), on_success=self._offer_recovery, parent=self, name="find-recoverable"
        ).start()

    def _offer_recovery(self, records: list) -> None:
        if not records:
            return
        dlg = RecoveryDialog(records, self)
        dlg.accepted.connect(lambda: self.recover(dlg.selected_ids()))
        dlg.open()
        self._recovery_dialog = dlg

    def recover(self, encounter_ids: list[str]) -> None:
        store = self.ctx.store
        actor = self.ctx.actor

        def work(_ctx):
            out = []
            for eid in encounter_ids:
                visit = store.open(eid)
                seconds = visit.recover(actor=actor)
                out.append((eid, seconds))
            return out

        def done(result):
            self.visits.refresh()
            if result:
                total = sum(s for _, s in result)
                self.statusBar().showMessage(f"Recovered {len(result)} recording(s), {total:.0f} s of audio.", 10000)
                self.open_visit(result[0][0])

        BackgroundOp(work, on_success=done, parent=self, name="recover").start(serial_pool())

    # ------------------------------------------------------------------ settings / help
    # ------------------------------------------------------------------ security at start
    def check_security(self) -> None:
        """At start, off the UI thread: every audit trail and the security journal are verified (the
        first broken link is shown), and the policy's retention periods are applied."""
        sec = self.ctx.security
        if sec is None:
            return
        store = self.ctx.store

        def work(_ctx):
            from ..security import check_audits
            from ..storage.retention import run_retention

            s = sec.settings
            retention = None
            if s.retention_audio_days > 0 or s.retention_visit_days > 0:
                retention = run_retention(
                    store,
                    audio_days=s.retention_audio_days,
                    visit_days=s.retention_visit_days,
                    actor="policy",
                    journal=sec.journal(),
                )
            return check_audits(store, sec.journal()), retention

        def done(result):
            (visits, journal), retention = result
            problems = [f"Visit {vid}: {rep.problem}" for vid, rep in visits if not rep.ok]
            if not journal.ok:
                problems.append(f"Security journal: {journal.problem}")
            if retention is not None and (retention.audio_deleted or retention.visits_purged):
                self.visits.refresh()
            if problems:
                self.audit_problems = problems
                QMessageBox.warning(
                    self,
                    "Scribe: audit trail damaged or altered",
                    "Scribe checked its audit trails and found damage or tampering. Tell IT (scribe audit verify "
                    "shows the details):\n\n" + "\n".join(problems[:8]),
                )

        BackgroundOp(work, on_success=done, parent=self, name="check-security").start()

    def open_settings(self) -> None:
        dlg = SettingsDialog(self.ctx.settings, self.ctx.list_devices, self, check=self.ctx.check)
        dlg.settings_saved.connect(self._settings_saved)
        dlg.settings_saved.connect(self.ehr.settings_changed)
        dlg.open()
        self._settings_dialog = dlg

    def _settings_saved(self, keys: list) -> None:
        recording = self.session is not None and self.session.is_recording
        if "microphone" in keys and self.ctx.settings.microphone and not recording:
            self.page.recording.microphones.set_preferred(self.ctx.settings.microphone)
        if {"asr_model", "llm_model"} & set(keys):
            self.statusBar().showMessage("Model settings saved; they are used from the next start of Scribe.", 10000)
        elif keys:
            self.statusBar().showMessage("Settings saved.", 5000)

    def open_user_guide(self) -> None:
        guide = Path(__file__).resolve().parents[2] / "docs" / "user-guide.md"
        if guide.is_file():
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(guide)))
        else:
            show_error(self, ScribeError("The user guide is not installed on this computer."))

    def about(self) -> None:
        from .. import __version__

        QMessageBox.about(
            self,
            "About Scribe",
            f"<b>Scribe {__version__}</b><br>A local-first ambient scribe. Audio, transcripts and notes "
            "stay on this computer. Every note is reviewed and approved by a clinician.",
        )

    # ------------------------------------------------------------------ shutdown
    def closeEvent(self, event) -> None:  # noqa: N802
        s = self.session
        if s is not None and s.is_recording:
            ans = QMessageBox.question(
                self, "Quit Scribe", "A visit is being recorded. Stop the recording (it is kept) and quit?"
            )
            if ans != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        if s is not None:
            s.close(wait=True)
        if self.ctx.player is not None:
            self.ctx.player.stop()
        wait_for_ops(15000)
        event.accept()

    def sizeHint(self) -> QSize:
        return QSize(1360, 860)
