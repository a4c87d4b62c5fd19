// Resilience (issue #7): with 20% of CreateContainerGroup, DescribeContainerGroups and DeleteContainerGroup
// calls failing with injected 5xx and the emulator throttling well below the provider's own rates, every pod
// of a 30-replica Deployment still reaches Running, no container group is created twice, and scaling to 0
// leaves no orphaned group.
import test from 'ava';
import { startResilienceStack, createBurstDeployment, groupCounts, allRunningReady, type ResilienceStack } from '../agent/resilience/stack.js';
import { eventually } from '../helpers/stack.js';

let stack: ResilienceStack;
test.before(async () => {
  stack = await startResilienceStack();
});
test.after.always(async () => {
  await stack?.close();
});

test('20% injected ECI faults plus throttling: all pods Running, zero duplicate and zero orphan groups', async (t) => {
  const ns = `faults-${process.pid}`;
  const d = await createBurstDeployment(stack.cluster, stack.nodeName, ns);
  t.teardown(() => d.cleanup());
  stack.emulator.admin.setFaults({
    CreateContainerGroup: { errorRate: 0.2 },
    DescribeContainerGroups: { errorRate: 0.2 },
    DeleteContainerGroup: { errorRate: 0.2 },
  });
  stack.emulator.admin.setRateLimits({ CreateContainerGroup: 5, DescribeContainerGroups: 10, DeleteContainerGroup: 5 });
  stack.emulator.admin.resetStats();

  await d.scale(30);
  const pods = await allRunningReady(d, 30, { what: '30 pods Running and Ready', timeoutMs: 150_000, emulator: stack.emulator, log: t.log.bind(t) });
  const groups = groupCounts(stack.emulator);
  t.is(groups.all, 30, 'exactly one container group per pod');
  t.is(groups.duplicateNames, 0);
  t.is(new Set(pods.map((p) => p.status?.podIP)).size, 30);

  await d.scale(0);
  await eventually('all pods gone', async () => (await d.pods()).length === 0, 120_000);
  // Deletion is confirmed by the relay before the pod object goes, so nothing may be left.
  t.deepEqual(groupCounts(stack.emulator).ids, [], 'no orphaned container group');

  const stats = stack.emulator.admin.stats();
  t.log('emulator calls', stats.callsByAction, 'errors', stats.errorsByCode);
  const errors = Object.entries(stats.errorsByCode);
  t.true(errors.some(([code]) => /Internal|Unavailable/i.test(code)), 'injected 5xx faults happened');
  t.true(errors.some(([code]) => /Throttl/i.test(code)), 'throttling happened');
});
