// The relay's `limits` section: every key, its default (some derived from others), and the checks
// that catch contradictory settings at load. Pure. Defaults suit one relay serving a few hundred agents.
import { FieldError } from '../../common/field-error.js';

export interface RelayLimits {
  /** Largest gRPC message accepted or sent (bytes). */
  maxMessageBytes: number;
  /** HTTP/2 concurrent streams per connection (intents, the watch and sessions share them). */
  maxConcurrentStreams: number;
  /** Streams per connection interactive sessions can never take (kept for intents and the watch); default a quarter of maxConcurrentStreams. */
  reservedStreams: number;
  /** Interactive sessions (exec/attach, logs, port-forward together) per agent; at most maxConcurrentStreams - reservedStreams count. */
  maxSessionsPerAgent: number;
  /** Per kind, each within maxSessionsPerAgent; default two thirds of it, so no one kind takes every slot. */
  maxExecSessionsPerAgent: number;
  maxLogSessionsPerAgent: number;
  maxPortForwardSessionsPerAgent: number;
  /**
   * Service connections (networking mode `tunnel`: one stream per TCP connection to a burst pod) per agent,
   * apart from interactive sessions; the HTTP/2 stream limit is maxConcurrentStreams plus this.
   */
  maxServiceConnectionsPerAgent: number;
  /** Service connection opens per agent: a bucket of their own (refill per second and size). */
  serviceConnectionsPerSecond: number;
  serviceConnectionBurst: number;
  /** Status watches per agent, apart from sessions; a new watch beyond it ends the agent's oldest one. */
  maxWatchesPerAgent: number;
  /** Intents, reads, handshakes and watch opens per agent: token bucket refill per second and size. */
  requestsPerSecond: number;
  burst: number;
  /** Interactive session opens per agent: a bucket of their own, so sessions never spend the intents' tokens. */
  sessionsPerSecond: number;
  sessionBurst: number;
  /** First session message must arrive within this (ms). */
  startTimeoutMs: number;
  /** A send blocked by a reader that does not read ends the session after this (ms). */
  sendTimeoutMs: number;
  /** A session with no traffic in either direction ends after this (ms). */
  idleTimeoutMs: number;
  /** Status watch bookmark interval (ms) and per-scope delta history kept for resumes. */
  bookmarkIntervalMs: number;
  statusHistory: number;
  /** How often the config file, the token file and the credentials of open streams are re-checked (ms). */
  revalidateIntervalMs: number;
  /** Open TCP connections, in total and per source (an IPv4 address or an IPv6 /64). */
  maxConnections: number;
  maxConnectionsPerSource: number;
  /** New connections per source: token bucket refill per second and size. */
  connectionsPerSecondPerSource: number;
  connectionBurstPerSource: number;
  /** TLS, HTTP/2 and a first authenticated call must complete within this, else the connection is closed (ms). */
  handshakeTimeoutMs: number;
  /** Failed authentications per source: budget refill per minute and size; an exhausted source is refused connections. */
  authFailuresPerMinutePerSource: number;
  authFailureBurstPerSource: number;
}

const BASE = {
  maxMessageBytes: 4 * 1024 * 1024,
  maxConcurrentStreams: 256,
  maxSessionsPerAgent: 192,
  maxWatchesPerAgent: 4,
  maxServiceConnectionsPerAgent: 1024,
  serviceConnectionsPerSecond: 1000,
  serviceConnectionBurst: 2000,
  requestsPerSecond: 500,
  burst: 1000,
  sessionsPerSecond: 50,
  sessionBurst: 200,
  startTimeoutMs: 10_000,
  sendTimeoutMs: 30_000,
  idleTimeoutMs: 4 * 3600_000,
  bookmarkIntervalMs: 10_000,
  statusHistory: 4096,
  revalidateIntervalMs: 2_000,
  maxConnections: 2048,
  maxConnectionsPerSource: 128,
  connectionsPerSecondPerSource: 10,
  connectionBurstPerSource: 50,
  handshakeTimeoutMs: 10_000,
  authFailuresPerMinutePerSource: 30,
  authFailureBurstPerSource: 30,
};

/** Keys whose default is computed from other keys (after the configured values are applied). */
const DERIVED: Record<Exclude<keyof RelayLimits, keyof typeof BASE>, (l: RelayLimits) => number> = {
  reservedStreams: (l) => Math.ceil(l.maxConcurrentStreams / 4),
  maxExecSessionsPerAgent: (l) => Math.ceil((l.maxSessionsPerAgent * 2) / 3),
  maxLogSessionsPerAgent: (l) => Math.ceil((l.maxSessionsPerAgent * 2) / 3),
  maxPortForwardSessionsPerAgent: (l) => Math.ceil((l.maxSessionsPerAgent * 2) / 3),
};

export const LIMIT_KEYS = [...Object.keys(BASE), ...Object.keys(DERIVED)] as (keyof RelayLimits)[];

/** Counts (streams, sessions, connections, bucket sizes) must be whole numbers. */
const INTEGER_KEYS = new Set<keyof RelayLimits>([
  'maxConcurrentStreams', 'reservedStreams', 'maxSessionsPerAgent', 'maxExecSessionsPerAgent', 'maxLogSessionsPerAgent', 'maxPortForwardSessionsPerAgent',
  'maxWatchesPerAgent', 'maxServiceConnectionsPerAgent', 'serviceConnectionBurst', 'burst', 'sessionBurst', 'statusHistory', 'maxConnections', 'maxConnectionsPerSource', 'connectionBurstPerSource', 'authFailureBurstPerSource',
]);

export function parseLimits(raw: Record<string, unknown>): RelayLimits {
  const out = { ...BASE } as RelayLimits;
  const given = new Set<string>();
  for (const [k, v] of Object.entries(raw)) {
    if (!(LIMIT_KEYS as string[]).includes(k)) throw new FieldError(`limits.${k}`, `unknown limit (known: ${LIMIT_KEYS.join(', ')})`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new FieldError(`limits.${k}`, 'must be a positive number');
    if (INTEGER_KEYS.has(k as keyof RelayLimits) && !Number.isInteger(v)) throw new FieldError(`limits.${k}`, 'must be a whole number');
    out[k as keyof RelayLimits] = v;
    given.add(k);
  }
  for (const [k, f] of Object.entries(DERIVED)) if (!given.has(k)) out[k as keyof RelayLimits] = f(out);
  if (out.reservedStreams >= out.maxConcurrentStreams) {
    throw new FieldError('limits.reservedStreams', `(${out.reservedStreams}) must be less than limits.maxConcurrentStreams (${out.maxConcurrentStreams}): sessions need some of a connection's streams`);
  }
  return out;
}

/** Interactive sessions one agent may hold: maxSessionsPerAgent, but never the streams reserved for intents and the watch. */
export const interactiveCap = (l: RelayLimits): number => Math.min(l.maxSessionsPerAgent, l.maxConcurrentStreams - l.reservedStreams);

/** The relay's HTTP/2 concurrent-stream limit per connection: the shared streams plus the Service connections'. */
export const http2StreamLimit = (l: RelayLimits): number => l.maxConcurrentStreams + l.maxServiceConnectionsPerAgent;

export const DEFAULT_LIMITS: RelayLimits = parseLimits({});
