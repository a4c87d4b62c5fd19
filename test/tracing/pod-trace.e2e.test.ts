// End to end on the shared real cluster: a pod bound to the virtual node is one trace from the agent's pod
// controller (ecigw.pod.apply) through the tunnel to the relay's CreateContainerGroup on the ECI emulator, and
// deleting it is another (ecigw.pod.delete → DeleteContainerGroup). Agent and relay share this process, and
// OTel's InMemorySpanExporter sees both.
import test from 'ava';
import { CoreV1Api } from '@kubernetes/client-node';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { startTracing } from '../../common/tracing.js';
import { startEciStack } from '../helpers/eci-stack.js';
import { eventually } from '../helpers/wait.js';

const exporter = new InMemorySpanExporter();
const tracing = await startTracing('ecigw-e2e', { env: {}, exporter });
test.after.always(() => tracing.shutdown());

const traceOf = (spans: ReadableSpan[], root: ReadableSpan) => spans.filter((s) => s.spanContext().traceId === root.spanContext().traceId);
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

test('a pod on the virtual node: its apply and its delete are each one trace from the pod controller to ECI', async (t) => {
  const stack = await startEciStack({ emulator: { runtime: 'simulated' } });
  t.teardown(() => stack.close());
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  const ns = `otel-${process.pid}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  t.teardown(() => core.deleteNamespace({ name: ns }).then(() => undefined, () => undefined));
  const created = await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'web' },
      spec: { nodeName: stack.nodeName, tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists' }], containers: [{ name: 'c', image: 'nginx', env: [{ name: 'TOKEN', value: 'do-not-trace-me' }] }] },
    },
  });
  const uid = created.metadata!.uid!;

  let apply: ReadableSpan | undefined;
  await eventually('the pod\'s apply trace reached CreateContainerGroup', () => {
    const all = exporter.getFinishedSpans();
    apply = all.find((s) => s.name === 'ecigw.pod.apply' && s.attributes['k8s.pod.uid'] === uid);
    return !!apply && traceOf(all, apply).some((s) => s.attributes['ecigw.eci.action'] === 'CreateContainerGroup');
  }, 90_000, 100);
  const spans = traceOf(exporter.getFinishedSpans(), apply!);
  t.log(spans.map((s) => s.name).join(' | '));
  t.is(parentOf(apply!), undefined, 'the pod controller starts the trace');
  t.like(apply!.attributes, { 'k8s.namespace.name': ns, 'k8s.pod.name': 'web' });
  const names = spans.map((s) => s.name);
  for (const n of ['ecigw.tunnel.v1.Tunnel/ApplyPod', 'ecigw.provider.apply', 'ECI CreateContainerGroup']) t.true(names.includes(n), n);
  // Every span but the root has its parent in the same trace.
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  t.true(spans.filter((s) => s !== apply).every((s) => ids.has(parentOf(s)!)));
  t.false(JSON.stringify(spans.map((s) => s.attributes)).includes('do-not-trace-me'));

  await core.deleteNamespacedPod({ name: 'web', namespace: ns });
  let deleted: ReadableSpan[] = [];
  await eventually('the pod\'s delete trace reached DeleteContainerGroup', () => {
    const all = exporter.getFinishedSpans();
    const root = all
      .filter((s) => s.name === 'ecigw.pod.delete' && s.attributes['k8s.pod.uid'] === uid)
      .find((r) => traceOf(all, r).some((s) => s.attributes['ecigw.eci.action'] === 'DeleteContainerGroup'));
    deleted = root ? traceOf(all, root) : [];
    return deleted.length > 0;
  }, 90_000, 100);
  t.true(deleted.some((s) => s.name === 'ecigw.tunnel.v1.Tunnel/DeletePod' && s.attributes['rpc.status_code'] === 'OK'));
  t.true(deleted.some((s) => s.name === 'ecigw.provider.delete'));
  t.not(deleted[0].spanContext().traceId, apply!.spanContext().traceId, 'the delete is a trace of its own');
});
