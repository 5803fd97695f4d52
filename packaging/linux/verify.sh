#!/usr/bin/env bash
# Verify a release folder the way IT would (docs/it/verify.md), then prove tampering is refused.
#
#   bash packaging/linux/verify.sh DIST FROZEN_APP_DIR WORKDIR
#
# 1. SHA256SUMS is signed by the release key, and every file matches it.
# 2. Every .deb and SBOM has a valid detached signature.
# 3. The apt repository's InRelease is signed and apt (with only that key trusted) fetches both
#    packages from it; the SBOMs validate against the CycloneDX 1.6 schema and name what ships.
# 4. A tampered .deb: its signature and SHA256SUMS fail, and apt refuses it (hash mismatch).
# 5. A tampered model pack: the frozen app's `scribe models verify` refuses it with one line.
set -euo pipefail
DIST=$(realpath "$1")
FROZEN=$(realpath "$2")
WORK=$3
rm -rf "$WORK" && mkdir -p "$WORK"
WORK=$(realpath "$WORK")
pass() { printf '  ok  %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*" >&2; exit 1; }

# only the published public key is trusted here, as on an IT workstation
export GNUPGHOME="$WORK/gnupg"
mkdir -m 700 "$GNUPGHOME"
trap 'gpgconf --homedir "$GNUPGHOME" --kill gpg-agent 2>/dev/null || true' EXIT  # leave no agent running
gpg --batch --quiet --import "$DIST/scribe-release-key.asc"
gpg --batch --export > "$WORK/trusted.gpg"

cd "$DIST"
gpgv --keyring "$WORK/trusted.gpg" SHA256SUMS.asc SHA256SUMS 2>/dev/null || fail "SHA256SUMS signature"
pass "SHA256SUMS signed by $(gpg --batch --with-colons --fingerprint | awk -F: '/^fpr/ {print $10; exit}')"
sha256sum --quiet -c SHA256SUMS || fail "a file does not match SHA256SUMS"
pass "$(wc -l < SHA256SUMS) files match SHA256SUMS"
for f in ./*.deb ./*.cdx.json; do
  gpgv --keyring "$WORK/trusted.gpg" "$f.asc" "$f" 2>/dev/null || fail "signature of $f"
done
n=0
for f in ./*.deb ./*.cdx.json; do n=$((n + 1)); done
pass "detached signatures of $n artifacts"

# --- SBOMs: schema-valid, and they name the native parts that ship
SBOM_PY=${SBOM_PY:-$HOME/.cache/scribe/packaging/tools/bin/python}
"$SBOM_PY" - "$DIST" <<'EOF' || fail "SBOM"
import json, re, sys
from pathlib import Path
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

validator = JsonStrictValidator(SchemaVersion.V1_6)
for path in sorted(Path(sys.argv[1]).glob("*.cdx.json")):
    text = path.read_text()
    errors = validator.validate_str(text)
    if errors:
        sys.exit(f"{path.name}: not valid CycloneDX 1.6: {errors}")
    names = {re.sub(r"[-_.]+", "-", c["name"]).lower() for c in json.loads(text)["components"]}
    need = {"llama-cpp-python", "ctranslate2", "pyside6-essentials", "faster-whisper", "libportaudio2", "cpython"} \
        if path.name.startswith("scribe_") else {"base", "qwen2-5-coder-1-5b"}
    if need - names:
        sys.exit(f"{path.name}: does not list {sorted(need - names)}")
    if {"torch", "transformers"} & names:
        sys.exit(f"{path.name}: the optional HF runtime leaked into the app")
    print(f"  ok  {path.name}: valid CycloneDX 1.6, {len(names)} components")
EOF

# --- apt with only the release key trusted: a private apt configuration, nothing touches the system's
apt_try() { # REPO_DIR OUT_DIR -> apt-get update + download both packages
  local repo=$1 out=$2 conf
  conf="$out/apt"
  mkdir -p "$conf"/{lists/partial,archives/partial,etc/preferences.d,etc/apt.conf.d,etc/trusted.gpg.d}
  : > "$conf/status"
  echo "deb [signed-by=$WORK/trusted.gpg] file:$repo stable main" > "$conf/etc/sources.list"
  local opts=(-o "Dir::Etc=$conf/etc" -o "Dir::Etc::SourceList=$conf/etc/sources.list" -o "Dir::Etc::SourceParts=-"
    -o "Dir::State::Lists=$conf/lists" -o "Dir::State::status=$conf/status" -o "Dir::Cache=$conf/cache"
    -o "Dir::Cache::Archives=$conf/archives" -o "APT::Architecture=amd64" -o "Debug::NoLocking=1" -q)
  apt-get "${opts[@]}" update >"$out/apt.log" 2>&1 || return 1
  (cd "$out" && apt-get "${opts[@]}" download scribe scribe-models-default >>"$out/apt.log" 2>&1)
}
mkdir -p "$WORK/apt-good"
apt_try "$DIST/apt" "$WORK/apt-good" || { cat "$WORK/apt-good/apt.log"; fail "apt could not fetch from the signed repository"; }
cmp -s "$WORK"/apt-good/scribe_*_amd64.deb "$DIST"/scribe_*_amd64.deb || fail "apt fetched a different scribe .deb"
pass "apt verified InRelease and fetched both packages from the signed repository"

# --- tampered .deb: one byte changed in the middle of the app package
cp -r "$DIST/apt" "$WORK/repo-tampered"
deb=$(ls "$WORK"/repo-tampered/pool/main/scribe_*_amd64.deb)
size=$(stat -c %s "$deb")
printf 'TAMPERED' | dd of="$deb" bs=1 seek=$((size / 2)) conv=notrunc status=none
if gpgv --keyring "$WORK/trusted.gpg" "$DIST/$(basename "$deb").asc" "$deb" 2>/dev/null; then fail "tampered .deb passed its signature"; fi
pass "tampered .deb: detached signature refused"
if (cd "$WORK/repo-tampered/pool/main" && grep " $(basename "$deb")\$" "$DIST/SHA256SUMS" | sha256sum --quiet -c - >/dev/null 2>&1); then
  fail "tampered .deb matched SHA256SUMS"
fi
pass "tampered .deb: SHA256SUMS mismatch"
mkdir -p "$WORK/apt-bad"
if apt_try "$WORK/repo-tampered" "$WORK/apt-bad"; then fail "apt accepted a tampered .deb"; fi
grep -Eq "Hash Sum mismatch|hash mismatch|Size mismatch" "$WORK/apt-bad/apt.log" || { cat "$WORK/apt-bad/apt.log"; fail "apt failed, but not on the hash"; }
pass "tampered .deb: apt refused it ($(grep -Eo 'Hash Sum mismatch|Size mismatch' "$WORK/apt-bad/apt.log" | head -1))"
# a forger who also rewrites Packages to match breaks the signed InRelease instead
( cd "$WORK/repo-tampered" && apt-ftparchive packages pool > dists/stable/main/binary-amd64/Packages \
  && gzip -9fkn dists/stable/main/binary-amd64/Packages )
rm -rf "$WORK/apt-bad" && mkdir -p "$WORK/apt-bad"
if apt_try "$WORK/repo-tampered" "$WORK/apt-bad"; then fail "apt accepted a rewritten Packages index"; fi
pass "rewritten Packages index: apt refused it (does not match the signed InRelease)"

# --- the installed app refuses a tampered model pack (the frozen binary, as installed)
mkdir -p "$WORK/models"
dpkg-deb -x "$DIST"/scribe-models-default_*_all.deb "$WORK/models"
packs="$WORK/models/usr/share/scribe/models"
run_frozen() { env -i PATH=/usr/bin:/bin HOME="$WORK/home" SCRIBE_MODEL_DIRS="$packs" \
  SCRIBE_POLICY="$WORK/none.toml" "$FROZEN/scribe" "$@"; }
run_frozen models list > "$WORK/models-list.txt"
grep -E "^base +asr .* installed +$packs/base" "$WORK/models-list.txt" >/dev/null || { cat "$WORK/models-list.txt"; fail "models list"; }
pass "frozen app lists the packaged packs with size and sha256"
run_frozen models verify base -q > /dev/null || fail "the untouched pack did not verify"
model="$packs/base/model.bin"
printf 'TAMPERED' | dd of="$model" bs=1 seek=4096 conv=notrunc status=none
if run_frozen models verify base -q > "$WORK/tampered.out" 2> "$WORK/tampered.err"; then fail "tampered model pack accepted"; fi
grep -q "^scribe: error: Model pack 'base' in $packs/base does not match its manifest: model.bin has sha256" "$WORK/tampered.err" \
  || { cat "$WORK/tampered.err"; fail "tampered pack: unexpected message"; }
[ "$(wc -l < "$WORK/tampered.err")" = 1 ] || fail "tampered pack: more than one line of error"
pass "tampered model pack refused: $(cut -c1-110 "$WORK/tampered.err")…"
echo "verify: all checks passed"
