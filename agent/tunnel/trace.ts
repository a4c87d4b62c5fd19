// Client spans of tunnel calls (OTel RPC conventions: span name and rpc.method `ecigw.tunnel.v1.Tunnel/<Method>`,
// rpc.system.name grpc, rpc.status_code the gRPC code's name). Started around the call, so the metadata the
// call sends (credentials.ts) carries this span as the relay's parent. No-ops while tracing is off.
import * as grpc from '@grpc/grpc-js';
import { endRpcSpan, grpcSpan, runIn, SpanKind, startSpan, type Attributes } from '../../common/tracing.js';
import { TUNNEL_SERVICE } from '../../proto/wire.js';

/** The tunnel method of each kind of interactive session. */
export const SESSION_METHODS = { exec: 'Exec', attach: 'Attach', logs: 'Logs', portforward: 'PortForward', service: 'ServiceConnection', egress: 'EgressConnection' } as const;

const codeName = (e: unknown): string => {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'number' && grpc.status[code] ? grpc.status[code] : 'UNKNOWN';
};

/** Runs a unary tunnel call inside its client span. */
export async function unarySpan<T>(method: string, call: () => Promise<T>): Promise<T> {
  const s = grpcSpan(TUNNEL_SERVICE, method);
  const { span, context } = startSpan(s.name, { kind: SpanKind.CLIENT, attributes: s.attributes });
  try {
    const res = await runIn(context, call);
    endRpcSpan(span, 'OK');
    return res;
  } catch (e) {
    endRpcSpan(span, codeName(e), e);
    throw e;
  }
}

/**
 * A session's client span: `open` runs with the span active (its metadata carries it); the span ends with
 * the stream's final status, or with the error if opening failed.
 */
export async function sessionSpan<C extends { once(ev: 'status', cb: (s: grpc.StatusObject) => void): unknown }>(method: string, attributes: Attributes, open: () => Promise<C>): Promise<C> {
  const s = grpcSpan(TUNNEL_SERVICE, method);
  const { span, context } = startSpan(s.name, { kind: SpanKind.CLIENT, attributes: { ...s.attributes, ...attributes } });
  let call: C;
  try {
    call = await runIn(context, open);
  } catch (e) {
    endRpcSpan(span, codeName(e), e);
    throw e;
  }
  call.once('status', (st) => endRpcSpan(span, grpc.status[st.code] ?? 'UNKNOWN', st.code === grpc.status.OK ? undefined : Object.assign(new Error(st.details), { name: 'TunnelError' })));
  return call;
}
