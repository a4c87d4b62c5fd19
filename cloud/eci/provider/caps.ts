// The caps a tenant's pods on ECI live within (`tenants.<id>.quotas`): pods, vCPU, memory and spend per hour,
// for the whole tenant and per cluster. Pure: what the live container groups use, whether one more group fits
// (and, if not, which cap it would break, named as its config key), and what each cap leaves, which the relay
// tells the agent so the virtual node's allocatable follows it and the scheduler stops placing pods before a
// cap is hit.

import type { CapacityState, QuotaLimits, TenantQuotas } from '../../pod-provider/provider.js';

/** What one container group uses: its cluster and size as ECI runs it. */
export interface GroupUsage {
  cluster: string;
  cpu: number;
  memoryGiB: number;
  /** Its price per hour (counted only where a spend cap is set). */
  spendPerHour?: number;
}

type CapLimits = QuotaLimits;
type TenantCaps = Omit<TenantQuotas, 'maxPods'> & { maxPods?: number };
export type CapState = CapacityState;
type CapResource = CapState['resource'];

/** What ECI runs when a create names neither size (its default spec), for counting before ECI reports the group. */
export const ECI_DEFAULT_SPEC = { cpu: 2, memoryGiB: 4 } as const;

const FIELDS: [CapResource, keyof CapLimits, (u: GroupUsage) => number][] = [
  ['pods', 'maxPods', () => 1],
  ['cpu', 'maxVcpu', (u) => u.cpu],
  ['memory', 'maxMemoryGiB', (u) => u.memoryGiB],
  ['spend', 'maxSpendPerHour', (u) => u.spendPerHour ?? 0],
];

/** Whether any of the tenant's caps is on spend (then every group's price is looked up). */
export const capsSpend = (caps: TenantCaps): boolean => caps.maxSpendPerHour !== undefined || Object.values(caps.clusters ?? {}).some((c) => c.maxSpendPerHour !== undefined);

/** Floating sums of sizes like 0.25 drift; caps compare at a millionth. */
const round = (n: number): number => Math.round(n * 1e6) / 1e6;

const total = (us: GroupUsage[], size: (u: GroupUsage) => number): number => round(us.reduce((a, u) => a + size(u), 0));

/** Every cap that applies to pods of `cluster`, with what the groups in `usages` use of it. */
export function capStates(caps: TenantCaps, usages: Iterable<GroupUsage>, cluster: string): CapState[] {
  const all = [...usages];
  const mine = all.filter((u) => u.cluster === cluster);
  const out: CapState[] = [];
  const scopes: [CapLimits | undefined, string, GroupUsage[]][] = [
    [caps, 'quotas', all],
    [caps.clusters?.[cluster], `quotas.clusters.${cluster}`, mine],
  ];
  for (const [limits, prefix, counted] of scopes) {
    if (!limits) continue;
    for (const [resource, field, size] of FIELDS) {
      const limit = limits[field];
      if (limit === undefined) continue;
      out.push({ resource, key: `${prefix}.${field}`, limit, used: total(counted, size), usedHere: total(mine, size) });
    }
  }
  return out;
}

/** The first cap that `want` would break on top of `usages`, or undefined when it fits them all. */
export function breachedCap(caps: TenantCaps, usages: Iterable<GroupUsage>, want: GroupUsage): (CapState & { want: number }) | undefined {
  for (const s of capStates(caps, usages, want.cluster)) {
    const size = FIELDS.find(([r]) => r === s.resource)?.[2](want) ?? 0;
    if (round(s.used + size) > s.limit) return { ...s, want: size };
  }
  return undefined;
}
