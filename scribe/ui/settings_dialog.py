"""Settings: microphone, models, templates, vocabulary, storage.

Values come from and go to :mod:`scribe.settings`. A key the organisation's policy locked is
shown greyed out with a tooltip saying so; :meth:`Settings.set` would refuse it anyway.
The default microphone is the core setting ``microphone`` too, so IT can set or lock it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..errors import ScribeError
from ..settings import Settings, save_user_settings
from .ops import BackgroundOp, show_error
from .recording_panel import MicrophoneCombo

log = logging.getLogger(__name__)

LOCKED_TIP = "Managed by your organisation's policy; ask IT to change it."


def preferred_microphone(settings: Settings) -> str | None:
    return settings.microphone or None


def _lock(widget: QWidget, settings: Settings, key: str) -> None:
    if key in settings.locked:
        widget.setEnabled(False)
        widget.setToolTip(LOCKED_TIP)
        widget.setProperty("policyLocked", True)


class SettingsDialog(QDialog):
    settings_saved = Signal(object)  # [changed keys]

    def __init__(
        self,
        settings: Settings,
        list_devices: Callable[[], list],
        parent: QWidget | None = None,
        settings_file: Path | None = None,
        check: Callable[[str], None] | None = None,
    ):
        super().__init__(parent)
        self._check = check
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.setMinimumSize(640, 460)
        self.settings = settings
        self.settings_file = settings_file
        lay = QVBoxLayout(self)
        self.tabs = QTabWidget()
        lay.addWidget(self.tabs)
        self.tabs.addTab(self._recording_page(list_devices), "&Recording")
        self.tabs.addTab(self._models_page(), "&Models")
        self.tabs.addTab(self._templates_page(), "&Templates")
        self.tabs.addTab(self._vocabulary_page(), "&Vocabulary")
        self.tabs.addTab(self._storage_page(), "&Storage")
        from .ehr import EhrSettingsPage

        self.ehr_page = EhrSettingsPage(settings)
        self.tabs.addTab(self.ehr_page, "&EHR")
        if settings.locked:
            note = QLabel(
                f"Some settings are managed by your organisation and cannot be changed here ({', '.join(sorted(settings.locked))})."
            )
            note.setObjectName("muted")
            note.setWordWrap(True)
            lay.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("primary")
        lay.addWidget(buttons)

    # ------------------------------------------------------------------ pages
    def _recording_page(self, list_devices) -> QWidget:
        w = QWidget()
        form = QFormLayout(w)
        self.microphone = MicrophoneCombo(list_devices)
        self.microphone.setObjectName("settingsMicrophone")
        pref = preferred_microphone(self.settings)
        if pref:
            self.microphone.set_preferred(pref)
        _lock(self.microphone, self.settings, "microphone")
        form.addRow("Default &microphone", self.microphone)
        self.require_consent = QCheckBox("Ask for the patient's consent before every recording")
        self.require_consent.setObjectName("requireConsent")
        self.require_consent.setChecked(self.settings.require_consent)
        _lock(self.require_consent, self.settings, "require_consent")
        form.addRow("Consent", self.require_consent)
        return w

    def _models_page(self) -> QWidget:
        from ..packs import PACKS, installed_packs

        w = QWidget()
        v = QVBoxLayout(w)
        form = QFormLayout()
        self.asr_model = QComboBox()
        self.asr_model.setObjectName("asrModel")
        self.llm_model = QComboBox()
        self.llm_model.setObjectName("llmModel")
        allowed = set(self.settings.allowed_models)
        # a folder listing and a few small TOML files: cheap enough to read here
        names = {n: p.kind for n, p in installed_packs(self.settings.model_paths).items()}
        names.update({n: p.kind for n, p in PACKS.items() if n not in names})
        for name, kind in names.items():
            if not allowed or name in allowed:
                (self.asr_model if kind == "asr" else self.llm_model).addItem(name, name)
        for box, key in ((self.asr_model, "asr_model"), (self.llm_model, "llm_model")):
            box.setEditable(not allowed)  # a path of one's own only where the organisation allows any model
            value = getattr(self.settings, key)
            i = box.findData(value)
            if i < 0:
                box.addItem(value, value)
                i = box.count() - 1
            box.setCurrentIndex(i)
            box.setToolTip(
                "A model pack name, or a path to a model folder / GGUF file"
                if not allowed
                else "Your organisation allows only the models listed here"
            )
            _lock(box, self.settings, key)
        form.addRow("&Speech recognition", self.asr_model)
        form.addRow("&Note drafting", self.llm_model)
        v.addLayout(form)
        self.packs = QTableWidget(len(PACKS), len(self.PACK_COLUMNS))
        self.packs.setObjectName("packTable")
        self.packs.setHorizontalHeaderLabels(self.PACK_COLUMNS)
        self.packs.verticalHeader().setVisible(False)
        self.packs.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.packs.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        for row, (name, pack) in enumerate(PACKS.items()):
            self._pack_row(row, [name, pack.kind, f"{pack.size_mb:,} MB", "checking…", "", ""], pack.description)
        hh = self.packs.horizontalHeader()
        for c in range(len(self.PACK_COLUMNS)):
            hh.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(len(self.PACK_COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        v.addWidget(self.packs)
        hint = QLabel(
            "Models are installed by IT (model packages, or pack folders in "
            f"{', '.join(str(d) for d in self.settings.model_paths[:2])}); "
            "nothing is downloaded from the internet by the app."
        )
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        v.addWidget(hint)
        settings = self.settings

        def check(_ctx):
            from ..packs import list_models

            return list_models(settings)

        self._pack_op = BackgroundOp(check, on_success=self._show_packs, on_failure=lambda e: None, name="check-packs")
        self._pack_op.start()
        return w

    PACK_COLUMNS = ["Model", "Used for", "Size", "Status", "SHA-256", "Where"]

    def _pack_row(self, row: int, cells: list[str], tip: str) -> None:
        cells[1] = {"asr": "Speech recognition", "llm": "Note drafting"}.get(cells[1], cells[1])
        for col, text in enumerate(cells):
            it = QTableWidgetItem(text)
            it.setToolTip(tip)
            self.packs.setItem(row, col, it)

    def _show_packs(self, rows: list) -> None:
        """The packs on this machine with size and sha256 (full digest in the tooltip), as `scribe models list`."""
        self.packs.setRowCount(len(rows))
        for i, r in enumerate(rows):
            status = "✓ installed" if r.installed else ("refused" if r.problem else "not installed")
            if r.installed and not r.allowed:
                status = "not allowed"
            size = f"{r.size / 1e9:.2f} GB" if r.size >= 1e9 else f"{r.size / 1e6:,.0f} MB"
            tip = r.problem or r.description
            self._pack_row(i, [r.name, r.kind, size, status, r.sha256[:12], r.location], tip)
            digest_cell = self.packs.item(i, 4)
            if r.sha256 and digest_cell is not None:
                digest_cell.setToolTip(f"sha256 {r.sha256}")

    def _templates_page(self) -> QWidget:
        from ..drafting.templates import available_templates, get_template

        w = QWidget()
        v = QVBoxLayout(w)
        form = QFormLayout()
        self.template = QComboBox()
        self.template.setObjectName("defaultTemplate")
        self.template_list = QListWidget()
        folders = self.settings.template_folders
        for name, path in available_templates(folders).items():
            try:
                t = get_template(name, folders)
                title = t.title
                sections = ", ".join(s.title for s in t.sections)
            except ScribeError as exc:
                title, sections = name, f"(invalid: {exc})"
            self.template.addItem(title, name)
            self.template_list.addItem(f"{title}  —  {sections}\n{path}")
        i = self.template.findData(self.settings.template)
        self.template.setCurrentIndex(max(0, i))
        _lock(self.template, self.settings, "template")
        form.addRow("Default &visit type", self.template)
        v.addLayout(form)
        v.addWidget(QLabel("Available templates"))
        v.addWidget(self.template_list)
        hint = QLabel(
            f"Add your own templates as TOML files in {self.settings.data_path / 'templates'} (see docs/templates.md)."
        )
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        v.addWidget(hint)
        return w

    def _vocabulary_page(self) -> QWidget:
        w = QWidget()
        v = QVBoxLayout(w)
        v.addWidget(QLabel("Extra vocabulary lists (drug names, local terms) that help speech recognition:"))
        self.vocabulary = QListWidget()
        self.vocabulary.setObjectName("vocabularyList")
        for f in self.settings.vocabulary_files:
            self.vocabulary.addItem(str(f))
        v.addWidget(self.vocabulary)
        row = QHBoxLayout()
        self.add_vocab = QPushButton("Add file…")
        self.remove_vocab = QPushButton("Remove")
        self.add_vocab.clicked.connect(self._add_vocabulary)
        self.remove_vocab.clicked.connect(
            lambda: [self.vocabulary.takeItem(self.vocabulary.row(i)) for i in self.vocabulary.selectedItems()]
        )
        row.addWidget(self.add_vocab)
        row.addWidget(self.remove_vocab)
        row.addStretch(1)
        v.addLayout(row)
        for wd in (self.vocabulary, self.add_vocab, self.remove_vocab):
            _lock(wd, self.settings, "vocabulary_files")
        return w

    def _add_vocabulary(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Add vocabulary file", str(Path.home()), "Text files (*.txt);;All files (*)"
        )
        if path:
            self.vocabulary.addItem(path)

    def _storage_page(self) -> QWidget:
        w = QWidget()
        form = QFormLayout(w)
        row = QHBoxLayout()
        self.data_dir = QLineEdit(self.settings.data_dir)
        self.data_dir.setObjectName("dataDir")
        self.data_dir.setPlaceholderText(str(self.settings.data_path))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_data)
        row.addWidget(self.data_dir, 1)
        row.addWidget(browse)
        holder = QWidget()
        holder.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        _lock(holder, self.settings, "data_dir")
        form.addRow("&Data folder", holder)
        note = QLabel(
            "Visits (audio, transcripts, notes, audit trail) are stored here. "
            "A change takes effect when Scribe is restarted; existing visits are not moved."
        )
        note.setObjectName("muted")
        note.setWordWrap(True)
        form.addRow("", note)
        return w

    def _browse_data(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "Choose the data folder", self.data_dir.text() or str(self.settings.data_path)
        )
        if path:
            self.data_dir.setText(path)

    # ------------------------------------------------------------------ saving
    def values(self) -> dict[str, Any]:
        return {
            "require_consent": self.require_consent.isChecked(),
            "asr_model": (
                self.asr_model.currentData()
                if self.asr_model.currentText() == self.asr_model.itemText(self.asr_model.currentIndex())
                else None
            )
            or self.asr_model.currentText().strip(),
            "llm_model": (
                self.llm_model.currentData()
                if self.llm_model.currentText() == self.llm_model.itemText(self.llm_model.currentIndex())
                else None
            )
            or self.llm_model.currentText().strip(),
            "template": self.template.currentData(),
            "vocabulary_files": [self.vocabulary.item(i).text() for i in range(self.vocabulary.count())],
            "data_dir": self.data_dir.text().strip(),
            "microphone": self.microphone.current_device() or "",
            **self.ehr_page.values(),
        }

    def changed_values(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in self.values().items()
            if k not in self.settings.locked and v is not None and v != getattr(self.settings, k)
        }

    def _save(self) -> None:
        from ..access import PERSONAL_SETTINGS

        changes = self.changed_values()
        try:
            if self._check is not None and set(changes) - PERSONAL_SETTINGS:
                self._check("settings")  # beyond one's own microphone and template: admins only (journaled)
            for k, v in changes.items():
                self.settings.set(k, v)  # PolicyError for a locked key: the core decides
            if changes:
                save_user_settings(changes, self.settings_file, self.settings.locked)
        except ScribeError as exc:
            show_error(self, exc)
            return
        self.settings_saved.emit(sorted(changes))
        self.accept()
