// Reconcile after a reconnect (issue #7): the agent's inventory is a snapshot, and a pod applied just after
// it was taken can reach the relay before the inventory does, so the relay reports it as an orphan. The agent
// still holds that pod: it applies it again, and the relay's orphan GC leaves its container group alone while it
// collects a real orphan of the same cluster.
import test from 'ava';
import type { InventoryEntry, ReconcileResult, TenantScope } from '../../cloud/pod-provider/provider.js';
import { startResilienceStack, createBurstDeployment, isRunningReady, allRunningReady, type ResilienceStack } from '../agent/resilience/stack.js';
import { eventually } from '../helpers/stack.js';
import { intentOf } from '../cloud/eci/provider/fixtures.js';

const GRACE_MS = 2000;

let stack: ResilienceStack;
test.before(async () => {
  stack = await startResilienceStack({ gcGraceMs: GRACE_MS });
});
test.after.always(async () => {
  await stack?.close();
});

test('an "orphan" the agent still holds is applied again and its group outlives the GC that collects a real orphan', async (t) => {
  const provider = stack.provider;
  const reconcile = provider.reconcile.bind(provider);
  const apply = provider.apply.bind(provider);
  let scope: TenantScope | undefined;
  let reported: ReconcileResult | undefined;
  let appliedAfter = 0;
  let uid = '';
  provider.apply = async (s, intent) => {
    scope ??= s;
    if (reported && intent.uid === uid) appliedAfter++;
    return apply(s, intent);
  };
  t.teardown(() => {
    provider.reconcile = reconcile;
    provider.apply = apply;
  });

  // Four pods, so one missing from an inventory stays below the share that makes GC hold (gcMaxOrphanShare).
  const d = await createBurstDeployment(stack.cluster, stack.nodeName, `reconcile-${process.pid}`);
  t.teardown(() => d.cleanup());
  await d.scale(4);
  const pods = await allRunningReady(d, 4, { what: 'four pods Running and Ready', timeoutMs: 90_000, emulator: stack.emulator, log: t.log.bind(t) });
  const pod = pods[0];
  uid = pod.metadata!.uid!;
  const groupId = pod.metadata?.annotations?.['ecigw.io/container-group-id'];
  t.truthy(groupId);

  // A real orphan: a group of this cluster whose pod the agent does not hold (deleted while the tunnel was down).
  const orphanUid = '0bad0bad-0000-4000-8000-000000000001';
  const orphan = await apply(scope!, intentOf(orphanUid, 1, 'gone-while-offline'));
  t.truthy(orphan.providerId);

  // The next inventory misses the held pod, as if its apply had overtaken the reconcile on the wire.
  provider.reconcile = async (s: TenantScope, inventory: InventoryEntry[]) => {
    const r = await reconcile(s, reported ? inventory : inventory.filter((e) => e.uid !== uid));
    reported ??= r;
    return r;
  };
  stack.forwarder.sever(); // the agent reconnects and reconciles
  const r = await eventually('a reconcile after the reconnect', () => reported, 30_000);
  t.deepEqual(r.orphans.map((o) => o.uid).sort(), [uid, orphanUid].sort(), 'the relay saw both as orphans');
  await eventually('the agent applies the held pod again', () => appliedAfter > 0, 10_000);

  // GC runs: the real orphan goes once its grace period is over, the held pod's group stays.
  await eventually('the real orphan collected', () => !stack.emulator.admin.listGroups().some((g) => g.id === orphan.providerId), 30_000);
  t.true(stack.emulator.admin.listGroups().some((g) => g.id === groupId), 'the held pod\'s group is not collected');
  const after = await d.pods();
  t.is(after.length, 4);
  const same = after.find((p) => p.metadata?.uid === uid);
  t.truthy(same);
  t.true(isRunningReady(same!), 'the pod keeps running');
});
