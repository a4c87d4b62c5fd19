// Networking mode `tunnel`, inbound, through the Service's ClusterIP with the real kube-proxy: a client on a
// test host (a network namespace) connects to <ClusterIP>:80, kube-proxy's rules in that namespace (nftables
// mode; test/cluster/kube-proxy.ts) DNAT it to one of the agent's EndpointSlice endpoints (<host address>:
// <listener port>), the host relays that to the agent's listener on 127.0.0.1, and the agent carries it
// through the relay to a burst pod. Real cluster, relay, agent, kube-proxy and the emulator's process runtime
// (each pod is a real HTTP server on its group address, answering with its pod name).
import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, type V1EndpointSlice } from '@kubernetes/client-node';
import { startEciStack, type EciStack } from '../helpers/eci-stack.js';
import { burstWebDeployment } from '../helpers/burst-web.js';
import { eventually } from '../helpers/wait.js';
import { startNetnsHost, type NetnsHost } from '../helpers/netns-host.js';
import { startKubeProxy, type KubeProxy } from '../cluster/kube-proxy.js';
import { SLICE_MANAGER } from '../../agent/service-traffic/slices.js';

const execFileP = promisify(execFile);

const SERVER = `
const http = require('node:http');
http.createServer((q, s) => s.end(q.url === '/ready' ? '' : process.env.POD_NAME)).listen(8080, process.env.ECI_POD_IP);
`;

/** Run on the test host: `n` GETs to http://<ip>:<port>/, each on a new connection; prints the bodies (or errors) as JSON. */
const CLIENT = `
const http = require('node:http');
const [host, port, n] = process.argv.slice(1);
const one = () => new Promise((resolve) => {
  const req = http.get({ host, port: Number(port), path: '/', agent: false, timeout: 5000 }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c) => (body += c));
    res.on('end', () => resolve(body));
    res.on('error', (e) => resolve('error: ' + e.message));
  });
  req.on('timeout', () => req.destroy(new Error('timed out')));
  req.on('error', (e) => resolve('error: ' + e.message));
});
(async () => {
  const out = [];
  for (let i = 0; i < Number(n); i++) out.push(await one());
  console.log(JSON.stringify(out));
})();
`;

let stack: EciStack | undefined;
let host: NetnsHost | undefined;
let proxy: KubeProxy | undefined;

test.before(async () => {
  host = await startNetnsHost();
  stack = await startEciStack({
    emulator: { runtime: 'process', config: { createLatency: { schedulingMs: 0, pendingMs: 0 } } },
    agent: { network: { mode: 'tunnel', advertiseAddress: host.address, host: '127.0.0.1', maxConnections: 256 } },
  });
  // kube-proxy on the test host, as the agent's node: the node kube-proxy would run on beside the agent.
  proxy = await startKubeProxy(stack.cluster, host, { nodeName: stack.nodeName });
});
test.after.always(async () => {
  await proxy?.close();
  await stack?.close();
  await host?.close();
});

/** `n` requests from the test host to http://<ip>:<port>/ (new connection each). */
async function fromHost(ip: string, port: number, n: number): Promise<string[]> {
  if (!proxy) throw new Error('kube-proxy not started');
  const { stdout } = await execFileP('ip', ['netns', 'exec', proxy.netns, process.execPath, '-e', CLIENT, ip, String(port), String(n)], { timeout: 10_000 + n * 6_000 });
  return JSON.parse(stdout) as string[];
}

test('requests to the ClusterIP reach the burst pods through the real kube-proxy and the agent\'s endpoints', async (t) => {
  if (!stack || !host || !proxy) throw new Error('setup failed');
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  const apps = stack.cluster.kc.makeApiClient(AppsV1Api);
  const discovery = stack.cluster.kc.makeApiClient(DiscoveryV1Api);
  const ns = `svc-cip-${process.pid}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  t.teardown(() => core.deleteNamespace({ name: ns }).then(() => undefined, () => undefined));
  await apps.createNamespacedDeployment({ namespace: ns, body: burstWebDeployment(stack.nodeName, SERVER, 3) });
  const svc = await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'web' }, spec: { type: 'ClusterIP', selector: { app: 'web' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] } } });
  const clusterIP = svc.spec?.clusterIP ?? '';
  t.regex(clusterIP, /^10\.96\./, 'a ClusterIP from the service range');

  const slices = await eventually('3 ready agent endpoints for Service web', async () => {
    const s = (await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: `kubernetes.io/service-name=web,endpointslice.kubernetes.io/managed-by=${SLICE_MANAGER}` })).items;
    return s.length === 3 && s.every((x) => x.endpoints?.[0]?.conditions?.ready) ? s : undefined;
  }, 120_000);
  const port = (s: V1EndpointSlice) => s.ports?.[0]?.port as number;
  // The endpoints are <host address>:<listener port>; on the host, each such port is relayed to the agent's
  // listener on 127.0.0.1 (what a node's own address would be in production).
  for (const s of slices) {
    t.deepEqual(s.endpoints?.[0]?.addresses, [host.address]);
    await host.forward(port(s), port(s));
  }
  const pods = new Set(slices.map((s) => s.endpoints?.[0]?.targetRef?.name ?? ''));

  // kube-proxy has programmed the ClusterIP and a DNAT to each of the agent's endpoints in the host's namespace.
  await eventually('kube-proxy rules for the ClusterIP and its 3 endpoints', async () => {
    const rules = await proxy!.rules();
    // The Service's chain DNATs through a map of `<address> . <port>` elements, one per endpoint.
    if (rules.includes(clusterIP) && slices.every((s) => rules.includes(`${host!.address} . ${port(s)}`))) return true;
    const ours = rules.split('\n').filter((l) => l.includes(clusterIP) || l.includes(host!.address) || l.includes(`${ns}/web`));
    throw new Error(`kube-proxy's rules for ${ns}/web so far:\n${ours.join('\n')}\nits log (${proxy!.logPath}) ends:\n${readFileSync(proxy!.logPath, 'utf8').split('\n').slice(-30).join('\n')}`);
  }, 30_000);
  await eventually('a first answer through the ClusterIP', async () => pods.has((await fromHost(clusterIP, 80, 1))[0]), 30_000);

  const started = Date.now();
  const answers = await fromHost(clusterIP, 80, 20);
  const ms = Date.now() - started;
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
  t.log(`20 requests to ${clusterIP}:80 in ${ms} ms: ${[...counts].map(([p, c]) => `${p} ×${c}`).join(', ')}`);
  t.true(answers.every((a) => pods.has(a)), `every request answered by a burst pod of the Service: ${JSON.stringify(answers)}`);
  t.true(counts.size >= 2, 'kube-proxy spreads the connections over the agent\'s endpoints (≥ 2 pods answer)');

  // The ClusterIP is kube-proxy's alone: a port the Service does not have is refused by its rules at once
  // (without them the connection would leave through the host's default route and time out).
  t.regex((await fromHost(clusterIP, 81, 1))[0], /ECONNREFUSED/);
});
