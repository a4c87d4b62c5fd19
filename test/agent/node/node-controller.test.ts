// The node controller against the real API server: the node Lease is renewed on its interval and the node
// status (Ready's lastHeartbeatTime) is rewritten before it gets older than statusMaxAgeMs even when nothing
// changes; a tunnel outage is one write, not one per reconnect attempt. The heartbeats run on a fake clock
// (test/helpers/fake-clock.ts) that the test moves, so every written time is known to the millisecond.
// With a node identity under NodeRestriction: registration and adoption write only what a node may.
import test from 'ava';
import { CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { useCluster } from '../../cluster/fixture.js';
import { NodeController } from '../../../agent/node/node-controller.js';
import { DEFAULT_TAINT } from '../../../agent/node/node-spec.js';
import { NODE_LEASE_NAMESPACE } from '../../../agent/node/lease.js';
import { fakeClock } from '../../helpers/fake-clock.js';
import { testBootstrap } from '../../helpers/bootstrap.js';
import { NodeIdentity } from '../../../agent/kube/node-identity/node-identity.js';

/** A whole second near the real time: the fake clock starts there, so written times compare exactly. */
const wholeSecondNow = () => Math.ceil(Date.now() / 1000) * 1000;
const ms = (v: unknown) => (v instanceof Date ? v.getTime() : Date.parse(String(v)));

test('on a fake clock: renews the Lease every interval and rewrites unchanged status only once it would be statusMaxAgeMs old', async (t) => {
  const cluster = await useCluster();
  const name = `eci-vk-${process.pid}-nodectl`;
  const t0 = wholeSecondNow();
  const { fake, clock } = fakeClock(t0);
  const ctl = new NodeController(
    cluster.kc,
    { name, capacity: { cpu: '10', memory: '10Gi', pods: '100' }, labels: {}, taints: [DEFAULT_TAINT], internalIP: '127.0.0.1', kubeletPort: 10250, os: 'linux', arch: 'amd64', agentVersion: '0.1.0', declareWebSocketStreaming: false },
    { leaseIntervalMs: 1000, statusIntervalMs: 500, statusMaxAgeMs: 3000, clock },
  );
  t.teardown(async () => {
    ctl.stop();
    await ctl.idle();
    await cluster.kubectl(['delete', 'node', name, '--ignore-not-found']);
  });
  await ctl.start();
  const core = cluster.kc.makeApiClient(CoreV1Api);
  const leases = cluster.kc.makeApiClient(CoordinationV1Api);
  const renewTime = async () => ms((await leases.readNamespacedLease({ name, namespace: NODE_LEASE_NAMESPACE })).spec?.renewTime);
  const heartbeat = async () => ms((await core.readNode({ name })).status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime);
  t.is(await renewTime(), t0, 'the Lease is renewed at start');
  t.is(await heartbeat(), t0, 'the status is written at start');

  // Six status checks (every 500 ms) and three renewals (every 1000 ms); each step waits for the checks and
  // renewals it started. Nothing changes, so the status is rewritten only at the check that would otherwise
  // leave it older than 3000 ms at the next one: t0+3000.
  for (let step = 1; step <= 6; step++) {
    await fake.tickAsync(500);
    await ctl.idle();
    const now = t0 + step * 500;
    t.is(await renewTime(), t0 + Math.floor(step / 2) * 1000, `${now - t0} ms: the Lease renewed on each whole interval`);
    t.is(await heartbeat(), step < 6 ? t0 : now, `${now - t0} ms: the status ${step < 6 ? 'checked, not rewritten' : 'rewritten although unchanged'}`);
  }

  // One outage = one write: the same reason again does not rewrite the node. Each report that would write
  // starts its write at once, and idle() waits for it: after it, any write the reports caused has landed.
  ctl.setTunnelHealth({ connected: false, reason: 'TunnelDisconnected', message: 'relay unreachable' });
  await ctl.idle();
  const v1 = (await core.readNode({ name })).metadata?.resourceVersion;
  for (let i = 0; i < 20; i++) ctl.setTunnelHealth({ connected: false, reason: 'TunnelDisconnected', message: `attempt ${i} failed` });
  await ctl.idle();
  const node = await core.readNode({ name });
  const cond = node.status?.conditions?.find((c) => c.type === 'TunnelConnected');
  t.is(cond?.status, 'False');
  t.is(cond?.reason, 'TunnelDisconnected');
  t.is(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', 'Ready stays True without the tunnel');
  t.is(node.metadata?.resourceVersion, v1, 'repeated reports of the same outage do not rewrite the node');
  // A report that does change the state is written (so the reports above did reach the controller's decision).
  ctl.setTunnelHealth({ connected: true, reason: 'TunnelConnected', message: 'connected to the relay' });
  await ctl.idle();
  const back = await core.readNode({ name });
  t.not(back.metadata?.resourceVersion, v1);
  t.is(back.status?.conditions?.find((c) => c.type === 'TunnelConnected')?.status, 'True');
});

test('declares ExtendWebSocketsToKubelet in node status and keeps it through rewrites; an agent configured without it takes it away', async (t) => {
  const cluster = await useCluster();
  const name = `eci-vk-${process.pid}-declared`;
  const cfg = { name, capacity: { cpu: '10', memory: '10Gi', pods: '100' }, labels: {}, taints: [DEFAULT_TAINT], internalIP: '127.0.0.1', kubeletPort: 10250, os: 'linux', arch: 'amd64', agentVersion: '0.1.0' };
  t.teardown(() => cluster.kubectl(['delete', 'node', name, '--ignore-not-found']).then(() => undefined));
  const core = cluster.kc.makeApiClient(CoreV1Api);
  const declared = async () => {
    const features = (await core.readNode({ name })).status?.declaredFeatures;
    return features ? JSON.stringify(features) : '';
  };
  const heartbeat = async () => ms((await core.readNode({ name })).status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime);

  const t0 = wholeSecondNow();
  const { fake, clock } = fakeClock(t0);
  const on = new NodeController(cluster.kc, { ...cfg, declareWebSocketStreaming: true }, { leaseIntervalMs: 1000, statusIntervalMs: 500, statusMaxAgeMs: 1000, clock });
  await on.start();
  t.is(await declared(), '["ExtendWebSocketsToKubelet"]');
  t.is(await heartbeat(), t0);
  // Checks at 500 and 1000 ms: the one at 1000 would leave the status older than 1000 ms at the next, so it
  // rewrites (heartbeats are written in whole seconds).
  for (let step = 1; step <= 2; step++) {
    await fake.tickAsync(500);
    await on.idle();
  }
  t.is(await heartbeat(), t0 + 1000, 'the status was rewritten');
  t.is(await declared(), '["ExtendWebSocketsToKubelet"]', 'still declared after the status was rewritten');
  on.stop();
  await on.idle();

  const off = new NodeController(cluster.kc, { ...cfg, declareWebSocketStreaming: false }, { leaseIntervalMs: 1000, statusIntervalMs: 500, statusMaxAgeMs: 1000, clock });
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
