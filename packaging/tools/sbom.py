"""CycloneDX SBOMs for the release artifacts, from what was really built.

``app``     Run with the build environment's Python. Starts from ``cyclonedx-py environment``'s
            SBOM of that environment and keeps the Python distributions PyInstaller actually
            bundled (every file in its analysis, traced to the distribution whose RECORD owns it),
            then adds the interpreter and each system library copied into the bundle, with the
            Debian package it came from and its sha256. The root component is the .deb itself.
``models``  The model packs in the staged scribe-models-default package: one
            machine-learning-model component per pack, with every file's sha256 from the files.

    python packaging/tools/sbom.py app --env-sbom ENV.json --toc Analysis-00.toc --version V --artifact X.deb --out X.cdx.json
    python packaging/tools/sbom.py models --deb M.deb --work WORK --out M.cdx.json
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import importlib.metadata as md
import json
import platform
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def toc_sources(toc: Path) -> set[str]:
    """Every source path in PyInstaller's analysis (modules, binaries, data files)."""
    data = ast.literal_eval(toc.read_text())
    found: set[str] = set()

    def walk(x):
        if isinstance(x, (list, tuple)):
            if len(x) == 3 and all(isinstance(v, str) for v in x) and Path(x[1]).is_absolute():
                found.add(str(Path(x[1]).resolve()))
            else:
                for v in x:
                    walk(v)

    walk(data)
    return found


def bundled_distributions(sources: set[str]) -> dict[str, set[str]]:
    """Distribution name -> the bundled files it owns."""
    owners: dict[str, set[str]] = {}
    for dist in md.distributions():
        name = norm(dist.metadata["Name"])
        for f in dist.files or ():
            p = str(Path(dist.locate_file(f)).resolve())
            if p in sources:
                owners.setdefault(name, set()).add(p)
    return owners


def deb_package(path: str) -> tuple[str, str] | None:
    for candidate in (path, str(Path(path).resolve())):
        try:
            out = subprocess.run(["dpkg-query", "-S", candidate], capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            continue
        pkg = out.split(":", 1)[0].strip()
        version = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True, check=True
        ).stdout
        return pkg, version
    return None


def skeleton(component: dict) -> dict:
    return {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": {"components": [{"type": "application", "name": "scribe packaging/tools/sbom.py"}]},
            "component": component,
        },
        "components": [],
        "dependencies": [],
    }


def app_sbom(args) -> dict:
    env = json.loads(Path(args.env_sbom).read_text())
    sources = toc_sources(Path(args.toc))
    owners = bundled_distributions(sources)
    owned = set().union(*owners.values()) if owners else set()
    artifact = Path(args.artifact)
    if artifact.suffix == ".deb":
        root_ref, version = f"pkg:deb/scribe@{args.version}-1?arch=amd64", f"{args.version}-1"
    else:  # the MSI, the DMG
        root_ref, version = f"pkg:generic/scribe@{args.version}?file={artifact.name}", args.version
    bom = skeleton(
        {
            "type": "application",
            "bom-ref": root_ref,
            "name": "scribe",
            "version": version,
            "description": "Scribe desktop app and CLI, frozen with PyInstaller",
            "licenses": [{"license": {"id": "Apache-2.0"}}],
            "purl": root_ref,
            "hashes": [{"alg": "SHA-256", "content": sha256(artifact)}],
            "properties": [{"name": "scribe:artifact", "value": artifact.name}],
        }
    )
    kept = []
    for comp in env.get("components", []):
        m = re.match(r"pkg:pypi/([^@]+)@", comp.get("purl", ""))
        if m and norm(m.group(1)) in owners:
            comp.setdefault("properties", []).append(
                {"name": "scribe:bundled-files", "value": str(len(owners[norm(m.group(1))]))}
            )
            if norm(m.group(1)) == "llama-cpp-python":
                comp["properties"].append({"name": "scribe:cmake-args", "value": args.llama_cmake})
            kept.append(comp)
    found = {norm(re.match(r"pkg:pypi/([^@]+)@", c["purl"]).group(1)) for c in kept}
    missing = sorted(set(owners) - found)
    if missing:
        raise SystemExit(f"sbom: bundled distributions missing from the environment SBOM: {missing}")
    # the interpreter and the system libraries PyInstaller copied in
    kept.append(
        {
            "type": "application",
            "bom-ref": f"pkg:generic/cpython@{platform.python_version()}",
            "name": "cpython",
            "version": platform.python_version(),
            "purl": f"pkg:generic/cpython@{platform.python_version()}",
            "licenses": [{"license": {"id": "PSF-2.0"}}],
            "properties": [{"name": "scribe:build", "value": sys.version.replace("\n", " ")}],
        }
    )
    debs: dict[str, dict] = {}
    for src in sorted(sources - owned):
        if not (src.startswith("/usr/lib") or src.startswith("/lib")) or not re.search(r"\.so(\.|$)", src):
            continue  # (on Windows and macOS the bundled DLLs all come from the wheels listed above)
        owner = deb_package(src)
        if owner is None:
            continue
        pkg, version = owner
        ref = f"pkg:deb/debian/{pkg}@{version}?arch=amd64"
        comp = debs.setdefault(
            ref,
            {"type": "library", "bom-ref": ref, "name": pkg, "version": version, "purl": ref, "properties": []},
        )
        comp["properties"].append({"name": "scribe:file", "value": f"{Path(src).name} sha256:{sha256(Path(src))}"})
    kept += debs.values()
    bom["components"] = kept
    refs = {c["bom-ref"] for c in kept}
    deps = [
        {"ref": d["ref"], "dependsOn": [x for x in d.get("dependsOn", []) if x in refs]}
        for d in env.get("dependencies", [])
        if d.get("ref") in refs
    ]
    bom["dependencies"] = [{"ref": root_ref, "dependsOn": sorted(refs)}] + deps
    return bom


MODEL_LICENSES = {"base": "MIT", "tiny.en": "MIT", "qwen2.5-coder-1.5b": "Apache-2.0", "smollm2-135m": "Apache-2.0"}


def models_sbom(args) -> dict:
    sys.path.insert(0, str(ROOT))
    from scribe.packs import PACKS, scan_model_dirs

    control = subprocess.run(["dpkg-deb", "-f", args.deb, "Package", "Version"], capture_output=True, text=True)
    fields = dict(line.split(": ", 1) for line in control.stdout.strip().splitlines())
    root_ref = f"pkg:deb/{fields['Package']}@{fields['Version']}?arch=all"
    bom = skeleton(
        {
            "type": "data",
            "bom-ref": root_ref,
            "name": fields["Package"],
            "version": fields["Version"],
            "purl": root_ref,
            "hashes": [{"alg": "SHA-256", "content": sha256(Path(args.deb))}],
            "properties": [{"name": "scribe:artifact", "value": Path(args.deb).name}],
        }
    )
    staged = Path(args.work) / fields["Package"] / "usr" / "share" / "scribe" / "models"
    for pack in scan_model_dirs([staged]):
        if pack.error:
            raise SystemExit(f"sbom: {pack.error}")
        props = [{"name": "scribe:kind", "value": pack.kind}, {"name": "scribe:pack-size", "value": str(pack.size)}]
        for rel, (size, digest) in sorted(pack.files.items()):
            actual = sha256(pack.folder / rel)
            if actual != digest:
                raise SystemExit(f"sbom: {pack.folder / rel} does not match its pack.toml")
            props.append({"name": "scribe:file", "value": f"{rel} size:{size} sha256:{actual}"})
        src = PACKS.get(pack.name)
        if src is not None:
            props.append({"name": "scribe:source-distributions", "value": " ".join(src.distributions)})
        comp = {
            "type": "machine-learning-model",
            "bom-ref": f"scribe-pack:{pack.name}",
            "name": pack.name,
            "description": pack.description,
            "hashes": [{"alg": "SHA-256", "content": pack.sha256}],
            "properties": props,
        }
        if pack.name in MODEL_LICENSES:
            comp["licenses"] = [{"license": {"id": MODEL_LICENSES[pack.name]}}]
        bom["components"].append(comp)
    if not bom["components"]:
        raise SystemExit(f"sbom: no model packs in {staged}")
    bom["dependencies"] = [{"ref": root_ref, "dependsOn": [c["bom-ref"] for c in bom["components"]]}]
    return bom


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="kind", required=True)
    a = sub.add_parser("app")
    a.add_argument("--env-sbom", required=True)
    a.add_argument("--toc", required=True)
    a.add_argument("--version", required=True)
    a.add_argument("--artifact", required=True, help="the .deb, .msi or .dmg the SBOM describes")
    a.add_argument("--llama-cmake", default="")
    a.add_argument("--out", required=True)
    m = sub.add_parser("models")
    m.add_argument("--deb", required=True)
    m.add_argument("--work", required=True)
    m.add_argument("--out", required=True)
    args = ap.parse_args()
    bom = app_sbom(args) if args.kind == "app" else models_sbom(args)
    Path(args.out).write_text(json.dumps(bom, indent=1) + "\n")
    print(f"{args.out}: {len(bom['components'])} components")
    return 0


if __name__ == "__main__":
    sys.exit(main())
