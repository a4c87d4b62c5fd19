// Tracing across the tunnel, with OTel's own InMemorySpanExporter: the real agent tunnel client and the real
// relay over loopback TLS (the tunnel fixture's PKI and config), the relay in front of the real ECI provider
// and the ECI emulator driven through the unmodified SDK. One pod apply is one trace from the agent's pod
// span to the relay's ECI calls; a hostile trace context from the network is ignored and the call succeeds.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { startTracing } from '../../common/tracing.js';
import { podIntentSpan } from '../../agent/pods/trace.js';
import type { TunnelClient } from '../../agent/tunnel/client.js';
import { startRelay, type RelayHandle } from '../../cloud/relay/server.js';
import { createEciBackend } from '../../cloud/eci/index.js';
import { startEmulator, type EmulatorHandle } from '../../cloud/eci-emulator/index.js';
import { TunnelServiceClient } from '../../proto/load.js';
import { METADATA, PROTOCOL_VERSION } from '../../proto/wire.js';
import { fixture, once, type Fixture } from '../helpers/tunnel/fixture.js';
import { eventually } from '../helpers/wait.js';

const APPLY = 'ecigw.tunnel.v1.Tunnel/ApplyPod';
const SECRET = `s3cret-${randomUUID()}`;

const exporter = new InMemorySpanExporter();
let sdkLoads = 0;
const tracing = await startTracing('ecigw-test', {
  env: {},
  exporter,
  loadSdk: () => {
    sdkLoads++;
    return import('../../common/tracing-sdk.js');
  },
});

interface Env {
  f: Fixture;
  emulator: EmulatorHandle;
  relay: RelayHandle;
  client: TunnelClient;
  raw: grpc.Client & { ApplyPod(req: object, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res?: { providerId: string }) => void): void };
  close(): Promise<void>;
}

let env: Env;

test.before(async () => {
  const f = await fixture();
  const emulator = await startEmulator({ runtime: 'simulated' });
  const { provider } = createEciBackend({
    connection: { endpoint: emulator.endpoint, protocol: 'http', timeoutMs: 5000 },
    credentials: () => ({ accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret }),
    provider: { pollFastMs: 500, pollSlowMs: 5000, gcGraceMs: 60_000 },
    sessions: { logPollMs: 200, metricsCacheMs: 2000 },
  });
  const relay = await startRelay({ tls: { certFile: f.serverCertFile, keyFile: f.serverKeyFile, clientCaFile: f.caFile }, config: f.config, provider });
  const cert = await f.clientCert('agent-1');
  const client = f.client({ target: `127.0.0.1:${relay.port}`, tls: f.tlsFor(cert), rpcTimeoutMs: 20_000 });
  client.start();
  await once(client, 'connected'); // its handshake (a relay span of its own) is over before any test starts
  const raw = new TunnelServiceClient(`127.0.0.1:${relay.port}`, grpc.credentials.createSsl(readFileSync(f.caFile), readFileSync(cert.keyFile), readFileSync(cert.certFile))) as unknown as Env['raw'];
  env = {
    f,
    emulator,
    relay,
    client,
    raw,
    close: async () => {
      raw.close();
      await client.stop();
      await relay.close();
      provider.close();
      await emulator.close();
      await f.close();
    },
  };
});

test.after.always(async () => {
  await env?.close();
  await tracing.shutdown();
});

/** A pod as the informer has it, with an env value that must never reach a span. */
function pod(uid: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `web-${uid.slice(0, 8)}`, namespace: 'default', uid, generation: 1 },
    spec: { containers: [{ name: 'main', image: 'busybox', env: [{ name: 'PASSWORD', value: SECRET }] }] },
  };
}

const intentOf = (p: ReturnType<typeof pod>) => ({ uid: p.metadata.uid, generation: 1, podJson: Buffer.from(JSON.stringify(p)) });

const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
const one = (spans: ReadableSpan[], what: string, pred: (s: ReadableSpan) => boolean): ReadableSpan => {
  const found = spans.filter(pred);
  if (found.length !== 1) throw new Error(`expected one ${what}, found ${found.length}: ${spans.map((s) => s.name).join(', ')}`);
  return found[0];
};

/** The relay's ApplyPod server span of the pod `uid` (found through its provider span). */
async function relaySpansOf(uid: string): Promise<{ server: ReadableSpan; provider: ReadableSpan; all: ReadableSpan[] }> {
  let result: { server: ReadableSpan; provider: ReadableSpan; all: ReadableSpan[] } | undefined;
  await eventually(`the relay's spans of pod ${uid}`, () => {
    const all = exporter.getFinishedSpans();
    const provider = all.find((s) => s.name === 'ecigw.provider.apply' && s.attributes['k8s.pod.uid'] === uid);
    const server = provider && all.find((s) => s.spanContext().spanId === parentOf(provider));
    if (server) result = { server, provider: provider, all };
    return !!server;
  }, 20_000, 20);
  return result!;
}

test.serial('one pod apply is ONE trace: agent pod span → tunnel client → relay server → provider apply → ECI calls', async (t) => {
  t.is(sdkLoads, 1, 'an exporter turns tracing on: the SDK module is loaded once');
  const p = pod(randomUUID());
  exporter.reset();
  const ack = await podIntentSpan('apply', p, () => env.client.apply(intentOf(p)));
  t.truthy(ack.providerId, 'the emulator created a container group');

  const { server, provider, all } = await relaySpansOf(p.metadata.uid);
  const root = one(all, 'agent pod span', (s) => s.name === 'ecigw.pod.apply');
  const client = one(all, 'tunnel client span', (s) => s.name === APPLY && s.kind === SpanKind.CLIENT);
  const eci = all.filter((s) => s.name.startsWith('ECI '));
  const traceId = root.spanContext().traceId;

  // One trace, and every span of this apply in it (the exporter saw nothing else since the reset).
  t.deepEqual([...new Set(all.map((s) => s.spanContext().traceId))], [traceId]);
  t.is(parentOf(root), undefined, 'the trace starts at the agent\'s pod intent');
  t.is(parentOf(client), root.spanContext().spanId);
  t.is(server.kind, SpanKind.SERVER);
  t.is(server.name, APPLY);
  t.is(parentOf(server), client.spanContext().spanId, 'the relay joined the agent\'s span through gRPC metadata');
  t.is(parentOf(provider), server.spanContext().spanId);

  // The ECI calls of the apply: a lookup and the create, children of the provider span, with action and result.
  const create = one(eci, 'CreateContainerGroup span', (s) => s.attributes['ecigw.eci.action'] === 'CreateContainerGroup');
  t.true(eci.some((s) => s.attributes['ecigw.eci.action'] === 'DescribeContainerGroups'));
  for (const s of eci) {
    t.is(parentOf(s), provider.spanContext().spanId, `${s.name} is a child of the provider's apply`);
    t.is(s.kind, SpanKind.CLIENT);
  }
  t.like(create.attributes, { 'rpc.method': 'CreateContainerGroup', 'rpc.status_code': 'OK', 'ecigw.eci.result_code': 'OK', 'ecigw.eci.attempts': 1, 'cloud.provider': 'alibaba_cloud', 'cloud.region': 'cn-hangzhou', 'ecigw.tenant': 't1' });
  t.regex(String(create.attributes['ecigw.eci.request_id']), /\S/);

  // Semantic conventions on both sides of the tunnel.
  t.like(root.attributes, { 'k8s.pod.uid': p.metadata.uid, 'k8s.pod.name': p.metadata.name, 'k8s.namespace.name': 'default', 'ecigw.pod.generation': 1 });
  t.like(client.attributes, { 'rpc.system.name': 'grpc', 'rpc.method': APPLY, 'rpc.status_code': 'OK' });
  t.like(server.attributes, { 'rpc.system.name': 'grpc', 'rpc.method': APPLY, 'rpc.status_code': 'OK', 'ecigw.tenant': 't1', 'ecigw.cluster_id': 'c1' });
  t.like(provider.attributes, { 'k8s.pod.uid': p.metadata.uid });

  // No pod env (or any other part of the spec) in any attribute or event.
  const dump = JSON.stringify(all.map((s) => [s.attributes, s.events]));
  t.false(dump.includes(SECRET));
  t.false(dump.includes('PASSWORD'));

  // The SDK is really what recorded this (the positive control of the tracing-off test).
  t.true(Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('sdk-trace-base')));
});

/** Applies `p` under the agent's pod span; the spans of its one trace once the agent's span has ended. */
async function tracedApply(p: ReturnType<typeof pod>): Promise<{ outcome: string; all: ReadableSpan[] }> {
  exporter.reset();
  const outcome = await podIntentSpan('apply', p, () => env.client.apply(intentOf(p))).then(
    (ack) => `acknowledged ${ack.providerId}`,
    (e: Error) => `failed: ${e.message}`,
  );
  await eventually('the apply\'s spans', () => exporter.getFinishedSpans().some((s) => s.name === 'ecigw.pod.apply'), 20_000, 20);
  return { outcome, all: exporter.getFinishedSpans() };
}

test.serial('a retried 503 and ECI\'s refusal are recorded on the ECI call spans, in the agent\'s trace', async (t) => {
  t.teardown(() => {
    env.emulator.admin.setStockOut({ specs: [] });
    env.emulator.admin.setFaults({});
  });
  // Every lookup answered 503: retried within one call span, which records each retry.
  env.emulator.admin.setFaults({ DescribeContainerGroups: { errorRate: 1, errorStatus: 503 } });
  const unavailable = await tracedApply(pod(randomUUID()));
  t.regex(unavailable.outcome, /^failed: .*ServiceUnavailable/);
  t.is(new Set(unavailable.all.map((s) => s.spanContext().traceId)).size, 1, 'one trace');
  const lookup = one(unavailable.all, 'lookup span', (s) => s.attributes['ecigw.eci.action'] === 'DescribeContainerGroups');
  t.like(lookup.attributes, { 'ecigw.eci.result_code': 'ServiceUnavailable', 'rpc.status_code': 'ServiceUnavailable', 'error.type': 'ServiceUnavailable' });
  t.is(lookup.status.code, 2 /* SpanStatusCode.ERROR */);
  const attempts = Number(lookup.attributes['ecigw.eci.attempts']);
  t.true(attempts > 1, 'the 503 was retried within one call span');
  t.is(lookup.events.filter((e) => e.name === 'ecigw.eci.retry' && e.attributes?.['ecigw.eci.result_code'] === 'ServiceUnavailable').length, attempts - 1);
  const agentCall = one(unavailable.all, 'tunnel client span', (s) => s.name === APPLY && s.kind === SpanKind.CLIENT);
  t.like(agentCall.attributes, { 'rpc.status_code': 'UNAVAILABLE', 'error.type': 'UNAVAILABLE' });

  // No stock: ECI refuses the create with its own code, which the span carries.
  env.emulator.admin.setFaults({});
  env.emulator.admin.setStockOut(['*']);
  const refused = await tracedApply(pod(randomUUID()));
  t.log(refused.outcome);
  t.is(new Set(refused.all.map((s) => s.spanContext().traceId)).size, 1, 'one trace');
  const create = one(refused.all, 'create span', (s) => s.attributes['ecigw.eci.action'] === 'CreateContainerGroup');
  t.like(create.attributes, { 'ecigw.eci.result_code': 'RecommendEmpty.InstanceTypeNoStock', 'error.type': 'RecommendEmpty.InstanceTypeNoStock' });
  t.is(create.status.code, 2 /* SpanStatusCode.ERROR */);
});

/** Applies a pod through a raw gRPC client whose metadata the test writes, trace context included. */
async function rawApply(uid: string, trace: (md: grpc.Metadata) => void): Promise<{ providerId: string }> {
  const md = new grpc.Metadata();
  md.set(METADATA.requestId, randomUUID());
  md.set(METADATA.clusterId, 'c1');
  md.set(METADATA.protocol, String(PROTOCOL_VERSION));
  trace(md);
  return await new Promise((resolve, reject) =>
    env.raw.ApplyPod({ intent: intentOf(pod(uid)) }, md, (err, res) => (err ? reject(err) : resolve(res!))),
  );
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

test.serial('a valid traceparent from the network is joined (the control of the hostile cases below)', async (t) => {
  exporter.reset();
  const uid = randomUUID();
  await rawApply(uid, (md) => {
    md.set(METADATA.traceparent, `00-${TRACE_ID}-${SPAN_ID}-01`);
    md.set(METADATA.tracestate, 'vendor=opaque');
  });
  const { server } = await relaySpansOf(uid);
  t.is(server.spanContext().traceId, TRACE_ID);
  t.is(parentOf(server), SPAN_ID);
  t.is(server.parentSpanContext?.isRemote, true);
  t.is(server.spanContext().traceState?.get('vendor'), 'opaque');
});

const HOSTILE: [string, (md: grpc.Metadata) => void][] = [
  ['not a traceparent', (md) => md.set(METADATA.traceparent, 'garbage; DROP TABLE spans')],
  ['all-zero trace id', (md) => md.set(METADATA.traceparent, `00-${'0'.repeat(32)}-${SPAN_ID}-01`)],
  ['all-zero span id', (md) => md.set(METADATA.traceparent, `00-${TRACE_ID}-${'0'.repeat(16)}-01`)],
  ['version ff', (md) => md.set(METADATA.traceparent, `ff-${TRACE_ID}-${SPAN_ID}-01`)],
  ['upper-case hex', (md) => md.set(METADATA.traceparent, `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`)],
  ['version 00 with extra fields', (md) => md.set(METADATA.traceparent, `00-${TRACE_ID}-${SPAN_ID}-01-extra`)],
  // Well-formed for a future version, but far beyond any real traceparent: OTel's parser alone would take it.
  ['oversized future-version traceparent', (md) => md.set(METADATA.traceparent, `01-${TRACE_ID}-${SPAN_ID}-01-${'x'.repeat(4000)}`)],
  [
    'two traceparent values',
    (md) => {
      md.add(METADATA.traceparent, `00-${TRACE_ID}-${SPAN_ID}-01`);
      md.add(METADATA.traceparent, `00-${TRACE_ID}-${SPAN_ID}-01`);
    },
  ],
];

for (const [what, set] of HOSTILE) {
  test.serial(`a hostile traceparent (${what}) is ignored: the call succeeds as a new root trace`, async (t) => {
    exporter.reset();
    const uid = randomUUID();
    const ack = await rawApply(uid, set);
    t.truthy(ack.providerId, 'the call succeeded');
    const { server, all } = await relaySpansOf(uid);
    t.is(parentOf(server), undefined, 'no remote parent: a new root');
    t.not(server.spanContext().traceId, TRACE_ID);
    t.is(server.attributes['rpc.status_code'], 'OK');
    // The rest of the relay's work stays in the new trace.
    t.true(all.filter((s) => s.name.startsWith('ECI ')).every((s) => s.spanContext().traceId === server.spanContext().traceId));
  });
}

test.serial('an oversized tracestate is dropped while its valid traceparent is joined', async (t) => {
  exporter.reset();
  const uid = randomUUID();
  await rawApply(uid, (md) => {
    md.set(METADATA.traceparent, `00-${TRACE_ID}-${SPAN_ID}-01`);
    md.set(METADATA.tracestate, `vendor=${'v'.repeat(6000)}`);
  });
  const { server } = await relaySpansOf(uid);
  t.is(server.spanContext().traceId, TRACE_ID);
  t.is(server.spanContext().traceState, undefined);
});

test.serial('a call refused before authorization joins no trace: no relay span for it', async (t) => {
  exporter.reset();
  const md = new grpc.Metadata();
  md.set(METADATA.clusterId, 'c2'); // agent-1 is granted c1 only
  md.set(METADATA.protocol, String(PROTOCOL_VERSION));
  md.set(METADATA.traceparent, `00-${TRACE_ID}-${SPAN_ID}-01`);
  const err = await new Promise<grpc.ServiceError | null>((resolve) => env.raw.ApplyPod({ intent: intentOf(pod(randomUUID())) }, md, (e) => resolve(e)));
  t.is(err?.code, grpc.status.PERMISSION_DENIED, 'the call reached the relay and was refused');
  // A later traced call's spans arrive; the refused one left none.
  const uid = randomUUID();
  await rawApply(uid, () => undefined);
  const { all } = await relaySpansOf(uid);
  t.false(all.some((s) => s.spanContext().traceId === TRACE_ID));
});
