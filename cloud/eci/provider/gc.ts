// Orphan GC of one tenant scope: when each orphan (a group of the scope that the agent's inventory does not list)
// was first seen, which are due after the grace period and still absent, and the hold: an inventory that would
// orphan more than a share of the scope's groups, or all of them, is not acted on (a broken agent's empty or
// truncated inventory deletes nothing). Time comes from an injected clock; deleting is the caller's job.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../../common/log.js';

/** Default largest share of a scope's groups one inventory may orphan before GC holds. */
export const DEFAULT_GC_MAX_ORPHAN_SHARE = 0.5;

/** Why `maxShare` is unusable, or undefined: a share in (0, 1]. */
export function maxOrphanShareProblem(maxShare: unknown): string | undefined {
  return typeof maxShare === 'number' && maxShare > 0 && maxShare <= 1 ? undefined : `must be a number in (0, 1], got ${JSON.stringify(maxShare)}`;
}

/** Pure: true when an inventory orphaning `orphans` of the scope's `groups` must not be acted on. */
export function shouldHold(orphans: number, groups: number, maxShare: number): boolean {
  if (orphans <= 0 || groups <= 0) return false;
  return orphans >= groups || orphans / groups > maxShare;
}

type Labels = 'tenant' | 'cluster';

/** Prometheus metrics of the GC, registered once per registry. */
export class GcMetrics {
  readonly held: Gauge<Labels>;
  readonly holds: Counter<Labels>;
  readonly deleted: Counter<Labels>;
  constructor(registry: Registry) {
    this.held = new Gauge({ name: 'ecigw_relay_gc_held', help: '1 while orphan GC of a tenant cluster holds because its last inventory would orphan too many of its container groups', labelNames: ['tenant', 'cluster'], registers: [registry] });
    this.holds = new Counter({ name: 'ecigw_relay_gc_holds_total', help: 'Inventories not acted on by orphan GC (too many or all groups orphaned)', labelNames: ['tenant', 'cluster'], registers: [registry] });
    this.deleted = new Counter({ name: 'ecigw_relay_gc_deleted_total', help: 'Orphaned container groups deleted by GC', labelNames: ['tenant', 'cluster'], registers: [registry] });
  }
}

const byRegistry = new WeakMap<Registry, GcMetrics>();
export function gcMetrics(registry: Registry): GcMetrics {
  let m = byRegistry.get(registry);
  if (!m) byRegistry.set(registry, (m = new GcMetrics(registry)));
  return m;
}

interface OrphanGcOptions {
  graceMs: number;
  /** Largest share (0, 1] of the scope's groups one inventory may orphan; "all of them" always holds. */
  maxOrphanShare: number;
  now?: () => number;
  metrics?: GcMetrics;
  tenant: string;
  cluster: string;
  log: Logger;
}

interface InventoryVerdict {
  held: boolean;
  orphans: number;
  groups: number;
}

export class OrphanGc {
  private readonly since = new Map<string, number>();
  private live?: Set<string>;
  private holding?: { orphans: number; groups: number };
  private readonly now: () => number;
  private readonly labels: Record<Labels, string>;

  constructor(private readonly opts: OrphanGcOptions) {
    const problem = maxOrphanShareProblem(opts.maxOrphanShare);
    if (problem) throw new RangeError(`gcMaxOrphanShare ${problem}`);
    this.now = opts.now ?? Date.now;
    this.labels = { tenant: opts.tenant, cluster: opts.cluster };
    opts.metrics?.held.set(this.labels, 0);
  }

  /** Orphans waiting for their grace period. */
  get pending(): number {
    return this.since.size;
  }

  /** True while the last inventory was out of bounds. */
  get held(): boolean {
    return this.holding !== undefined;
  }

  /**
   * A reconcile starts with the agent's inventory (a snapshot taken before it was sent). Pods applied while the
   * relay lists the scope join the returned live set, so they are never orphans.
   */
  beginInventory(uids: Iterable<string>): Set<string> {
    this.live = new Set(uids);
    return this.live;
  }

  /** The reconcile's outcome: the inventory leaves `orphanUids` of the scope's `groups` unaccounted for. */
  inventoryResult(orphanUids: string[], groups: number): InventoryVerdict {
    const orphans = orphanUids.length;
    const { log, metrics, maxOrphanShare } = this.opts;
    if (shouldHold(orphans, groups, maxOrphanShare)) {
      // Forget every candidate: a later inventory within bounds starts each grace period afresh.
      this.since.clear();
      if (this.holding?.orphans !== orphans || this.holding.groups !== groups) {
        log.warn(
          { orphans, groups, maxOrphanShare },
          `orphan GC held: the agent's inventory would orphan ${orphans} of ${groups} container groups (${orphans >= groups ? 'all of them' : `more than ${Math.round(maxOrphanShare * 100)}%`}); nothing is deleted for this cluster until an inventory within bounds arrives`,
        );
      }
      this.holding = { orphans, groups };
      metrics?.held.set(this.labels, 1);
      metrics?.holds.inc(this.labels);
      return { held: true, orphans, groups };
    }
    if (this.holding) {
      log.info({ orphans, groups }, 'orphan GC resumes: the inventory is within bounds');
      this.holding = undefined;
      metrics?.held.set(this.labels, 0);
    }
    const now = this.now();
    const current = new Set(orphanUids);
    for (const uid of [...this.since.keys()]) if (!current.has(uid)) this.since.delete(uid);
    for (const uid of current) if (!this.since.has(uid)) this.since.set(uid, now);
    return { held: false, orphans, groups };
  }

  /** The agent applied the pod: not an orphan, and part of the live set. */
  applied(uid: string): void {
    this.since.delete(uid);
    this.live?.add(uid);
  }

  /** The pod is being deleted anyway. */
  forget(uid: string): void {
    this.since.delete(uid);
  }

  /** Still an orphan whose grace period is over, absent from the latest inventory and every apply since. */
  isDue(uid: string): boolean {
    const since = this.since.get(uid);
    return since !== undefined && this.now() - since >= this.opts.graceMs && !this.live?.has(uid);
  }

  /**
   * Deletes, through `remove`, each orphan that is due. `groupOf(uid)` gives the group the scope tracks for it,
   * or undefined when it is no longer tracked or already being deleted (then it is dropped). `remove` runs under
   * the pod's lock and must re-check `isDue`, since an apply may have come first. Returns the ms until the next
   * candidate is due, or undefined when none is left.
   */
  async collect(groupOf: (uid: string) => string | undefined, remove: (uid: string) => Promise<boolean>): Promise<number | undefined> {
    for (const uid of [...this.since.keys()]) {
      if (this.live?.has(uid)) {
        this.since.delete(uid);
        continue;
      }
      if (!this.isDue(uid)) continue;
      const groupId = groupOf(uid);
      if (groupId === undefined) {
        this.since.delete(uid);
        continue;
      }
      const orphanForMs = this.now() - this.since.get(uid)!;
      this.opts.log.info({ uid, groupId, orphanForMs }, 'garbage-collecting orphan container group');
      if (await remove(uid)) {
        this.since.delete(uid);
        this.opts.metrics?.deleted.inc(this.labels);
      }
    }
    if (this.since.size === 0) return undefined;
    return Math.max(0, Math.min(...this.since.values()) + this.opts.graceMs - this.now());
  }
}
