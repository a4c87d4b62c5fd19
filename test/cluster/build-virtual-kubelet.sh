#!/usr/bin/env bash
# Builds the upstream virtual-kubelet (github.com/virtual-kubelet/virtual-kubelet/cmd/virtual-kubelet at
# VK_VERSION, with its built-in `mock` provider: pods on its node go Running without containers) from the Go
# module proxy and caches it under the same root as build.sh's binaries, at
# ${XDG_CACHE_HOME:-~/.cache}/eci-hybrid-gateway/cluster/virtual-kubelet-<key>/virtual-kubelet, where <key>
# hashes the version and this script. It is the test cluster's datacenter node (test/cluster/datacenter-node.ts).
# `go install pkg@version`, not a module of ours: the mock provider lives under cmd/virtual-kubelet/internal,
# which no other module may import. A script of its own because build.sh hashes itself into the control
# plane's key.
# Cold build on 2 cores (shared, measured): 334 s from empty Go caches, 318 s with the module cache warm;
# seconds once the Go build cache holds it.
# Prints the binary's path on its last line of stdout. Progress goes to stderr.
set -euo pipefail
VK_VERSION=v1.14.1

if ! command -v go >/dev/null 2>&1; then
  echo "test/cluster: Go is not installed. Install Go 1.26 or newer (https://go.dev/dl or 'apt-get install golang') to build virtual-kubelet." >&2
  exit 3
fi

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/eci-hybrid-gateway/cluster"
key=$( (echo "$VK_VERSION"; cat "$0") | sha256sum | cut -c1-16)
dir="$cache_root/virtual-kubelet-$key"
mkdir -p "$dir"
# One build at a time (a test and the demo may ask at once): a second caller waits for the first's binary.
if [ ! -x "$dir/virtual-kubelet" ] && command -v flock >/dev/null 2>&1; then
  exec 9>"$dir/.lock"
  flock 9
fi

if [ ! -x "$dir/virtual-kubelet" ]; then
  echo "test/cluster: building virtual-kubelet $VK_VERSION..." >&2
  start=$(date +%s)
  # A GOBIN per build, so two runs building at once never leave a half-written binary in place.
  tmp="$dir/.build.$$"
  mkdir -p "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  # Outside any module (go install pkg@version ignores the current one anyway), with the module's own go.mod.
  (cd "$tmp" && GOBIN="$tmp" go install -trimpath -ldflags "-s -w -X main.buildVersion=$VK_VERSION" \
    "github.com/virtual-kubelet/virtual-kubelet/cmd/virtual-kubelet@$VK_VERSION")
  mv "$tmp/virtual-kubelet" "$dir/virtual-kubelet"
  echo "test/cluster: virtual-kubelet built in $(( $(date +%s) - start ))s" >&2
fi
echo "$dir/virtual-kubelet"
