// The node controller: registers the virtual node, keeps its Lease renewed and writes its status
// when it changes and at least every statusMaxAgeMs. Owns nothing about pods.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { buildNode, buildNodeStatus, type NodeConfig, type TunnelHealth } from './node-spec.js';
import { NodeLease } from './lease.js';
import { isConflict, isNotFound, errorMessage } from '../kube/errors.js';
import { logger } from '../../common/log.js';

export interface NodeControllerOptions {
  leaseIntervalMs?: number;
  statusIntervalMs?: number;
  statusMaxAgeMs?: number;
}

const asMergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class NodeController {
  private readonly core: CoreV1Api;
  private readonly lease: NodeLease;
  private readonly log = logger('node-controller');
  private uid?: string;
  private tunnel: TunnelHealth = { connected: false, reason: 'TunnelConnecting', message: 'connecting to the relay', since: new Date() };
  private lastWritten?: { at: number; key: string };
  private timers: NodeJS.Timeout[] = [];
  private writing?: Promise<void>;
  private again = false;
  private againForce = false;

  constructor(
    kc: KubeConfig,
    readonly cfg: NodeConfig,
    private readonly opts: NodeControllerOptions = {},
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.lease = new NodeLease(kc, cfg.name, () => this.uid);
  }

  /** Registers the node (or adopts an existing one), writes status and starts the heartbeat loops. */
  async start(): Promise<void> {
    await this.register();
    await this.writeStatus(true);
    await this.lease.renew();
    const every = (ms: number, fn: () => Promise<void>) => {
      const t = setInterval(() => void fn().catch((e) => this.log.warn({ err: errorMessage(e) }, 'node heartbeat failed')), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.opts.leaseIntervalMs ?? 10_000, () => this.lease.renew());
    every(this.opts.statusIntervalMs ?? 10_000, () => this.writeStatus(false));
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** Records the tunnel's state; the node condition follows immediately. */
  setTunnelHealth(h: Omit<TunnelHealth, 'since'>): void {
    if (h.connected === this.tunnel.connected && h.reason === this.tunnel.reason) return;
    this.tunnel = { ...h, since: new Date() };
    void this.writeStatus(false).catch((e) => this.log.warn({ err: errorMessage(e) }, 'node status update failed'));
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
      node.metadata = { ...node.metadata, labels: { ...labels, ...want } };
      try {
        const updated = await this.core.replaceNode({ name: this.cfg.name, body: node });
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

  private async doWriteStatus(force: boolean): Promise<void> {
    const now = new Date();
    const maxAge = this.opts.statusMaxAgeMs ?? 60_000;
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
      const status = buildNodeStatus(this.cfg, this.tunnel, now, node.status?.conditions);
      const key = JSON.stringify({ ...status, conditions: status.conditions?.map((c) => [c.type, c.status, c.reason, c.message]) });
      // Checked every statusIntervalMs: write once the next tick would be past maxAge, so no gap exceeds it.
      const stale = !this.lastWritten || now.getTime() - this.lastWritten.at + (this.opts.statusIntervalMs ?? 10_000) > maxAge;
      if (!force && !stale && this.lastWritten?.key === key) return;
      // A merge patch, not a PUT of the typed object: client-node's V1NodeStatus predates declaredFeatures and
      // would drop it when serialising. resourceVersion keeps the write conditional, as the PUT was.
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
