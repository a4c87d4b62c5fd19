// Pending statuses settle before they are written (PodControllerOptions.pendingStatusDelayMs): a group
// that is Running within the delay costs one status write, and a pod that stays Pending still shows it.
import test from 'ava';
import { CoreV1Api, Watch, type V1Pod, type V1PodStatus } from '@kubernetes/client-node';
import { MemoryProvider } from '../helpers/memory-provider.js';
import { startStack, eventually, type Stack } from '../helpers/stack.js';
import { startEciStack } from '../helpers/eci-stack.js';

const tolerations = [{ key: 'virtual-kubelet.io/provider', operator: 'Exists' }];

/**
 * Every distinct pod status the API server held (from a watch on the pod) while the steps went on: each step waits
 * until its condition holds on what was seen so far, then may act on the pod (by uid).
 */
async function statusesOf(stack: Stack, ns: string, name: string, steps: { until: (s: V1PodStatus[]) => boolean; then?: (uid: string) => void }[]): Promise<V1PodStatus[]> {
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  const seen: V1PodStatus[] = [];
  const watch = await new Watch(stack.cluster.kc).watch(`/api/v1/namespaces/${ns}/pods`, {}, (_type, pod: V1Pod) => {
    const s = pod.status ?? {};
    if (seen.length === 0 || JSON.stringify(seen[seen.length - 1]) !== JSON.stringify(s)) seen.push(s);
  }, () => undefined);
  try {
    const pod = await core.createNamespacedPod({ namespace: ns, body: { metadata: { name }, spec: { nodeName: stack.nodeName, tolerations, containers: [{ name: 'c', image: 'nginx' }] } } });
    for (const step of steps) {
      await eventually(`statuses of ${ns}/${name}`, () => step.until(seen) || undefined, 60_000);
      step.then?.(pod.metadata?.uid ?? '');
    }
    return seen;
  } finally {
    watch.abort();
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
  }
}

test('a group that is Running within the settle delay gets one status write, not Pending then Running', async (t) => {
  const provider = new MemoryProvider();
  const stack = await startStack({ provider });
  t.teardown(() => stack.close());
  // Nothing else arrives later: once Running is written, the provider reports Pending again. That report is held
  // for the settle delay too, so when it is written the first Pending's delay is long over; anything that first
  // Pending could still have caused would have been written before it.
  const seen = await statusesOf(stack, `settle-fast-${process.pid}`, 'p', [
    { until: (s) => s.some((x) => x.phase === 'Running'), then: (uid) => provider.setPhase(uid, 'Pending') },
    { until: (s) => s.slice(s.findIndex((x) => x.phase === 'Running')).some((x) => x.phase === 'Pending') },
  ]);
  t.log(seen.map((s) => s.phase).join(' → '));
  // The API server's own initial status, then the agent's one write; then the later report, written after its delay.
  t.is(seen.length, 3);
  t.is(seen[1].phase, 'Running');
  t.is(seen[2].phase, 'Pending');
});

test('a pod that stays Pending shows its Pending status once the delay has passed', async (t) => {
  const stack = await startEciStack({ emulator: { runtime: 'simulated' } });
  t.teardown(() => stack.close());
  stack.emulator.admin.setCreateLatency({ schedulingMs: 100, pendingMs: 6000 });
  const seen = await statusesOf(stack, `settle-slow-${process.pid}`, 'p', [{ until: (s) => s.some((x) => x.phase === 'Running') }]);
  t.log(seen.map((s) => `${s.phase}${s.podIP ? ` ${s.podIP}` : ''}`).join(' → '));
  const runningAt = seen.findIndex((s) => s.phase === 'Running');
  const creating = seen.slice(0, runningAt).find((s) => s.containerStatuses?.[0]?.state?.waiting?.reason === 'ContainerCreating');
  t.truthy(creating, 'ContainerCreating was written while the group was pending');
  t.is(creating?.phase, 'Pending');
});
