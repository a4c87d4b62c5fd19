// Networking mode `tunnel`, inbound: on-prem clients reach burst pods through a Service. Real cluster, relay,
// agent and the emulator's process runtime (each pod is a real HTTP server on its group address). The agent
// publishes its listeners at the address of a test host in a network namespace this test creates (the API
// server refuses loopback endpoints), and connections to that address reach the agent's listeners as
// kube-proxy's DNAT would send them.
import test from 'ava';
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, PatchStrategy, setHeaderOptions, type V1EndpointSlice } from '@kubernetes/client-node';
import { startEciStack, type EciStack } from '../helpers/eci-stack.js';
import { burstWebDeployment } from '../helpers/burst-web.js';
import { eventually } from '../helpers/wait.js';
import { startNetnsHost, type NetnsHost } from '../helpers/netns-host.js';
import { get as httpGet } from '../../demo/service-traffic.js';
import { SLICE_MANAGER } from '../../agent/service-traffic/slices.js';
import { newRegistry } from '../../common/metrics.js';

// Answers with its pod name; /down makes its readiness probe fail from then on.
const SERVER = `
const http = require('node:http');
let ready = true;
http.createServer((q, s) => {
  if (q.url === '/ready') { s.statusCode = ready ? 200 : 503; return s.end(); }
  if (q.url === '/down') ready = false;
  s.end(process.env.POD_NAME);
}).listen(8080, process.env.ECI_POD_IP);
`;

let stack: EciStack;
let host: NetnsHost;
const registry = newRegistry();
const forwarded = new Set<number>();

test.before(async () => {
  host = await startNetnsHost();
  stack = await startEciStack({
    emulator: { runtime: 'process', config: { createLatency: { schedulingMs: 0, pendingMs: 0 } } },
    agent: { registry, network: { mode: 'tunnel', advertiseAddress: host.address, host: '127.0.0.1', maxConnections: 256 } },
  });
});
test.after.always(async () => {
  await stack?.close();
  await host?.close();
});

/** GET http://<test host>:<port><path> (the agent's listener behind it); the body. */
async function get(port: number, path = '/'): Promise<string> {
  if (!forwarded.has(port)) {
    await host.forward(port, port);
    forwarded.add(port);
  }
  return await httpGet(host.address, port, path);
}

test('a Service over burst pods: one agent endpoint per pod, each reaching its pod; scale, readiness and unsupported features follow', async (t) => {
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  const apps = stack.cluster.kc.makeApiClient(AppsV1Api);
  const discovery = stack.cluster.kc.makeApiClient(DiscoveryV1Api);
  const ns = `svc-in-${process.pid}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  t.teardown(() => core.deleteNamespace({ name: ns }).then(() => undefined, () => undefined));
  await apps.createNamespacedDeployment({ namespace: ns, body: burstWebDeployment(stack.nodeName, SERVER, 3) });
  await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] } } });

  const ours = async (): Promise<V1EndpointSlice[]> => (await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: `kubernetes.io/service-name=web,endpointslice.kubernetes.io/managed-by=${SLICE_MANAGER}` })).items;
  const readyEndpoints = (slices: V1EndpointSlice[]) => slices.filter((s) => s.endpoints?.[0]?.conditions?.ready);
  const slices = await eventually('3 ready agent endpoints for Service web', async () => {
    const s = await ours();
    return readyEndpoints(s).length === 3 && s.length === 3 ? s : undefined;
  }, 120_000);
  for (const s of slices) {
    t.deepEqual(s.endpoints?.[0]?.addresses, [host.address], 'the endpoint is the agent\'s advertised address');
    t.is(s.ports?.[0]?.name, 'web', 'the slice port carries the Service port name');
  }
  const pods = (await core.listNamespacedPod({ namespace: ns })).items;
  t.true(pods.every((p) => !p.status?.podIP), 'burst pods have no pod IP in tunnel mode');
  const controllers = (await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: 'kubernetes.io/service-name=web,endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io' })).items;
  t.true(controllers.length > 0 && controllers.every((s) => (s.endpoints ?? []).length === 0), 'the EndpointSlice controller leaves burst pods out');

  // Each endpoint reaches a different pod: the one its targetRef names.
  const answers = await Promise.all(slices.map((s) => get(s.ports?.[0]?.port as number)));
  t.deepEqual(new Set(answers), new Set(slices.map((s) => s.endpoints?.[0]?.targetRef?.name)));
  t.is(new Set(answers).size, 3);
  // Per-connection metrics: each connection counted when opened, its bytes and duration when it ends.
  const metric = async (name: string, labels: Record<string, string>) => (await registry.getSingleMetric(name)?.get())?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
  t.true((await metric('ecigw_agent_service_connections_total', { direction: 'inbound', outcome: 'opened' })) >= 3);
  await eventually('bytes of ended connections counted', async () => (await metric('ecigw_agent_service_bytes_total', { direction: 'inbound', flow: 'from_pod' })) > 0, 10_000);

  // A pod that turns unready leaves the ready set (and stays published as not ready).
  const downSlice = slices[0];
  await get(downSlice.ports?.[0]?.port as number, '/down');
  await eventually('the pod behind /down not ready in its slice', async () => {
    const s = (await ours()).find((x) => x.metadata?.name === downSlice.metadata?.name);
    return s && s.endpoints?.[0]?.conditions?.ready === false;
  }, 20_000);

  // Scale to 5 and to 1: the slices follow within 5 s of the pods' own changes.
  const scale = (replicas: number) => apps.patchNamespacedDeploymentScale({ name: 'web', namespace: ns, body: { spec: { replicas } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  await scale(5);
  await eventually('5 pods Ready', async () => {
    const items = (await core.listNamespacedPod({ namespace: ns })).items;
    return items.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length >= 4;
  }, 120_000);
  await eventually('5 agent endpoints (4 ready)', async () => {
    const s = await ours();
    return s.length === 5 && readyEndpoints(s).length === 4;
  }, 5_000);
  await scale(1);
  await eventually('1 ready agent endpoint after the scale-down', async () => readyEndpoints(await ours()).length <= 1, 5_000);
  const last = await eventually('1 agent endpoint left once the pods are gone', async () => {
    const s = await ours();
    const items = (await core.listNamespacedPod({ namespace: ns })).items;
    return s.length === 1 && items.length === 1 ? s[0] : undefined;
  }, 60_000);
  t.is(await get(last.ports?.[0]?.port as number), last.endpoints?.[0]?.targetRef?.name ?? '(none)', 'the endpoint left reaches the pod left');
});

test('a Service asking for what the tunnel cannot carry gets a Warning Event', async (t) => {
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  const ns = `svc-in-ev-${process.pid}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  t.teardown(() => core.deleteNamespace({ name: ns }).then(() => undefined, () => undefined));
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'p', labels: { app: 'aff' } },
      spec: {
        nodeName: stack.nodeName,
        tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
        containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }],
      },
    },
  });
  await core.createNamespacedService({
    namespace: ns,
    body: { metadata: { name: 'aff' }, spec: { selector: { app: 'aff' }, sessionAffinity: 'ClientIP', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'tcp', port: 80 }] } },
  });
  const events = await eventually('BurstTrafficUnsupported Events on Service aff', async () => {
    const items = (await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.kind=Service,involvedObject.name=aff' })).items.filter((e) => e.reason === 'BurstTrafficUnsupported');
    return items.length >= 2 ? items : undefined;
  }, 30_000);
  const messages = events.map((e) => e.message ?? '').join('\n');
  t.regex(messages, /UDP ports are not carried/);
  t.regex(messages, /sessionAffinity=ClientIP/);
  t.true(events.every((e) => e.type === 'Warning'));
});
