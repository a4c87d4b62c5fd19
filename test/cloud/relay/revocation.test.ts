// Revocation takes effect on open streams: removing a certificate identity (relay config file, re-read
// on change), revoking a token (token file), narrowing a grant, a client certificate that expires and a
// CA removed from the client-CA bundle each end that agent's open watch, exec, attach, logs and
// port-forward streams within 10 s, and new calls are refused. Another agent's streams go on; a config
// file that does not parse keeps the running config. The relay runs its default revalidation interval.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { DEFAULT_LIMITS } from '../../../cloud/relay/config.js';
import { createCa } from '../../../common/pki.js';
import { TunnelError, type TunnelClient } from '../../../agent/tunnel/client.js';
import { eventually } from '../../helpers/wait.js';
import { fixture, once, podIntent, replaceFile, type Fixture } from '../../helpers/tunnel/fixture.js';
import { echoServer, openStreams, type Ended, type OpenedStreams } from '../../helpers/tunnel/streams.js';

const BOUND_MS = 10_000;
const KINDS = ['watch', 'exec', 'attach', 'logs', 'portforward'] as const;

async function withFixture(t: { teardown(f: () => unknown): void }): Promise<Fixture> {
  const f = await fixture({ revalidateIntervalMs: DEFAULT_LIMITS.revalidateIntervalMs });
  t.teardown(() => f.close());
  return f;
}

async function agent(f: Fixture, cn: string, clusterId: string, certOpts: Parameters<Fixture['clientCert']>[1] = {}) {
  const cert = await f.clientCert(cn, certOpts);
  const client = f.client({ agentId: cn, clusterId, tls: f.tlsFor(cert) });
  client.start();
  await once(client, 'connected');
  return { client, cert };
}

async function streamsOf(f: Fixture, t: { teardown(f: () => unknown): void }, client: TunnelClient, o: { clusterId: string; cert?: { certFile: string; keyFile: string }; token?: string }): Promise<OpenedStreams> {
  const uid = randomUUID();
  await client.apply(podIntent(uid));
  const echo = await echoServer();
  t.teardown(() => echo.server.close());
  const s = await openStreams(f, client, { podUid: uid, echoPort: echo.port, ...o });
  t.teardown(() => s.close());
  return s;
}

/** Waits (bounded) for every stream to end; returns how each ended and how long after `since`. */
async function allEnded(s: OpenedStreams, since: number): Promise<Record<string, Ended & { afterMs: number }>> {
  const out: Record<string, Ended & { afterMs: number }> = {};
  await Promise.all(
    KINDS.map(async (k) => {
      const e = await Promise.race([s.ended[k], new Promise<undefined>((r) => setTimeout(() => r(undefined), BOUND_MS + 5_000).unref())]);
      if (!e) throw new Error(`${k} stream still open ${BOUND_MS + 5_000} ms after the revocation`);
      out[k] = { ...e, afterMs: e.at - since };
    }),
  );
  return out;
}

function assertRevoked(t: { is(a: unknown, b: unknown, m?: string): void; true(v: boolean, m?: string): void; regex(s: string, r: RegExp, m?: string): void; log(...a: unknown[]): void }, ended: Record<string, Ended & { afterMs: number }>, code: grpc.status, re: RegExp) {
  for (const k of KINDS) {
    t.is(ended[k].code, code, `${k}: ${ended[k].message}`);
    t.regex(ended[k].message, re, k);
    t.true(ended[k].afterMs <= BOUND_MS, `${k} ended ${ended[k].afterMs} ms after the revocation`);
  }
  t.log(`ended after (ms): ${KINDS.map((k) => `${k} ${ended[k].afterMs}`).join(', ')}`);
}

test('removing a certificate identity from the relay config ends its open streams within 10 s; new calls are refused; others go on', async (t) => {
  const f = await withFixture(t);
  const a = await agent(f, 'agent-1', 'c1');
  const b = await agent(f, 'agent-2', 'c2');
  const sa = await streamsOf(f, t, a.client, { clusterId: 'c1', cert: a.cert });
  const sb = await streamsOf(f, t, b.client, { clusterId: 'c2', cert: b.cert });

  const since = Date.now();
  f.writeConfig((c) => delete c.certificateIdentities['agent-1']);
  const ended = await allEnded(sa, since);
  assertRevoked(t, ended, grpc.status.UNAUTHENTICATED, /no longer valid: client certificate identity .*"agent-1".* is not mapped to a tenant/);

  const err = await t.throwsAsync(a.client.list(), { instanceOf: TunnelError });
  t.is(err.code, grpc.status.UNAUTHENTICATED);
  // agent-2 was not touched: its logs stream keeps producing and its calls work.
  const before = sb.logBytes();
  await eventually('agent-2 logs still flowing', () => sb.logBytes() > before, 10_000, 50);
  t.deepEqual((await b.client.list()).length, 1);
  const revoked = await f.relay.registry.getSingleMetricAsString('ecigw_relay_streams_revoked_total');
  for (const k of KINDS) t.regex(revoked, new RegExp(`kind="${k}"\\} 1`));
});

test('revoking a token in the token file ends the streams opened with it within 10 s', async (t) => {
  const f = await withFixture(t);
  const tokenFile = join(f.dir, 'agent-token');
  writeFileSync(tokenFile, 'tok-live');
  f.setTokens({ 'tok-live': 't1' });
  const client = f.client({ tokenFile });
  client.start();
  await once(client, 'connected');
  const s = await streamsOf(f, t, client, { clusterId: 'c1', token: 'tok-live' });

  const since = Date.now();
  f.setTokens({ 'tok-live': null, 'tok-next': 't1' });
  assertRevoked(t, await allEnded(s, since), grpc.status.UNAUTHENTICATED, /bearer token is unknown, revoked or rotated/);
  const err = await t.throwsAsync(client.list(), { instanceOf: TunnelError });
  t.is(err.code, grpc.status.UNAUTHENTICATED);
});

test('a grant narrowed to another cluster ends the streams of the old cluster with PERMISSION_DENIED', async (t) => {
  const f = await withFixture(t);
  const a = await agent(f, 'agent-3', 'c3a');
  const s = await streamsOf(f, t, a.client, { clusterId: 'c3a', cert: a.cert });
  const since = Date.now();
  f.writeConfig((c) => (c.certificateIdentities['agent-3'] = { tenant: 't3', clusterIds: ['c3b'] }));
  assertRevoked(t, await allEnded(s, since), grpc.status.PERMISSION_DENIED, /cluster "c3a" is not allowed for agent identity cert:agent-3 \(tenant t3\); it may act for: c3b/);
});

test('a relay config that does not parse keeps the running config: streams go on, the error is counted, a fixed file applies', async (t) => {
  const f = await withFixture(t);
  const a = await agent(f, 'agent-1', 'c1');
  const s = await streamsOf(f, t, a.client, { clusterId: 'c1', cert: a.cert });
  const configFile = join(f.dir, 'relay.json');
  replaceFile(configFile, '{"tenants": {"t1": ');
  const reloads = async (result: string) =>
    (await f.relay.registry.getSingleMetric('ecigw_relay_config_reloads_total')!.get()).values.find((v) => v.labels.file === 'config' && v.labels.result === result)?.value ?? 0;
  await eventually('the parse error counted', async () => (await reloads('error')) >= 1, 15_000, 100);
  // Same for a file that parses but names an unknown tenant: refused, old config kept.
  replaceFile(configFile, JSON.stringify({ ...f.rawConfig, certificateIdentities: { 'agent-1': 'nope' } }));
  await eventually('the invalid config counted', async () => (await reloads('error')) >= 2, 15_000, 100);
  const before = s.logBytes();
  await eventually('logs still flowing', () => s.logBytes() > before, 10_000, 50);
  t.deepEqual((await a.client.list()).length, 1, 'new calls still authorized by the running config');
  for (const k of KINDS) t.is(await Promise.race([s.ended[k].then(() => 'ended'), Promise.resolve('open')]), 'open', k);
  // A good file applies (and revokes what it no longer lists).
  const since = Date.now();
  f.writeConfig((c) => delete c.certificateIdentities['agent-1']);
  assertRevoked(t, await allEnded(s, since), grpc.status.UNAUTHENTICATED, /not mapped to a tenant/);
  t.true((await reloads('ok')) >= 1);
});

test('a client certificate that expires ends its open streams', async (t) => {
  const f = await withFixture(t);
  // X.509 validity has one-second resolution: expire a few seconds from now.
  const notAfter = new Date(Math.ceil((Date.now() + 6_000) / 1000) * 1000);
  const a = await agent(f, 'agent-1', 'c1', { notAfter });
  const s = await streamsOf(f, t, a.client, { clusterId: 'c1', cert: a.cert });
  t.true(Date.now() < notAfter.getTime(), 'streams opened before the expiry');
  assertRevoked(t, await allEnded(s, notAfter.getTime()), grpc.status.UNAUTHENTICATED, /client certificate expired at/);
});

test('removing the issuing CA from the client-CA bundle ends the streams of its certificates', async (t) => {
  const f = await withFixture(t);
  const a = await agent(f, 'agent-1', 'c1');
  const s = await streamsOf(f, t, a.client, { clusterId: 'c1', cert: a.cert });
  const since = Date.now();
  const next = await createCa('ecigw-relay-ca-next');
  replaceFile(f.caFile, next.certPem);
  assertRevoked(t, await allEnded(s, since), grpc.status.UNAUTHENTICATED, /is not issued by the relay's client CA/);
});
