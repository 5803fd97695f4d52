"""EHR export in the desktop app: "Send to EHR", the outbox view, today's notes, connection settings.

All network and disk work runs on worker threads through :class:`~scribe.ui.ops.BackgroundOp`;
the widgets only start it and show the result. The core does the work (``scribe.ehr``): the
outbox on disk is the single source of truth, shared with ``scribe ehr …`` scripts (only one
process sends at a time).

* :class:`OutboxSender` — the :class:`~scribe.ui.export.EhrSender` behind the visit page's
  "Send to EHR" button (enabled only for approved notes): queue, then send at once.
* :class:`OutboxDialog` — the queue: status, attempts, the EHR's id, the last error in plain
  words; Retry, Cancel, Retract, Send now, Send today's approved notes (with a summary).
* :class:`EhrSettingsPage` — the "EHR" tab of Settings: base URL, sign-in method, client id,
  scopes, key (generate, export JWKS), token, sign in, and "Test connection".
* :class:`EhrController` — menu actions and a background timer that sends due retries.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..errors import ScribeError
from ..settings import Settings
from .ops import BackgroundOp, show_error

log = logging.getLogger(__name__)

LOCKED_TIP = "Managed by your organisation's policy; ask IT to change it."
AUTH_METHODS = [
    ("backend-services", "SMART Backend Services (site key)"),
    ("app-launch", "SMART App Launch (sign in in the browser)"),
    ("token", "Static token (test servers)"),
    ("none", "None (open test server)"),
]
SETTING_KEYS = ("ehr_base_url", "ehr_auth", "ehr_client_id", "ehr_scope", "ehr_key_alg", "ehr_token_url")


def ehr_configured(settings: Settings) -> bool:
    return bool((settings.ehr_base_url or "").strip())


def _outbox(store: Any):
    from ..ehr.outbox import Outbox

    return Outbox(store)


def _service(settings: Settings):
    from ..ehr.service import EhrService

    return EhrService(settings)


def receipt(item: Any) -> str:
    """One line for the status bar about an item after a send attempt."""
    who = item.patient_name or item.encounter_id
    if item.state.value == "sent":
        if item.kind.value == "retract":
            return f"Retracted in the EHR: {who} v{item.note_version} is marked entered-in-error."
        how = "was already in the EHR" if item.result == "existed" else "filed in the EHR"
        return f"{who} v{item.note_version} {how} as {item.server_reference} (version {item.server_version})."
    if item.state.value == "failed_permanent":
        return item.last_error
    return (
        f"{who} v{item.note_version} is queued for the EHR and will be retried automatically: "
        f"{item.last_error or 'not sent yet'}"
    )


class OutboxSender:
    """ "Send to EHR": queue the approved note durably, then try to send it right away (worker thread)."""

    label = "Send to EHR"

    def __init__(self, settings: Settings, store: Any, actor: str):
        self.settings = settings
        self.store = store
        self.actor = actor

    def send(self, note: Any, progress: Any = None) -> str:
        outbox = _outbox(self.store)
        service = _service(self.settings)
        try:
            if progress:
                progress(0.1, "Queueing for the EHR…")
            item, new = outbox.enqueue_note(note, self.actor, **service.outbox_kw())
            if not new and item.state.value == "sent":
                return f"Already in the EHR as {item.server_reference} (version {item.server_version})."
            if progress:
                progress(0.3, "Sending to the EHR…")
            report = outbox.drain(service, only={item.item_id})
            item = outbox.get(item.item_id)
            if report.busy and item.state.value != "sent":
                return "Queued for the EHR; another Scribe window or script is sending and will send it too."
            if item.state.value == "failed_permanent":
                raise ScribeError(item.last_error)
            return receipt(item)
        finally:
            service.close()


# --------------------------------------------------------------------------- outbox dialog


class OutboxDialog(QDialog):
    """The EHR outbox: what is waiting, what was sent, what needs attention."""

    COLUMNS = ["Patient", "Visit", "Version", "What", "Status", "Attempts", "In the EHR as", "Message"]
    changed = Signal()

    def __init__(self, settings: Settings, store: Any, actor: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("outboxDialog")
        self.setWindowTitle("EHR outbox")
        self.resize(1100, 480)
        self.settings = settings
        self.store = store
        self.actor = actor
        self.items: list = []
        self.busy = 0
        lay = QVBoxLayout(self)
        self.hint = QLabel(
            "Notes are queued here before they are sent; nothing is lost if the EHR or the network is down. "
            "Waiting notes are retried automatically."
        )
        self.hint.setWordWrap(True)
        self.hint.setObjectName("muted")
        lay.addWidget(self.hint)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setObjectName("outboxTable")
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(True)
        hh = self.table.horizontalHeader()
        for c in range(len(self.COLUMNS) - 1):
            hh.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(len(self.COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        lay.addWidget(self.table, 1)
        self.summary = QLabel("")
        self.summary.setObjectName("outboxSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.summary)
        row = QHBoxLayout()
        self.retry_button = QPushButton("&Retry")
        self.retry_button.setObjectName("outboxRetry")
        self.cancel_button = QPushButton("&Cancel sending")
        self.cancel_button.setObjectName("outboxCancel")
        self.retract_button = QPushButton("Re&tract from EHR…")
        self.retract_button.setObjectName("outboxRetract")
        self.send_now_button = QPushButton("&Send waiting now")
        self.send_now_button.setObjectName("outboxSendNow")
        self.today_button = QPushButton("Send &today's approved notes")
        self.today_button.setObjectName("outboxToday")
        self.today_button.setProperty("primary", True)
        self.refresh_button = QPushButton("Re&fresh")
        self.close_button = QPushButton("Close")
        self.retry_button.clicked.connect(self.retry_selected)
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.retract_button.clicked.connect(self.retract_selected)
        self.send_now_button.clicked.connect(self.send_now)
        self.today_button.clicked.connect(self.send_today)
        self.refresh_button.clicked.connect(self.refresh)
        self.close_button.clicked.connect(self.accept)
        for b in (self.retry_button, self.cancel_button, self.retract_button, self.send_now_button, self.today_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.refresh_button)
        row.addWidget(self.close_button)
        lay.addLayout(row)
        if not ehr_configured(settings):
            self.summary.setText("EHR export is not set up: enter the EHR's address in Settings → EHR.")
        self.refresh()

    # ---- data
    def refresh(self) -> None:
        store = self.store
        self._run(lambda _c: _outbox(store).items(), self._show, "outbox-list")

    def _show(self, items: list) -> None:
        selected = self.selected_id()
        self.items = list(reversed(items))  # newest first
        self.table.setRowCount(len(self.items))
        for r, it in enumerate(self.items):
            cells = [
                it.patient_name or "",
                it.encounter_id,
                str(it.note_version),
                "Note" if it.kind.value == "create" else "Retraction",
                it.label,
                str(it.attempts),
                it.server_reference + (f" (v{it.server_version})" if it.server_version else ""),
                it.last_error or it.result,
            ]
            for c, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setData(Qt.ItemDataRole.UserRole, it.item_id)
                if c == 4:
                    cell.setData(Qt.ItemDataRole.AccessibleTextRole, it.state.value)
                if c == 7 and it.last_error:
                    cell.setToolTip(it.last_error)
                self.table.setItem(r, c, cell)
            if it.item_id == selected:
                self.table.selectRow(r)
        self.table.resizeRowsToContents()
        self._update_buttons()

    def selected_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        item = self.table.item(rows[0].row(), 0) if rows else None
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def selected(self):
        iid = self.selected_id()
        return next((i for i in self.items if i.item_id == iid), None)

    def select(self, item_id: str) -> None:
        for r, it in enumerate(self.items):
            if it.item_id == item_id:
                self.table.selectRow(r)
                return

    def state_of(self, item_id: str) -> str | None:
        it = next((i for i in self.items if i.item_id == item_id), None)
        return it.state.value if it else None

    def _update_buttons(self) -> None:
        it = self.selected()
        idle = self.busy == 0
        on = ehr_configured(self.settings)
        st = it.state.value if it else ""
        self.retry_button.setEnabled(idle and on and st in ("queued", "failed_permanent", "cancelled"))
        self.cancel_button.setEnabled(idle and st in ("queued", "failed_permanent"))
        self.retract_button.setEnabled(idle and on and it is not None and it.kind.value == "create" and st == "sent")
        self.send_now_button.setEnabled(idle and on)
        self.today_button.setEnabled(idle and on)

    # ---- actions
    def _run(self, fn, done, name: str) -> None:
        self.busy += 1
        self._update_buttons()

        def ok(result):
            self.busy -= 1
            done(result)
            self._update_buttons()

        def fail(exc):
            self.busy -= 1
            self._update_buttons()
            show_error(self, exc)
            self.refresh()

        BackgroundOp(fn, on_success=ok, on_failure=fail, parent=self, name=name).start()

    def _after(self, message: str) -> None:
        self.summary.setText(message)
        self.changed.emit()
        self.refresh()

    def _send(self, only: set | None = None):
        settings, store = self.settings, self.store

        def work(_c):
            outbox, service = _outbox(store), _service(settings)
            try:
                report = outbox.drain(service, only=only)
            finally:
                service.close()
            items = {i.item_id: i for i in outbox.items()}
            return report, items

        return work

    def retry_selected(self) -> None:
        it = self.selected()
        if it is None:
            return
        store, actor, iid = self.store, self.actor, it.item_id
        send = self._send({iid})

        def work(c):
            _outbox(store).retry(iid, actor)
            _report, items = send(c)
            return receipt(items[iid])

        self._run(work, self._after, "outbox-retry")

    def cancel_selected(self) -> None:
        it = self.selected()
        if it is None:
            return
        store, actor, iid = self.store, self.actor, it.item_id
        self._run(
            lambda _c: _outbox(store).cancel(iid, actor),
            lambda item: self._after(
                f"{item.patient_name or item.encounter_id} v{item.note_version} will not be "
                "sent (Retry sends it after all)."
            ),
            "outbox-cancel",
        )

    def retract_selected(self, confirm: bool = True) -> None:
        it = self.selected()
        if it is None:
            return
        if confirm:
            ans = QMessageBox.question(
                self,
                "Retract from the EHR",
                f"Mark the note of {it.patient_name or it.encounter_id} (version {it.note_version}) as entered in error "
                "in the EHR? Do this only for a note filed to the wrong patient or in error; corrections are amendments.",
            )
            if ans != QMessageBox.StandardButton.Yes:
                return
        store, actor = self.store, self.actor
        eid, version = it.encounter_id, it.note_version
        settings = self.settings

        def work(_c):
            outbox, service = _outbox(store), _service(settings)
            try:
                item = outbox.enqueue_retract(eid, version, actor, reason="retracted in the outbox view")
                outbox.drain(service, only={item.item_id})
                item = outbox.get(item.item_id)
            finally:
                service.close()
            if item.state.value == "failed_permanent":
                raise ScribeError(item.last_error)
            return receipt(item)

        self._run(work, self._after, "outbox-retract")

    def send_now(self) -> None:
        send = self._send()

        def work(c):
            report, items = send(c)
            if report.busy:
                return "Another Scribe window or script is sending right now."
            waiting = sum(1 for i in items.values() if i.state.value in ("queued", "sending"))
            return f"Sent {len(report.sent)}, need attention {len(report.failed)}, waiting to retry {waiting}."

        self._run(work, self._after, "outbox-send")

    def send_today(self) -> None:
        settings, store, actor = self.settings, self.store, self.actor

        def work(_c):
            from ..ehr.outbox import summary_text

            outbox, service = _outbox(store), _service(settings)
            try:
                queued = outbox.enqueue_today(actor, **service.outbox_kw())
                ids = set(queued["queued"] + queued["already"])
                report = outbox.drain(service, only=ids) if ids else None
            finally:
                service.close()
            if not ids and not queued["skipped"]:
                return "There are no notes approved today."
            return summary_text(queued, report, outbox)

        def done(text: str) -> None:
            self._after(text)
            box = QMessageBox(
                QMessageBox.Icon.Information, "Today's notes to the EHR", text.splitlines()[0], parent=self
            )
            box.setObjectName("ehrSummary")
            if "\n" in text:
                box.setDetailedText(text)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
            self._summary_box = box

        self._run(work, done, "outbox-today")


# --------------------------------------------------------------------------- settings page


class EhrSettingsPage(QWidget):
    """The "EHR" tab of the Settings dialog."""

    def __init__(self, settings: Settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ehrSettingsPage")
        self.settings = settings
        v = QVBoxLayout(self)
        form = QFormLayout()
        self.base_url = QLineEdit(settings.ehr_base_url)
        self.base_url.setObjectName("ehrBaseUrl")
        self.base_url.setPlaceholderText("https://ehr.example.org/fhir  (FHIR R4 base URL)")
        self.auth = QComboBox()
        self.auth.setObjectName("ehrAuth")
        for key, label in AUTH_METHODS:
            self.auth.addItem(label, key)
        self.auth.setCurrentIndex(max(0, self.auth.findData(settings.ehr_auth)))
        self.client_id = QLineEdit(settings.ehr_client_id)
        self.client_id.setObjectName("ehrClientId")
        self.scope = QLineEdit(settings.ehr_scope)
        self.scope.setObjectName("ehrScope")
        self.key_alg = QComboBox()
        self.key_alg.setObjectName("ehrKeyAlg")
        for alg in ("ES384", "RS384"):
            self.key_alg.addItem(alg, alg)
        self.key_alg.setCurrentIndex(max(0, self.key_alg.findData((settings.ehr_key_alg or "ES384").upper())))
        self.token_url = QLineEdit(settings.ehr_token_url)
        self.token_url.setObjectName("ehrTokenUrl")
        self.token_url.setPlaceholderText("found automatically (.well-known/smart-configuration)")
        form.addRow("FHIR &base URL", self.base_url)
        form.addRow("Sign-&in method", self.auth)
        form.addRow("&Client id", self.client_id)
        form.addRow("&Scopes", self.scope)
        form.addRow("Key &algorithm", self.key_alg)
        form.addRow("Token &URL", self.token_url)
        v.addLayout(form)
        self._widgets = {
            "ehr_base_url": self.base_url,
            "ehr_auth": self.auth,
            "ehr_client_id": self.client_id,
            "ehr_scope": self.scope,
            "ehr_key_alg": self.key_alg,
            "ehr_token_url": self.token_url,
        }
        for key, w in self._widgets.items():
            if key in settings.locked:
                w.setEnabled(False)
                w.setToolTip(LOCKED_TIP)
                w.setProperty("policyLocked", True)
        row = QHBoxLayout()
        self.keygen_button = QPushButton("&Generate key…")
        self.keygen_button.setObjectName("ehrKeygen")
        self.jwks_button = QPushButton("Export public &JWKS…")
        self.jwks_button.setObjectName("ehrJwks")
        self.token_button = QPushButton("Set &token…")
        self.token_button.setObjectName("ehrSetToken")
        self.login_button = QPushButton("Sign &in…")
        self.login_button.setObjectName("ehrLogin")
        self.test_button = QPushButton("Test &connection")
        self.test_button.setObjectName("ehrTestConnection")
        for b in (self.keygen_button, self.jwks_button, self.token_button, self.login_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.test_button)
        v.addLayout(row)
        self.keyring = QLabel("")
        self.keyring.setObjectName("muted")
        self.keyring.setWordWrap(True)
        v.addWidget(self.keyring)
        self.report = QPlainTextEdit()
        self.report.setObjectName("ehrReport")
        self.report.setReadOnly(True)
        self.report.setPlaceholderText("Test connection shows what the server supports and whether Scribe can sign in.")
        v.addWidget(self.report, 1)
        self.keygen_button.clicked.connect(self.generate_key)
        self.jwks_button.clicked.connect(self.export_jwks)
        self.token_button.clicked.connect(self.set_token)
        self.login_button.clicked.connect(self.sign_in)
        self.test_button.clicked.connect(self.test_connection)
        self.auth.currentIndexChanged.connect(self._update)
        self._update()
        self._keyring_op = BackgroundOp(
            self._keyring_status,
            on_success=self.keyring.setText,
            on_failure=lambda e: None,
            parent=self,
            name="keyring-status",
        ).start()

    @staticmethod
    def _keyring_status(_c) -> str:
        from ..ehr.secrets import keyring_status

        return keyring_status().message

    def _update(self) -> None:
        method = self.auth.currentData()
        self.keygen_button.setVisible(method == "backend-services")
        self.jwks_button.setVisible(method == "backend-services")
        self.key_alg.setEnabled(method == "backend-services" and "ehr_key_alg" not in self.settings.locked)
        self.token_button.setVisible(method == "token")
        self.login_button.setVisible(method == "app-launch")

    def values(self) -> dict[str, Any]:
        return {
            "ehr_base_url": self.base_url.text().strip(),
            "ehr_auth": self.auth.currentData(),
            "ehr_client_id": self.client_id.text().strip(),
            "ehr_scope": " ".join(self.scope.text().split()),
            "ehr_key_alg": self.key_alg.currentData(),
            "ehr_token_url": self.token_url.text().strip(),
        }

    def form_settings(self) -> Settings:
        """A copy of the settings with this page's (unsaved) values, for Test connection."""
        import copy

        s = copy.copy(self.settings)
        for k, val in self.values().items():
            if k not in self.settings.locked:
                setattr(s, k, val)
        return s

    def _busy(self, on: bool) -> None:
        for b in (self.test_button, self.keygen_button, self.login_button):
            b.setEnabled(not on)

    def test_connection(self) -> None:
        settings = self.form_settings()
        self.report.setPlainText("Testing the connection…")
        self._busy(True)

        def work(_c):
            from ..ehr.secrets import keyring_status

            service = _service(settings)
            try:
                return service.test_connection().text() + "\n" + keyring_status().message
            finally:
                service.close()

        def ok(text: str) -> None:
            self._busy(False)
            self.report.setPlainText(text)

        def fail(exc: BaseException) -> None:
            self._busy(False)
            from .ops import error_text

            self.report.setPlainText(f"Problem: {error_text(exc)}\nResult: NOT ready")

        BackgroundOp(work, on_success=ok, on_failure=fail, parent=self, name="ehr-test").start()

    def generate_key(self) -> None:
        alg = self.key_alg.currentData()

        def work(_c):
            from ..ehr import secrets
            from ..ehr.smart import generate_private_key, public_jwks

            if secrets.get_secret(secrets.PRIVATE_KEY):
                return None
            pem = generate_private_key(alg)
            status = secrets.set_secret(secrets.PRIVATE_KEY, pem)
            return status.message, public_jwks(pem)

        def ok(result) -> None:
            if result is None:
                ans = QMessageBox.question(
                    self,
                    "Replace the EHR key",
                    "Scribe already has a signing key. A new key stops sending until IT registers "
                    "its public JWKS with the EHR. Replace it?",
                )
                if ans == QMessageBox.StandardButton.Yes:
                    from ..ehr import secrets

                    secrets.delete_secret(secrets.PRIVATE_KEY)
                    self.generate_key()
                return
            message, jwks = result
            self.report.setPlainText(
                f"New {alg} key stored. {message}\nRegister this public JWKS with the EHR "
                f"(Export public JWKS… saves it to a file):\n{json.dumps(jwks, indent=2)}"
            )

        BackgroundOp(work, on_success=ok, parent=self, name="ehr-keygen").start()

    def export_jwks(self, path: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Save the public JWKS", str(Path.home() / "scribe-jwks.json"), "JSON (*.json)"
            )
            if not path:
                return

        def work(_c):
            from ..ehr import secrets
            from ..ehr.smart import public_jwks

            pem = secrets.get_secret(secrets.PRIVATE_KEY)
            if not pem:
                raise ScribeError("Scribe has no EHR signing key yet; click Generate key first.")
            try:
                Path(path).write_text(json.dumps(public_jwks(pem), indent=2) + "\n", encoding="utf-8")
            except OSError as exc:
                raise ScribeError(f"Cannot save {path}: {exc.strerror or exc}.") from None
            return path

        BackgroundOp(
            work,
            on_success=lambda p: self.report.setPlainText(f"Public JWKS saved to {p}."),
            parent=self,
            name="ehr-jwks",
        ).start()

    def set_token(self) -> None:
        token, ok = QInputDialog.getText(
            self, "EHR access token", "Bearer token (kept in the OS keyring):", QLineEdit.EchoMode.Password
        )
        if not ok or not token.strip():
            return

        def work(_c):
            from ..ehr import secrets

            return secrets.set_secret(secrets.STATIC_TOKEN, token.strip()).message

        BackgroundOp(
            work, on_success=lambda m: self.report.setPlainText(f"Token stored. {m}"), parent=self, name="ehr-token"
        ).start()

    def sign_in(self) -> None:
        settings = self.form_settings()
        self.report.setPlainText("Complete the sign-in in your browser…")
        self._busy(True)

        def work(_c):
            from ..ehr.smart import AppLaunchAuth

            service = _service(settings)
            try:
                auth = service.client.auth
                if not isinstance(auth, AppLaunchAuth):
                    raise ScribeError("Sign in is for the SMART App Launch method.")
                auth.login(service.client)
                return "Signed in to the EHR."
            finally:
                service.close()

        def done(text):
            self._busy(False)
            self.report.setPlainText(text)

        def failed(exc: BaseException) -> None:
            self._busy(False)
            show_error(self, exc)

        BackgroundOp(
            work,
            on_success=done,
            on_failure=failed,
            parent=self,
            name="ehr-login",
        ).start()


# --------------------------------------------------------------------------- window integration


class EhrController(QObject):
    """Menu actions, the "Send to EHR" sender and a timer that sends due retries in the background."""

    interval_ms = 60_000

    def __init__(self, window: Any):
        super().__init__(window)
        self.window = window
        self.ctx = window.ctx
        self._draining = False
        self.dialog: OutboxDialog | None = None
        m = window.menuBar().addMenu("E&HR")
        self.menu = m
        self.outbox_action = window._action(m, "EHR &outbox…", "Ctrl+Shift+O", self.open_outbox)
        self.today_action = window._action(m, "Send &today's approved notes…", None, self.send_today)
        self.timer = QTimer(self)
        self.timer.setInterval(self.interval_ms)
        self.timer.timeout.connect(self.drain_due)
        self.settings_changed()

    def settings_changed(self, _keys: Any = None) -> None:
        on = ehr_configured(self.ctx.settings)
        if on and not isinstance(self.ctx.ehr_sender, OutboxSender) and self.ctx.ehr_sender is None:
            self.ctx.ehr_sender = OutboxSender(self.ctx.settings, self.ctx.store, self.ctx.clinician)
        elif not on and isinstance(self.ctx.ehr_sender, OutboxSender):
            self.ctx.ehr_sender = None
        self.today_action.setEnabled(on)
        page = getattr(self.window, "page", None)
        if page is not None and hasattr(page, "send_button"):
            note = getattr(getattr(self.window, "session", None), "note", None)
            page.send_button.setVisible(note is not None and self.ctx.ehr_sender is not None)
        if on:
            self.timer.start()
        else:
            self.timer.stop()

    def open_outbox(self) -> OutboxDialog:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.raise_()
            return self.dialog
        dlg = OutboxDialog(self.ctx.settings, self.ctx.store, self.ctx.clinician, self.window)
        dlg.changed.connect(self.window.visits.refresh)
        dlg.open()
        self.dialog = dlg
        return dlg

    def send_today(self) -> OutboxDialog:
        dlg = self.open_outbox()
        dlg.send_today()
        return dlg

    def drain_due(self) -> None:
        """Timer: send retries that are due, quietly, off the UI thread."""
        if self._draining or not ehr_configured(self.ctx.settings):
            return
        settings, store = self.ctx.settings, self.ctx.store
        self._draining = True

        def work(_c):
            outbox = _outbox(store)
            if not outbox.due():
                return None
            service = _service(settings)
            try:
                return outbox.drain(service)
            finally:
                service.close()

        def done(report):
            self._draining = False
            if report is not None and (report.sent or report.failed):
                self.window.statusBar().showMessage(
                    f"EHR outbox: {len(report.sent)} sent, {len(report.failed)} need attention.", 10000
                )
                self.window.visits.refresh()
                if self.dialog is not None and self.dialog.isVisible():
                    self.dialog.refresh()

        def failed(exc):
            self._draining = False
            log.warning("background EHR send failed: %s", exc)

        BackgroundOp(work, on_success=done, on_failure=failed, parent=self.window, name="ehr-drain").start()
