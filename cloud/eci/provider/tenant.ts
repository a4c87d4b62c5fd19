// One tenant scope's pods on ECI: apply/delete/get/list/reconcile against ECI through GroupApi, the status poller
// (batched listing by the scope's tags; fast cadence while groups change, slow when stable, off when nobody
// watches and nothing is pending), PodState deltas to watchers, and orphan GC (gc.ts) after a grace period.
import type { V1Pod } from '@kubernetes/client-node';
import { diffUpdatable, type EciGroup } from '../mapping/index.js';
import { ProviderError, type ApplyResult, type DeleteResult, type InventoryEntry, type PodIntent, type PodState, type PodStateListener, type ReconcileResult, type TenantScope } from '../../pod-provider/provider.js';
import { diffInventory } from '../../pod-provider/reconcile.js';
import type { Logger } from '../../../common/log.js';
import { classify, errorCodeOf } from '../retry.js';
import { MAX_PAGE, type GroupApi } from './groups.js';
import type { EciCaller } from '../api.js';
import { KeyedLane } from '../../../common/keyed-lane.js';
import { DEFAULT_GC_MAX_ORPHAN_SHARE, OrphanGc, type GcMetrics } from './gc.js';
import { clientTokenFor, generationOf, ownGroupsForUid, ownershipOf, podFromGroup, podUidOf, scopeTags, scopedClientToken } from './identity.js';
import { buildCreate, buildUpdate, decodeIntent } from './intent.js';
import type { AdmissionGate } from './admission.js';
import { failedState, goneState, newTracked, observeGroup, warningEvents, type TrackedPod } from './state.js';

export interface TenantPodsOptions {
  pollFastMs: number;
  pollSlowMs: number;
  gcGraceMs: number;
  /** Largest share of the scope's groups one inventory may orphan before GC holds (default 0.5; all always holds). */
  gcMaxOrphanShare?: number;
  gcMetrics?: GcMetrics;
  /** Clock of the GC's grace period (tests). */
  now?: () => number;
  /** Full polls a non-terminal, non-deleting group may be missing before it is reported lost. */
  lostAfterMisses: number;
  /** Most changing groups polled by id per fast tick (bounds reads during bursts). */
  fastPollMaxIds: number;
}

export class TenantPods {
  private readonly pods = new Map<string, TrackedPod>();
  private readonly listeners = new Set<PodStateListener>();
  /** apply/delete/GC of one uid run one at a time (they never race each other for a pod). */
  private readonly lanes = new KeyedLane();
  private readonly gc: OrphanGc;
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  /** True while a tick runs: it schedules its successor itself, at the earliest time asked for meanwhile. */
  private ticking = false;
  private wantedDue = Infinity;
  private lastFullPoll = 0;
  private inflight = 0;
  private closed = false;

  constructor(
    private currentScope: TenantScope,
    private api: GroupApi,
    private readonly opts: TenantPodsOptions,
    private readonly log: Logger,
    /** Tenant policy and pod quota in front of every create and update (admission.ts). */
    private readonly gate?: AdmissionGate,
  ) {
    const { gcGraceMs: graceMs, gcMaxOrphanShare, gcMetrics: metrics, now } = opts;
    this.gc = new OrphanGc({ graceMs, maxOrphanShare: gcMaxOrphanShare ?? DEFAULT_GC_MAX_ORPHAN_SHARE, metrics, now, tenant: currentScope.tenantId, cluster: currentScope.clusterId, log });
  }

  /** The scope with the tenant settings of the newest relay config (vSwitch, security group, tags, policy…). */
  get scope(): TenantScope {
    return this.currentScope;
  }

  /** A reloaded relay config changed this tenant's settings: later calls use them (and `api`, when its caller changed). */
  retarget(scope: TenantScope, caller: EciCaller, groupApi: (caller: EciCaller) => GroupApi): void {
    this.currentScope = scope;
    if (caller !== this.api.caller) this.api = groupApi(caller);
  }

  // ---- PodProvider operations -------------------------------------------------------------------------

  async apply(intent: PodIntent): Promise<ApplyResult> {
    const decoded = decodeIntent(this.scope, intent);
    return this.busy(this.lanes.run(intent.uid, () => this.applyLocked(intent.uid, intent.generation, decoded)));
  }

  delete(uid: string, gracePeriodSeconds: number): Promise<DeleteResult> {
    return this.busy(this.lanes.run(uid, () => this.deleteLocked(uid, gracePeriodSeconds, 'requested')));
  }

  async get(uid: string): Promise<PodState | undefined> {
    const tr = this.pods.get(uid);
    if (tr?.state) return tr.state;
    const mine = await this.lookup(uid);
    if (mine.length === 0) return undefined;
    this.observe(mine[0]);
    return this.pods.get(uid)?.state;
  }

  async list(): Promise<PodState[]> {
    if (this.lastFullPoll === 0) await this.pollNow(true);
    return [...this.pods.values()].flatMap((p) => (p.state && !p.state.gone ? [p.state] : []));
  }

  watch(listener: PodStateListener): () => void {
    this.listeners.add(listener);
    this.wake(0);
    return () => {
      this.listeners.delete(listener);
    };
  }

  async reconcile(inventory: InventoryEntry[]): Promise<ReconcileResult> {
    // The agent took its inventory before sending it, so pods it applies while the listing below runs are not
    // in it. They are not orphans: the live set starts as the inventory now and every apply joins it.
    const live = this.gc.beginInventory(inventory.map((e) => e.uid));
    await this.pollNow(true);
    const states = [...this.pods.values()].flatMap((p) => (p.state && !p.state.gone && !p.deleting ? [p.state] : []));
    const result = diffInventory(inventory, states);
    result.orphans = result.orphans.filter((o) => !live.has(o.uid));
    this.gc.inventoryResult(result.orphans.map((o) => o.uid), states.length);
    if (this.gc.pending > 0) this.wake(this.opts.gcGraceMs);
    return result;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Pods tracked (tests, metrics). */
  get size(): number {
    return this.pods.size;
  }

  // ---- apply / delete ------------------------------------------------------------------------------------

  private async applyLocked(uid: string, generation: number, decoded: ReturnType<typeof decodeIntent>): Promise<ApplyResult> {
    this.gc.applied(uid);
    let tr = this.pods.get(uid);
    if (tr && (tr.generation >= generation || tr.deleting)) {
      if (!tr.fromIntent && !tr.deleting) this.adoptIntent(tr, decoded.pod);
      return { uid, generation: tr.generation, providerId: tr.groupId, changed: false };
    }
    let group: EciGroup | undefined;
    if (tr?.groupId) {
      group = undefined; // known group: no lookup needed for an update
    } else {
      const mine = await this.lookup(uid);
      group = mine[0];
      if (group) {
        tr = this.observe(group) ?? tr;
        if (tr && tr.generation >= generation) return this.adoptFound(tr, decoded.pod);
      }
    }
    if (tr?.groupId) return this.updateLocked(tr, generation, decoded);
    return this.createLocked(uid, generation, decoded);
  }

  private adoptIntent(tr: TrackedPod, pod: V1Pod): void {
    tr.pod = pod;
    tr.fromIntent = true;
  }

  /** A group the lookup found already serves this intent: adopt it, create nothing. */
  private adoptFound(tr: TrackedPod, pod: V1Pod): ApplyResult {
    this.adoptIntent(tr, pod);
    return { uid: tr.uid, generation: tr.generation, providerId: tr.groupId, changed: false };
  }

  private async createLocked(uid: string, generation: number, decoded: ReturnType<typeof decodeIntent>): Promise<ApplyResult> {
    const built = buildCreate(decoded, generation);
    const admitted = this.gate ? await this.gate.admitCreate(this.scope, decoded.pod, built.request) : { ok: true as const, done: () => undefined };
    if (!admitted.ok) return this.failCreate(uid, generation, decoded, admitted.reason, admitted.message);
    let groupId: string;
    try {
      const created = await this.api.create(built.request, this.scope);
      groupId = created.groupId;
      built.warnings.push(...created.warnings);
    } catch (err) {
      admitted.done(false);
      if (err instanceof ProviderError) throw err; // the scope's tags cannot be written (tenant configuration)
      const c = classify(err);
      if (!c.permanent) throw new ProviderError('UNAVAILABLE', `CreateContainerGroup for pod ${uid}: ${c.message}`);
      if (errorCodeOf(err) === 'IdempotentParameterMismatch') return this.createdBefore(uid, generation, decoded);
      // Permanent (no stock, quota, ECI rejected the spec): the pod fails with a readable reason instead of
      // being retried forever; its controller (Deployment, Job, ...) creates a replacement pod.
      return this.failCreate(uid, generation, decoded, c.reason, c.message);
    }
    admitted.done(true);
    const tr = this.pods.get(uid) ?? newTracked(uid, decoded.pod, generation, true);
    tr.groupId = groupId;
    tr.generation = generation;
    tr.settling = true;
    tr.terminal = false;
    this.adoptIntent(tr, decoded.pod);
    this.pods.set(uid, tr);
    const pending: EciGroup = { containerGroupId: groupId, status: 'Scheduling', containers: [] } as unknown as EciGroup;
    const first = observeGroup(tr, pending, warningEvents(built.warnings));
    if (first) this.emit(first);
    this.wake(0);
    return { uid, generation, providerId: groupId, changed: true };
  }

  private failCreate(uid: string, generation: number, decoded: ReturnType<typeof decodeIntent>, reason: string, message: string): ApplyResult {
    const tr = this.pods.get(uid) ?? newTracked(uid, decoded.pod, generation, true);
    tr.generation = generation;
    this.pods.set(uid, tr);
    this.log.warn({ uid, reason }, 'create failed permanently; pod reported Failed');
    this.emit(failedState(tr, reason, message));
    return { uid, generation, providerId: '', changed: true };
  }

  /**
   * ECI already accepted a create with this pod's ClientToken (uid + generation) but with other content (a
   * fresh service-account token, say). The lookup before the create found no group, so either that group is
   * only now visible, or it existed and is gone (deleted outside the gateway, or lost by ECI). The first is
   * adopted; the second fails the pod as a lost instance would, rather than running its containers again.
   */
  private async createdBefore(uid: string, generation: number, decoded: ReturnType<typeof decodeIntent>): Promise<ApplyResult> {
    const group = (await this.lookup(uid))[0];
    const tr = group ? this.observe(group) : undefined;
    if (tr?.groupId) return this.adoptFound(tr, decoded.pod);
    return this.failCreate(uid, generation, decoded, 'ProviderInstanceLost', `ECI created a container group for this pod before (same idempotency token ${scopedClientToken(clientTokenFor(uid, generation), this.scope)}), and it no longer exists (deleted outside the gateway, or lost by ECI); the pod must be recreated`);
  }

  private async updateLocked(tr: TrackedPod, generation: number, decoded: ReturnType<typeof decodeIntent>): Promise<ApplyResult> {
    const diff = diffUpdatable(tr.pod, decoded.pod);
    const warnings: string[] = [];
    if (diff.updateNeeded && !tr.terminal) {
      const built = buildUpdate(decoded, tr.groupId, generation);
      const denied = this.gate?.checkUpdate(this.scope, built.request);
      if (denied) throw new ProviderError('FAILED_PRECONDITION', `PolicyDenied: ${denied}`);
      warnings.push(...built.warnings.filter((w) => !/ActiveDeadlineSeconds/.test(w) || diff.activeDeadlineChanged));
      try {
        warnings.push(...(await this.api.update(built.request, this.scope)));
      } catch (err) {
        if (err instanceof ProviderError) throw err;
        const c = classify(err);
        if (!c.permanent) throw new ProviderError('UNAVAILABLE', `UpdateContainerGroup for pod ${tr.uid}: ${c.message}`);
        throw new ProviderError('FAILED_PRECONDITION', `ECI refused to update pod ${tr.uid}: ${c.message}`);
      }
    } else if (diff.activeDeadlineChanged) {
      warnings.push('spec.activeDeadlineSeconds changed: ECI cannot change it on a running instance; the gateway does not enforce the new deadline');
    }
    tr.generation = generation;
    this.adoptIntent(tr, decoded.pod);
    tr.settling = true;
    if (warnings.length) this.emit(this.reemit(tr, warningEvents(warnings)));
    this.wake(0);
    return { uid: tr.uid, generation, providerId: tr.groupId, changed: true };
  }

  /** Re-sends the last status with a new version (and extra events), e.g. after the generation changed. */
  private reemit(tr: TrackedPod, events: ReturnType<typeof warningEvents>): PodState {
    tr.fingerprint = '';
    const g = { containerGroupId: tr.groupId, status: 'Updating', containers: [] } as unknown as EciGroup;
    return observeGroup(tr, g, events)!;
  }

  private async deleteLocked(uid: string, gracePeriodSeconds: number, why: 'requested' | 'gc'): Promise<DeleteResult> {
    this.gc.forget(uid);
    const tr = this.pods.get(uid);
    const groupIds = new Set<string>();
    if (tr?.groupId) groupIds.add(tr.groupId);
    else for (const g of await this.lookup(uid)) if (g.containerGroupId) groupIds.add(g.containerGroupId);
    if (groupIds.size === 0) {
      if (!tr) return { uid, existed: false };
      // Nothing in ECI (failed create, or a finished group ECI already dropped): confirmed gone now.
      this.pods.delete(uid);
      this.emit(goneState(tr));
      return { uid, existed: true };
    }
    // ECI's DeleteContainerGroup has no grace parameter: the group's TerminationGracePeriodSeconds (set from the
    // pod spec at create) is what ECI honours; preStop hooks run within it.
    this.log.info({ uid, groups: [...groupIds], gracePeriodSeconds, why }, 'deleting container group');
    let anyExisted = false;
    for (const id of groupIds) {
      const existed = await this.api.delete(id, `${uid.slice(0, 40)}-delete-${id.slice(-12)}`).catch((err) => {
        throw new ProviderError('UNAVAILABLE', `DeleteContainerGroup ${id} for pod ${uid}: ${classify(err).message}`);
      });
      anyExisted ||= existed;
    }
    if (!anyExisted) {
      // ECI no longer knows any of them (e.g. a finished group its retention dropped): confirmed gone now.
      const known = this.pods.get(uid);
      this.pods.delete(uid);
      if (known) this.emit(goneState(known));
      return { uid, existed: !!known };
    }
    const t = this.pods.get(uid) ?? (tr ?? newTracked(uid, { metadata: { uid } }, 0, false));
    if (!t.groupId) t.groupId = [...groupIds][0];
    t.deleting = true;
    t.settling = true;
    this.pods.set(uid, t);
    this.wake(0);
    return { uid, existed: anyExisted || !!tr };
  }

  /** This scope's groups for uid; PERMISSION_DENIED for another cluster's or tenant's, FAILED_PRECONDITION for a legacy one. */
  private async lookup(uid: string): Promise<EciGroup[]> {
    const groups = await this.api.findByUid(uid).catch((err) => {
      throw new ProviderError('UNAVAILABLE', `DescribeContainerGroups for pod ${uid}: ${classify(err).message}`);
    });
    return ownGroupsForUid(groups, this.scope, uid);
  }

  // ---- status polling ------------------------------------------------------------------------------------

  /** Applies one observed group of this scope; returns its tracked pod. */
  private observe(group: EciGroup): TrackedPod | undefined {
    if (ownershipOf(group, this.scope) !== 'mine') return undefined;
    const uid = podUidOf(group)!;
    let tr = this.pods.get(uid);
    if (!tr) {
      tr = newTracked(uid, podFromGroup(group), generationOf(group), false);
      this.pods.set(uid, tr);
    }
    if (!tr.groupId) tr.groupId = group.containerGroupId ?? '';
    if (tr.groupId !== group.containerGroupId) return tr; // a second group for one uid: never adopted (see README)
    const state = observeGroup(tr, group);
    if (state) this.emit(state);
    return tr;
  }

  private missing(tr: TrackedPod, fullPoll: boolean): void {
    if (!tr.groupId) return;
    if (tr.deleting) {
      this.pods.delete(tr.uid);
      this.emit(goneState(tr));
      return;
    }
    if (tr.terminal) {
      tr.settling = false; // ECI dropped a finished group: keep its final status
      return;
    }
    if (!fullPoll) return;
    if (++tr.misses >= this.opts.lostAfterMisses) {
      this.log.warn({ uid: tr.uid, groupId: tr.groupId }, 'container group disappeared while running; pod reported Failed');
      this.emit(failedState(tr, 'ProviderInstanceLost', `the ECI container group ${tr.groupId} disappeared while the pod was not finished (deleted outside the gateway, or lost by ECI); the pod must be recreated`));
    }
  }

  /**
   * The settling groups to poll this fast tick: at most `fastPollMaxIds`, rotating so that during a large burst
   * every changing group is still seen within a few ticks while the read rate stays bounded.
   */
  private nextSettlingBatch(): string[] {
    const all = this.settlingIds();
    if (all.length <= this.opts.fastPollMaxIds) return all;
    const start = this.fastCursor % all.length;
    const batch = [...all.slice(start), ...all.slice(0, start)].slice(0, this.opts.fastPollMaxIds);
    this.fastCursor = start + batch.length;
    return batch;
  }
  private fastCursor = 0;

  private settlingIds(): string[] {
    return [...this.pods.values()].filter((p) => p.settling && p.groupId).map((p) => p.groupId);
  }

  private active(): boolean {
    return !this.closed && (this.listeners.size > 0 || this.inflight > 0 || this.gc.pending > 0 || this.settlingIds().length > 0);
  }

  /**
   * Schedules a tick in `ms` (earlier wins). During a tick the request is remembered and the tick schedules its
   * successor for the earliest time asked. A poll someone else started (reconcile, list) never stops the timer
   * being set: the chain of ticks must not end while the scope is active, or statuses stop changing.
   */
  private wake(ms: number): void {
    if (this.closed) return;
    const due = Date.now() + ms;
    if (this.ticking) {
      this.wantedDue = Math.min(this.wantedDue, due);
      return;
    }
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, ms);
    this.timer.unref?.();
  }
  private timerDue = 0;

  private async tick(): Promise<void> {
    if (!this.active()) return;
    this.ticking = true;
    this.wantedDue = Infinity;
    try {
      await this.pollNow(false).catch((err) => this.log.warn({ err: (err as Error).message }, 'status poll failed'));
      await this.collectGarbage().catch((err) => this.log.warn({ err: (err as Error).message }, 'orphan GC failed'));
    } finally {
      this.ticking = false;
    }
    if (!this.active()) return;
    const settling = this.settlingIds().length > 0 || this.inflight > 0;
    const next = settling ? this.opts.pollFastMs : Math.max(0, this.lastFullPoll + this.opts.pollSlowMs - Date.now());
    this.wake(Math.min(next, Math.max(0, this.wantedDue - Date.now())));
  }

  /** One poll (coalesced with a running one): full listing when due or cheaper, else only settling groups. */
  private async pollNow(forceFull: boolean): Promise<void> {
    while (this.polling) {
      await this.polling;
      if (!forceFull) return;
      forceFull = false;
      if (Date.now() - this.lastFullPoll < 50) return;
    }
    const run = (async () => {
      const ids = this.nextSettlingBatch();
      const pages = Math.ceil(this.pods.size / MAX_PAGE) || 1;
      const full = forceFull || this.lastFullPoll === 0 || Date.now() - this.lastFullPoll >= this.opts.pollSlowMs || Math.ceil(ids.length / MAX_PAGE) >= pages;
      const tags = scopeTags(this.scope);
      const started = Date.now();
      const seen = new Set<string>();
      const observePage = (groups: EciGroup[]) => {
        for (const g of groups) {
          const tr = this.observe(g);
          if (tr && tr.groupId === g.containerGroupId) seen.add(tr.uid);
        }
      };
      // A full listing is observed page by page: only one page of SDK models is alive at a time.
      if (full) for await (const page of this.api.pagesByTags(tags)) observePage(page);
      else observePage(await this.api.listByIds(ids, tags));
      if (full) this.lastFullPoll = started;
      const polledIds = new Set(ids);
      for (const tr of [...this.pods.values()]) {
        if (seen.has(tr.uid)) continue;
        if (!full && !polledIds.has(tr.groupId)) continue;
        this.missing(tr, full);
      }
    })();
    this.polling = run;
    try {
      await run;
    } finally {
      this.polling = undefined;
    }
  }

  private async collectGarbage(): Promise<void> {
    const next = await this.gc.collect(
      (uid) => {
        const tr = this.pods.get(uid);
        return tr && !tr.deleting ? tr.groupId : undefined;
      },
      // Under the pod's lock an apply may have come first: then it is no longer an orphan.
      (uid) => this.lanes.run(uid, async () => this.gc.isDue(uid) && (await this.deleteLocked(uid, 0, 'gc'), true)),
    );
    if (next !== undefined) this.wake(Math.max(this.opts.pollFastMs, next));
  }

  // ---- plumbing ------------------------------------------------------------------------------------------

  private emit(state: PodState): void {
    const tr = this.pods.get(state.uid);
    this.gate?.observed(this.scope, state.uid, !state.gone && !!state.providerId && !!tr && !tr.terminal);
    for (const l of this.listeners) {
      try {
        l(state);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'pod state listener threw');
      }
    }
  }

  private async busy<T>(p: Promise<T>): Promise<T> {
    this.inflight++;
    try {
      return await p;
    } finally {
      this.inflight--;
    }
  }
}
