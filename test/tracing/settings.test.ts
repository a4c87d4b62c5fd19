// The pure parts of common/tracing.ts, table-tested: which OTEL_* settings turn tracing on, which are refused
// (naming the variable and the fix), and how trace context read from the network is bounded and parsed.
import test from 'ava';
import { propagation, trace, ROOT_CONTEXT } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { ConfigError } from '../../common/config.js';
import { contextFromCarrier, startTracing, tracingSettings } from '../../common/tracing.js';

const ON: [NodeJS.ProcessEnv, string[]][] = [
  [{ OTEL_TRACES_EXPORTER: 'otlp' }, ['otlp']],
  [{ OTEL_TRACES_EXPORTER: ' OTLP ' }, ['otlp']],
  [{ OTEL_TRACES_EXPORTER: 'console' }, ['console']],
  [{ OTEL_TRACES_EXPORTER: 'otlp,console,otlp' }, ['otlp', 'console']],
  [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'false' }, ['otlp']],
  [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }, ['otlp']],
  // The traces-specific protocol wins over the general one.
  [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, ['otlp']],
  // The protocol only matters to the OTLP exporter.
  [{ OTEL_TRACES_EXPORTER: 'console', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, ['console']],
];

const OFF: [NodeJS.ProcessEnv, RegExp][] = [
  [{}, /OTEL_TRACES_EXPORTER is not set/],
  [{ OTEL_TRACES_EXPORTER: '' }, /not set/],
  [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, /not set/],
  [{ OTEL_TRACES_EXPORTER: 'none' }, /none/],
  [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' }, /OTEL_SDK_DISABLED/],
  [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: ' True ' }, /OTEL_SDK_DISABLED/],
];

const REFUSED: [NodeJS.ProcessEnv, string, RegExp][] = [
  [{ OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER', /unsupported exporter "zipkin"; set it to otlp, console/],
  [{ OTEL_TRACES_EXPORTER: 'otlp,jaeger' }, 'OTEL_TRACES_EXPORTER', /"jaeger"/],
  [{ OTEL_TRACES_EXPORTER: 'none,otlp' }, 'OTEL_TRACES_EXPORTER', /"none" cannot be combined/],
  [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL', /"grpc" is not supported.*set it to http\/protobuf or unset it/],
  [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' }, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', /"http\/json" is not supported/],
];

test('settings that turn tracing on', (t) => {
  for (const [env, exporters] of ON) t.deepEqual(tracingSettings(env), { enabled: true, exporters }, JSON.stringify(env));
});

test('settings that leave tracing off, and why', (t) => {
  for (const [env, why] of OFF) {
    const s = tracingSettings(env);
    t.false(s.enabled, JSON.stringify(env));
    if (!s.enabled) t.regex(s.why, why);
  }
});

test('settings this build cannot honour are a ConfigError naming the variable and the fix', (t) => {
  for (const [env, field, problem] of REFUSED) {
    const e = t.throws(() => tracingSettings(env), { instanceOf: ConfigError }, JSON.stringify(env));
    t.is(e?.field, field);
    t.regex(e?.problem ?? '', problem);
  }
});

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
const VALID = `00-${TRACE_ID}-${SPAN_ID}-01`;

test('trace context from the network: valid values are joined, anything else is a new root, never an error', (t) => {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  t.teardown(() => propagation.disable());
  const joined = trace.getSpanContext(contextFromCarrier({ traceparent: VALID, tracestate: 'a=1,b=2' }));
  t.like(joined, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1, isRemote: true });
  t.is(joined?.traceState?.get('b'), '2');
  // A future version with extra fields is valid W3C within the bound.
  t.is(trace.getSpanContext(contextFromCarrier({ traceparent: `01-${TRACE_ID}-${SPAN_ID}-01-ab` }))?.traceId, TRACE_ID);
  // tracestate over 512 characters is dropped, the traceparent still joined.
  const big = trace.getSpanContext(contextFromCarrier({ traceparent: VALID, tracestate: `a=${'x'.repeat(600)}` }));
  t.is(big?.traceId, TRACE_ID);
  t.is(big?.traceState, undefined);

  const roots: unknown[] = [
    undefined,
    '',
    42,
    ['00-x'],
    Buffer.from(VALID),
    { toString: () => VALID },
    'garbage',
    `00-${TRACE_ID}-${SPAN_ID}`,
    `00-${'0'.repeat(32)}-${SPAN_ID}-01`,
    `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
    `ff-${TRACE_ID}-${SPAN_ID}-01`,
    `00-${TRACE_ID}-${SPAN_ID}-01-extra`,
    `01-${TRACE_ID}-${SPAN_ID}-01-${'x'.repeat(200)}`,
    `${VALID}${' '.repeat(100)}`,
    'a'.repeat(1_000_000),
  ];
  for (const traceparent of roots) {
    const ctx = contextFromCarrier({ traceparent, tracestate: 'a=1' });
    t.is(ctx, ROOT_CONTEXT, `traceparent ${String(traceparent).slice(0, 80)}`);
  }
});

test('an SDK that cannot start leaves tracing off with a warning instead of failing the process', async (t) => {
  const warnings: unknown[] = [];
  const log = { warn: (...a: unknown[]) => warnings.push(a) } as unknown as import('../../common/log.js').Logger;
  const tracing = await startTracing('gateway-test', { env: { OTEL_TRACES_EXPORTER: 'otlp' }, log, loadSdk: () => Promise.reject(new Error('module missing from the image')) });
  t.false(tracing.enabled);
  t.is(warnings.length, 1);
  t.regex(JSON.stringify(warnings[0]), /module missing from the image.*tracing could not start/);
});
