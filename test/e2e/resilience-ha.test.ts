// Resilience (issue #7), high availability: two agent replicas for one virtual node elect a leader with a
// coordination.k8s.io Lease. The leader "crashes" (stops without releasing the lease); the standby takes
// over within 15 s (lease 10 s + retry 2 s) and adopts every pod: nothing is created twice, no pod is
// recreated, changes made while leaderless are applied, and a scale-down leaves no container group.
import test from 'ava';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { startResilienceStack, createBurstDeployment, groupCounts, allRunningReady, type ResilienceStack } from '../agent/resilience/stack.js';
import { eventually } from '../helpers/stack.js';
import { GROUP_ID_ANNOTATION } from '../../agent/pods/pod-controller.js';
import type { LeaderElectionOptions } from '../../agent/leader/election.js';

const LEASE_NS = 'default';
const LEASE_NAME = `gateway-agent-ha-${process.pid}`;
const election = (identity: string): LeaderElectionOptions => ({ namespace: LEASE_NS, name: LEASE_NAME, identity, leaseDurationSeconds: 10, retryPeriodMs: 2000 });
const lost: string[] = [];

let stack: ResilienceStack;
test.before(async () => {
  stack = await startResilienceStack({ agent: { leaderElection: election('replica-a'), onLeadershipLost: () => lost.push('replica-a') } });
});
test.after.always(async () => {
  await stack?.close();
  await stack?.cluster.kc.makeApiClient(CoordinationV1Api).deleteNamespacedLease({ name: LEASE_NAME, namespace: LEASE_NS }).catch(() => undefined);
});

test('the standby takes over within 15 s of the leader crashing; no pod or container group is created twice', async (t) => {
  const log = t.log.bind(t);
  const leases = stack.cluster.kc.makeApiClient(CoordinationV1Api);
  const holder = async () => (await leases.readNamespacedLease({ name: LEASE_NAME, namespace: LEASE_NS })).spec;
  t.is((await holder())?.holderIdentity, 'replica-a', 'the first replica leads');

  const standby = stack.newAgent({ leaderElection: election('replica-b'), onLeadershipLost: () => lost.push('replica-b') });
  let tookOver = 0;
  const standbyLeads = standby.start().then(() => (tookOver = Date.now()));
  standbyLeads.catch(() => undefined);

  const ns = `ha-${process.pid}`;
  const d = await createBurstDeployment(stack.cluster, stack.nodeName, ns);
  t.teardown(d.cleanup);
  await d.scale(20);
  const before = await allRunningReady(d, 20, { what: '20 pods Running and Ready', timeoutMs: 90_000, emulator: stack.emulator, log });
  t.false(standby.isLeader, 'the standby stays passive while the leader renews');
  t.is(groupCounts(stack.emulator).live, 20);
  const groupOf = new Map(before.map((p) => [p.metadata?.uid, p.metadata?.annotations?.[GROUP_ID_ANNOTATION]]));

  // Crash: the leader stops without handing the lease back.
  const crashedAt = Date.now();
  await stack.agent.stop({ releaseLease: false });
  t.is((await holder())?.holderIdentity, 'replica-a', 'the lease still names the crashed leader');
  // Changes while nobody leads: 5 more pods.
  await d.scale(25);

  await Promise.race([
    standbyLeads,
    new Promise((_, reject) => setTimeout(() => reject(new Error('standby did not take over within 15 s')), 15_000)),
  ]);
  t.log(`standby led ${tookOver - crashedAt} ms after the crash`);
  const spec = await holder();
  t.is(spec?.holderIdentity, 'replica-b');
  t.true((spec?.leaseTransitions ?? 0) >= 1, 'the takeover is a lease transition');

  const after = await allRunningReady(d, 25, { what: '25 pods Running and Ready under the new leader', timeoutMs: 60_000, emulator: stack.emulator, log });
  for (const p of before) {
    const now = after.find((x) => x.metadata?.name === p.metadata?.name);
    t.is(now?.metadata?.uid, p.metadata?.uid, `${p.metadata?.name} was not recreated`);
    t.is(now?.metadata?.annotations?.[GROUP_ID_ANNOTATION], groupOf.get(p.metadata?.uid), `${p.metadata?.name} kept its container group`);
  }
  const groups = groupCounts(stack.emulator);
  t.is(groups.all, 25, 'one container group per pod, none created twice');
  t.is(groups.duplicateNames, 0);
  t.deepEqual(lost, [], 'no replica saw its leadership lost');

  await d.scale(0);
  await eventually('all pods gone', async () => (await d.pods()).length === 0, 60_000);
  t.is(groupCounts(stack.emulator).all, 0, 'no container group left');
});
