#!/usr/bin/env bash
# Reproduces api/staff/static/vendor/chart.umd.min.js (Chart.js, MIT) served to the analytics page.
#
# The page must work with no request leaving the server, so the library is vendored, byte for byte
# as published on the npm registry, and its licence beside it. Needs npm and the npm registry
# (install time only). Run from anywhere:  scripts/vendor_chart.sh
#
# Chart.js 4.5.1
#   tarball  chart.js-4.5.1.tgz            sha256 f540d98468457ac7a0aabb32006dfb066297e096c5ea063a5d80aa973d1c337a
#   file     package/dist/chart.umd.min.js sha256 48444a82d4edcb5bec0f1965faacdde18d9c17db3063d042abada2f705c9f54a
#   licence  package/LICENSE.md            sha256 41a84aa2caba645f966a18d9c2056b73e6d3a81d80bc0046bc0011a2634d4cce
# The file ends with a sourceMappingURL comment; the map is not vendored (a browser asks for it only
# when its developer tools are open), so the file stays identical to the published one.
set -euo pipefail

VERSION=4.5.1
TARBALL_SHA256=f540d98468457ac7a0aabb32006dfb066297e096c5ea063a5d80aa973d1c337a
FILE_SHA256=48444a82d4edcb5bec0f1965faacdde18d9c17db3063d042abada2f705c9f54a
LICENSE_SHA256=41a84aa2caba645f966a18d9c2056b73e6d3a81d80bc0046bc0011a2634d4cce

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/api/staff/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

(cd "$WORK" && npm pack --silent "chart.js@$VERSION" >/dev/null)
echo "$TARBALL_SHA256  $WORK/chart.js-$VERSION.tgz" | sha256sum --check --quiet
tar -xzf "$WORK/chart.js-$VERSION.tgz" -C "$WORK"
echo "$FILE_SHA256  $WORK/package/dist/chart.umd.min.js" | sha256sum --check --quiet
echo "$LICENSE_SHA256  $WORK/package/LICENSE.md" | sha256sum --check --quiet

mkdir -p "$DEST"
install -m 0644 "$WORK/package/dist/chart.umd.min.js" "$DEST/chart.umd.min.js"
install -m 0644 "$WORK/package/LICENSE.md" "$DEST/chart.js.LICENSE.md"
echo "Chart.js $VERSION -> $DEST/chart.umd.min.js (sha256 $FILE_SHA256)"
