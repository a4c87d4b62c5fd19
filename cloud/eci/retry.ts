// Retry policy for ECI calls: which failures are worth repeating (throttling, 5xx, network errors, timeouts,
// as classified by the mapping's mapEciError) and exponential back-off with full jitter, bounded in attempts
// and in total time. The back-off loop itself is the `exponential-backoff` package.
import { backOff } from 'exponential-backoff';
import { mapEciError, type ClassifiedError } from './mapping/index.js';

export interface RetryPolicy {
  /** Attempts in total, the first one included (default 6). */
  maxAttempts: number;
  /** Back-off ceiling before the first retry, ms (default 200); doubles each retry. */
  baseDelayMs: number;
  /** Largest single back-off, ms (default 5000). */
  maxDelayMs: number;
  /** No retry starts after this much time has passed since the first attempt, ms (default 30000). */
  maxTotalMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 5000, maxTotalMs: 30_000 };

interface SdkErrorShape {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
  name?: unknown;
}

/** Classifies anything thrown by the SDK (ResponseError, network Error with `code`, RequestTimeoutError, SyntaxError). */
export function classify(err: unknown): ClassifiedError {
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : '';
  const code = typeof e.code === 'string' ? e.code : name === 'RequestTimeoutError' ? 'RequestTimeout' : undefined;
  const statusCode = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const message = typeof e.message === 'string' ? e.message : undefined;
  // A non-JSON error body (e.g. an HTML 502 from a gateway) surfaces as a bare SyntaxError: transient.
  if (name === 'SyntaxError' && code === undefined) return mapEciError({ code: 'ServiceUnavailable', message });
  return mapEciError({ code, statusCode, message });
}

/** Code used in metrics and logs: the SDK's error code, the network code, or the HTTP status. */
export function errorCodeOf(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
  if (typeof e.code === 'string' && e.code) return e.code;
  if (e.name === 'RequestTimeoutError') return 'RequestTimeout';
  if (typeof e.statusCode === 'number') return `HTTP${e.statusCode}`;
  if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
  return 'Unknown';
}

interface RetryHooks {
  /** Called before each retry with the error that caused it and the upcoming attempt number (2..maxAttempts). */
  onRetry?: (err: unknown, nextAttempt: number, c: ClassifiedError) => void;
  signal?: AbortSignal;
  /** Clock for the total-time bound (tests). */
  now?: () => number;
}

/** Runs fn, retrying retryable failures with full-jitter exponential back-off within the policy's bounds. */
export function withRetry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy, hooks: RetryHooks = {}): Promise<T> {
  const now = hooks.now ?? Date.now;
  const started = now();
  let attempt = 0;
  return backOff(() => fn(++attempt), {
    numOfAttempts: Math.max(1, policy.maxAttempts),
    startingDelay: policy.baseDelayMs,
    timeMultiple: 2,
    maxDelay: policy.maxDelayMs,
    jitter: 'full',
    delayFirstAttempt: false,
    retry: (err: unknown, nextAttempt: number) => {
      if (hooks.signal?.aborted) return false;
      const c = classify(err);
      if (!c.retryable) return false;
      if (now() - started >= policy.maxTotalMs) return false;
      hooks.onRetry?.(err, nextAttempt, c);
      return true;
    },
  });
}
