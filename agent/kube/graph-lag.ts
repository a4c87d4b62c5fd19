// Right after a pod is bound to the node, the API server may not know the binding yet: the Node
// authorizer's graph answers reads of the pod's Secrets and ConfigMaps with 403 "no relationship found",
// and NodeRestriction's pod cache answers a TokenRequest for the pod with 404 or "a different node".
// Those answers (only those) are retried with capped exponential back-off for a bounded time.
import { backOff } from 'exponential-backoff';
import { errorMessage, httpStatus } from './errors.js';

/** Whether `e` is an API answer that a binding the API server has not caught up with explains. */
export function isBindingLag(e: unknown): boolean {
  const code = httpStatus(e);
  const msg = errorMessage(e);
  if (code === 403) return /no relationship found between node|cannot get unknown|unknown node|bound to a pod scheduled on a different node/.test(msg);
  // NodeRestriction's pod lister has not seen the pod yet (a TokenRequest bound to it).
  if (code === 404) return /^pods? "[^"]+" not found/.test(msg);
  return false;
}

export interface LagRetryOptions {
  /** Attempts in all (default 8: about 6 s of waiting with the default delays). */
  attempts?: number;
  startingDelayMs?: number;
  maxDelayMs?: number;
  /** Called before each retry (logs, metrics). */
  onRetry?: (e: unknown, attempt: number) => void;
}

/** Runs `fn`, retrying it while its failure is a binding the API server has not caught up with. */
export async function retryBindingLag<T>(fn: () => Promise<T>, o: LagRetryOptions = {}): Promise<T> {
  return await backOff(fn, {
    numOfAttempts: o.attempts ?? 8,
    startingDelay: o.startingDelayMs ?? 100,
    maxDelay: o.maxDelayMs ?? 2000,
    timeMultiple: 2,
    jitter: 'full',
    retry: (e, attempt) => {
      if (!isBindingLag(e)) return false;
      o.onRetry?.(e, attempt);
      return true;
    },
  });
}
