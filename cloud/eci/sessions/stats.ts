// Pod resource usage for the kubelet stats summary and /metrics/resource: one snapshot per tenant cluster
// (DescribeContainerGroups filtered by the cluster tag, then DescribeMultiContainerGroupMetric in batches of 20),
// cached for metricsCacheMs and shared by concurrent callers, so kubelet scrapes cost a bounded number of ECI calls.
import type { EciCaller } from '../api.js';
import { $Eci, type EciClient, type $Util } from '../sdk.js';
import type { PodStats, TenantScope } from '../../pod-provider/provider.js';
import { TAG_CLUSTER_ID, TAG_NAMESPACE, TAG_POD_NAME, TAG_POD_UID } from '../mapping/names.js';
import { fitTagValue } from '../mapping/names.js';
import { batches, podStatsFrom, type MetricRecord, type PodIdentity } from './metrics.js';
import { sessionError } from './errors.js';

/** ECI's documented maximum of ids per DescribeMultiContainerGroupMetric (and DescribeContainerGroups) call. */
const MAX_IDS_PER_CALL = 20;
/** Groups in these states have containers whose usage ECI samples. */
const SAMPLED_STATES = new Set(['Running', 'Terminating', 'Updating', 'Restarting']);

interface Snapshot {
  at: number;
  pods: Map<string, PodStats>;
}

interface StatsSourceOptions {
  callerFor(scope: TenantScope): EciCaller;
  /** How long one snapshot answers every stats call of a tenant cluster (ms). */
  cacheMs: number;
  /** A failed refresh falls back to a snapshot younger than this (ms). */
  staleMs: number;
  /** Upper bound on listed groups per snapshot (pages of 20). */
  maxGroups: number;
}

export class StatsSource {
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly inflight = new Map<string, Promise<Snapshot>>();

  constructor(private readonly opts: StatsSourceOptions) {}

  async stats(scope: TenantScope, uids: string[]): Promise<PodStats[]> {
    const snap = await this.snapshot(scope);
    if (uids.length === 0) return [...snap.pods.values()];
    const out: PodStats[] = [];
    for (const uid of new Set(uids)) {
      const p = snap.pods.get(uid);
      if (p) out.push(p);
    }
    return out;
  }

  private async snapshot(scope: TenantScope): Promise<Snapshot> {
    const key = `${scope.tenantId}\u0000${scope.clusterId}`;
    const cached = this.snapshots.get(key);
    if (cached && Date.now() - cached.at < this.opts.cacheMs) return cached;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.fetch(scope)
        .then((s) => (this.snapshots.set(key, s), s))
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    try {
      return await p;
    } catch (err) {
      if (cached && Date.now() - cached.at < this.opts.staleMs) return cached;
      throw sessionError(err, `stats for cluster ${scope.clusterId}`);
    }
  }

  private async fetch(scope: TenantScope): Promise<Snapshot> {
    const caller = this.opts.callerFor(scope);
    const groups = new Map<string, PodIdentity>();
    let nextToken: string | undefined;
    do {
      const page = await caller.call('DescribeContainerGroups', (c: EciClient, rt: $Util.RuntimeOptions) =>
        c.describeContainerGroupsWithOptions(
          new $Eci.DescribeContainerGroupsRequest({
            regionId: caller.regionId,
            limit: MAX_IDS_PER_CALL,
            nextToken,
            tag: [new $Eci.DescribeContainerGroupsRequestTag({ key: TAG_CLUSTER_ID, value: fitTagValue(scope.clusterId) })],
          }),
          rt,
        ),
      );
      for (const g of page.body?.containerGroups ?? []) {
        if (!g.containerGroupId || !SAMPLED_STATES.has(g.status ?? '')) continue;
        const tags = new Map((g.tags ?? []).map((t) => [t.key ?? '', t.value ?? '']));
        if (tags.get(TAG_CLUSTER_ID) !== fitTagValue(scope.clusterId)) continue; // the filter is ECI's; check anyway
        const uid = tags.get(TAG_POD_UID);
        if (!uid) continue;
        groups.set(g.containerGroupId, { uid, namespace: tags.get(TAG_NAMESPACE) ?? '', name: tags.get(TAG_POD_NAME) ?? '' });
      }
      nextToken = page.body?.nextToken || undefined;
    } while (nextToken && groups.size < this.opts.maxGroups);

    const pods = new Map<string, PodStats>();
    for (const ids of batches([...groups.keys()], MAX_IDS_PER_CALL)) {
      for (const d of await this.metricsOf(caller, ids)) {
        const id = d.containerGroupId ? groups.get(d.containerGroupId) : undefined;
        if (!id) continue;
        const stats = podStatsFrom(id, d.records as MetricRecord[] | undefined);
        if (stats) pods.set(id.uid, stats);
      }
    }
    return { at: Date.now(), pods };
  }

  /** One batch; a group deleted since the listing fails the whole call, so a NotFound batch is bisected. */
  private async metricsOf(caller: EciCaller, ids: string[]): Promise<Array<{ containerGroupId?: string; records?: unknown[] }>> {
    try {
      const res = await caller.call('DescribeMultiContainerGroupMetric', (c: EciClient, rt: $Util.RuntimeOptions) =>
        c.describeMultiContainerGroupMetricWithOptions(
          new $Eci.DescribeMultiContainerGroupMetricRequest({ regionId: caller.regionId, containerGroupIds: JSON.stringify(ids), metricType: 'summary' }),
          rt,
        ),
      );
      return res.body?.monitorDatas ?? [];
    } catch (err) {
      if (sessionError(err, 'stats').code !== 'NOT_FOUND') throw err;
      if (ids.length === 1) return [];
      const half = Math.ceil(ids.length / 2);
      return [...(await this.metricsOf(caller, ids.slice(0, half))), ...(await this.metricsOf(caller, ids.slice(half)))];
    }
  }
}
