// The agent's own Prometheus metrics: tunnel state, pods on the virtual node by phase, pod work-queue
// depth, the event queue (backlog, drops), latency of the intents it sends through the tunnel, and the
// Service connections of networking mode `tunnel`.
// Gauges are computed at scrape time from the components' state, so nothing has to remember to update them.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PodTunnel } from './pods/tunnel-port.js';
import type { ServiceTrafficObserver } from './service-traffic/listeners.js';

interface AgentMetricSources {
  tunnelState: () => string;
  pods: () => readonly { status?: { phase?: string } }[];
  queueDepth: () => number;
  /** The event recorder's backlog and the events it dropped because the backlog was full. */
  events: () => { queued: number; dropped: number };
  /** Service connections open now (networking mode `tunnel`; 0 otherwise). */
  serviceConnections: () => number;
  /** The relay's caps on the cluster's burst pods, as last asked. */
  caps: () => readonly { resource: string; key: string; limit: number; used: number }[];
}

const TUNNEL_STATES = ['connecting', 'connected', 'disconnected'];
const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];

export function registerAgentMetrics(registry: Registry, src: AgentMetricSources): { intentLatency: Histogram<'op' | 'result'>; serviceTraffic: ServiceTrafficObserver } {
  new Gauge({
    name: 'ecigw_agent_tunnel_state',
    help: '1 for the tunnel state the agent is in (connecting, connected, disconnected)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const now = src.tunnelState();
      for (const s of TUNNEL_STATES) this.set({ state: s }, s === now ? 1 : 0);
    },
  });
  new Gauge({
    name: 'ecigw_agent_pods',
    help: 'Pods bound to the virtual node, by phase',
    labelNames: ['phase'],
    registers: [registry],
    collect() {
      const counts = new Map(PHASES.map((p) => [p, 0]));
      for (const p of src.pods()) {
        const phase = p.status?.phase ?? 'Pending';
        counts.set(phase, (counts.get(phase) ?? 0) + 1);
      }
      for (const [phase, n] of counts) this.set({ phase }, n);
    },
  });
  new Gauge({
    name: 'ecigw_agent_pod_queue_depth',
    help: 'Pods waiting in the pod work queue',
    registers: [registry],
    collect() {
      this.set(src.queueDepth());
    },
  });
  new Gauge({
    name: 'ecigw_agent_event_queue_depth',
    help: 'Kubernetes Events waiting to be written',
    registers: [registry],
    collect() {
      this.set(src.events().queued);
    },
  });
  let droppedSeen = 0;
  new Counter({
    name: 'ecigw_agent_events_dropped_total',
    help: 'Kubernetes Events dropped because the event queue was full',
    registers: [registry],
    collect() {
      const now = src.events().dropped;
      this.inc(now - droppedSeen);
      droppedSeen = now;
    },
  });
  const intentLatency = new Histogram({
    name: 'ecigw_agent_intent_duration_seconds',
    help: 'Latency of pod intents sent through the tunnel (apply, delete, reconcile), by result',
    labelNames: ['op', 'result'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  // One gauge per figure of each cap the relay reported, same labels and units (pods, cpu in vCPU, memory in GiB,
  // spend per hour).
  const capGauge = (name: string, help: string, value: (c: ReturnType<AgentMetricSources['caps']>[number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['resource', 'key'],
      registers: [registry],
      collect() {
        this.reset();
        for (const c of src.caps()) this.set({ resource: c.resource, key: c.key }, value(c));
      },
    });
  capGauge('ecigw_agent_burst_cap_limit', 'A cap on burst pods set at the relay (resource pods, cpu in vCPU, memory in GiB; key: its config key under the tenant)', (c) => c.limit);
  capGauge('ecigw_agent_burst_cap_used', 'What burst pods use of a cap, over all the clusters it covers (for resource spend: the spend rate per hour; same units and labels as ecigw_agent_burst_cap_limit)', (c) => c.used);
  capGauge('ecigw_agent_burst_cap_headroom', 'What a cap on burst pods leaves, over all the clusters it covers (same units and labels as ecigw_agent_burst_cap_limit)', (c) => Math.max(0, c.limit - c.used));
  new Gauge({
    name: 'ecigw_agent_service_connections_open',
    help: 'Service connections to burst pods open through the tunnel (networking mode tunnel)',
    registers: [registry],
    collect() {
      this.set(src.serviceConnections());
    },
  });
  const connections = new Counter({
    name: 'ecigw_agent_service_connections_total',
    help: 'Service connections (networking mode tunnel) by direction (inbound: accepted on a listener for a burst pod; outbound: dialled for a burst pod to an exported Service) and outcome: opened, refused_cap (network.maxConnections), refused_not_exported, failed (the tunnel, the pod or the endpoint refused)',
    labelNames: ['direction', 'outcome'],
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'ecigw_agent_service_bytes_total',
    help: 'Bytes of Service connections that ended, by direction and flow (to_pod, from_pod)',
    labelNames: ['direction', 'flow'],
    registers: [registry],
  });
  const seconds = new Histogram({
    name: 'ecigw_agent_service_connection_seconds',
    help: 'How long Service connections lasted, by direction',
    labelNames: ['direction'],
    buckets: [0.01, 0.1, 1, 10, 60, 600, 3600, 14400],
    registers: [registry],
  });
  const serviceTraffic: ServiceTrafficObserver = {
    outcome: (direction, outcome) => connections.inc({ direction, outcome }),
    closed: (direction, c) => {
      bytes.inc({ direction, flow: 'to_pod' }, c.toPod);
      bytes.inc({ direction, flow: 'from_pod' }, c.fromPod);
      seconds.observe({ direction }, c.seconds);
    },
  };
  return { intentLatency, serviceTraffic };
}

/** A PodTunnel that times every intent into `h`. */
export function timedPodTunnel(inner: PodTunnel, h: Histogram<'op' | 'result'>): PodTunnel {
  const time = async <T>(op: string, fn: () => Promise<T>): Promise<T> => {
    const end = h.startTimer({ op });
    try {
      const r = await fn();
      end({ result: 'ok' });
      return r;
    } catch (e) {
      end({ result: 'error' });
      throw e;
    }
  };
  return {
    maxIntentBytes: () => inner.maxIntentBytes(),
    apply: (intent) => time('apply', () => inner.apply(intent)),
    delete: (uid, grace) => time('delete', () => inner.delete(uid, grace)),
    reconcile: (inv) => time('reconcile', () => inner.reconcile(inv)),
  };
}
