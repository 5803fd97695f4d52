"""User-facing errors.

Anything a user can cause (a missing file, an unknown template, an unapproved note) is
raised as a :class:`ScribeError` subclass with a one-line message that says what is wrong
and what to do. The CLI prints that line and exits non-zero; the UI shows it in a dialog.
Anything else is a bug and keeps its traceback (in the log, not on the user's screen).
"""


class ScribeError(Exception):
    """Base class: ``str(err)`` is a complete sentence fit for a clinician or IT admin."""

    exit_code = 2


class InputError(ScribeError):
    """The file or text given to Scribe is missing, unreadable or of the wrong kind."""


class AudioError(InputError):
    """Audio that cannot be decoded, or that contains no speech."""


class TranscriptError(InputError):
    """A transcript that is empty or cannot be parsed."""


class TemplateError(ScribeError):
    """Unknown or invalid note template."""


class ModelError(ScribeError):
    """A model folder or pack is missing, incomplete or corrupt."""


class DraftingError(ScribeError):
    """The language model could not produce a valid note."""


class ApprovalError(ScribeError):
    """The note is not approved (or was changed after approval)."""


class ExportError(ScribeError):
    """The note cannot be turned into a valid FHIR resource or written."""


class PolicyError(ScribeError):
    """A setting is locked by the organisation's managed policy."""
