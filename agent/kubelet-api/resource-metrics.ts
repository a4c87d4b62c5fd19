// Renders a stats Summary as the kubelet's /metrics/resource Prometheus text: the series
// metrics-server reads (node/container/pod CPU seconds and working set, container start time,
// scrape_error), each sample stamped with its measurement time in milliseconds. Pure mapping.
import type { Summary, CpuStats, MemoryStats } from './backend.js';
import { TextExposition, type Family } from './prom-text.js';

const FAMILIES: Family[] = [
  ['container_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the container in core-seconds'],
  ['container_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the container in bytes'],
  ['container_start_time_seconds', 'gauge', '[STABLE] Start time of the container since unix epoch in seconds'],
  ['node_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the node in core-seconds'],
  ['node_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the node in bytes'],
  ['pod_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the pod in core-seconds'],
  ['pod_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the pod in bytes'],
  ['scrape_error', 'gauge', '[ALPHA] 1 if there was an error while getting container metrics, 0 otherwise'],
];

export function renderResourceMetrics(s: Summary | undefined): string {
  const x = new TextExposition(FAMILIES);
  const cpu = (name: string, l: Record<string, string>, c?: CpuStats) => {
    if (c?.usageCoreNanoSeconds !== undefined) x.add(name, l, c.usageCoreNanoSeconds / 1e9, c.time);
  };
  const mem = (name: string, l: Record<string, string>, m?: MemoryStats) => {
    if (m?.workingSetBytes !== undefined) x.add(name, l, m.workingSetBytes, m.time);
  };
  if (s) {
    cpu('node_cpu_usage_seconds_total', {}, s.node.cpu);
    mem('node_memory_working_set_bytes', {}, s.node.memory);
    for (const p of s.pods) {
      const pl = { namespace: p.podRef.namespace, pod: p.podRef.name };
      cpu('pod_cpu_usage_seconds_total', pl, p.cpu);
      mem('pod_memory_working_set_bytes', pl, p.memory);
      for (const c of p.containers) {
        const cl = { container: c.name, namespace: p.podRef.namespace, pod: p.podRef.name };
        cpu('container_cpu_usage_seconds_total', cl, c.cpu);
        mem('container_memory_working_set_bytes', cl, c.memory);
        const start = Date.parse(c.startTime);
        if (Number.isFinite(start)) x.add('container_start_time_seconds', cl, start / 1000, c.cpu?.time ?? c.memory?.time);
      }
    }
  }
  x.add('scrape_error', {}, s ? 0 : 1);
  return x.render();
}
