// Per-tenant, per-action token buckets that keep one tenant's ECI calls under ECI's per-API rate limits
// (ECI limits each API operation per account, "N requests / 60 s"). Built on the `limiter` package.
// Each EciCaller owns one ActionLimiter; waiting callers are served in arrival order.
import { TokenBucket } from 'limiter';
import type { EciAction } from './api.js';

export interface ActionRate {
  /** Sustained calls per second. */
  perSecond: number;
  /** Calls that may go at once after a quiet period (bucket size); defaults to max(1, perSecond). */
  burst?: number;
}

/**
 * Default per-tenant limits (calls/s). ECI publishes its per-API limits only in the Quota Center console; these are
 * conservative values below the emulator's defaults (Create/Delete 100/s, Describe 200/s) so one tenant with the
 * default settings never trips the service's own throttling. Configure them from the account's real quota.
 */
export const DEFAULT_ACTION_RATES: Record<EciAction, ActionRate> = {
  CreateContainerGroup: { perSecond: 90 },
  DeleteContainerGroup: { perSecond: 90 },
  UpdateContainerGroup: { perSecond: 45 },
  RestartContainerGroup: { perSecond: 45 },
  DescribeContainerGroups: { perSecond: 180 },
  DescribeContainerGroupStatus: { perSecond: 180 },
  DescribeContainerGroupEvents: { perSecond: 90 },
  DescribeContainerLog: { perSecond: 90 },
  ExecContainerCommand: { perSecond: 45 },
  DescribeContainerGroupMetric: { perSecond: 90 },
  DescribeMultiContainerGroupMetric: { perSecond: 90 },
};

export class ActionLimiter {
  private readonly buckets = new Map<EciAction, TokenBucket>();
  private readonly rates: Record<EciAction, ActionRate>;

  constructor(overrides: Partial<Record<EciAction, ActionRate>> = {}) {
    this.rates = { ...DEFAULT_ACTION_RATES, ...overrides };
    for (const [action, r] of Object.entries(this.rates) as [EciAction, ActionRate][]) {
      if (!(r.perSecond > 0) || !Number.isFinite(r.perSecond)) throw new Error(`rate for ${action} must be a positive number of calls per second, got ${r.perSecond}`);
      if (r.burst !== undefined && !(r.burst >= 1)) throw new Error(`burst for ${action} must be at least 1, got ${r.burst}`);
    }
  }

  /** Resolves when one call of `action` may be sent; rejects with the signal's reason if aborted first. */
  async take(action: EciAction, signal?: AbortSignal): Promise<void> {
    const bucket = this.bucket(action);
    if (bucket.tryRemoveTokens(1)) return;
    signal?.throwIfAborted();
    const wait = bucket.removeTokens(1);
    if (!signal) {
      await wait;
      return;
    }
    // The token is still consumed when the waiter gives up; that only makes the limiter more conservative.
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(abortError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      wait.then(() => (signal.removeEventListener('abort', onAbort), resolve()), reject);
    });
  }

  private bucket(action: EciAction): TokenBucket {
    let b = this.buckets.get(action);
    if (!b) {
      const r = this.rates[action];
      // Sub-second interval keeps bursts small: a bucket of `burst` tokens refilled continuously at perSecond.
      b = new TokenBucket({ bucketSize: r.burst ?? Math.max(1, Math.floor(r.perSecond)), tokensPerInterval: r.perSecond, interval: 1000 });
      this.buckets.set(action, b);
    }
    return b;
  }
}

/** The abort's reason as an Error (AbortSignal.reason is `any`: an AbortError unless the aborter named one). */
function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(`aborted: ${String(reason)}`);
}
