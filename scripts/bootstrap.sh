#!/usr/bin/env bash
# Creates (or reuses) the two pinned Python environments and prints nothing but progress.
#
# The environments live outside the work tree, keyed by the hash of their lock files, so a fresh
# clone with unchanged locks reuses them and a changed lock builds a new one beside the old.
#   TTHC_CACHE_DIR   where environments, trained models and other caches live (default ~/.cache/tthc-assistant)
#   PYTHON           the interpreter to build them from (default python3, must be 3.11)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${TTHC_CACHE_DIR:-$HOME/.cache/tthc-assistant}"
python="${PYTHON:-python3}"
mkdir -p "$cache/venvs"

hash_of() { cat "$@" | sha256sum | cut -c1-12; }
quiet_pip() { grep -v "is ignored: it is neither a file nor a directory" >&2 || true; }
log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }

ensure_system_packages() {
  # matplotlib 3.5.3 (pinned by Rasa) builds from source on Python 3.11; it needs system freetype
  # and qhull, otherwise its build tries to download them.
  local missing=()
  for pkg in libfreetype6-dev libqhull-dev pkg-config; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

build_venv() {  # name lockfile-hash installer-function
  local dir="$cache/venvs/$1-$2"
  if [ -x "$dir/bin/python" ] && [ -f "$dir/.complete" ]; then
    echo "$dir"; return
  fi
  rm -rf "$dir"
  log "creating the $1 environment in $dir (first run only; several minutes)"
  "$python" -m venv "$dir"
  "$3" "$dir" >&2
  touch "$dir/.complete"
  echo "$dir"
}

install_rasa() {
  ensure_system_packages
  local cfg; cfg="$(mktemp)"; printf '[libs]\nsystem_freetype = true\nsystem_qhull = true\n' > "$cfg"
  MPLSETUPCFG="$cfg" "$1/bin/pip" install -q --ignore-requires-python --no-deps \
    -r "$root/requirements/rasa.lock.txt" -r "$root/requirements/rasa-dev.lock.txt" 2>&1 | quiet_pip
  rm -f "$cfg"
}

install_app() {
  "$1/bin/pip" install -q --no-deps -r "$root/requirements/app.lock.txt" -r "$root/requirements/dev.lock.txt" 2>&1 | quiet_pip
}

rasa_dir=$(build_venv rasa "$(hash_of "$root/requirements/rasa.lock.txt" "$root/requirements/rasa-dev.lock.txt")" install_rasa)
app_dir=$(build_venv app "$(hash_of "$root/requirements/app.lock.txt" "$root/requirements/dev.lock.txt")" install_app)

# Machine-readable result for the Makefile: two lines, NAME=path.
echo "RASA_VENV=$rasa_dir"
echo "APP_VENV=$app_dir"
