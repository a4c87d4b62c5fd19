// Handshake and version/capability refusal, plus the basic intent round trip over mTLS.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { fixture, once, podIntent, type Fixture } from '../../helpers/tunnel/fixture.js';
import { TunnelError } from '../../../agent/tunnel/client.js';
import { TunnelServiceClient } from '../../../proto/load.js';
import { METADATA } from '../../../proto/wire.js';

let f: Fixture;
test.before(async () => {
  f = await fixture();
});
test.after.always(async () => {
  await f?.close();
});

test('mTLS agent connects, handshakes and applies an intent idempotently', async (t) => {
  const cert = await f.clientCert('agent-1');
  const c = f.client({ tls: f.tlsFor(cert) });
  c.start();
  const hs = (await once(c, 'connected')) as { tenantId: string; relayEpoch: string; relayVersion: string };
  t.is(c.state, 'connected');
  t.is(hs.tenantId, 't1');
  t.is(hs.relayEpoch, f.relay.epoch);
  // Tenant cloud settings (credentials reference, vSwitch, security group) never reach the agent.
  const wire = JSON.stringify(hs);
  for (const secret of ['secret/eci-t1', 'vsw-t1', 'sg-t1']) t.false(wire.includes(secret), secret);
  const uid = randomUUID();
  const ack = await c.apply(podIntent(uid, 1));
  t.is(ack.uid, uid);
  t.is(ack.generation, 1);
  t.true(ack.changed);
  t.regex(ack.providerId, /^mem-/);
  const again = await c.apply(podIntent(uid, 1));
  t.false(again.changed);
  t.is(again.providerId, ack.providerId);
  t.is(f.provider.allPods().filter((p) => p.uid === uid).length, 1);
  const got = await c.get(uid);
  t.is(got.name, `pod-${uid.slice(0, 8)}`);
  const del = await c.delete(uid, 30);
  t.true(del.existed);
  await t.throwsAsync(c.get(uid), { instanceOf: TunnelError, message: /not found/ });
});

test('the agent refuses a relay that lacks a required capability', async (t) => {
  const cert = await f.clientCert('agent-1');
  const c = f.client({ tls: f.tlsFor(cert), requiredCapabilities: ['teleport'] });
  c.start();
  const err = (await once(c, 'error')) as TunnelError;
  t.is(err.code, grpc.status.FAILED_PRECONDITION);
  t.regex(err.message, /lacks required capabilities: teleport/);
  t.not(c.state, 'connected');
  await c.stop();
});

test('the relay refuses an agent speaking another protocol version', async (t) => {
  const cert = await f.clientCert('agent-1');
  const { readFileSync } = await import('node:fs');
  const raw = new TunnelServiceClient(
    `127.0.0.1:${f.relay.port}`,
    grpc.credentials.createSsl(readFileSync(f.caFile), readFileSync(cert.keyFile), readFileSync(cert.certFile)),
  );
  t.teardown(() => raw.close());
  const md = new grpc.Metadata();
  md.set(METADATA.clusterId, 'c1');
  const err = await new Promise<grpc.ServiceError>((resolve) =>
    raw.Handshake({ agentId: 'a', clusterId: 'c1', protocolVersion: 2, agentVersion: '9.0.0' }, md, (e) => resolve(e!)),
  );
  t.is(err.code, grpc.status.FAILED_PRECONDITION);
  t.regex(err.details, /agent speaks tunnel protocol 2; this build speaks 1/);
  // Any other call without the protocol header is refused too (the relay keeps no handshake state).
  const err2 = await new Promise<grpc.ServiceError>((resolve) => raw.ListPods({}, md, (e) => resolve(e!)));
  t.is(err2.code, grpc.status.FAILED_PRECONDITION);
  t.regex(err2.details, /x-ecigw-protocol/);
});
