#!/usr/bin/env bash
# Refreshes the vendored Chart.js under src/Gateway/wwwroot/vendor/chartjs from the npm registry.
# The dashboard serves this copy: no CDN and no network at run time, and `dotnet run` needs no build step.
# Usage: scripts/update-charts.sh [version]   (default: the version recorded in VERSION)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="$root/src/Gateway/wwwroot/vendor/chartjs"
version="${1:-$(cat "$target/VERSION" 2>/dev/null || echo latest)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "chart.js@$version" >/dev/null)
tar -xzf "$work"/chart.js-*.tgz -C "$work"
resolved="$(node -p "require('$work/package/package.json').version" 2>/dev/null || sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$work/package/package.json" | head -1)"
mkdir -p "$target"
cp "$work/package/dist/chart.umd.min.js" "$target/chart.umd.min.js"
cp "$work/package/LICENSE.md" "$target/LICENSE.md"
echo "$resolved" > "$target/VERSION"
echo "Chart.js $resolved vendored into ${target#"$root"/}"
