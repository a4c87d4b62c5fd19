// The relay's Prometheus metrics, created once per relay on its registry.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export function relayMetrics(registry: Registry) {
  const registers = [registry];
  return {
    requests: new Counter({ name: 'ecigw_relay_requests_total', help: 'Tunnel RPCs by method and status code', labelNames: ['method', 'code'], registers }),
    denied: new Counter({ name: 'ecigw_relay_denied_total', help: 'Rejected calls by reason', labelNames: ['reason'], registers }),
    sessionsActive: new Gauge({ name: 'ecigw_relay_sessions_active', help: 'Open sessions by kind', labelNames: ['kind'], registers }),
    unaryLatency: new Histogram({
      name: 'ecigw_relay_rpc_duration_seconds',
      help: 'Unary tunnel RPC latency at the relay, by method and status code',
      labelNames: ['method', 'code'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    egressDenied: new Counter({ name: 'ecigw_relay_egress_denied_total', help: 'Burst pods\' egress calls refused, by reason (bad_token, unknown_scope, source, bad_start, not_exported, no_agent, agent_timeout, agent_error, too_many)', labelNames: ['reason'], registers }),
    dataConnections: new Counter({ name: 'ecigw_relay_data_connections_total', help: 'Session data connections by outcome (claimed; not_dialled: the agent asked for one and none came within the wait; or why one was closed before its session took it)', labelNames: ['outcome'], registers }),
    sessionAborts: new Counter({ name: 'ecigw_relay_session_aborts_total', help: 'Sessions ended by a timeout or overflow', labelNames: ['kind', 'reason'], registers }),
    revoked: new Counter({ name: 'ecigw_relay_streams_revoked_total', help: 'Open streams ended because their credential was revoked, rotated out, expired or lost its grant', labelNames: ['kind'], registers }),
    configReloads: new Counter({ name: 'ecigw_relay_config_reloads_total', help: 'Re-reads of the relay config, token file and client CA after a change, by file and result (error: the previous content stays)', labelNames: ['file', 'result'], registers }),
    connectionsRejected: new Counter({ name: 'ecigw_relay_connections_rejected_total', help: 'TCP connections refused or closed before authenticating, by reason', labelNames: ['reason'], registers }),
    connectionsOpen: new Gauge({ name: 'ecigw_relay_connections_open', help: 'Open TCP connections to the gRPC port', registers }),
  };
}

export type RelayMetrics = ReturnType<typeof relayMetrics>;
