// The relay's spans: a server span per tunnel call that joins the agent's trace (W3C trace context from the
// call's metadata, read only once the call is authorized; malformed, oversized or repeated values start a new
// root instead), and the provider's apply/delete inside it. Names and attributes follow OTel's RPC and k8s
// conventions plus `ecigw.tenant` / `ecigw.cluster_id`. No-ops while tracing is off.
import * as grpc from '@grpc/grpc-js';
import { contextFromCarrier, endRpcSpan, grpcSpan, podAttributes, SpanKind, startSpan, withSpan, type Span } from '../../common/tracing.js';
import { METADATA, TUNNEL_SERVICE } from '../../proto/wire.js';
import type { TenantScope } from '../pod-provider/provider.js';
import { statusOf } from './errors.js';

/** A metadata value the relay takes: exactly one string (W3C: several traceparent headers are invalid). */
function single(md: grpc.Metadata, key: string): string | undefined {
  const v = md.get(key);
  return v.length === 1 && typeof v[0] === 'string' ? v[0] : undefined;
}

const scopeAttributes = (scope: TenantScope) => ({ 'ecigw.tenant': scope.tenantId, 'ecigw.cluster_id': scope.clusterId });

export interface ServerSpan {
  span: Span;
  context: ReturnType<typeof startSpan>['context'];
  /** Ends the span with the call's outcome (rpc.status_code; error.type on failure). */
  end(err: unknown): void;
}

/** The server span of an authorized call, child of the agent's span when its metadata names a valid one. */
export function serverSpan(method: string, md: grpc.Metadata, scope: TenantScope): ServerSpan {
  const parent = contextFromCarrier({ traceparent: single(md, METADATA.traceparent), tracestate: single(md, METADATA.tracestate) });
  const s = grpcSpan(TUNNEL_SERVICE, method);
  const { span, context } = startSpan(s.name, { kind: SpanKind.SERVER, parent, attributes: { ...s.attributes, ...scopeAttributes(scope) } });
  let ended = false;
  return {
    span,
    context,
    end: (err) => {
      if (ended) return;
      ended = true;
      const code = err ? statusOf(err).code : grpc.status.OK;
      endRpcSpan(span, grpc.status[code] ?? 'UNKNOWN', err ?? undefined);
    },
  };
}

/** The provider's side of a pod intent, inside the call's server span: `ecigw.provider.apply` / `ecigw.provider.delete`. */
export function providerSpan<T>(op: 'apply' | 'delete', scope: TenantScope, pod: { uid: string; namespace?: string; name?: string }, fn: () => Promise<T>): Promise<T> {
  return withSpan(`ecigw.provider.${op}`, { attributes: { ...scopeAttributes(scope), ...podAttributes(pod) } }, fn);
}
