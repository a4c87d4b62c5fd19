// A hostile SPDY/3.1 peer against our server session, over an in-process Duplex pair (so a peer that does
// not read makes our writes queue at once): frames that break the stream state machine get the RST_STREAM
// SPDY/3.1 prescribes and are never pushed to a reader; too many end the session; a peer that floods us
// with frames that need answers and reads nothing is paused and then dropped with GOAWAY, with our queued
// output bounded; a legitimate slow reader is not dropped; inbound bytes held for readers are bounded.
import test from 'ava';
import { createServer, connect, type Socket, type AddressInfo } from 'node:net';
import { SpdySession, MAX_SETTINGS_ENTRIES, type SpdySessionOptions } from '../../../../agent/kubelet-api/spdy/session.js';
import type { SpdyStream } from '../../../../agent/kubelet-api/spdy/stream.js';
import { RstStatus, type Frame } from '../../../../agent/kubelet-api/spdy/frames.js';
import { eventually } from '../../../helpers/wait.js';
import { duplexPair } from '../duplex-pair.js';
import { RawSpdyClient } from '../raw-spdy.js';

function setup(t: { teardown(f: () => void): void }, opts: Partial<SpdySessionOptions> = {}) {
  const [serverEnd, clientEnd] = duplexPair();
  const server = new SpdySession(serverEnd, { role: 'server', ...opts });
  const client = RawSpdyClient.attach(clientEnd);
  const violations: string[] = [];
  server.on('violation', (k: string) => violations.push(k));
  const streams: SpdyStream[] = [];
  const received = new Map<number, Buffer[]>();
  server.on('stream', (s: SpdyStream) => {
    streams.push(s);
    s.reply();
    received.set(s.id, []);
  });
  t.teardown(() => {
    server.close();
    client.close();
  });
  const alive = async (id: number) => {
    client.send({ type: 'ping', id });
    await client.waitFor(`pong ${id}`, (f) => f.type === 'ping' && f.id === id, 10_000);
  };
  const rst = (id: number) => client.waitFor(`RST_STREAM of ${id}`, (f) => f.type === 'rst_stream' && f.streamId === id, 10_000) as Promise<Extract<Frame, { type: 'rst_stream' }>>;
  return { server, serverEnd, client, clientEnd, violations, streams, received, alive, rst };
}

test('DATA after the peer FIN on a stream is answered with RST_STREAM STREAM_ALREADY_CLOSED and never pushed; the session goes on', async (t) => {
  const { server, client, violations, streams, alive, rst } = setup(t);
  const got: string[] = [];
  server.on('stream', (s: SpdyStream) => s.on('data', (b: Buffer) => got.push(b.toString())));
  // Half-closed by its SYN_STREAM, then written to in the same read: nothing but our own code handles it.
  client.send(client.syn(1, { streamType: 'stdin' }, true), client.data(1, 'after my own FIN'));
  t.is((await rst(1)).status, RstStatus.StreamAlreadyClosed);
  // And after a FIN on a DATA frame, with a reader that has seen the end.
  client.send(client.syn(3, { streamType: 'stdin' }), client.data(3, 'ok', true));
  await eventually('stream 3 ended', () => streams.find((s) => s.id === 3)?.readableEnded === true || got.includes('ok'));
  client.send(client.data(3, 'late'));
  t.is((await rst(3)).status, RstStatus.StreamAlreadyClosed);
  await alive(1);
  t.deepEqual(violations, ['data_after_fin', 'data_after_fin']);
  t.false(got.some((g) => g.includes('FIN') || g.includes('late')), JSON.stringify(got));
  t.is(server.streamCount, 0);
});

test('HEADERS after FIN: RST_STREAM STREAM_ALREADY_CLOSED', async (t) => {
  const { client, violations, alive, rst } = setup(t);
  client.send(client.syn(1, { streamType: 'stdin' }, true), { type: 'headers', streamId: 1, fin: false, headers: new Map([['x', ['y']]]) });
  t.is((await rst(1)).status, RstStatus.StreamAlreadyClosed);
  await alive(1);
  t.deepEqual(violations, ['headers_after_fin']);
});

test('SYN_REPLY for a stream the peer opened is a PROTOCOL_ERROR and does not stop our own reply; a second SYN_REPLY is STREAM_IN_USE', async (t) => {
  const [serverEnd, clientEnd] = duplexPair();
  const server = new SpdySession(serverEnd, { role: 'server' });
  const client = RawSpdyClient.attach(clientEnd);
  t.teardown(() => (server.close(), client.close()));
  const opened: SpdyStream[] = [];
  server.on('stream', (s: SpdyStream) => opened.push(s));
  client.send(client.syn(1, { streamType: 'stdout' }), { type: 'syn_reply', streamId: 1, fin: false, headers: new Map() });
  const r1 = await client.waitFor('RST 1', (f) => f.type === 'rst_stream' && f.streamId === 1);
  t.is(r1.type === 'rst_stream' && r1.status, RstStatus.ProtocolError);
  // A stream the server opens: the peer replies twice.
  const ours = server.openStream(new Map([['x', ['1']]]));
  ours.on('error', () => undefined);
  await client.waitFor('SYN_STREAM 2', (f) => f.type === 'syn_stream' && f.streamId === 2);
  client.send({ type: 'syn_reply', streamId: 2, fin: false, headers: new Map() }, { type: 'syn_reply', streamId: 2, fin: false, headers: new Map() });
  const r2 = await client.waitFor('RST 2', (f) => f.type === 'rst_stream' && f.streamId === 2);
  t.is(r2.type === 'rst_stream' && r2.status, RstStatus.StreamInUse);
  // Stream 3 opened normally still gets the server's SYN_REPLY.
  server.on('stream', (s: SpdyStream) => s.reply());
  client.send(client.syn(3, { streamType: 'stdout' }));
  await client.waitFor('SYN_REPLY 3', (f) => f.type === 'syn_reply' && f.streamId === 3);
});

test('WINDOW_UPDATE past 2^31-1 is a FLOW_CONTROL_ERROR; a zero delta is a PROTOCOL_ERROR', async (t) => {
  const { client, violations, alive, rst } = setup(t);
  client.send(client.syn(1, {}), { type: 'window_update', streamId: 1, delta: 0x7fffffff });
  t.is((await rst(1)).status, RstStatus.FlowControlError);
  client.send(client.syn(3, {}), { type: 'window_update', streamId: 3, delta: 0 });
  t.is((await rst(3)).status, RstStatus.ProtocolError);
  await alive(1);
  t.deepEqual(violations, ['bad_window_update', 'bad_window_update']);
});

test('SETTINGS: more entries than any endpoint needs end the session; window changes apply to every open stream at once', async (t) => {
  const a = setup(t);
  // Window arithmetic over many streams and many SETTINGS: what a stream may send is initial + updates - sent.
  for (let i = 0; i < 100; i++) a.client.send(a.client.syn(1 + 2 * i, {}));
  const flips = Array.from({ length: 500 }, (_, i): Frame => ({ type: 'settings', settings: [{ id: 7, flags: 0, value: i % 2 ? 1000 : 5000 }] }));
  a.client.send(...flips, { type: 'window_update', streamId: 7, delta: 10 });
  await a.alive(1);
  t.is(a.streams.length, 100);
  t.is(a.streams[3].sendWindow, 1000 + 10);
  t.is(a.streams[4].sendWindow, 1000);
  const b = setup(t);
  const closed = new Promise<void>((r) => b.server.once('close', r));
  b.client.send({ type: 'settings', settings: Array.from({ length: MAX_SETTINGS_ENTRIES + 1 }, (_, i) => ({ id: 7, flags: 0, value: i })) });
  const goaway = await b.client.waitFor('GOAWAY', (f) => f.type === 'goaway');
  t.is(goaway.type === 'goaway' && goaway.status, 1);
  await closed;
  t.deepEqual(b.violations, ['bad_settings']);
});

test('DATA on a stream never opened is INVALID_STREAM; on a stream we reset it is dropped quietly; RST_STREAM is never answered', async (t) => {
  const { client, violations, streams, alive, rst } = setup(t);
  client.send(client.data(41, 'who?'));
  t.is((await rst(41)).status, RstStatus.InvalidStream);
  client.send(client.syn(1, {}));
  await alive(1);
  streams[0].reset();
  await rst(1);
  client.send(client.data(1, 'in flight before it saw our RST'));
  // RST_STREAM of streams that never were, or are gone, is never answered (no RST storms between peers).
  client.send({ type: 'rst_stream', streamId: 99, status: RstStatus.Cancel }, { type: 'rst_stream', streamId: 1, status: RstStatus.Cancel });
  await alive(3);
  t.deepEqual(violations, ['data_unknown_stream']);
  t.is(client.frames.filter((f) => f.type === 'rst_stream').length, 2);
});

test('a peer that keeps violating the protocol is dropped with GOAWAY after maxViolations', async (t) => {
  const { server, client, violations } = setup(t, { maxViolations: 20 });
  const closed = new Promise<void>((r) => server.once('close', r));
  client.send(...Array.from({ length: 50 }, (_, i) => client.data(1001 + 2 * i, 'x')));
  const goaway = await client.waitFor('GOAWAY', (f) => f.type === 'goaway');
  t.is(goaway.type === 'goaway' && goaway.status, 1);
  await closed;
  t.is(violations.length, 22); // 21 stream errors, then the session error that ends it
  t.is(violations.at(-1), 'too_many_violations');
});

test('a peer that floods PINGs and reads nothing: our queued output stays bounded, we stop reading, then drop it with GOAWAY', async (t) => {
  const maxQueuedOutputBytes = 64 * 1024;
  const { server, serverEnd, client, clientEnd } = setup(t, { maxQueuedOutputBytes, maxQueuedOutputFrames: 256, outputStallTimeoutMs: 300 });
  clientEnd.pause(); // reads nothing from now on
  let peak = 0;
  const sample = () => (peak = Math.max(peak, serverEnd.writableLength));
  server.on('outputBlocked', sample);
  const stalled = new Promise<void>((r) => server.once('outputStall', r));
  const closed = new Promise<void>((r) => server.once('close', r));
  // 4 MiB of pings, each asking for a 12-byte answer.
  const batch = Array.from({ length: 4096 }, (_, i): Frame => ({ type: 'ping', id: 2 * i + 1 }));
  for (let i = 0; i < 85; i++) {
    client.send(...batch);
    sample();
    t.true(peak <= maxQueuedOutputBytes + 12 * 2, `queued output at ${peak} bytes after ${(i + 1) * 4096} pings`);
    t.true(server.bufferedInputBytes <= 4096 * 12 + 12, `undecoded input ${server.bufferedInputBytes}`);
  }
  await stalled;
  await closed;
  sample();
  t.true(peak <= maxQueuedOutputBytes + 12 * 2, `queued output peaked at ${peak} bytes`);
});

test('output written faster than it is sent goes out in fewer DATA frames of at most 128 KiB, byte for byte', async (t) => {
  const { client, clientEnd, streams } = setup(t);
  client.send(client.syn(1, { streamType: 'stdout' }, true));
  await client.waitFor('SYN_REPLY', (f) => f.type === 'syn_reply');
  clientEnd.pause(); // our frames queue: the stream's writes wait, and are handed over together
  const pieces = Array.from({ length: 200 }, (_, i) => Buffer.alloc(16 * 1024 + i, i));
  for (const p of pieces) streams[0].write(p);
  const total = pieces.reduce((a, p) => a + p.length, 0);
  clientEnd.resume();
  await eventually('all bytes arrived', () => client.frames.reduce((a, f) => a + (f.type === 'data' ? f.data.length : 0), 0) === total, 30_000, 20);
  const data = client.frames.flatMap((f) => (f.type === 'data' ? [f.data] : []));
  t.true(data.every((d) => d.length <= 128 * 1024), `frames of ${data.map((d) => d.length).join(', ')} bytes`);
  t.true(data.length < pieces.length / 4, `${pieces.length} writes went out as ${data.length} DATA frames`);
  t.true(Buffer.concat(data).equals(Buffer.concat(pieces)), 'the bytes, in order');
});

test('a slow reader of a big output is not dropped: DATA waits for room, never over the data high-water mark', async (t) => {
  const { server, serverEnd, client, clientEnd, streams } = setup(t, { outputStallTimeoutMs: 200, dataHighWaterMark: 64 * 1024 });
  // A drop needs the output bound to be crossed first: count every time it is.
  let blocked = 0;
  server.on('outputBlocked', () => blocked++);
  client.send(client.syn(1, { streamType: 'stdout' }, true));
  await client.waitFor('SYN_REPLY', (f) => f.type === 'syn_reply');
  clientEnd.pause();
  const total = 8 * 1024 * 1024;
  const wrote = new Promise<void>((r) => streams[0].end(Buffer.alloc(total, 1), () => r()));
  // The writer is held back: the socket holds the data high-water mark, the rest waits in the stream.
  await eventually('backpressure reaches the stream', () => serverEnd.writableLength >= 64 * 1024 && streams[0].writableLength > 0, 10_000, 10);
  // At most the high-water mark, one DATA frame (128 KiB) and the duplex pair's own buffer.
  t.true(serverEnd.writableLength <= 64 * 1024 + 128 * 1024 + 8 + 16 * 1024, `queued ${serverEnd.writableLength}`);
  t.is(blocked, 0);
  clientEnd.resume();
  await wrote;
  await eventually('all data read', () => client.received(1).length === total, 30_000, 50);
  t.is(blocked, 0);
});

test('inbound bytes held for readers are bounded per session, not only per stream', async (t) => {
  const budget = 256 * 1024;
  const { server, client, streams } = setup(t, { streamHighWaterMark: 64 * 1024, maxBufferedInputBytes: budget });
  for (let i = 0; i < 40; i++) client.send(client.syn(1 + 2 * i, {}), client.data(1 + 2 * i, Buffer.alloc(60 * 1024, i)));
  await eventually('streams opened', () => streams.length >= 4);
  const held = () => streams.reduce((n, s) => n + s.readableLength, 0);
  // Nobody reads: the session stops reading the peer once the readers together hold the budget.
  await eventually('session paused', () => held() >= budget);
  const atPause = held();
  await new Promise((r) => setImmediate(r));
  t.is(held(), atPause);
  t.true(atPause <= budget + 64 * 1024, `held ${atPause}`);
  // Reading frees room: the rest arrives.
  server.on('stream', (s: SpdyStream) => s.resume());
  for (const s of streams) s.resume();
  await eventually('all 40 streams', () => streams.length === 40, 10_000);
});

test('a session paused for a reader that does not read still notices that the peer has gone (loopback TCP)', async (t) => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => srv.close());
  const accepted = new Promise<Socket>((r) => srv.once('connection', r));
  const clientSocket = connect((srv.address() as AddressInfo).port, '127.0.0.1');
  const server = new SpdySession(await accepted, { role: 'server', streamHighWaterMark: 16 * 1024, pausedProbeMs: 100 });
  t.teardown(() => server.close());
  const opened = new Promise<SpdyStream>((r) => server.once('stream', r)); // and never read
  const client = RawSpdyClient.attach(clientSocket);
  client.send(client.syn(1, { streamType: 'stdin' }), ...Array.from({ length: 16 }, () => client.data(1, Buffer.alloc(16 * 1024))));
  const stream = await opened;
  await eventually('the server stops reading', () => stream.readableLength >= 16 * 1024);
  const errors: string[] = [];
  server.on('socketError', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message));
  const closed = new Promise<void>((r) => server.once('close', r));
  clientSocket.destroy(); // the peer goes away without the server reading its FIN
  await closed;
  // Noticed by writing (the probe), not by reading: the socket write failed on the dead connection.
  t.true(errors.length > 0, 'the probe write failed on the dead connection');
  t.true(stream.destroyed);
});
