// Pre-authentication limits: a client that never authenticates cannot exhaust the relay. Connections are
// capped per source address and in total, accepted at a bounded rate per source, closed when no call
// authenticates within the handshake deadline, and a source that keeps failing authentication is cut
// off. Attackers connect from other loopback addresses (127.0.0.2-9); the agent from 127.0.0.1 is served.
import test from 'ava';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { TunnelServiceClient } from '../../../proto/load.js';
import { eventually } from '../../helpers/wait.js';
import { fixture, once, type Fixture } from '../../helpers/tunnel/fixture.js';
import { startForwarder } from '../../helpers/tunnel/net-peers.js';
import { METADATA, PROTOCOL_VERSION } from '../../../proto/wire.js';

interface Probe {
  socket: Socket;
  /** Set when the relay closed the socket (we never close it ourselves before the test ends). */
  closedAt?: number;
  connectedAt?: number;
}

/** A plain TCP connection from `from` that sends nothing; resolves once connected. */
async function idle(port: number, from: string, t: { teardown(f: () => unknown): void }): Promise<Probe> {
  const socket = tcpConnect({ port, host: '127.0.0.1', localAddress: from });
  const p: Probe = { socket };
  socket.on('error', () => undefined);
  socket.on('close', () => (p.closedAt = Date.now()));
  socket.resume(); // read (and drop) whatever arrives, so the far side's FIN is seen
  t.teardown(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => ((p.connectedAt = Date.now()), resolve()));
    socket.once('error', reject);
  });
  return p;
}

/** True once the relay closed it (a socket we keep open only closes if the far side does); throws after `ms`. */
async function closedWithin(p: Probe, ms: number): Promise<boolean> {
  await eventually('the relay to close the connection', () => p.closedAt !== undefined, ms, 20);
  return true;
}

/**
 * A connection from `from` the guard admitted: it was handed to the gRPC server, which completes a TLS handshake
 * (a refused one is closed before TLS). Resolves false if the relay closed it first. Kept open until the test ends.
 */
async function admitted(f: Fixture, from: string, t: { teardown(f: () => unknown): void }): Promise<{ ok: boolean; close(): void }> {
  const tcp = tcpConnect({ port: f.relay.port, host: '127.0.0.1', localAddress: from });
  const tls = tlsConnect({ socket: tcp, ca: readFileSync(f.caFile), ALPNProtocols: ['h2'], servername: 'localhost' });
  tls.on('error', () => undefined);
  t.teardown(() => tls.destroy());
  const ok = await new Promise<boolean>((resolve) => {
    tls.once('secureConnect', () => resolve(true));
    tls.once('close', () => resolve(false));
  });
  return { ok, close: () => tls.destroy() };
}

async function rejected(f: Fixture, reason: string): Promise<number> {
  const m = await f.relay.registry.getSingleMetric('ecigw_relay_connections_rejected_total')!.get();
  return m.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

async function agentWorks(f: Fixture): Promise<void> {
  const c = f.client({ tls: f.tlsFor(await f.clientCert('agent-1')) });
  c.start();
  await once(c, 'connected', 15_000);
  await c.list();
  await c.stop();
}

test('connections per source are capped: idle sockets from one address cannot keep others out', async (t) => {
  const f = await fixture({ maxConnectionsPerSource: 4, handshakeTimeoutMs: 120_000 });
  t.teardown(() => f.close());
  const held = await Promise.all([1, 2, 3, 4].map(() => idle(f.relay.port, '127.0.0.2', t)));
  const fifth = await idle(f.relay.port, '127.0.0.2', t);
  t.true(await closedWithin(fifth, 5_000), 'the fifth connection from 127.0.0.2 is closed at once');
  t.true(await eventually('counted', async () => (await rejected(f, 'source_connections')) >= 1, 5_000, 50));
  for (const h of held) t.is(h.closedAt, undefined, 'the four admitted ones stay (until their deadline)');
  await agentWorks(f); // 127.0.0.1 is another source
  // Another address is its own source too: admitted (its TLS handshake completes).
  t.true((await admitted(f, '127.0.0.3', t)).ok, 'a connection from 127.0.0.3 is admitted');
});

test('total connections are capped', async (t) => {
  const f = await fixture({ maxConnections: 3, handshakeTimeoutMs: 120_000 });
  t.teardown(() => f.close());
  const held = await Promise.all(['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((a) => idle(f.relay.port, a, t)));
  const fourth = await idle(f.relay.port, '127.0.0.5', t);
  t.true(await closedWithin(fourth, 5_000));
  t.true((await rejected(f, 'max_connections')) >= 1);
  for (const h of held) h.socket.destroy();
  await eventually('slots freed', async () => (await f.relay.registry.getSingleMetric('ecigw_relay_connections_open')!.get()).values[0]?.value === 0, 5_000, 20);
  await agentWorks(f);
});

test('a connection that does not authenticate a call within handshakeTimeoutMs is closed; an agent\'s is not', async (t) => {
  const f = await fixture({ handshakeTimeoutMs: 600 });
  t.teardown(() => f.close());
  // 1. TCP only, nothing sent.
  const silent = await idle(f.relay.port, '127.0.0.2', t);
  // 2. TLS and HTTP/2 preface done, no call.
  const tcp = tcpConnect({ port: f.relay.port, host: '127.0.0.1', localAddress: '127.0.0.3' });
  const tls = tlsConnect({ socket: tcp, ca: readFileSync(f.caFile), ALPNProtocols: ['h2'], servername: 'localhost' });
  tls.on('error', () => undefined);
  tls.resume();
  t.teardown(() => tls.destroy());
  await new Promise<void>((r) => tls.once('secureConnect', () => r()));
  tls.write(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'));
  const tlsClosed = new Promise<number>((r) => tls.once('close', () => r(Date.now())));
  // 3. An agent that authenticates at once.
  const c = f.client({ tls: f.tlsFor(await f.clientCert('agent-1')) });
  const states: string[] = [];
  c.on('state', (s: string) => states.push(s));
  c.start();
  await once(c, 'connected');

  t.true(await closedWithin(silent, 5_000), 'silent TCP closed');
  const tlsAt = await Promise.race([tlsClosed, new Promise<number>((r) => setTimeout(() => r(0), 5_000))]);
  t.true(tlsAt > 0, 'TLS without a call closed');
  t.log(`closed after ${silent.closedAt! - silent.connectedAt!} ms (TCP only)`);
  t.true((await rejected(f, 'handshake_timeout')) >= 2);
  // The agent connected before both were closed, and is still on its first connection.
  await c.list();
  t.deepEqual(states, ['connecting', 'connected']);
  await c.stop();
});

test('new connections per source are rate limited', async (t) => {
  const f = await fixture({ connectionsPerSecondPerSource: 0.001, connectionBurstPerSource: 3, handshakeTimeoutMs: 120_000 });
  t.teardown(() => f.close());
  for (let i = 0; i < 3; i++) {
    const p = await admitted(f, '127.0.0.2', t);
    t.true(p.ok, `connection ${i + 1} admitted (its TLS handshake completes)`);
    p.close();
  }
  const fourth = await idle(f.relay.port, '127.0.0.2', t);
  t.true(await closedWithin(fourth, 5_000), 'the fourth in a row is refused');
  t.true((await rejected(f, 'source_rate')) >= 1);
  await agentWorks(f);
});

test('a source that keeps failing authentication is cut off; other sources are served', async (t) => {
  const f = await fixture({ authFailuresPerMinutePerSource: 0.001, authFailureBurstPerSource: 3 });
  t.teardown(() => f.close());
  const fwd = await startForwarder(f.relay.port, { localAddress: '127.0.0.4' });
  t.teardown(() => fwd.close());
  // A real gRPC client over TLS with a token the relay does not know, from 127.0.0.4.
  const raw = new TunnelServiceClient(`127.0.0.1:${fwd.port}`, grpc.credentials.createSsl(readFileSync(f.caFile))) as unknown as grpc.Client & {
    ListPods(req: object, md: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void): void;
  };
  t.teardown(() => raw.close());
  const md = new grpc.Metadata();
  md.set(METADATA.clusterId, 'c1');
  md.set(METADATA.protocol, String(PROTOCOL_VERSION));
  md.set('authorization', 'Bearer guessed-token');
  const call = () => new Promise<grpc.ServiceError>((resolve) => raw.ListPods({}, md, { deadline: Date.now() + 5_000 }, (e) => resolve(e!)));
  for (let i = 0; i < 3; i++) t.is((await call()).code, grpc.status.UNAUTHENTICATED, `failure ${i + 1} is answered`);
  // The fourth failure exhausts the budget: that connection is closed, and new ones from 127.0.0.4 are refused.
  t.is((await call()).code, grpc.status.UNAUTHENTICATED);
  await eventually('the connection closed', async () => (await rejected(f, 'auth_failures')) >= 1, 5_000, 50);
  const fresh = await idle(f.relay.port, '127.0.0.4', t);
  t.true(await closedWithin(fresh, 5_000), 'a new connection from the same source is refused before TLS');
  t.true((await rejected(f, 'auth_failures')) >= 2);
  const next = await call();
  t.is(next.code, grpc.status.UNAVAILABLE, `the client cannot get through any more: ${next.details}`);
  await agentWorks(f);
});
