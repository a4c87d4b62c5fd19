// The agent's side of the tunnel: one HTTP/2 connection to the relay (optionally through a CONNECT
// proxy) with keepalive pings, handshake, reconnect with back-off and jitter, per-RPC deadlines, a
// self-resuming status watch, and one RPC per exec/attach/logs/port-forward session with bounded,
// flow-controlled buffers. Credentials (cert files, token file) are re-read on every (re)connect/call.
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { Duplex, Readable, Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { logger } from '../../common/log.js';
import { TunnelServiceClient, type TunnelClient as GrpcTunnelClient } from '../../proto/load.js';
import { CAPABILITIES, METADATA, PROTOCOL_VERSION, missingCapabilities, protocolProblem } from '../../proto/wire.js';
import type { HandshakeResponse__Output } from '../../proto/gen/ecigw/tunnel/v1/HandshakeResponse.js';
import type { PodIntent } from '../../proto/gen/ecigw/tunnel/v1/PodIntent.js';
import type { PodAck__Output } from '../../proto/gen/ecigw/tunnel/v1/PodAck.js';
import type { DeletePodResponse__Output } from '../../proto/gen/ecigw/tunnel/v1/DeletePodResponse.js';
import type { PodState__Output } from '../../proto/gen/ecigw/tunnel/v1/PodState.js';
import type { ReconcileResponse__Output } from '../../proto/gen/ecigw/tunnel/v1/ReconcileResponse.js';
import type { InventoryEntry } from '../../proto/gen/ecigw/tunnel/v1/InventoryEntry.js';
import type { ExecStart } from '../../proto/gen/ecigw/tunnel/v1/ExecStart.js';
import type { ExecInput } from '../../proto/gen/ecigw/tunnel/v1/ExecInput.js';
import type { ExecOutput__Output } from '../../proto/gen/ecigw/tunnel/v1/ExecOutput.js';
import type { ExitStatus__Output } from '../../proto/gen/ecigw/tunnel/v1/ExitStatus.js';
import type { LogsRequest } from '../../proto/gen/ecigw/tunnel/v1/LogsRequest.js';
import type { LogChunk__Output } from '../../proto/gen/ecigw/tunnel/v1/LogChunk.js';
import type { PortForwardStart } from '../../proto/gen/ecigw/tunnel/v1/PortForwardStart.js';
import type { PortForwardInput } from '../../proto/gen/ecigw/tunnel/v1/PortForwardInput.js';
import type { PortForwardOutput__Output } from '../../proto/gen/ecigw/tunnel/v1/PortForwardOutput.js';
import type { PodStats__Output } from '../../proto/gen/ecigw/tunnel/v1/PodStats.js';
import type { StatusEvent__Output } from '../../proto/gen/ecigw/tunnel/v1/StatusEvent.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { proxyRoute } from './proxy.js';
import { DEFAULT_MAX_INTERACTIVE_SESSIONS, InteractiveSlots, SessionLimitError } from './session-slots.js';
import { StatusTracker, type Cursor } from './status-tracker.js';

/** Per-direction buffer of a session on the agent side; beyond it the relay is paused by HTTP/2 flow control. */
export const CLIENT_SESSION_BUFFER_BYTES = 64 * 1024;

export type TunnelState = 'connecting' | 'connected' | 'disconnected';
export type PodState = PodState__Output;
export type ExitStatus = ExitStatus__Output;

/** A PEM given inline or as a file path (re-read at every connect, so rotation needs no restart). */
export type PemSource = string | Buffer | { file: string };

export interface TunnelClientOptions {
  /** Relay `host:port`. */
  target: string;
  tls: { ca: PemSource; cert?: PemSource; key?: PemSource };
  /** Bearer token file, re-read when it changes (alternative or addition to a client certificate). */
  tokenFile?: string;
  clusterId: string;
  nodeNames: string[];
  agentId: string;
  version: string;
  /** CONNECT proxy URL; undefined = from HTTPS_PROXY/NO_PROXY, null = never. */
  proxy?: string | null;
  capabilities?: string[];
  /** Capabilities the relay must offer, else the agent refuses it. */
  requiredCapabilities?: string[];
  connectTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  /** Default deadline of unary RPCs (intents, list, stats, reconcile). */
  rpcTimeoutMs?: number;
  /** Sessions: the relay must answer (response headers) within this. */
  firstByteTimeoutMs?: number;
  /** Status watch: reconnect the watch if nothing (not even a bookmark) arrives within this. */
  watchIdleTimeoutMs?: number;
  keepaliveTimeMs?: number;
  keepaliveTimeoutMs?: number;
  /** HTTP/2 flow-control window (bytes) the agent advertises; default 256 KiB. */
  flowControlWindowBytes?: number;
  /** A session whose local reader leaves its buffer full this long is cancelled (RESOURCE_EXHAUSTED). */
  stallTimeoutMs?: number;
  /** Interactive sessions (exec/attach, logs, port-forward) open at once; also at most 3/4 of the relay's streams (session-slots.ts). */
  maxInteractiveSessions?: number;
  backoff?: BackoffOptions;
}

export interface CallOptions {
  deadlineMs?: number;
  requestId?: string;
}

export interface ExecSession {
  requestId: string;
  stdin: Writable | null;
  stdout: Readable;
  stderr: Readable;
  resize(cols: number, rows: number): void;
  /** Resolves with the exit status; rejects if the session breaks. */
  exit: Promise<ExitStatus>;
  cancel(): void;
}

export interface LogsSession {
  requestId: string;
  stream: Readable;
  cancel(): void;
}

export interface PortForwardSession {
  requestId: string;
  /** Bytes from the pod port on the read side; writes go to the pod; end() half-closes. */
  stream: Duplex;
  cancel(): void;
}

export type StatusHandler = (pod: PodState) => void | Promise<void>;

/** Error of a tunnel RPC; `code` is the gRPC status code. */
export class TunnelError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'TunnelError';
  }
}

const pem = (s: PemSource | undefined): Buffer | undefined =>
  s === undefined ? undefined : typeof s === 'object' && 'file' in s ? readFileSync(s.file) : Buffer.from(s);

const toTunnelError = (e: unknown, reqId?: string): TunnelError => {
  if (e instanceof TunnelError) return e;
  const se = e as Partial<grpc.ServiceError>;
  return new TunnelError(se.code ?? grpc.status.UNKNOWN, se.details ?? (e as Error)?.message ?? String(e), reqId);
};

export class TunnelClient extends EventEmitter {
  private _state: TunnelState = 'disconnected';
  private client: GrpcTunnelClient | undefined;
  private stopped = true;
  private runLoop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private handshake: HandshakeResponse__Output | undefined;
  private readonly tracker = new StatusTracker();
  private watchers: StatusHandler[] = [];
  private watchCall: grpc.ClientReadableStream<StatusEvent__Output> | undefined;
  /** Why the last connect attempt failed (cleared on connect). */
  lastError: TunnelError | undefined;
  private tokenCache: { stamp: string; token: string } | undefined;
  private readonly slots: InteractiveSlots;
  private readonly log;
  private readonly o: Required<Omit<TunnelClientOptions, 'tokenFile' | 'proxy' | 'requiredCapabilities'>> &
    Pick<TunnelClientOptions, 'tokenFile' | 'proxy' | 'requiredCapabilities'>;

  constructor(opts: TunnelClientOptions) {
    super();
    this.o = {
      capabilities: [...CAPABILITIES],
      connectTimeoutMs: 10_000,
      handshakeTimeoutMs: 10_000,
      rpcTimeoutMs: 30_000,
      firstByteTimeoutMs: 10_000,
      watchIdleTimeoutMs: 45_000,
      keepaliveTimeMs: 20_000,
      keepaliveTimeoutMs: 10_000,
      stallTimeoutMs: 30_000,
      flowControlWindowBytes: 256 * 1024,
      maxInteractiveSessions: DEFAULT_MAX_INTERACTIVE_SESSIONS,
      backoff: DEFAULT_BACKOFF,
      ...opts,
    };
    this.slots = new InteractiveSlots(this.o.maxInteractiveSessions);
    this.log = logger('tunnel-client', { agentId: opts.agentId, clusterId: opts.clusterId });
    this.setMaxListeners(0); // every call waiting for a reconnect listens for 'connected'
  }

  get state(): TunnelState {
    return this._state;
  }

  /** The relay's handshake answer of the current connection. */
  get relay(): HandshakeResponse__Output | undefined {
    return this.handshake;
  }

  /** Interactive sessions open now (bounded by maxInteractiveSessions and the relay's streams). */
  get interactiveSessions(): number {
    return this.slots.count;
  }

  /** Status-watch resume point. */
  get cursor(): Cursor {
    return this.tracker.cursor;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.runLoop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watchCall?.cancel();
    this.wake?.();
    this.client?.close();
    await this.runLoop;
  }

  // ---- connection ----

  private setState(s: TunnelState, detail?: unknown): void {
    if (this._state === s) return;
    this._state = s;
    this.emit('state', s, detail);
    this.emit(s, detail);
  }

  private makeClient(): GrpcTunnelClient {
    const route = proxyRoute(this.o.target, this.o.proxy);
    const creds = grpc.credentials.createSsl(pem(this.o.tls.ca), pem(this.o.tls.key), pem(this.o.tls.cert));
    return new TunnelServiceClient(route.dialTarget, creds, {
      ...route.options,
      'grpc.keepalive_time_ms': this.o.keepaliveTimeMs,
      'grpc.keepalive_timeout_ms': this.o.keepaliveTimeoutMs,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.max_receive_message_length': 8 * 1024 * 1024,
      // HTTP/2 receive window per stream (and for the connection): what a relay may send ahead of
      // a reader. Bounds the memory of a stalled session; larger windows raise bulk throughput.
      'grpc-node.flow_control_window': this.o.flowControlWindowBytes,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
      'grpc.client_idle_timeout_ms': 24 * 3600_000,
    }) as unknown as GrpcTunnelClient;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      this.setState('connecting');
      const client = this.makeClient();
      try {
        await new Promise<void>((resolve, reject) =>
          client.waitForReady(Date.now() + this.o.connectTimeoutMs, (e) => (e ? reject(new TunnelError(grpc.status.UNAVAILABLE, `connect to ${this.o.target}: ${e.message}`)) : resolve())),
        );
        const hs = await this.handshakeWith(client);
        this.client = client;
        this.handshake = hs;
        attempt = 0;
        this.lastError = undefined;
        this.log.info({ relayVersion: hs.relayVersion, tenant: hs.tenantId, epoch: hs.relayEpoch }, 'tunnel connected');
        this.setState('connected', hs);
        if (this.watchers.length) void this.runWatch(client);
        await this.untilLost(client);
        this.log.warn('tunnel connection lost');
      } catch (e) {
        if (!this.stopped) {
          this.log.warn({ err: (e as Error).message }, 'tunnel connect failed');
          // 'error' only when someone listens (an unheard 'error' would throw); the state still says it.
          if (this.listenerCount('error') > 0) this.emit('error', toTunnelError(e));
          this.lastError = toTunnelError(e);
        }
      }
      this.client = undefined;
      this.watchCall?.cancel();
      client.close();
      this.setState('disconnected');
      if (this.stopped) break;
      await this.sleep(backoffDelay(attempt++, this.o.backoff));
    }
    this.setState('disconnected');
  }

  private handshakeWith(client: GrpcTunnelClient): Promise<HandshakeResponse__Output> {
    const reqId = randomUUID();
    return new Promise((resolve, reject) => {
      client.Handshake(
        {
          agentId: this.o.agentId,
          clusterId: this.o.clusterId,
          nodeNames: this.o.nodeNames,
          agentVersion: this.o.version,
          protocolVersion: PROTOCOL_VERSION,
          capabilities: this.o.capabilities,
          requiredCapabilities: this.o.requiredCapabilities ?? [],
        },
        this.metadata(reqId),
        { deadline: Date.now() + this.o.handshakeTimeoutMs },
        (err, res) => {
          if (err) return reject(toTunnelError(err, reqId));
          if (!res) return reject(new TunnelError(grpc.status.INTERNAL, 'empty handshake response', reqId));
          const problem = protocolProblem(`relay ${res.relayVersion}`, res.protocolVersion);
          if (problem) return reject(new TunnelError(grpc.status.FAILED_PRECONDITION, problem, reqId));
          const missing = missingCapabilities(this.o.requiredCapabilities ?? [], res.capabilities);
          if (missing.length) return reject(new TunnelError(grpc.status.FAILED_PRECONDITION, `relay ${res.relayVersion} lacks required capabilities: ${missing.join(', ')}`, reqId));
          resolve(res);
        },
      );
    });
  }

  /** Resolves when the channel leaves READY (connection cut, GOAWAY, keepalive failure) or on stop. */
  private untilLost(client: GrpcTunnelClient): Promise<void> {
    return new Promise((resolve) => {
      const channel = client.getChannel();
      const check = () => {
        if (this.stopped) return resolve();
        const s = channel.getConnectivityState(false);
        if (s !== grpc.connectivityState.READY) return resolve();
        channel.watchConnectivityState(s, Infinity, check);
      };
      this.wake = resolve;
      check();
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => (clearTimeout(t), resolve());
    });
  }

  /** The connected client, waiting up to the deadline for a (re)connect. */
  private ready(deadline: number, reqId?: string): Promise<GrpcTunnelClient> {
    if (this.client && this._state === 'connected') return Promise.resolve(this.client);
    if (this.stopped) return Promise.reject(new TunnelError(grpc.status.UNAVAILABLE, 'tunnel client is stopped', reqId));
    return new Promise((resolve, reject) => {
      const onConnected = () => {
        clearTimeout(t);
        resolve(this.client!);
      };
      const t = setTimeout(() => {
        this.off('connected', onConnected);
        reject(new TunnelError(grpc.status.UNAVAILABLE, `tunnel not connected to ${this.o.target} within the deadline`, reqId));
      }, Math.max(0, deadline - Date.now()));
      this.once('connected', onConnected);
    });
  }

  private token(): string | undefined {
    if (!this.o.tokenFile) return undefined;
    try {
      const st = statSync(this.o.tokenFile);
      const stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
      if (this.tokenCache?.stamp !== stamp) this.tokenCache = { stamp, token: readFileSync(this.o.tokenFile, 'utf8').trim() };
      return this.tokenCache.token;
    } catch (e) {
      throw new TunnelError(grpc.status.UNAUTHENTICATED, `token file ${this.o.tokenFile} unreadable: ${(e as Error).message}`);
    }
  }

  private metadata(reqId: string): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set(METADATA.requestId, reqId);
    md.set(METADATA.clusterId, this.o.clusterId);
    md.set(METADATA.agentId, this.o.agentId);
    md.set(METADATA.protocol, String(PROTOCOL_VERSION));
    const token = this.token();
    if (token) md.set(METADATA.authorization, `Bearer ${token}`);
    return md;
  }

  // ---- unary ----

  private async unary<Req, Res>(method: keyof GrpcTunnelClient & string, req: Req, o: CallOptions = {}): Promise<Res> {
    const reqId = o.requestId ?? randomUUID();
    const deadline = Date.now() + (o.deadlineMs ?? this.o.rpcTimeoutMs);
    const client = await this.ready(deadline, reqId);
    const fn = (client[method] as unknown as (r: Req, md: grpc.Metadata, co: grpc.CallOptions, cb: grpc.requestCallback<Res>) => void).bind(client);
    return await new Promise<Res>((resolve, reject) =>
      fn(req, this.metadata(reqId), { deadline }, (err, res) => {
        if (err) {
          this.log.debug({ reqId, method, code: err.code, err: err.details }, 'rpc failed');
          reject(toTunnelError(err, reqId));
        } else {
          this.log.debug({ reqId, method }, 'rpc ok');
          resolve(res as Res);
        }
      }),
    );
  }

  apply(intent: PodIntent, o?: CallOptions): Promise<PodAck__Output> {
    return this.unary('ApplyPod', { intent }, o);
  }

  delete(uid: string, gracePeriodSeconds: number, o?: CallOptions): Promise<DeletePodResponse__Output> {
    return this.unary('DeletePod', { uid, gracePeriodSeconds }, o);
  }

  get(uid: string, o?: CallOptions): Promise<PodState> {
    return this.unary('GetPod', { uid }, o);
  }

  async list(o?: CallOptions): Promise<PodState[]> {
    return (await this.unary<object, { pods: PodState[] }>('ListPods', {}, o)).pods;
  }

  reconcile(inventory: InventoryEntry[], o?: CallOptions): Promise<ReconcileResponse__Output> {
    return this.unary('Reconcile', { inventory }, o);
  }

  async stats(podUids: string[] = [], o?: CallOptions): Promise<PodStats__Output[]> {
    return (await this.unary<object, { pods: PodStats__Output[] }>('Stats', { podUids }, o)).pods;
  }

  // ---- status watch ----

  /** Registers a handler for pod states; the watch resumes by itself after every reconnect. */
  watchStatus(handler: StatusHandler): () => void {
    this.watchers.push(handler);
    if (this.watchers.length === 1 && this.client && this._state === 'connected') void this.runWatch(this.client);
    return () => {
      this.watchers = this.watchers.filter((h) => h !== handler);
      if (this.watchers.length === 0) this.watchCall?.cancel();
    };
  }

  /** Runs one watch stream on this connection; reopens it (resuming) until the connection is lost. */
  private async runWatch(client: GrpcTunnelClient): Promise<void> {
    let watchFailures = 0;
    while (!this.stopped && this.client === client && this.watchers.length) {
      const reqId = randomUUID();
      const { epoch, seq } = this.tracker.cursor;
      let md: grpc.Metadata;
      try {
        md = this.metadata(reqId);
      } catch (e) {
        this.log.warn({ reqId, err: (e as Error).message }, 'status watch cannot start');
        await new Promise((r) => setTimeout(r, Math.min(5_000, 200 * 2 ** ++watchFailures)));
        continue;
      }
      const call = client.WatchStatus({ epoch, seq }, md);
      this.watchCall = call;
      let idle: NodeJS.Timeout | undefined;
      let received = false;
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(() => {
          this.log.warn({ reqId }, 'status watch idle; reopening');
          call.cancel();
        }, this.o.watchIdleTimeoutMs);
      };
      arm();
      await new Promise<void>((resolve) => {
        call.on('data', (ev: StatusEvent__Output) => {
          received = true;
          arm();
          const states = this.tracker.apply(ev);
          if (states.length === 0) return;
          call.pause();
          void (async () => {
            for (const s of states) {
              for (const h of this.watchers) {
                try {
                  await h(s);
                } catch (e) {
                  this.log.error({ err: (e as Error).message, uid: s.uid }, 'status handler failed');
                }
              }
            }
            call.resume();
          })();
        });
        call.on('error', (e: grpc.ServiceError) => {
          if (e.code !== grpc.status.CANCELLED) this.log.info({ reqId, code: e.code, err: e.details }, 'status watch ended');
          resolve();
        });
        call.on('end', resolve);
      });
      clearTimeout(idle);
      if (this.watchCall === call) this.watchCall = undefined;
      // Reopen soon after a normal end, slower after repeated failures (bounded back-off).
      watchFailures = received ? 0 : watchFailures + 1;
      if (!this.stopped && this.client === client) await new Promise((r) => setTimeout(r, Math.min(5_000, 200 * 2 ** watchFailures)));
    }
  }

  // ---- sessions ----

  /**
   * Pauses/resumes a session call for backpressure and cancels it when the local reader stalls
   * longer than stallTimeoutMs (grpc-js holds the final status behind unread messages, so without
   * this a session ended by the relay would never settle while nobody reads it).
   */
  private flow(call: { pause(): unknown; resume(): unknown; cancel(): void }, kind: string, onStall: (e: TunnelError) => void, reqId: string) {
    let timer: NodeJS.Timeout | undefined;
    return {
      pause: () => {
        call.pause();
        timer ??= setTimeout(() => {
          this.log.warn({ reqId, kind }, 'session reader stalled; cancelling');
          this.emit('session-stalled', kind);
          onStall(new TunnelError(grpc.status.RESOURCE_EXHAUSTED, `${kind}: the local reader did not read for ${this.o.stallTimeoutMs} ms; session ended`, reqId));
          call.cancel();
        }, this.o.stallTimeoutMs);
      },
      resume: () => {
        clearTimeout(timer);
        timer = undefined;
        call.resume();
      },
      done: () => clearTimeout(timer),
    };
  }

  /** Writes one message; if the relay does not take it within stallTimeoutMs the session is cancelled. */
  private timedWrite<Req>(call: { write(msg: Req, cb: () => void): boolean; cancel(): void }, msg: Req, kind: string, reqId: string, onStall: (e: TunnelError) => void, cb: () => void): void {
    const timer = setTimeout(() => {
      this.log.warn({ reqId, kind }, 'relay did not accept input; cancelling');
      this.emit('session-stalled', kind);
      onStall(new TunnelError(grpc.status.RESOURCE_EXHAUSTED, `${kind}: the relay did not accept input for ${this.o.stallTimeoutMs} ms; session ended`, reqId));
      call.cancel();
      cb();
    }, this.o.stallTimeoutMs);
    call.write(msg, () => {
      clearTimeout(timer);
      cb();
    });
  }

  private async openSession<C extends grpc.ClientDuplexStream<unknown, unknown> | grpc.ClientReadableStream<unknown>>(
    reqId: string,
    kind: string,
    open: (client: GrpcTunnelClient, md: grpc.Metadata) => C,
  ): Promise<C> {
    const client = await this.ready(Date.now() + this.o.connectTimeoutMs, reqId);
    let release: () => void;
    try {
      release = this.slots.acquire(kind, this.handshake?.limits?.maxConcurrentStreams);
    } catch (e) {
      if (!(e instanceof SessionLimitError)) throw e;
      this.log.warn({ reqId, kind, open: this.slots.count }, 'interactive session refused locally: tunnel session cap reached');
      throw new TunnelError(e.code, e.message, reqId);
    }
    let call: C;
    try {
      call = open(client, this.metadata(reqId));
    } catch (e) {
      release();
      throw e;
    }
    call.once('status', release);
    call.once('error', release);
    this.log.debug({ reqId }, 'session opened');
    const t = setTimeout(() => call.cancel(), this.o.firstByteTimeoutMs);
    call.once('metadata', () => clearTimeout(t));
    call.once('status', () => clearTimeout(t));
    return call;
  }

  /** Opens an exec (command) or attach session. */
  async exec(start: ExecStart, o: { requestId?: string; attach?: boolean } = {}): Promise<ExecSession> {
    const reqId = o.requestId ?? randomUUID();
    const call = await this.openSession(reqId, o.attach ? 'attach' : 'exec', (c, md) =>
      (o.attach ? c.Attach(md) : c.Exec(md)) as grpc.ClientDuplexStream<ExecInput, ExecOutput__Output>,
    );
    call.write({ start });
    // _read is the stream asking for more: resume unconditionally (Node calls it again only after a
    // push). A full sibling stream pauses the call again on its next push, so each buffer overshoots
    // its high-water mark by at most one message.
    let stallError: TunnelError | undefined;
    const flow = this.flow(call, o.attach ? 'attach' : 'exec', (e) => (stallError = e), reqId);
    const resumeIfRoom = () => flow.resume();
    const stdout = new Readable({ highWaterMark: CLIENT_SESSION_BUFFER_BYTES, read: resumeIfRoom });
    const stderr = new Readable({ highWaterMark: CLIENT_SESSION_BUFFER_BYTES, read: resumeIfRoom });
    let exitStatus: ExitStatus | undefined;
    const exit = new Promise<ExitStatus>((resolve, reject) => {
      call.on('data', (m: ExecOutput__Output) => {
        if (m.msg === 'stdout' && m.stdout) {
          if (!stdout.push(m.stdout)) flow.pause();
        } else if (m.msg === 'stderr' && m.stderr) {
          if (!stderr.push(m.stderr)) flow.pause();
        } else if (m.msg === 'exit' && m.exit) exitStatus = m.exit;
      });
      call.on('error', (e) => {
        flow.done();
        // The error is reported through `exit`; the output streams just end (no unheard 'error' events).
        stdout.push(null);
        stderr.push(null);
        reject(stallError ?? toTunnelError(e, reqId));
      });
      call.on('end', () => {
        flow.done();
        stdout.push(null);
        stderr.push(null);
        call.end();
        if (exitStatus) resolve(exitStatus);
        else reject(new TunnelError(grpc.status.UNKNOWN, 'session ended without an exit status', reqId));
      });
    });
    exit.catch(() => undefined);
    const stdin = start.stdin
      ? new Writable({
          highWaterMark: CLIENT_SESSION_BUFFER_BYTES,
          write: (chunk: Buffer, _e, cb) => this.timedWrite(call, { stdin: chunk }, 'exec', reqId, (e) => (stallError ??= e), () => cb()),
          final: (cb) => {
            call.write({ closeStdin: true });
            cb();
          },
        })
      : null;
    return {
      requestId: reqId,
      stdin,
      stdout,
      stderr,
      resize: (cols, rows) => void call.write({ resize: { cols, rows } }),
      exit,
      cancel: () => call.cancel(), // `exit` rejects with CANCELLED
    };
  }

  attach(start: ExecStart, o: { requestId?: string } = {}): Promise<ExecSession> {
    return this.exec(start, { ...o, attach: true });
  }

  async logs(req: LogsRequest, o: { requestId?: string } = {}): Promise<LogsSession> {
    const reqId = o.requestId ?? randomUUID();
    const call = await this.openSession(reqId, 'logs', (c, md) => c.Logs(req, md) as grpc.ClientReadableStream<LogChunk__Output>);
    let cancelled = false;
    let stallError: TunnelError | undefined;
    const flow = this.flow(call, 'logs', (e) => (stallError = e), reqId);
    const stream = new Readable({ highWaterMark: CLIENT_SESSION_BUFFER_BYTES, read: () => flow.resume() });
    call.on('data', (m: LogChunk__Output) => {
      if (!stream.push(m.data)) flow.pause();
    });
    call.on('error', (e) => {
      flow.done();
      if (stallError) stream.destroy(stallError);
      else if (cancelled) stream.destroy();
      else stream.destroy(toTunnelError(e, reqId));
    });
    call.on('end', () => (flow.done(), stream.push(null)));
    stream.on('close', () => ((cancelled = true), call.cancel()));
    return { requestId: reqId, stream, cancel: () => ((cancelled = true), call.cancel()) };
  }

  async portForward(start: PortForwardStart, o: { requestId?: string } = {}): Promise<PortForwardSession> {
    const reqId = o.requestId ?? randomUUID();
    const call = await this.openSession(reqId, 'portforward', (c, md) => c.PortForward(md) as grpc.ClientDuplexStream<PortForwardInput, PortForwardOutput__Output>);
    call.write({ start });
    const stream = new Duplex({
      readableHighWaterMark: CLIENT_SESSION_BUFFER_BYTES,
      writableHighWaterMark: CLIENT_SESSION_BUFFER_BYTES,
      read: () => flow.resume(),
      write: (chunk: Buffer, _e, cb) => this.timedWrite(call, { data: chunk }, 'portforward', reqId, (e) => (stallError ??= e), () => cb()),
      final: (cb) => {
        call.write({ closeWrite: true });
        cb();
      },
    });
    let cancelled = false;
    let stallError: TunnelError | undefined;
    const flow = this.flow(call, 'portforward', (e) => (stallError = e), reqId);
    call.on('data', (m: PortForwardOutput__Output) => {
      if (m.msg === 'data' && m.data) {
        if (!stream.push(m.data)) flow.pause();
      } else if (m.msg === 'closeWrite') stream.push(null);
    });
    call.on('error', (e) => {
      flow.done();
      if (stallError) stream.destroy(stallError);
      else if (cancelled) stream.destroy();
      else stream.destroy(toTunnelError(e, reqId));
    });
    call.on('end', () => {
      flow.done();
      stream.push(null);
      call.end();
    });
    return { requestId: reqId, stream, cancel: () => ((cancelled = true), call.cancel()) };
  }
}
