// The relay's listener for session data connections (proto/data-connection.ts): a TLS server, off unless a
// port is configured, that pairs each incoming connection with the session that issued its token. A token is
// 32 random bytes, good for one connection, and only for `waitMs` after the session asked for it; it travels
// only in the session's response headers, inside the authenticated tunnel, so holding it is the permission.
// Before the hello: at most `maxPending` connections (`maxPendingPerSource` from one source), each closed
// after `helloTimeoutMs`. Nothing else is read from an agent here; the session reads the agent's input on
// the connection when both sides said so (DATA_ACCEPTED_WITH_INPUT).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { Counter } from 'prom-client';
import type { Logger } from '../../common/log.js';
import { DATA_ACCEPTED, DATA_ACCEPTED_WITH_INPUT, DATA_HELLO_BYTES, DATA_TLS_CIPHERS, DATA_TOKEN_BYTES, parseDataHello } from '../../proto/data-connection.js';
import { sourceOf } from './connection-guard.js';

export interface DataConnectionOptions {
  host: string;
  port: number;
  certFile: string;
  keyFile: string;
  /** How long a session waits for its data connection before it sends its output on the gRPC stream. */
  waitMs: number;
  helloTimeoutMs: number;
  /** Connections that have not yet presented a valid hello. */
  maxPending: number;
  /** The same, from one source (an IPv4 address or an IPv6 /64), so that one source cannot take them all. */
  maxPendingPerSource: number;
}

type Outcome = 'claimed' | 'not_dialled' | 'bad_hello' | 'unknown_token' | 'hello_timeout' | 'too_many_pending' | 'source_pending';

interface Expected {
  resolve: (socket: TLSSocket | undefined) => void;
  timer: NodeJS.Timeout;
  /** The session reads its input on the connection. */
  input: boolean;
}

export class DataConnections {
  private server?: Server;
  private readonly expected = new Map<string, Expected>();
  private readonly pending = new Set<TLSSocket>();
  private readonly pendingBySource = new Map<string, number>();
  /** Every TCP connection (pending, claimed, or still shaking hands): close() ends them all. */
  private readonly connections = new Set<Socket>();
  private tlsFiles = { cert: '', key: '' };
  port = 0;

  constructor(
    private readonly o: DataConnectionOptions,
    private readonly log: Logger,
    private readonly outcomes: Counter<'outcome'>,
  ) {}

  async start(): Promise<number> {
    this.tlsFiles = { cert: readFileSync(this.o.certFile, 'utf8'), key: readFileSync(this.o.keyFile, 'utf8') };
    // Half-open: the agent's FIN ends a session's input, not its output.
    // A handshake gets the hello's time, not Node's 120 s: a connection counts as pending only once it is done.
    const server = createServer(
      { ...this.tlsFiles, minVersion: 'TLSv1.2', ciphers: DATA_TLS_CIPHERS, honorCipherOrder: true, handshakeTimeout: this.o.helloTimeoutMs, allowHalfOpen: true, noDelay: true },
      (socket) => this.accept(socket),
    );
    // A failed or timed-out handshake: drop the connection (with a listener here Node leaves it open).
    server.on('tlsClientError', (_e, socket) => socket.destroy());
    // Every TCP connection, handshake or not, so that close() does not wait for one still shaking hands.
    server.on('connection', (tcp: Socket) => {
      this.connections.add(tcp);
      tcp.once('close', () => this.connections.delete(tcp));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => (server.off('error', reject), resolve()));
    });
    this.port = (server.address() as { port: number }).port;
    this.log.info({ host: this.o.host, port: this.port }, 'data connections listening');
    return this.port;
  }

  /** Picks up a rotated serving certificate (called on the relay's revalidation tick). */
  refreshCertificate(): void {
    try {
      const next = { cert: readFileSync(this.o.certFile, 'utf8'), key: readFileSync(this.o.keyFile, 'utf8') };
      if (next.cert === this.tlsFiles.cert && next.key === this.tlsFiles.key) return;
      this.server?.setSecureContext(next);
      this.tlsFiles = next;
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'data connections: serving certificate not re-read; keeping the loaded one');
    }
  }

  /**
   * Reserves a token for one session. `socket` resolves with the connection that presents it, or with
   * undefined after waitMs or when `signal` aborts (the session then sends its output on the gRPC stream).
   */
  expect(signal: AbortSignal, input = false): { token: string; socket: Promise<TLSSocket | undefined> } {
    const token = randomBytes(DATA_TOKEN_BYTES).toString('base64url');
    const socket = new Promise<TLSSocket | undefined>((resolve) => {
      const done = (s: TLSSocket | undefined) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.expected.delete(token);
        resolve(s);
      };
      const onAbort = () => done(undefined);
      // The agent asked for one and none came: most often a firewall that lets only the tunnel out.
      const timer = setTimeout(() => (this.outcomes.inc({ outcome: 'not_dialled' }), done(undefined)), this.o.waitMs);
      timer.unref();
      signal.addEventListener('abort', onAbort, { once: true });
      this.expected.set(token, { resolve: done, timer, input });
    });
    return { token, socket };
  }

  private accept(socket: TLSSocket): void {
    socket.on('error', () => undefined);
    if (this.pending.size >= this.o.maxPending) return this.reject(socket, 'too_many_pending');
    const source = sourceOf(socket.remoteAddress);
    const fromSource = this.pendingBySource.get(source) ?? 0;
    if (fromSource >= this.o.maxPendingPerSource) return this.reject(socket, 'source_pending');
    this.pendingBySource.set(source, fromSource + 1);
    let counted = true;
    const uncount = () => {
      if (!counted) return;
      counted = false;
      const n = (this.pendingBySource.get(source) ?? 1) - 1;
      if (n > 0) this.pendingBySource.set(source, n);
      else this.pendingBySource.delete(source);
    };
    this.pending.add(socket);
    const chunks: Buffer[] = [];
    let have = 0;
    const timer = setTimeout(() => this.reject(socket, 'hello_timeout'), this.o.helloTimeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      uncount();
      this.pending.delete(socket);
      socket.off('data', onData);
    };
    socket.once('close', cleanup);
    const onData = (d: Buffer) => {
      chunks.push(d);
      have += d.length;
      if (have < DATA_HELLO_BYTES) return;
      cleanup();
      const all = Buffer.concat(chunks, have);
      // The agent sends nothing after its hello; more is a protocol error.
      const token = have === DATA_HELLO_BYTES ? parseDataHello(all) : undefined;
      if (!token) return this.reject(socket, 'bad_hello');
      const waiting = this.expected.get(token);
      if (!waiting) return this.reject(socket, 'unknown_token');
      socket.pause();
      socket.write(Buffer.of(waiting.input ? DATA_ACCEPTED_WITH_INPUT : DATA_ACCEPTED));
      this.outcomes.inc({ outcome: 'claimed' });
      waiting.resolve(socket);
    };
    socket.on('data', onData);
  }

  private reject(socket: TLSSocket, outcome: Exclude<Outcome, 'claimed'>): void {
    this.outcomes.inc({ outcome });
    this.pending.delete(socket);
    socket.destroy();
  }

  async close(): Promise<void> {
    for (const [, e] of this.expected) e.resolve(undefined);
    // Destroying a TCP connection closes the TLS socket on it.
    for (const s of this.connections) s.destroy();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
