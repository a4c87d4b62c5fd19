// Resilience (issue #7), high availability: two agent replicas for one virtual node elect a leader with a
// coordination.k8s.io Lease (held with their bootstrap ServiceAccount). Each replica holds its own node
// certificate for the same node name. The leader "crashes" (stops without releasing the lease); the
// standby takes over within 15 s (lease 10 s + retry 2 s) and adopts every pod with its own certificate:
// nothing is created twice, no pod is recreated, changes made while leaderless are applied, and a
// scale-down leaves no container group.
import test from 'ava';
import { AuthenticationV1Api, CertificatesV1Api, CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { BOOTSTRAP_NAMESPACE } from '../cluster/bootstrap-identity.js';
import { startResilienceStack, createBurstDeployment, groupCounts, allRunningReady, type ResilienceStack } from '../agent/resilience/stack.js';
import { eventually } from '../helpers/stack.js';
import { GROUP_ID_ANNOTATION } from '../../agent/pods/pod-controller.js';
import type { LeaderElectionOptions } from '../../agent/leader/election.js';

// The bootstrap ServiceAccount may hold Leases in its own namespace only (as the chart's Role allows).
const LEASE_NS = BOOTSTRAP_NAMESPACE;
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

  // Each replica has its own certificate for the node, the standby already before it leads.
  const leaderCert = stack.agent.identity?.credential;
  const standbyCert = await eventually('the standby holds its node certificate', () => standby.identity?.credential, 60_000);
  t.truthy(leaderCert);
  t.not(standbyCert.serial, leaderCert?.serial, 'two certificates');
  t.false(standbyCert.spki.equals(leaderCert?.spki ?? Buffer.alloc(0)), 'two keys');
  const csrs = await Promise.all([stack.agent, standby].map((a) => stack.cluster.kc.makeApiClient(CertificatesV1Api).readCertificateSigningRequest({ name: a.identity?.requested[0] ?? '' })));
  t.not(csrs[0].metadata?.name, csrs[1].metadata?.name, 'one CSR each');
  for (const csr of csrs) t.is(csr.status?.conditions?.find((c) => c.type === 'Approved')?.reason, 'AutoApproved');
  const whoAmI = async (kc: KubeConfig) => (await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } })).status?.userInfo?.username;
  for (const a of [stack.agent, standby]) t.is(await whoAmI(a.nodeKubeConfig), `system:node:${stack.nodeName}`);

  const ns = `ha-${process.pid}`;
  const d = await createBurstDeployment(stack.cluster, stack.nodeName, ns);
  t.teardown(() => d.cleanup());
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
  t.is(standby.identity?.credential?.serial, standbyCert.serial, 'the new leader works with its own certificate');
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
