"""The one settings layer.

Every configurable value is read through :func:`load_settings`. Values come from, in
increasing priority: built-in defaults, the user's ``settings.toml``, environment variables
(``SCRIBE_<NAME>``), and finally the organisation's managed policy file. A key present in the
policy is *locked*: user files and the UI cannot override it, and :meth:`Settings.set` refuses
with a clear :class:`PolicyError`. IT deploys the policy file with the installer
(``/etc/scribe/policy.toml`` on Linux, ``%ProgramData%\\Scribe\\policy.toml`` on Windows,
``/Library/Application Support/Scribe/policy.toml`` on macOS, or the path in ``SCRIBE_POLICY``).
Model packs IT adds are found in :func:`system_model_dirs` (docs/it/model-packs.md).
"""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import InputError, PolicyError


def _user_dir(kind: str) -> Path:
    """Per-user directories that follow the OS conventions (XDG on Linux)."""
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", home / "AppData" / "Local")) / "Scribe"
        return base / kind
    if sys.platform == "darwin":
        return home / "Library" / ("Caches" if kind == "cache" else "Application Support") / "Scribe"
    env = {"cache": "XDG_CACHE_HOME", "data": "XDG_DATA_HOME", "config": "XDG_CONFIG_HOME"}[kind]
    default = {"cache": ".cache", "data": ".local/share", "config": ".config"}[kind]
    return Path(os.environ.get(env, home / default)) / "scribe"


def default_policy_path() -> Path:
    if "SCRIBE_POLICY" in os.environ:
        return Path(os.environ["SCRIBE_POLICY"])
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA", "C:/ProgramData")) / "Scribe" / "policy.toml"
    if sys.platform == "darwin":
        return Path("/Library/Application Support/Scribe/policy.toml")
    return Path("/etc/scribe/policy.toml")


def system_model_dirs() -> list[Path]:
    """Folders model packs are installed into machine-wide, searched in this order.

    IT's own folder comes before the packaged one, so a pack IT drops in replaces a packaged
    pack of the same name; a frozen app also looks next to its executable (the MSI's and the
    macOS bundle's default models).
    """
    if sys.platform == "win32":
        dirs = [Path(os.environ.get("PROGRAMDATA", "C:/ProgramData")) / "Scribe" / "models"]
    elif sys.platform == "darwin":
        dirs = [Path("/Library/Application Support/Scribe/models")]
    else:
        dirs = [Path("/usr/local/share/scribe/models"), Path("/usr/share/scribe/models")]
    if getattr(sys, "frozen", False):
        exe_dir = Path(sys.executable).resolve().parent
        dirs.append(exe_dir.parent / "Resources" / "models" if sys.platform == "darwin" else exe_dir / "models")
    return dirs


@dataclass
class Settings:
    # models
    asr_model: str = "base"  # pack name ("base", "tiny.en") or a CTranslate2 folder
    asr_compute_type: str = "int8"
    asr_device: str = "cpu"
    asr_threads: int = 0  # 0 = let CTranslate2 decide
    asr_live_preview_s: float = 2.0  # show not-yet-final words this often while recording (0 = off)
    llm_model: str = "qwen2.5-coder-1.5b"  # pack name, GGUF file or HF folder
    llm_runtime: str = "auto"  # auto | llama.cpp | transformers | openai
    llm_threads: int = 0  # 0 = number of physical cores
    llm_context: int = 8192
    llm_server_url: str = ""  # for the openai runtime, e.g. http://127.0.0.1:8080/v1
    llm_server_model: str = ""
    llm_server_api_key: str = ""  # better supplied via SCRIBE_LLM_SERVER_API_KEY
    allow_hub_download: bool = False  # air-gapped by default
    model_dirs: list[str] = field(default_factory=list)  # more model-pack folders, searched before the system ones
    allowed_models: list[str] = field(default_factory=list)  # pack names (or paths) users may pick; empty = any
    # drafting
    template: str = "soap"
    vocabulary_files: list[str] = field(default_factory=list)  # extra hotword lists
    # storage
    cache_dir: str = ""
    data_dir: str = ""
    # recording
    microphone: str = ""  # input device name; "" = the system default
    # workflow
    require_consent: bool = True
    organization_name: str = "Scribe Clinic"
    # EHR export (docs/ehr.md). Secrets (private key, tokens) live in the OS keyring, never here.
    ehr_base_url: str = ""  # FHIR R4 base, e.g. https://ehr.example.org/fhir; empty = EHR export off
    ehr_auth: str = "backend-services"  # backend-services | app-launch | token | none
    ehr_client_id: str = ""  # as registered with the EHR
    ehr_scope: str = (
        "system/DocumentReference.write system/DocumentReference.read system/Patient.read system/Encounter.read"
    )
    ehr_key_alg: str = "ES384"  # ES384 | RS384 (signing the Backend Services assertion)
    ehr_token_url: str = ""  # empty = discovered from .well-known/smart-configuration
    ehr_authorize_url: str = ""  # app launch only; empty = discovered
    ehr_redirect_port: int = 0  # app launch loopback redirect port; 0 = any free port
    ehr_timeout: float = 20.0  # seconds per HTTP request
    ehr_mrn_system: str = "urn:scribe:mrn"  # identifier system of the MRN in the EHR
    ehr_encounter_system: str = "urn:scribe:encounter"
    ehr_require_encounter: bool = False  # stop when the visit's encounter is not found in the EHR
    # which keys the policy locked (filled in by load_settings)
    locked: frozenset = field(default_factory=frozenset)

    @property
    def cache_path(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else _user_dir("cache")

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir) if self.data_dir else _user_dir("data")

    @property
    def template_folders(self) -> list[Path]:
        """Where the user's own note templates are (they shadow built-ins of the same name)."""
        return [self.data_path / "templates"]

    @property
    def model_paths(self) -> list[Path]:
        """Where installed model packs are looked for: ``model_dirs`` first, then the system folders."""
        return [Path(p).expanduser() for p in self.model_dirs if p] + system_model_dirs()

    def check_model_allowed(self, spec: str) -> None:
        """Refuse a model the organisation's ``allowed_models`` does not list (empty list: any model)."""
        if self.allowed_models and spec not in self.allowed_models:
            raise PolicyError(
                f"The model '{spec}' is not allowed by your organisation's policy "
                f"(allowed: {', '.join(self.allowed_models)})."
            )

    def set(self, key: str, value: Any) -> None:
        if key in self.locked:
            raise PolicyError(f"The setting '{key}' is managed by your organisation and cannot be changed here.")
        if key not in _FIELD_TYPES:
            raise InputError(f"Unknown setting '{key}'.")
        value = _coerce(key, value)
        if key in MODEL_KEYS:
            self.check_model_allowed(value)
        setattr(self, key, value)


_FIELD_TYPES = {f.name: f.type for f in fields(Settings) if f.name != "locked"}
MODEL_KEYS = ("asr_model", "llm_model")  # the settings ``allowed_models`` limits
SECRET_KEYS = frozenset({"llm_server_api_key"})  # never printed by `scribe settings show`


def _coerce(key: str, value: Any) -> Any:
    kind = _FIELD_TYPES[key]
    try:
        if kind == "bool":
            if isinstance(value, str):
                return value.strip().lower() in {"1", "true", "yes", "on"}
            return bool(value)
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind.startswith("list"):
            if isinstance(value, str):
                return [v for v in value.split(os.pathsep) if v]
            return list(value)
        return str(value)
    except (TypeError, ValueError):
        raise InputError(f"Setting '{key}' has an invalid value: {value!r}.") from None


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"Cannot read settings file {path}: {exc}") from None
    unknown = sorted(set(data) - set(_FIELD_TYPES))
    if unknown:
        raise InputError(f"Settings file {path} has unknown keys: {', '.join(unknown)}.")
    return data


def user_settings_path() -> Path:
    return Path(os.environ.get("SCRIBE_SETTINGS", _user_dir("config") / "settings.toml"))


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{s}"'


def save_user_settings(
    changes: dict[str, Any], path: Path | None = None, locked: frozenset | set = frozenset()
) -> Path:
    """Merge ``changes`` into the user's settings file, atomically.

    The one writer of user settings (desktop app, CLI): unknown keys, bad values and keys the
    organisation's policy locked are refused here, so no front end can get around the policy.
    """
    from .fileio import write_atomic

    refused = sorted(set(changes) & set(locked))
    if refused:
        raise PolicyError(f"The setting '{refused[0]}' is managed by your organisation and cannot be changed here.")
    for key in changes:
        if key not in _FIELD_TYPES:
            raise InputError(f"Unknown setting '{key}'.")
    coerced = {k: _coerce(k, v) for k, v in changes.items()}
    path = Path(path or user_settings_path())
    current = _read_toml(path)
    current.update(coerced)
    text = "# Scribe user settings (written by Scribe; the organisation's policy file overrides them)\n" + "".join(
        f"{k} = {_toml_value(v)}\n" for k, v in sorted(current.items())
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text.encode("utf-8"))
    except OSError as exc:
        raise InputError(f"Cannot save settings to {path}: {exc.strerror or exc}.") from None
    return path


def load_settings(user_file: Path | None = None, policy_file: Path | None = None) -> Settings:
    values: dict[str, Any] = {}
    values.update(_read_toml(user_file or user_settings_path()))
    for key in _FIELD_TYPES:
        env = os.environ.get(f"SCRIBE_{key.upper()}")
        if env is not None:
            values[key] = env
    policy = _read_toml(policy_file or default_policy_path())
    values.update(policy)
    settings = Settings(**{k: _coerce(k, v) for k, v in values.items()})
    settings.locked = frozenset(policy)
    return settings


def setting_sources(settings: Settings, user_file: Path | None = None) -> dict[str, str]:
    """Where each value came from: ``policy``, ``environment``, ``user file`` or ``default``.

    Read-only, for `scribe settings show`: it re-reads the user file and the environment the
    way :func:`load_settings` does and trusts ``settings.locked`` for the policy.
    """
    user = _read_toml(user_file or user_settings_path())
    sources = {}
    for key in _FIELD_TYPES:
        if key in settings.locked:
            sources[key] = "policy"
        elif os.environ.get(f"SCRIBE_{key.upper()}") is not None:
            sources[key] = "environment"
        elif key in user:
            sources[key] = "user file"
        else:
            sources[key] = "default"
    return sources
