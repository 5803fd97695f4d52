"""Small dialogs: new visit (with consent), approval (who and attestation), recovery."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ..domain import Approval, Encounter, new_id
from ..storage import is_valid_visit_id

CONSENT_TEXT = (
    "The patient (or their representative) agreed that this conversation is recorded and "
    "transcribed to help write the visit note."
)


def _default_attestation() -> str:
    return Approval.model_fields["attestation"].default


class NewVisitDialog(QDialog):
    """Patient, identifiers, visit type (-> note template) and recording consent."""

    def __init__(
        self,
        templates: dict[str, str],
        default_template: str,
        require_consent: bool,
        clinician: str,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("newVisitDialog")
        self.setWindowTitle("New visit")
        self.setMinimumWidth(460)
        self.require_consent = require_consent
        lay = QVBoxLayout(self)
        title = QLabel("Start a new visit")
        title.setObjectName("pageTitle")
        lay.addWidget(title)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.patient_name = QLineEdit()
        self.patient_name.setObjectName("patientName")
        self.patient_name.setPlaceholderText("e.g. Maria Lopez")
        form.addRow("&Patient name", self.patient_name)
        self.mrn = QLineEdit()
        self.mrn.setObjectName("mrn")
        self.mrn.setPlaceholderText("Medical record number")
        form.addRow("&MRN", self.mrn)
        self.encounter_id = QLineEdit(new_id("enc"))
        self.encounter_id.setObjectName("encounterId")
        self.encounter_id.setToolTip(
            "The EHR's encounter (visit) number, if you have it; letters, digits, '.', '_' and '-'."
        )
        form.addRow("&Encounter ID", self.encounter_id)
        self.visit_type = QComboBox()
        self.visit_type.setObjectName("visitType")
        for name, title_ in templates.items():
            self.visit_type.addItem(title_, name)
        i = self.visit_type.findData(default_template)
        self.visit_type.setCurrentIndex(max(0, i))
        form.addRow("&Visit type", self.visit_type)
        self.clinician = QLineEdit(clinician)
        self.clinician.setObjectName("clinician")
        form.addRow("C&linician", self.clinician)
        lay.addLayout(form)
        self.consent = QCheckBox("Patient &consents to recording")
        self.consent.setObjectName("consent")
        self.consent.setToolTip(CONSENT_TEXT)
        lay.addWidget(self.consent)
        note = QLabel(
            CONSENT_TEXT if require_consent else "Recording consent is managed by your organisation's policy."
        )
        note.setObjectName("muted")
        note.setWordWrap(True)
        lay.addWidget(note)
        self.consent.setVisible(require_consent)
        self.problem = QLabel("")
        self.problem.setObjectName("muted")
        self.problem.setWordWrap(True)
        lay.addWidget(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Start visit")
        self.ok_button.setObjectName("primary")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        for w in (self.patient_name, self.mrn, self.encounter_id, self.clinician):
            w.textChanged.connect(self._validate)
        self.consent.toggled.connect(self._validate)
        self._validate()

    def _validate(self) -> None:
        problem = ""
        if not self.patient_name.text().strip():
            problem = "Enter the patient's name."
        elif not self.mrn.text().strip():
            problem = "Enter the patient's MRN."
        elif not is_valid_visit_id(self.encounter_id.text().strip()):
            problem = "The encounter ID may contain letters, digits, '.', '_' and '-' only."
        elif not self.clinician.text().strip():
            problem = "Enter the clinician's name."
        elif self.require_consent and not self.consent.isChecked():
            problem = "Confirm the patient's consent to recording before starting."
        self.problem.setText(problem)
        self.ok_button.setEnabled(not problem)

    def encounter(self) -> Encounter:
        return Encounter(
            encounter_id=self.encounter_id.text().strip(),
            patient_name=self.patient_name.text().strip(),
            patient_id=self.mrn.text().strip(),
            clinician=self.clinician.text().strip(),
            visit_type=self.visit_type.currentData(),
        )

    @property
    def consent_given(self) -> bool:
        return self.consent.isChecked() or not self.require_consent


class ApprovalDialog(QDialog):
    """Who signs, the attestation, and an explicit tick before the note is locked."""

    def __init__(self, note: Any, clinician: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("approvalDialog")
        self.setWindowTitle("Approve note")
        self.setMinimumWidth(520)
        lay = QVBoxLayout(self)
        title = QLabel("Approve and sign this note")
        title.setObjectName("pageTitle")
        lay.addWidget(title)
        enc = note.encounter
        info = QLabel(
            f"{enc.patient_name} · MRN {enc.patient_id} · encounter {enc.encounter_id}<br>"
            f"Note version {note.version}, {len(note.statements())} statements, "
            f"{sum(1 for s in note.statements() if getattr(s.status, 'value', s.status) == 'confirmed')} confirmed by you."
        )
        info.setTextFormat(Qt.TextFormat.RichText)
        info.setWordWrap(True)
        lay.addWidget(info)
        form = QFormLayout()
        self.approver = QLineEdit(clinician)
        self.approver.setObjectName("approver")
        form.addRow("&Approved by", self.approver)
        lay.addLayout(form)
        lay.addWidget(QLabel("Attestation"))
        self.attestation = QPlainTextEdit(_default_attestation())
        self.attestation.setObjectName("attestation")
        self.attestation.setFixedHeight(70)
        lay.addWidget(self.attestation)
        self.agree = QCheckBox("I have reviewed the whole note and agree with the attestation above")
        self.agree.setObjectName("agree")
        lay.addWidget(self.agree)
        lock = QLabel("After approval the note is locked. Later changes create an amendment (a new version).")
        lock.setObjectName("muted")
        lock.setWordWrap(True)
        lay.addWidget(lock)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Approve and lock")
        self.ok_button.setObjectName("primary")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.agree.toggled.connect(self._validate)
        self.approver.textChanged.connect(self._validate)
        self._validate()

    def _validate(self) -> None:
        self.ok_button.setEnabled(self.agree.isChecked() and bool(self.approver.text().strip()))

    @property
    def clinician(self) -> str:
        return self.approver.text().strip()

    @property
    def attestation_text(self) -> str:
        return self.attestation.toPlainText().strip()


class RecoveryDialog(QDialog):
    """At launch: recordings that were cut off (crash, power loss) can be recovered."""

    def __init__(self, records: list, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("recoveryDialog")
        self.setWindowTitle("Recover interrupted recordings")
        self.setMinimumWidth(480)
        lay = QVBoxLayout(self)
        head = QLabel("Scribe was closed while recording")
        head.setObjectName("pageTitle")
        lay.addWidget(head)
        text = QLabel(
            "The audio of these visits was saved as it was recorded. Recover them to transcribe "
            "and draft the note, or keep them for later."
        )
        text.setWordWrap(True)
        lay.addWidget(text)
        self.list = QListWidget()
        self.list.setObjectName("recoveryList")
        for rec in records:
            enc = rec.encounter
            secs = float(getattr(rec, "audio_seconds", 0.0) or 0.0)
            it = QListWidgetItem(
                f"{enc.patient_name} · MRN {enc.patient_id} · started "
                f"{rec.created_at.astimezone().strftime('%d %b %H:%M')}"
                + (f" · about {int(secs // 60)} min {int(secs % 60)} s" if secs else "")
            )
            it.setData(Qt.ItemDataRole.UserRole, enc.encounter_id)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Checked)
            self.list.addItem(it)
        lay.addWidget(self.list)
        self.buttons = QDialogButtonBox()
        self.recover_button = self.buttons.addButton("Recover selected", QDialogButtonBox.ButtonRole.AcceptRole)
        self.recover_button.setObjectName("primary")
        self.later_button = self.buttons.addButton("Later", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)

    def selected_ids(self) -> list[str]:
        out = []
        for i in range(self.list.count()):
            it = self.list.item(i)
            if it.checkState() == Qt.CheckState.Checked:
                out.append(it.data(Qt.ItemDataRole.UserRole))
        return out
