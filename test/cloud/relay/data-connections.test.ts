// Session data connections (proto/data-connection.ts) over real TLS: output of exec through them byte for
// byte with the exit status after it; what the listener does with connections that are not an agent's
// (garbage, unknown or replayed tokens, silence, floods); and sessions of agents that do not use them.
import test, { type ExecutionContext } from 'ava';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { createServer, connect as tcpConnect, type AddressInfo } from 'node:net';
import { text, buffer } from 'node:stream/consumers';
import { Counter, Registry } from 'prom-client';
import { fixture, podIntent, type Fixture } from '../../helpers/tunnel/fixture.js';
import { eventually } from '../../helpers/wait.js';
import { createCa, issueCert } from '../../../common/pki.js';
import { logger } from '../../../common/log.js';
import { DataConnections } from '../../../cloud/relay/data-connections.js';
import { DATA_ACCEPTED, DATA_ACCEPTED_WITH_INPUT, DATA_TLS_CIPHERS, dataHello } from '../../../proto/data-connection.js';
import { METADATA, PROTOCOL_VERSION } from '../../../proto/wire.js';
import { TunnelServiceClient } from '../../../proto/load.js';

let f: Fixture;
const uid = randomUUID();
test.before(async () => {
  f = await fixture({}, { data: { port: 0, helloTimeoutMs: 300, waitMs: 3000, maxPending: 5, maxPendingPerSource: 3 } });
});
test.after.always(async () => {
  await f?.close();
});

const outcome = async (name: string) => {
  const m = await f.relay.registry.getSingleMetric('ecigw_relay_data_connections_total')!.get();
  return m.values.find((v) => v.labels.outcome === name)?.value ?? 0;
};
const start = (command: string[]) => ({ namespace: 'default', podName: 'p', podUid: uid, container: 'main', command, stdout: true, stderr: true });

/** A TLS connection to the data port that trusts anything (an attacker need not verify the relay). */
function raw(port: number, o: { ciphers?: string } = {}): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...o }, () => resolve(s));
    s.once('error', reject);
  });
}
const closed = (s: TLSSocket) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));

test.serial('exec output comes on a data connection, byte for byte, and the exit status after it', async (t) => {
  const c = await f.connectedClient('agent-1');
  await c.apply(podIntent(uid));
  const before = await outcome('claimed');
  const s = await c.exec(start(['yes', String(8 * 1024 * 1024)]));
  const [out, exit] = await Promise.all([buffer(s.stdout), s.exit]);
  t.is(out.length, 8 * 1024 * 1024);
  t.true(out.every((b) => b === 0x79));
  t.is(exit.code, 0);
  const err = await c.exec(start(['stderr', 'on', 'stderr']));
  const [o2, e2] = await Promise.all([text(err.stdout), text(err.stderr), err.exit]);
  t.is(o2, '');
  t.is(e2, 'on stderr\n');
  t.is(await outcome('claimed'), before + 2, 'both sessions took a data connection');
});

test.serial('an agent that does not take data connections gets its output on the tunnel', async (t) => {
  const c = await f.connectedClient('agent-1', { dataConnections: false });
  await c.apply(podIntent(uid));
  const before = await outcome('claimed');
  const s = await c.exec(start(['echo', 'over', 'grpc']));
  t.is(await text(s.stdout), 'over grpc\n');
  t.is((await s.exit).code, 0);
  t.is(await outcome('claimed'), before);
});

/** A raw Exec call of agent-1 (c1) asking for a data connection, `input` saying it can send stdin on it too. */
async function rawExec(t: ExecutionContext, input: boolean) {
  const cert = await f.clientCert('agent-1');
  const creds = grpc.credentials.createSsl(readFileSync(f.caFile), readFileSync(cert.keyFile), readFileSync(cert.certFile));
  const raw = new TunnelServiceClient(`127.0.0.1:${f.relay.port}`, creds) as unknown as grpc.Client & { Exec(md: grpc.Metadata): grpc.ClientDuplexStream<object, { msg?: string; exit?: { code: number } }> };
  t.teardown(() => raw.close());
  const md = new grpc.Metadata();
  md.set(METADATA.clusterId, 'c1');
  md.set(METADATA.protocol, String(PROTOCOL_VERSION));
  md.set(METADATA.dataConnection, '1');
  if (input) md.set(METADATA.dataInput, '1');
  const call = raw.Exec(md);
  call.on('error', () => undefined); // a test that cancels the call does not care how it ends
  const headers = await new Promise<grpc.Metadata>((r) => call.once('metadata', r));
  const token = String(headers.get(METADATA.dataToken)[0]);
  const socket = await new Promise<TLSSocket>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: Number(headers.get(METADATA.dataPort)[0]), ca: readFileSync(f.caFile), ...certFiles(cert), allowHalfOpen: true } as ConnectionOptions, () => resolve(s));
    s.once('error', reject);
  });
  socket.write(dataHello(token));
  return { call, socket };
}
const certFiles = (c: { certFile: string; keyFile: string }) => ({ cert: readFileSync(c.certFile), key: readFileSync(c.keyFile) });

test.serial('stdin on the data connection when the agent asks: every byte reaches the command, none on the call, and the FIN closes it', async (t) => {
  const c = await f.connectedClient('agent-1');
  await c.apply(podIntent(uid));
  const { call, socket } = await rawExec(t, true);
  const exit = new Promise<{ code: number } | undefined>((resolve) => {
    let status: { code: number } | undefined;
    call.on('data', (m: { msg?: string; exit?: { code: number } }) => {
      if (m.msg === 'exit') status = m.exit;
    });
    call.on('end', () => resolve(status));
    call.on('error', () => resolve(undefined));
  });
  call.write({ start: { ...start(['cat']), stdin: true } });
  const input = randomBytes(4 * 1024 * 1024);
  const chunks: Buffer[] = [];
  const accepted = new Promise<void>((resolve, reject) => {
    socket.once('data', () => resolve());
    socket.once('close', () => reject(new Error('the relay closed the data connection without taking it')));
  });
  socket.on('data', (d: Buffer) => chunks.push(d));
  const ended = new Promise<void>((r) => socket.once('end', () => r()));
  await accepted; // an agent sends input only after the relay's first byte said it reads it
  socket.end(input); // stdin as it is, then the FIN: nothing goes on the call but the start
  await ended;
  const got = Buffer.concat(chunks);
  t.is(got[0], DATA_ACCEPTED_WITH_INPUT, 'the relay said it reads input here');
  // Output frames: [channel 1][length u32][payload]...
  const out: Buffer[] = [];
  for (let at = 1; at < got.length; ) {
    const len = got.readUInt32BE(at + 1);
    t.is(got[at], 1);
    out.push(got.subarray(at + 5, at + 5 + len));
    at += 5 + len;
  }
  t.true(Buffer.concat(out).equals(input), 'cat gave back every byte sent on the data connection');
  call.end();
  t.is((await exit)?.code, 0);
});

test.serial('an agent that does not ask to send input there is accepted for output only', async (t) => {
  const { call, socket } = await rawExec(t, false);
  call.write({ start: { ...start(['echo', 'out']) } });
  const first = await new Promise<Buffer>((r) => socket.once('data', r));
  t.is(first[0], DATA_ACCEPTED);
  socket.destroy();
  call.cancel();
});

test.serial('garbage, an unknown token, silence and a flood are closed and counted; none is an agent\'s', async (t) => {
  const port = f.relay.dataPort!;
  const garbage = await raw(port);
  garbage.write('GET / HTTP/1.1\r\nHost: relay.example\r\nAccept: */*\r\n\r\n');
  await closed(garbage);
  t.is(await outcome('bad_hello'), 1);

  const stranger = await raw(port);
  let got = Buffer.alloc(0);
  stranger.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
  stranger.write(dataHello(randomBytes(32).toString('base64url')));
  await closed(stranger);
  t.is(got.length, 0, 'nothing is sent to a connection that does not hold a live token');
  t.is(await outcome('unknown_token'), 1);

  const silent = await raw(port);
  const t0 = Date.now();
  await closed(silent);
  t.true(Date.now() - t0 < 2000, 'closed after the hello timeout');
  t.is(await outcome('hello_timeout'), 1);

  // One source may keep 3 connections waiting for their hello: the fourth is refused at once.
  const flood = await Promise.all([raw(port), raw(port), raw(port)]);
  const fourth = await raw(port).catch(() => undefined);
  if (fourth) await closed(fourth);
  await eventually('the fourth refused', async () => (await outcome('source_pending')) >= 1, 5000);
  for (const s of flood) s.destroy();
});

/** A DataConnections listener of its own on a fresh certificate, closed with the test. */
async function listener(t: ExecutionContext, o: { waitMs: number; helloTimeoutMs: number; maxPending: number }) {
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-data-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ca = await createCa('data-ca');
  const cert = await issueCert(ca, { cn: 'relay', ips: ['127.0.0.1'], server: true });
  writeFileSync(join(dir, 'c.pem'), cert.certPem);
  writeFileSync(join(dir, 'k.pem'), cert.keyPem);
  const outcomes = new Counter({ name: 'data_connections_total', help: 'outcomes', labelNames: ['outcome'], registers: [new Registry()] });
  const dc = new DataConnections({ host: '127.0.0.1', port: 0, certFile: join(dir, 'c.pem'), keyFile: join(dir, 'k.pem'), maxPendingPerSource: 8, ...o }, logger('test'), outcomes);
  await dc.start();
  t.teardown(() => dc.close());
  return { dc, outcomes };
}

test('data connections are encrypted with AES-128-GCM, the relay\'s choice, and a client that offers only AES-256-GCM still gets it', async (t) => {
  const port = f.relay.dataPort!;
  // A client that prefers AES-256-GCM (Node's own default order) gets the relay's order.
  const preferring256 = await raw(port, { ciphers: 'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256' });
  t.is(preferring256.getCipher().name, 'TLS_AES_128_GCM_SHA256');
  t.is(preferring256.getProtocol(), 'TLSv1.3');
  preferring256.destroy();
  const only256 = await raw(port, { ciphers: 'TLS_AES_256_GCM_SHA384' });
  t.is(only256.getCipher().name, 'TLS_AES_256_GCM_SHA384');
  only256.destroy();
  // The agent's own dial offers the same order (common/data-connection-dial.ts).
  t.true(DATA_TLS_CIPHERS.startsWith('TLS_AES_128_GCM_SHA256:'));
});

test('a TCP connection that never finishes its TLS handshake is closed after the hello timeout, not held 120 s', async (t) => {
  const tcp = tcpConnect({ host: '127.0.0.1', port: f.relay.dataPort! });
  t.teardown(() => tcp.destroy());
  tcp.on('error', () => undefined);
  tcp.resume();
  await new Promise((r) => tcp.once('connect', r));
  const since = Date.now();
  await eventually('the relay to close the silent connection', () => tcp.destroyed || tcp.readableEnded, 5_000, 20);
  t.true(Date.now() - since < 5_000);
});

test('a token is good for one connection, only while its session waits', async (t) => {
  const { dc, outcomes } = await listener(t, { waitMs: 400, helloTimeoutMs: 1000, maxPending: 8 });

  const first = dc.expect(new AbortController().signal);
  const a = await raw(dc.port);
  const ack = new Promise<Buffer>((r) => a.once('data', r));
  a.write(dataHello(first.token));
  const claimed = await first.socket;
  t.truthy(claimed, 'the session got its connection');
  t.is((await ack)[0], DATA_ACCEPTED);
  const replay = await raw(dc.port);
  replay.write(dataHello(first.token));
  await closed(replay);
  t.is((await outcomes.get()).values.find((v) => v.labels.outcome === 'unknown_token')?.value, 1, 'a used token is unknown');

  const late = dc.expect(new AbortController().signal);
  t.is(await late.socket, undefined, 'nobody came within waitMs: the session goes on without');
  const tooLate = await raw(dc.port);
  tooLate.write(dataHello(late.token));
  await closed(tooLate);
  const aborted = new AbortController();
  const gone = dc.expect(aborted.signal);
  aborted.abort();
  t.is(await gone.socket, undefined, 'an ended session stops waiting');
  a.destroy();
});

test('at most maxPending connections wait for their hello in all; more are refused at once', async (t) => {
  const { dc, outcomes } = await listener(t, { waitMs: 400, helloTimeoutMs: 5000, maxPending: 2 });
  const waiting = [await raw(dc.port), await raw(dc.port)];
  const third = await raw(dc.port).catch(() => undefined);
  if (third) await closed(third);
  await eventually('the third refused', async () => (await outcomes.get()).values.some((v) => v.labels.outcome === 'too_many_pending' && v.value === 1), 5000);
  // The waiting ones still get their session once they say hello.
  const e = dc.expect(new AbortController().signal);
  waiting[0].write(dataHello(e.token));
  t.truthy(await e.socket);
  for (const s of waiting) s.destroy();
});

test('an agent whose data connections cannot get out stops asking for a while: only its first session waits for the relay to give up', async (t) => {
  // The relay on 127.0.0.3, the agent's tunnel to it through a TCP forwarder on 127.0.0.1: the data port the
  // relay offers is dialled on 127.0.0.1, where nothing listens (a firewall that lets only the tunnel out).
  const g = await fixture({}, { host: '127.0.0.3', data: { port: 0, helloTimeoutMs: 300, waitMs: 1000, maxPending: 5, maxPendingPerSource: 3 } });
  t.teardown(() => g.close());
  const forwarder = createServer((c) => {
    const up = tcpConnect(g.relay.port, '127.0.0.3');
    c.pipe(up).pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  await new Promise<void>((r) => forwarder.listen(0, '127.0.0.1', r));
  t.teardown(() => forwarder.close());
  const metric = async (name: string) => (await g.relay.registry.getSingleMetric('ecigw_relay_data_connections_total')!.get()).values.find((v) => v.labels.outcome === name)?.value ?? 0;
  const c = await g.connectedClient('agent-1', { target: `127.0.0.1:${(forwarder.address() as AddressInfo).port}` });
  await c.apply(podIntent(uid));
  const first = await c.exec(start(['echo', 'first']));
  t.is(await text(first.stdout), 'first\n', 'the output falls back to the tunnel');
  t.is((await first.exit).code, 0);
  t.is(await metric('not_dialled'), 1, 'the first session asked, and the relay waited for it in vain');
  const second = await c.exec(start(['echo', 'second']));
  t.is(await text(second.stdout), 'second\n');
  t.is((await second.exit).code, 0);
  t.is(await metric('not_dialled'), 1, 'the second did not ask');
  t.is(await metric('claimed'), 0);
});

