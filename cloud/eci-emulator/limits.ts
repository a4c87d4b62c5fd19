// Throttling as ECI does it (token buckets per AccessKey, an action's own or one several actions share, refilled
// per second or per minute; a call finding its bucket empty is answered 400 Throttling.User) and the
// fault-injection decision for a call (5xx, timeout, connection reset), driven by the live config.
import type { ActionFault, EmulatorConfig, RateLimit } from './config.js';
import { EciError } from './errors.js';

/** The bucket that serves an action: its name (the config entry's) and figures. */
export interface Bucket {
  name: string;
  burst: number;
  perSecond: number;
}

/**
 * The bucket `action` draws from under `limits`, or undefined when it is not limited: the entry named after the
 * action if there is one, else the shared bucket that lists it (config validation allows only one).
 */
export function bucketFor(limits: EmulatorConfig['rateLimits'], action: string): Bucket | undefined {
  const own = Object.hasOwn(limits, action) ? limits[action] : undefined;
  const found: [string, number | RateLimit] | undefined = own !== undefined ? [action, own] : Object.entries(limits).find(([, l]) => typeof l === 'object' && l.actions?.includes(action));
  if (!found) return undefined;
  const [name, l] = found;
  // One interval's worth: the figure itself, per second or per minute.
  const perInterval = typeof l === 'number' ? l : (l.perSecond ?? l.perMinute ?? 0);
  const perSecond = typeof l === 'object' && l.perSecond === undefined ? perInterval / 60 : perInterval;
  if (!(perSecond > 0)) return undefined;
  const burst = typeof l === 'object' && l.burst !== undefined ? l.burst : Math.max(1, perInterval);
  return { name, burst, perSecond };
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** `now`: milliseconds on a clock that does not go back (tests drive it). */
  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Takes one token for `action` from the caller's bucket; throws Throttling.User when there is none. */
  take(accessKeyId: string, action: string, limits: EmulatorConfig['rateLimits']): void {
    const bucket = bucketFor(limits, action);
    if (!bucket) return;
    const key = `${accessKeyId}/${bucket.name}`;
    const now = this.now();
    // A bucket starts full, as an idle account's does.
    const b = this.buckets.get(key) ?? { tokens: bucket.burst, at: now };
    b.tokens = Math.min(bucket.burst, b.tokens + ((now - b.at) / 1000) * bucket.perSecond);
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
