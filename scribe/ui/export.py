"""Where an approved note leaves the app.

"Export FHIR…" saves the DocumentReference JSON to a file the physician picks
(``VisitWorkflow.export_fhir``). Sending it to an EHR server plugs in as an :class:`EhrSender`
given to :class:`~scribe.ui.context.AppContext`: when one is configured, the main window shows a
"Send to EHR" button next to Export and the session calls :meth:`EhrSender.send` on a worker.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class EhrSender(Protocol):
    #: Button text, e.g. "Send to Epic (FHIR)".
    label: str

    def send(self, note: Any, progress: Any = None) -> str:
        """Send an approved NoteDraft; return a one-line receipt for the status bar
        (e.g. the server's resource id). Runs on a worker thread; raise ScribeError on failure."""
        ...


def default_export_name(note: Any) -> str:
    enc = note.encounter
    return f"{enc.encounter_id}-note-v{note.version}.fhir.json"
