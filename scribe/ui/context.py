"""Everything the UI needs from the outside world, in one object that tests can replace.

The desktop app builds one :class:`AppContext` from the settings. Tests build theirs with a
:class:`~scribe.recording.FileReplaySource` instead of the microphone, a temporary visit
store, and (for pure UI-mechanics tests only) fake models.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..settings import Settings
from .export import EhrSender


def os_user_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (containers): fall back
        return os.environ.get("USER") or os.environ.get("USERNAME") or "clinician"


def _default_make_source(device: Any) -> Any:
    from ..recording import SoundDeviceSource

    return SoundDeviceSource(device)


def _default_list_devices() -> list:
    from ..recording import list_input_devices

    return list_input_devices()


def _default_transcriber(engine: Any) -> Any:
    from ..asr.engine import StreamingTranscriber

    return StreamingTranscriber(engine)


def _default_drafter(runtime: Any, template: Any) -> Any:
    from ..drafting.drafter import NoteDrafter

    return NoteDrafter(runtime, template)


@dataclass
class AppContext:
    settings: Settings
    store: Any  # scribe.storage.VisitStore
    models: Any  # scribe.ui.models.ModelHub
    clinician: str = field(default_factory=os_user_name)
    make_source: Callable[[Any], Any] = _default_make_source
    list_devices: Callable[[], list] = _default_list_devices
    make_transcriber: Callable[[Any], Any] = _default_transcriber
    make_drafter: Callable[[Any, Any], Any] = _default_drafter  # (runtime, template) -> NoteDrafter
    player: Any = None  # scribe.ui.player.AudioPlayer
    ehr_sender: EhrSender | None = None  # "Send to EHR" (a later issue); None hides the action
    warm_interval_s: float = 15.0  # bring the draft up to the transcript this often while recording (0: off)
    autosave_s: float = 30.0  # save an edited draft this long after the last edit
    check_recovery: bool = True
    # Who is acting and with which keys (scribe.security). The app always has one: the user comes from
    # the OS account (not a text box), the keys seal the store and sign approvals, refusals are journaled.
    # Tests of pure UI mechanics may leave it out (no role checks, unsigned approvals).
    security: Any = None

    def __post_init__(self) -> None:
        if self.security is not None:
            self.clinician = self.security.user.name

    @property
    def user(self) -> Any:
        return self.security.user if self.security is not None else None

    @property
    def actor(self) -> str:
        """What the audit trail records for the person at the keyboard: the account, not a typed name."""
        return self.security.user.actor if self.security is not None else self.clinician

    @property
    def keys(self) -> Any:
        return self.security.keys if self.security is not None else None

    def check(self, action: str, what: str = "") -> None:
        """AccessDenied (one sentence, journaled) unless the acting user's role allows ``action``."""
        if self.security is not None:
            from ..access import Action

            self.security.require(Action(action), what)
