// The PodProvider operations of one tenant scope against ECI: apply (idempotent create, update, adoption of a
// group found by its pod-uid tag, admission first), delete, get, list and reconcile (inventory diff, GC
// candidates), each uid's apply/delete/GC one at a time. Deltas go out through ScopePods; polls via the poller.
import type { V1Pod } from '@kubernetes/client-node';
import { diffUpdatable, type EciGroup } from '../mapping/index.js';
import { ProviderError, type ApplyResult, type DeleteResult, type EgressSidecar, type InventoryEntry, type PodIntent, type PodState, type ReconcileResult, type TenantScope } from '../../pod-provider/provider.js';
import { diffInventory } from '../../pod-provider/reconcile.js';
import type { Logger } from '../../../common/log.js';
import { KeyedLane } from '../../../common/keyed-lane.js';
import { classify, errorCodeOf } from '../retry.js';
import type { AdmissionGate } from './admission.js';
import { withAutoMatch } from './image-caches.js';
import type { OrphanGc } from './gc.js';
import { clientTokenFor, ownGroupsForUid, scopedClientToken } from './identity.js';
import { buildCreate, buildUpdate, decodeIntent } from './intent.js';
import type { StatusPoller } from './poller.js';
import type { ScopePods, ScopeTarget } from './scope-pods.js';
import { failedState, goneState, newTracked, observeGroup, warningEvents, type TrackedPod } from './state.js';

type Decoded = ReturnType<typeof decodeIntent>;

export class ScopeOperations {
  /** apply/delete/GC of one uid run one at a time (they never race each other for a pod). */
  private readonly lanes = new KeyedLane();
  private running = 0;

  constructor(
    private readonly target: ScopeTarget,
    private readonly pods: ScopePods,
    private readonly gc: OrphanGc,
    private readonly poller: StatusPoller,
    /** An orphan is deleted this long after it was first seen. */
    private readonly gcGraceMs: number,
    private readonly log: Logger,
    /** Tenant policy and pod quota in front of every create and update (admission.ts). */
    private readonly gate?: AdmissionGate,
  ) {}

  private get scope(): TenantScope {
    return this.target.scope;
  }

  /** apply/delete calls in flight. */
  get inflight(): number {
    return this.running;
  }

  async apply(intent: PodIntent, egress?: EgressSidecar): Promise<ApplyResult> {
    const decoded = decodeIntent(this.scope, intent, egress);
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
    this.pods.observe(mine[0]);
    return this.pods.get(uid)?.state;
  }

  async list(): Promise<PodState[]> {
    if (!this.poller.listed) await this.poller.pollNow(true);
    return [...this.pods.values()].flatMap((p) => (p.state && !p.state.gone ? [p.state] : []));
  }

  async reconcile(inventory: InventoryEntry[]): Promise<ReconcileResult> {
    // The agent took its inventory before sending it, so pods it applies while the listing below runs are not
    // in it. They are not orphans: the live set starts as the inventory now and every apply joins it.
    const live = this.gc.beginInventory(inventory.map((e) => e.uid));
    await this.poller.pollNow(true);
    const states = [...this.pods.values()].flatMap((p) => (p.state && !p.state.gone && !p.deleting ? [p.state] : []));
    const result = diffInventory(inventory, states);
    result.orphans = result.orphans.filter((o) => !live.has(o.uid));
    this.gc.inventoryResult(result.orphans.map((o) => o.uid), states.length);
    if (this.gc.pending > 0) this.poller.wake(this.gcGraceMs);
    return result;
  }

  /** Deletes the orphans that are due; the ms until the next one is, or undefined when none is left. */
  collectGarbage(): Promise<number | undefined> {
    return this.gc.collect(
      (uid) => {
        const tr = this.pods.get(uid);
        return tr && !tr.deleting ? tr.groupId : undefined;
      },
      // Under the pod's lock an apply may have come first: then it is no longer an orphan.
      (uid) => this.lanes.run(uid, async () => this.gc.isDue(uid) && (await this.deleteLocked(uid, 0, 'gc'), true)),
    );
  }

  // ---- apply ---------------------------------------------------------------------------------------------

  private async applyLocked(uid: string, generation: number, decoded: Decoded): Promise<ApplyResult> {
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
        tr = this.pods.observe(group) ?? tr;
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

  private async createLocked(uid: string, generation: number, decoded: Decoded): Promise<ApplyResult> {
    const built = buildCreate(decoded, generation);
    withAutoMatch(this.scope, built.request);
    const admitted = this.gate ? await this.gate.admitCreate(this.scope, decoded.pod, built.request) : { ok: true as const, done: () => undefined };
    if (!admitted.ok) return this.failCreate(uid, generation, decoded, admitted.reason, admitted.message);
    let groupId: string;
    try {
      const created = await this.target.api.create(built.request, this.scope);
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
    if (first) this.pods.emit(first);
    this.poller.wake(0);
    return { uid, generation, providerId: groupId, changed: true };
  }

  private failCreate(uid: string, generation: number, decoded: Decoded, reason: string, message: string): ApplyResult {
    const tr = this.pods.get(uid) ?? newTracked(uid, decoded.pod, generation, true);
    tr.generation = generation;
    this.pods.set(uid, tr);
    this.log.warn({ uid, reason }, 'create failed permanently; pod reported Failed');
    this.pods.emit(failedState(tr, reason, message));
    return { uid, generation, providerId: '', changed: true };
  }

  /**
   * ECI already accepted a create with this pod's ClientToken (uid + generation) but with other content (a
   * fresh service-account token, say). The lookup before the create found no group, so either that group is
   * only now visible, or it existed and is gone (deleted outside the gateway, or lost by ECI). The first is
   * adopted; the second fails the pod as a lost instance would, rather than running its containers again.
   */
  private async createdBefore(uid: string, generation: number, decoded: Decoded): Promise<ApplyResult> {
    const group = (await this.lookup(uid))[0];
    const tr = group ? this.pods.observe(group) : undefined;
    if (tr?.groupId) return this.adoptFound(tr, decoded.pod);
    return this.failCreate(uid, generation, decoded, 'ProviderInstanceLost', `ECI created a container group for this pod before (same idempotency token ${scopedClientToken(clientTokenFor(uid, generation), this.scope)}), and it no longer exists (deleted outside the gateway, or lost by ECI); the pod must be recreated`);
  }

  private async updateLocked(tr: TrackedPod, generation: number, decoded: Decoded): Promise<ApplyResult> {
    const diff = diffUpdatable(tr.pod, decoded.pod);
    const warnings: string[] = [];
    if (diff.updateNeeded && !tr.terminal) {
      const built = buildUpdate(decoded, tr.groupId, generation);
      const denied = this.gate?.checkUpdate(this.scope, built.request);
      if (denied) throw new ProviderError('FAILED_PRECONDITION', `PolicyDenied: ${denied}`);
      warnings.push(...built.warnings.filter((w) => !/ActiveDeadlineSeconds/.test(w) || diff.activeDeadlineChanged));
      try {
        warnings.push(...(await this.target.api.update(built.request, this.scope)));
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
    if (warnings.length) this.pods.emit(this.reemit(tr, warningEvents(warnings)));
    this.poller.wake(0);
    return { uid: tr.uid, generation, providerId: tr.groupId, changed: true };
  }

  /** Re-sends the last status with a new version (and extra events), e.g. after the generation changed. */
  private reemit(tr: TrackedPod, events: ReturnType<typeof warningEvents>): PodState {
    tr.fingerprint = '';
    const g = { containerGroupId: tr.groupId, status: 'Updating', containers: [] } as unknown as EciGroup;
    return observeGroup(tr, g, events)!;
  }

  // ---- delete --------------------------------------------------------------------------------------------

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
      this.pods.emit(goneState(tr));
      return { uid, existed: true };
    }
    // ECI's DeleteContainerGroup has no grace parameter: the group's TerminationGracePeriodSeconds (set from the
    // pod spec at create) is what ECI honours; preStop hooks run within it.
    this.log.info({ uid, groups: [...groupIds], gracePeriodSeconds, why }, 'deleting container group');
    let anyExisted = false;
    for (const id of groupIds) {
      const existed = await this.target.api.delete(id, `${uid.slice(0, 40)}-delete-${id.slice(-12)}`).catch((err) => {
        throw new ProviderError('UNAVAILABLE', `DeleteContainerGroup ${id} for pod ${uid}: ${classify(err).message}`);
      });
      anyExisted ||= existed;
    }
    if (!anyExisted) {
      // ECI no longer knows any of them (e.g. a finished group its retention dropped): confirmed gone now.
      const known = this.pods.get(uid);
      this.pods.delete(uid);
      if (known) this.pods.emit(goneState(known));
      return { uid, existed: !!known };
    }
    const t = this.pods.get(uid) ?? (tr ?? newTracked(uid, { metadata: { uid } }, 0, false));
    if (!t.groupId) t.groupId = [...groupIds][0];
    t.deleting = true;
    t.settling = true;
    this.pods.set(uid, t);
    this.poller.wake(0);
    return { uid, existed: anyExisted || !!tr };
  }

  /** This scope's groups for uid; PERMISSION_DENIED for another cluster's or tenant's, FAILED_PRECONDITION for a legacy one. */
  private async lookup(uid: string): Promise<EciGroup[]> {
    const groups = await this.target.api.findByUid(uid).catch((err) => {
      throw new ProviderError('UNAVAILABLE', `DescribeContainerGroups for pod ${uid}: ${classify(err).message}`);
    });
    return ownGroupsForUid(groups, this.scope, uid);
  }

  private async busy<T>(p: Promise<T>): Promise<T> {
    this.running++;
    try {
      return await p;
    } finally {
      this.running--;
    }
  }
}
