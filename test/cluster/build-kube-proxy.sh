#!/usr/bin/env bash
# Builds the upstream kube-proxy (test/cluster/kube-proxy: k8s.io/kubernetes/cmd/kube-proxy/app at the control
# plane's release) from the Go module proxy and caches it under the same root as build.sh's binaries, at
# ${XDG_CACHE_HOME:-~/.cache}/eci-hybrid-gateway/cluster/kube-proxy-<key>/kube-proxy, where <key> hashes this
# module (go.mod, go.sum, main.go) and this script. A script of its own because build.sh hashes itself into
# the control plane's key: a flag there would rebuild the cached control plane.
# Cold build on 2 cores: about 20 s after build.sh (its Go build cache), 5.5 min from empty Go caches (measured).
# Prints the binary's path on its last line of stdout. Progress goes to stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
K8S_VERSION=v1.37.2

if ! command -v go >/dev/null 2>&1; then
  echo "test/cluster: Go is not installed. Install Go 1.26 or newer (https://go.dev/dl or 'apt-get install golang') to build kube-proxy." >&2
  exit 3
fi

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/eci-hybrid-gateway/cluster"
key=$(cat "$here/kube-proxy/go.mod" "$here/kube-proxy/go.sum" "$here/kube-proxy/main.go" "$0" | sha256sum | cut -c1-16)
dir="$cache_root/kube-proxy-$key"
mkdir -p "$dir"
minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
ldflags=""
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
done

if [ ! -x "$dir/kube-proxy" ]; then
  echo "test/cluster: building kube-proxy $K8S_VERSION..." >&2
  start=$(date +%s)
  # A temporary name per build, so two runs building at once never leave a half-written binary in place.
  tmp="$dir/kube-proxy.tmp.$$"
  (cd "$here/kube-proxy" && GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w $ldflags" -o "$tmp" .)
  mv "$tmp" "$dir/kube-proxy"
  echo "test/cluster: kube-proxy built in $(( $(date +%s) - start ))s" >&2
fi
echo "$dir/kube-proxy"
