// One agent identity acts for its own clusters only: a certificate name or token digest maps to a
// tenant AND cluster ids; claiming another cluster, even one of its own tenant, is PERMISSION_DENIED
// (counted and logged); a certificate whose names map to different grants is refused as ambiguous.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { fixture, once, type Fixture } from '../../helpers/tunnel/fixture.js';
import { TunnelError, type TunnelClient } from '../../../agent/tunnel/client.js';

let f: Fixture;
test.before(async () => {
  f = await fixture();
});
test.after.always(async () => {
  await f?.close();
});

async function certClient(cn: string, clusterId: string, uris?: string[]): Promise<TunnelClient> {
  return f.client({ agentId: cn, clusterId, tls: f.tlsFor(await f.clientCert(cn, { uris })) });
}

async function firstError(c: TunnelClient): Promise<TunnelError> {
  c.start();
  const err = (await once(c, 'error')) as TunnelError;
  await c.stop();
  return err;
}

const deniedFor = async (reason: string): Promise<number> => {
  const m = await f.relay.registry.getSingleMetric('ecigw_relay_denied_total')!.get();
  return m.values.find((v) => v.labels.reason === reason)?.value ?? 0;
};

test('an identity granted one cluster of a two-cluster tenant cannot claim the other one', async (t) => {
  const ok = await certClient('agent-3a', 'c3a');
  ok.start();
  t.is(((await once(ok, 'connected')) as { tenantId: string }).tenantId, 't3');
  t.deepEqual(await ok.list(), []);

  const before = await deniedFor('cluster');
  const err = await firstError(await certClient('agent-3a', 'c3b'));
  t.is(err.code, grpc.status.PERMISSION_DENIED);
  t.regex(err.message, /cluster "c3b" is not allowed for agent identity cert:agent-3a \(tenant t3\); it may act for: c3a/);
  t.true((await deniedFor('cluster')) > before, 'the refusal is counted');
});

test('an identity granted both clusters of its tenant acts for each', async (t) => {
  for (const cluster of ['c3a', 'c3b']) {
    const c = await certClient('agent-3', cluster);
    c.start();
    await once(c, 'connected');
    t.deepEqual(await c.list(), []);
    await c.stop();
  }
});

test('a token grant in the object form names the clusters the token may act for', async (t) => {
  const tokenFile = join(f.dir, 'token-3b');
  writeFileSync(tokenFile, 'tok-3b');
  f.setTokens({ 'tok-3b': { tenant: 't3', clusterIds: ['c3b'] } });
  const good = f.client({ tokenFile, clusterId: 'c3b' });
  good.start();
  t.is(((await once(good, 'connected')) as { tenantId: string }).tenantId, 't3');
  const err = await firstError(f.client({ tokenFile, clusterId: 'c3a' }));
  t.is(err.code, grpc.status.PERMISSION_DENIED);
  t.regex(err.message, /cluster "c3a" is not allowed for agent identity token:[0-9a-f]{12} \(tenant t3\); it may act for: c3b/);
});

test('a certificate whose CN and SAN URI map to different tenants is refused as ambiguous', async (t) => {
  const err = await firstError(await certClient('agent-1', 'c1', ['spiffe://t2/agent']));
  t.is(err.code, grpc.status.UNAUTHENTICATED);
  t.regex(err.message, /client certificate is ambiguous: "agent-1" maps to tenant t1 clusters \[c1\] but "spiffe:\/\/t2\/agent" maps to tenant t2 clusters \[c2\]/);
});

test('a certificate whose CN and SAN URI map to the same grant is accepted', async (t) => {
  const c = await certClient('agent-1', 'c1', ['spiffe://t1/agent']);
  c.start();
  t.is(((await once(c, 'connected')) as { tenantId: string }).tenantId, 't1');
});

test('a certificate whose CN is unmapped but whose SAN URI is mapped acts for the URI', async (t) => {
  const c = await certClient('some-host', 'c2', ['spiffe://t2/agent']);
  c.start();
  t.is(((await once(c, 'connected')) as { tenantId: string }).tenantId, 't2');
});
