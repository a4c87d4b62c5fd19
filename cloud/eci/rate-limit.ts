// Per-tenant, per-action token buckets that keep one tenant's ECI calls under ECI's per-account API limits,
// including a quota several actions share (Create and Delete draw from one bucket at ECI, so they do here too).
// Built on the `limiter` package (a shared quota is a parent bucket). Each EciCaller owns one ActionLimiter.
import { TokenBucket } from 'limiter';
import type { EciAction } from './api.js';
import { ECI_PUBLISHED_LIMITS, type PublishedLimit } from './published-limits.js';

export interface ActionRate {
  /** Sustained calls per second. */
  perSecond: number;
  /** Calls that may go at once after a quiet period (bucket size); defaults to max(1, perSecond). */
  burst?: number;
}

/** Share of a published figure the relay uses by default: room for jitter between its clock and ECI's arrivals. */
const HEADROOM = 0.95;

/**
 * The client-side rate that stays under a published limit: HEADROOM of a token bucket's burst and rate; for
 * "N per minute", at most HEADROOM·N calls in any 60 s (a tenth of N at once, the rest spread over the minute),
 * so it holds whether ECI counts with a bucket or with fixed minute windows.
 */
function clientRateUnder(l: PublishedLimit): ActionRate {
  if ('perSecond' in l) return { perSecond: l.perSecond * HEADROOM, burst: Math.floor(l.burst * HEADROOM) };
  const burst = Math.floor(l.perMinute / 10);
  return { perSecond: (l.perMinute * HEADROOM - burst) / 60, burst };
}

/**
 * Default per-tenant limits. Where ECI publishes a limit (published-limits.ts) they are derived from it; elsewhere
 * they are 90% of the emulator's choices (ECI publishes no figure; set the account's real quota in `eciRates`).
 * Create and Delete: 19/s with a burst of 95, and that is also their shared budget (ECI: 20/s, burst 100);
 * Exec and DescribeContainerLog: 50 at once, about 7/s (ECI: 500/min); DescribeContainerGroupPrice: 100 at once,
 * about 14/s (ECI: 1000/min).
 */
export const DEFAULT_ACTION_RATES: Record<EciAction, ActionRate> = {
  CreateContainerGroup: clientRateUnder(ECI_PUBLISHED_LIMITS.CreateDeleteContainerGroup),
  DeleteContainerGroup: clientRateUnder(ECI_PUBLISHED_LIMITS.CreateDeleteContainerGroup),
  UpdateContainerGroup: { perSecond: 45 },
  RestartContainerGroup: { perSecond: 45 },
  DescribeContainerGroups: { perSecond: 180 },
  DescribeContainerGroupStatus: { perSecond: 180 },
  DescribeContainerGroupEvents: { perSecond: 90 },
  DescribeContainerLog: clientRateUnder(ECI_PUBLISHED_LIMITS.DescribeContainerLog),
  ExecContainerCommand: clientRateUnder(ECI_PUBLISHED_LIMITS.ExecContainerCommand),
  DescribeContainerGroupMetric: { perSecond: 90 },
  DescribeMultiContainerGroupMetric: { perSecond: 90 },
  DescribeContainerGroupPrice: clientRateUnder(ECI_PUBLISHED_LIMITS.DescribeContainerGroupPrice),
  // ECI: 200/min; 20 at once, then about 2.8/s.
  CreateImageCache: clientRateUnder(ECI_PUBLISHED_LIMITS.CreateImageCache),
  DescribeImageCaches: { perSecond: 45 },
  DeleteImageCache: { perSecond: 45 },
};

/** Actions that draw from one ECI quota (from the published limits): each call also takes a token of the group's. */
const SHARED_QUOTAS: readonly (readonly EciAction[])[] = Object.values(ECI_PUBLISHED_LIMITS as Record<string, PublishedLimit>)
  .map((l) => l.actions)
  .filter((a) => a.length > 1);

const burstOf = (r: ActionRate): number => r.burst ?? Math.max(1, Math.floor(r.perSecond));

/**
 * The budget a tenant's actions share, for each shared quota: the largest rate and burst set for any of them
 * (they name the same ECI quota, so the figure an operator raised for one is that quota's).
 */
export function sharedBudgets(rates: Record<EciAction, ActionRate>): { actions: readonly EciAction[]; rate: Required<ActionRate> }[] {
  return SHARED_QUOTAS.map((actions) => ({
    actions,
    rate: { perSecond: Math.max(...actions.map((a) => rates[a].perSecond)), burst: Math.max(...actions.map((a) => burstOf(rates[a]))) },
  }));
}

/**
 * A bucket that starts full, as ECI's does for an idle account (limiter's start empty). A relay restarted in the
 * middle of a burst may so go over once; ECI's Throttling answer is retried.
 */
function fullBucket(r: ActionRate, parentBucket?: TokenBucket): TokenBucket {
  // A bucket of `burst` tokens refilled continuously at perSecond (the sub-second refill keeps bursts small).
  const b = new TokenBucket({ bucketSize: burstOf(r), tokensPerInterval: r.perSecond, interval: 1000, parentBucket });
  b.content = b.bucketSize;
  return b;
}

export class ActionLimiter {
  private readonly buckets = new Map<EciAction, TokenBucket>();

  constructor(overrides: Partial<Record<EciAction, ActionRate>> = {}) {
    const rates = { ...DEFAULT_ACTION_RATES, ...overrides };
    for (const [action, r] of Object.entries(rates) as [EciAction, ActionRate][]) {
      if (!(r.perSecond > 0) || !Number.isFinite(r.perSecond)) throw new Error(`rate for ${action} must be a positive number of calls per second, got ${r.perSecond}`);
      if (r.burst !== undefined && !(r.burst >= 1)) throw new Error(`burst for ${action} must be at least 1, got ${r.burst}`);
    }
    for (const { actions, rate } of sharedBudgets(rates)) {
      const shared = fullBucket(rate);
      for (const a of actions) this.buckets.set(a, fullBucket(rates[a], shared));
    }
    for (const [action, r] of Object.entries(rates) as [EciAction, ActionRate][]) if (!this.buckets.has(action)) this.buckets.set(action, fullBucket(r));
  }

  /** Resolves when one call of `action` may be sent; rejects with the signal's reason if aborted first. */
  async take(action: EciAction, signal?: AbortSignal): Promise<void> {
    const bucket = this.buckets.get(action);
    if (!bucket) throw new Error(`no rate limit for ECI action ${action}`);
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
}

/** The abort's reason as an Error (AbortSignal.reason is `any`: an AbortError unless the aborter named one). */
function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(`aborted: ${String(reason)}`);
}
