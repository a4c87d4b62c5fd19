// Tracing is off by default: with no OTEL_TRACES_EXPORTER (or OTEL_SDK_DISABLED=true) no SDK module is ever
// loaded, a pod apply through the real tunnel client and relay records nothing, and the agent's calls carry no
// trace context. The control (the SDK really loads when asked) is in tunnel-trace.test.ts.
import test from 'ava';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import { startTracing } from '../../common/tracing.js';
import { podIntentSpan } from '../../agent/pods/trace.js';
import { TunnelCredentials } from '../../agent/tunnel/credentials.js';
import { METADATA } from '../../proto/wire.js';
import { fixture, podIntent } from '../helpers/tunnel/fixture.js';

const cache = createRequire(import.meta.url).cache;
/** OTel SDK modules (not the API, which is always there) in the module cache. */
const sdkModules = () => Object.keys(cache).filter((k) => /@opentelemetry\/(sdk-|exporter-|resources|core|context-async-hooks|otlp-)/.test(k));

test.serial('with no OTEL_TRACES_EXPORTER, or OTEL_SDK_DISABLED=true, tracing stays off and the SDK is never loaded', async (t) => {
  let loads = 0;
  const loadSdk = () => {
    loads++;
    return import('../../common/tracing-sdk.js');
  };
  const cases: NodeJS.ProcessEnv[] = [
    {},
    // An endpoint alone does not turn tracing on: the exporter must be named.
    { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SERVICE_NAME: 'x' },
    { OTEL_TRACES_EXPORTER: 'none' },
    { OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' },
    { OTEL_TRACES_EXPORTER: 'console', OTEL_SDK_DISABLED: 'TRUE' },
  ];
  for (const env of cases) {
    const tracing = await startTracing('gateway-test', { env, loadSdk });
    t.false(tracing.enabled, JSON.stringify(env));
    await tracing.shutdown();
  }
  t.is(loads, 0);
  t.deepEqual(sdkModules(), []);
});

test.serial('tracing off: a pod apply through the real tunnel records nothing and its calls carry no trace context', async (t) => {
  const f = await fixture();
  t.teardown(() => f.close());
  const client = await f.connectedClient('agent-1');
  const uid = randomUUID();
  // The same hooks as with tracing on: the pod span around the apply, the client span inside it.
  const ack = await podIntentSpan('apply', { metadata: { uid, name: 'web', namespace: 'default' } }, async () => {
    t.false(trace.getActiveSpan()?.isRecording() ?? false, 'the span is the API\'s no-op');
    return client.apply(podIntent(uid));
  });
  t.is(ack.uid, uid, 'the call went through');
  t.truthy(await f.provider.get({ tenantId: 't1', clusterId: 'c1', tenant: f.config.tenants.t1 }, uid), 'the relay applied it');

  // What the agent would send inside such a span: no traceparent, no tracestate.
  const md = await podIntentSpan('apply', { metadata: { uid } }, () => Promise.resolve(new TunnelCredentials({ tls: { ca: '' }, clusterId: 'c1', agentId: 'a' }).metadata('r')));
  t.deepEqual(md.get(METADATA.clusterId), ['c1'], 'the metadata was built');
  t.deepEqual(md.get(METADATA.traceparent), []);
  t.deepEqual(md.get(METADATA.tracestate), []);

  // No SDK anywhere in the process after all that: nothing but the API's no-op path ran.
  t.deepEqual(sdkModules(), []);
});
