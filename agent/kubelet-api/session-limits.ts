// Caps on the kubelet API's streaming sessions (pure): in total, per kind (exec, attach, portforward,
// logs) and per caller (the identity that authenticated the connection), plus the per-session caps on
// SPDY streams and port-forward pairs. A refusal names the cap and the agent config key that sets it.
//
// Who "the caller" is: the API server proxies every user's exec/attach/port-forward/logs with its own
// kubelet-client certificate and passes no end-user identity on (it strips Authorization and impersonation
// headers), so every kubectl user is one caller here. The per-caller cap therefore keeps the API server's
// share apart from direct callers of the kubelet API (anything granted nodes/proxy: monitoring, a
// ServiceAccount token) and a direct caller from taking every slot; per-end-user fairness belongs to the API
// server (RBAC on pods/exec, and its own limits).
import { once } from '../../common/once.js';

export type SessionKind = 'exec' | 'attach' | 'portforward' | 'logs';
const SESSION_KINDS: readonly SessionKind[] = ['exec', 'attach', 'portforward', 'logs'];

export interface SessionLimits {
  /** Streaming sessions open at once, all kinds and callers together. */
  maxSessions: number;
  /** Sessions one authenticated identity may hold (the API server counts as one). */
  maxSessionsPerCaller: number;
  /** Sessions per kind. */
  maxPerKind: Record<SessionKind, number>;
  /** Streams one SPDY session may have open (exec needs at most 5; port-forward 2 per connection). */
  maxStreamsPerSession: number;
  /** Forwarded connections (data + error stream pairs) one port-forward session may have open. */
  maxPortForwardPairs: number;
}

/** Agent config keys of each cap: refusals name them, so an operator knows what to raise. */
export const LIMIT_KEYS = {
  maxSessions: 'kubelet.maxSessions',
  maxSessionsPerCaller: 'kubelet.maxSessionsPerCaller',
  exec: 'kubelet.maxExecSessions',
  attach: 'kubelet.maxAttachSessions',
  portforward: 'kubelet.maxPortForwardSessions',
  logs: 'kubelet.maxLogStreams',
  maxStreamsPerSession: 'kubelet.maxStreamsPerSession',
  maxPortForwardPairs: 'kubelet.maxPortForwardPairs',
} as const;

/**
 * Defaults: above the relay's default 192 interactive sessions per agent (so the relay, which also
 * protects the tunnel's intents and status watch, is the tighter cap in a default deployment), and small
 * enough that the agent's worst-case buffering (about 3 MiB per hostile session: inbound, one frame,
 * unsent output) stays bounded.
 */
export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  maxSessions: 256,
  maxSessionsPerCaller: 192,
  maxPerKind: { exec: 160, attach: 64, portforward: 160, logs: 160 },
  maxStreamsPerSession: 160,
  maxPortForwardPairs: 64,
};

type Cap = 'total' | 'perCaller' | 'perKind';

export interface Refusal {
  cap: Cap;
  /** The agent config key of the cap. */
  key: string;
  limit: number;
  message: string;
}

export interface Lease {
  release(): void;
}

const KIND_NAMES: Record<SessionKind, string> = { exec: 'exec', attach: 'attach', portforward: 'port-forward', logs: 'log stream' };

export class SessionLimiter {
  private total = 0;
  private readonly byKind = new Map<SessionKind, number>();
  private readonly byCaller = new Map<string, number>();

  constructor(readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS) {}

  /** Takes a slot for one session, or says which cap refuses it. `release` is idempotent. */
  acquire(kind: SessionKind, caller: string): Lease | Refusal {
    const l = this.limits;
    const kindCount = this.byKind.get(kind) ?? 0;
    const callerCount = this.byCaller.get(caller) ?? 0;
    const name = KIND_NAMES[kind];
    if (kindCount >= l.maxPerKind[kind]) {
      return refusal('perKind', LIMIT_KEYS[kind], l.maxPerKind[kind], `too many ${name} sessions on this node: ${kindCount} open, the limit is ${l.maxPerKind[kind]} (agent config ${LIMIT_KEYS[kind]}); retry later`);
    }
    if (callerCount >= l.maxSessionsPerCaller) {
      return refusal('perCaller', LIMIT_KEYS.maxSessionsPerCaller, l.maxSessionsPerCaller, `too many streaming sessions for user ${JSON.stringify(caller)} on this node: ${callerCount} open, the limit is ${l.maxSessionsPerCaller} (agent config ${LIMIT_KEYS.maxSessionsPerCaller}); retry later`);
    }
    if (this.total >= l.maxSessions) {
      return refusal('total', LIMIT_KEYS.maxSessions, l.maxSessions, `too many streaming sessions on this node: ${this.total} open, the limit is ${l.maxSessions} (agent config ${LIMIT_KEYS.maxSessions}); retry later`);
    }
    this.total++;
    this.byKind.set(kind, kindCount + 1);
    this.byCaller.set(caller, callerCount + 1);
    return {
      release: once(() => {
        this.total--;
        this.byKind.set(kind, (this.byKind.get(kind) ?? 1) - 1);
        const c = (this.byCaller.get(caller) ?? 1) - 1;
        if (c === 0) this.byCaller.delete(caller);
        else this.byCaller.set(caller, c);
      }),
    };
  }

  get open(): { total: number; byKind: Record<SessionKind, number>; callers: number } {
    return {
      total: this.total,
      byKind: Object.fromEntries(SESSION_KINDS.map((k) => [k, this.byKind.get(k) ?? 0])) as Record<SessionKind, number>,
      callers: this.byCaller.size,
    };
  }
}

export function isRefusal(x: Lease | Refusal): x is Refusal {
  return 'cap' in x;
}

function refusal(cap: Cap, key: string, limit: number, message: string): Refusal {
  return { cap, key, limit, message };
}

/** Checks a SessionLimits (from config): whole numbers >= 1; returns the first problem with its key. */
export function checkLimits(l: SessionLimits): { key: string; problem: string } | undefined {
  const all: [string, number][] = [
    [LIMIT_KEYS.maxSessions, l.maxSessions],
    [LIMIT_KEYS.maxSessionsPerCaller, l.maxSessionsPerCaller],
    ...SESSION_KINDS.map((k) => [LIMIT_KEYS[k], l.maxPerKind[k]] as [string, number]),
    [LIMIT_KEYS.maxStreamsPerSession, l.maxStreamsPerSession],
    [LIMIT_KEYS.maxPortForwardPairs, l.maxPortForwardPairs],
  ];
  for (const [key, v] of all) if (!Number.isInteger(v) || v < 1) return { key, problem: `must be a whole number >= 1, got ${JSON.stringify(v)}` };
  if (l.maxStreamsPerSession < 5) return { key: LIMIT_KEYS.maxStreamsPerSession, problem: 'must be at least 5 (an exec with a terminal opens 5 streams)' };
  return undefined;
}
