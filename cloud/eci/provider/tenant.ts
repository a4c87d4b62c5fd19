// One tenant scope's pods on ECI, put together: the tracked pods and their watchers (scope-pods.ts), the
// PodProvider operations (operations.ts), the status poller (poller.ts) and orphan GC (gc.ts). Owns what they
// share: the scope and its GroupApi (replaced when the relay reloads its config), and when the scope is active.
import type { ApplyResult, DeleteResult, EgressSidecar, InventoryEntry, PodIntent, PodState, PodStateListener, ReconcileResult, TenantScope } from '../../pod-provider/provider.js';
import type { Logger } from '../../../common/log.js';
import type { EciCaller } from '../api.js';
import type { AdmissionGate } from './admission.js';
import { DEFAULT_GC_MAX_ORPHAN_SHARE, OrphanGc, type GcMetrics } from './gc.js';
import type { GroupApi } from './groups.js';
import { ScopeOperations } from './operations.js';
import { StatusPoller, type PollerOptions } from './poller.js';
import { ScopePods, type ScopeTarget } from './scope-pods.js';

interface TenantPodsOptions extends PollerOptions {
  gcGraceMs: number;
  /** Largest share of the scope's groups one inventory may orphan before GC holds (default 0.5; all always holds). */
  gcMaxOrphanShare?: number;
  gcMetrics?: GcMetrics;
  /** Full polls a non-terminal, non-deleting group may be missing before it is reported lost. */
  lostAfterMisses: number;
}

export class TenantPods {
  private readonly target: ScopeTarget;
  private readonly pods: ScopePods;
  private readonly gc: OrphanGc;
  private readonly poller: StatusPoller;
  private readonly ops: ScopeOperations;

  constructor(
    scope: TenantScope,
    api: GroupApi,
    opts: TenantPodsOptions,
    log: Logger,
    /** Tenant policy and pod quota in front of every create and update (admission.ts). */
    gate?: AdmissionGate,
  ) {
    this.target = { scope, api };
    // One clock (opts.now) for the poller's cadence and the GC's grace period.
    const { gcGraceMs: graceMs, gcMaxOrphanShare, gcMetrics: metrics, now } = opts;
    this.gc = new OrphanGc({ graceMs, maxOrphanShare: gcMaxOrphanShare ?? DEFAULT_GC_MAX_ORPHAN_SHARE, metrics, now, tenant: scope.tenantId, cluster: scope.clusterId, log });
    this.pods = new ScopePods(this.target, opts.lostAfterMisses, log, gate);
    this.poller = new StatusPoller(this.target, this.pods, opts, log, {
      active: () => this.active(),
      operationsInFlight: () => this.ops.inflight > 0,
      collectGarbage: () => this.ops.collectGarbage(),
    });
    this.ops = new ScopeOperations(this.target, this.pods, this.gc, this.poller, opts.gcGraceMs, log, gate);
  }

  /** The scope with the tenant settings of the newest relay config (vSwitch, security group, tags, policy…). */
  get scope(): TenantScope {
    return this.target.scope;
  }

  /** A reloaded relay config changed this tenant's settings: later calls use them (and `api`, when its caller changed). */
  retarget(scope: TenantScope, caller: EciCaller, groupApi: (caller: EciCaller) => GroupApi): void {
    this.target.scope = scope;
    if (caller !== this.target.api.caller) this.target.api = groupApi(caller);
  }

  apply(intent: PodIntent, egress?: EgressSidecar): Promise<ApplyResult> {
    return this.ops.apply(intent, egress);
  }

  delete(uid: string, gracePeriodSeconds: number): Promise<DeleteResult> {
    return this.ops.delete(uid, gracePeriodSeconds);
  }

  get(uid: string): Promise<PodState | undefined> {
    return this.ops.get(uid);
  }

  list(): Promise<PodState[]> {
    return this.ops.list();
  }

  reconcile(inventory: InventoryEntry[]): Promise<ReconcileResult> {
    return this.ops.reconcile(inventory);
  }

  watch(listener: PodStateListener): () => void {
    this.pods.listeners.add(listener);
    this.poller.wake(0);
    return () => {
      this.pods.listeners.delete(listener);
    };
  }

  /** Stops the poller (pods in ECI are untouched). */
  close(): void {
    this.poller.close();
  }

  /** Polled only while someone watches, an operation is in flight, an orphan waits for GC or a group changes. */
  private active(): boolean {
    return this.pods.listeners.size > 0 || this.ops.inflight > 0 || this.gc.pending > 0 || this.pods.settlingIds().length > 0;
  }
}
