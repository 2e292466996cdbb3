#!/usr/bin/env bash
# Creates (or reuses) the two pinned Python environments and prints nothing but progress.
#
# Progress goes to stderr (a step counter, then pip's own output and download bars); stdout carries
# only the two NAME=path lines the Makefile reads.
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
# pip's warnings without the noise of find-links locations that do not exist on this machine.
quiet_pip() { grep --line-buffered -v "is ignored: it is neither a file nor a directory" >&2 || true; }
log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }
count_pins() { cat "$@" | grep -c '==' || true; }

# A step counter over what this run actually builds ("[setup] 2/3 ..."), so a first run that
# takes minutes says where it is.
step_no=0
steps=0
step() { step_no=$((step_no + 1)); log "$step_no/$steps $*"; }
is_built() { [ -x "$1/bin/python" ] && [ -f "$1/.complete" ]; }

# matplotlib 3.5.3 (pinned by Rasa) builds from source on Python 3.11; it needs system freetype
# and qhull, otherwise its build tries to download them.
missing_system_packages() {
  for pkg in libfreetype6-dev libqhull-dev pkg-config; do
    dpkg -s "$pkg" >/dev/null 2>&1 || echo "$pkg"
  done
}

ensure_system_packages() {
  local missing
  mapfile -t missing < <(missing_system_packages)
  if [ ${#missing[@]} -gt 0 ]; then
    step "installing the Debian packages Rasa's matplotlib builds with: ${missing[*]}"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

build_venv() {  # name lockfile-hash installer-function; sets built_dir (no subshell: the step counter lives on)
  built_dir="$cache/venvs/$1-$2"
  if is_built "$built_dir"; then
    return
  fi
  rm -rf "$built_dir"
  "$python" -m venv "$built_dir"
  "$3" "$built_dir" >&2
  touch "$built_dir/.complete"
}

# pip's own output (what it collects, download bars, wheel builds) goes straight to the terminal:
# a pipe would hide its progress bars; only its warnings are filtered.
install_rasa() {
  ensure_system_packages
  step "Rasa environment: $(count_pins "${rasa_locks[@]}") pinned packages (TensorFlow, Rasa 3.6, underthesea; about 4 minutes, matplotlib builds from source) in $1"
  local cfg; cfg="$(mktemp)"; printf '[libs]\nsystem_freetype = true\nsystem_qhull = true\n' > "$cfg"
  MPLSETUPCFG="$cfg" "$1/bin/pip" install --progress-bar on --ignore-requires-python --no-deps \
    -r "$root/requirements/rasa.lock.txt" -r "$root/requirements/rasa-dev.lock.txt" 2> >(quiet_pip)
  rm -f "$cfg"
}

install_app() {
  step "application environment: $(count_pins "${app_locks[@]}") pinned packages (FastAPI, SQLAlchemy, rasa-sdk, test tools; about 1 minute) in $1"
  "$1/bin/pip" install --progress-bar on --no-deps \
    -r "$root/requirements/app.lock.txt" -r "$root/requirements/dev.lock.txt" 2> >(quiet_pip)
}

rasa_locks=("$root/requirements/rasa.lock.txt" "$root/requirements/rasa-dev.lock.txt")
app_locks=("$root/requirements/app.lock.txt" "$root/requirements/dev.lock.txt")
rasa_hash="$(hash_of "${rasa_locks[@]}")"
app_hash="$(hash_of "${app_locks[@]}")"

# Count the steps ahead: the Debian packages (only if missing) and each environment to build.
if ! is_built "$cache/venvs/rasa-$rasa_hash"; then
  steps=$((steps + 1))
  [ -z "$(missing_system_packages)" ] || steps=$((steps + 1))
fi
is_built "$cache/venvs/app-$app_hash" || steps=$((steps + 1))
started=$SECONDS
[ "$steps" -eq 0 ] || log "first run with these lock files: building $steps step(s) under $cache/venvs (reused afterwards)"

build_venv rasa "$rasa_hash" install_rasa
rasa_dir="$built_dir"
build_venv app "$app_hash" install_app
app_dir="$built_dir"
[ "$steps" -eq 0 ] || log "environments ready in $((SECONDS - started)) s"

# Machine-readable result for the Makefile: two lines, NAME=path.
echo "RASA_VENV=$rasa_dir"
echo "APP_VENV=$app_dir"
