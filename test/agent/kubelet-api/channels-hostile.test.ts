// A hostile WebSocket channel client (v5.channel.k8s.io) against ChannelMux over a real `ws` loopback
// connection: data after its own CLOSE of a channel, data on channels only the server writes, a ping flood
// from a client that reads nothing, and a resize flood; and how output that queues up is framed.
import test from 'ava';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { ChannelMux, terminalSizesFrom, type ChannelMuxOptions } from '../../../agent/kubelet-api/channels.js';
import type { TerminalSize } from '../../../agent/kubelet-api/backend.js';
import { eventually } from '../../helpers/wait.js';

async function connected(t: { teardown(f: () => void): void }, opts: ChannelMuxOptions = {}) {
  const http = createServer();
  // As the kubelet API server runs it: pings are the mux's to answer.
  const wss = new WebSocketServer({ server: http, autoPong: false });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const muxP = new Promise<{ mux: ChannelMux; serverWs: WebSocket }>((resolve) => wss.once('connection', (ws) => resolve({ mux: new ChannelMux(ws, ws.protocol, opts), serverWs: ws })));
  const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/`, ['v5.channel.k8s.io']);
  client.on('error', () => undefined);
  await new Promise<void>((r, j) => (client.once('open', () => r()), client.once('error', j)));
  const { mux, serverWs } = await muxP;
  const violations: string[] = [];
  mux.on('violation', (k: string) => violations.push(k));
  t.teardown(() => {
    client.terminate();
    mux.close();
    wss.close();
    http.close();
  });
  const rawSocket = (client as unknown as { _socket: import('node:net').Socket })._socket;
  return { mux, client, violations, rawSocket, serverWs };
}

const msg = (ch: number, s: string | Buffer) => Buffer.concat([Buffer.from([ch]), Buffer.from(s)]);

test('data after the client CLOSEs its stdin is dropped and counted; the session goes on', async (t) => {
  const { mux, client, violations, rawSocket } = await connected(t);
  const stdin = mux.channel(0, true);
  const stdout = mux.channel(1);
  const got: string[] = [];
  stdin.on('data', (b: Buffer) => got.push(b.toString()));
  const ended = new Promise<void>((r) => stdin.once('end', () => r()));
  // One TCP write: the server parses data, CLOSE and more data back to back.
  rawSocket.cork();
  client.send(msg(0, 'kept'));
  client.send(Buffer.from([255, 0]));
  client.send(msg(0, 'after close'));
  rawSocket.uncork();
  await ended;
  await eventually('violation counted', () => violations.includes('data_after_close'));
  t.deepEqual(got, ['kept']);
  const echoed = new Promise<Buffer>((r) => client.once('message', (d: Buffer) => r(d)));
  stdout.write('still here');
  t.deepEqual(await echoed, msg(1, 'still here'));
});

test('data on a channel only the server writes is dropped and does not stall the input channels', async (t) => {
  const { mux, client, violations } = await connected(t);
  const stdin = mux.channel(0, true);
  mux.channel(1);
  mux.channel(3);
  // 512 KiB at stdout and error: buffered for a reader that does not exist, this would pause the WebSocket.
  for (let i = 0; i < 8; i++) client.send(msg(i % 2 ? 3 : 1, Buffer.alloc(64 * 1024)));
  client.send(msg(0, 'hello'));
  const got = await new Promise<string>((r) => stdin.once('data', (b: Buffer) => r(b.toString())));
  t.is(got, 'hello');
  t.is(violations.filter((v) => v === 'data_on_output_channel').length, 8);
});

test('pings are answered; a client that floods pings and reads nothing gets no more pongs, is paused, then dropped', async (t) => {
  const maxQueuedOutputBytes = 64 * 1024;
  const { mux, client, rawSocket } = await connected(t, { maxQueuedOutputBytes, outputStallTimeoutMs: 300 });
  mux.channel(0, true);
  const pong = new Promise<Buffer>((r) => client.once('pong', r));
  client.ping(Buffer.from('are you there'));
  t.is((await pong).toString(), 'are you there');

  let peak = 0;
  mux.on('outputBlocked', () => (peak = Math.max(peak, mux.queuedOutputBytes)));
  const stalled = new Promise<void>((r) => mux.once('outputStall', r));
  const closed = new Promise<void>((r) => mux.once('close', r));
  rawSocket.pause(); // the client reads nothing from here on
  // Masked ping frames with 125-byte payloads (each answer: 127 bytes), written raw: 64 MiB of answers asked for.
  const ping = Buffer.concat([Buffer.from([0x89, 0x80 | 125, 0, 0, 0, 0]), Buffer.alloc(125, 0x61)]);
  const batch = Buffer.concat(Array.from({ length: 4096 }, () => ping));
  for (let i = 0; i < 128 && !rawSocket.destroyed; i++) {
    if (rawSocket.write(batch)) continue;
    await new Promise<void>((resolve) => {
      const done = () => (rawSocket.off('drain', done), resolve());
      rawSocket.on('drain', done);
      void stalled.then(done);
    });
  }
  await stalled;
  await closed;
  // Over the bound by at most what was already in flight when it was crossed (one pong per parsed ping of a read).
  t.true(peak > 0 && peak <= maxQueuedOutputBytes + 64 * 1024 + 256 * 1024, `queued output peaked at ${peak}`);
});

test('a resize flood reaches the backend as one size per chunk read, the newest', (t) => {
  const wire = new PassThrough();
  const sizes = terminalSizesFrom(wire);
  const seen: TerminalSize[] = [];
  sizes.follow((s) => seen.push(s));
  wire.write(Array.from({ length: 5000 }, (_, i) => JSON.stringify({ Width: 80 + (i % 50), Height: 24 })).join(''));
  wire.write('{"Width":120,"Height":40}');
  t.deepEqual(seen, [
    { cols: 80 + (4999 % 50), rows: 24 },
    { cols: 120, rows: 40 },
  ]);
});

test('a connection paused for a channel nobody reads still notices that the client has gone', async (t) => {
  const { mux, client, serverWs } = await connected(t, { pausedProbeMs: 100 });
  mux.channel(0, true); // never read
  for (let i = 0; i < 4; i++) client.send(msg(0, Buffer.alloc(64 * 1024)));
  await eventually('the server stops reading', () => mux.channel(0).readableLength >= 64 * 1024);
  t.true(serverWs.isPaused, 'the server stopped reading the connection');
  const closed = new Promise<boolean>((r) => mux.once('close', () => r(serverWs.isPaused)));
  client.terminate();
  // Noticed while still paused, so not by reading up to the client's end: by the probe.
  t.true(await closed, 'the connection was still paused when its end was noticed');
  t.true(mux.isClosed);
});

test('output written faster than it is sent goes out in fewer messages, each the channel byte and at most 256 KiB, byte for byte', async (t) => {
  const { mux, client } = await connected(t);
  const stdout = mux.channel(1);
  const messages: Buffer[] = [];
  client.on('message', (d: Buffer) => messages.push(d));
  const pieces = Array.from({ length: 40 }, (_, i) => Buffer.alloc(5000 + i, i));
  for (const p of pieces) stdout.write(p); // all queued at once: the stream hands them over together
  const total = pieces.reduce((a, p) => a + p.length, 0);
  await eventually('all bytes arrived', () => messages.reduce((a, m) => a + m.length - 1, 0) === total);
  t.true(messages.every((m) => m[0] === 1 && m.length <= 256 * 1024 + 1), 'channel byte first, payload within the message cap');
  t.true(messages.length < pieces.length, `${pieces.length} writes went out as ${messages.length} messages`);
  t.true(Buffer.concat(messages.map((m) => m.subarray(1))).equals(Buffer.concat(pieces)), 'the bytes, in order');
});
