#!/usr/bin/env bash
# Checks (default) or refreshes (--write) the console's vendored uPlot against the
# npm registry's tarball, whose integrity must be the one SOURCE.md records.
# Needs npm and the network; nothing here runs at build or test time.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=1.6.32
INTEGRITY='sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw=='
DEST=crates/subledger-console/assets/vendor/uplot
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "uplot@$VERSION" >/dev/null)
tarball="$work/uplot-$VERSION.tgz"
got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$got" != "$INTEGRITY" ]; then
  echo "vendor-uplot: integrity mismatch: $got" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work"
status=0
for f in dist/uPlot.iife.min.js dist/uPlot.min.css LICENSE; do
  name=$(basename "$f")
  if [ "${1:-}" = --write ]; then
    cp "$work/package/$f" "$DEST/$name"
  elif ! cmp -s "$work/package/$f" "$DEST/$name"; then
    echo "vendor-uplot: $DEST/$name differs from uplot@$VERSION's $f" >&2
    status=1
  fi
done
[ "$status" = 0 ] && echo "vendor-uplot: $DEST is uplot@$VERSION from the registry, byte for byte"
exit "$status"
