// The relay's PodProvider for Alibaba Cloud ECI: one TenantPods per (tenant, cluster) scope, each with its own
// EciCaller (rate limits, retries) and status poller. Interactive sessions are delegated to cloud/eci/sessions
// when given. Stateless: everything is re-derived from ECI tags, so a new instance adopts existing groups.
import type { Duplex, Writable } from 'node:stream';
import type { Registry } from 'prom-client';
import { logger, type Logger } from '../../../common/log.js';
import type { EciCaller } from '../api.js';
import {
  ProviderError,
  type ApplyResult,
  type DeleteResult,
  type ExecIO,
  type ExecRequest,
  type ExitStatus,
  type InventoryEntry,
  type LogsRequest,
  type PodIntent,
  type PodProvider,
  type PodState,
  type PodStateListener,
  type PodStats,
  type PortForwardRequest,
  type ReconcileResult,
  type TenantScope,
  type EgressSidecar,
  type CapacityState,
} from '../../pod-provider/provider.js';
import { GroupApi, MAX_PAGE, type ReadCounter } from './groups.js';
import { DEFAULT_GC_MAX_ORPHAN_SHARE, gcMetrics, maxOrphanShareProblem, type GcMetrics } from './gc.js';
import { tenantTagValue } from './identity.js';
import { TenantPods } from './tenant.js';
import { AdmissionGate } from './admission.js';
import { PriceBook } from '../pricing.js';
import { eciImageCacheApi } from './image-cache-api.js';
import { TenantImageCaches } from './image-caches.js';

export type SessionProvider = Pick<PodProvider, 'exec' | 'attach' | 'logs' | 'portForward' | 'stats'>;

export interface EciProviderOptions {
  /** The tenant's ECI caller (its own credentials, region and rate limits). Called once per scope. */
  callerFor(scope: TenantScope): EciCaller;
  /** exec/attach/logs/port-forward/stats; without it those calls fail with UNAVAILABLE. */
  sessions?: SessionProvider;
  /** An orphan (tagged for the scope, absent from the agent's inventory) is deleted after this long (default 60 s). */
  gcGraceMs?: number;
  /**
   * GC holds (deletes nothing for the cluster, logs, sets `ecigw_relay_gc_held`) while an inventory would orphan
   * more than this share of a cluster's groups; one that would orphan all of them always holds (default 0.5).
   */
  gcMaxOrphanShare?: number;
  /** Registry for the GC metrics. */
  registry?: Registry;
  /** A pod refused for the tenant's quotas.maxPods re-lists the tenant's groups first unless the last listing is younger (default 2000 ms). */
  quotaRelistMs?: number;
  /** Poll interval while some group is changing (default 1000 ms). */
  pollFastMs?: number;
  /** Poll interval when every group is stable (default 15000 ms). */
  pollSlowMs?: number;
  /** Groups per DescribeContainerGroups page (default and ECI maximum 20). */
  pageSize?: number;
  /** Full polls a running pod's group may be absent before the pod is reported lost (default 2). */
  lostAfterMisses?: number;
  /** Most changing groups polled by id per fast tick, i.e. at most this/20 reads per tick (default 200). */
  fastPollMaxIds?: number;
  /** Clock (ms) of the status poller and the orphan GC's grace period (tests move it; default Date.now). */
  now?: () => number;
  log?: Logger;
}

export class EciProvider implements PodProvider {
  private readonly tenants = new Map<string, TenantPods>();
  private readonly reads: ReadCounter = { reads: 0 };
  private readonly priceBooks = new Map<string, { caller: unknown; book: PriceBook }>();
  private readonly log: Logger;
  /** Tenant policy and pod quota (per tenant, across its clusters) in front of every create. */
  private readonly gate: AdmissionGate;
  private readonly gcMetrics?: GcMetrics;
  /** Image caches for the images of each tenant's burst pods (tenants.<id>.imageCaches). */
  readonly imageCaches: TenantImageCaches;

  constructor(private readonly opts: EciProviderOptions) {
    this.log = opts.log ?? logger('eci-provider');
    this.gate = new AdmissionGate({
      pagesByTags: (scope, tags) => this.groupApi(this.opts.callerFor(scope)).pagesByTags(tags),
      priceOf: (scope, spec) => this.priceBook(scope).pricePerHour(spec),
      quotaRelistMs: opts.quotaRelistMs,
      log: this.log.child({ component: 'admission' }),
    });
    const problem = opts.gcMaxOrphanShare === undefined ? undefined : maxOrphanShareProblem(opts.gcMaxOrphanShare);
    if (problem) throw new RangeError(`EciProvider: gcMaxOrphanShare ${problem}`);
    this.gcMetrics = opts.registry ? gcMetrics(opts.registry) : undefined;
    this.imageCaches = new TenantImageCaches({ apiFor: (scope) => eciImageCacheApi(this.opts.callerFor(scope), scope), now: opts.now, log: this.log.child({ component: 'image-caches' }) });
  }

  /** DescribeContainerGroups calls made so far by all scopes (the bench's read-call figure). */
  get readCalls(): number {
    return this.reads.reads;
  }

  private groupApi(caller: EciCaller): GroupApi {
    return new GroupApi(caller, Math.min(MAX_PAGE, this.opts.pageSize ?? MAX_PAGE), this.reads);
  }

  /** The tenant's prices (spend caps), one book per caller: a reload with new credentials or region starts a new one. */
  private priceBook(scope: TenantScope): PriceBook {
    const caller = this.opts.callerFor(scope);
    const have = this.priceBooks.get(scope.tenantId);
    if (have?.caller === caller) return have.book;
    const book = new PriceBook(caller);
    this.priceBooks.set(scope.tenantId, { caller, book });
    return book;
  }

  private tenant(scope: TenantScope): TenantPods {
    const key = `${scope.tenantId}\u0000${scope.clusterId}`;
    this.gate.seen(scope);
    let t = this.tenants.get(key);
    if (t && t.scope.tenant !== scope.tenant) {
      // The relay reloaded its config: settings apply from now on; a new caller (region, credentials, rates) too.
      t.retarget(scope, this.opts.callerFor(scope), (caller) => this.groupApi(caller));
    }
    if (!t) {
      tenantTagValue(scope); // a tenant id ECI cannot tag with fails every call of the scope, naming the tenant
      const api = this.groupApi(this.opts.callerFor(scope));
      t = new TenantPods(
        scope,
        api,
        {
          pollFastMs: this.opts.pollFastMs ?? 1000,
          pollSlowMs: this.opts.pollSlowMs ?? 15_000,
          gcGraceMs: this.opts.gcGraceMs ?? 60_000,
          gcMaxOrphanShare: this.opts.gcMaxOrphanShare ?? DEFAULT_GC_MAX_ORPHAN_SHARE,
          gcMetrics: this.gcMetrics,
          lostAfterMisses: this.opts.lostAfterMisses ?? 2,
          fastPollMaxIds: this.opts.fastPollMaxIds ?? 200,
          now: this.opts.now,
        },
        this.log.child({ tenant: scope.tenantId, cluster: scope.clusterId }),
        this.gate,
      );
      this.tenants.set(key, t);
    }
    return t;
  }

  async apply(scope: TenantScope, intent: PodIntent, o?: { egress?: EgressSidecar }): Promise<ApplyResult> {
    const result = await this.tenant(scope).apply(intent, o?.egress);
    this.imageCaches.applied(scope, intent, result);
    return result;
  }

  delete(scope: TenantScope, uid: string, gracePeriodSeconds: number): Promise<DeleteResult> {
    return this.tenant(scope).delete(uid, gracePeriodSeconds);
  }

  get(scope: TenantScope, uid: string): Promise<PodState | undefined> {
    return this.tenant(scope).get(uid);
  }

  list(scope: TenantScope): Promise<PodState[]> {
    return this.tenant(scope).list();
  }

  watch(scope: TenantScope, listener: PodStateListener): () => void {
    return this.tenant(scope).watch(listener);
  }

  reconcile(scope: TenantScope, inventory: InventoryEntry[]): Promise<ReconcileResult> {
    return this.tenant(scope).reconcile(inventory);
  }

  exec(scope: TenantScope, req: ExecRequest, io: ExecIO): Promise<ExitStatus> {
    return this.sessions('exec').exec(scope, req, io);
  }

  attach(scope: TenantScope, req: ExecRequest, io: ExecIO): Promise<ExitStatus> {
    return this.sessions('attach').attach(scope, req, io);
  }

  logs(scope: TenantScope, req: LogsRequest, sink: Writable, signal: AbortSignal): Promise<void> {
    return this.sessions('logs').logs(scope, req, sink, signal);
  }

  portForward(scope: TenantScope, req: PortForwardRequest, stream: Duplex, signal: AbortSignal): Promise<void> {
    return this.sessions('portForward').portForward(scope, req, stream, signal);
  }

  stats(scope: TenantScope, uids: string[]): Promise<PodStats[]> {
    return this.sessions('stats').stats(scope, uids);
  }

  capacity(scope: TenantScope): Promise<CapacityState[]> {
    this.gate.seen(scope);
    return this.gate.capacity(scope);
  }

  /** Stops every poller (pods in ECI are untouched). */
  close(): void {
    for (const t of this.tenants.values()) t.close();
  }

  private sessions(what: string): SessionProvider {
    if (!this.opts.sessions) {
      const fail = () => Promise.reject(new ProviderError('UNAVAILABLE', `${what} is not available: this relay has no ECI session support configured`));
      return { exec: fail, attach: fail, logs: fail, portForward: fail, stats: fail };
    }
    return this.opts.sessions;
  }
}
