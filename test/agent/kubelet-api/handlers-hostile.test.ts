// The exec and port-forward handlers against hostile SPDY clients (in-process Duplex pair, a backend that
// pipes to a real loopback echo server): a session that dies in the same read that completes its streams
// still releases the command (and with it the session's slot); streams beyond an exec's set are refused;
// port-forward headers (port, requestID, stream type) are validated, old clients without requestID are paired
// the way the kubelet pairs them, and a pair's port is its data stream's; a WebSocket port whose dial failed
// does not stall the other ports.
import test from 'ava';
import { createServer, type AddressInfo } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';
import { SpdySession } from '../../../agent/kubelet-api/spdy/session.js';
import { RstStatus, type Frame } from '../../../agent/kubelet-api/spdy/frames.js';
import { serveSpdyCommand } from '../../../agent/kubelet-api/remotecommand.js';
import { serveSpdyPortForward, serveWebSocketPortForward } from '../../../agent/kubelet-api/portforward.js';
import { ChannelMux } from '../../../agent/kubelet-api/channels.js';
import type { ExecRequest, StreamIO } from '../../../agent/kubelet-api/backend.js';
import { duplexPair } from './duplex-pair.js';
import { RawSpdyClient } from './raw-spdy.js';
import { EchoBackend } from './fuzz/echo-backend.js';
import { eventually } from '../../helpers/wait.js';

async function echoServer(t: { teardown(f: () => void): void }): Promise<number> {
  const s = createServer((c) => (c.on('error', () => undefined), c.pipe(c)));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.teardown(() => s.close());
  return (s.address() as AddressInfo).port;
}

function pair(t: { teardown(f: () => void): void }) {
  const [serverEnd, clientEnd] = duplexPair();
  const session = new SpdySession(serverEnd, { role: 'server' });
  const client = RawSpdyClient.attach(clientEnd);
  t.teardown(() => (session.close(), client.close()));
  return { session, client };
}

const pod = { metadata: { name: 'p', namespace: 'n', uid: 'u' } };
const execReq = { pod, container: 'main', command: ['cat'], stdin: true, stdout: true, stderr: false, tty: false };
const opts = { stdin: true, stdout: true, stderr: false, tty: false };

test('a session that ends in the same read that completes its streams aborts the command and lets go of it', async (t) => {
  const { session, client } = pair(t);
  const backend = new EchoBackend(0);
  let aborted = false;
  backend.exec = async (_req: ExecRequest, io: StreamIO) => {
    await new Promise<void>((r) => (io.signal.aborted ? r() : io.signal.addEventListener('abort', () => r())));
    aborted = true;
    return { exitCode: 0 };
  };
  const served = serveSpdyCommand('exec', session, 'v4.channel.k8s.io', backend, execReq, opts, 5000);
  // The last expected stream and a malformed frame (DATA on stream 0) in one write.
  client.send(client.syn(1, { streamType: 'error' }), client.syn(3, { streamType: 'stdin' }), client.syn(5, { streamType: 'stdout' }), { type: 'data', streamId: 0, fin: false, data: Buffer.from('x') });
  const result = await Promise.race([served, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 5000).unref())]);
  t.not(result, 'hung', 'the command waited for a close that had already happened');
  t.true(aborted);
});

test('streams after an exec has its set, and duplicates, are refused', async (t) => {
  const { session, client } = pair(t);
  const backend = new EchoBackend(0);
  void serveSpdyCommand('exec', session, 'v4.channel.k8s.io', backend, execReq, opts, 5000);
  client.send(client.syn(1, { streamType: 'error' }), client.syn(3, { streamType: 'error' }), client.syn(5, { streamType: 'stdin' }), client.syn(7, { streamType: 'stdout' }), client.syn(9, { streamType: 'stderr' }));
  const dup = await client.waitFor('duplicate refused', (f) => f.type === 'rst_stream' && f.streamId === 3);
  const late = await client.waitFor('late stream refused', (f) => f.type === 'rst_stream' && f.streamId === 9);
  t.is(dup.type === 'rst_stream' && dup.status, RstStatus.RefusedStream);
  t.is(late.type === 'rst_stream' && late.status, RstStatus.RefusedStream);
  client.send(client.data(5, 'still echoing\n'));
  await client.waitFor('echo', () => client.received(7) === 'still echoing\n');
});

test('port-forward: bad ports, stream types and request ids are refused; a pair takes its data stream port', async (t) => {
  const port = await echoServer(t);
  const { session, client } = pair(t);
  const backend = new EchoBackend(port);
  void serveSpdyPortForward(session, backend, pod, { pairTimeoutMs: 5000 });
  const bad: [number, Record<string, string>][] = [
    [1, { streamType: 'data', port: '0', requestID: 'a' }],
    [3, { streamType: 'data', port: '65536', requestID: 'b' }],
    [5, { streamType: 'data', port: '-80', requestID: 'c' }],
    [7, { streamType: 'data', port: ' 80', requestID: 'd' }],
    [9, { streamType: 'stdin', port: String(port), requestID: 'e' }],
    [11, { streamType: 'data', port: String(port), requestID: 'x'.repeat(65) }],
    [13, { streamType: 'data', port: String(port), requestID: 'tab\there' }],
  ];
  client.send(...bad.map(([id, h]) => client.syn(id, h)));
  for (const [id] of bad) {
    const r = await client.waitFor(`RST ${id}`, (f) => f.type === 'rst_stream' && f.streamId === id);
    t.is(r.type === 'rst_stream' && r.status, RstStatus.ProtocolError, `stream ${id}`);
  }
  // The error stream names another port: the data stream's port is dialled.
  client.send(client.syn(15, { streamType: 'error', port: '1', requestID: '7' }), client.syn(17, { streamType: 'data', port: String(port), requestID: '7' }), client.data(17, 'via data port'));
  await client.waitFor('echo', () => client.received(17) === 'via data port');
  // A second data stream for a pair already complete is a new pair waiting for its error stream, not a crash.
  client.send(client.syn(19, { streamType: 'data', port: String(port), requestID: '7' }));
  await client.waitFor('SYN_REPLY 19', (f) => f.type === 'syn_reply' && f.streamId === 19);
});

test('port-forward: clients without requestID are paired like the kubelet pairs them (error id, data id - 2)', async (t) => {
  const port = await echoServer(t);
  const { session, client } = pair(t);
  void serveSpdyPortForward(session, new EchoBackend(port), pod);
  client.send(client.syn(1, { streamType: 'error', port: String(port) }), client.syn(3, { streamType: 'data', port: String(port) }), client.data(3, 'old client'));
  await client.waitFor('echo', () => client.received(3) === 'old client');
  const frames: Frame[] = client.frames.filter((f) => f.type === 'rst_stream');
  t.deepEqual(frames, []);
});

test('WebSocket port-forward: a port whose dial failed does not stall the others when the client keeps writing to it', async (t) => {
  const port = await echoServer(t);
  const dead = createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  const deadPort = (dead.address() as AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r()));
  const http = createHttpServer();
  const wss = new WebSocketServer({ server: http, autoPong: false });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  t.teardown(() => (wss.close(), http.close()));
  wss.on('connection', (ws) => void serveWebSocketPortForward(new ChannelMux(ws, ws.protocol), new EchoBackend(port), pod, [deadPort, port]));
  const ws = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/`, ['v4.channel.k8s.io']);
  t.teardown(() => ws.terminate());
  const got = new Map<number, string>();
  ws.on('message', (d: Buffer) => got.set(d[0], (got.get(d[0]) ?? '') + d.subarray(1).toString('latin1')));
  await new Promise<void>((r) => ws.once('open', () => r()));
  // The dead port's error arrives first; then 512 KiB at its data channel, then a line for the live port.
  await eventually('dial error of the dead port', () => /ECONNREFUSED/.test(got.get(1) ?? ''));
  for (let i = 0; i < 8; i++) ws.send(Buffer.concat([Buffer.from([0]), Buffer.alloc(64 * 1024, 0x61)]));
  ws.send(Buffer.concat([Buffer.from([2]), Buffer.from('live port')]));
  await eventually('echo through the live port', () => (got.get(2) ?? '').endsWith('live port'), 10_000);
  // Each channel opens with its port (uint16, little-endian); after that the live port echoed exactly its bytes.
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16LE(port);
  t.is(got.get(2), `${prefix.toString('latin1')}live port`);
  t.regex(got.get(1) ?? '', /ECONNREFUSED/);
});
