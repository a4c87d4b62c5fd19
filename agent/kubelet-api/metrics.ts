// Prometheus metrics of the kubelet API server: requests by handler and code, streaming sessions by
// kind and transport (total, active, refused by a cap, dropped), bytes streamed by direction, session
// errors, and peer protocol violations (answered with RST_STREAM or dropped) by transport and kind.
import { Counter, Gauge, type Registry } from 'prom-client';

export interface KubeletApiMetrics {
  requests: Counter<'handler' | 'code'>;
  sessions: Counter<'kind' | 'transport'>;
  activeSessions: Gauge<'kind'>;
  refused: Counter<'kind' | 'cap'>;
  dropped: Counter<'transport' | 'reason'>;
  streamsRefused: Counter<'reason'>;
  violations: Counter<'transport' | 'kind'>;
  bytes: Counter<'direction'>;
  errors: Counter<'kind'>;
}

export function kubeletApiMetrics(registry: Registry): KubeletApiMetrics {
  return {
    requests: new Counter({ name: 'ecigw_kubelet_api_requests_total', help: 'Kubelet API requests by handler and HTTP status', labelNames: ['handler', 'code'], registers: [registry] }),
    sessions: new Counter({ name: 'ecigw_kubelet_api_sessions_total', help: 'Streaming sessions started, by kind (exec, attach, portforward, logs) and transport', labelNames: ['kind', 'transport'], registers: [registry] }),
    activeSessions: new Gauge({ name: 'ecigw_kubelet_api_sessions_active', help: 'Streaming sessions in progress, by kind', labelNames: ['kind'], registers: [registry] }),
    refused: new Counter({ name: 'ecigw_kubelet_api_sessions_refused_total', help: 'Streaming sessions refused with 429 by a session cap, by kind and cap (total, perCaller, perKind)', labelNames: ['kind', 'cap'], registers: [registry] }),
    dropped: new Counter({ name: 'ecigw_kubelet_api_sessions_dropped_total', help: 'Sessions the server ended, by transport and reason (output_stall: the peer left our output unread; protocol_error: malformed frames or too many violations)', labelNames: ['transport', 'reason'], registers: [registry] }),
    streamsRefused: new Counter({ name: 'ecigw_kubelet_api_streams_refused_total', help: 'SPDY streams refused or reset by the server, by reason (maxStreams, maxPairs, pairTimeout, badHeaders, ...)', labelNames: ['reason'], registers: [registry] }),
    violations: new Counter({ name: 'ecigw_kubelet_api_protocol_violations_total', help: 'Peer protocol violations answered with RST_STREAM or dropped, by transport and kind (data_after_fin, data_after_close, ...)', labelNames: ['transport', 'kind'], registers: [registry] }),
    bytes: new Counter({ name: 'ecigw_kubelet_api_stream_bytes_total', help: 'Payload bytes streamed, by direction (in = from client, out = to client)', labelNames: ['direction'], registers: [registry] }),
    errors: new Counter({ name: 'ecigw_kubelet_api_session_errors_total', help: 'Streaming sessions that ended with a protocol or backend error, by kind', labelNames: ['kind'], registers: [registry] }),
  };
}
