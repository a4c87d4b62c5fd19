// Per-agent admission on the relay: two rate-limit buckets (control: intents, reads, handshakes and
// watch opens; sessions: interactive session opens) and open-session caps per kind, with the status
// watch counted apart so interactive users can never starve it. Keys are agent keys (keys.ts).
import * as grpc from '@grpc/grpc-js';
import type { TokenBucket } from 'limiter';
import { fullBucket, type MonotonicNow } from './bucket.js';
import { RpcError } from './errors.js';
import { interactiveCap, type RelayLimits } from './limits.js';
import { once } from '../../common/once.js';

export type SessionKind = 'exec' | 'attach' | 'logs' | 'portforward' | 'service' | 'watch' | 'egress';
type Interactive = 'exec' | 'logs' | 'portforward';

/** Egress streams per agent (one is used; a reconnecting agent's new one supersedes the oldest). */
const MAX_EGRESS_STREAMS_PER_AGENT = 2;

/** exec and attach share a cap (both are a process's stdio). */
const classOf = (kind: Exclude<SessionKind, 'watch' | 'egress' | 'service'>): Interactive => (kind === 'attach' ? 'exec' : kind);

const KIND_LIMIT: Record<Interactive, keyof RelayLimits> = {
  exec: 'maxExecSessionsPerAgent',
  logs: 'maxLogSessionsPerAgent',
  portforward: 'maxPortForwardSessionsPerAgent',
};

interface AgentState {
  control: TokenBucket;
  sessions: TokenBucket;
  open: Record<Interactive, number>;
  /** Service connections: their own bucket and count, never an interactive slot. */
  service: TokenBucket;
  openService: number;
  /** Open watches, oldest first, each with the function that ends it; and the same for Egress streams. */
  watches: { end: (why: string) => void }[];
  egress: { end: (why: string) => void }[];
}

export class SessionSlots {
  private readonly agents = new Map<string, AgentState>();

  constructor(
    private readonly limits: RelayLimits,
    /** Clock of the rate buckets (tests drive it; default performance.now()). */
    private readonly now?: MonotonicNow,
  ) {}

  private state(agent: string): AgentState {
    let s = this.agents.get(agent);
    if (!s) {
      s = {
        // A new agent starts with a full burst.
        control: fullBucket(this.limits.burst, this.limits.requestsPerSecond, 'second', this.now),
        sessions: fullBucket(this.limits.sessionBurst, this.limits.sessionsPerSecond, 'second', this.now),
        open: { exec: 0, logs: 0, portforward: 0 },
        service: fullBucket(this.limits.serviceConnectionBurst, this.limits.serviceConnectionsPerSecond, 'second', this.now),
        openService: 0,
        watches: [],
        egress: [],
      };
      this.agents.set(agent, s);
    }
    return s;
  }

  /** One token of the control bucket (unary calls and watch opens); throws RESOURCE_EXHAUSTED. */
  takeRequest(agent: string, who: string): void {
    if (!this.state(agent).control.tryRemoveTokens(1)) {
      throw new RpcError(grpc.status.RESOURCE_EXHAUSTED, `rate limit of ${this.limits.requestsPerSecond} requests/s (burst ${this.limits.burst}) exceeded for agent ${who}`);
    }
  }

  /**
   * Admits an interactive session: checks the caps (all kinds together, then this kind), then takes a
   * token of the sessions bucket. Returns the release function; throws RESOURCE_EXHAUSTED naming the limit.
   */
  openSession(agent: string, kind: Exclude<SessionKind, 'watch' | 'egress'>, who: string): () => void {
    if (kind === 'service') return this.openService(agent, who);
    const s = this.state(agent);
    const cls = classOf(kind);
    const total = s.open.exec + s.open.logs + s.open.portforward;
    const cap = interactiveCap(this.limits);
    if (total >= cap) {
      const why = cap < this.limits.maxSessionsPerAgent ? `limit maxConcurrentStreams=${this.limits.maxConcurrentStreams} minus reservedStreams=${this.limits.reservedStreams}` : `limit maxSessionsPerAgent=${this.limits.maxSessionsPerAgent}`;
      throw new RpcError(grpc.status.RESOURCE_EXHAUSTED, `agent ${who} already has ${total} open sessions (${why}); pod intents and the status watch are not affected`);
    }
    const kindCap = this.limits[KIND_LIMIT[cls]];
    if (s.open[cls] >= kindCap) {
      throw new RpcError(grpc.status.RESOURCE_EXHAUSTED, `agent ${who} already has ${s.open[cls]} open ${cls === 'exec' ? 'exec/attach' : cls} sessions (limit ${KIND_LIMIT[cls]}=${kindCap})`);
    }
    if (!s.sessions.tryRemoveTokens(1)) {
      throw new RpcError(grpc.status.RESOURCE_EXHAUSTED, `session open rate of ${this.limits.sessionsPerSecond}/s (burst ${this.limits.sessionBurst}) exceeded for agent ${who}`);
    }
    s.open[cls]++;
    return once(() => s.open[cls]--);
  }

  /** Admits a Service connection against maxServiceConnectionsPerAgent and its own open-rate bucket. */
  private openService(agent: string, who: string): () => void {
    const s = this.state(agent);
    const cap = this.limits.maxServiceConnectionsPerAgent;
    if (s.openService >= cap) throw new RpcError(grpc.status.RESOURCE_EXHAUSTED, `agent ${who} already has ${s.openService} open Service connections (limit maxServiceConnectionsPerAgent=${cap})`);
    if (!s.service.tryRemoveTokens(1)) {
      throw new RpcError(grpc.status.RESOURCE_EXHAUSTED, `Service connection open rate of ${this.limits.serviceConnectionsPerSecond}/s (burst ${this.limits.serviceConnectionBurst}) exceeded for agent ${who}`);
    }
    s.openService++;
    return once(() => s.openService--);
  }

  /**
   * Admits a status watch (after a control token). Beyond maxWatchesPerAgent the agent's OLDEST watch is
   * ended, so an agent that reconnects before the relay noticed its old connection died is never locked out.
   */
  openWatch(agent: string, end: (why: string) => void, kind: 'watch' | 'egress' = 'watch'): () => void {
    const s = this.state(agent);
    const entry = { end };
    const list = kind === 'watch' ? s.watches : s.egress;
    const cap = kind === 'watch' ? this.limits.maxWatchesPerAgent : MAX_EGRESS_STREAMS_PER_AGENT;
    while (list.length >= cap) {
      const oldest = list.shift()!;
      oldest.end(kind === 'watch' ? `superseded by a newer status watch of the same agent (limit maxWatchesPerAgent=${cap})` : `superseded by a newer Egress stream of the same agent (at most ${cap})`);
    }
    list.push(entry);
    return () => {
      const i = list.indexOf(entry);
      if (i >= 0) list.splice(i, 1);
    };
  }
}
