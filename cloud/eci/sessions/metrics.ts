// Pure conversion of ECI monitoring records (DescribeMultiContainerGroupMetric / DescribeContainerGroupMetric)
// into the tunnel's PodStats: the newest record of a group gives per-container CPU (nano cores, cumulative core
// ns) and memory (working set, usage, RSS) plus the group's summed network bytes.
import type { PodStats } from '../../pod-provider/provider.js';

/** The fields we read from one record; both metric actions' SDK record classes fit this shape. */
export interface MetricRecord {
  timestamp?: string;
  CPU?: { usageNanoCores?: number; usageCoreNanoSeconds?: number };
  memory?: { workingSet?: number; usageBytes?: number };
  network?: { interfaces?: Array<{ rxBytes?: number; txBytes?: number }> };
  containers?: Array<{ name?: string; CPU?: { usageNanoCores?: number; usageCoreNanoSeconds?: number }; memory?: { workingSet?: number; usageBytes?: number; rss?: number } }>;
}

export interface PodIdentity {
  uid: string;
  namespace: string;
  name: string;
}

const n = (v: number | undefined): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.round(v) : 0);
const timeOf = (r: MetricRecord): number => {
  const t = r.timestamp ? Date.parse(r.timestamp) : NaN;
  return Number.isFinite(t) ? t : -Infinity;
};

/** The newest record (by Timestamp; the last one on ties or missing timestamps), or undefined for none. */
export function newestRecord(records: MetricRecord[] | undefined): MetricRecord | undefined {
  let best: MetricRecord | undefined;
  for (const r of records ?? []) if (!best || timeOf(r) >= timeOf(best)) best = r;
  return best;
}

/** PodStats from a group's records; undefined when ECI has no sample for it yet. */
export function podStatsFrom(id: PodIdentity, records: MetricRecord[] | undefined): PodStats | undefined {
  const r = newestRecord(records);
  if (!r) return undefined;
  let rx = 0;
  let tx = 0;
  for (const i of r.network?.interfaces ?? []) {
    rx += n(i.rxBytes);
    tx += n(i.txBytes);
  }
  return {
    uid: id.uid,
    namespace: id.namespace,
    name: id.name,
    time: r.timestamp && Number.isFinite(Date.parse(r.timestamp)) ? new Date(Date.parse(r.timestamp)).toISOString() : '',
    containers: (r.containers ?? [])
      .filter((c) => typeof c.name === 'string' && c.name !== '')
      .map((c) => ({
        name: c.name!,
        cpuUsageNanoCores: n(c.CPU?.usageNanoCores),
        cpuUsageCoreNanoSeconds: n(c.CPU?.usageCoreNanoSeconds),
        memoryWorkingSetBytes: n(c.memory?.workingSet),
        memoryUsageBytes: n(c.memory?.usageBytes),
        memoryRssBytes: n(c.memory?.rss),
      })),
    networkRxBytes: rx,
    networkTxBytes: tx,
  };
}

/** Splits ids into batches of at most `max` (ECI: 20 ids per DescribeMultiContainerGroupMetric call). */
export function batches<T>(items: T[], max: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += max) out.push(items.slice(i, i + max));
  return out;
}
