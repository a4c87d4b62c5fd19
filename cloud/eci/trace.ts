// The span of one ECI OpenAPI call (retries included), made only inside a traced operation (a pod intent or
// session that the agent started): background polls and GC would otherwise each be a trace of their own.
// Attributes: rpc.method (the action), rpc.status_code and ecigw.eci.result_code (`OK` or ECI's error
// code), ecigw.eci.attempts, ecigw.eci.request_id, cloud.provider/region. Never request bodies or credentials.
import { ATTR_RPC_METHOD, ATTR_RPC_STATUS_CODE } from '@opentelemetry/semantic-conventions';
import { SpanKind, withSpan, type Span } from '../../common/tracing.js';
import type { EciAction } from './api.js';

// cloud.* are still incubating: copied here, as @opentelemetry/semantic-conventions advises instrumentation to
// do instead of importing its unstable entry point.
const ATTR_CLOUD_PROVIDER = 'cloud.provider';
const ATTR_CLOUD_REGION = 'cloud.region';
/** The cloud.provider value for Alibaba Cloud. */
const ALIBABA_CLOUD = 'alibaba_cloud';

export interface EciCallTrace {
  /** Counts one attempt (a retry adds an `ecigw.eci.retry` event with the failed attempt's code). */
  attempt(n: number, failedCode?: string): void;
  requestId(id: string | undefined): void;
}

/** Longest ECI code or RequestId kept on a span (they come from the network). */
const MAX_VALUE_CHARS = 128;

export function eciCallSpan<T>(action: EciAction, o: { tenantId: string; regionId: string; codeOf: (err: unknown) => string }, fn: (t: EciCallTrace) => Promise<T>): Promise<T> {
  const codeOf = (e: unknown) => o.codeOf(e).slice(0, MAX_VALUE_CHARS);
  return withSpan(
    `ECI ${action}`,
    {
      kind: SpanKind.CLIENT,
      requireParent: true,
      errorType: codeOf,
      attributes: { [ATTR_RPC_METHOD]: action, 'ecigw.eci.action': action, 'ecigw.tenant': o.tenantId, [ATTR_CLOUD_PROVIDER]: ALIBABA_CLOUD, [ATTR_CLOUD_REGION]: o.regionId },
    },
    async (span: Span) => {
      const t: EciCallTrace = {
        attempt: (n, failedCode) => {
          span.setAttribute('ecigw.eci.attempts', n);
          if (failedCode) span.addEvent('ecigw.eci.retry', { 'ecigw.eci.result_code': failedCode });
        },
        requestId: (id) => {
          if (id) span.setAttribute('ecigw.eci.request_id', id.slice(0, MAX_VALUE_CHARS));
        },
      };
      try {
        const out = await fn(t);
        span.setAttributes({ [ATTR_RPC_STATUS_CODE]: 'OK', 'ecigw.eci.result_code': 'OK' });
        return out;
      } catch (e) {
        const code = codeOf(e);
        span.setAttributes({ [ATTR_RPC_STATUS_CODE]: code, 'ecigw.eci.result_code': code });
        throw e;
      }
    },
  );
}
