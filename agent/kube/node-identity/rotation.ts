// When to renew the node's client certificate, as the kubelet's certificate manager decides it: at a
// random point between 70% and 90% of its validity (jitter spreads the renewals of many nodes), retried
// with capped exponential back-off when a renewal fails. Time comes from an injected clock.
import { systemClock, type Clock } from '../../../common/clock.js';

/** Node's timers fire at once for delays above 2^31-1 ms (~24.8 days); longer waits are chained. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The renewal deadline of a certificate valid from `notBefore` to `notAfter`: notBefore + (0.7 + 0.2·r) of
 * its validity, r in [0, 1) (k8s.io/client-go/util/certificate's jitteryDuration).
 */
export function rotationDeadline(notBefore: Date, notAfter: Date, random: () => number = Math.random): Date {
  const total = notAfter.getTime() - notBefore.getTime();
  const r = Math.min(Math.max(random(), 0), 1);
  return new Date(notBefore.getTime() + Math.round(total * (0.7 + 0.2 * r)));
}

/** Delay before the `attempt`-th retry (1-based) of a failed renewal: base·2^(attempt-1), at most max. */
export function retryDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}

export interface RotationSchedulerOptions {
  /** Renews the certificate; resolves with the new one's validity window. */
  rotate: () => Promise<{ notBefore: Date; notAfter: Date }>;
  onError?: (err: unknown, attempt: number, retryInMs: number) => void;
  clock?: Clock;
  random?: () => number;
  /** First retry delay after a failed renewal (default 5 s) and its cap (default 5 min). */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/**
 * Runs `rotate` at the deadline of the current certificate, then at the deadline of the new one, and so
 * on. A failed renewal is retried with back-off; the failures are counted and reported. `trigger` renews
 * at once (tests, operators); a renewal never overlaps another.
 */
export class RotationScheduler {
  private readonly clock: Clock;
  private timer: unknown;
  private running?: Promise<void>;
  private stopped = false;
  private failures = 0;
  private deadlineAt?: number;

  constructor(private readonly o: RotationSchedulerOptions) {
    this.clock = o.clock ?? systemClock;
  }

  /** The time (ms) of the next planned renewal, if one is planned. */
  get nextRenewal(): number | undefined {
    return this.deadlineAt;
  }

  /**
   * Plans the renewal of a certificate with this validity window (replacing any plan), no sooner than
   * `minDelayMs` from now (a certificate already past its deadline is renewed at once, or after minDelayMs).
   */
  schedule(validity: { notBefore: Date; notAfter: Date }, minDelayMs = 0): void {
    this.failures = 0;
    const at = rotationDeadline(validity.notBefore, validity.notAfter, this.o.random).getTime();
    this.planAt(Math.max(at, this.clock.now() + minDelayMs));
  }

  /** Renews now (waits for a renewal already running instead of starting another). */
  trigger(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('rotation stopped'));
    if (this.running) return this.running;
    this.clear();
    this.running = (async () => {
      try {
        const next = await this.o.rotate();
        // A signer that issues certificates already past their deadline (clock skew) must not make this a busy loop.
        if (!this.stopped) this.schedule(next, this.o.retryBaseMs ?? 5000);
      } catch (e) {
        this.failures++;
        const delay = retryDelay(this.failures, this.o.retryBaseMs ?? 5000, this.o.retryMaxMs ?? 300_000);
        this.o.onError?.(e, this.failures, delay);
        if (!this.stopped) this.planAt(this.clock.now() + delay);
        throw e;
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  stop(): void {
    this.stopped = true;
    this.clear();
  }

  private planAt(at: number): void {
    this.clear();
    this.deadlineAt = at;
    // Always through a timer, also when the deadline has passed: the renewal runs after the caller returns.
    const arm = () => {
      const left = at - this.clock.now();
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        if (at - this.clock.now() > 0) return arm();
        // A failure is reported through onError and planned again; nothing to catch here.
        this.trigger().catch(() => undefined);
      }, Math.min(Math.max(left, 0), MAX_TIMER_MS));
    };
    arm();
  }

  private clear(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.deadlineAt = undefined;
  }
}
