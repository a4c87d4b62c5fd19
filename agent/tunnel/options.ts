// The tunnel client's settings: what a caller may set (TunnelClientOptions), per-call options, and the
// defaults every unset setting takes. The connection, the status watch and the sessions read the resolved form.
import { CAPABILITIES } from '../../proto/wire.js';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { DEFAULT_MAX_INTERACTIVE_SESSIONS } from './session-slots.js';

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
  /** Take exec/attach/port-forward output on a data connection beside the tunnel when the relay offers one (not through a proxy). */
  dataConnections?: boolean;
  /** Interactive sessions (exec/attach, logs, port-forward) open at once; also at most 3/4 of the relay's streams (session-slots.ts). */
  maxInteractiveSessions?: number;
  backoff?: BackoffOptions;
}

export interface CallOptions {
  deadlineMs?: number;
  requestId?: string;
}

type Optional = 'tokenFile' | 'proxy' | 'requiredCapabilities';

/** The options with every default filled in. */
export type ResolvedTunnelOptions = Required<Omit<TunnelClientOptions, Optional>> & Pick<TunnelClientOptions, Optional>;

export function resolveTunnelOptions(opts: TunnelClientOptions): ResolvedTunnelOptions {
  return {
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
    dataConnections: true,
    maxInteractiveSessions: DEFAULT_MAX_INTERACTIVE_SESSIONS,
    backoff: DEFAULT_BACKOFF,
    ...opts,
  };
}
