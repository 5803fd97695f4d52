"""Managed policy in the desktop app: a locked setting cannot be changed, allowed_models limits the model boxes,
and IT's model packs are listed with size and sha256. UI mechanics only (no model is loaded)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from PySide6.QtCore import Qt

from scribe.packs import write_pack_manifest
from scribe.settings import load_settings

from .conftest import close_message_boxes, message_boxes


def _open_settings(qtbot, win):
    win.settings_action.trigger()
    qtbot.waitUntil(lambda: getattr(win, "_settings_dialog", None) is not None and win._settings_dialog.isVisible())
    return win._settings_dialog


def _it_pack(folder: Path) -> str:
    folder.mkdir(parents=True)
    (folder / "model.bin").write_bytes(b"\x01" * 70_000)
    (folder / "config.json").write_text("{}")
    write_pack_manifest(folder, "whisper-clinic", "asr", "IT's Whisper")
    return hashlib.sha256(b"\x01" * 70_000).hexdigest()


def test_a_locked_setting_cannot_be_changed_from_the_app(qtbot, make_window, tmp_path, monkeypatch):
    it_dir = tmp_path / "it-models"
    digest = _it_pack(it_dir / "whisper-clinic")
    policy = tmp_path / "policy.toml"
    policy.write_text(
        "require_consent = true\n"
        'allowed_models = ["whisper-clinic", "base", "qwen2.5-coder-1.5b"]\n'
        f'model_dirs = ["{it_dir}"]\n'
        'ehr_base_url = "https://ehr.example.org/fhir"\n'
    )
    monkeypatch.setenv("SCRIBE_POLICY", str(policy))
    settings = load_settings()
    win = make_window(settings)
    dlg = _open_settings(qtbot, win)

    # the locked checkbox is disabled and says why; a click does nothing
    assert not dlg.require_consent.isEnabled() and "organisation" in dlg.require_consent.toolTip()
    qtbot.mouseClick(dlg.require_consent, Qt.MouseButton.LeftButton)
    assert dlg.require_consent.isChecked()

    # the model boxes offer only what the policy allows, and no free-text path
    asr = [dlg.asr_model.itemData(i) for i in range(dlg.asr_model.count())]
    llm = [dlg.llm_model.itemData(i) for i in range(dlg.llm_model.count())]
    assert asr == ["whisper-clinic", "base"] and llm == ["qwen2.5-coder-1.5b"]
    assert not dlg.asr_model.isEditable()

    # IT's pack is listed with its size, sha256 and folder
    qtbot.waitUntil(lambda: dlg.packs.item(0, 3).text() != "checking…", timeout=5000)
    rows = {
        dlg.packs.item(r, 0).text(): [dlg.packs.item(r, c).text() for c in range(6)]
        for r in range(dlg.packs.rowCount())
    }
    assert rows["whisper-clinic"] == [
        "whisper-clinic",
        "Speech recognition",
        "0 MB",
        "✓ installed",
        digest[:12],
        str(it_dir / "whisper-clinic"),
    ]
    assert rows["tiny.en"][3] == "not allowed"
    row = list(rows).index("whisper-clinic")
    assert dlg.packs.item(row, 4).toolTip() == f"sha256 {digest}"

    # saving writes what the user changed and nothing the policy locked
    dlg.asr_model.setCurrentIndex(dlg.asr_model.findData("whisper-clinic"))
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert not dlg.isVisible()
    saved = Path(os.environ["SCRIBE_SETTINGS"]).read_text()
    assert 'asr_model = "whisper-clinic"' in saved and "require_consent" not in saved and "ehr_base_url" not in saved
    again = load_settings()
    assert (again.asr_model, again.require_consent) == ("whisper-clinic", True)


def test_saving_a_locked_key_is_refused_with_a_message(qtbot, make_window, tmp_path, monkeypatch):
    policy = tmp_path / "policy.toml"
    policy.write_text("require_consent = true\n")
    monkeypatch.setenv("SCRIBE_POLICY", str(policy))
    settings = load_settings()
    win = make_window(settings)
    dlg = _open_settings(qtbot, win)
    dlg.require_consent.setEnabled(True)  # as if a bug enabled the widget
    qtbot.mouseClick(dlg.require_consent, Qt.MouseButton.LeftButton)
    assert not dlg.require_consent.isChecked()
    dlg.changed_values = lambda: {"require_consent": False}  # and the dialog forgot to drop locked keys
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(message_boxes()), timeout=5000)
    assert close_message_boxes() == [
        "The setting 'require_consent' is managed by your organisation and cannot be changed here."
    ]
    assert dlg.isVisible()  # not saved, not closed
    assert not Path(os.environ["SCRIBE_SETTINGS"]).exists()
    assert load_settings().require_consent is True
    dlg.reject()
