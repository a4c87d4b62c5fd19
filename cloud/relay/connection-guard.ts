// Pre-authentication limits of the relay: accepts TCP itself and hands admitted sockets to grpc-js
// (a connection injector), so a client that never authenticates cannot exhaust the relay. Caps open
// connections in total and per source, rate-limits new connections per source, closes connections
// that have not authenticated a call within a deadline, and keeps a per-source budget of failed
// authentications; an exhausted source is refused new connections until the budget refills.
import { createServer, isIPv4, isIPv6, type Server, type Socket } from 'node:net';
import type { TokenBucket } from 'limiter';
import { fullBucket, type MonotonicNow } from './bucket.js';
import type { Counter, Gauge } from 'prom-client';
import type { Logger } from '../../common/log.js';
import type { AuthObserver } from './authorize.js';
import type { RelayLimits } from './limits.js';

type GuardLimits = Pick<
  RelayLimits,
  | 'maxConnections'
  | 'maxConnectionsPerSource'
  | 'connectionsPerSecondPerSource'
  | 'connectionBurstPerSource'
  | 'handshakeTimeoutMs'
  | 'authFailuresPerMinutePerSource'
  | 'authFailureBurstPerSource'
>;

type RejectReason = 'max_connections' | 'source_connections' | 'source_rate' | 'auth_failures' | 'handshake_timeout';

/** Sources remembered at most (an IPv6 attacker has many); idle ones are forgotten first. */
const MAX_TRACKED_SOURCES = 65_536;

/**
 * The source a connection is counted against: an IPv4 address (also when IPv4-mapped), or the /64
 * prefix of an IPv6 address (one host usually owns a whole /64).
 */
export function sourceOf(address: string | undefined): string {
  if (!address) return 'unknown';
  const a = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (mapped) return mapped[1];
  if (isIPv4(a)) return a;
  if (!isIPv6(a)) return a;
  const [head, tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  const groups = tail !== undefined ? [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return `${groups.slice(0, 4).map((g) => parseInt(g || '0', 16).toString(16)).join(':')}::/64`;
}

interface SourceState {
  conns: number;
  accepts: TokenBucket;
  authBudget: TokenBucket;
}

interface Conn {
  socket: Socket;
  source: string;
  deadline: NodeJS.Timeout | undefined;
  closing?: boolean;
  /** The client certificate (DER) TLS verified, once read; null: none. */
  certificate?: Buffer | null;
}

interface GuardMetrics {
  rejected: Counter<'reason'>;
  open: Gauge;
}

export class ConnectionGuard implements AuthObserver {
  private readonly sources = new Map<string, SourceState>();
  /** Open connections by peer (`address:port`, as grpc-js reports it for a call). */
  private readonly conns = new Map<string, Conn>();
  private server: Server | undefined;
  private readonly logBudget = fullBucket(10, 2, 'second');

  constructor(
    private readonly limits: GuardLimits,
    private readonly inject: (socket: Socket) => void,
    private readonly metrics: GuardMetrics,
    private readonly log: Logger,
    /** Clock of the per-source buckets (tests drive it; default performance.now()). */
    private readonly now?: MonotonicNow,
  ) {}

  listen(host: string, port: number): Promise<number> {
    // No Nagle: HTTP/2's small frames (WINDOW_UPDATE, headers, short messages) must not wait for delayed ACKs.
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  }

  /** Stops accepting; `destroy` also drops every open connection at once. */
  close(destroy = false): Promise<void> {
    if (destroy) for (const c of this.conns.values()) c.socket.destroy();
    const server = this.server;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private source(key: string): SourceState {
    let s = this.sources.get(key);
    if (!s) {
      if (this.sources.size >= MAX_TRACKED_SOURCES) this.prune(true);
      s = {
        conns: 0,
        accepts: fullBucket(this.limits.connectionBurstPerSource, this.limits.connectionsPerSecondPerSource, 'second', this.now),
        authBudget: fullBucket(this.limits.authFailureBurstPerSource, this.limits.authFailuresPerMinutePerSource, 'minute', this.now),
      };
      this.sources.set(key, s);
    }
    return s;
  }

  /** Why a new connection from `source` is refused, or undefined to admit it (taking an accept token). */
  admit(source: string): RejectReason | undefined {
    if (this.conns.size >= this.limits.maxConnections) return 'max_connections';
    const s = this.source(source);
    if (s.conns >= this.limits.maxConnectionsPerSource) return 'source_connections';
    s.authBudget.drip();
    if (s.authBudget.content < 1) return 'auth_failures';
    if (!s.accepts.tryRemoveTokens(1)) return 'source_rate';
    return undefined;
  }

  private accept(socket: Socket): void {
    socket.on('error', () => undefined); // a reset before or during TLS is the peer's business
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const source = sourceOf(socket.remoteAddress);
    const reason = this.admit(source);
    if (reason) return this.reject(socket, source, reason);
    const conn: Conn = {
      socket,
      source,
      deadline: setTimeout(() => this.reject(socket, source, 'handshake_timeout'), this.limits.handshakeTimeoutMs),
    };
    conn.deadline!.unref();
    this.conns.set(peer, conn);
    this.sources.get(source)!.conns++;
    this.metrics.open.set(this.conns.size);
    socket.once('close', () => {
      clearTimeout(conn.deadline);
      if (this.conns.get(peer) === conn) this.conns.delete(peer);
      const s = this.sources.get(source);
      if (s) s.conns--;
      this.metrics.open.set(this.conns.size);
    });
    this.inject(socket);
  }

  private reject(socket: Socket, source: string, reason: RejectReason): void {
    this.metrics.rejected.inc({ reason });
    if (this.logBudget.tryRemoveTokens(1)) this.log.warn({ source, reason }, reason === 'handshake_timeout' ? 'connection closed: no authenticated call within the handshake deadline' : 'connection refused');
    socket.destroy();
  }

  authenticated(peer: string): void {
    const c = this.conns.get(peer);
    if (c?.deadline) {
      clearTimeout(c.deadline);
      c.deadline = undefined;
    }
  }

  certificate(peer: string, read: () => Buffer | undefined): Buffer | undefined {
    const c = this.conns.get(peer);
    if (!c) return read();
    if (c.certificate === undefined) c.certificate = read() ?? null;
    return c.certificate ?? undefined;
  }

  failed(peer: string): boolean {
    const c = this.conns.get(peer);
    if (!c) return true;
    const s = this.sources.get(c.source);
    if (!s || s.authBudget.tryRemoveTokens(1)) return true;
    // Out of budget: this connection goes (after the refusal is written) and the source gets no new one.
    if (!c.closing) {
      c.closing = true;
      setImmediate(() => this.reject(c.socket, c.source, 'auth_failures'));
    }
    return false;
  }

  /** Forgets sources with no connection whose buckets are full again (or, when `force`, any idle one). */
  prune(force = false): void {
    for (const [key, s] of this.sources) {
      if (s.conns > 0) continue;
      s.accepts.drip();
      s.authBudget.drip();
      if (force || (s.accepts.content >= s.accepts.bucketSize && s.authBudget.content >= s.authBudget.bucketSize)) this.sources.delete(key);
      if (force && this.sources.size < MAX_TRACKED_SOURCES * 0.9) break;
    }
  }
}
