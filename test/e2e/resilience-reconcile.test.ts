// Reconcile after a reconnect (issue #7): the agent's inventory is a snapshot, and a pod applied just after
// it was taken can reach the relay before the inventory does, so the relay reports it as an orphan. The agent
// still holds that pod: it applies it again, and the relay's orphan GC leaves its container group alone.
import test from 'ava';
import type { InventoryEntry, ReconcileResult, TenantScope } from '../../cloud/provider/provider.js';
import { startResilienceStack, createBurstDeployment, isRunningReady, allRunningReady, type ResilienceStack } from '../agent/resilience/stack.js';
import { eventually } from '../helpers/stack.js';

const GRACE_MS = 2000;

let stack: ResilienceStack;
test.before(async () => {
  stack = await startResilienceStack({ gcGraceMs: GRACE_MS });
});
test.after.always(async () => {
  await stack?.close();
});

test('an "orphan" the agent still holds is applied again and its group outlives the GC grace period', async (t) => {
  const d = await createBurstDeployment(stack.cluster, stack.nodeName, `reconcile-${process.pid}`);
  t.teardown(d.cleanup);
  await d.scale(1);
  const [pod] = await allRunningReady(d, 1, { what: 'the pod Running and Ready', timeoutMs: 60_000, emulator: stack.emulator, log: t.log.bind(t) });
  const uid = pod.metadata!.uid!;
  const groupId = pod.metadata?.annotations?.['ecigw.io/container-group-id'];
  t.truthy(groupId);

  // The next inventory misses this pod, as if its apply had overtaken the reconcile on the wire.
  const provider = stack.provider;
  const reconcile = provider.reconcile.bind(provider);
  const apply = provider.apply.bind(provider);
  let reported: ReconcileResult | undefined;
  let appliedAfter = 0;
  provider.reconcile = async (scope: TenantScope, inventory: InventoryEntry[]) => {
    const r = await reconcile(scope, reported ? inventory : inventory.filter((e) => e.uid !== uid));
    reported ??= r;
    return r;
  };
  provider.apply = async (scope, intent) => {
    if (reported && intent.uid === uid) appliedAfter++;
    return apply(scope, intent);
  };
  t.teardown(() => {
    provider.reconcile = reconcile;
    provider.apply = apply;
  });

  stack.forwarder.sever(); // the agent reconnects and reconciles
  const r = await eventually('a reconcile after the reconnect', () => reported, 30_000);
  t.deepEqual(r.orphans.map((o) => o.uid), [uid], 'the relay saw an orphan');
  await eventually('the agent applies the pod again', () => appliedAfter > 0, 10_000);

  await new Promise((res) => setTimeout(res, 3 * GRACE_MS));
  t.true(stack.emulator.admin.listGroups().some((g) => g.id === groupId), 'the group is not collected');
  const after = await d.pods();
  t.is(after.length, 1);
  t.is(after[0].metadata?.uid, uid);
  t.true(isRunningReady(after[0]), 'the pod keeps running');
});
