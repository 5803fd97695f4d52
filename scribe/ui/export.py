"""Where an approved note leaves the app.

Today: "Export FHIR…" saves the DocumentReference JSON to a file the physician picks.
Sending it straight to an EHR server is its own issue; it plugs in here as an
:class:`EhrSender` given to :class:`~scribe.ui.context.AppContext`. When one is configured,
the main window shows a "Send to EHR" button next to Export and calls :meth:`EhrSender.send`
on a worker thread; the UI code does not change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class EhrSender(Protocol):
    #: Button text, e.g. "Send to Epic (FHIR)".
    label: str

    def send(self, note: Any, progress: Any = None) -> str:
        """Send an approved NoteDraft; return a one-line receipt for the status bar
        (e.g. the server's resource id). Runs on a worker thread; raise ScribeError on failure."""
        ...


def export_fhir_file(note: Any, path: Path, organization: str, template_folders: list[Path] | None = None) -> Path:
    """Write the validated FHIR DocumentReference for ``note`` (worker thread)."""
    from ..fhir.validate import write_document_reference

    write_document_reference(note, path, organization=organization, template_folders=template_folders or ())
    return Path(path)


def default_export_name(note: Any) -> str:
    enc = note.encounter
    return f"{enc.encounter_id}-note-v{note.version}.fhir.json"
