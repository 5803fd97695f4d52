"""The one settings layer.

Every configurable value is read through :func:`load_settings`. Values come from, in
increasing priority: built-in defaults, the user's ``settings.toml``, environment variables
(``SCRIBE_<NAME>``), and finally the organisation's managed policy. A key present in the
policy is *locked*: user files and the UI cannot override it, and :meth:`Settings.set` refuses
with a clear :class:`PolicyError`.

The policy cannot be escaped. The system policy file (``/etc/scribe/policy.toml`` on Linux,
``/Library/Application Support/Scribe/policy.toml`` on macOS, ``%ProgramData%\\Scribe\\policy.toml``
on Windows; only an administrator can write there) is always read. ``SCRIBE_POLICY`` names an
*additional* policy file that may lock more keys but never unlocks or changes a key the system
policy sets. A system policy that exists but cannot be read (permissions, not UTF-8, bad TOML, a
bad value) stops Scribe with a one-line :class:`PolicyError` instead of running unlocked.

Every value is validated with pydantic, wherever it comes from: ``require_consent = "ture"`` is an
error (not ``false``), thread counts and timeouts cannot be negative, the context window has a
floor, and a server URL that would send patient data over plain http to
another computer is refused (:func:`scribe.offline.check_endpoint`).
Model packs IT adds are found in :func:`system_model_dirs` (docs/it/model-packs.md).
"""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Annotated, Any, get_type_hints

from pydantic import Field, TypeAdapter, ValidationError

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


def system_policy_path() -> Path:
    """Where IT installs the organisation's policy (writable by administrators only)."""
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


def extra_policy_path() -> Path | None:
    """``SCRIBE_POLICY``: an additional policy that can only add locks (e.g. per-room, or tests)."""
    value = os.environ.get("SCRIBE_POLICY")
    return Path(value) if value else None


def default_policy_path() -> Path:
    """The system policy (kept for callers that ask where the policy lives)."""
    return system_policy_path()


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
    isolate_models: bool = True  # run llama.cpp / transformers and CTranslate2 in worker processes (crash-safe)
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
    # security (docs/security.md)
    data_key_protection: str = "auto"  # auto | keyring | passphrase: where the key that unlocks the data lives
    retention_audio_days: int = 0  # delete a visit's recording this many days after its note was exported (0 = keep)
    retention_visit_days: int = (
        0  # purge whole visits (files and keys) this many days after they were created (0 = keep)
    )
    users: dict = field(default_factory=dict)  # policy only: OS account -> {name, roles, local_accounts}
    # which keys the policy locked (filled in by load_settings)
    locked: frozenset = field(default_factory=frozenset)

    @property
    def cache_path(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else _user_dir("cache")

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir) if self.data_dir else _user_dir("data")

    def __post_init__(self) -> None:
        # Constructed in code (tests, benchmarks) or by load_settings: the same checks either way.
        for key in _FIELD_TYPES:
            object.__setattr__(self, key, _coerce(key, getattr(self, key)))

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

# Bounds and choices, checked by pydantic together with each field's type.
# Keys only the organisation's policy may set (a user file or the environment naming one is an error).
POLICY_ONLY = frozenset({"users"})
_CONSTRAINTS: dict[str, dict[str, Any]] = {
    "retention_audio_days": {"ge": 0, "le": 36500},
    "retention_visit_days": {"ge": 0, "le": 36500},
    "asr_threads": {"ge": 0, "le": 256},
    "llm_threads": {"ge": 0, "le": 256},
    "llm_context": {"ge": 512, "le": 1_048_576},
    "asr_live_preview_s": {"ge": 0, "le": 60},
    "ehr_timeout": {"gt": 0, "le": 600},
    "ehr_redirect_port": {"ge": 0, "le": 65535},
}
# URLs patient data is sent to: plain http only to this computer.
_ENDPOINTS = ("llm_server_url", "ehr_base_url", "ehr_token_url", "ehr_authorize_url")
_ADAPTERS: dict[str, TypeAdapter] = {}


def _adapter(key: str) -> TypeAdapter:
    adapter = _ADAPTERS.get(key)
    if adapter is None:
        kind = get_type_hints(Settings)[key]
        limits = dict(_CONSTRAINTS.get(key, {}))
        if kind is float:
            limits["allow_inf_nan"] = False
        adapter = _ADAPTERS[key] = TypeAdapter(Annotated[kind, Field(**limits)] if limits else kind)
    return adapter


def _coerce(key: str, value: Any, source: str = "") -> Any:
    """Validate one value for ``key`` (pydantic, lax: TOML types or environment strings).

    ``source`` names where the value came from for the one-line error.
    """
    where = f" in {source}" if source else ""
    kind = _FIELD_TYPES[key]
    if kind.startswith("list") and isinstance(value, str):  # environment: a path list
        value = [v for v in value.split(os.pathsep) if v]
    try:
        value = _adapter(key).validate_python(value)
    except ValidationError as exc:
        why = exc.errors()[0]["msg"]
        raise InputError(
            f"Setting '{key}'{where} has an invalid value {_shown(value)}: {why[0].lower()}{why[1:]}."
        ) from None
    if key == "data_key_protection" and value not in ("auto", "keyring", "passphrase"):
        raise InputError(
            f"Setting 'data_key_protection'{where} must be auto, keyring or passphrase, not {_shown(value)}."
        )
    if key == "users":
        from .access import validate_users

        try:
            validate_users(value)
        except ValueError as exc:
            raise InputError(f"Setting 'users'{where} is invalid: {exc}.") from None
    if key in _ENDPOINTS and value.strip():
        from .offline import check_endpoint

        try:
            value = check_endpoint(value, key)
        except PolicyError as exc:
            raise InputError(f"{exc}{' (set in ' + source + ')' if source else ''}") from None
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _read_toml(path: Path, what: str = "settings file") -> dict[str, Any]:
    """Keys and values of a settings or policy file ({} if there is no such file).

    Anything wrong with a file that exists (unreadable, not UTF-8, bad TOML, unknown keys) is a
    one-line :class:`InputError`.
    """
    try:
        if not path.exists() or path.is_char_device():  # no file, or /dev/null: nothing set
            return {}
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(
            f"Cannot read {what} {path}: it is not UTF-8 text (byte {exc.start}); save it as UTF-8."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"Cannot read {what} {path}: {exc}.") from None
    except OSError as exc:
        raise InputError(f"Cannot read {what} {path}: {exc.strerror or exc}.") from None
    unknown = sorted(set(data) - set(_FIELD_TYPES))
    if unknown:
        raise InputError(f"The {what} {path} has unknown keys: {', '.join(unknown)}.")
    return {key: _coerce(key, value, str(path)) for key, value in data.items()}


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

    refused = sorted(set(changes) & (set(locked) | POLICY_ONLY))
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


def _policy(policy_file: Path | None = None) -> dict[str, Any]:
    """The organisation's locked values: the system policy, plus locks an extra policy adds.

    A problem with a policy file is a :class:`PolicyError`: Scribe stops rather than run unlocked.
    """
    try:
        system = _read_toml(system_policy_path(), "organisation policy")
        extra_path = policy_file or extra_policy_path()
        extra = _read_toml(extra_path, "policy file") if extra_path else {}
    except InputError as exc:
        raise PolicyError(f"{exc} Scribe will not start without its policy; ask IT to fix the file.") from None
    return {**extra, **system}  # the system's value wins: SCRIBE_POLICY only adds locks


def load_settings(user_file: Path | None = None, policy_file: Path | None = None) -> Settings:
    """Defaults < user file < ``SCRIBE_<NAME>`` environment < policy (locked).

    ``policy_file`` is an extra policy like ``SCRIBE_POLICY``; the system policy is always read.
    """
    policy = _policy(policy_file)
    values: dict[str, Any] = {}
    user_path = user_file or user_settings_path()
    values.update(_read_toml(user_path))
    for key in POLICY_ONLY & set(values):
        raise InputError(f"The setting '{key}' belongs in the organisation's policy, not in {user_path}.")
    for key in _FIELD_TYPES:
        env = os.environ.get(f"SCRIBE_{key.upper()}")
        if env is not None and key not in policy and key not in POLICY_ONLY:
            values[key] = _coerce(key, env, f"the environment variable SCRIBE_{key.upper()}")
    values.update(policy)
    settings = Settings(**values)
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
