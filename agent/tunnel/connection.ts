// The agent's one HTTP/2 connection to the relay: dials it (directly or through a CONNECT proxy) with TLS
// and keepalive pings, handshakes (protocol version, capabilities, the relay's limits), notices when the
// connection is lost and dials again with back-off and jitter. Calls wait here for a connected client
// (ready) and take their metadata here. Emits 'state' and the state's own name, and 'error' for a failed
// connect when someone listens.
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../common/log.js';
import { TunnelServiceClient, type TunnelClient as GrpcTunnelClient } from '../../proto/load.js';
import { PROTOCOL_VERSION, missingCapabilities, protocolProblem } from '../../proto/wire.js';
import type { HandshakeResponse__Output } from '../../proto/gen/ecigw/tunnel/v1/HandshakeResponse.js';
import { backoffDelay } from './backoff.js';
import { proxyRoute } from './proxy.js';
import { TunnelCredentials } from './credentials.js';
import type { DataConnectionTarget } from '../../common/data-connection-dial.js';
import { TunnelError, toTunnelError } from './errors.js';
import type { ResolvedTunnelOptions } from './options.js';

export type TunnelState = 'connecting' | 'connected' | 'disconnected';

const DATA_RETRY_FIRST_MS = 30_000;
const DATA_RETRY_MAX_MS = 10 * 60_000;

export class TunnelConnection extends EventEmitter {
  private _state: TunnelState = 'disconnected';
  private client: GrpcTunnelClient | undefined;
  private stopped = true;
  private runLoop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private handshake: HandshakeResponse__Output | undefined;
  private readonly credentials: TunnelCredentials;
  /** Session data connections are not asked for before this time (ms): the last dial failed. */
  private dataPausedUntil = 0;
  private dataBackoffMs = 0;
  /** Why the last connect attempt failed (cleared on connect). */
  lastError: TunnelError | undefined;

  constructor(
    protected readonly o: ResolvedTunnelOptions,
    protected readonly log: Logger,
  ) {
    super();
    this.credentials = new TunnelCredentials(o);
    this.setMaxListeners(0); // every call waiting for a reconnect listens for 'connected'
  }

  get state(): TunnelState {
    return this._state;
  }

  /** The relay's handshake answer of the current connection. */
  get relay(): HandshakeResponse__Output | undefined {
    return this.handshake;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.runLoop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.onLost?.();
    this.wake?.();
    this.client?.close();
    await this.runLoop;
  }

  /** The client of the current connection, while connected. */
  get current(): GrpcTunnelClient | undefined {
    return this._state === 'connected' ? this.client : undefined;
  }

  /** Whether `client` is still the connection calls go over (not lost, not stopped). */
  isCurrent(client: GrpcTunnelClient): boolean {
    return !this.stopped && this.client === client;
  }

  /** Metadata of one call (see TunnelCredentials.metadata). */
  metadata(reqId: string): grpc.Metadata {
    return this.credentials.metadata(reqId);
  }

  /**
   * Where session data connections go (the tunnel's host, its TLS material), or undefined when they are off:
   * turned off, or the tunnel goes through a proxy (the data port is dialled directly only).
   */
  dataTarget(): DataConnectionTarget | undefined {
    if (!this.o.dataConnections || proxyRoute(this.o.target, this.o.proxy).proxy) return undefined;
    if (Date.now() < this.dataPausedUntil) return undefined;
    const host = this.o.target.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    // The relay waits 5 s for a session's data connection; a dial that takes longer is of no use.
    return { host, tls: () => this.credentials.tlsFiles(), connectTimeoutMs: Math.min(this.o.connectTimeoutMs, 5_000) };
  }

  /**
   * A data connection could not be dialled (a firewall that lets only the tunnel out, a relay port not
   * exposed): sessions stop asking for one for 30 s, doubling to 10 min while dials keep failing, so that only
   * the first session after each pause waits for the relay to give up on it (5 s). Returns the pause.
   */
  dataConnectionFailed(): number {
    this.dataBackoffMs = Math.min(Math.max(this.dataBackoffMs * 2, DATA_RETRY_FIRST_MS), DATA_RETRY_MAX_MS);
    this.dataPausedUntil = Date.now() + this.dataBackoffMs;
    return this.dataBackoffMs;
  }

  /** A data connection was dialled: the back-off starts over. */
  dataConnectionWorked(): void {
    this.dataBackoffMs = 0;
  }

  /** The connected client, waiting up to the deadline for a (re)connect. */
  ready(deadline: number, reqId?: string): Promise<GrpcTunnelClient> {
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

  /** Called once a connection is up and announced (the status watch starts from here). */
  protected onConnected?(client: GrpcTunnelClient): void;

  /** Called when the connection is lost (before 'disconnected' is announced) and when the client stops. */
  protected onLost?(): void;

  private setState(s: TunnelState, detail?: unknown): void {
    if (this._state === s) return;
    this._state = s;
    this.emit('state', s, detail);
    this.emit(s, detail);
  }

  private makeClient(): GrpcTunnelClient {
    const route = proxyRoute(this.o.target, this.o.proxy);
    return new TunnelServiceClient(route.dialTarget, this.credentials.channel(), {
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
    });
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
        this.onConnected?.(client);
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
      this.onLost?.();
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
}
