// SPDY sessions over real loopback TCP: streams, half-close, resets, pings, garbage input, and
// backpressure (a reader that does not read must stop the writer's source, not grow memory).
import test from 'ava';
import { createServer, connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { SpdySession } from '../../../../agent/kubelet-api/spdy/session.js';
import type { SpdyStream } from '../../../../agent/kubelet-api/spdy/stream.js';
import { eventually } from '../../../helpers/wait.js';

async function pair(t: { teardown(f: () => void): void }): Promise<{ server: SpdySession; client: SpdySession; serverSocket: Socket; clientSocket: Socket }> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  const accepted = new Promise<Socket>((r) => srv.once('connection', r));
  const clientSocket = connect(port, '127.0.0.1');
  const serverSocket = await accepted;
  const server = new SpdySession(serverSocket, { role: 'server', streamHighWaterMark: 64 * 1024 });
  const client = new SpdySession(clientSocket, { role: 'client', streamHighWaterMark: 64 * 1024 });
  t.teardown(() => {
    server.close();
    client.close();
    srv.close();
  });
  return { server, client, serverSocket, clientSocket };
}

function readAll(s: SpdyStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on('data', (b: Buffer) => parts.push(b));
    s.on('end', () => resolve(Buffer.concat(parts)));
    s.on('error', reject);
  });
}

test('streams carry data both ways with headers, replies and half-close', async (t) => {
  const { server, client } = await pair(t);
  server.on('stream', (s: SpdyStream) => {
    s.reply(new Map([['x-ok', ['yes']]]));
    const chunks: Buffer[] = [];
    s.on('data', (b: Buffer) => chunks.push(b));
    s.on('end', () => s.end(Buffer.concat([Buffer.from(`${s.header('streamType')}:`), ...chunks])));
  });
  const results = await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const s = client.openStream(new Map([['streamtype', [`s${i}`]]]));
      const reply = new Promise<Map<string, string[]>>((r) => s.once('reply', r));
      const payload = randomBytes(1000 * i + 1);
      s.end(payload);
      const body = await readAll(s);
      t.deepEqual((await reply).get('x-ok'), ['yes']);
      return Buffer.compare(body, Buffer.concat([Buffer.from(`s${i}:`), payload])) === 0;
    }),
  );
  t.true(results.every(Boolean));
  await new Promise((r) => setImmediate(r));
  t.is(server.streamCount, 0);
});

test('a reader that stops reading stalls the writer; reading again delivers every byte', async (t) => {
  const { server, client, serverSocket, clientSocket } = await pair(t);
  const total = 64 * 1024 * 1024;
  let produced = 0;
  const source = new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (produced >= total) return void this.push(null);
      const n = Math.min(64 * 1024, total - produced);
      produced += n;
      this.push(Buffer.alloc(n, 7));
    },
  });
  server.on('stream', (s: SpdyStream) => {
    s.reply();
    source.pipe(s);
  });
  const s = client.openStream(new Map([['streamtype', ['stdout']]]));
  s.pause();
  // The stall, end to end: the client session stopped reading its socket (its reader is full), the server's
  // socket holds bytes the kernel will not take, and the pipe stopped pulling from the source (paused, its
  // buffer full). From here nothing moves until the reader reads; without backpressure the source would
  // run to its end (64 MiB) and this never holds.
  await eventually(
    'the writer stalled behind the paused reader',
    () => clientSocket.isPaused() && serverSocket.writableLength > 0 && source.isPaused() && source.readableLength >= source.readableHighWaterMark,
    30_000,
    20,
  );
  // Socket buffers + stream buffers only: far below the 64 MiB the source could produce.
  t.true(produced < 16 * 1024 * 1024, `source produced ${produced} bytes while nobody read`);
  let got = 0;
  s.on('data', (b: Buffer) => (got += b.length));
  s.resume();
  await new Promise((r) => s.once('end', r));
  t.is(got, total);
});

test('reset, ping and goaway: peers see them and close cleanly', async (t) => {
  const { server, client } = await pair(t);
  const reset = new Promise<void>((resolve) => server.on('stream', (s: SpdyStream) => s.on('reset', resolve)));
  const s = client.openStream(new Map());
  s.reset();
  await reset;
  t.true(s.destroyed);
  const pong = new Promise<number>((r) => client.once('pong', r));
  client.sendFrame({ type: 'ping', id: 7 });
  t.is(await pong, 7);
  const closed = new Promise<void>((r) => client.once('close', r));
  server.goAway();
  await closed;
});

test('garbage from the peer ends the session with a protocol error, not a crash', async (t) => {
  const { server, clientSocket } = await pair(t);
  const err = new Promise<Error>((r) => server.once('protocolError', r));
  const closed = new Promise<void>((r) => server.once('close', r));
  clientSocket.write(Buffer.from([0x80, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0c, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xde, 0xad]));
  t.regex((await err).message, /header block|too short/);
  await closed;
  t.is(server.streamCount, 0);
});

test('streams with the wrong parity or a reused id are refused', async (t) => {
  const { server, client } = await pair(t);
  let accepted = 0;
  server.on('stream', (s: SpdyStream) => {
    accepted++;
    s.reply();
  });
  client.sendFrame({ type: 'syn_stream', streamId: 2, associatedId: 0, priority: 0, fin: false, unidirectional: false, headers: new Map() });
  client.sendFrame({ type: 'syn_stream', streamId: 5, associatedId: 0, priority: 0, fin: false, unidirectional: false, headers: new Map() });
  client.sendFrame({ type: 'syn_stream', streamId: 3, associatedId: 0, priority: 0, fin: false, unidirectional: false, headers: new Map() });
  const pong = new Promise<number>((r) => client.once('pong', r));
  client.sendFrame({ type: 'ping', id: 9 });
  await pong;
  t.is(accepted, 1);
});

test('an idle session is closed after its idle timeout', async (t) => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => srv.close());
  const accepted = new Promise<Socket>((r) => srv.once('connection', r));
  const clientSocket = connect((srv.address() as { port: number }).port, '127.0.0.1');
  const server = new SpdySession(await accepted, { role: 'server', idleTimeoutMs: 200 });
  const client = new SpdySession(clientSocket, { role: 'client' });
  t.teardown(() => client.close());
  const seen: string[] = [];
  server.once('idleTimeout', () => seen.push('server: idle timeout'));
  client.once('goaway', () => seen.push('client: GOAWAY'));
  const clientClosed = new Promise<void>((r) => client.once('close', r));
  await clientClosed;
  // The session ended because it was idle and said so: the client heard GOAWAY before its socket closed
  // (a dropped connection, or a close for any other reason, would not send it).
  t.deepEqual(seen, ['server: idle timeout', 'client: GOAWAY']);
});
