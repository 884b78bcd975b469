#!/usr/bin/env bash
# Install Microsoft's official Node.js SDKs for Azure Relay Hybrid Connections
# (hyco-ws, hyco-https) for the interop tests and benchmarks.
#
# Usage: tests/interop/sdk/install.sh [DEST]
#   DEST defaults to $RELAYDESK_INTEROP_DIR, else ~/.cache/relaydesk-interop.
#   Afterwards DEST/hyco-ws and DEST/hyco-https can be require()d by Node.js.
#   Prints DEST on stdout. Needs node and npm on PATH and the npm registry.
#
# Pinned: the SDK versions and tarball integrity in sdk.lock; their dependencies
# in hyco-*/package-lock.json (installed with `npm ci`, which verifies them).
#
# Why not `npm install hyco-ws`: hyco-ws 1.0.5 declares "http": "latest" (and
# crypto/util/events), names that no longer resolve to what it meant (Node's
# built-ins), so a plain install fails. Each SDK is unpacked from its registry
# tarball instead and given exactly the packages its code loads: hyco-ws reaches
# into ws 1.1.x internals (lib/Extensions, lib/PerMessageDeflate).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:-${RELAYDESK_INTEROP_DIR:-$HOME/.cache/relaydesk-interop}}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
command -v node >/dev/null && command -v npm >/dev/null || {
  echo "install.sh: node and npm are required (Debian: apt-get install nodejs npm)" >&2; exit 2; }

# One stamp for everything that pins the install: a changed lock reinstalls.
stamp=$(cat "$here/sdk.lock" "$here"/hyco-*/package-lock.json | sha256sum | cut -d' ' -f1)
if [ "$(cat "$dest/.installed" 2>/dev/null)" = "$stamp" ]; then
  echo "$dest"; exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
grep -v '^#' "$here/sdk.lock" | while read -r name version integrity; do
  [ -n "$name" ] || continue
  got=$(cd "$work" && npm pack --silent --json "$name@$version" | node -e \
    'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].integrity))')
  if [ "$got" != "$integrity" ]; then
    echo "install.sh: $name@$version tarball integrity $got does not match sdk.lock" >&2; exit 1
  fi
  rm -rf "${dest:?}/$name" && mkdir -p "$dest/$name"
  tar xzf "$work/$name-$version.tgz" -C "$dest/$name" --strip-components=1
  mkdir -p "$work/deps-$name"
  cp "$here/$name/package.json" "$here/$name/package-lock.json" "$work/deps-$name/"
  (cd "$work/deps-$name" && npm ci --silent --no-audit --no-fund >/dev/null)
  mkdir -p "$dest/$name/node_modules"
  cp -r "$work/deps-$name/node_modules/." "$dest/$name/node_modules/"
done
node -e "require('$dest/hyco-ws'); require('$dest/hyco-https')"
echo "$stamp" > "$dest/.installed"
echo "$dest"
