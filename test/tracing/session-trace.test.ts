// A kubelet-API session (exec) starts a trace at the agent: its tunnel stream is a gRPC client span whose
// context rides in the stream's metadata, the relay's server span joins it, and both end with the stream's
// status (OK, or the refusal's code). Real tunnel client and relay over loopback TLS, in-memory provider.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { startTracing } from '../../common/tracing.js';
import { fixture, podIntent } from '../helpers/tunnel/fixture.js';
import { eventually } from '../helpers/wait.js';

const EXEC = 'ecigw.tunnel.v1.Tunnel/Exec';
const exporter = new InMemorySpanExporter();
const tracing = await startTracing('ecigw-test', { env: {}, exporter });
test.after.always(() => tracing.shutdown());

const spansNamed = (name: string, kind: SpanKind) => exporter.getFinishedSpans().filter((s) => s.name === name && s.kind === kind);

test.serial('an exec session is one trace: agent client span → relay server span, ended with the stream\'s status', async (t) => {
  const f = await fixture();
  t.teardown(() => f.close());
  const client = await f.connectedClient('agent-1');
  const uid = randomUUID();
  await client.apply(podIntent(uid));
  exporter.reset();

  const s = await client.exec({ podUid: uid, namespace: 'default', podName: 'web', container: 'main', command: ['echo', 'hi'], stdout: true });
  s.stdout.resume();
  t.is((await s.exit).code, 0);
  let spans: { client: ReadableSpan; server: ReadableSpan } | undefined;
  await eventually('both exec spans ended', () => {
    const [c] = spansNamed(EXEC, SpanKind.CLIENT);
    const [srv] = spansNamed(EXEC, SpanKind.SERVER);
    if (c && srv) spans = { client: c, server: srv };
    return !!spans;
  }, 15_000, 20);
  const { client: c, server } = spans!;
  t.is(c.parentSpanContext, undefined, 'the session starts the trace');
  t.is(server.spanContext().traceId, c.spanContext().traceId);
  t.is(server.parentSpanContext?.spanId, c.spanContext().spanId);
  t.like(c.attributes, { 'rpc.system.name': 'grpc', 'rpc.method': EXEC, 'rpc.status_code': 'OK', 'k8s.pod.uid': uid, 'k8s.pod.name': 'web', 'k8s.namespace.name': 'default', 'k8s.container.name': 'main' });
  t.like(server.attributes, { 'rpc.method': EXEC, 'rpc.status_code': 'OK', 'ecigw.tenant': 't1', 'ecigw.cluster_id': 'c1' });
  t.false(JSON.stringify(c.attributes).includes('echo'), 'the command is not an attribute');
});

test.serial('a session the relay refuses ends both spans with the refusal\'s code', async (t) => {
  const f = await fixture();
  t.teardown(() => f.close());
  const client = await f.connectedClient('agent-1');
  exporter.reset();
  const s = await client.exec({ podUid: randomUUID(), container: 'main', command: ['echo', 'hi'], stdout: true });
  s.stdout.resume();
  const err = await s.exit.then(() => undefined, (e: { code?: number }) => e);
  t.truthy(err, 'the relay refused an exec into a pod it does not know');
  await eventually('both exec spans ended', () => spansNamed(EXEC, SpanKind.CLIENT).length === 1 && spansNamed(EXEC, SpanKind.SERVER).length === 1, 15_000, 20);
  const [c] = spansNamed(EXEC, SpanKind.CLIENT);
  const [server] = spansNamed(EXEC, SpanKind.SERVER);
  t.is(server.parentSpanContext?.spanId, c.spanContext().spanId);
  t.is(c.attributes['rpc.status_code'], server.attributes['rpc.status_code']);
  t.not(c.attributes['rpc.status_code'], 'OK');
  t.is(c.attributes['error.type'], c.attributes['rpc.status_code']);
  t.is(c.status.code, 2 /* SpanStatusCode.ERROR */);
});
