// WebSocket fuzz targets: the channel handler serving exec or port-forward over a real `ws` loopback
// connection, fed generated messages (channel data, text, pings, CLOSE of any channel) with its unsent output
// checked against its bound, then a well-behaved v5 exec on the same backend.
import fc from 'fast-check';
import WebSocket from 'ws';
import { ChannelMux } from '../../../../agent/kubelet-api/channels.js';
import { serveWebSocketCommand } from '../../../../agent/kubelet-api/remotecommand.js';
import { serveWebSocketPortForward } from '../../../../agent/kubelet-api/portforward.js';
import { POD } from './echo-backend.js';
import { BOUNDS, tick, within, type FuzzEnv, type WsRoute } from './env.js';

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
