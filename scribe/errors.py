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

    problems: list[str]  # set by validation: every problem found (the message names the first)


class PolicyError(ScribeError):
    """A setting is locked by the organisation's managed policy."""


class EhrError(ScribeError):
    """Sending to the EHR (FHIR server) failed.

    ``transient`` tells the outbox whether trying again later can help (network trouble, a busy or
    failing server) or whether a person has to act first (refused note, wrong settings, no access).
    ``status`` is the HTTP status when the server answered, ``retry_after`` the seconds it asked
    us to wait (429/503), ``outcome`` the server's OperationOutcome text when it sent one.
    """

    transient = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        outcome: str = "",
        transient: bool | None = None,
        cause: str = "",
    ):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.outcome = outcome
        self.cause = cause or (f"http {status}" if status else type(self).__name__)
        if transient is not None:
            self.transient = transient


class EhrConnectionError(EhrError):
    """The EHR could not be reached or did not answer in time (retried automatically)."""

    transient = True


class EhrServerError(EhrError):
    """The EHR answered 429 or 5xx (busy or failing; retried automatically)."""

    transient = True


class EhrRejected(EhrError):
    """The EHR refused the request (400/404/409/412/422): a person must act before it can work."""


class EhrAuthError(EhrError):
    """Scribe could not sign in to the EHR, or is not allowed to do this (401/403, token errors)."""


class EhrResponseError(EhrError):
    """The EHR answered with something that is not the FHIR data expected (HTML, huge, wrong type)."""


class PatientMatchError(EhrError):
    """The visit's patient (or encounter) could not be matched to exactly one record in the EHR."""
