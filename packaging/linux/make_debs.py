"""Build the two Debian packages from the frozen app and the assembled model packs.

``scribe``                 the frozen app in /opt/scribe, `scribe` and `scribe-app` in /usr/bin, a desktop
                           entry and icons, the organisation policy /etc/scribe/policy.toml (a conffile:
                           IT's edits survive upgrades). Depends are computed from the shared libraries the
                           bundle needs and does not carry (the Debian packages that provide them here).
``scribe-models-default``  the default speech and note models as packs with a pack.toml manifest in
                           /usr/share/scribe/models, so the app and the models update apart.

    python3 packaging/linux/make_debs.py --frozen DIR --version 0.1.0 --out dist/ --work WORKDIR
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

MAINTAINER = "Scribe maintainers <maintainers@scribe-clinic.invalid>"
MODELS_VERSION = "1.0.0"  # bump when the default packs change
# needed at run time but not visible as a NEEDED entry: fonts, and the configuration the bundled fontconfig reads
EXTRA_DEPENDS = ["fonts-dejavu-core", "fontconfig-config"]
RECOMMENDS = ["scribe-models-default", "libasound2-plugins"]


def run(*cmd: str, **kw) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def needed(path: Path) -> list[str]:
    out = run("readelf", "-d", str(path))
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def system_library_map() -> dict[str, str]:
    """soname -> path, for this machine's architecture (what the dynamic loader would pick)."""
    libs = {}
    for line in run("ldconfig", "-p").splitlines()[1:]:
        m = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if m and "x86-64" in m.group(2):
            libs.setdefault(m.group(1), m.group(3))
    return libs


def owning_package(path: str) -> str:
    for candidate in (path, os.path.realpath(path)):
        try:
            out = run("dpkg-query", "-S", candidate)
        except subprocess.CalledProcessError:
            continue
        return out.split(":", 1)[0].strip()
    raise SystemExit(f"make_debs: no Debian package provides {path}; the target could not load it")


def upstream_version(pkg: str) -> str:
    version = run("dpkg-query", "-W", "-f=${Version}", pkg)
    version = version.split(":", 1)[-1]
    return version.rsplit("-", 1)[0] if "-" in version else version


def compute_depends(bundle: Path) -> tuple[list[str], dict[str, str]]:
    """Debian packages for every shared library the bundle needs but does not carry itself."""
    files = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()]
    carried = {p.name for p in bundle.rglob("*")}
    wanted: dict[str, set[str]] = {}
    for f in files:
        if is_elf(f):
            for soname in needed(f):
                if soname not in carried:
                    wanted.setdefault(soname, set()).add(str(f.relative_to(bundle)))
    system = system_library_map()
    packages: dict[str, str] = {}
    for soname in sorted(wanted):
        if soname.startswith("ld-linux"):
            continue
        path = system.get(soname)
        if path is None:
            raise SystemExit(f"make_debs: {soname} (needed by {sorted(wanted[soname])[0]}) is not on this machine")
        packages.setdefault(owning_package(path), soname)
    depends = [f"{p} (>= {upstream_version(p)})" for p in sorted(packages)]
    return depends + EXTRA_DEPENDS, packages


def normalise_modes(root: Path) -> None:
    for p in root.rglob("*"):
        if p.is_symlink():
            continue
        if p.is_dir():
            p.chmod(0o755)
        else:
            p.chmod(0o755 if os.stat(p).st_mode & 0o111 else 0o644)


def write_md5sums(root: Path) -> None:
    lines = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if rel.parts[0] == "DEBIAN" or p.is_symlink() or not p.is_file():
            continue
        h = hashlib.md5(usedforsecurity=False)
        with open(p, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        lines.append(f"{h.hexdigest()}  {rel.as_posix()}\n")
    (root / "DEBIAN" / "md5sums").write_text("".join(lines))


def installed_size_kib(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink()) // 1024 + 1


def build(root: Path, out: Path, compression: list[str]) -> Path:
    normalise_modes(root)
    (root / "DEBIAN").chmod(0o755)
    write_md5sums(root)
    for f in (root / "DEBIAN").iterdir():
        f.chmod(0o755 if f.name in ("postinst", "postrm", "preinst", "prerm") else 0o644)
    out.mkdir(parents=True, exist_ok=True)
    before = set(out.glob("*.deb"))
    run("dpkg-deb", "--root-owner-group", *compression, "--build", str(root), str(out))
    made = sorted(set(out.glob("*.deb")) - before) or sorted(out.glob("*.deb"), key=lambda p: p.stat().st_mtime)[-1:]
    return made[0]


def app_package(frozen: Path, version: str, work: Path, out: Path) -> Path:
    root = work / "scribe"
    shutil.rmtree(root, ignore_errors=True)
    opt = root / "opt" / "scribe"
    shutil.copytree(frozen, opt, symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    for name in ("scribe", "scribe-app"):
        os.symlink(f"/opt/scribe/{name}", root / "usr" / "bin" / name)
    apps = root / "usr" / "share" / "applications"
    apps.mkdir(parents=True)
    shutil.copy(ROOT / "packaging" / "linux" / "scribe.desktop", apps / "scribe.desktop")
    icons = ROOT / "packaging" / "icons"
    for size in (48, 128, 256, 512):
        d = root / "usr" / "share" / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        d.mkdir(parents=True)
        shutil.copy(icons / f"scribe-{size}.png", d / "scribe.png")
    scalable = root / "usr" / "share" / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copy(icons / "scribe.svg", scalable / "scribe.svg")
    doc = root / "usr" / "share" / "doc" / "scribe"
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        "Scribe: Apache-2.0 (see the project's LICENSE).\n"
        "/opt/scribe/_internal carries third-party components under their own licences;\n"
        "the CycloneDX SBOM published next to this package lists each with its version and licence.\n"
    )
    etc = root / "etc" / "scribe"
    etc.mkdir(parents=True)
    shutil.copy(ROOT / "packaging" / "policy.example.toml", etc / "policy.toml")
    (root / "usr" / "share" / "scribe" / "models").mkdir(parents=True)  # owned by scribe-models-* packages too
    depends, libs = compute_depends(opt)
    (root / "DEBIAN").mkdir()
    (root / "DEBIAN" / "conffiles").write_text("/etc/scribe/policy.toml\n")
    control = f"""Package: scribe
Version: {version}-1
Architecture: amd64
Maintainer: {MAINTAINER}
Installed-Size: {installed_size_kib(root)}
Depends: {", ".join(depends)}
Recommends: {", ".join(RECOMMENDS)}
Section: science
Priority: optional
Homepage: https://github.com/scribe-clinic/scribe
Description: local-first ambient AI scribe for physicians
 Records a consultation, transcribes it on this machine (faster-whisper), drafts an
 evidence-linked note with a local language model (llama.cpp), checks every statement
 against the transcript and, once a named clinician approves it, exports a FHIR R4
 DocumentReference. Nothing leaves the machine except an export the user asks for.
 .
 The models are in scribe-models-default (or packs IT installs); the organisation's
 policy is /etc/scribe/policy.toml.
"""
    (root / "DEBIAN" / "control").write_text(control)
    print(f"scribe: depends on {len(libs)} system libraries -> {', '.join(d.split()[0] for d in depends)}")
    # zstd (dpkg and apt >= Debian 12): a few seconds where xz -6 took over 9 minutes on a busy 2-core machine
    return build(root, out, ["-Zzstd", "-z9"])


def models_package(work: Path, out: Path) -> Path:
    sys.path.insert(0, str(ROOT / "packaging" / "tools"))
    from stage_models import stage

    root = work / "scribe-models-default"
    shutil.rmtree(root, ignore_errors=True)
    stage(root / "usr" / "share" / "scribe" / "models")
    (root / "DEBIAN").mkdir()
    control = f"""Package: scribe-models-default
Version: {MODELS_VERSION}
Architecture: all
Maintainer: {MAINTAINER}
Installed-Size: {installed_size_kib(root)}
Enhances: scribe
Section: science
Priority: optional
Description: default models for Scribe (Whisper base, Qwen2.5-Coder-1.5B Q4_K_M)
 Speech recognition (Whisper base, CTranslate2) and note drafting (Qwen2.5-Coder-1.5B-Instruct,
 GGUF Q4_K_M) as Scribe model packs in /usr/share/scribe/models. Each pack's pack.toml lists the
 size and sha256 of its files; Scribe refuses a pack whose files do not match.
"""
    (root / "DEBIAN" / "control").write_text(control)
    return build(root, out, ["-Znone"])  # the weights do not compress; xz would spend minutes for ~1 %


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frozen", type=Path, required=True, help="the PyInstaller output folder (scribe/)")
    ap.add_argument("--version", required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True)
    args = ap.parse_args()
    os.environ.setdefault("SOURCE_DATE_EPOCH", run("git", "-C", str(ROOT), "log", "-1", "--format=%ct").strip())
    args.work.mkdir(parents=True, exist_ok=True)
    for deb in (app_package(args.frozen, args.version, args.work, args.out), models_package(args.work, args.out)):
        print(f"{deb.name}: {deb.stat().st_size / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
