// Writes what the relay reports onto the pod, as the kubelet's status manager does: uid-guarded merge
// patches of the status subresource, skipped when nothing changes; a Pending status settles for
// pendingStatusDelayMs first; each pod's writes run one at a time in a write lane and take the newest state
// when they run; a failed write is marked unwritten for the pod's sync to retry. The container-group id
// annotation rides on the next status write, or is written on its own (with retries) if none comes.
import { setHeaderOptions, PatchStrategy, type CoreV1Api, type V1Pod, type V1PodStatus } from '@kubernetes/client-node';
import type { Logger } from '../../common/log.js';
import { KeyedLane } from '../../common/keyed-lane.js';
import { isNotFound, isPodReplaced, errorMessage } from '../kube/errors.js';
import { podKey, type PodRecords } from './pod-records.js';
import { podStatusDiffers, statusPatch, type StatusPatch } from './status.js';
import { DELETION_COST_ANNOTATION, deletionCostToWrite } from './deletion-cost.js';

export const GROUP_ID_ANNOTATION = 'ecigw.io/container-group-id';

/**
 * The container-group annotation rides on the pod's next status write (one request instead of two); if no
 * status write has carried it this long after the relay's acknowledgement, it is written on its own.
 */
const ANNOTATE_ALONE_AFTER_MS = 10_000;
/** Attempts and first pause of a lone annotation write. */
const ANNOTATE_ATTEMPTS = 5;
const ANNOTATE_FIRST_RETRY_MS = 1000;

/** What the writer asks of the pod controller. */
interface StatusWriterHost {
  /** The informer's pod named so. */
  get(name: string, namespace?: string): V1Pod | undefined;
  /** The informer's pod with this uid (undefined once its name belongs to another pod or it is gone). */
  podByUid(uid: string): V1Pod | undefined;
  /** Queues the pod's sync again (it retries a failed delayed write). */
  requeue(key: string): void;
  /** Whether the controller has stopped (no new writes start). */
  stopped(): boolean;
}

interface StatusWriterOptions {
  /** Address written as status.hostIP. */
  hostIP: string;
  /** See PodControllerOptions.pendingStatusDelayMs. */
  pendingStatusDelayMs: number;
  /** See PodControllerOptions.podIPs: false leaves status.podIP and podIPs unset. */
  writePodIPs: boolean;
  /** See PodControllerOptions.deletionCost. */
  deletionCost?: number;
}

export class StatusWriter {
  /** A pod's writes (status, annotation) run one at a time, in order. */
  private readonly lanes = new KeyedLane();

  constructor(
    private readonly core: CoreV1Api,
    private readonly records: PodRecords,
    private readonly host: StatusWriterHost,
    private readonly o: StatusWriterOptions,
    private readonly log: Logger,
  ) {}

  /** Writes the relay's newest status now, or after the settle delay when it is a Pending one. */
  writeRelayStatus(pod: V1Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const r = this.records.get(uid);
    const delay = this.o.pendingStatusDelayMs;
    if (r && delay > 0 && r.lastState?.status?.phase === 'Pending') {
      if (!r.settleTimer) {
        const timer = setTimeout(() => {
          r.settleTimer = undefined;
          if (this.host.stopped()) return;
          const current = this.host.podByUid(uid);
          if (!current) return;
          const k = podKey(current.metadata?.namespace, current.metadata?.name);
          // A failed delayed write is retried by the pod's next sync.
          this.writeLatestStatus(current).catch((e) => {
            this.log.warn({ pod: k, err: errorMessage(e) }, 'status write failed; requeued');
            this.host.requeue(k);
          });
        }, delay);
        timer.unref();
        r.settleTimer = timer;
      }
      return Promise.resolve();
    }
    if (r) {
      clearTimeout(r.settleTimer);
      r.settleTimer = undefined;
    }
    return this.writeLatestStatus(pod);
  }

  /**
   * Writes the newest relay status of the pod. Writes of one pod are chained and each takes the latest
   * state when it runs, so a slower write of an older state can never land after a newer one.
   */
  writeLatestStatus(pod: V1Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    return this.lanes.run(uid, async () => {
      const r = this.records.get(uid);
      const last = r?.lastState;
      if (!r || !last?.status || last.gone) {
        if (r) r.unwritten = false;
        return;
      }
      const current = this.host.get(pod.metadata?.name ?? '', pod.metadata?.namespace);
      try {
        const status = { ...last.status, hostIP: this.o.hostIP, hostIPs: [{ ip: this.o.hostIP }] };
        if (!this.o.writePodIPs) {
          delete status.podIP;
          delete status.podIPs;
        }
        await this.writeStatus(current?.metadata?.uid === uid ? current : pod, status);
        r.unwritten = false;
      } catch (e) {
        r.unwritten = true;
        throw e;
      }
    });
  }

  /**
   * Writes status through the status subresource as a merge patch guarded by the pod's uid (as the
   * kubelet's status manager does); skips no-op writes. A container-group id not yet on the pod, and the
   * scale-in deletion cost (deletion-cost.ts) while the pod has none, go in the same patch: the pods/status subresource keeps the patch's annotations (only spec, owner references
   * and the deletion timestamp are reset), so Running is never shown without the id and it costs no extra
   * request. A refusal for another uid (isPodReplaced) means the name now belongs to another pod, which
   * has its own sync.
   */
  async writeStatus(pod: V1Pod, status?: V1PodStatus): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const groupId = this.records.get(uid)?.unrecordedGroup;
    const annotations: Record<string, string> = {};
    if (groupId !== undefined && pod.metadata?.annotations?.[GROUP_ID_ANNOTATION] !== groupId) annotations[GROUP_ID_ANNOTATION] = groupId;
    const cost = pod.metadata?.deletionTimestamp ? undefined : deletionCostToWrite(pod.metadata?.annotations, this.o.deletionCost);
    if (cost !== undefined) annotations[DELETION_COST_ANNOTATION] = cost;
    const annotate = Object.keys(annotations).length > 0;
    const writeStatus = status !== undefined && podStatusDiffers(pod.status, status);
    if (!writeStatus && !annotate) {
      if (groupId !== undefined) this.groupIdRecorded(uid, groupId);
      return;
    }
    // Status and annotations, or the annotations alone (the status is already what the pod shows).
    const body: StatusPatch | Pick<StatusPatch, 'metadata'> = writeStatus ? statusPatch(uid, pod.status, { ...status, observedGeneration: pod.metadata?.generation }) : { metadata: { uid } };
    if (annotate) body.metadata = { ...body.metadata, annotations };
    try {
      await this.core.patchNamespacedPodStatus(
        { name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? '', body },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      if (groupId !== undefined) this.groupIdRecorded(uid, groupId);
    } catch (e) {
      if (isNotFound(e)) return;
      if (isPodReplaced(e)) return void this.log.info({ pod: podKey(pod.metadata?.namespace, pod.metadata?.name), uid }, 'status not written: the pod was replaced');
      throw e;
    }
  }

  /**
   * Remembers the container-group id to record on the pod with its next status write, unless the pod
   * already carries it. Should no status write carry it within ANNOTATE_ALONE_AFTER_MS (the relay's status
   * equals what the pod shows), it is written on its own, in the pod's write lane, retried with back-off.
   */
  recordGroupId(pod: V1Pod, groupId: string): void {
    if (pod.metadata?.annotations?.[GROUP_ID_ANNOTATION] === groupId) return;
    const uid = pod.metadata?.uid ?? '';
    const r = this.records.of(uid);
    r.unrecordedGroup = groupId;
    if (r.annotateTimer) return;
    const timer = setTimeout(() => {
      r.annotateTimer = undefined;
      void this.lanes.run(uid, async () => {
        for (let attempt = 1; !this.host.stopped() && this.records.get(uid)?.unrecordedGroup !== undefined; attempt++) {
          const current = this.host.podByUid(uid);
          if (!current) return;
          try {
            return await this.writeStatus(current);
          } catch (e) {
            if (attempt >= ANNOTATE_ATTEMPTS) {
              return void this.log.warn({ pod: podKey(current.metadata?.namespace, current.metadata?.name), err: errorMessage(e) }, 'could not record the container group id on the pod');
            }
            await new Promise((res) => setTimeout(res, ANNOTATE_FIRST_RETRY_MS * 2 ** (attempt - 1)).unref());
          }
        }
      });
    }, ANNOTATE_ALONE_AFTER_MS);
    timer.unref();
    r.annotateTimer = timer;
  }

  private groupIdRecorded(uid: string, groupId: string): void {
    const r = this.records.get(uid);
    if (r?.unrecordedGroup !== groupId) return;
    r.unrecordedGroup = undefined;
    clearTimeout(r.annotateTimer);
    r.annotateTimer = undefined;
  }
}
