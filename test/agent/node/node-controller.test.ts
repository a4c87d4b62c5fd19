// The node controller against the real API server: the node Lease is renewed on its interval and the node
// status (Ready's lastHeartbeatTime) is rewritten before it gets older than statusMaxAgeMs even when nothing
// changes; a tunnel outage is one write, not one per reconnect attempt. Short intervals keep it quick.
// With a node identity under NodeRestriction: registration and adoption write only what a node may.
import test from 'ava';
import { CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { useCluster } from '../../cluster/fixture.js';
import { NodeController } from '../../../agent/node/node-controller.js';
import { DEFAULT_TAINT } from '../../../agent/node/node-spec.js';
import { NODE_LEASE_NAMESPACE } from '../../../agent/node/lease.js';
import { eventually } from '../../helpers/wait.js';
import { testBootstrap } from '../../helpers/bootstrap.js';
import { NodeIdentity } from '../../../agent/kube/node-identity/node-identity.js';

test('renews the Lease every interval and rewrites status before it is statusMaxAgeMs old', async (t) => {
  const cluster = await useCluster();
  const name = `eci-vk-${process.pid}-nodectl`;
  const ctl = new NodeController(
    cluster.kc,
    { name, capacity: { cpu: '10', memory: '10Gi', pods: '100' }, labels: {}, taints: [DEFAULT_TAINT], internalIP: '127.0.0.1', kubeletPort: 10250, os: 'linux', arch: 'amd64', agentVersion: '0.1.0', declareWebSocketStreaming: false },
    { leaseIntervalMs: 1000, statusIntervalMs: 500, statusMaxAgeMs: 3000 },
  );
  t.teardown(async () => {
    ctl.stop();
    await cluster.kubectl(['delete', 'node', name, '--ignore-not-found']);
  });
  await ctl.start();
  const core = cluster.kc.makeApiClient(CoreV1Api);
  const leases = cluster.kc.makeApiClient(CoordinationV1Api);
  const renewTimes = new Set<string>();
  const heartbeats = new Set<string>();
  const versions = new Set<string>();
  const samples: number[] = [];
  for (let i = 0; i < 16; i++) {
    const lease = await leases.readNamespacedLease({ name, namespace: NODE_LEASE_NAMESPACE });
    renewTimes.add(String(lease.spec?.renewTime));
    const node = await core.readNode({ name });
    versions.add(node.metadata?.resourceVersion ?? '');
    const hb = node.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime;
    heartbeats.add(new Date(hb as unknown as string).toISOString());
    samples.push(Date.now());
    await new Promise((r) => setTimeout(r, 500));
  }
  t.log(`${samples.at(-1)! - samples[0]} ms: ${renewTimes.size} renewTimes, ${heartbeats.size} heartbeats`);
  t.true(renewTimes.size >= 5, `Lease renewed about every second (${renewTimes.size} distinct renewTimes in ~8 s)`);
  t.true(heartbeats.size >= 3, `status rewritten although unchanged (${heartbeats.size} heartbeats in ~8 s with a 3 s max age)`);

  // One outage = one write: the same reason again does not rewrite the node.
  ctl.setTunnelHealth({ connected: false, reason: 'TunnelDisconnected', message: 'relay unreachable' });
  await new Promise((r) => setTimeout(r, 300));
  const v1 = (await core.readNode({ name })).metadata?.resourceVersion;
  for (let i = 0; i < 20; i++) ctl.setTunnelHealth({ connected: false, reason: 'TunnelDisconnected', message: `attempt ${i} failed` });
  await new Promise((r) => setTimeout(r, 300));
  const node = await core.readNode({ name });
  const cond = node.status?.conditions?.find((c) => c.type === 'TunnelConnected');
  t.is(cond?.status, 'False');
  t.is(cond?.reason, 'TunnelDisconnected');
  t.is(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', 'Ready stays True without the tunnel');
  t.is(node.metadata?.resourceVersion, v1, 'repeated reports of the same outage do not rewrite the node');
});

test('declares ExtendWebSocketsToKubelet in node status and keeps it through rewrites; an agent configured without it takes it away', async (t) => {
  const cluster = await useCluster();
  const name = `eci-vk-${process.pid}-declared`;
  const cfg = { name, capacity: { cpu: '10', memory: '10Gi', pods: '100' }, labels: {}, taints: [DEFAULT_TAINT], internalIP: '127.0.0.1', kubeletPort: 10250, os: 'linux', arch: 'amd64', agentVersion: '0.1.0' };
  t.teardown(() => cluster.kubectl(['delete', 'node', name, '--ignore-not-found']).then(() => undefined));
  // client-node's NodeStatus model has no declaredFeatures: read it as the API server serves it.
  const declared = async () => (await cluster.kubectl(['get', 'node', name, '-o', 'jsonpath={.status.declaredFeatures}'])).stdout;
  const core = cluster.kc.makeApiClient(CoreV1Api);
  const heartbeat = async () => (await core.readNode({ name })).status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime;

  const on = new NodeController(cluster.kc, { ...cfg, declareWebSocketStreaming: true }, { leaseIntervalMs: 1000, statusIntervalMs: 300, statusMaxAgeMs: 1000 });
  await on.start();
  t.is(await declared(), '["ExtendWebSocketsToKubelet"]');
  const first = String(await heartbeat());
  await eventually('a status rewrite', async () => String(await heartbeat()) !== first, 10_000);
  t.is(await declared(), '["ExtendWebSocketsToKubelet"]', 'still declared after the status was rewritten');
  on.stop();

  const off = new NodeController(cluster.kc, { ...cfg, declareWebSocketStreaming: false }, { leaseIntervalMs: 1000, statusIntervalMs: 300, statusMaxAgeMs: 1000 });
  t.teardown(() => off.stop());
  await off.start();
  t.is(await declared(), '', 'no longer declared');
});

test('under NodeRestriction, with a node identity: registers with only labels a node may set; re-adopting a node whose taint an administrator removed keeps it removed', async (t) => {
  const cluster = await useCluster();
  const boot = new KubeConfig();
  boot.loadFromFile((await testBootstrap(cluster)).kubeconfigPath);
  const name = `eci-vk-${process.pid}-restricted`;
  const id = new NodeIdentity(boot, { nodeName: name });
  t.teardown(async () => {
    id.stop();
    await cluster.kubectl(['delete', 'node', name, '--ignore-not-found']);
  });
  await id.start();
  const cfg = { name, capacity: { cpu: '10', memory: '10Gi', pods: '100' }, labels: { 'example.com/team': 'burst' }, taints: [DEFAULT_TAINT], internalIP: '127.0.0.1', kubeletPort: 10250, os: 'linux', arch: 'amd64', agentVersion: '0.1.0', declareWebSocketStreaming: false };
  const first = new NodeController(id.kubeConfig, cfg, { leaseIntervalMs: 60_000, statusIntervalMs: 60_000 });
  await first.start();
  first.stop();
  const core = cluster.kc.makeApiClient(CoreV1Api);
  t.is((await core.readNode({ name })).metadata?.labels?.['example.com/team'], 'burst');

  const removed = await cluster.kubectl(['taint', 'nodes', name, `${DEFAULT_TAINT.key}-`]);
  t.is(removed.code, 0, removed.stderr);
  // A restarted agent with one more label adopts the node: the label is added, the taint is not put back
  // (NodeRestriction forbids a node to change its taints; the agent logs the kubectl taint command instead).
  const again = new NodeController(id.kubeConfig, { ...cfg, labels: { ...cfg.labels, 'example.com/tier': 'eci' } }, { leaseIntervalMs: 60_000, statusIntervalMs: 60_000 });
  t.teardown(() => again.stop());
  await again.start();
  const node = await core.readNode({ name });
  t.is(node.metadata?.labels?.['example.com/tier'], 'eci');
  t.false((node.spec?.taints ?? []).some((x) => x.key === DEFAULT_TAINT.key), 'the removed taint stays removed');
  t.is(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', 'and the node reports status');
});
