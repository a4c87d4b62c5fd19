// Resilience (issue #7): the tunnel is cut for real for six Lease renewals, about 60 s (a TCP forwarder between agent
// and relay severs every connection and refuses new ones) while pods are created, deleted and updated. The node stays
// Ready (TunnelConnected goes False with a reason), its Lease keeps being renewed every 10 s, no pod is
// evicted or duplicated, running pods keep their last status, the work queue stays bounded however often one
// pod changes, and everything decided while the tunnel was down is applied within 10 s of its return.
import test from 'ava';
import { CoordinationV1Api, setHeaderOptions, PatchStrategy, type V1Node } from '@kubernetes/client-node';
import { startResilienceStack, createBurstDeployment, groupCounts, isRunningReady, allRunningReady, type ResilienceStack } from '../agent/resilience/stack.js';
import { eventually } from '../helpers/stack.js';
import { GROUP_ID_ANNOTATION } from '../../agent/pods/pod-controller.js';
import { TUNNEL_CONDITION } from '../../agent/node/node-spec.js';
import { NODE_LEASE_NAMESPACE } from '../../agent/node/lease.js';

/** The cut lasts until the node Lease (renewed every 10 s) has been renewed this often: about 60 s. */
const CUT_RENEWALS = 6;
/** Six renewals take 60 s; the cut fails if they have not come within this. */
const CUT_DEADLINE_MS = 120_000;

let stack: ResilienceStack;
test.before(async () => {
  stack = await startResilienceStack();
});
test.after.always(async () => {
  await stack?.close();
});

const condition = (n: V1Node, type: string) => n.status?.conditions?.find((c) => c.type === type);

test('a 60 s tunnel cut: node stays Ready, nothing evicted or duplicated, intents kept and applied within 10 s of the return', async (t) => {
  const ns = `cut-${process.pid}`;
  const d = await createBurstDeployment(stack.cluster, stack.nodeName, ns);
  t.teardown(() => d.cleanup());
  const leases = stack.cluster.kc.makeApiClient(CoordinationV1Api);
  const readNode = () => d.core.readNode({ name: stack.nodeName });

  await d.scale(20);
  const before = await allRunningReady(d, 20, { what: '20 pods Running and Ready', timeoutMs: 90_000, emulator: stack.emulator, log: t.log.bind(t) });
  const groupsBefore = new Set(groupCounts(stack.emulator).ids);
  t.is(groupsBefore.size, 20);

  // Cut: every open connection severed, new ones refused.
  stack.forwarder.setRefusing(true);
  stack.forwarder.sever();
  const cutAt = Date.now();
  const down = await eventually('TunnelConnected False', async () => {
    const c = condition(await readNode(), TUNNEL_CONDITION);
    return c?.status === 'False' ? c : undefined;
  }, 15_000);
  t.truthy(down.reason, 'the condition says why');
  t.log(`TunnelConnected False after ${Date.now() - cutAt} ms: ${down.reason} (${down.message})`);

  // Intents while down: 5 more pods, 5 pods deleted (their replacements are created too), and one pod
  // updated 100 times.
  const deleted = before.slice(0, 5).map((p) => p.metadata?.name as string);
  const hot = before[5].metadata?.name as string;
  const untouched = before.slice(5);
  await d.scale(25);
  for (const name of deleted) await d.core.deleteNamespacedPod({ name, namespace: ns });
  for (let i = 0; i < 100; i++) {
    await d.core.patchNamespacedPod(
      { name: hot, namespace: ns, body: { metadata: { annotations: { 'resilience.test/touch': String(i) } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  // The cut goes on until the node's Lease has been renewed CUT_RENEWALS times while the tunnel is down (about
  // 60 s at the 10 s interval). Meanwhile the node, its Lease and the agent's queue are sampled about every second.
  const renewTimes = new Set<string>();
  const nodeVersions = new Set<string>();
  let samples = 0;
  let notReady = 0;
  let tunnelTrue = 0;
  let maxBacklog = 0;
  await eventually(`the node Lease renewed ${CUT_RENEWALS} times while the tunnel is down`, async () => {
    const node = await readNode();
    const lease = await leases.readNamespacedLease({ name: stack.nodeName, namespace: NODE_LEASE_NAMESPACE });
    samples++;
    nodeVersions.add(node.metadata?.resourceVersion ?? '');
    if (condition(node, 'Ready')?.status !== 'True') notReady++;
    if (condition(node, TUNNEL_CONDITION)?.status !== 'False') tunnelTrue++;
    renewTimes.add(String(lease.spec?.renewTime));
    const q = stack.agent.pods.queueDepth();
    maxBacklog = Math.max(maxBacklog, q.queued + q.delayed + q.dirty + q.processing);
    // The first renewTime seen was written before or at the cut's start; each further one is a renewal.
    return renewTimes.size > CUT_RENEWALS;
  }, CUT_DEADLINE_MS, 1000);
  t.log(`tunnel down for ${Date.now() - cutAt} ms, ${samples} samples`);
  t.true(samples >= CUT_RENEWALS, 'the node was sampled throughout the cut');
  t.is(notReady, 0, 'node Ready stayed True through the cut');
  t.is(tunnelTrue, 0, 'TunnelConnected stayed False through the cut');
  t.true(renewTimes.size > CUT_RENEWALS, `node Lease kept being renewed while the tunnel was down (${renewTimes.size} distinct renewTimes)`);
  t.log(`node object versions seen during the cut: ${nodeVersions.size}; max queue backlog ${maxBacklog}`);
  t.true(nodeVersions.size <= 12, `node status is not rewritten on every reconnect attempt (${nodeVersions.size} versions)`);
  t.true(maxBacklog <= 30, `work queue bounded by the number of pods (max ${maxBacklog})`);
  const during = await d.pods();
  for (const p of untouched) {
    const now = during.find((x) => x.metadata?.uid === p.metadata?.uid);
    t.truthy(now && isRunningReady(now) && !now.metadata?.deletionTimestamp, `${p.metadata?.name} kept its last status and was not evicted`);
  }
  t.deepEqual(new Set(groupCounts(stack.emulator).ids), groupsBefore, 'nothing reached ECI while the tunnel was down');

  // Restore; everything converges within 10 s.
  stack.forwarder.setRefusing(false);
  const restoredAt = Date.now();
  const after = await eventually('convergence after the tunnel returns', async () => {
    const [node, items] = [await readNode(), await d.pods()];
    const groups = groupCounts(stack.emulator);
    const ok =
      condition(node, TUNNEL_CONDITION)?.status === 'True' &&
      items.length === 25 &&
      items.every(isRunningReady) &&
      !items.some((p) => deleted.includes(p.metadata?.name ?? '')) &&
      groups.all === 25;
    return ok ? items : undefined;
  }, 10_000);
  t.log(`converged ${Date.now() - restoredAt} ms after the tunnel returned`);
  for (const p of untouched) {
    const now = after.find((x) => x.metadata?.name === p.metadata?.name);
    t.is(now?.metadata?.uid, p.metadata?.uid, `${p.metadata?.name} was not recreated`);
    t.is(now?.metadata?.annotations?.[GROUP_ID_ANNOTATION], p.metadata?.annotations?.[GROUP_ID_ANNOTATION]);
  }
  const groups = groupCounts(stack.emulator);
  t.is(groups.duplicateNames, 0, 'no container group created twice');
  t.is(condition(await readNode(), 'Ready')?.status, 'True');

  await d.scale(0);
  await eventually('all pods gone', async () => (await d.pods()).length === 0, 60_000);
  t.is(groupCounts(stack.emulator).all, 0, 'no container group left');
});
