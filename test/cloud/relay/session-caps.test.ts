// Session caps that one agent's interactive users cannot use up: the status watch and pod intents never
// share a cap or a rate bucket with interactive sessions; caps per kind; a new watch beyond its cap
// replaces the agent's oldest; at the HTTP/2 level sessions never take the streams intents need, on the
// relay (below maxConcurrentStreams) and on the agent (refused locally with a clear error).
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { TunnelServiceClient } from '../../../proto/load.js';
import { TunnelError, type LogsSession, type TunnelClient } from '../../../agent/tunnel/client.js';
import { eventually } from '../../helpers/wait.js';
import { fixture, once, podIntent, type Fixture } from '../../helpers/tunnel/fixture.js';
import { METADATA, PROTOCOL_VERSION } from '../../../proto/wire.js';

async function connected(f: Fixture, o: Parameters<Fixture['client']>[0] = {}): Promise<TunnelClient> {
  const c = f.client({ tls: f.tlsFor(await f.clientCert('agent-1')), ...o });
  c.start();
  await once(c, 'connected');
  return c;
}

/** Opens a logs -f session and waits until it has produced bytes (it is really open on the relay). */
async function follow(c: TunnelClient, podUid: string): Promise<LogsSession> {
  const s = await c.logs({ podUid, container: 'main', follow: true });
  await new Promise<void>((resolve, reject) => {
    s.stream.once('data', () => resolve());
    s.stream.once('error', reject);
  });
  s.stream.resume();
  return s;
}

/** The error a session ends with (a refused session fails right after it opens; bounded wait). */
const refusal = (s: LogsSession) =>
  new Promise<TunnelError>((resolve, reject) => {
    const t = setTimeout(() => (s.cancel(), reject(new Error('the session was not refused within 10 s'))), 10_000);
    s.stream.on('error', (e) => (clearTimeout(t), resolve(e as TunnelError))).resume();
  });

async function requestCount(f: Fixture, method: string, code?: string): Promise<number> {
  const m = await f.relay.registry.getSingleMetric('ecigw_relay_requests_total')!.get();
  return m.values.filter((v) => v.labels.method === method && (code === undefined || v.labels.code === code)).reduce((a, v) => a + v.value, 0);
}

test('open logs -f at maxSessionsPerAgent do not starve the status watch or intents', async (t) => {
  const f = await fixture({ maxSessionsPerAgent: 3, maxLogSessionsPerAgent: 3 });
  t.teardown(() => f.close());
  const c = await connected(f);
  const uid = randomUUID();
  await c.apply(podIntent(uid));
  const open = [await follow(c, uid), await follow(c, uid), await follow(c, uid)];
  t.teardown(() => open.forEach((s) => s.cancel()));
  const fourth = await c.logs({ podUid: uid, container: 'main', follow: true });
  const e4 = await refusal(fourth);
  t.is(e4.code, grpc.status.RESOURCE_EXHAUSTED);
  t.regex(e4.message, /already has 3 open sessions \(limit maxSessionsPerAgent=3\); pod intents and the status watch are not affected/);

  // The watch opens now, with every interactive slot taken, and delivers a change.
  const seen: string[] = [];
  c.watchStatus((p) => void seen.push(`${p.uid}:${p.statusVersion}`));
  await eventually('the watch snapshot', () => seen.some((s) => s.startsWith(uid)), 15_000, 50);
  f.provider.setPhase(uid, 'Running');
  await eventually('a status change through the watch', () => seen.length >= 2, 15_000, 50);
  const uid2 = randomUUID();
  t.true((await c.apply(podIntent(uid2))).changed, 'intents go on');
  t.is(await requestCount(f, 'WatchStatus', 'RESOURCE_EXHAUSTED'), 0, 'no watch was refused');
});

test('session opens take tokens from their own bucket, never the intents\' (and the other way round)', async (t) => {
  // Control bucket: 4 tokens, no refill to speak of; sessions bucket: 3.
  const f = await fixture({ requestsPerSecond: 0.001, burst: 4, sessionsPerSecond: 0.001, sessionBurst: 3 });
  t.teardown(() => f.close());
  const c = await connected(f); // handshake: 1 control token
  const uid = randomUUID();
  await c.apply(podIntent(uid)); // 2
  const open = [await follow(c, uid), await follow(c, uid), await follow(c, uid)];
  t.teardown(() => open.forEach((s) => s.cancel()));
  // Three session opens later, intents still have their tokens.
  t.true((await c.apply(podIntent(randomUUID()))).changed); // 3
  const e = await refusal(await c.logs({ podUid: uid, container: 'main', follow: true }));
  t.is(e.code, grpc.status.RESOURCE_EXHAUSTED);
  t.regex(e.message, /session open rate of 0\.001\/s \(burst 3\) exceeded/);
  t.true((await c.apply(podIntent(randomUUID()))).changed, 'a refused session took no intent token'); // 4
  const e2 = await t.throwsAsync(c.list(), { instanceOf: TunnelError });
  t.regex(e2.message, /rate limit of 0\.001 requests\/s \(burst 4\) exceeded/, 'the control bucket is exactly the intents\'');
});

test('caps per kind: logs at their cap leave exec and port-forward room', async (t) => {
  const f = await fixture({ maxLogSessionsPerAgent: 2 });
  t.teardown(() => f.close());
  const c = await connected(f);
  const uid = randomUUID();
  await c.apply(podIntent(uid));
  const open = [await follow(c, uid), await follow(c, uid)];
  t.teardown(() => open.forEach((s) => s.cancel()));
  const e = await refusal(await c.logs({ podUid: uid, container: 'main', follow: true }));
  t.is(e.code, grpc.status.RESOURCE_EXHAUSTED);
  t.regex(e.message, /already has 2 open logs sessions \(limit maxLogSessionsPerAgent=2\)/);
  const exec = await c.exec({ podUid: uid, container: 'main', command: ['echo', 'still'], stdout: true });
  let out = '';
  exec.stdout.on('data', (b: Buffer) => (out += b.toString()));
  t.is((await exec.exit).code, 0);
  t.is(out, 'still\n');
});

test('a status watch beyond maxWatchesPerAgent ends the agent\'s oldest watch, not the new one', async (t) => {
  const f = await fixture({ maxWatchesPerAgent: 2 });
  t.teardown(() => f.close());
  const cert = await f.clientCert('agent-1');
  const raw = new TunnelServiceClient(`127.0.0.1:${f.relay.port}`, grpc.credentials.createSsl(readFileSync(f.caFile), readFileSync(cert.keyFile), readFileSync(cert.certFile))) as unknown as grpc.Client & {
    WatchStatus(req: object, md: grpc.Metadata): grpc.ClientReadableStream<unknown>;
  };
  t.teardown(() => raw.close());
  const md = new grpc.Metadata();
  md.set(METADATA.clusterId, 'c1');
  md.set(METADATA.protocol, String(PROTOCOL_VERSION));
  const watches = [0, 1, 2].map(() => {
    const call = raw.WatchStatus({ epoch: '', seq: 0 }, md);
    const state = { events: 0, ended: undefined as grpc.ServiceError | undefined };
    call.on('data', () => state.events++);
    call.on('error', (e: grpc.ServiceError) => (state.ended = e));
    t.teardown(() => call.cancel());
    return state;
  });
  await eventually('the oldest watch ended', () => watches[0].ended, 15_000, 50);
  t.is(watches[0].ended!.code, grpc.status.RESOURCE_EXHAUSTED);
  t.regex(watches[0].ended!.details, /superseded by a newer status watch of the same agent \(limit maxWatchesPerAgent=2\)/);
  await eventually('the two newer watches receive', () => watches[1].events > 0 && watches[2].events > 0, 15_000, 50);
  t.is(watches[1].ended, undefined);
  t.is(watches[2].ended, undefined);
});

test('HTTP/2: the agent refuses sessions beyond 3/4 of the relay\'s streams locally; intents and the watch keep theirs', async (t) => {
  const f = await fixture({ maxConcurrentStreams: 16, maxSessionsPerAgent: 100 });
  t.teardown(() => f.close());
  const c = await connected(f, { rpcTimeoutMs: 5_000 });
  const uid = randomUUID();
  await c.apply(podIntent(uid));
  const seen: string[] = [];
  c.watchStatus((p) => void seen.push(p.uid));
  await eventually('the watch snapshot', () => seen.includes(uid), 15_000, 50);
  const open: LogsSession[] = [];
  t.teardown(() => open.forEach((s) => s.cancel()));
  const refused: TunnelError[] = [];
  for (let i = 0; i < 16; i++) {
    try {
      open.push(await follow(c, uid));
    } catch (e) {
      refused.push(e as TunnelError);
    }
  }
  t.is(open.length, 12, '16 streams x 3/4');
  t.is(c.interactiveSessions, 12);
  t.is(refused.length, 4);
  for (const e of refused) {
    t.is(e.code, grpc.status.RESOURCE_EXHAUSTED);
    t.regex(e.message, /logs: this agent already has 12 interactive sessions open on its tunnel \(cap 12: .*relay's 16 streams per connection\); the rest is kept for pod intents and the status watch/);
  }
  t.is(await requestCount(f, 'Logs', 'RESOURCE_EXHAUSTED'), 0, 'refused before reaching the relay');
  // Intents on the same connection complete within their deadline.
  const uid2 = randomUUID();
  t.true((await c.apply(podIntent(uid2))).changed);
  await eventually('the watch still delivers', () => seen.includes(uid2), 15_000, 50);
  // A closed session frees its slot.
  open.pop()!.cancel();
  await eventually('slot released', () => c.interactiveSessions === 11, 10_000, 20);
  open.push(await follow(c, uid));
});

test('HTTP/2: the relay keeps reservedStreams of a connection for intents whatever the client opens', async (t) => {
  const f = await fixture({ maxConcurrentStreams: 16, maxSessionsPerAgent: 100 });
  t.teardown(() => f.close());
  const uid = randomUUID();
  await (await connected(f)).apply(podIntent(uid));
  // A client that ignores the agent's own cap (a raw gRPC client on one connection).
  const cert = await f.clientCert('agent-1');
  const raw = new TunnelServiceClient(`127.0.0.1:${f.relay.port}`, grpc.credentials.createSsl(readFileSync(f.caFile), readFileSync(cert.keyFile), readFileSync(cert.certFile))) as unknown as grpc.Client & {
    Logs(req: object, md: grpc.Metadata): grpc.ClientReadableStream<unknown>;
    ListPods(req: object, md: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: { pods: unknown[] }) => void): void;
  };
  t.teardown(() => raw.close());
  const md = new grpc.Metadata();
  md.set(METADATA.clusterId, 'c1');
  md.set(METADATA.protocol, String(PROTOCOL_VERSION));
  const outcomes = Array.from({ length: 16 }, () => {
    const call = raw.Logs({ podUid: uid, container: 'main', follow: true }, md);
    const o = { data: false, err: undefined as grpc.ServiceError | undefined };
    call.on('data', () => (o.data = true));
    call.on('error', (e: grpc.ServiceError) => (o.err = e));
    t.teardown(() => call.cancel());
    return o;
  });
  await eventually('every session answered', () => outcomes.every((o) => o.data || o.err), 15_000, 50);
  const refused = outcomes.filter((o) => o.err);
  t.is(outcomes.filter((o) => o.data && !o.err).length, 12);
  t.is(refused.length, 4);
  for (const o of refused) t.regex(o.err!.details, /limit maxConcurrentStreams=16 minus reservedStreams=4/);
  const pods = await new Promise<unknown[]>((resolve, reject) => raw.ListPods({}, md, { deadline: Date.now() + 5_000 }, (e, r) => (e ? reject(e) : resolve(r!.pods))));
  t.is(pods.length, 1, 'an intent on the same connection completes within its deadline');
});
