// Networking mode `tunnel`, outbound: a burst pod reaches on-prem Services that are exported to its namespace,
// by the names it would use in the cluster, through its egress sidecar, the relay and the agent. Real cluster,
// relay (with its egress listener), agent, and the emulator's process runtime, where the sidecar runs for real
// (bin/gateway-egress.js) and the group's processes see its /etc/resolv.conf in their own mount namespace. The
// on-prem server sits behind a Service without a selector whose EndpointSlice names a test host in a network
// namespace (forwarded to a loopback server here), as an on-prem endpoint would be.
import test from 'ava';
import { createServer as createHttpServer, type Server } from 'node:http';
import { connect, createServer } from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { CoreV1Api, DiscoveryV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { startEciStack, type EciStack } from '../helpers/eci-stack.js';
import { eventually } from '../helpers/wait.js';
import { startNetnsHost, type NetnsHost } from '../helpers/netns-host.js';
import { EgressServiceClient } from '../../proto/load.js';
import type { Chunk__Output } from '../../proto/gen/ecigw/egress/v1/Chunk.js';
import { EXPORT_ANNOTATION } from '../../agent/service-traffic/exports.js';
import { newRegistry } from '../../common/metrics.js';

const EGRESS = fileURLToPath(new URL('../../bin/gateway-egress.js', import.meta.url));
/** The host's own resolver answers every other name (as the VPC's would); none: an unreachable one. */
const upstream = /^nameserver\s+(\d+\.\d+\.\d+\.\d+)/m.exec(readFileSync('/etc/resolv.conf', 'utf8'))?.[1] ?? '192.0.2.53';

let stack: EciStack;
let host: NetnsHost;
let onPrem: Server;
const registry = newRegistry();

test.before(async () => {
  host = await startNetnsHost();
  onPrem = createHttpServer((q, s) => s.end(`on-prem answers ${q.url}`));
  await new Promise<void>((r) => onPrem.listen(0, '127.0.0.1', r));
  await host.forward(8080, (onPrem.address() as { port: number }).port);
  stack = await startEciStack({
    emulator: { runtime: 'process', config: { createLatency: { schedulingMs: 0, pendingMs: 0 } } },
    agent: { registry, network: { mode: 'tunnel', advertiseAddress: host.address, host: '127.0.0.1', maxConnections: 64 } },
    egress: { command: [process.execPath, EGRESS], upstreamDns: [upstream] },
  });
});
test.after.always(async () => {
  await stack?.close();
  await host?.close();
  onPrem?.close();
});

/** `kubectl exec` in the pod's container; stdout (throws with stderr on failure). */
async function exec(ns: string, pod: string, container: string, command: string[]): Promise<string> {
  const r = await stack.cluster.kubectl(['exec', '-n', ns, pod, '-c', container, '--', ...command], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`exec ${command.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

const fetchIn = (ns: string, pod: string, url: string) => exec(ns, pod, 'app', [process.execPath, '-e', `fetch(${JSON.stringify(url)}).then((r) => r.text()).then((t) => process.stdout.write(t), (e) => { process.stderr.write(String(e.cause ?? e)); process.exit(1); })`]);

/** Calls the relay's egress listener as the pod at `fromIP` would, with `token`; resolves with the call's status. */
async function connectAs(token: string, fromIP: string, target: { namespace: string; name: string; port: number }): Promise<grpc.StatusObject> {
  const relayPort = Number(stack.relay.egressPort);
  const fwd = createServer((c) => {
    const u = connect({ host: '127.0.0.1', port: relayPort, localAddress: fromIP });
    c.on('error', () => u.destroy());
    u.on('error', () => c.destroy());
    c.pipe(u).pipe(c);
  });
  await new Promise<void>((r) => fwd.listen(0, '127.0.0.1', r));
  const ca = readFileSync(stack.relayCaFile);
  const client = new EgressServiceClient(`127.0.0.1:${(fwd.address() as { port: number }).port}`, grpc.credentials.createSsl(ca), { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' });
  try {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${token}`);
    const call = client.Connect(md);
    call.on('data', (_m: Chunk__Output) => undefined);
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.on('error', () => undefined);
    call.write({ start: target });
    call.end();
    const timer = setTimeout(() => call.cancel(), 15_000);
    try {
      return await status;
    } finally {
      clearTimeout(timer);
    }
  } finally {
    client.close();
    fwd.close();
  }
}

/** The egress credential in the environment of the sidecar process of the group at `podIP` (root reads /proc). */
function sidecarToken(podIP: string): string {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let env: string[];
    try {
      env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!env.includes(`ECIGW_EGRESS_POD_IP=${podIP}`)) continue;
    const token = env.find((e) => e.startsWith('ECIGW_EGRESS_TOKEN='));
    if (token) return token.slice('ECIGW_EGRESS_TOKEN='.length);
  }
  throw new Error(`no sidecar process of ${podIP}`);
}

const denied = async (reason: string) => (await stack.relay.registry.getSingleMetric('ecigw_relay_egress_denied_total')?.get())?.values.find((v) => v.labels.reason === reason)?.value ?? 0;

test('a burst pod fetches exported on-prem Services by svc and svc.ns names; others are refused and logged; a stolen credential does not work', async (t) => {
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  const discovery = stack.cluster.kc.makeApiClient(DiscoveryV1Api);
  const ns = `svc-out-${process.pid}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  t.teardown(() => core.deleteNamespace({ name: ns }).then(() => undefined, () => undefined));
  // Services without selectors whose endpoint is the on-prem test host.
  for (const [name, annotations] of [['db', { [EXPORT_ANNOTATION]: 'true' }], ['secret', {}], ['late', {}]] as const) {
    await core.createNamespacedService({ namespace: ns, body: { metadata: { name, annotations }, spec: { ports: [{ name: 'http', port: 80 }] } } });
    await discovery.createNamespacedEndpointSlice({
      namespace: ns,
      body: {
        metadata: { name: `${name}-onprem`, labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'test.ecigw.io' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: [host.address], conditions: { ready: true } }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    });
  }
  const pod = (name: string) => ({
    metadata: { name },
    spec: {
      nodeName: stack.nodeName,
      tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists' as const, effect: 'NoSchedule' as const }],
      containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }],
    },
  });
  await core.createNamespacedPod({ namespace: ns, body: pod('client') });
  await core.createNamespacedPod({ namespace: ns, body: pod('other') });
  await eventually('both pods Running', async () => {
    const items = (await core.listNamespacedPod({ namespace: ns })).items;
    return items.length === 2 && items.every((p) => p.status?.phase === 'Running');
  }, 90_000);

  // Exported: reachable by its short name and by <svc>.<ns>, as in the cluster.
  t.is(await eventually('http://db/ answers', () => fetchIn(ns, 'client', 'http://db/short').catch(() => undefined), 30_000, 500), 'on-prem answers /short');
  t.is(await fetchIn(ns, 'client', `http://db.${ns}/qualified`), 'on-prem answers /qualified');
  t.is(await fetchIn(ns, 'client', `http://db.${ns}.svc.cluster.local/full`), 'on-prem answers /full');

  const opened = (await registry.getSingleMetric('ecigw_agent_service_connections_total')?.get())?.values.find((v) => v.labels.direction === 'outbound' && v.labels.outcome === 'opened')?.value ?? 0;
  t.true(opened >= 3, `the agent counted ${opened} outbound connections`);

  // Not exported: the name does not resolve through the sidecar.
  await t.throwsAsync(fetchIn(ns, 'client', 'http://secret/'), undefined, 'a Service that is not exported stays out of reach');

  // The relay itself refuses a non-exported Service to the pod's own credential, and logs/counts it.
  // The sidecar is no container of the pod's spec (kubectl cannot exec into it, and the app's containers do not
  // see its env): the credential is taken as an attacker on the host would, from the sidecar process.
  const ipOf = (pod: string) => stack.emulator.admin.listGroups().find((g) => g.name.startsWith(`${ns}-${pod}-`) && g.status === 'Running')?.intranetIp ?? '';
  const [clientIP, otherIP] = [ipOf('client'), ipOf('other')];
  const token = sidecarToken(clientIP);
  const before = await denied('not_exported');
  const refused = await connectAs(token, clientIP, { namespace: ns, name: 'secret', port: 80 });
  t.is(refused.code, grpc.status.PERMISSION_DENIED, refused.details);
  t.regex(refused.details, /not exported/);
  t.is(await denied('not_exported'), before + 1, 'the refusal is counted (and logged with the pod and target)');
  // ... and the exported one is admitted for it (the check above was not refusing everything).
  t.is((await connectAs(token, clientIP, { namespace: ns, name: 'db', port: 80 })).code, grpc.status.OK);

  // Another pod presenting this pod's credential is refused.
  const stolen = await connectAs(token, otherIP, { namespace: ns, name: 'db', port: 80 });
  t.is(stolen.code, grpc.status.PERMISSION_DENIED);
  t.regex(stolen.details, /not from the pod's address/);
  t.is((await connectAs(`${token.slice(0, -4)}AAAA`, clientIP, { namespace: ns, name: 'db', port: 80 })).code, grpc.status.UNAUTHENTICATED, 'a forged credential');

  // Exported later: reachable within 10 s.
  await core.patchNamespacedService({ name: 'late', namespace: ns, body: { metadata: { annotations: { [EXPORT_ANNOTATION]: 'true' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  const exportedAt = Date.now();
  t.is(await eventually('http://late/ answers', () => fetchIn(ns, 'client', 'http://late/now').catch(() => undefined), 10_000, 250), 'on-prem answers /now');
  t.log(`exported later: reachable ${Date.now() - exportedAt} ms after the annotation`);
});
