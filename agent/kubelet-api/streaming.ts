// The kubelet API's streaming sessions: upgrades exec, attach and portForward requests to SPDY/3.1,
// WebSocket channels or SPDY-in-WebSocket tunnels behind the session caps (429 naming the cap and its
// config key, before any upgrade), builds each session with its stream, buffer and output bounds, and
// counts sessions, refusals, drops and peer protocol violations. One session's failure ends that session.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, type WebSocket, type WebSocketServer } from 'ws';
import type { V1Pod } from '@kubernetes/client-node';
import { logger } from '../../common/log.js';
import type { KubeletBackend } from './backend.js';
import type { KubeletApiMetrics } from './metrics.js';
import { negotiate, type Route } from './routes.js';
import { SpdySession } from './spdy/session.js';
import { ChannelMux } from './channels.js';
import { isRefusal, type Lease, type SessionKind, type SessionLimiter } from './session-limits.js';
import { SPDY_EXEC_PROTOCOLS, WS_EXEC_PROTOCOLS, parseStreamOptions, serveSpdyCommand, serveWebSocketCommand } from './remotecommand.js';
import {
  MAX_WS_PORTS,
  SPDY_PORTFORWARD_PROTOCOLS,
  WS_PORTFORWARD_PROTOCOLS,
  WS_PORTFORWARD_TUNNEL_PROTOCOL,
  parsePort,
  serveSpdyPortForward,
  serveWebSocketPortForward,
} from './portforward.js';

const log = logger('kubelet-api');

/** Bounds on what one session may make the agent hold for a peer. */
export interface OutputLimits {
  /** Unsent output per session above which the peer is no longer read. */
  maxQueuedBytes: number;
  /** A peer that leaves that output unread this long is dropped (GOAWAY / WebSocket terminated). */
  stallTimeoutMs: number;
}

export const DEFAULT_OUTPUT_LIMITS: OutputLimits = { maxQueuedBytes: 1 << 20, stallTimeoutMs: 60_000 };

/** Inbound bytes one SPDY stream's reader may hold (exec stdin, a forwarded connection) before the peer is paused. */
const STREAM_HIGH_WATER = 64 * 1024;

type Fail = (code: number, message: string, headers?: Record<string, string>) => void;

interface StreamingDeps {
  backend: KubeletBackend;
  metrics: KubeletApiMetrics;
  limiter: SessionLimiter;
  wss: WebSocketServer;
  idleMs: number;
  streamCreationTimeoutMs?: number;
  output: OutputLimits;
}

interface UpgradeRequest {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  url: URL;
  route: Extract<Route, { kind: 'exec' | 'attach' | 'portForward' }>;
  pod: V1Pod;
  /** The authenticated identity of the connection (the API server's, for proxied requests). */
  caller: string;
  hasContainer: boolean;
}

export class StreamingSessions {
  private readonly tunnelRequests = new WeakSet<IncomingMessage>();

  constructor(private readonly d: StreamingDeps) {
    d.wss.on('headers', (headers: string[], req: IncomingMessage) => {
      // ws only accepts RFC 7230 tokens as subprotocols and "SPDY/3.1+..." has a '/': selected here.
      if (this.tunnelRequests.has(req)) headers.push(`Sec-WebSocket-Protocol: ${WS_PORTFORWARD_TUNNEL_PROTOCOL}`);
    });
  }

  /** A slot for a session of this kind and caller, or a 429 (counted) naming the cap. */
  admit(kind: SessionKind, caller: string, fail: Fail): Lease | undefined {
    const got = this.d.limiter.acquire(kind, caller);
    if (!isRefusal(got)) return got;
    this.d.metrics.refused.inc({ kind, cap: got.cap });
    log.warn({ kind, caller, cap: got.key, limit: got.limit }, 'streaming session refused by a cap');
    fail(429, got.message, { 'Retry-After': '1' });
    return undefined;
  }

  /** Counts a session while it runs and frees its slot when it ends, however it ends. */
  track<T>(kind: SessionKind, transport: string, lease: Lease, p: Promise<T>): Promise<T> {
    const m = this.d.metrics;
    m.sessions.inc({ kind, transport });
    m.activeSessions.inc({ kind });
    return p
      .catch((e: unknown) => {
        m.errors.inc({ kind });
        log.warn({ err: e, kind }, 'session failed');
        throw e;
      })
      .finally(() => {
        m.activeSessions.dec({ kind });
        lease.release();
      });
  }

  upgrade(u: UpgradeRequest, fail: Fail): void {
    const { req, url, route: r } = u;
    const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
    const wsProtocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (r.kind === 'exec' || r.kind === 'attach') return this.command(u, r, upgrade, wsProtocols, fail);

    if (upgrade === 'websocket' && wsProtocols.includes(WS_PORTFORWARD_TUNNEL_PROTOCOL)) {
      const lease = this.admit('portforward', u.caller, fail);
      if (!lease) return;
      this.d.metrics.requests.inc({ handler: r.kind, code: '101' });
      delete req.headers['sec-websocket-protocol'];
      this.tunnelRequests.add(req);
      this.d.wss.handleUpgrade(req, u.socket, u.head, (ws) => {
        const session = this.spdy(this.tunnel(ws), 'websocket-spdy');
        void this.track('portforward', 'websocket-spdy', lease, this.portForwardSpdy(session, u.pod));
      });
      return;
    }
    if (upgrade === 'websocket') {
      const ports = url.searchParams.getAll('port').flatMap((p) => p.split(','));
      if (ports.length === 0) return fail(400, 'query parameter "port" is required');
      if (ports.length > MAX_WS_PORTS) return fail(400, `at most ${MAX_WS_PORTS} ports per WebSocket port-forward, got ${ports.length}`);
      const parsed = ports.map(parsePort);
      if (parsed.some((p) => p === undefined)) return fail(400, `unable to parse ${JSON.stringify(ports)} as ports`);
      const protocol = WS_PORTFORWARD_PROTOCOLS.find((p) => wsProtocols.includes(p));
      if (wsProtocols.length && !protocol) return fail(400, `unable to negotiate websocket protocol from ${JSON.stringify(wsProtocols)}`);
      const lease = this.admit('portforward', u.caller, fail);
      if (!lease) return;
      this.d.metrics.requests.inc({ handler: r.kind, code: '101' });
      this.d.wss.handleUpgrade(req, u.socket, u.head, (ws) => {
        const mux = this.mux(ws);
        void this.track('portforward', 'websocket', lease, serveWebSocketPortForward(mux, this.d.backend, u.pod, parsed as number[])).catch(() => mux.close(1011));
      });
      return;
    }
    if (upgrade !== 'spdy/3.1') return fail(400, 'unable to upgrade: unsupported upgrade protocol');
    const n = negotiate(req.headers['x-stream-protocol-version'], SPDY_PORTFORWARD_PROTOCOLS);
    if ('error' in n) return fail(403, n.error, { 'X-Accepted-Stream-Protocol-Versions': SPDY_PORTFORWARD_PROTOCOLS.join(', ') });
    const lease = this.admit('portforward', u.caller, fail);
    if (!lease) return;
    const session = this.switchToSpdy(u.socket, u.head, n.protocol);
    this.d.metrics.requests.inc({ handler: r.kind, code: '101' });
    void this.track('portforward', 'spdy', lease, this.portForwardSpdy(session, u.pod));
  }

  private command(u: UpgradeRequest, r: Extract<Route, { kind: 'exec' | 'attach' }>, upgrade: string, wsProtocols: string[], fail: Fail): void {
    const kind = r.kind;
    const so = parseStreamOptions(u.url.searchParams);
    if (typeof so === 'string') return fail(400, so);
    if (!u.hasContainer) return fail(404, `container ${r.container} not found in pod ${r.pod}`);
    const command = u.url.searchParams.getAll('command');
    if (kind === 'exec' && command.length === 0) return fail(400, 'you must specify a command');
    const execReq = { pod: u.pod, container: r.container, command: kind === 'exec' ? command : [], ...so };
    if (upgrade === 'websocket') {
      const protocol = WS_EXEC_PROTOCOLS.find((p) => wsProtocols.includes(p));
      if (wsProtocols.length && !protocol) return fail(400, `unable to negotiate websocket protocol from ${JSON.stringify(wsProtocols)}`);
      const lease = this.admit(kind, u.caller, fail);
      if (!lease) return;
      this.d.metrics.requests.inc({ handler: kind, code: '101' });
      this.d.wss.handleUpgrade(u.req, u.socket, u.head, (ws) => {
        const mux = this.mux(ws);
        void this.track(kind, 'websocket', lease, serveWebSocketCommand(kind, mux, this.d.backend, execReq, so)).catch(() => mux.close(1011));
      });
      return;
    }
    if (upgrade !== 'spdy/3.1') return fail(400, 'unable to upgrade: unsupported upgrade protocol');
    const n = negotiate(u.req.headers['x-stream-protocol-version'], SPDY_EXEC_PROTOCOLS);
    if ('error' in n) return fail(403, n.error, { 'X-Accepted-Stream-Protocol-Versions': SPDY_EXEC_PROTOCOLS.join(', ') });
    const lease = this.admit(kind, u.caller, fail);
    if (!lease) return;
    const session = this.switchToSpdy(u.socket, u.head, n.protocol);
    this.d.metrics.requests.inc({ handler: kind, code: '101' });
    const protocol = n.protocol || 'channel.k8s.io';
    void this.track(kind, 'spdy', lease, serveSpdyCommand(kind, session, protocol, this.d.backend, execReq, so, this.d.streamCreationTimeoutMs)).catch(() => session.close());
  }

  private portForwardSpdy(session: SpdySession, pod: V1Pod): Promise<void> {
    return serveSpdyPortForward(session, this.d.backend, pod, { maxPairs: this.d.limiter.limits.maxPortForwardPairs, pairTimeoutMs: this.d.streamCreationTimeoutMs });
  }

  private switchToSpdy(socket: Duplex, head: Buffer, protocol: string): SpdySession {
    const proto = protocol ? `X-Stream-Protocol-Version: ${protocol}\r\n` : '';
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n${proto}\r\n`);
    if (head.length) socket.unshift(head);
    return this.spdy(socket, 'spdy');
  }

  private countBytes(em: NodeJS.EventEmitter): void {
    const m = this.d.metrics;
    em.on('bytesIn', (n: number) => m.bytes.inc({ direction: 'in' }, n));
    em.on('bytesOut', (n: number) => m.bytes.inc({ direction: 'out' }, n));
  }

  private spdy(socket: Duplex, transport: string): SpdySession {
    const m = this.d.metrics;
    const s = new SpdySession(socket, {
      role: 'server',
      idleTimeoutMs: this.d.idleMs,
      maxStreams: this.d.limiter.limits.maxStreamsPerSession,
      streamHighWaterMark: STREAM_HIGH_WATER,
      maxQueuedOutputBytes: this.d.output.maxQueuedBytes,
      outputStallTimeoutMs: this.d.output.stallTimeoutMs,
    });
    this.countBytes(s);
    s.on('violation', (kind: string) => m.violations.inc({ transport, kind }));
    s.on('refusedStream', (reason: string) => m.streamsRefused.inc({ reason }));
    s.on('protocolError', (e: Error) => {
      m.dropped.inc({ transport, reason: 'protocol_error' });
      log.warn({ err: e, transport }, 'SPDY protocol error: session dropped');
    });
    s.on('outputStall', () => {
      m.dropped.inc({ transport, reason: 'output_stall' });
      log.warn({ transport }, 'peer left our output unread: session dropped with GOAWAY');
    });
    return s;
  }

  /** The byte stream of a SPDY-in-WebSocket tunnel; the WebSocket's pings are answered with a bound. */
  private tunnel(ws: WebSocket): Duplex {
    const max = this.d.output.maxQueuedBytes;
    ws.on('ping', (data: Buffer) => {
      if (ws.readyState === ws.OPEN && ws.bufferedAmount <= max) ws.pong(data, false, () => undefined);
    });
    const tunnel = createWebSocketStream(ws, { allowHalfOpen: false });
    tunnel.on('error', () => undefined);
    return tunnel;
  }

  private mux(ws: WebSocket): ChannelMux {
    const m = this.d.metrics;
    const mux = new ChannelMux(ws, ws.protocol, { maxQueuedOutputBytes: this.d.output.maxQueuedBytes, outputStallTimeoutMs: this.d.output.stallTimeoutMs });
    this.countBytes(mux);
    mux.on('violation', (kind: string) => m.violations.inc({ transport: 'websocket', kind }));
    mux.on('outputStall', () => {
      m.dropped.inc({ transport: 'websocket', reason: 'output_stall' });
      log.warn('peer left our output unread: WebSocket session dropped');
    });
    let timer: NodeJS.Timeout | undefined;
    const touch = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => mux.close(1000, 'idle timeout'), this.d.idleMs);
      timer.unref();
    };
    mux.on('bytesIn', touch);
    mux.on('bytesOut', touch);
    mux.on('close', () => timer && clearTimeout(timer));
    touch();
    return mux;
  }
}
