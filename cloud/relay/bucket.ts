// The relay's rate-limit token buckets (per agent, per source): limiter's TokenBucket read on an injected
// monotonic clock, so tests drive refills instead of waiting for them (limiter itself reads performance.now()).
// The relay only uses the non-waiting calls (tryRemoveTokens, drip, content); removeTokens would still wait on
// real timers.
import { TokenBucket } from 'limiter';

/** Milliseconds from an arbitrary origin that never go back; default performance.now(), as limiter's own. */
export type MonotonicNow = () => number;

const performanceNow: MonotonicNow = () => performance.now();

class ClockedBucket extends TokenBucket {
  constructor(size: number, perInterval: number, interval: 'second' | 'minute', private readonly now: MonotonicNow) {
    super({ bucketSize: size, tokensPerInterval: perInterval, interval });
    this.lastDrip = now();
    this.content = size;
  }

  /** limiter's refill (tokens in proportion to the time since the last drip, capped at the bucket size) on `now`. */
  override drip(): boolean {
    const now = this.now();
    const elapsedMs = Math.max(now - this.lastDrip, 0);
    this.lastDrip = now;
    const before = this.content;
    this.content = Math.min(this.content + (elapsedMs * this.tokensPerInterval) / this.interval, this.bucketSize);
    return Math.floor(this.content) > Math.floor(before);
  }
}

/** A bucket of `size` tokens that starts full and refills `perInterval` tokens per interval of `now`. */
export function fullBucket(size: number, perInterval: number, interval: 'second' | 'minute', now: MonotonicNow = performanceNow): TokenBucket {
  return new ClockedBucket(size, perInterval, interval, now);
}
