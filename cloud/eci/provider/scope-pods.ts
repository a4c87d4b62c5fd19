// The pods one tenant scope tracks (by uid) and who watches them: a group observed becomes a PodState delta for
// every watcher and for admission's count of the tenant's live pods; a group missing from a poll is gone (it
// was being deleted), kept (it had finished) or, after lostAfterMisses full polls, reported lost.
import type { EciGroup } from '../mapping/index.js';
import type { PodState, PodStateListener, TenantScope } from '../../pod-provider/provider.js';
import type { Logger } from '../../../common/log.js';
import type { AdmissionGate } from './admission.js';
import type { GroupApi } from './groups.js';
import { generationOf, ownershipOf, podFromGroup, podUidOf } from './identity.js';
import { failedState, goneState, newTracked, observeGroup, type TrackedPod } from './state.js';

/** What the parts of one scope share; a reloaded relay config replaces both in place (TenantPods.retarget). */
export interface ScopeTarget {
  /** The scope with the tenant settings of the newest relay config (vSwitch, security group, tags, policy…). */
  scope: TenantScope;
  /** ECI I/O through the tenant's current caller. */
  api: GroupApi;
}

export class ScopePods extends Map<string, TrackedPod> {
  readonly listeners = new Set<PodStateListener>();

  constructor(
    private readonly target: ScopeTarget,
    /** Full polls a non-terminal, non-deleting group may be missing before it is reported lost. */
    private readonly lostAfterMisses: number,
    private readonly log: Logger,
    /** Told of every state (quota: which pods hold a slot). */
    private readonly gate?: AdmissionGate,
  ) {
    super();
  }

  /** Applies one observed group of this scope; returns its tracked pod. */
  observe(group: EciGroup): TrackedPod | undefined {
    if (ownershipOf(group, this.target.scope) !== 'mine') return undefined;
    const uid = podUidOf(group)!;
    let tr = this.get(uid);
    if (!tr) {
      tr = newTracked(uid, podFromGroup(group), generationOf(group), false);
      this.set(uid, tr);
    }
    if (!tr.groupId) tr.groupId = group.containerGroupId ?? '';
    if (tr.groupId !== group.containerGroupId) return tr; // a second group for one uid: never adopted (see README)
    const state = observeGroup(tr, group);
    if (state) this.emit(state);
    return tr;
  }

  /** A poll that should have listed tr's group did not. */
  missing(tr: TrackedPod, fullPoll: boolean): void {
    if (!tr.groupId) return;
    if (tr.deleting) {
      this.delete(tr.uid);
      this.emit(goneState(tr));
      return;
    }
    if (tr.terminal) {
      tr.settling = false; // ECI dropped a finished group: keep its final status
      return;
    }
    if (!fullPoll) return;
    if (++tr.misses >= this.lostAfterMisses) {
      this.log.warn({ uid: tr.uid, groupId: tr.groupId }, 'container group disappeared while running; pod reported Failed');
      this.emit(failedState(tr, 'ProviderInstanceLost', `the ECI container group ${tr.groupId} disappeared while the pod was not finished (deleted outside the gateway, or lost by ECI); the pod must be recreated`));
    }
  }

  /** The groups still changing (polled at the fast cadence). */
  settlingIds(): string[] {
    return [...this.values()].filter((p) => p.settling && p.groupId).map((p) => p.groupId);
  }

  emit(state: PodState): void {
    const tr = this.get(state.uid);
    this.gate?.observed(this.target.scope, state.uid, !state.gone && !!state.providerId && !!tr && !tr.terminal);
    for (const l of this.listeners) {
      try {
        l(state);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'pod state listener threw');
      }
    }
  }
}
