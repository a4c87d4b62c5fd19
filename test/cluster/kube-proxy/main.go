// Command kube-proxy is the upstream kube-proxy (k8s.io/kubernetes/cmd/kube-proxy) built from the official
// Go modules at the control plane's Kubernetes release, for tests that send traffic through a ClusterIP
// (test/e2e/service-clusterip.test.ts). Wiring only, as upstream's own main: the command and its metrics.
// A module of its own (not a subcommand of test/cluster/kube) so that adding it leaves the control plane's
// cache key, and its cached binary, as they are.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client metrics, as upstream registers them
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kube-proxy/app"
)

func main() {
	os.Exit(cli.Run(app.NewProxyCommand()))
}
