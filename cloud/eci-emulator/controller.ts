// The container-group state machine and store: create (idempotent by ClientToken), scheduling latency,
// status derivation from runtime reports, restart/update/delete transitions, events, retention and paging.
// Runtime-agnostic: processes or simulation live behind the Runtime interface.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { EmulatorConfig } from './config.js';
import { EciError, groupNotFound, incorrectStatus } from './errors.js';
import { IpPool } from './ip-pool.js';
import { hasTags, pageNewestFirst } from './listing.js';
import { deriveStatus } from './lifecycle.js';
import { SPOT_BID_FAILED } from '../eci/mapping/spot.js';
import { TERMINAL_STATUSES, isoNow, type ContainerSpec, type ContainerStatus, type GroupRecord, type GroupSpec, type GroupStatus } from './model.js';
import type { Runtime, RuntimeSink } from './runtime/types.js';

interface GroupFilter {
  regionId: string;
  ids?: string[];
  name?: string;
  status?: string;
  tags?: { key: string; value: string }[];
  zoneId?: string;
  vSwitchId?: string;
  resourceGroupId?: string;
  sinceMs?: number;
}

interface Page {
  groups: GroupRecord[];
  total: number;
  nextToken: string;
}

const randomId = (prefix: string, n = 20): string => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(n);
  let s = prefix;
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
};

const waiting = (c: ContainerSpec, reason = 'ContainerCreating'): ContainerStatus => ({
  name: c.name,
  image: c.image,
  ready: false,
  started: false,
  restartCount: 0,
  current: { state: 'Waiting', reason, detailStatus: reason },
});

export class Controller implements RuntimeSink {
  private readonly groups = new Map<string, GroupRecord>();
  private readonly tokens = new Map<string, { fingerprint: string; id: string; atMs: number }>();
  private readonly ips: IpPool;
  /** Addresses of the EIPs groups create (AutoCreateEip), from a documentation range; released with the group. */
  private readonly eips = new IpPool(EIP_POOL);
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly stopping = new Set<Promise<void>>();
  private seq = 0;
  private sweepTimer: NodeJS.Timeout;
  runtime!: Runtime;
  /** Called once per new group: the ms its image pulls hold container start (image-cache-store.ts). */
  imagePull?: (g: GroupRecord) => number;
  /** Called once for every group the controller drops (deleted, swept after retention, or closed). */
  private readonly removedListeners: ((groupId: string) => void)[] = [];

  constructor(private readonly config: () => EmulatorConfig) {
    this.ips = new IpPool(config().ipPool);
    this.sweepTimer = setInterval(() => this.sweep(), config().retention.sweepIntervalMs);
    this.sweepTimer.unref();
  }

  onRemoved(listener: (groupId: string) => void): void {
    this.removedListeners.push(listener);
  }

  /** Frees what a dropped group held: its runtime state, its addresses and whatever listeners keep for it. */
  private released(g: GroupRecord): void {
    this.runtime.forget(g.id);
    this.releaseAddresses(g);
    for (const l of this.removedListeners) l(g.id);
  }

  get size(): number {
    return this.groups.size;
  }

  all(): GroupRecord[] {
    return [...this.groups.values()];
  }

  /** The live group with this id in any region (undefined once deleted or swept). */
  find(id: string): GroupRecord | undefined {
    const g = this.groups.get(id);
    return g && !g.deleting ? g : undefined;
  }

  get(regionId: string, id: string): GroupRecord {
    const g = this.groups.get(id);
    if (!g || g.spec.regionId !== regionId) throw groupNotFound(id);
    return g;
  }

  create(spec: GroupSpec, clientToken: string | undefined, fingerprint: string): string {
    if (clientToken) {
      const prior = this.tokens.get(`${spec.regionId}/${clientToken}`);
      if (prior) {
        if (prior.fingerprint !== fingerprint)
          throw new EciError(400, 'IdempotentParameterMismatch', 'The request uses the same client token as a previous, but non-identical request.');
        return prior.id;
      }
    }
    const cfg = this.config();
    if (cfg.maxGroups > 0 && this.groups.size >= cfg.maxGroups)
      throw new EciError(400, 'QuotaExceeded.ContainerGroupCount', `The number of container groups has reached the quota (${cfg.maxGroups}).`);
    const spot = `${trim(spec.cpu)}-${trim(spec.memory)}Gi`;
    const wanted = [spot, ...(spec.instanceType ? spec.instanceType.split(',').map((s) => s.trim()) : [])];
    if (cfg.stockOut.specs.some((s) => s === '*' || wanted.includes(s)))
      throw new EciError(cfg.stockOut.httpStatus, cfg.stockOut.code, `The requested resource (${wanted.join(',')}) is sold out in the specified zone; try other instance types or zones.`);
    const internetIp = this.internetIpFor(spec);
    const now = Date.now();
    const g: GroupRecord = {
      id: randomId('eci-'),
      uuid: randomUUID(),
      seq: ++this.seq,
      spec,
      status: 'Scheduling',
      intranetIp: this.ips.allocate(),
      internetIp,
      creationTime: isoNow(now),
      updatedAtMs: now,
      containers: spec.containers.map((c) => waiting(c)),
      initContainers: spec.initContainers.map((c) => waiting(c, 'PodInitializing')),
      events: [],
      deleting: false,
    };
    this.groups.set(g.id, g);
    if (clientToken) this.tokens.set(`${spec.regionId}/${clientToken}`, { fingerprint, id: g.id, atMs: now });
    const pullMs = this.imagePull?.(g) ?? 0;
    this.later(cfg.createLatency.schedulingMs, () => {
      if (g.deleting) return;
      this.event(g.id, 'Normal', 'Scheduled', `Successfully assigned ${g.spec.name} to ${g.spec.zoneId}`);
      this.setStatus(g, 'Pending');
      this.later(this.config().createLatency.pendingMs + pullMs, () => {
        if (g.deleting) return;
        g.startTime = isoNow();
        this.runtime.start(g);
      });
    });
    return g.id;
  }

  /** A new EIP's address, or the fixed address of a bound one (derived from its id); undefined without an EIP. */
  private internetIpFor(spec: GroupSpec): string | undefined {
    if (spec.eip?.instanceId) {
      const h = createHash('sha256').update(spec.eip.instanceId).digest();
      return `198.51.100.${1 + (h[0] % 254)}`;
    }
    if (!spec.eip?.create) return undefined;
    try {
      return this.eips.allocate();
    } catch {
      throw new EciError(400, 'QuotaExceeded.Eip', 'The number of EIPs has reached the quota (emulator: 253 at a time).');
    }
  }

  private releaseAddresses(g: GroupRecord): void {
    this.ips.release(g.intranetIp);
    if (g.internetIp && g.spec.eip?.create) this.eips.release(g.internetIp);
  }

  delete(regionId: string, id: string): void {
    const g = this.get(regionId, id);
    g.deleting = true;
    this.groups.delete(id);
    const stop = this.runtime
      .stop(g, this.grace(g))
      .catch(() => undefined)
      .finally(() => {
        this.released(g);
        this.stopping.delete(stop);
      });
    this.stopping.add(stop);
  }

  restart(regionId: string, id: string): void {
    const g = this.get(regionId, id);
    if (g.status !== 'Pending' && g.status !== 'Running') throw incorrectStatus(`The current status of the resource does not support this operation: ${g.status}`);
    g.transition = 'Restarting';
    this.setStatus(g, 'Restarting');
    this.event(g.id, 'Normal', 'Restarting', 'Container group is restarting');
    this.background(this.runtime.restart(g, this.grace(g)));
  }

  update(regionId: string, id: string, next: GroupSpec): void {
    const g = this.get(regionId, id);
    if (g.status !== 'Pending' && g.status !== 'Running') throw incorrectStatus(`The current status of the resource does not support this operation: ${g.status}`);
    const before = new Map(g.spec.containers.map((c) => [c.name, JSON.stringify(c)]));
    const changed = next.containers.filter((c) => before.get(c.name) !== JSON.stringify(c)).map((c) => c.name);
    const keep = new Map(g.containers.map((c) => [c.name, c]));
    g.spec = next;
    g.containers = next.containers.map((c) => keep.get(c.name) ?? waiting(c));
    for (const c of g.containers) c.image = next.containers.find((s) => s.name === c.name)!.image;
    g.transition = 'Updating';
    this.setStatus(g, 'Updating');
    this.event(g.id, 'Normal', 'Updating', `Container group is updating (${changed.length ? changed.join(',') : 'no container changes'})`);
    this.background(this.runtime.update(g, changed, this.grace(g)).then(() => this.recompute(g)));
  }

  /**
   * Releases a spot group (spot-reclaim.ts decides which and when): status Expired, and every container that still
   * ran or waited is killed at once, shown Terminated with exit 137 and the cause BidFailed. The group stays listed
   * (retention applies) and nothing the runtime reports afterwards changes it.
   */
  expire(g: GroupRecord): void {
    if (g.deleting || TERMINAL_STATUSES.has(g.status)) return;
    const now = isoNow();
    for (const c of [...g.initContainers, ...g.containers]) {
      if (c.current.state === 'Terminated') continue;
      const startTime = c.current.state === 'Running' ? c.current.startTime : undefined;
      c.current = { state: 'Terminated', reason: SPOT_BID_FAILED, detailStatus: SPOT_BID_FAILED, message: 'the spot instance was released', exitCode: 137, signal: 9, startTime, finishTime: now };
      c.ready = false;
    }
    g.transition = undefined;
    this.setStatus(g, 'Expired');
  }

  /** Filters, orders newest first and pages by an opaque token (the last seq returned). */
  list(f: GroupFilter, limit: number, nextToken?: string): Page {
    const ids = f.ids ? new Set(f.ids) : undefined;
    const matches: GroupRecord[] = [];
    for (const g of this.groups.values()) {
      if (g.spec.regionId !== f.regionId) continue;
      if (ids && !ids.has(g.id)) continue;
      if (f.name && g.spec.name !== f.name) continue;
      if (f.status && g.status !== f.status) continue;
      if (f.zoneId && g.spec.zoneId !== f.zoneId) continue;
      if (f.vSwitchId && g.spec.vSwitchId !== f.vSwitchId) continue;
      if (f.resourceGroupId && g.spec.resourceGroupId !== f.resourceGroupId) continue;
      if (f.sinceMs !== undefined && g.updatedAtMs < f.sinceMs) continue;
      if (f.tags && !hasTags(g.spec.tags, f.tags)) continue;
      matches.push(g);
    }
    const page = pageNewestFirst(matches, limit, nextToken);
    return { groups: page.items, total: page.total, nextToken: page.nextToken };
  }

  // RuntimeSink -------------------------------------------------------------------------------------------
  updateContainer(groupId: string, kind: 'app' | 'init', name: string, patch: Partial<ContainerStatus>): void {
    const g = this.groups.get(groupId);
    // A released spot instance is gone: what its processes do while they are killed is not ECI's to report.
    if (!g || g.deleting || g.status === 'Expired') return;
    const list = kind === 'app' ? g.containers : g.initContainers;
    const c = list.find((x) => x.name === name);
    if (!c) return;
    Object.assign(c, patch);
    this.recompute(g);
  }

  event(groupId: string, type: 'Normal' | 'Warning', reason: string, message: string, container?: string): void {
    const g = this.groups.get(groupId);
    if (!g) return;
    const now = isoNow();
    const fieldPath = container ? `spec.containers{${container}}` : undefined;
    const same = g.events.find((e) => e.reason === reason && e.message === message && e.fieldPath === fieldPath);
    if (same) {
      same.count++;
      same.lastTimestamp = now;
    } else {
      g.events.push({ type, reason, message, count: 1, firstTimestamp: now, lastTimestamp: now, fieldPath });
      if (g.events.length > this.config().maxEventsPerGroup) g.events.shift();
    }
    g.updatedAtMs = Date.now();
  }

  // internals ---------------------------------------------------------------------------------------------
  private recompute(g: GroupRecord): void {
    if (g.status === 'Scheduling' || TERMINAL_STATUSES.has(g.status)) return;
    const next = deriveStatus(g);
    if (next === 'Running' || TERMINAL_STATUSES.has(next)) g.transition = undefined;
    this.setStatus(g, next);
  }

  private setStatus(g: GroupRecord, s: GroupStatus): void {
    g.updatedAtMs = Date.now();
    if (g.status === s) return;
    g.status = s;
    if (s === 'Succeeded') g.succeededTime = isoNow();
    if (s === 'Failed') g.failedTime = isoNow();
    if (s === 'Expired') g.expiredTime = isoNow();
    if (TERMINAL_STATUSES.has(s)) {
      g.finishedAtMs = Date.now();
      // Like ECI, a finished group's compute is released: stop whatever is left (e.g. sidecars under Never). A
      // released spot instance gets no grace period (its notice was the time to prepare).
      this.background(this.runtime.stop(g, s === 'Expired' ? 0 : this.grace(g)));
    }
  }

  private grace(g: GroupRecord): number {
    const cfg = this.config().grace;
    return Math.min(g.spec.terminationGracePeriodSeconds ?? cfg.defaultSeconds, cfg.maxSeconds);
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private background(p: Promise<unknown>): void {
    const done: Promise<void> = p.then(
      () => undefined,
      () => undefined,
    );
    this.stopping.add(done);
    void done.finally(() => this.stopping.delete(done));
  }

  /** ECI retention: terminal groups are kept 1 h; older ones only the newest N per region. */
  sweep(now = Date.now()): number {
    const r = this.config().retention;
    const byRegion = new Map<string, GroupRecord[]>();
    for (const g of this.groups.values()) {
      if (!TERMINAL_STATUSES.has(g.status)) continue;
      const arr = byRegion.get(g.spec.regionId) ?? [];
      arr.push(g);
      byRegion.set(g.spec.regionId, arr);
    }
    let removed = 0;
    for (const arr of byRegion.values()) {
      arr.sort((a, b) => b.seq - a.seq);
      arr.forEach((g, i) => {
        if (now - (g.finishedAtMs ?? now) > r.terminalKeepMs && i >= r.keepNewestPerRegion) {
          this.groups.delete(g.id);
          g.deleting = true;
          this.released(g);
          removed++;
        }
      });
    }
    for (const [k, t] of this.tokens) if (now - t.atMs > 86_400_000) this.tokens.delete(k);
    return removed;
  }

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const stops: Promise<unknown>[] = [];
    for (const g of this.groups.values()) {
      g.deleting = true;
      stops.push(
        this.runtime
          .stop(g, Math.min(this.grace(g), 2))
          .catch(() => undefined)
          .finally(() => this.released(g)),
      );
    }
    this.groups.clear();
    await Promise.all(stops);
    for (let i = 0; i < 100 && this.stopping.size; i++) await Promise.all([...this.stopping]);
  }
}

const trim = (n: number): string => String(Number(n.toFixed(3)));
/** TEST-NET-3 (RFC 5737): never routable, so an emulated EIP can never be mistaken for a real public address. */
const EIP_POOL = '203.0.113.0/24';
