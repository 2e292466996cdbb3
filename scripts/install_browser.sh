#!/usr/bin/env bash
# Installs the headless browser the widget's browser tests drive (tests/browser): Debian's
# Chromium plus Noto fonts for Vietnamese glyphs. Does nothing when they are already present.
# Playwright (the Python package) only drives this browser: `playwright install` is never run,
# the tests launch /usr/bin/chromium directly.
set -euo pipefail

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }

missing=()
for pkg in chromium fonts-noto-core; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ] && [ -x /usr/bin/chromium ]; then
  exit 0
fi
[ ${#missing[@]} -gt 0 ] || missing=(chromium)

log "installing Debian packages: ${missing[*]}"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ ! -x /usr/bin/chromium ]; then
  log "chromium was installed but /usr/bin/chromium is missing"
  exit 1
fi
log "browser ready: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
