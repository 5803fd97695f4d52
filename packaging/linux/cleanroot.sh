#!/usr/bin/env bash
# The clean-root test: install the built packages into a minimal Debian (debootstrap, no
# compiler, no Python, no pip) from the signed apt repository, chroot in, and run them there.
#
#   bash packaging/linux/cleanroot.sh DIST WORKDIR      (as root; packaging/build.sh cleanroot calls it)
#
# Asserts: the root has no compiler, Python or pip (before and after the install); apt installs
# scribe + scribe-models-default trusting only the release key; `scribe demo` on the bundled
# sample writes a DocumentReference that validates; `scribe-app --self-test` shows the window
# offscreen and loads both models; a policy-locked key is refused by `scribe settings set`;
# dpkg --verify is clean; removing the app keeps the policy and the visits (docs/it/uninstall.md).
# The debootstrapped base is cached as a tarball next to WORKDIR.
set -euo pipefail
DIST=$(realpath "$1")
WORK=$2
mkdir -p "$WORK"
WORK=$(realpath "$WORK")
CACHE=$(dirname "$WORK")
MIRROR=${SCRIBE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
BASE_TAR="$CACHE/$SUITE-minbase-rootfs.tar"
ROOTFS="$WORK/rootfs"
OUT="$WORK/out"
T0=$SECONDS
lap() { printf '  [%4ss] %s\n' $((SECONDS - T0)) "$*"; }
fail() { printf 'FAIL  %s\n' "$*" >&2; exit 1; }

unmount_all() {
  for m in "$ROOTFS/proc" "$ROOTFS/dev/pts"; do
    if mountpoint -q "$m" 2>/dev/null; then umount -l "$m"; fi
  done
}
trap unmount_all EXIT
unmount_all
if findmnt -rn -o TARGET | grep -q "^$ROOTFS/"; then fail "something is still mounted under $ROOTFS"; fi
rm -rf "$ROOTFS" "$OUT"
mkdir -p "$ROOTFS" "$OUT"

if [ ! -f "$BASE_TAR" ]; then
  lap "debootstrap --variant=minbase $SUITE (cached afterwards in $BASE_TAR)"
  debs=()  # a tarball of the base's .debs (debootstrap --make-tarball) saves downloading them again
  if [ -f "$CACHE/$SUITE-minbase.tgz" ]; then debs=(--unpack-tarball="$CACHE/$SUITE-minbase.tgz"); fi
  debootstrap --variant=minbase "${debs[@]}" "$SUITE" "$ROOTFS" "$MIRROR" > "$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log"; fail "debootstrap"; }
  tar -C "$ROOTFS" -cf "$BASE_TAR.partial" . && mv "$BASE_TAR.partial" "$BASE_TAR"
else
  tar -C "$ROOTFS" -xf "$BASE_TAR"
fi
lap "minimal $SUITE root ready ($(du -sh "$ROOTFS" | cut -f1))"

in_root() { chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
no_toolchain() {
  # shellcheck disable=SC2016  # $t is expanded by the chroot's shell
  in_root /bin/sh -c 'for t in gcc cc c++ g++ clang python3 python pip pip3; do command -v $t && exit 1; done; exit 0' \
    || fail "the clean root has a compiler or Python ($1)"
}
no_toolchain "before the install"
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
mount -t proc proc "$ROOTFS/proc"
mkdir -p "$ROOTFS/srv"
cp -r "$DIST/apt" "$ROOTFS/srv/scribe-repo"
cp "$DIST/apt/scribe-archive-keyring.gpg" "$ROOTFS/usr/share/keyrings/scribe-archive-keyring.gpg"
echo "deb [signed-by=/usr/share/keyrings/scribe-archive-keyring.gpg] file:/srv/scribe-repo stable main" \
  > "$ROOTFS/etc/apt/sources.list.d/scribe.list"
in_root apt-get update -q > "$OUT/apt-update.log" 2>&1 || { cat "$OUT/apt-update.log"; fail "apt-get update"; }
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends scribe scribe-models-default \
  > "$OUT/apt-install.log" 2>&1 || { tail -30 "$OUT/apt-install.log"; fail "apt-get install"; }
lap "apt installed scribe and scribe-models-default ($(grep -c '^Unpacking' "$OUT/apt-install.log") packages unpacked)"
no_toolchain "after the install"
[ -z "$(in_root dpkg --verify scribe scribe-models-default)" ] || fail "dpkg --verify found changed files"
[ "$(stat -c '%a %U' "$ROOTFS/etc/scribe/policy.toml")" = "644 root" ] || fail "policy.toml permissions"
in_root test -x /usr/bin/scribe -a -x /usr/bin/scribe-app -a -f /usr/share/applications/scribe.desktop \
  -a -f /usr/share/icons/hicolor/256x256/apps/scribe.png || fail "PATH entries, desktop entry or icon missing"
# data the app locates by path rather than by import (the analysis cannot see it): must be in the bundle
in_root test -f /opt/scribe/_internal/drug_named_entity_recognition/drug_ner_dictionary.pkl.bz2 \
  -a -f /opt/scribe/_internal/spellchecker/resources/en.json.gz \
  -a -d /opt/scribe/_internal/assets/templates -a -f /opt/scribe/_internal/libportaudio.so.2 || fail "bundle data missing"

in_root scribe --version | tee "$OUT/version.txt"
in_root scribe models list > "$OUT/models-list.txt"
grep -Eq "^base +asr .* installed +/usr/share/scribe/models/base" "$OUT/models-list.txt" || { cat "$OUT/models-list.txt"; fail "models list"; }
grep -Eq "^qwen2.5-coder-1.5b +llm .* installed +/usr/share/scribe/models/qwen" "$OUT/models-list.txt" || fail "models list"
lap "scribe models list shows the packaged packs"

t=$SECONDS
# a headless machine has no OS keyring service: the data key is then protected by a passphrase, which IT
# supplies as an environment variable for unattended runs (docs/security.md, key management)
in_root SCRIBE_DATA_PASSPHRASE="clean root test passphrase" scribe demo --out /root/demo > "$OUT/demo.txt" 2> "$OUT/demo.err" || { cat "$OUT/demo.txt" "$OUT/demo.err"; fail "scribe demo"; }
cp "$ROOTFS"/root/demo/*.json "$OUT/"
lap "scribe demo: $((SECONDS - t)) s"
grep -q "FHIR R4 DocumentReference (validated)" "$OUT/demo.txt" || fail "demo did not export"
python3 - "$OUT" <<'EOF' || fail "the DocumentReference written in the clean root does not validate"
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
sys.path.insert(0, str(Path.cwd()))
from scribe.fhir.validate import validate_document_reference
doc = json.loads((out / "documentreference.json").read_text())
validate_document_reference(doc)
transcript = json.loads((out / "transcript.json").read_text())
note = json.loads((out / "note.json").read_text())
statements = sum(len(s["statements"]) for s in note["sections"])
assert len(transcript["segments"]) > 20 and statements > 5, (len(transcript["segments"]), statements)
a = note["approval"]  # approved by the signed-in OS account (root here) and signed by the install's key
assert a["approved_by"] == a["login"] == "root" and a["signature"] and a["key_id"], a
print(f"  ok  DocumentReference validates; {len(transcript['segments'])} segments, {statements} statements")
EOF

t=$SECONDS
in_root env QT_QPA_PLATFORM=offscreen SCRIBE_DATA_PASSPHRASE="clean root test passphrase" scribe-app --self-test /root/selftest.png > "$OUT/selftest.txt" 2>&1 \
  || { cat "$OUT/selftest.txt"; fail "scribe-app --self-test"; }
cp "$ROOTFS/root/selftest.png" "$OUT/selftest.png"
if ! grep -q "^window: 'Scribe' .* visible=True" "$OUT/selftest.txt" || ! grep -q "^language model: loaded" "$OUT/selftest.txt"; then
  cat "$OUT/selftest.txt"
  fail "self-test output"
fi
lap "scribe-app window shown offscreen, both models loaded ($((SECONDS - t)) s); screenshot $OUT/selftest.png"

printf 'require_consent = true\nallowed_models = ["base", "qwen2.5-coder-1.5b"]\n' > "$ROOTFS/etc/scribe/policy.toml"
if in_root scribe settings set require_consent false 2> "$OUT/locked.err"; then fail "a locked key was changed"; fi
grep -qx "scribe: error: The setting 'require_consent' is managed by your organisation and cannot be changed here." "$OUT/locked.err" \
  || fail "locked key: unexpected message"
in_root scribe settings show require_consent | grep -q "\[locked by policy\]" || fail "settings show does not mark the lock"
lap "policy: locked key refused by the CLI and marked by settings show"

in_root env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q scribe > "$OUT/remove.log" 2>&1 || fail "apt-get remove"
if [ -e "$ROOTFS/opt/scribe" ] || [ ! -f "$ROOTFS/etc/scribe/policy.toml" ] || [ ! -d "$ROOTFS/root/.local/share/scribe" ]; then
  fail "after remove: the app should be gone, the policy and the visits kept"
fi
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q scribe > "$OUT/purge.log" 2>&1 || fail "apt-get purge"
if [ -e "$ROOTFS/etc/scribe/policy.toml" ] || [ ! -d "$ROOTFS/root/.local/share/scribe" ]; then fail "after purge"; fi
lap "remove keeps the policy and the visits; purge removes the policy, never the visits"
echo "cleanroot: all checks passed in $((SECONDS - T0)) s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
