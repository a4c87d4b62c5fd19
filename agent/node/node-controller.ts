// The node controller: registers the virtual node, keeps its Lease renewed and writes its status
// when it changes and at least every statusMaxAgeMs. Owns nothing about pods. Heartbeats and timestamps
// run on an injected clock (common/clock.ts; the real one by default).
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { buildNode, buildNodeStatus, type NodeConfig, type TunnelHealth } from './node-spec.js';
import { cappedAllocatable, capShares, type CapView } from './capacity.js';
import { NodeLease } from './lease.js';
import { isConflict, isNotFound, errorMessage } from '../kube/errors.js';
import { logger } from '../../common/log.js';
import { systemClock, type Clock } from '../../common/clock.js';

export interface NodeControllerOptions {
  leaseIntervalMs?: number;
  statusIntervalMs?: number;
  statusMaxAgeMs?: number;
  /** The clock of the heartbeat loops and of the times written (tests drive a fake one). */
  clock?: Clock;
  /**
   * The relay's caps on the cluster's pods, asked at every status write; allocatable follows them
   * (capacity.ts). A failed ask keeps the last answer. Absent: allocatable = capacity.
   */
  caps?: () => Promise<CapView[]>;
}

const asMergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class NodeController {
  private readonly core: CoreV1Api;
  private readonly lease: NodeLease;
  private readonly log = logger('node-controller');
  private uid?: string;
  private readonly clock: Clock;
  private tunnel: TunnelHealth;
  private lastWritten?: { at: number; key: string };
  private timers: unknown[] = [];
  private stopped = false;
  /** Heartbeats and status writes under way (idle() waits for them). */
  private readonly inFlight = new Set<Promise<void>>();
  private writing?: Promise<void>;
  private again = false;
  private againForce = false;
  /** The relay's last answer about caps (none yet: uncapped). */
  private caps: CapView[] = [];
  /** The caps that left nothing at the last write (logged when that set changes). */
  private exhausted = '';

  constructor(
    kc: KubeConfig,
    readonly cfg: NodeConfig,
    private readonly opts: NodeControllerOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.tunnel = { connected: false, reason: 'TunnelConnecting', message: 'connecting to the relay', since: new Date(this.clock.now()) };
    this.core = kc.makeApiClient(CoreV1Api);
    this.lease = new NodeLease(kc, cfg.name, () => this.uid, () => new Date(this.clock.now()));
  }

  /** Registers the node (or adopts an existing one), writes status and starts the heartbeat loops. */
  async start(): Promise<void> {
    await this.register();
    await this.writeStatus(true);
    await this.lease.renew();
    // Fixed-rate loops (the next beat is scheduled before this one runs, as setInterval would).
    this.stopped = false;
    const every = (ms: number, fn: () => Promise<void>) => {
      const slot = this.timers.length;
      const beat = () => {
        if (this.stopped) return;
        this.timers[slot] = this.clock.setTimeout(beat, ms);
        this.track(fn(), 'node heartbeat failed');
      };
      this.timers[slot] = this.clock.setTimeout(beat, ms);
    };
    every(this.opts.leaseIntervalMs ?? 10_000, () => this.lease.renew());
    every(this.opts.statusIntervalMs ?? 10_000, () => this.writeStatus(false));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers = [];
  }

  /** Resolves once no heartbeat or status write is under way (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track(p: Promise<void>, failure: string): void {
    const done = () => void this.inFlight.delete(p);
    this.inFlight.add(p);
    void p.then(done, (e: unknown) => {
      done();
      this.log.warn({ err: errorMessage(e) }, failure);
    });
  }

  /** Records the tunnel's state; the node condition follows immediately. */
  setTunnelHealth(h: Omit<TunnelHealth, 'since'>): void {
    if (h.connected === this.tunnel.connected && h.reason === this.tunnel.reason) return;
    this.tunnel = { ...h, since: new Date(this.clock.now()) };
    this.track(this.writeStatus(false), 'node status update failed');
  }

  private async register(): Promise<void> {
    const desired = buildNode(this.cfg);
    try {
      const created = await this.core.createNode({ body: desired });
      this.uid = created.metadata?.uid;
      this.log.info({ node: this.cfg.name }, 'registered virtual node');
      return;
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
    // Adopt the existing node: ensure our labels, keep what others added. Its taints stay as they are (cordon
    // and drain taints included): as for a kubelet, NodeRestriction lets a node set taints only when it
    // registers, so a configured taint that someone removed is reported, not put back.
    for (let attempt = 0; ; attempt++) {
      const node = await this.core.readNode({ name: this.cfg.name });
      const missing = (desired.spec?.taints ?? []).filter((t) => !(node.spec?.taints ?? []).some((x) => x.key === t.key && x.effect === t.effect));
      if (missing.length > 0 && attempt === 0) {
        const taints = missing.map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`);
        this.log.warn({ node: this.cfg.name, missing: taints }, `the node lacks configured taints, which a node may not add to itself; an administrator can: kubectl taint nodes ${this.cfg.name} ${taints.join(' ')}`);
      }
      const want = desired.metadata?.labels ?? {};
      const labels = node.metadata?.labels ?? {};
      if (Object.entries(want).every(([k, v]) => labels[k] === v)) {
        this.uid = node.metadata?.uid;
        this.log.info({ node: this.cfg.name }, 'adopted existing virtual node');
        return;
      }
      try {
        // Our labels as a merge patch (others' labels stay), at the version read: a change meanwhile is a
        // conflict, retried. Not a replace: that would carry the taints as read, and NodeRestriction refuses a
        // node's write whose taints differ from the stored ones (403, not 409) when the node lifecycle
        // controller changed them in between.
        const body = { metadata: { labels: want, resourceVersion: node.metadata?.resourceVersion } };
        const updated = await this.core.patchNode({ name: this.cfg.name, body }, asMergePatch);
        this.uid = updated.metadata?.uid;
        this.log.info({ node: this.cfg.name }, 'adopted existing virtual node');
        return;
      } catch (e) {
        if (!isConflict(e) || attempt >= 5) throw e;
      }
    }
  }

  private async writeStatus(force: boolean): Promise<void> {
    // One write at a time; a request arriving meanwhile runs once more right after it (with the newest state).
    if (this.writing) {
      this.again ||= true;
      this.againForce ||= force;
      return await this.writing;
    }
    this.writing = (async () => {
      try {
        await this.doWriteStatus(force);
        while (this.again) {
          const f = this.againForce;
          this.again = false;
          this.againForce = false;
          await this.doWriteStatus(f);
        }
      } finally {
        this.writing = undefined;
      }
    })();
    return await this.writing;
  }

  /** The relay's caps as last known (metrics). */
  get lastCaps(): readonly CapView[] {
    return this.caps;
  }

  /** Asks the relay for its caps; a failure keeps the last answer (the tunnel may be down). */
  private async refreshCaps(): Promise<void> {
    if (!this.opts.caps) return;
    try {
      this.caps = await this.opts.caps();
    } catch (e) {
      this.log.debug({ err: errorMessage(e) }, 'caps not refreshed; the last known stand');
      return;
    }
    const exhausted = [...capShares(this.caps)].filter(([, s]) => s.share <= 0).map(([r, s]) => `${r} (${s.key})`).join(', ');
    if (exhausted !== this.exhausted) {
      if (exhausted) this.log.warn({ node: this.cfg.name, exhausted }, 'a cap on burst pods is reached: the virtual node takes no more of that resource until pods end');
      else this.log.info({ node: this.cfg.name }, 'burst caps have room again');
      this.exhausted = exhausted;
    }
  }

  private async doWriteStatus(force: boolean): Promise<void> {
    const now = new Date(this.clock.now());
    const maxAge = this.opts.statusMaxAgeMs ?? 60_000;
    await this.refreshCaps();
    const allocatable = cappedAllocatable(this.cfg.capacity, this.caps);
    for (let attempt = 0; ; attempt++) {
      let node: V1Node;
      try {
        node = await this.core.readNode({ name: this.cfg.name });
      } catch (e) {
        if (isNotFound(e)) {
          // Someone deleted the node object: register again.
          await this.register();
          node = await this.core.readNode({ name: this.cfg.name });
        } else throw e;
      }
      this.uid = node.metadata?.uid;
      const status = buildNodeStatus(this.cfg, this.tunnel, now, node.status?.conditions, allocatable);
      const key = JSON.stringify({ ...status, conditions: status.conditions?.map((c) => [c.type, c.status, c.reason, c.message]) });
      // Checked every statusIntervalMs: write once the next tick would be past maxAge, so no gap exceeds it.
      const stale = !this.lastWritten || now.getTime() - this.lastWritten.at + (this.opts.statusIntervalMs ?? 10_000) > maxAge;
      if (!force && !stale && this.lastWritten?.key === key) return;
      // A merge patch: declaredFeatures is removed (null) when the node stops declaring WebSocket streaming, and
      // resourceVersion keeps the write conditional, as a PUT would be.
      const body = { metadata: { resourceVersion: node.metadata?.resourceVersion }, status: { ...status, declaredFeatures: status.declaredFeatures ?? null } };
      try {
        await this.core.patchNodeStatus({ name: this.cfg.name, body }, asMergePatch);
        this.lastWritten = { at: now.getTime(), key };
        return;
      } catch (e) {
        if (!isConflict(e) || attempt >= 5) throw e;
      }
    }
  }
}
