// What the pod controller remembers about each pod, one record per pod uid: where the informer saw it (so
// its deletion can be carried out after the object is gone), what the relay last reported and acknowledged,
// whether we failed it, and the status writer's pending work (an unwritten status, the settle timer, a
// container-group id still to record). Forgetting a pod is deleting its record, timers included.
import type { V1Pod } from '@kubernetes/client-node';
import type { PodStateUpdate } from './tunnel-port.js';

/** The work-queue key of a pod: namespace/name. */
export const podKey = (ns: string | undefined, name: string | undefined): string => `${ns ?? 'default'}/${name ?? ''}`;

export interface PodRecord {
  readonly uid: string;
  /** Where the informer last saw the pod; unset while the pod is known only from relay statuses. */
  ref?: { namespace: string; name: string };
  /** Last status_version applied (idempotent status application). */
  statusVersion?: number;
  /** Last status from the relay, re-applied when a write conflicts or the tunnel returns. */
  lastState?: PodStateUpdate;
  /**
   * Generation the relay acknowledged. A pod update that does not change the generation (status writes,
   * annotations) needs no new intent; reconcile and `gone` states clear it when the cloud side differs.
   */
  appliedGeneration?: number;
  /** We failed the pod (it cannot run on ECI): it wants no container group. */
  failed: boolean;
  /**
   * The newest relay status could not be written (API server error, admission refusal). The pod's sync writes
   * it again, with the work queue's back-off, as the kubelet's status manager retries: the relay sends a
   * status only when it changes, so a lost write would otherwise show a stale status indefinitely.
   */
  unwritten: boolean;
  /** Timer of a delayed (Pending) status write. */
  settleTimer?: NodeJS.Timeout;
  /** Container-group id not yet recorded on the pod (written with its next status). */
  unrecordedGroup?: string;
  /** Timer of the lone annotation write, should no status write carry the id first. */
  annotateTimer?: NodeJS.Timeout;
}

export class PodRecords {
  private readonly byUid = new Map<string, PodRecord>();
  /** namespace/name → the record of the pod last seen under that name (an index of byUid). */
  private readonly byKey = new Map<string, PodRecord>();

  get(uid: string): PodRecord | undefined {
    return this.byUid.get(uid);
  }

  /** The record of `uid`, created empty when there is none. */
  of(uid: string): PodRecord {
    let r = this.byUid.get(uid);
    if (!r) {
      r = { uid, failed: false, unwritten: false };
      this.byUid.set(uid, r);
    }
    return r;
  }

  /** Notes where the informer sees the pod. */
  remember(p: V1Pod): void {
    const uid = p.metadata?.uid;
    if (!uid) return;
    const r = this.of(uid);
    r.ref = { namespace: p.metadata?.namespace ?? 'default', name: p.metadata?.name ?? '' };
    this.byKey.set(podKey(r.ref.namespace, r.ref.name), r);
  }

  /** The record of the pod last seen under this namespace/name key. */
  named(key: string): PodRecord | undefined {
    return this.byKey.get(key);
  }

  /** Drops the record (and stops its timers). */
  forget(r: PodRecord): void {
    clearTimers(r);
    if (this.byUid.get(r.uid) === r) this.byUid.delete(r.uid);
    if (r.ref) {
      const k = podKey(r.ref.namespace, r.ref.name);
      if (this.byKey.get(k) === r) this.byKey.delete(k);
    }
  }

  /** Stops every record's timers (the controller stops). */
  clearTimers(): void {
    for (const r of this.byUid.values()) clearTimers(r);
  }
}

function clearTimers(r: PodRecord): void {
  clearTimeout(r.settleTimer);
  clearTimeout(r.annotateTimer);
  r.settleTimer = undefined;
  r.annotateTimer = undefined;
}
