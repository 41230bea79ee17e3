#!/usr/bin/env bash
# The accessibility checker the browser tests inject into each page (tests/e2e/browser/axe.py):
# axe-core from the npm registry, pinned by version and by the tarball's sha512, unpacked to
# .cache/axe/axe.min.js. Offline-friendly: a machine that has the pinned version skips this.
set -euo pipefail
VERSION="4.14.1"
INTEGRITY="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
CACHE="$(cd "$(dirname "$0")/.." && pwd)/.cache/axe"
if [[ -f "$CACHE/axe.min.js" && "$(cat "$CACHE/VERSION" 2>/dev/null)" == "$VERSION" ]]; then
  exit 0
fi
mkdir -p "$CACHE"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if command -v npm >/dev/null; then
  # The registry must still describe the pinned tarball the way this script does.
  published="$(npm view "axe-core@$VERSION" dist.integrity)"
  if [[ "$published" != "$INTEGRITY" ]]; then
    echo "ensure-axe: npm says axe-core@$VERSION is $published, pinned $INTEGRITY" >&2
    exit 1
  fi
  (cd "$work" && npm pack --silent "axe-core@$VERSION" >/dev/null)
else
  # No npm on this machine: the same tarball from the registry; the pinned hash decides.
  curl -fsSL -o "$work/axe-core-$VERSION.tgz" \
    "https://registry.npmjs.org/axe-core/-/axe-core-$VERSION.tgz"
fi
tarball="$work/axe-core-$VERSION.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [[ "$actual" != "$INTEGRITY" ]]; then
  echo "ensure-axe: axe-core-$VERSION.tgz is $actual, pinned $INTEGRITY" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work" package/axe.min.js
mv "$work/package/axe.min.js" "$CACHE/axe.min.js"
echo "$VERSION" >"$CACHE/VERSION"
echo "ensure-axe: axe-core $VERSION in $CACHE"
