// Networking mode `tunnel`, inbound, under faults. Real cluster, relay, agent (two replicas with a leader
// Lease) and the emulator's process runtime; the agent's tunnel runs through a forwarder the test severs.
// A cut tunnel resets in-flight Service connections at once and marks the burst endpoints not ready; new
// connections work within 10 s of its return. When the leader stops, the new leader republishes the
// slices at its own address.
import test from 'ava';
import { connect, type Socket } from 'node:net';
import { AppsV1Api, CoordinationV1Api, CoreV1Api, DiscoveryV1Api, type V1EndpointSlice } from '@kubernetes/client-node';
import { startResilienceStack, type ResilienceStack } from '../agent/resilience/stack.js';
import { eventually } from '../helpers/wait.js';
import { startNetnsHost, type NetnsHost } from '../helpers/netns-host.js';
import { BOOTSTRAP_NAMESPACE } from '../cluster/bootstrap-identity.js';
import { SLICE_MANAGER } from '../../agent/service-traffic/slices.js';
import type { LeaderElectionOptions } from '../../agent/leader/election.js';
import type { NetworkOptions } from '../../agent/agent.js';

// Echoes each line back prefixed with its pod name.
const SERVER = `
require('node:net').createServer((c) => {
  c.setEncoding('utf8');
  c.on('data', (d) => c.write(process.env.POD_NAME + ':' + d));
  c.on('error', () => {});
}).listen(7000, process.env.ECI_POD_IP);
`;
const LEASE_NAME = `gateway-agent-svc-${process.pid}`;
const election = (identity: string): LeaderElectionOptions => ({ namespace: BOOTSTRAP_NAMESPACE, name: LEASE_NAME, identity, leaseDurationSeconds: 10, retryPeriodMs: 1000 });
const network = (host: NetnsHost): NetworkOptions => ({ mode: 'tunnel', advertiseAddress: host.address, host: '127.0.0.1', maxConnections: 64 });

let stack: ResilienceStack;
let hostA: NetnsHost;
let hostB: NetnsHost;
test.before(async () => {
  [hostA, hostB] = await Promise.all([startNetnsHost(), startNetnsHost()]);
  stack = await startResilienceStack({
    emulator: { runtime: 'process', config: { createLatency: { schedulingMs: 0, pendingMs: 0 } } },
    agent: { network: network(hostA), leaderElection: election('replica-a'), onLeadershipLost: () => undefined },
  });
});
test.after.always(async () => {
  await stack?.close();
  await stack?.cluster.kc.makeApiClient(CoordinationV1Api).deleteNamespacedLease({ name: LEASE_NAME, namespace: BOOTSTRAP_NAMESPACE }).catch(() => undefined);
  await hostA?.close();
  await hostB?.close();
});

/** A connection to the agent's listener at `port` (straight to loopback, as kube-proxy's DNAT would lead there). */
async function dial(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  s.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  return s;
}

/** Sends a line and waits for the echo (its pod name). */
async function echo(s: Socket, line: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    let got = '';
    const onData = (d: string) => {
      got += d;
      if (!got.endsWith(`${line}\n`)) return;
      s.off('data', onData);
      resolve(got.slice(0, -line.length - 2));
    };
    s.on('data', onData);
    s.once('error', reject);
    s.once('close', () => reject(new Error(`closed before the echo of ${line}`)));
    s.write(`${line}\n`);
  });
}

test('tunnel cut: in-flight connections reset at once, endpoints not ready; after the return new connections work within 10 s; fail-over moves the slices', async (t) => {
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  const apps = stack.cluster.kc.makeApiClient(AppsV1Api);
  const discovery = stack.cluster.kc.makeApiClient(DiscoveryV1Api);
  const ns = `svc-fault-${process.pid}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  t.teardown(() => core.deleteNamespace({ name: ns }).then(() => undefined, () => undefined));
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'echo' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'echo' } },
        template: {
          metadata: { labels: { app: 'echo' } },
          spec: {
            nodeSelector: { 'kubernetes.io/hostname': stack.nodeName },
            tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
            containers: [{ name: 'echo', image: 'busybox', command: [process.execPath, '-e', SERVER], env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }], ports: [{ containerPort: 7000 }] }],
          },
        },
      },
    },
  });
  await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'echo' }, spec: { selector: { app: 'echo' }, ports: [{ port: 7000 }] } } });
  const ours = async (): Promise<V1EndpointSlice[]> => (await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: `kubernetes.io/service-name=echo,endpointslice.kubernetes.io/managed-by=${SLICE_MANAGER}` })).items;
  const ready = (s: V1EndpointSlice[]) => s.filter((x) => x.endpoints?.[0]?.conditions?.ready);
  const slices = await eventually('2 ready endpoints at replica a', async () => {
    const s = await ours();
    return ready(s).length === 2 && s.every((x) => x.endpoints?.[0]?.addresses?.[0] === hostA.address) ? s : undefined;
  }, 120_000);
  const port = slices[0].ports?.[0]?.port as number;
  const pod = slices[0].endpoints?.[0]?.targetRef?.name ?? '(none)';

  // In flight across the cut: reset at once, not left hanging.
  const inflight = await dial(port);
  t.is(await echo(inflight, 'before'), pod);
  const closed = new Promise<number>((resolve) => inflight.once('close', () => resolve(Date.now())));
  inflight.on('error', () => undefined);
  const cutAt = Date.now();
  stack.forwarder.setRefusing(true);
  stack.forwarder.sever();
  const closedAt = await closed;
  t.log(`in-flight connection closed ${closedAt - cutAt} ms after the cut`);
  t.true(closedAt - cutAt < 5_000, 'the in-flight connection ends within 5 s of the cut');
  await eventually('no burst endpoint ready while the tunnel is down', async () => ready(await ours()).length === 0, 15_000);

  // Back: new connections within 10 s of the return.
  stack.forwarder.setRefusing(false);
  const backAt = Date.now();
  const answer = await eventually('a new connection echoes', async () => {
    const s = await dial(port);
    try {
      return await echo(s, 'after');
    } catch {
      return undefined;
    } finally {
      s.destroy();
    }
  }, 10_000, 200);
  t.log(`a new connection worked ${Date.now() - backAt} ms after the tunnel was let through`);
  t.is(answer, pod);
  await eventually('endpoints ready again', async () => ready(await ours()).length === 2, 10_000);

  // Fail-over: replica b (its own address) takes the Lease when replica a stops; the slices follow.
  const standby = stack.newAgent({ network: network(hostB), leaderElection: election('replica-b'), onLeadershipLost: () => undefined });
  const leads = standby.start();
  leads.catch(() => undefined);
  await stack.agent.stop({ releaseLease: true });
  await leads;
  const moved = await eventually('slices at replica b\'s address', async () => {
    const s = await ours();
    return ready(s).length === 2 && s.every((x) => x.endpoints?.[0]?.addresses?.[0] === hostB.address) ? s : undefined;
  }, 30_000);
  const next = await dial(moved[0].ports?.[0]?.port as number);
  t.is(await echo(next, 'new leader'), moved[0].endpoints?.[0]?.targetRef?.name ?? '(none)', 'the new leader\'s listener reaches the pod');
  next.destroy();
});
