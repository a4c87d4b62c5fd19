// Leader election on a coordination.k8s.io Lease, as client-go's leaderelection does it: one replica
// holds the lease and renews it; a standby takes over once the holder's renewTime + duration has passed.
// Optimistic concurrency (resourceVersion) makes takeover safe when two standbys race.
import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { isConflict, isNotFound, errorMessage } from '../kube/errors.js';
import { microTimeField } from '../kube/time.js';
import { logger } from '../../common/log.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  /** How long a lease is valid without renewal (s). Default 10: a standby takes over within ~12 s. */
  leaseDurationSeconds?: number;
  /** How often the leader renews and standbys retry (ms). */
  retryPeriodMs?: number;
  /** The leader gives up if it could not renew for this long (ms); must be < lease duration. */
  renewDeadlineMs?: number;
}

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly log = logger('leader-election');
  private timer?: NodeJS.Timeout;
  private leading = false;
  private lastRenew = 0;
  private stopped = false;
  private lastHolder?: string;

  constructor(
    kc: KubeConfig,
    private readonly o: LeaderElectionOptions,
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** The Lease's holder as last read (standbys report it in /readyz). */
  get holder(): string | undefined {
    return this.lastHolder;
  }

  /** Resolves once this replica leads; `onLost` is called if leadership is later lost. */
  async run(onLost: () => void): Promise<void> {
    const period = this.o.retryPeriodMs ?? 2000;
    for (;;) {
      if (this.stopped) throw new Error('leader election stopped');
      if (await this.tryAcquireOrRenew().catch((e) => (this.log.warn({ err: errorMessage(e) }, 'lease acquire failed'), false))) break;
      await new Promise((r) => setTimeout(r, period));
    }
    this.leading = true;
    this.log.info({ identity: this.o.identity, lease: `${this.o.namespace}/${this.o.name}` }, 'became leader');
    const deadline = this.o.renewDeadlineMs ?? ((this.o.leaseDurationSeconds ?? 10) * 1000 * 2) / 3;
    const tick = async () => {
      if (this.stopped) return;
      const ok = await this.tryAcquireOrRenew().catch(() => false);
      if (!ok && Date.now() - this.lastRenew > deadline) {
        this.leading = false;
        this.log.error({ identity: this.o.identity }, 'lost leadership');
        onLost();
        return;
      }
      this.timer = setTimeout(() => void tick(), period);
    };
    this.timer = setTimeout(() => void tick(), period);
  }

  /** Stops renewing; with release, hands the lease back so a standby takes over at once. */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (release && this.leading) {
      this.leading = false;
      try {
        const lease = await this.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
        if (lease.spec?.holderIdentity === this.o.identity) {
          lease.spec = { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTimeField(new Date(0)) };
          await this.api.replaceNamespacedLease({ name: this.o.name, namespace: this.o.namespace, body: lease });
        }
      } catch {
        /* best effort */
      }
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace, identity } = this.o;
    const duration = this.o.leaseDurationSeconds ?? 10;
    const now = new Date();
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      try {
        await this.api.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: { holderIdentity: identity, leaseDurationSeconds: duration, acquireTime: microTimeField(now), renewTime: microTimeField(now), leaseTransitions: 0 },
          },
        });
        this.lastRenew = Date.now();
        return true;
      } catch (err) {
        if (isConflict(err)) return false;
        throw err;
      }
    }
    const spec = lease.spec ?? {};
    this.lastHolder = spec.holderIdentity || undefined;
    const renewed = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const expired = !spec.holderIdentity || renewed + (spec.leaseDurationSeconds ?? duration) * 1000 < now.getTime();
    const mine = spec.holderIdentity === identity;
    if (!mine && !expired) return false;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds: duration,
      renewTime: microTimeField(now),
      acquireTime: mine ? spec.acquireTime : microTimeField(now),
      leaseTransitions: mine ? spec.leaseTransitions : (spec.leaseTransitions ?? 0) + 1,
    };
    try {
      await this.api.replaceNamespacedLease({ name, namespace, body: lease });
      this.lastRenew = Date.now();
      return true;
    } catch (e) {
      if (isConflict(e)) return false;
      throw e;
    }
  }
}
