// Reconnect delays: exponential back-off with full-range jitter, capped. Pure (random source injectable).
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** 0..1: the delay is drawn from [d*(1-jitter), d*(1+jitter)]. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 30_000, factor: 2, jitter: 0.2 };

export function backoffDelay(attempt: number, o: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const base = Math.min(o.maxMs, o.initialMs * Math.pow(o.factor, Math.max(0, attempt)));
  const d = base * (1 - o.jitter + 2 * o.jitter * random());
  return Math.max(0, Math.min(o.maxMs, Math.round(d)));
}
