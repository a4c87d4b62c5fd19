// Per-action throttling (token buckets per AccessKey and action, answering 400 Throttling.User) and the
// fault-injection decision for a call (5xx, timeout, connection reset), driven by the live config.
import type { ActionFault } from './config.js';
import { EciError } from './errors.js';

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** Throws Throttling.User when the caller exceeds `perSecond` for this action (burst = one second's worth). */
  take(key: string, perSecond: number, now = Date.now()): void {
    if (!(perSecond > 0)) return;
    const b = this.buckets.get(key) ?? { tokens: perSecond, at: now };
    b.tokens = Math.min(perSecond, b.tokens + ((now - b.at) / 1000) * perSecond);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) throw new EciError(400, 'Throttling.User', 'Request was denied due to user flow control.');
    b.tokens -= 1;
  }

  reset(): void {
    this.buckets.clear();
  }
}

type FaultDecision = { kind: 'none' } | { kind: 'error'; error: EciError } | { kind: 'timeout'; ms: number } | { kind: 'reset' };

export function decideFault(f: ActionFault | undefined, random: () => number = Math.random): FaultDecision {
  if (!f) return { kind: 'none' };
  if (f.resetRate && random() < f.resetRate) return { kind: 'reset' };
  if (f.timeoutRate && random() < f.timeoutRate) return { kind: 'timeout', ms: f.timeoutMs ?? 5000 };
  if (f.errorRate && random() < f.errorRate) {
    const error =
      (f.errorStatus ?? 500) === 503
        ? new EciError(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.')
        : new EciError(500, 'InternalError', 'The request processing has failed due to some unknown error, exception or failure.');
    return { kind: 'error', error };
  }
  return { kind: 'none' };
}
