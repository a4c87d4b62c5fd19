// The event recorder against the real API server: events land with kubelet-style fields, repeats are
// counted on one Event, a full queue drops new events (counted) instead of growing, and writes are paced.
import test from 'ava';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { EventRecorder } from '../../../agent/kube/events.js';
import { useCluster } from '../../cluster/fixture.js';

async function namespaceWithPod(t: import('ava').ExecutionContext): Promise<{ core: CoreV1Api; pod: V1Pod; ns: string }> {
  const cluster = await useCluster();
  const core = cluster.kc.makeApiClient(CoreV1Api);
  const ns = `events-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  t.teardown(() => core.deleteNamespace({ name: ns }).then(() => undefined, () => undefined));
  const pod = await core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'p' }, spec: { nodeName: 'nowhere', containers: [{ name: 'c', image: 'busybox' }] } } });
  return { core, pod, ns };
}

test('events are written for the pod, and a repeat increments the count of the same Event', async (t) => {
  const { core, pod, ns } = await namespaceWithPod(t);
  const rec = new EventRecorder((await useCluster()).kc, 'vk-node');
  await rec.record(pod, 'Normal', 'Pulled', 'image pulled');
  await rec.record(pod, 'Normal', 'Pulled', 'image pulled', 2);
  await rec.record(pod, 'Warning', 'BackOff', 'restarting');
  const events = (await core.listNamespacedEvent({ namespace: ns })).items;
  t.is(events.length, 2);
  const pulled = events.find((e) => e.reason === 'Pulled');
  t.is(pulled?.count, 3);
  t.is(pulled?.involvedObject.uid, pod.metadata?.uid);
  t.is(pulled?.source?.component, 'virtual-kubelet');
  t.is(pulled?.source?.host, 'vk-node');
  t.is(events.find((e) => e.reason === 'BackOff')?.type, 'Warning');
  t.is(rec.dropped, 0);
});

test('a full event queue drops new events and counts them; queued ones are still written', async (t) => {
  const { core, pod, ns } = await namespaceWithPod(t);
  const rec = new EventRecorder((await useCluster()).kc, 'vk-node', { maxQueued: 5, writers: 1 });
  const all = Array.from({ length: 20 }, (_, i) => rec.record(pod, 'Normal', `Step${i}`, `step ${i}`));
  // One is being written, five wait, the rest were dropped at once.
  t.is(rec.queued, 5);
  t.is(rec.dropped, 14);
  await Promise.all(all);
  t.is(rec.queued, 0);
  const reasons = (await core.listNamespacedEvent({ namespace: ns })).items.map((e) => e.reason).sort();
  t.deepEqual(reasons, ['Step0', 'Step1', 'Step2', 'Step3', 'Step4', 'Step5']);
});

test('event writes are paced by qps after the burst is spent (the kubelet\'s --event-qps/--event-burst)', async (t) => {
  const { core, pod, ns } = await namespaceWithPod(t);
  const rec = new EventRecorder((await useCluster()).kc, 'vk-node', { qps: 2, burst: 1, writers: 2 });
  const start = Date.now();
  const done: number[] = [];
  await Promise.all([0, 1, 2].map((i) => rec.record(pod, 'Normal', `Paced${i}`, `paced ${i}`).then(() => done.push(Date.now() - start))));
  // One token at once, then one every 500 ms: the third write cannot start before ~1 s.
  t.true(Math.max(...done) >= 900, `written after ${done.join(', ')} ms`);
  t.is((await core.listNamespacedEvent({ namespace: ns })).items.length, 3, 'all of them written, none dropped');
});
