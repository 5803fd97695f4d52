"""No telemetry and no silent network: the process environment every Scribe entry point runs in.

Scribe promises that audio, transcripts and notes never leave the machine except in an export the
user asked for, and that no library phones home. Several libraries Scribe loads would otherwise
reach out on their own: onnxruntime (loaded by faster-whisper's voice detector) queues telemetry
and looks up a Microsoft events host; huggingface_hub and transformers check the hub for updates
and send usage statistics. Each honours an environment variable, read once when it loads, so
:func:`apply` sets them before anything else is imported. It runs when the ``scribe`` package is
imported, so the CLI, the desktop app, tests and every worker process (which import ``scribe``
first, or inherit the variables) are covered.

Model hubs are off (``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE`` forced) unless the
``allow_hub_download`` setting is on; then :func:`allow_hub_downloads` lifts them for the one
download the user asked for.

The only hosts Scribe itself contacts are the configured language model server
(``llm_server_url``) and FHIR server (``ehr_base_url``); :func:`check_endpoint` refuses a
plain-http URL to anything but this machine, so a transcript never crosses a network in clear.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

# Telemetry and update checks that libraries in Scribe's process honour. Always set, never relaxed.
NO_TELEMETRY = {
    "ORT_DISABLE_TELEMETRY": "1",  # onnxruntime (faster-whisper's Silero VAD): events to Microsoft
    "ORT_TELEMETRY_DISABLED": "1",  # the same, as newer onnxruntime releases spell it
    "HF_HUB_DISABLE_TELEMETRY": "1",  # huggingface_hub / transformers usage pings
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",  # never send a stored hub token along
    "HF_HUB_DISABLE_UPDATE_CHECK": "1",
    "DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",  # the cross-tool convention (consoledonottrack.com)
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
}
# Model hubs: forced offline unless allow_hub_download.
HUB_OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def apply(allow_hub_download: bool = False) -> None:
    """Set the no-telemetry variables (always) and the hub-offline ones (unless allowed).

    Overwrites what the user's environment says: ``HF_HUB_OFFLINE=0`` in a shell profile must not
    turn downloads on behind the organisation's back; only the ``allow_hub_download`` setting can.
    """
    os.environ.update(NO_TELEMETRY)
    if not allow_hub_download:
        os.environ.update(HUB_OFFLINE)


def allow_hub_downloads() -> None:
    """Lift the hub-offline switch for a download ``allow_hub_download`` permits.

    huggingface_hub reads ``HF_HUB_OFFLINE`` when it is imported, so an already imported module is
    told as well. Telemetry stays off.
    """
    for key in HUB_OFFLINE:
        os.environ.pop(key, None)
    os.environ.update(NO_TELEMETRY)
    import sys

    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None and hasattr(constants, "HF_HUB_OFFLINE"):
        setattr(constants, "HF_HUB_OFFLINE", False)  # noqa: B010 - a module read at import time


def is_loopback(host: str) -> bool:
    """True for this machine: ``localhost``, 127.0.0.0/8, ``::1``."""
    host = (host or "").strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(url: str, setting: str) -> str:
    """Return ``url`` if Scribe may send patient data to it, else raise a one-line error.

    https anywhere is fine; plain http only to this machine (a local llama.cpp or vLLM server, a
    test FHIR server). A plain-http URL to another host would send transcripts or notes over the
    network unencrypted, so it is refused whatever the settings or policy say.
    """
    from .errors import PolicyError

    url = (url or "").strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise PolicyError(f"{setting} must start with http:// or https:// and name a host (got '{url}').")
    if parts.username or parts.password:
        raise PolicyError(f"{setting} must not carry a user name or password in the URL; use the keyring instead.")
    if scheme == "http" and not is_loopback(parts.hostname):
        raise PolicyError(
            f"{setting} '{url}' uses plain http to another computer, which would send patient data unencrypted; "
            "use https:// (or a server on this computer, http://127.0.0.1)."
        )
    return url
