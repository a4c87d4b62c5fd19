// Auth matrix: mTLS ok, token ok, no credential, wrong CA, expired cert, revoked/rotated token,
// another tenant's pod (PERMISSION_DENIED), another tenant's cluster, and live token rotation.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCa } from '../../../common/pki.js';
import { fixture, once, podIntent, until, type Fixture } from '../../helpers/tunnel/fixture.js';
import { TunnelError, type TunnelClient } from '../../../agent/tunnel/client.js';

let f: Fixture;
test.before(async () => {
  f = await fixture();
});
test.after.always(async () => {
  await f?.close();
});

async function mtlsClient(cn: string, o: Parameters<Fixture['clientCert']>[1] = {}, clusterId = 'c1'): Promise<TunnelClient> {
  const cert = await f.clientCert(cn, o);
  return f.client({ agentId: cn, clusterId, tls: f.tlsFor(cert) });
}

async function firstError(c: TunnelClient): Promise<TunnelError> {
  c.start();
  const err = (await once(c, 'error')) as TunnelError;
  await c.stop();
  return err;
}

test('mTLS with a certificate from the relay CA is accepted', async (t) => {
  const c = await mtlsClient('agent-1');
  c.start();
  await once(c, 'connected');
  t.is((await c.list()).length >= 0, true);
});

test('a bearer token from the token file is accepted', async (t) => {
  const tokenFile = join(f.dir, 'agent-token');
  writeFileSync(tokenFile, 'tok-alpha\n');
  f.setTokens({ 'tok-alpha': 't1' });
  const c = f.client({ tokenFile });
  c.start();
  const hs = (await once(c, 'connected')) as { tenantId: string };
  t.is(hs.tenantId, 't1');
});

test('no credential is UNAUTHENTICATED with a message saying what to present', async (t) => {
  const err = await firstError(f.client({}));
  t.is(err.code, grpc.status.UNAUTHENTICATED);
  t.regex(err.message, /no valid credential/);
});

test('a certificate from another CA is UNAUTHENTICATED', async (t) => {
  const other = await createCa('evil-ca');
  const err = await firstError(await mtlsClient('agent-1', { issuer: other }));
  t.is(err.code, grpc.status.UNAUTHENTICATED);
  t.regex(err.message, /no valid credential: present a client certificate issued by the relay CA/);
});

test('an expired certificate is UNAUTHENTICATED', async (t) => {
  const err = await firstError(await mtlsClient('agent-1', { notBefore: new Date(Date.now() - 10 * 86400_000), notAfter: new Date(Date.now() - 86400_000) }));
  t.is(err.code, grpc.status.UNAUTHENTICATED);
  t.regex(err.message, /expired or not yet valid are ignored/);
});

test('a certificate whose identity maps to no tenant is UNAUTHENTICATED', async (t) => {
  const err = await firstError(await mtlsClient('stranger'));
  t.is(err.code, grpc.status.UNAUTHENTICATED);
  t.regex(err.message, /not mapped to a tenant/);
});

test('revoking and rotating a token takes effect without restarting either side', async (t) => {
  const tokenFile = join(f.dir, 'rotating-token');
  writeFileSync(tokenFile, 'tok-one');
  f.setTokens({ 'tok-one': 't1' });
  const c = f.client({ tokenFile });
  c.start();
  await once(c, 'connected');
  await c.list();
  // Relay revokes tok-one and accepts tok-two; the agent still presents tok-one.
  f.setTokens({ 'tok-one': null, 'tok-two': 't1' });
  const err = await t.throwsAsync(c.list(), { instanceOf: TunnelError });
  t.is(err.code, grpc.status.UNAUTHENTICATED);
  t.regex(err.message, /unknown, revoked or rotated/);
  // The agent's token file is rotated: the next call uses it, same process, same connection.
  writeFileSync(tokenFile, 'tok-two');
  await until(async () => (await c.list().then(() => true, () => false)), 5_000, 'rotated token accepted');
  await t.notThrowsAsync(c.list(), 'calls go on with the rotated token');
});

test("another tenant's pod is PERMISSION_DENIED for every operation and logged as a metric", async (t) => {
  const a = await mtlsClient('agent-1');
  const b = await mtlsClient('agent-2', {}, 'c2');
  a.start();
  b.start();
  await Promise.all([once(a, 'connected'), once(b, 'connected')]);
  const uid = randomUUID();
  await a.apply(podIntent(uid));
  for (const op of [
    () => b.get(uid),
    () => b.delete(uid, 0),
    () => b.apply(podIntent(uid, 2)),
    () => b.exec({ podUid: uid, container: 'main', command: ['echo', 'hi'], stdout: true }).then((s) => s.exit),
    () => b.logs({ podUid: uid, container: 'main' }).then((s) => new Promise((res, rej) => s.stream.on('error', rej).on('end', res).resume())),
  ]) {
    const err = await t.throwsAsync(op(), { instanceOf: TunnelError });
    t.is(err.code, grpc.status.PERMISSION_DENIED, err.message);
  }
  t.false((await b.list()).some((p) => p.uid === uid));
  t.true((await a.get(uid)).uid === uid);
  const metrics = await f.relay.registry.getSingleMetricAsString('ecigw_relay_denied_total');
  t.regex(metrics, /reason="permission_denied"\} [1-9]/);
});

test("an agent cannot act for a cluster outside its tenant", async (t) => {
  const err = await firstError(await mtlsClient('agent-1', {}, 'c2'));
  t.is(err.code, grpc.status.PERMISSION_DENIED);
  t.regex(err.message, /cluster "c2" is not allowed for tenant t1/);
});
