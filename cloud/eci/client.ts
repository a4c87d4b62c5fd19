// One tenant's ECI caller: the EciCaller seam (api.ts) over the unmodified SDK client, adding per-action rate
// limits (rate-limit.ts), retries with full-jitter back-off for throttling/5xx/network errors (retry.ts),
// a timeout on every attempt, prom-client metrics (calls, errors by action and code, latency), structured
// logs carrying ECI's RequestId, and a span per call inside a traced operation (trace.ts).
import { Counter, Histogram, type Registry } from 'prom-client';
import { logger, type Logger } from '../../common/log.js';
import type { EciAction, EciCaller } from './api.js';
import { newEciClient, runtimeOptions, type EciClient, type EciEndpointConfig, type $Util } from './sdk.js';
import { ActionLimiter, type ActionRate } from './rate-limit.js';
import { eciCallSpan } from './trace.js';
import { DEFAULT_RETRY_POLICY, classify, errorCodeOf, withRetry, type RetryPolicy } from './retry.js';

export interface EciCallerOptions {
  tenantId: string;
  /** Endpoint and credentials; ignored when `client` is given. */
  endpoint?: EciEndpointConfig;
  /** A ready SDK client (e.g. shared by sessions); `regionId` must then be given. */
  client?: EciClient;
  regionId?: string;
  /** Per-action limits for this tenant (calls/s); see DEFAULT_ACTION_RATES. */
  rates?: Partial<Record<EciAction, ActionRate>>;
  retry?: Partial<RetryPolicy>;
  /** Connect + read timeout of each attempt, ms (default 10000). */
  timeoutMs?: number;
  /** Registry for the ECI call metrics; several callers may share one. */
  registry?: Registry;
  log?: Logger;
}

interface EciCallStats {
  /** Attempts sent to ECI, by action (retries included). */
  attemptsByAction: Record<string, number>;
  /** Failed attempts, by error code. */
  errorsByCode: Record<string, number>;
  retries: number;
}

/** Prometheus metrics of ECI calls, registered once per registry. */
class EciMetrics {
  readonly calls: Counter<'tenant' | 'action' | 'code'>;
  readonly errors: Counter<'tenant' | 'action' | 'code'>;
  readonly retries: Counter<'tenant' | 'action'>;
  readonly latency: Histogram<'action'>;
  constructor(registry: Registry) {
    this.calls = new Counter({ name: 'ecigw_eci_calls_total', help: 'ECI API attempts by tenant, action and result code (OK on success)', labelNames: ['tenant', 'action', 'code'], registers: [registry] });
    this.errors = new Counter({ name: 'ecigw_eci_errors_total', help: 'Failed ECI API attempts by tenant, action and error code', labelNames: ['tenant', 'action', 'code'], registers: [registry] });
    this.retries = new Counter({ name: 'ecigw_eci_retries_total', help: 'ECI API attempts that were retries', labelNames: ['tenant', 'action'], registers: [registry] });
    this.latency = new Histogram({ name: 'ecigw_eci_call_duration_seconds', help: 'ECI API attempt latency', labelNames: ['action'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] });
  }
}

const metricsByRegistry = new WeakMap<Registry, EciMetrics>();
function eciMetrics(registry: Registry): EciMetrics {
  let m = metricsByRegistry.get(registry);
  if (!m) metricsByRegistry.set(registry, (m = new EciMetrics(registry)));
  return m;
}

/** Thrown when an attempt outlives its timeout without the SDK noticing (same name as the SDK's own timeout). */
class CallTimeoutError extends Error {
  constructor(action: string, ms: number) {
    super(`ECI ${action} did not answer within ${ms} ms`);
    this.name = 'RequestTimeoutError';
  }
}

export class TenantEciCaller implements EciCaller {
  readonly regionId: string;
  private readonly client: EciClient;
  private readonly limiter: ActionLimiter;
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly metrics?: EciMetrics;
  private readonly log: Logger;
  private readonly counters: EciCallStats = { attemptsByAction: {}, errorsByCode: {}, retries: 0 };

  constructor(private readonly opts: EciCallerOptions) {
    if (opts.client) {
      if (!opts.regionId) throw new Error('createEciCaller: regionId is required with a ready client');
      this.client = opts.client;
      this.regionId = opts.regionId;
    } else if (opts.endpoint) {
      this.client = newEciClient({ ...opts.endpoint, timeoutMs: opts.timeoutMs ?? opts.endpoint.timeoutMs ?? 10_000 });
      this.regionId = opts.endpoint.regionId;
    } else {
      throw new Error('createEciCaller: give either endpoint or client');
    }
    this.limiter = new ActionLimiter(opts.rates);
    this.policy = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.metrics = opts.registry ? eciMetrics(opts.registry) : undefined;
    this.log = opts.log ?? logger('eci-caller', { tenant: opts.tenantId });
  }

  /** Attempts and errors seen by this caller (benches, tests). */
  stats(): EciCallStats {
    return structuredClone(this.counters);
  }

  call<T>(action: EciAction, fn: (client: EciClient, runtime: $Util.RuntimeOptions) => Promise<T>, opts: { retry?: boolean; signal?: AbortSignal } = {}): Promise<T> {
    const policy = opts.retry === false ? { ...this.policy, maxAttempts: 1 } : this.policy;
    const tenant = this.opts.tenantId;
    return eciCallSpan(action, { tenantId: tenant, regionId: this.regionId, codeOf: errorCodeOf }, (trace) => withRetry(
      async (attempt) => {
        await this.limiter.take(action, opts.signal);
        this.counters.attemptsByAction[action] = (this.counters.attemptsByAction[action] ?? 0) + 1;
        trace.attempt(attempt);
        const end = this.metrics?.latency.startTimer({ action });
        try {
          const out = await this.attempt(action, fn);
          end?.();
          this.metrics?.calls.inc({ tenant, action, code: 'OK' });
          trace.requestId(requestIdOf(out));
          this.log.debug({ action, attempt, requestId: requestIdOf(out) }, 'eci call ok');
          return out;
        } catch (err) {
          end?.();
          const code = errorCodeOf(err);
          this.counters.errorsByCode[code] = (this.counters.errorsByCode[code] ?? 0) + 1;
          this.metrics?.calls.inc({ tenant, action, code });
          this.metrics?.errors.inc({ tenant, action, code });
          const c = classify(err);
          const fields = { action, attempt, code, requestId: requestIdOf(err), retryable: c.retryable };
          trace.requestId(fields.requestId);
          if (c.retryable && attempt < policy.maxAttempts) trace.attempt(attempt, code);
          if (!c.retryable || attempt >= policy.maxAttempts) this.log.warn({ ...fields, err: messageOf(err) }, 'eci call failed');
          else this.log.debug(fields, 'eci call failed, will retry');
          throw err;
        }
      },
      policy,
      {
        signal: opts.signal,
        onRetry: () => {
          this.counters.retries++;
          this.metrics?.retries.inc({ tenant, action });
        },
      },
    ));
  }

  /** One attempt with the SDK's own timeouts plus a watchdog in case `fn` ignores the runtime options. */
  private attempt<T>(action: EciAction, fn: (client: EciClient, runtime: $Util.RuntimeOptions) => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const watchdog = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CallTimeoutError(action, this.timeoutMs)), this.timeoutMs + 1000);
    });
    return Promise.race([fn(this.client, runtimeOptions(this.timeoutMs)), watchdog]).finally(() => clearTimeout(timer));
  }
}

export function createEciCaller(opts: EciCallerOptions): TenantEciCaller {
  return new TenantEciCaller(opts);
}

function requestIdOf(x: unknown): string | undefined {
  const o = x as { body?: { requestId?: unknown }; data?: { RequestId?: unknown } } | undefined;
  const id = o?.body?.requestId ?? o?.data?.RequestId;
  return typeof id === 'string' ? id : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
