// The agent's kubelet port as kube-prometheus' kubelet jobs see it: /metrics (the agent's own metrics) and
// /metrics/cadvisor (the burst pod's container CPU and memory from ECI's metric actions, in cAdvisor's names
// and labels), authorized like the kubelet: a ServiceAccount bound to a ClusterRole with `nodes/metrics` get
// (kube-prometheus' prometheus-k8s role) reads them, an ordinary ServiceAccount gets 403 from the agent's
// SubjectAccessReview. Through the API server's node proxy the same series arrive for a caller the API server
// lets through (`nodes/proxy`), and an ordinary caller gets 403. Real cluster, relay, emulator (process runtime).
//
// The API server refuses to proxy to a node whose address is not global unicast (proxyutil.IsProxyableIP:
// "address not allowed" for 127.0.0.1), so the Node reports the address of a test host in a network namespace
// this test creates (test/helpers/netns-host.ts), whose port is relayed to the agent's kubelet API on loopback.
import test from 'ava';
import { CoreV1Api } from '@kubernetes/client-node';
import { startEmulator, type EmulatorHandle } from '../../../cloud/eci-emulator/index.js';
import { createEciBackend } from '../../../cloud/eci/index.js';
import type { EciProvider } from '../../../cloud/eci/provider/index.js';
import { startLocalGateway, type LocalGateway } from '../../../demo/local-gateway.js';
import { startKubeletServer } from '../../../agent/kubelet-api/server.js';
import { TunnelKubeletBackend } from '../../../agent/tunnel/kubelet-backend.js';
import { DEFAULT_TAINT } from '../../../agent/node/node-spec.js';
import { BUILD_VERSION } from '../../../common/version.js';
import { useCluster, type ClusterHandle } from '../../cluster/fixture.js';
import { testBootstrap } from '../../helpers/bootstrap.js';
import { freePort } from '../../helpers/ports.js';
import { startNetnsHost, type NetnsHost } from '../../helpers/netns-host.js';
import { eventually, schedulable } from '../../helpers/stack.js';
import { newRegistry } from '../../../common/metrics.js';
import { families, httpsGet } from '../../helpers/scrape.js';

let cluster: ClusterHandle;
let emulator: EmulatorHandle;
let provider: EciProvider;
let gw: LocalGateway | undefined;
let host: NetnsHost | undefined;
let ip: string;
let kubeletPort: number;
const nodeName = `eci-vk-${process.pid}-cadvisor`;
const ns = `cadvisor-${process.pid}`;
const role = `ecigw-test-prometheus-${process.pid}`;
const proxyRole = `ecigw-test-node-proxy-${process.pid}`;
const tokens: Record<'prometheus' | 'proxy' | 'nobody', string> = { prometheus: '', proxy: '', nobody: '' };

const rbac = `
apiVersion: v1
kind: ServiceAccount
metadata: { name: prometheus, namespace: ${ns} }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: proxy, namespace: ${ns} }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: nobody, namespace: ${ns} }
---
# As kube-prometheus' prometheus-k8s ClusterRole.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: ${role} }
rules:
- { apiGroups: [""], resources: [nodes/metrics], verbs: [get] }
- { nonResourceURLs: [/metrics], verbs: [get] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: ${role} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${role} }
subjects: [{ kind: ServiceAccount, name: prometheus, namespace: ${ns} }]
---
# What a Prometheus scraping through the API server's node proxy needs there.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: ${proxyRole} }
rules:
- { apiGroups: [""], resources: [nodes/proxy], verbs: [get] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: ${proxyRole} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${proxyRole} }
subjects: [{ kind: ServiceAccount, name: proxy, namespace: ${ns} }]
`;

test.before(async () => {
  cluster = await useCluster();
  host = await startNetnsHost();
  ip = host.address;
  kubeletPort = await freePort('127.0.0.1');
  await host.forward(kubeletPort, kubeletPort);
  emulator = await startEmulator({ runtime: 'process' });
  ({ provider } = createEciBackend({
    connection: { endpoint: emulator.endpoint, protocol: 'http', timeoutMs: 5000 },
    credentials: () => ({ accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret }),
    provider: { pollFastMs: 500, pollSlowMs: 5000, gcGraceMs: 5000 },
    sessions: { logPollMs: 200, metricsCacheMs: 2000 },
  }));
  const registry = newRegistry(true);
  gw = await startLocalGateway({
    provider,
    kubeconfigPath: (await testBootstrap(cluster)).kubeconfigPath,
    kubeletClientCaPem: cluster.pki.caCertPem,
    nodeName,
    clusterId: `cluster-${process.pid}-cadvisor`,
    declareWebSocket: false,
    agent: {
      registry,
      node: {
        name: nodeName,
        capacity: { cpu: '1000', memory: '4Ti', pods: '5000', 'ephemeral-storage': '10Ti' },
        labels: {},
        taints: [DEFAULT_TAINT],
        internalIP: ip,
        kubeletPort,
        os: 'linux',
        arch: 'amd64',
        agentVersion: BUILD_VERSION,
        declareWebSocketStreaming: false,
      },
      extras: async ({ tunnel, pods, kubeConfig }) =>
        await startKubeletServer({
          host: '127.0.0.1',
          port: kubeletPort,
          nodeName,
          addresses: [ip, '127.0.0.1'],
          clientCaPem: cluster.pki.caCertPem,
          kubeConfig,
          backend: new TunnelKubeletBackend(tunnel, pods, nodeName),
          registry,
        }),
    },
  });
  await schedulable(cluster, nodeName);
  const core = cluster.kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  const applied = await cluster.kubectl(['apply', '-f', '-'], { input: rbac });
  if (applied.code !== 0) throw new Error(applied.stderr);
  for (const sa of Object.keys(tokens) as (keyof typeof tokens)[]) {
    const r = await cluster.kubectl(['create', 'token', sa, '-n', ns, '--duration', '1h']);
    if (r.code !== 0) throw new Error(r.stderr);
    tokens[sa] = r.stdout.trim();
  }
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'busy' },
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': nodeName },
        tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
        containers: [
          {
            name: 'main',
            image: 'busybox:1.36',
            command: ['sh', '-c', 'x=$(head -c 4000000 /dev/zero | tr "\\\\0" a); while true; do i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; sleep 0.05; done'],
          },
        ],
      },
    },
  });
  await eventually('pod Running', async () => (await core.readNamespacedPod({ name: 'busy', namespace: ns })).status?.phase === 'Running', 90_000);
});
test.after.always(async () => {
  await cluster?.kubectl(['delete', 'clusterrolebinding,clusterrole', role, proxyRole, '--ignore-not-found']);
  await cluster?.kc.makeApiClient(CoreV1Api).deleteNamespace({ name: ns }).catch(() => undefined);
  await gw?.close();
  provider?.close();
  await emulator?.close();
  await cluster?.kubectl(['delete', 'node', nodeName, '--ignore-not-found']);
  await host?.close();
});

const direct = (path: string) => `https://${ip}:${kubeletPort}${path}`;
const viaApiServer = (path: string) => `${cluster.server}/api/v1/nodes/${nodeName}/proxy${path}`;

/** The busy pod's container series of a cAdvisor family, once they are there and above zero. */
async function containerSeries(url: string, token: string, ca?: string) {
  return await eventually(
    `container series of ${ns}/busy at ${url}`,
    async () => {
      const r = await httpsGet(url, { token, ca });
      if (r.status !== 200) throw new Error(`${r.status}: ${r.body}`);
      const f = families(r.body);
      const pick = (name: string) => f.get(name)?.metrics.find((m) => m.labels?.namespace === ns && m.labels.pod === 'busy' && m.labels.container === 'main');
      const cpu = pick('container_cpu_usage_seconds_total');
      const mem = pick('container_memory_working_set_bytes');
      if (!cpu || !mem || !(Number(cpu.value) > 0) || !(Number(mem.value) > 0)) throw new Error(`no usage above zero yet:\n${r.body}`);
      return { f, cpu, mem, usage: pick('container_memory_usage_bytes'), rss: pick('container_memory_rss') };
    },
    90_000,
    1000,
  );
}

test('kube-prometheus-style scrape of /metrics/cadvisor on the kubelet port: the burst pod’s container series in cAdvisor’s names and labels', async (t) => {
  const { f, cpu, mem, usage, rss } = await containerSeries(direct('/metrics/cadvisor'), tokens.prometheus);
  t.is(f.get('container_cpu_usage_seconds_total')?.type, 'COUNTER');
  t.is(f.get('container_memory_working_set_bytes')?.type, 'GAUGE');
  // kube-prometheus' recording rules select image!="": the image comes from the pod.
  t.is(cpu.labels?.image, 'busybox:1.36');
  t.is(mem.labels?.image, 'busybox:1.36');
  t.true(Number(usage?.value) > 0, 'container_memory_usage_bytes too');
  t.true(Number(rss?.value) > 0, 'container_memory_rss too');
  t.is(f.get('container_scrape_error')?.metrics[0]?.value, '0');
  t.truthy(f.get('container_network_receive_bytes_total'), 'network family present');
  t.log(`cpu ${cpu.value}s, working set ${mem.value} B`);
});

test('/metrics on the kubelet port is the agent’s own registry, for the same role', async (t) => {
  const r = await httpsGet(direct('/metrics'), { token: tokens.prometheus });
  t.is(r.status, 200, r.body);
  const f = families(r.body);
  for (const name of ['ecigw_build_info', 'ecigw_agent_tunnel_state', 'ecigw_agent_pods', 'ecigw_kubelet_api_requests_total', 'process_resident_memory_bytes']) t.truthy(f.get(name), name);
  t.is(f.get('ecigw_agent_tunnel_state')?.metrics.find((m) => m.labels?.state === 'connected')?.value, '1');
});

test('an ordinary ServiceAccount gets 403 on /metrics and /metrics/cadvisor, naming nodes/metrics', async (t) => {
  for (const path of ['/metrics', '/metrics/cadvisor', '/metrics/resource']) {
    const r = await httpsGet(direct(path), { token: tokens.nobody });
    t.is(r.status, 403, `${path}: ${r.body}`);
    t.regex(r.body, /resource=nodes, subresource\(s\)=\[metrics\]/, path);
    t.notRegex(r.body, /container_/);
  }
  // The Prometheus role reads metrics only: not stats, logs or pods (each has its own subresource).
  const stats = await httpsGet(direct('/stats/summary'), { token: tokens.prometheus });
  t.is(stats.status, 403, stats.body);
  t.regex(stats.body, /subresource\(s\)=\[stats\]/);
});

test('through the API server’s node proxy: the same container series for a caller with nodes/proxy, 403 for an ordinary one', async (t) => {
  const ca = cluster.pki.caCertPem;
  const { cpu } = await containerSeries(viaApiServer('/metrics/cadvisor'), tokens.proxy, ca);
  t.is(cpu.labels?.image, 'busybox:1.36');
  const denied = await httpsGet(viaApiServer('/metrics/cadvisor'), { token: tokens.nobody, ca });
  t.is(denied.status, 403, denied.body);
  t.regex(denied.body, /nodes\/proxy|"proxy"/);
});
