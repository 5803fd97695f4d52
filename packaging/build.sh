#!/usr/bin/env bash
# Release build for Linux: frozen app -> .debs -> signed apt repository -> SHA256SUMS, signatures, SBOMs -> verified.
#
#   bash packaging/build.sh              # venv freeze debs sign verify  (what CI runs)
#   bash packaging/build.sh cleanroot    # install the built .debs into a debootstrapped Debian and run them there
#   bash packaging/build.sh STEP...      # any of: venv freeze debs sign verify cleanroot
#
# Outputs go to dist/ (SCRIBE_DIST); caches (build environment, portable llama.cpp wheel,
# PyInstaller work folder, debootstrap tarball) to ~/.cache/scribe/packaging (SCRIBE_BUILD_CACHE).
# Signing: SCRIBE_GPG_KEY names a key in the caller's keyring (a release; CI imports it from a
# secret). Unset, a throwaway test key is generated for this build: fine for testing the chain,
# never for a release. docs/it/build.md explains every step; docs/it/verify.md how IT checks the result.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CACHE=${SCRIBE_BUILD_CACHE:-$HOME/.cache/scribe/packaging}
DIST=${SCRIBE_DIST:-$ROOT/dist}
PY=${PYTHON:-python3}
mkdir -p "$CACHE" "$DIST"

log() { printf '\n== [%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
step_time() { printf '%s %ss\n' "$1" "$2" >> "$DIST/build-times.txt"; }

VERSION=$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
LLAMA_VERSION=0.3.36
# Portable llama.cpp: x86-64-v3 (AVX2/FMA/F16C, 2013+) instead of -march=native of the build machine.
LLAMA_CMAKE="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF"
build_apt=(debootstrap apt-utils gnupg binutils dpkg-dev zstd libportaudio2 shellcheck)

# shellcheck source=packaging/apt.sh
. "$ROOT/packaging/apt.sh"
ensure_tools() { ensure_apt_packages "${build_apt[@]}"; }

# ------------------------------------------------------------------ venv: the environment that ships
venv_key() {
  { cat packaging/constraints.txt; "$PY" packaging/tools/requirements.py; echo "$LLAMA_CMAKE"; "$PY" -VV; } | sha256sum | cut -c1-12
}
VENV="$CACHE/venv-$(venv_key)"
VPY="$VENV/bin/python"

step_venv() {
  local t0=$SECONDS
  local wheels="$CACHE/wheels/llama-cpp-python-$LLAMA_VERSION-x86-64-v3"
  if ! ls "$wheels"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    log "building llama-cpp-python $LLAMA_VERSION for x86-64-v3 (one time, ~10-20 min on 2 cores)"
    mkdir -p "$wheels"
    CMAKE_ARGS="$LLAMA_CMAKE" CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2} \
      nice -n 10 "$PY" -m pip wheel -q --no-deps --no-cache-dir "llama-cpp-python==$LLAMA_VERSION" -w "$wheels"
  fi
  if [ ! -f "$VENV/.complete" ]; then
    log "build environment $VENV"
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
    "$VPY" -m pip install -q --no-index --find-links "$wheels" "llama-cpp-python==$LLAMA_VERSION" --no-deps
    # shellcheck disable=SC2046
    "$VPY" -m pip install -q -c packaging/constraints.txt $("$PY" packaging/tools/requirements.py) pyinstaller
    # Qt's GTK 3 theme plugin would drag GTK's libraries (cairo, pango, atk, ...) into the bundle; Qt's own
    # style is used instead, so the plugin is removed before PyInstaller looks at the environment
    rm -f "$VENV"/lib/python3*/site-packages/PySide6/Qt/plugins/platformthemes/libqgtk3.so
    touch "$VENV/.complete"
  fi
  # the tools that describe the build (SBOM) live apart, so they are not part of what ships
  if [ ! -x "$CACHE/tools/bin/cyclonedx-py" ]; then
    log "SBOM tool environment"
    "$PY" -m venv "$CACHE/tools"
    "$CACHE/tools/bin/python" -m pip install -q -c packaging/constraints.txt "cyclonedx-bom[validation]"
  fi
  step_time venv $((SECONDS - t0))
}

# ------------------------------------------------------------------ freeze: PyInstaller
FROZEN="$CACHE/pyi-dist/scribe"
step_freeze() {
  local t0=$SECONDS
  [ -x "$VPY" ] || step_venv
  log "PyInstaller (work folder cached in $CACHE/pyi-work)"
  SCRIBE_VERSION="$VERSION" nice -n 10 "$VPY" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$CACHE/pyi-dist" --workpath "$CACHE/pyi-work" packaging/pyinstaller/scribe.spec
  echo "$VPY" > "$CACHE/pyi-dist/built-with"  # the SBOM describes exactly this environment
  # the frozen app must run without the build environment: no PYTHONPATH, no site-packages
  env -i PATH=/usr/bin:/bin HOME="$CACHE/home" "$FROZEN/scribe" --version
  du -sh "$FROZEN" | tee "$DIST/frozen-size.txt"
  step_time freeze $((SECONDS - t0))
}

# ------------------------------------------------------------------ debs
step_debs() {
  local t0=$SECONDS
  if [ ! -x "$FROZEN/scribe" ] || [ ! -f "$CACHE/pyi-dist/built-with" ]; then step_freeze; fi
  log "packages: scribe (app) and scribe-models-default (models)"
  rm -f "$DIST"/*.deb
  "$PY" packaging/linux/make_debs.py --frozen "$FROZEN" --version "$VERSION" --out "$DIST" --work "$CACHE/deb"
  log "SBOMs (CycloneDX) from the build environment and the model files"
  local built_with
  built_with=$(cat "$CACHE/pyi-dist/built-with")
  "$CACHE/tools/bin/cyclonedx-py" environment --output-format JSON --spec-version 1.6 \
    --output-file "$CACHE/environment.cdx.json" "$built_with"
  "$built_with" packaging/tools/sbom.py app --env-sbom "$CACHE/environment.cdx.json" \
    --toc "$CACHE/pyi-work/scribe/Analysis-00.toc" --version "$VERSION" --artifact "$DIST"/scribe_*_amd64.deb \
    --llama-cmake "$LLAMA_CMAKE" --out "$DIST/scribe_${VERSION}_amd64.cdx.json"
  "$built_with" packaging/tools/sbom.py models --deb "$DIST"/scribe-models-default_*_all.deb --work "$CACHE/deb" \
    --out "$DIST/$(basename "$DIST"/scribe-models-default_*_all.deb .deb).cdx.json"
  step_time debs $((SECONDS - t0))
}

# ------------------------------------------------------------------ sign: key, apt repository, checksums
step_sign() {
  local t0=$SECONDS
  log "signing"
  if [ -n "${SCRIBE_GPG_KEY:-}" ]; then
    KEY=$SCRIBE_GPG_KEY  # a release key in the caller's keyring (GNUPGHOME); a passphrase via SCRIBE_GPG_PASSPHRASE_FILE
  else
    export GNUPGHOME="$CACHE/gnupg-throwaway"
    gpgconf --homedir "$GNUPGHOME" --kill gpg-agent 2>/dev/null || true  # an agent of a previous build
    rm -rf "$GNUPGHOME" && mkdir -m 700 "$GNUPGHOME"
    trap 'gpgconf --homedir "$GNUPGHOME" --kill gpg-agent 2>/dev/null || true' EXIT  # leave no agent running
    gpg --batch --quiet --passphrase '' --quick-gen-key \
      "Scribe TEST release key (throwaway, not for production) <release-test@scribe.invalid>" ed25519 sign 7d
    KEY=$(gpg --batch --with-colons --list-secret-keys | awk -F: '/^fpr/ {print $10; exit}')
    echo "WARNING: signed with a throwaway test key ($KEY); set SCRIBE_GPG_KEY for a release." >&2
  fi
  local sign=(gpg --batch --yes --local-user "$KEY")
  if [ -n "${SCRIBE_GPG_PASSPHRASE_FILE:-}" ]; then
    sign+=(--pinentry-mode loopback --passphrase-file "$SCRIBE_GPG_PASSPHRASE_FILE")
  fi
  gpg --batch --armor --export "$KEY" > "$DIST/scribe-release-key.asc"
  rm -rf "$DIST/apt" && mkdir -p "$DIST/apt/pool/main" "$DIST/apt/dists/stable/main/binary-amd64"
  gpg --batch --export "$KEY" > "$DIST/apt/scribe-archive-keyring.gpg"
  cp -l "$DIST"/*.deb "$DIST/apt/pool/main/" 2>/dev/null || cp "$DIST"/*.deb "$DIST/apt/pool/main/"
  (
    cd "$DIST/apt"
    apt-ftparchive packages pool > dists/stable/main/binary-amd64/Packages
    gzip -9kn dists/stable/main/binary-amd64/Packages
    apt-ftparchive -o APT::FTPArchive::Release::Origin=Scribe -o APT::FTPArchive::Release::Label=Scribe \
      -o APT::FTPArchive::Release::Suite=stable -o APT::FTPArchive::Release::Codename=stable \
      -o APT::FTPArchive::Release::Architectures="amd64 all" -o APT::FTPArchive::Release::Components=main \
      -o APT::FTPArchive::Release::Description="Scribe packages" release dists/stable > ../Release.tmp
    mv ../Release.tmp dists/stable/Release
    "${sign[@]}" --clearsign -o dists/stable/InRelease dists/stable/Release
    "${sign[@]}" --armor --detach-sign -o dists/stable/Release.gpg dists/stable/Release
  )
  (
    cd "$DIST"
    rm -f ./*.asc.tmp SHA256SUMS SHA256SUMS.asc
    for f in ./*.deb ./*.cdx.json; do
      "${sign[@]}" --armor --detach-sign -o "$f.asc" "$f"
    done
    sha256sum ./*.deb ./*.cdx.json scribe-release-key.asc apt/scribe-archive-keyring.gpg | sed 's# \./# #' > SHA256SUMS
    "${sign[@]}" --armor --detach-sign -o SHA256SUMS.asc SHA256SUMS
  )
  gpg --batch --fingerprint "$KEY" | tee "$DIST/signing-key.txt"
  step_time sign $((SECONDS - t0))
}

step_verify() {
  local t0=$SECONDS
  log "verifying signatures, checksums, SBOMs, and that tampering is refused"
  SBOM_PY="$CACHE/tools/bin/python" bash packaging/linux/verify.sh "$DIST" "$FROZEN" "$CACHE/verify"
  step_time verify $((SECONDS - t0))
}

step_cleanroot() {
  local t0=$SECONDS
  bash packaging/linux/cleanroot.sh "$DIST" "$CACHE/cleanroot"
  step_time cleanroot $((SECONDS - t0))
}

steps=("$@")
((${#steps[@]})) || steps=(venv freeze debs sign verify)
ensure_tools
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) ${steps[*]}" >> "$DIST/build-times.txt"
for s in "${steps[@]}"; do
  case "$s" in
    venv | freeze | debs | sign | verify | cleanroot) "step_$s" ;;
    *) echo "usage: bash packaging/build.sh [venv|freeze|debs|sign|verify|cleanroot]..." >&2; exit 2 ;;
  esac
done
log "done: $(tr '\n' ' ' < "$DIST/build-times.txt")(load average: $(cut -d' ' -f1-3 /proc/loadavg))"
