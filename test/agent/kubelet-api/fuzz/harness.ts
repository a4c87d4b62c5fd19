// Fuzz harness of the kubelet API (fast-check), shared by the bounded runs in `npm test` and the long run
// of `npm run bench -- fuzz`: arbitraries for SPDY frames, byte mutations and WebSocket channel messages;
// four targets (the framer, the SPDY session serving exec, the WebSocket channel handler over a real `ws`
// loopback, the port-forward handler over SPDY and WebSocket with a backend that pipes to a local echo
// server); and a watch on uncaught exceptions and unhandled rejections for the duration of a run.
// Each case checks: nothing throws out of the session, buffered bytes stay within their bounds, and a
// well-behaved session started afterwards, on the same backend, still works.
import fc from 'fast-check';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, connect, type Server as TcpServer, type AddressInfo } from 'node:net';
import { Writable, type Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import type { V1Pod } from '@kubernetes/client-node';
import {
  FrameDecoder,
  HeaderCompressor,
  HeaderDecompressor,
  MAX_FRAME_PAYLOAD,
  SpdyProtocolError,
  encodeFrame,
  type Frame,
  type Headers,
} from '../../../../agent/kubelet-api/spdy/frames.js';
import { SpdySession } from '../../../../agent/kubelet-api/spdy/session.js';
import { ChannelMux } from '../../../../agent/kubelet-api/channels.js';
import { serveSpdyCommand, serveWebSocketCommand } from '../../../../agent/kubelet-api/remotecommand.js';
import { serveSpdyPortForward, serveWebSocketPortForward } from '../../../../agent/kubelet-api/portforward.js';
import type { ExecRequest, ExecResult, KubeletBackend, StreamIO, Summary } from '../../../../agent/kubelet-api/backend.js';
import { duplexPair } from '../duplex-pair.js';

// ---------------------------------------------------------------------------------------------------------
// Bounds the sessions under fuzz run with (small, so that the fuzzer reaches them).

export const BOUNDS = {
  maxQueuedOutputBytes: 32 * 1024,
  dataHighWaterMark: 64 * 1024,
  streamHighWaterMark: 16 * 1024,
  maxBufferedInputBytes: 64 * 1024,
  maxStreams: 24,
  maxPairs: 4,
};
/** What one decoded frame may add to the output after the bound was checked: one DATA frame and a reply. */
const OUTPUT_SLACK = BOUNDS.dataHighWaterMark + 32 * 1024 + 4096;

// ---------------------------------------------------------------------------------------------------------
// Crash watch.

/** Records uncaught exceptions and unhandled rejections while started. */
export class CrashWatch {
  readonly seen: unknown[] = [];
  private readonly onError = (e: unknown) => this.seen.push(e);
  start(): void {
    process.on('uncaughtException', this.onError);
    process.on('unhandledRejection', this.onError);
  }
  stop(): void {
    process.off('uncaughtException', this.onError);
    process.off('unhandledRejection', this.onError);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Backend: exec echoes stdin to stdout; port-forward dials only its own loopback echo server.

const POD: V1Pod = { metadata: { name: 'fuzz', namespace: 'fuzz', uid: 'fuzz-uid' }, spec: { containers: [{ name: 'main' }] } };

export class EchoBackend implements KubeletBackend {
  readonly calls = { exec: 0, portForward: 0 };
  constructor(readonly echoPort: number) {}
  getPod(): V1Pod {
    return POD;
  }
  listPods(): V1Pod[] {
    return [POD];
  }
  async exec(_req: ExecRequest, io: StreamIO): Promise<ExecResult> {
    this.calls.exec++;
    if (!io.stdin) return { exitCode: 0 };
    const sink = io.stdout ?? new Writable({ write: (_c, _e, cb) => cb() });
    io.stdin.pipe(sink, { end: false });
    await new Promise<void>((resolve) => {
      io.stdin!.once('end', resolve);
      io.stdin!.once('close', resolve);
      if (io.signal.aborted) resolve();
      io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    io.stdin.unpipe(sink);
    return { exitCode: 0 };
  }
  attach(req: ExecRequest, io: StreamIO): Promise<ExecResult> {
    return this.exec(req, io);
  }
  logs(_req: unknown, out: Writable): Promise<void> {
    out.write('fuzz\n');
    return Promise.resolve();
  }
  async portForward(req: { port: number }, socket: Duplex, signal: AbortSignal): Promise<void> {
    this.calls.portForward++;
    // Never dial anything but our own echo server: fuzzed port headers are arbitrary.
    if (req.port !== this.echoPort) throw new Error(`connect ECONNREFUSED 127.0.0.1:${req.port}`);
    const conn = connect({ host: '127.0.0.1', port: this.echoPort });
    await new Promise<void>((resolve, reject) => {
      conn.once('connect', resolve);
      conn.once('error', reject);
    });
    if (signal.aborted) return void conn.destroy(); // the client went away while we dialled
    await new Promise<void>((resolve) => {
      const finish = () => {
        conn.destroy();
        resolve();
      };
      socket.pipe(conn);
      conn.pipe(socket);
      conn.on('error', finish);
      conn.on('close', finish);
      socket.on('close', finish);
      signal.addEventListener('abort', finish, { once: true });
    });
  }
  statsSummary(): Promise<Summary> {
    return Promise.resolve({ node: { nodeName: 'fuzz', startTime: new Date(0).toISOString() }, pods: [] });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Arbitraries.

/** Header value placeholder replaced by the echo server's port when frames are encoded. */
export const ECHO_PORT = '$ECHO';

const streamId = fc.oneof(fc.constantFrom(1, 3, 5, 7, 9, 11, 13, 2, 4, 0, 0x7fffffff), fc.integer({ min: 0, max: 0x7fffffff }));
const headerName = fc.constantFrom('streamtype', 'port', 'requestid', 'x-junk', 'streamtype ', ':host');
const headerValue = fc.oneof(
  fc.constantFrom('stdin', 'stdout', 'stderr', 'error', 'resize', 'data', ECHO_PORT, '0', '65536', '-1', '08080', '1', '99999999999999999999', ''),
  fc.string({ maxLength: 40 }),
  fc.string({ minLength: 65, maxLength: 300 }),
);
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 4 }).map((d): Headers => new Map(Object.entries(d).map(([k, v]) => [k, [v]])));
const payload = fc.oneof({ weight: 4, arbitrary: fc.uint8Array({ maxLength: 300 }) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 1000, maxLength: 40_000 }) });

export const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ type: fc.constant('data' as const), streamId, fin: fc.boolean(), data: payload.map((u) => Buffer.from(u)) }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('syn_stream' as const), streamId, associatedId: fc.constantFrom(0, 1), priority: fc.integer({ min: 0, max: 7 }), fin: fc.boolean(), unidirectional: fc.boolean(), headers }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('syn_reply' as const), streamId, fin: fc.boolean(), headers }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('headers' as const), streamId, fin: fc.boolean(), headers }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('rst_stream' as const), streamId, status: fc.integer({ min: 0, max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('settings' as const), settings: fc.array(fc.record({ id: fc.integer({ min: 0, max: 10 }), flags: fc.integer({ min: 0, max: 3 }), value: fc.oneof(fc.nat(), fc.constantFrom(0, 0x7fffffff, 0x80000000, 0xffffffff)) }), { maxLength: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('ping' as const), id: fc.oneof(fc.nat(), fc.constant(0xffffffff)) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('goaway' as const), lastGoodStreamId: streamId, status: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('window_update' as const), streamId, delta: fc.oneof(fc.constantFrom(0, 1, 0x7fffffff), fc.integer({ min: 0, max: 0x7fffffff })) }) },
);

export type Mutation = { kind: 'flip'; at: number; bit: number } | { kind: 'set'; at: number; value: number } | { kind: 'cut'; at: number } | { kind: 'insert'; at: number; bytes: Uint8Array } | { kind: 'drop'; at: number; len: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
);

export function mutate(wire: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(wire);
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.kind === 'flip') b[at] ^= 1 << m.bit;
    else if (m.kind === 'set') b[at] = m.value;
    else if (m.kind === 'cut') b = b.subarray(0, at);
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    else b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
  }
  return b;
}

/** Splits bytes into chunks of the given sizes, cycled. */
export function chunk(b: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0, i = 0; off < b.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]);
    out.push(b.subarray(off, off + n));
    off += n;
  }
  return out;
}

/** Encodes frames; with `echoPort`, the ECHO_PORT placeholder in header values becomes that port. */
export function encodeAll(frames: Frame[], echoPort?: number, compressor = new HeaderCompressor()): Buffer {
  const fix = (h: Headers): Headers => (echoPort === undefined ? h : new Map([...h].map(([k, v]) => [k, v.map((x) => (x === ECHO_PORT ? String(echoPort) : x))])));
  return Buffer.concat(
    frames.map((f) => encodeFrame('headers' in f ? ({ ...f, headers: fix(f.headers) }) : f, compressor)),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Shared environment: one echo server (and a WebSocket server for the channel targets) per run of targets.

export interface FuzzEnv {
  backend: EchoBackend;
  echo: TcpServer;
  http: HttpServer;
  wsPort: number;
  close(): Promise<void>;
}

type WsRoute = (ws: WebSocket, path: string) => void;

export async function startEnv(): Promise<FuzzEnv & { onWs: (r: WsRoute) => void }> {
  const echo = createTcpServer((s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  const backend = new EchoBackend((echo.address() as AddressInfo).port);
  const http = createHttpServer();
  const wss = new WebSocketServer({ server: http, autoPong: false, maxPayload: 1 << 20 });
  let route: WsRoute = () => undefined;
  wss.on('connection', (ws, req) => {
    ws.on('error', () => undefined);
    route(ws, req.url ?? '/');
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return {
    backend,
    echo,
    http,
    wsPort: (http.address() as AddressInfo).port,
    onWs: (r) => (route = r),
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((r) => http.close(() => r()));
      await new Promise<void>((r) => echo.close(() => r()));
    },
  };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p.finally(() => clearTimeout(timer)), new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms} ms`)), ms)))]);
}

// ---------------------------------------------------------------------------------------------------------
// Target 1: the framer.

/** Frames the decoder must accept (a SYN_STREAM may not open stream 0). */
const validFrameArb = frameArb.filter((f) => !(f.type === 'syn_stream' && (f.streamId & 0x7fffffff) === 0));

export const framerRoundTrip = fc.property(fc.array(validFrameArb, { maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 6 }), (frames, sizes) => {
  const wire = encodeAll(frames);
  const d = new FrameDecoder(new HeaderDecompressor());
  const out: Frame[] = [];
  for (const c of chunk(wire, sizes)) {
    d.push(c);
    for (let f = d.next(); f; f = d.next()) out.push(f);
  }
  if (d.buffered !== 0) throw new Error(`${d.buffered} bytes left over`);
  if (out.length !== frames.length) throw new Error(`decoded ${out.length} of ${frames.length} frames`);
  const norm = (f: Frame) => JSON.stringify(f, (_k, v: unknown) => (v instanceof Map ? [...v] : v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString('hex') : v));
  // Decoding normalises what encoding cannot carry (31-bit ids, lower-case header names, 3-bit priority).
  const canon = (f: Frame): Frame => {
    const g = { ...f } as Record<string, unknown>;
    for (const k of ['streamId', 'associatedId', 'lastGoodStreamId', 'delta']) if (typeof g[k] === 'number') g[k] = (g[k]) & 0x7fffffff;
    if (f.type === 'settings') g.settings = f.settings.map((s) => ({ flags: s.flags, id: s.id, value: s.value >>> 0 }));
    if (f.type === 'ping') g.id = f.id >>> 0;
    if (f.type === 'rst_stream' || f.type === 'goaway') g.status = f.status >>> 0;
    if ('headers' in f) {
      const h: Headers = new Map();
      for (const [k, v] of f.headers) h.set(k.toLowerCase(), [...(h.get(k.toLowerCase()) ?? []), ...v.flatMap((x) => x.split('\0'))]);
      g.headers = h;
    }
    return g as Frame;
  };
  for (let i = 0; i < frames.length; i++) {
    const want = canon(frames[i]);
    if (want.type === 'data') (want as { data: unknown }).data = Buffer.from(frames[i].type === 'data' ? (frames[i] as { data: Buffer }).data : []);
    if (norm(out[i]) !== norm(want)) throw new Error(`frame ${i}: ${norm(out[i]).slice(0, 200)} != ${norm(want).slice(0, 200)}`);
  }
});

export const framerGarbage = fc.property(
  fc.oneof(
    fc.tuple(fc.array(frameArb, { maxLength: 20 }), fc.array(mutationArb, { minLength: 1, maxLength: 6 })).map(([frames, ms]) => mutate(encodeAll(frames), ms)),
    fc.uint8Array({ maxLength: 4000 }).map((u) => Buffer.from(u)),
  ),
  fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 6 }),
  (wire, sizes) => {
    const d = new FrameDecoder(new HeaderDecompressor());
    let pushed = 0;
    try {
      for (const c of chunk(wire, sizes)) {
        d.push(c);
        pushed += c.length;
        for (let f = d.next(); f; f = d.next()) void f;
        if (d.buffered > MAX_FRAME_PAYLOAD + 8) throw new Error(`decoder holds ${d.buffered} bytes`);
      }
    } catch (e) {
      if (!(e instanceof SpdyProtocolError)) throw e;
    }
    if (d.copiedBytes > pushed) throw new Error(`copied ${d.copiedBytes} bytes for ${pushed} pushed`);
  },
);

// ---------------------------------------------------------------------------------------------------------
// Target 2 and 4 (SPDY): a session serving exec or port-forward, fed generated and mutated frames.

export interface SpdyCase {
  handler: 'exec' | 'portforward';
  protocol: string;
  prelude: boolean;
  frames: Frame[];
  mutations: Mutation[];
  chunks: number[];
  reads: boolean;
}

const execPrelude: Frame[] = [1, 3, 5, 7].map((id, i) => ({ type: 'syn_stream', streamId: id, associatedId: 0, priority: 0, fin: false, unidirectional: false, headers: new Map([['streamtype', [['error', 'stdin', 'stdout', 'stderr'][i]]]]) }));
const pfPrelude: Frame[] = [
  { type: 'syn_stream', streamId: 1, associatedId: 0, priority: 0, fin: false, unidirectional: false, headers: new Map([['streamtype', ['error']], ['port', [ECHO_PORT]], ['requestid', ['0']]]) },
  { type: 'syn_stream', streamId: 3, associatedId: 0, priority: 0, fin: false, unidirectional: false, headers: new Map([['streamtype', ['data']], ['port', [ECHO_PORT]], ['requestid', ['0']]]) },
];

export function spdyCaseArb(handler: 'exec' | 'portforward'): fc.Arbitrary<SpdyCase> {
  return fc.record({
    handler: fc.constant(handler),
    protocol: handler === 'exec' ? fc.constantFrom('v4.channel.k8s.io', 'v3.channel.k8s.io', 'channel.k8s.io') : fc.constant('portforward.k8s.io'),
    prelude: fc.boolean(),
    frames: fc.array(frameArb, { maxLength: 40 }),
    mutations: fc.oneof({ weight: 3, arbitrary: fc.constant([] as Mutation[]) }, { weight: 1, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 4 }) }),
    chunks: fc.array(fc.integer({ min: 1, max: 8192 }), { minLength: 1, maxLength: 6 }),
    reads: fc.boolean(),
  });
}

export interface Peaks {
  output: number;
  input: number;
  streams: number;
}

/** Feeds one generated case to a server session; returns the peaks of what it held. Throws on a broken property. */
export async function runSpdyCase(env: FuzzEnv, c: SpdyCase): Promise<Peaks> {
  const [serverEnd, clientEnd] = duplexPair();
  clientEnd.on('error', () => undefined);
  const session = new SpdySession(serverEnd, {
    role: 'server',
    maxStreams: BOUNDS.maxStreams,
    streamHighWaterMark: BOUNDS.streamHighWaterMark,
    maxBufferedInputBytes: BOUNDS.maxBufferedInputBytes,
    maxQueuedOutputBytes: BOUNDS.maxQueuedOutputBytes,
    dataHighWaterMark: BOUNDS.dataHighWaterMark,
    outputStallTimeoutMs: 100,
    maxViolations: 40,
    goAwayGraceMs: 100,
    idleTimeoutMs: 10_000,
  });
  const served =
    c.handler === 'exec'
      ? serveSpdyCommand('exec', session, c.protocol, env.backend, { pod: POD, container: 'main', command: ['cat'], stdin: true, stdout: true, stderr: true, tty: false }, { stdin: true, stdout: true, stderr: true, tty: false }, 200)
      : serveSpdyPortForward(session, env.backend, POD, { pairTimeoutMs: 200, maxPairs: BOUNDS.maxPairs });
  const frames = c.prelude ? [...(c.handler === 'exec' ? execPrelude : pfPrelude), ...c.frames] : c.frames;
  const wire = mutate(encodeAll(frames, env.backend.echoPort), c.mutations);
  if (c.reads) clientEnd.resume();
  else clientEnd.pause();
  const peaks: Peaks = { output: 0, input: 0, streams: 0 };
  const sample = () => {
    peaks.output = Math.max(peaks.output, session.queuedOutputBytes);
    peaks.input = Math.max(peaks.input, session.bufferedInputBytes);
    peaks.streams = Math.max(peaks.streams, session.streamCount);
  };
  let largest = 0;
  for (const part of chunk(wire, c.chunks)) {
    largest = Math.max(largest, part.length);
    clientEnd.write(part); // processed synchronously by the server: a throw would surface here
    sample();
    await tick();
    sample();
  }
  for (let i = 0; i < 5; i++) {
    await tick();
    sample();
  }
  if (peaks.output > BOUNDS.maxQueuedOutputBytes + OUTPUT_SLACK) throw new Error(`queued output ${peaks.output} over its bound`);
  if (peaks.input > MAX_FRAME_PAYLOAD + 8 + largest) throw new Error(`undecoded input ${peaks.input} over its bound`);
  if (peaks.streams > BOUNDS.maxStreams) throw new Error(`${peaks.streams} streams open, cap ${BOUNDS.maxStreams}`);
  const held = session.bufferedStreamBytes;
  if (held > BOUNDS.maxBufferedInputBytes + largest + BOUNDS.streamHighWaterMark) throw new Error(`streams hold ${held} inbound bytes`);
  session.close();
  clientEnd.destroy();
  await within<unknown>(served, 5000, `the ${c.handler} handler`);
  return peaks;
}

/** A well-behaved exec over SPDY on the same backend: the echo of a line comes back. */
export async function healthySpdyExec(env: FuzzEnv): Promise<void> {
  const [serverEnd, clientEnd] = duplexPair();
  const session = new SpdySession(serverEnd, { role: 'server' });
  const served = serveSpdyCommand('exec', session, 'v4.channel.k8s.io', env.backend, { pod: POD, container: 'main', command: ['cat'], stdin: true, stdout: true, stderr: false, tty: false }, { stdin: true, stdout: true, stderr: false, tty: false }, 2000);
  const c = new HeaderCompressor();
  const d = new FrameDecoder(new HeaderDecompressor());
  let out = '';
  const echoed = new Promise<void>((resolve) =>
    clientEnd.on('data', (b: Buffer) => {
      d.push(b);
      for (let f = d.next(); f; f = d.next()) if (f.type === 'data' && f.streamId === 5) out += f.data.toString();
      if (out === 'healthy\n') resolve();
    }),
  );
  clientEnd.write(encodeAll([execPrelude[0], execPrelude[1], execPrelude[2], { type: 'data', streamId: 3, fin: true, data: Buffer.from('healthy\n') }], undefined, c));
  await within(echoed, 5000, 'a healthy exec echo');
  await within(served, 5000, 'a healthy exec');
  clientEnd.destroy();
}

// ---------------------------------------------------------------------------------------------------------
// Target 3 and 4 (WebSocket): the channel handler serving exec or port-forward over a real ws connection.

export type WsMessage = { kind: 'binary'; data: Uint8Array } | { kind: 'text'; data: string } | { kind: 'ping'; data: Uint8Array } | { kind: 'close'; channel: number };

const wsMessageArb: fc.Arbitrary<WsMessage> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 255 })), fc.uint8Array({ maxLength: 2000 })).map(([ch, p]) => ({ kind: 'binary' as const, data: Uint8Array.from([ch, ...p]) })) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 30_000, maxLength: 70_000 }).map((p) => ({ kind: 'binary' as const, data: Buffer.concat([Buffer.from([0]), p]) })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 50 }).map((s) => ({ kind: 'text' as const, data: s })) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 125 }).map((d) => ({ kind: 'ping' as const, data: d })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 255 }).map((ch) => ({ kind: 'close' as const, channel: ch })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'binary' as const, data: new Uint8Array(0) }) },
);

export interface WsCase {
  handler: 'exec' | 'portforward';
  protocol: string;
  ports: number[];
  tty: boolean;
  messages: WsMessage[];
  reads: boolean;
}

export function wsCaseArb(handler: 'exec' | 'portforward'): fc.Arbitrary<WsCase> {
  return fc.record({
    handler: fc.constant(handler),
    protocol: handler === 'exec' ? fc.constantFrom('v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io') : fc.constantFrom('v4.channel.k8s.io', 'channel.k8s.io'),
    ports: fc.array(fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 65535 })), { minLength: 1, maxLength: 3 }),
    tty: fc.boolean(),
    messages: fc.array(wsMessageArb, { maxLength: 40 }),
    reads: fc.boolean(),
  });
}

/** Serves the WebSocket targets' connections (exec or port-forward by path), keyed by the case id in the query. */
export function wsRoutes(env: FuzzEnv & { onWs: (r: WsRoute) => void }): { served: Map<string, { mux: ChannelMux; done: Promise<unknown> }> } {
  const served = new Map<string, { mux: ChannelMux; done: Promise<unknown> }>();
  env.onWs((ws, path) => {
    const u = new URL(path, 'http://x');
    const id = u.searchParams.get('id') ?? '';
    const mux = new ChannelMux(ws, ws.protocol, { maxQueuedOutputBytes: BOUNDS.maxQueuedOutputBytes, outputStallTimeoutMs: 100 });
    const tty = u.searchParams.get('tty') === '1';
    const opts = { stdin: true, stdout: true, stderr: !tty, tty };
    const done =
      u.pathname === '/exec'
        ? serveWebSocketCommand('exec', mux, env.backend, { pod: POD, container: 'main', command: ['cat'], ...opts }, opts)
        : serveWebSocketPortForward(mux, env.backend, POD, u.searchParams.getAll('port').map(Number));
    served.set(id, { mux, done: done.catch(() => mux.close(1011)) });
  });
  return { served };
}

let wsIds = 0;

/** Plays one generated case over a real ws connection; throws on a broken property. */
export async function runWsCase(env: FuzzEnv, routes: ReturnType<typeof wsRoutes>, c: WsCase): Promise<number> {
  const id = String(++wsIds);
  const ports = c.ports.map((p) => (p === -1 ? env.backend.echoPort : p));
  const path = c.handler === 'exec' ? `/exec?id=${id}&tty=${c.tty ? 1 : 0}` : `/portforward?id=${id}&${ports.map((p) => `port=${p}`).join('&')}`;
  const ws = new WebSocket(`ws://127.0.0.1:${env.wsPort}${path}`, [c.protocol]);
  ws.on('error', () => undefined);
  await within(new Promise<void>((r, j) => (ws.once('open', () => r()), ws.once('error', j), ws.once('close', () => j(new Error('closed before open'))))), 5000, 'ws open');
  const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
  if (!c.reads) socket.pause();
  const entry = await within(
    (async () => {
      for (;;) {
        const e = routes.served.get(id);
        if (e) return e;
        await tick();
      }
    })(),
    5000,
    'server side of the ws case',
  );
  let peak = 0;
  for (const m of c.messages) {
    if (ws.readyState !== ws.OPEN) break;
    if (m.kind === 'binary') ws.send(m.data, { binary: true });
    else if (m.kind === 'text') ws.send(m.data);
    else if (m.kind === 'ping') ws.ping(m.data);
    else ws.send(Uint8Array.from([255, m.channel]), { binary: true });
    peak = Math.max(peak, entry.mux.queuedOutputBytes);
    await tick();
  }
  for (let i = 0; i < 5; i++) {
    await tick();
    peak = Math.max(peak, entry.mux.queuedOutputBytes);
  }
  const limit = BOUNDS.maxQueuedOutputBytes + 6 * (64 * 1024 + 1) + 64 * 1024;
  if (peak > limit) throw new Error(`unsent WebSocket output ${peak} over its bound ${limit}`);
  ws.terminate();
  await within(entry.done, 5000, `the ${c.handler} WebSocket handler`);
  routes.served.delete(id);
  return peak;
}

/** A well-behaved v5 exec over a real ws connection: the echo of a line comes back and the status follows. */
export async function healthyWsExec(env: FuzzEnv, routes: ReturnType<typeof wsRoutes>): Promise<void> {
  const id = `healthy-${++wsIds}`;
  const ws = new WebSocket(`ws://127.0.0.1:${env.wsPort}/exec?id=${id}&tty=0`, ['v5.channel.k8s.io']);
  ws.on('error', () => undefined);
  let out = '';
  const echoed = new Promise<void>((resolve) =>
    ws.on('message', (d: Buffer) => {
      if (d[0] === 1) out += d.subarray(1).toString();
      if (out === 'healthy\n') resolve();
    }),
  );
  await within(new Promise<void>((r, j) => (ws.once('open', () => r()), ws.once('error', j))), 5000, 'healthy ws open');
  ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('healthy\n')]));
  await within(echoed, 5000, 'a healthy ws echo');
  ws.send(Buffer.from([255, 0]));
  await within(new Promise<void>((r) => ws.once('close', () => r())), 5000, 'a healthy ws exec to end');
  await within(routes.served.get(id)?.done ?? Promise.resolve(), 5000, 'the healthy ws handler');
  routes.served.delete(id);
}

// ---------------------------------------------------------------------------------------------------------
// The targets as fast-check properties over one environment.

export interface Target {
  name: string;
  property: fc.IProperty<never> | fc.IAsyncProperty<never>;
}

export function targets(env: FuzzEnv & { onWs: (r: WsRoute) => void }): Target[] {
  const routes = wsRoutes(env);
  return [
    { name: 'framer: round trip across splits', property: framerRoundTrip as unknown as fc.IProperty<never> },
    { name: 'framer: mutated and random bytes', property: framerGarbage as unknown as fc.IProperty<never> },
    {
      name: 'SPDY session serving exec',
      property: fc.asyncProperty(spdyCaseArb('exec'), async (c) => {
        await runSpdyCase(env, c);
        await healthySpdyExec(env);
      }) as unknown as fc.IAsyncProperty<never>,
    },
    {
      name: 'WebSocket channels serving exec',
      property: fc.asyncProperty(wsCaseArb('exec'), async (c) => {
        await runWsCase(env, routes, c);
        await healthyWsExec(env, routes);
      }) as unknown as fc.IAsyncProperty<never>,
    },
    {
      name: 'port-forward over SPDY',
      property: fc.asyncProperty(spdyCaseArb('portforward'), async (c) => {
        await runSpdyCase(env, c);
        await healthySpdyExec(env);
      }) as unknown as fc.IAsyncProperty<never>,
    },
    {
      name: 'port-forward over WebSocket',
      property: fc.asyncProperty(wsCaseArb('portforward'), async (c) => {
        await runWsCase(env, routes, c);
        await healthyWsExec(env, routes);
      }) as unknown as fc.IAsyncProperty<never>,
    },
  ];
}
