// Bad input and limits: oversized messages (RESOURCE_EXHAUSTED naming the limit), undecodable bytes
// and invalid intents (INVALID_ARGUMENT naming the field), per-agent rate limit, per-agent session
// limit, and the session start timeout. Each rejection leaves the connection usable. The tight relay's rate
// buckets run on a clock the tests move (the relay's `now` option), so a refill is a step, never a wait.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { fixture, once, podIntent, type Fixture } from '../../helpers/tunnel/fixture.js';
import { eventually } from '../../helpers/wait.js';
import { TunnelError, type TunnelClient } from '../../../agent/tunnel/client.js';
import { TunnelServiceClient } from '../../../proto/load.js';
import { METADATA, PROTOCOL_VERSION } from '../../../proto/wire.js';

let f: Fixture;
let tight: Fixture;
let c: TunnelClient;
/** The tight relay's bucket clock (ms): it only moves when a test moves it. */
let tightNow = 0;

async function connect(fx: Fixture): Promise<TunnelClient> {
  const cert = await fx.clientCert('agent-1');
  const cl = fx.client({ tls: fx.tlsFor(cert) });
  cl.start();
  await once(cl, 'connected');
  return cl;
}

test.before(async () => {
  f = await fixture({ maxMessageBytes: 1024 * 1024 });
  tight = await fixture({ requestsPerSecond: 2, burst: 6, maxSessionsPerAgent: 2, startTimeoutMs: 300 }, { now: () => tightNow });
  c = await connect(f);
});
test.after.always(async () => {
  await f?.close();
  await tight?.close();
});

test('an oversized intent is RESOURCE_EXHAUSTED naming the limit, and the connection stays usable', async (t) => {
  const uid = randomUUID();
  const big = { ...podIntent(uid), volumes: { data: { files: [{ path: 'blob', content: Buffer.alloc(1024 * 1024 + 10), mode: 0o644 }] } } };
  const err = await t.throwsAsync(c.apply(big), { instanceOf: TunnelError });
  t.is(err.code, grpc.status.RESOURCE_EXHAUSTED);
  t.regex(err.message, /larger than max \(\d+ vs\.? 1048576\)/);
  t.true((await c.apply(podIntent(uid))).changed);
});

test('undecodable bytes are INVALID_ARGUMENT, not INTERNAL', async (t) => {
  const cert = await f.clientCert('agent-1');
  const raw = new TunnelServiceClient(`127.0.0.1:${f.relay.port}`, grpc.credentials.createSsl(readFileSync(f.caFile), readFileSync(cert.keyFile), readFileSync(cert.certFile)));
  t.teardown(() => raw.close());
  const md = new grpc.Metadata();
  md.set(METADATA.clusterId, 'c1');
  md.set(METADATA.protocol, String(PROTOCOL_VERSION));
  const err = await new Promise<grpc.ServiceError>((resolve) =>
    raw.makeUnaryRequest('/ecigw.tunnel.v1.Tunnel/ApplyPod', (b: Buffer) => b, (b: Buffer) => b, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]), md, (e) => resolve(e!)),
  );
  t.is(err.code, grpc.status.INVALID_ARGUMENT);
  t.regex(err.details, /malformed ApplyPod request/);
});

test('invalid intents are INVALID_ARGUMENT naming the field', async (t) => {
  const uid = randomUUID();
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...podIntent(uid), generation: 0 }, /intent\.generation must be an integer >= 1/],
    [{ ...podIntent(uid), podJson: Buffer.from('{not json') }, /intent\.pod_json is not valid JSON/],
    [{ ...podIntent(uid), uid: 'bad uid!' }, /intent\.uid "bad uid!" is not a valid pod UID/],
    [{ ...podIntent(uid), podJson: Buffer.from(JSON.stringify({ metadata: { name: 'x', uid: 'other' } })) }, /metadata\.uid "other" differs from intent\.uid/],
    [{ ...podIntent(uid), volumes: { cfg: { files: [{ path: '../etc/passwd', content: Buffer.from('x') }] } } }, /must be relative without "\.\."/],
  ];
  for (const [intent, re] of cases) {
    const err = await t.throwsAsync(c.apply(intent as never), { instanceOf: TunnelError });
    t.is(err.code, grpc.status.INVALID_ARGUMENT);
    t.regex(err.message, re);
  }
  t.false(f.provider.allPods().some((p) => p.uid === uid));
});

// The two tests on the tight relay share agent-1's buckets and its clock: they run one after the other.
test.serial('exceeding the per-agent request rate is RESOURCE_EXHAUSTED with the limit in the message; the bucket refills at the rate', async (t) => {
  const cl = await connect(tight);
  t.teardown(() => cl.stop());
  // The clock stands still: the burst of 6 is all there is (connecting took some of it).
  const results = await Promise.allSettled(Array.from({ length: 12 }, () => cl.list()));
  const limited = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  t.true(limited.length > 0);
  for (const r of limited) {
    t.is((r.reason as TunnelError).code, grpc.status.RESOURCE_EXHAUSTED);
    t.regex((r.reason as TunnelError).message, /rate limit of 2 requests\/s \(burst 6\)/);
  }
  t.true(results.some((r) => r.status === 'fulfilled'));
  // Empty now, and still empty: a call is refused until the clock moves.
  t.is((await t.throwsAsync(cl.list(), { instanceOf: TunnelError })).code, grpc.status.RESOURCE_EXHAUSTED);
  // One second at 2 requests/s: two tokens, so two calls pass and the third is refused.
  tightNow += 1_000;
  await cl.list();
  await cl.list();
  t.is((await t.throwsAsync(cl.list(), { instanceOf: TunnelError })).code, grpc.status.RESOURCE_EXHAUSTED, 'only two tokens came back in one second');
});

/** Open sessions of `kind` on the relay (its sessions-active gauge). */
async function activeSessions(fx: Fixture, kind: string): Promise<number> {
  const m = await fx.relay.registry.getSingleMetric('ecigw_relay_sessions_active')!.get();
  return m.values.find((v) => v.labels.kind === kind)?.value ?? 0;
}

test.serial('sessions: per-agent limit and start timeout', async (t) => {
  tightNow += 10_000; // the tight bucket refills (2/s for 10 s fills a burst of 6)
  const cl = await connect(tight);
  const uid = randomUUID();
  await cl.apply(podIntent(uid));
  // A session that never sends its start message is ended by the relay.
  const cert = await tight.clientCert('agent-1');
  const raw = new TunnelServiceClient(`127.0.0.1:${tight.relay.port}`, grpc.credentials.createSsl(readFileSync(tight.caFile), readFileSync(cert.keyFile), readFileSync(cert.certFile)));
  t.teardown(() => raw.close());
  const md = new grpc.Metadata();
  md.set(METADATA.clusterId, 'c1');
  md.set(METADATA.protocol, String(PROTOCOL_VERSION));
  const silent = raw.Exec(md);
  const err = await new Promise<grpc.ServiceError>((resolve) => silent.on('error', resolve));
  t.is(err.code, grpc.status.DEADLINE_EXCEEDED);
  t.regex(err.details, /first message not received within 300 ms/);

  // The silent session's slot is given back once it has ended: only then may two sessions open.
  await eventually('the silent exec session released', async () => (await activeSessions(tight, 'exec')) === 0, 10_000, 20);
  const a = await cl.logs({ podUid: uid, container: 'main', follow: true });
  const b = await cl.logs({ podUid: uid, container: 'main', follow: true });
  a.stream.resume();
  b.stream.resume();
  const third = await cl.logs({ podUid: uid, container: 'main', follow: true });
  const e3 = await new Promise<TunnelError>((resolve) => third.stream.on('error', resolve).resume());
  t.is(e3.code, grpc.status.RESOURCE_EXHAUSTED);
  t.regex(e3.message, /limit maxSessionsPerAgent=2/);
  a.cancel();
  b.cancel();
});
