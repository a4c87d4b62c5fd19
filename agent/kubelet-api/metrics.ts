// Prometheus metrics of the kubelet API server: requests by handler and code, streaming sessions by
// kind and transport (total and active), bytes streamed by direction, and session errors.
import { Counter, Gauge, type Registry } from 'prom-client';

export interface KubeletApiMetrics {
  requests: Counter<'handler' | 'code'>;
  sessions: Counter<'kind' | 'transport'>;
  activeSessions: Gauge<'kind'>;
  bytes: Counter<'direction'>;
  errors: Counter<'kind'>;
}

export function kubeletApiMetrics(registry: Registry): KubeletApiMetrics {
  return {
    requests: new Counter({ name: 'kubelet_api_requests_total', help: 'Kubelet API requests by handler and HTTP status', labelNames: ['handler', 'code'], registers: [registry] }),
    sessions: new Counter({ name: 'kubelet_api_sessions_total', help: 'Streaming sessions started, by kind (exec, attach, portforward, logs) and transport', labelNames: ['kind', 'transport'], registers: [registry] }),
    activeSessions: new Gauge({ name: 'kubelet_api_active_sessions', help: 'Streaming sessions in progress, by kind', labelNames: ['kind'], registers: [registry] }),
    bytes: new Counter({ name: 'kubelet_api_stream_bytes_total', help: 'Payload bytes streamed, by direction (in = from client, out = to client)', labelNames: ['direction'], registers: [registry] }),
    errors: new Counter({ name: 'kubelet_api_session_errors_total', help: 'Streaming sessions that ended with a protocol or backend error, by kind', labelNames: ['kind'], registers: [registry] }),
  };
}
