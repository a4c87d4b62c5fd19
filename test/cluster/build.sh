#!/usr/bin/env bash
# Builds the local test cluster's binaries from the Go module proxy and caches them.
#   kube  - etcd + kube-apiserver + kube-controller-manager + kube-scheduler + kubectl (test/cluster/kube),
#           and kubelet-streaming, the kubelet's and CRI's upstream exec/port-forward server (a bench baseline)
#   helm  - helm.sh/helm/v4 at HELM_VERSION
#   metrics-server - sigs.k8s.io/metrics-server at METRICS_SERVER_VERSION (only with --with-metrics-server)
# Outputs live under ${XDG_CACHE_HOME:-~/.cache}/eci-hybrid-gateway/cluster/<key>, where <key> hashes
# the pinned versions (go.mod, go.sum, the .go sources, this script), so a rebuild happens only when they change.
# Prints the bin directory on its last line of stdout. Progress goes to stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
K8S_VERSION=v1.37.2
HELM_VERSION=v4.3.1
METRICS_SERVER_VERSION=v0.9.0
with_ms=0
[ "${1:-}" = "--with-metrics-server" ] && with_ms=1

if ! command -v go >/dev/null 2>&1; then
  echo "test/cluster: Go is not installed. Install Go 1.26 or newer (https://go.dev/dl or 'apt-get install golang') to build the local Kubernetes control plane." >&2
  exit 3
fi

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/eci-hybrid-gateway/cluster"
key=$(cat "$here/kube/go.mod" "$here/kube/go.sum" "$here/kube/main.go" "$here/kube/streaming.go" "$0" | sha256sum | cut -c1-16)
bin="$cache_root/$key/bin"
mkdir -p "$bin"
minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
ldflags=""
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
done

if [ ! -x "$bin/kube" ]; then
  echo "test/cluster: building Kubernetes $K8S_VERSION control plane (cold: ~8 min on 2 cores)..." >&2
  start=$(date +%s)
  (cd "$here/kube" && GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w $ldflags" -o "$bin/kube.tmp" .)
  mv "$bin/kube.tmp" "$bin/kube"
  echo "test/cluster: control plane built in $(( $(date +%s) - start ))s" >&2
fi
for n in kubectl etcd kube-apiserver kube-controller-manager kube-scheduler kubelet-streaming; do
  ln -sf kube "$bin/$n"
done
if [ ! -x "$bin/helm" ]; then
  echo "test/cluster: building helm $HELM_VERSION..." >&2
  GOBIN="$bin/.helm" go install -trimpath -ldflags "-s -w" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
  mv "$bin/.helm/helm" "$bin/helm"; rmdir "$bin/.helm"
fi
if [ "$with_ms" = 1 ] && [ ! -x "$bin/metrics-server" ]; then
  echo "test/cluster: building metrics-server $METRICS_SERVER_VERSION..." >&2
  GOBIN="$bin/.ms" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/metrics-server/cmd/metrics-server@$METRICS_SERVER_VERSION"
  mv "$bin/.ms/metrics-server" "$bin/metrics-server"; rmdir "$bin/.ms"
fi
echo "$bin"
