// socket-pump.ts over real loopback sockets: the pump reuses one read buffer, so a chunk written while the
// target still holds the last one would corrupt it. Each test sends a known pseudo-random stream through a
// pump into a target whose reader stalls now and then (so writes queue and the copy path runs) and compares
// digests; plain TCP and TLS targets, the chunks read before `start`, and the half-close.
import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect as connectTls, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { SocketPump } from '../../common/socket-pump.js';
import { createCa, issueCert } from '../../common/pki.js';
import { eventually } from '../helpers/wait.js';

/** Every socket a test opens, destroyed when it ends (the servers' close waits for them); the tests run one at a time. */
const opened = new Set<Socket>();
test.afterEach.always(() => {
  for (const s of opened) s.destroy();
  opened.clear();
});
const track = <S extends Socket>(s: S): S => (opened.add(s), s);

const listen = (server: Server): Promise<number> => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A server that writes `payload` to each connection, then its FIN. */
async function source(payload: Buffer): Promise<{ port: number; close(): void }> {
  const server = createServer({ allowHalfOpen: true }, (s) => track(s).end(payload));
  return { port: await listen(server), close: () => server.close() };
}

/** What a reader got, reading in bursts with pauses (`stallEvery` bytes, for a few ms) until the FIN. */
function slowReader(s: Socket, stallEvery: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    let sinceStall = 0;
    s.on('data', (d: Buffer) => {
      got.push(d);
      sinceStall += d.length;
      if (sinceStall >= stallEvery) {
        sinceStall = 0;
        s.pause();
        setTimeout(() => s.resume(), 3);
      }
    });
    s.on('end', () => resolve(Buffer.concat(got)));
    s.on('error', reject);
  });
}

/** Dials the source with the pump's buffer and connects it to `target` once connected. */
function pumpFrom(port: number, pump: SocketPump): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = track(connect({ host: '127.0.0.1', port, allowHalfOpen: true, onread: pump.onread }));
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** A plain TCP server whose connection a slow reader reads; `received` is what it got, once a client came. */
async function slowSink(): Promise<{ port: number; received: () => Promise<Buffer>; close(): void }> {
  let got: Promise<Buffer> | undefined;
  const server = createServer({ allowHalfOpen: true }, (s) => void (got = slowReader(track(s), 1 << 20)));
  const port = await listen(server);
  return {
    port,
    received: async () => eventually('the sink to accept', () => got, 5_000, 10),
    close: () => server.close(),
  };
}

/** Connects a plain TCP socket to `port`. */
async function dialPlain(port: number): Promise<Socket> {
  const to = track(connect({ host: '127.0.0.1', port, allowHalfOpen: true }));
  await new Promise((r) => to.once('connect', r));
  return to;
}

test.serial('bytes reach a plain TCP target intact and in order while its reader stalls', async (t) => {
  const payload = randomBytes(24 << 20);
  const src = await source(payload);
  const sink = await slowSink();
  try {
    const pump = new SocketPump();
    const from = await pumpFrom(src.port, pump);
    pump.start(from, await dialPlain(sink.port));
    const got = await sink.received();
    t.is(got.length, payload.length);
    t.is(digest(got), digest(payload), 'no chunk was overwritten while queued');
  } finally {
    src.close();
    sink.close();
  }
});

test.serial('bytes reach a TLS target intact (encryption takes each chunk as it is written)', async (t) => {
  const ca = await createCa('pump-ca');
  const cert = await issueCert(ca, { cn: 'pump', dns: ['localhost'], ips: ['127.0.0.1'], server: true });
  const payload = randomBytes(16 << 20);
  const src = await source(payload);
  let received!: Promise<Buffer>;
  const sink = createTlsServer({ cert: cert.certPem, key: cert.keyPem, allowHalfOpen: true }, (s) => void (received = slowReader(track(s), 2 << 20)));
  const sinkPort = await listen(sink);
  try {
    const pump = new SocketPump();
    const from = await pumpFrom(src.port, pump);
    const to: TLSSocket = track(connectTls({ host: '127.0.0.1', port: sinkPort, ca: ca.certPem, servername: 'localhost' }));
    await new Promise((r) => to.once('secureConnect', r));
    pump.start(from, to);
    await eventually('the sink to accept', () => received !== undefined, 5_000, 10);
    t.is(digest(await received), digest(payload));
  } finally {
    src.close();
    sink.close();
  }
});

test.serial('chunks read before start go to the intercept handler as copies, and start sends the rest after them', async (t) => {
  const payload = randomBytes(4 << 20);
  const src = await source(payload);
  const sink = await slowSink();
  try {
    const pump = new SocketPump();
    const intercepted: Buffer[] = [];
    // Take the first chunk, then stop reading (as a data link does at the relay's first byte).
    pump.intercept((chunk) => (intercepted.push(chunk), false));
    const from = await pumpFrom(src.port, pump);
    await eventually('the first chunk', () => intercepted.length === 1, 5_000, 10);
    const first = intercepted[0];
    const copy = Buffer.from(first);
    const to = await dialPlain(sink.port);
    to.write(first);
    pump.start(from, to);
    const got = await sink.received();
    t.is(intercepted.length, 1, 'reading stopped after the handler said so, until start');
    t.true(first.equals(copy), 'the intercepted chunk is the handler\'s own copy, not the read buffer');
    t.is(digest(got), digest(payload));
  } finally {
    src.close();
    sink.close();
  }
});

test.serial('the source\'s FIN half-closes the target, which can still send the other way', async (t) => {
  const src = await source(Buffer.from('hello'));
  let serverSide!: Socket;
  const sink = createServer({ allowHalfOpen: true }, (s) => (serverSide = track(s)));
  const sinkPort = await listen(sink);
  try {
    const pump = new SocketPump();
    const from = await pumpFrom(src.port, pump);
    const to = await dialPlain(sinkPort);
    pump.start(from, to);
    await eventually('the sink to accept', () => serverSide !== undefined, 5_000, 10);
    const got = await slowReader(serverSide, 1 << 20);
    t.is(got.toString(), 'hello');
    const back = new Promise<string>((resolve) => to.once('data', (d: Buffer) => resolve(d.toString())));
    serverSide.end('still open');
    t.is(await back, 'still open');
  } finally {
    src.close();
    sink.close();
  }
});
