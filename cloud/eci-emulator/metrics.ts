// Metric records for DescribeContainerGroupMetric / DescribeMultiContainerGroupMetric: samples the runtime's
// per-container CPU and memory on demand, keeps a short per-group history and derives UsageNanoCores from deltas.
import { isoNow, type GroupRecord } from './model.js';
import type { ContainerMetrics } from './runtime/types.js';

interface Sample {
  ms: number;
  containers: ContainerMetrics[];
  nanoCores: Map<string, number>;
}

const MAX_SAMPLES = 120;

export class MetricsHistory {
  private readonly history = new Map<string, Sample[]>();

  sample(g: GroupRecord, read: (g: GroupRecord) => ContainerMetrics[], now = Date.now()): Sample[] {
    const list = this.history.get(g.id) ?? [];
    const last = list[list.length - 1];
    if (!last || now - last.ms >= 1000) {
      const containers = read(g);
      const nanoCores = new Map<string, number>();
      for (const c of containers) {
        const prev = last?.containers.find((x) => x.name === c.name);
        const dt = last ? (now - last.ms) / 1000 : 0;
        nanoCores.set(c.name, prev && dt > 0 ? Math.max(0, Math.round((c.cpuNs - prev.cpuNs) / dt)) : 0);
      }
      list.push({ ms: now, containers, nanoCores });
      if (list.length > MAX_SAMPLES) list.shift();
      this.history.set(g.id, list);
    }
    return list;
  }

  /** Groups with a sample history (each up to MAX_SAMPLES samples); reported by the admin stats. */
  get size(): number {
    return this.history.size;
  }

  forget(id: string): void {
    this.history.delete(id);
  }
}

export function record(g: GroupRecord, s: Sample): Record<string, unknown> {
  const cpu = (m: ContainerMetrics[], limitCores: number) => ({
    Limit: Math.round(limitCores * 1000),
    Load: 0,
    UsageCoreNanoSeconds: Math.round(m.reduce((a, c) => a + c.cpuNs, 0)),
    UsageNanoCores: m.reduce((a, c) => a + (s.nanoCores.get(c.name) ?? 0), 0),
  });
  const mem = (m: ContainerMetrics[], limitGiB: number) => {
    const rss = m.reduce((a, c) => a + c.rssBytes, 0);
    return { AvailableBytes: Math.max(0, Math.round(limitGiB * 2 ** 30) - rss), Cache: 0, Rss: rss, UsageBytes: rss, WorkingSet: m.reduce((a, c) => a + c.workingSetBytes, 0) };
  };
  const zero = { RxBytes: 0, RxDrops: 0, RxErrors: 0, RxPackets: 0, TxBytes: 0, TxDrops: 0, TxErrors: 0, TxPackets: 0 };
  return {
    Timestamp: isoNow(s.ms),
    CPU: cpu(s.containers, g.spec.cpu),
    Memory: mem(s.containers, g.spec.memory),
    Network: { Interfaces: [{ Name: 'eth0', ...zero }] },
    Disk: [],
    Filesystem: [],
    Containers: s.containers.map((c) => {
      const spec = g.spec.containers.find((x) => x.name === c.name);
      return { Name: c.name, CPU: cpu([c], spec?.cpu ?? g.spec.cpu), Memory: mem([c], spec?.memory ?? g.spec.memory) };
    }),
  };
}
