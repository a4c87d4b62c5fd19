// The pod controller: watches pods bound to the virtual node (an informer, not polling), turns each into
// an intent over the tunnel through a keyed work queue, writes the status the relay reports back through
// the status subresource, emits Events, and finishes deletions once the relay confirms the group is gone.
import {
  CoreV1Api,
  ListWatch,
  Watch,
  setHeaderOptions,
  PatchStrategy,
  type KubeConfig,
  type V1Pod,
  type V1PodStatus,
} from '@kubernetes/client-node';
import { WorkQueue } from './workqueue.js';
import { PodResolver, ResolveError } from './resolve.js';
import { buildIntent, IntentTooLargeError } from './intent.js';
import { failedStatus, waitingStatus, podStatusDiffers, statusPatch, isTerminal, type StatusPatch } from './status.js';
import { EventRecorder } from '../kube/events.js';
import { isConflict, isNotFound, isPodReplaced, errorMessage } from '../kube/errors.js';
import { logger } from '../../common/log.js';
import type { PodTunnel, PodStateUpdate } from './tunnel-port.js';
import { isFailedPrecondition, isInvalidArgument } from './tunnel-errors.js';
import { KeyedLane } from '../../common/keyed-lane.js';

export const GROUP_ID_ANNOTATION = 'ecigw.io/container-group-id';

export interface PodControllerOptions {
  nodeName: string;
  nodeAllocatable: Record<string, string>;
  /** Address written as status.hostIP (the virtual node's InternalIP). */
  hostIP: string;
  workers?: number;
  /** Upper bound of the per-pod retry back-off. */
  maxRetryDelayMs?: number;
  /**
   * A Pending status from the relay is written this long after it arrives (the newest one then), so the
   * quick Scheduling → Pending (IP assigned) → Running steps of a new container group cost one or two
   * writes instead of three. Running and finished statuses are written at once. Default 1000 ms; 0 = off.
   */
  pendingStatusDelayMs?: number;
  /** Pace of Event writes (see EventRecorderOptions.qps and burst). */
  events?: { qps?: number; burst?: number };
}

/**
 * The container-group annotation rides on the pod's next status write (one request instead of two); if no
 * status write has carried it this long after the relay's acknowledgement, it is written on its own.
 */
const ANNOTATE_ALONE_AFTER_MS = 10_000;
/** Attempts and first pause of a lone annotation write. */
const ANNOTATE_ATTEMPTS = 5;
const ANNOTATE_FIRST_RETRY_MS = 1000;

interface Known {
  uid: string;
  namespace: string;
  name: string;
}

const key = (ns: string | undefined, name: string | undefined) => `${ns ?? 'default'}/${name ?? ''}`;

export class PodController {
  private readonly core: CoreV1Api;
  private readonly informer: ListWatch<V1Pod>;
  private readonly queue: WorkQueue;
  private readonly resolver: PodResolver;
  private readonly events: EventRecorder;
  private readonly log = logger('pod-controller');
  /** uid → identity of every pod seen, so deletions can be carried out after the object is gone. */
  private readonly byUid = new Map<string, Known>();
  private readonly byKey = new Map<string, Known>();
  /** uid → last status_version applied (idempotent status application). */
  private readonly statusVersion = new Map<string, number>();
  /** uid → last status from the relay, re-applied when a write conflicts or the tunnel returns. */
  private readonly lastState = new Map<string, PodStateUpdate>();
  private readonly failed = new Set<string>();
  /**
   * uid → generation the relay acknowledged. A pod update that does not change the generation (status
   * writes, annotations) needs no new intent; reconcile and `gone` states clear the entry when the cloud
   * side differs.
   */
  private readonly applied = new Map<string, number>();
  /**
   * Pods whose newest relay status could not be written (API server error, admission refusal). Their sync
   * writes it again, with the work queue's back-off, as the kubelet's status manager retries: the relay sends a
   * status only when it changes, so a lost write would otherwise show a stale status indefinitely.
   */
  private readonly unwritten = new Set<string>();
  /** uid → tail of the chain of status writes for that pod. */
  /** A pod's writes (status, annotation) run one at a time, in order. */
  private readonly writeLanes = new KeyedLane();
  /** uid → timer of a delayed (Pending) status write. */
  private readonly delayedWrites = new Map<string, NodeJS.Timeout>();
  /** uid → container-group id not yet recorded on the pod (written with its next status). */
  private readonly unrecordedGroup = new Map<string, string>();
  /** uid → timer of the lone annotation write, should no status write carry the id first. */
  private readonly annotateTimers = new Map<string, NodeJS.Timeout>();
  private restartTimer?: NodeJS.Timeout;
  private stopped = false;
  private synced = false;
  private markSynced!: () => void;
  private readonly syncedOnce = new Promise<void>((r) => (this.markSynced = r));

  constructor(
    private readonly kc: KubeConfig,
    private readonly tunnel: PodTunnel,
    private readonly opts: PodControllerOptions,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.resolver = new PodResolver(kc, opts.nodeName, opts.nodeAllocatable);
    this.events = new EventRecorder(kc, opts.nodeName, opts.events);
    this.queue = new WorkQueue((k) => this.sync(k), {
      workers: opts.workers ?? 16,
      maxDelayMs: opts.maxRetryDelayMs ?? 30_000,
      onError: (k, err, retries) => this.log.warn({ pod: k, retries, err: errorMessage(err) }, 'pod sync failed; will retry'),
    });
    const fieldSelector = `spec.nodeName=${opts.nodeName}`;
    this.informer = new ListWatch<V1Pod>(
      '/api/v1/pods',
      new Watch(kc),
      () => this.core.listPodForAllNamespaces({ fieldSelector }),
      false,
      undefined,
      fieldSelector,
    );
    const enqueue = (p: V1Pod) => {
      // The cache keeps the object the informer hands out: managedFields are a large share of each pod
      // and nothing here reads them (controller-runtime's TransformStripManagedFields does the same).
      if (p.metadata?.managedFields) delete p.metadata.managedFields;
      this.remember(p);
      this.queue.add(key(p.metadata?.namespace, p.metadata?.name));
    };
    this.informer.on('add', enqueue);
    this.informer.on('update', enqueue);
    this.informer.on('delete', (p) => this.queue.add(key(p.metadata?.namespace, p.metadata?.name)));
    this.informer.on('error', (err) => {
      if (this.stopped) return;
      this.log.warn({ err: errorMessage(err) }, 'pod watch failed; restarting');
      this.restartTimer = setTimeout(() => void this.informer.start().catch(() => undefined), 1000);
    });
  }

  async start(): Promise<void> {
    await this.informer.start();
    this.synced = true;
    this.markSynced();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    for (const t of [...this.delayedWrites.values(), ...this.annotateTimers.values()]) clearTimeout(t);
    this.delayedWrites.clear();
    this.annotateTimers.clear();
    await this.informer.stop();
    this.queue.stop();
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Waits until the queue has drained (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** The work queue's backlog (bounded by the number of pods: keys are coalesced). */
  queueDepth(): WorkQueue['pending'] {
    return this.queue.pending;
  }

  /** The event recorder's backlog and drops (metrics). */
  eventStats(): { queued: number; dropped: number } {
    return { queued: this.events.queued, dropped: this.events.dropped };
  }

  /** Pods on this node as the informer sees them. */
  pods(): readonly V1Pod[] {
    return this.informer.list();
  }

  getPod(namespace: string, name: string): V1Pod | undefined {
    return this.informer.get(name, namespace);
  }

  /**
   * The inventory for reconciliation: every pod that should exist in the cloud (not terminal, not failed
   * by us), with its generation.
   */
  inventory(): { uid: string; generation: number }[] {
    return this.informer
      .list()
      .filter((p) => this.wantedInCloud(p))
      .map((p) => ({ uid: p.metadata?.uid ?? '', generation: p.metadata?.generation ?? 1 }));
  }

  /** Whether the pod should have a container group: not finished, and not failed by us. */
  private wantedInCloud(pod: V1Pod): boolean {
    return !isTerminal(pod) && !this.failed.has(pod.metadata?.uid ?? '');
  }

  /** After every (re)connect: compare with the relay and re-queue what differs. */
  async reconcile(): Promise<{ missing: number; stale: number; orphans: number }> {
    // An inventory taken before the informer's first list would be empty: every group would look orphaned.
    await this.syncedOnce;
    const res = await this.tunnel.reconcile(this.inventory());
    // An "orphan" this agent still holds was applied after the inventory was taken (the apply overtook the
    // reconcile on the wire): applying it again tells the relay it is wanted before its grace period ends.
    const reassert = res.orphans.filter((o) => {
      const pod = this.podByUid(o.uid);
      return pod !== undefined && this.wantedInCloud(pod);
    });
    for (const e of [...res.missing, ...res.stale, ...reassert]) {
      this.applied.delete(e.uid);
      const k = this.byUid.get(e.uid);
      if (k) this.queue.add(key(k.namespace, k.name));
    }
    // Pods being deleted whose groups are already gone finish now; statuses are re-sent by the watch snapshot.
    for (const p of this.informer.list()) if (p.metadata?.deletionTimestamp) this.queue.add(key(p.metadata.namespace, p.metadata.name));
    return { missing: res.missing.length, stale: res.stale.length, orphans: res.orphans.length };
  }

  /** Queues every pod again (e.g. after the tunnel comes back). */
  resyncAll(): void {
    for (const p of this.informer.list()) this.queue.add(key(p.metadata?.namespace, p.metadata?.name));
  }

  private remember(p: V1Pod): void {
    const uid = p.metadata?.uid;
    if (!uid) return;
    const k: Known = { uid, namespace: p.metadata?.namespace ?? 'default', name: p.metadata?.name ?? '' };
    this.byUid.set(uid, k);
    this.byKey.set(key(k.namespace, k.name), k);
  }

  /** The informer's pod with this uid (undefined once its name belongs to another pod or it is gone). */
  private podByUid(uid: string): V1Pod | undefined {
    const k = this.byUid.get(uid);
    const pod = k ? this.informer.get(k.name, k.namespace) : undefined;
    return pod?.metadata?.uid === uid ? pod : undefined;
  }

  private forget(k: Known): void {
    this.byUid.delete(k.uid);
    if (this.byKey.get(key(k.namespace, k.name))?.uid === k.uid) this.byKey.delete(key(k.namespace, k.name));
    this.statusVersion.delete(k.uid);
    this.lastState.delete(k.uid);
    this.failed.delete(k.uid);
    this.applied.delete(k.uid);
    clearTimeout(this.delayedWrites.get(k.uid));
    this.delayedWrites.delete(k.uid);
    clearTimeout(this.annotateTimers.get(k.uid));
    this.annotateTimers.delete(k.uid);
    this.unrecordedGroup.delete(k.uid);
    this.unwritten.delete(k.uid);
  }

  private async sync(k: string): Promise<void> {
    const [namespace, name] = k.split('/', 2);
    const pod = this.informer.get(name, namespace);
    const known = this.byKey.get(k);
    if (!pod || (known && pod.metadata?.uid !== known.uid)) {
      // The object is gone (force-deleted or finished deleting): make sure its group goes too.
      if (known) {
        await this.tunnel.delete(known.uid, 0);
        this.forget(known);
      }
      if (!pod) return;
    }
    this.remember(pod);
    const uid = pod.metadata?.uid ?? '';

    if (pod.metadata?.deletionTimestamp) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      const res = await this.tunnel.delete(uid, grace);
      if (!res.existed || this.lastState.get(uid)?.gone || isTerminal(pod) || this.failed.has(uid)) await this.removePodObject(pod);
      // Otherwise the relay's `gone` status finishes the deletion; check again after the grace period.
      else this.queue.addAfter(k, (grace + 15) * 1000);
      return;
    }
    if (isTerminal(pod) || this.failed.has(uid)) return;
    const generation = pod.metadata?.generation ?? 1;
    if (this.applied.get(uid) === generation) {
      if (this.unwritten.has(uid)) await this.writeLatestStatus(pod);
      return;
    }

    let intent;
    try {
      const resolved = await this.resolver.resolve(pod);
      intent = buildIntent(pod, resolved, await this.tunnel.maxIntentBytes());
    } catch (e) {
      if (e instanceof ResolveError) {
        await this.writeStatus(pod, waitingStatus(pod, e.reason, e.message, new Date()));
        // Events are queued behind other pods' events; the retry does not wait for this one.
        void this.events.record(pod, 'Warning', e.reason === 'FailedMount' ? 'FailedMount' : 'Failed', e.message);
        throw e;
      }
      if (e instanceof IntentTooLargeError) return await this.failPod(pod, 'PodTooLarge', e.message);
      throw e;
    }
    try {
      const ack = await this.tunnel.apply(intent);
      this.queue.forget(k);
      this.applied.set(uid, generation);
      // The annotation is for people and tools; it goes with the next status write (the sync does not wait).
      if (ack.providerId && pod.metadata?.annotations?.[GROUP_ID_ANNOTATION] !== ack.providerId) this.recordGroupId(pod, ack.providerId);
      if (ack.changed && ack.providerId) {
        // No group id: the relay refused to create one (policy, quota, ECI's own refusal) and reports why in the
        // pod's status and a Warning event. Events are best effort (record never throws); the sync does not wait.
        void this.events.record(pod, 'Normal', 'Scheduled', `container group ${ack.providerId} requested on ECI`);
      }
      // A status that arrived before the informer knew the pod (e.g. the watch snapshot right after a
      // restart) was kept but not written; the relay will not send it again while nothing changes.
      await this.writeRelayStatus(pod);
    } catch (e) {
      // The relay refused this intent as it is (a field, a policy, the provider's state): retrying cannot help.
      if (isInvalidArgument(e) || isFailedPrecondition(e)) {
        return await this.failPod(pod, 'ProviderFailed', errorMessage(e));
      }
      throw e;
    }
  }

  /** Applies a status update from the relay (idempotent by status_version). */
  async onPodState(s: PodStateUpdate): Promise<void> {
    const prev = this.statusVersion.get(s.uid) ?? -1;
    if (!s.gone && s.statusVersion <= prev) return;
    this.statusVersion.set(s.uid, s.statusVersion);
    this.lastState.set(s.uid, s);
    const pod = this.podByUid(s.uid);
    if (!pod) return;
    if (s.gone) {
      if (pod.metadata?.deletionTimestamp) await this.removePodObject(pod);
      else if (!isTerminal(pod)) {
        this.applied.delete(s.uid);
        this.queue.add(key(pod.metadata?.namespace, pod.metadata?.name));
      }
      return;
    }
    // Events are best effort and written beside the status, not before it (in order among themselves).
    if (s.events.length > 0) {
      void (async () => {
        for (const ev of s.events) await this.events.record(pod, ev.type === 'Warning' ? 'Warning' : 'Normal', ev.reason, ev.message, Math.max(1, ev.count));
      })();
    }
    if (s.status) {
      await this.writeRelayStatus(pod).catch((e: unknown) => {
        this.queue.add(key(pod.metadata?.namespace, pod.metadata?.name));
        throw e;
      });
    }
  }

  /** Writes the relay's newest status now, or after the settle delay when it is a Pending one. */
  private writeRelayStatus(pod: V1Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const delay = this.opts.pendingStatusDelayMs ?? 1000;
    if (delay > 0 && this.lastState.get(uid)?.status?.phase === 'Pending') {
      if (!this.delayedWrites.has(uid)) {
        const timer = setTimeout(() => {
          this.delayedWrites.delete(uid);
          if (this.stopped) return;
          const current = this.podByUid(uid);
          if (!current) return;
          const k = key(current.metadata?.namespace, current.metadata?.name);
          // A failed delayed write is retried by the pod's next sync.
          this.writeLatestStatus(current).catch((e) => {
            this.log.warn({ pod: k, err: errorMessage(e) }, 'status write failed; requeued');
            this.queue.add(k);
          });
        }, delay);
        timer.unref();
        this.delayedWrites.set(uid, timer);
      }
      return Promise.resolve();
    }
    clearTimeout(this.delayedWrites.get(uid));
    this.delayedWrites.delete(uid);
    return this.writeLatestStatus(pod);
  }

  /**
   * Writes the newest relay status of the pod. Writes of one pod are chained and each takes the latest
   * state when it runs, so a slower write of an older state can never land after a newer one.
   */
  private writeLatestStatus(pod: V1Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    return this.inPodLane(uid, async () => {
      const last = this.lastState.get(uid);
      if (!last?.status || last.gone) return void this.unwritten.delete(uid);
      const current = this.informer.get(pod.metadata?.name ?? '', pod.metadata?.namespace);
      try {
        await this.writeStatus(current?.metadata?.uid === uid ? current : pod, { ...last.status, hostIP: this.opts.hostIP, hostIPs: [{ ip: this.opts.hostIP }] });
        this.unwritten.delete(uid);
      } catch (e) {
        this.unwritten.add(uid);
        throw e;
      }
    });
  }

  /** Runs `job` after the pod's earlier writes (status, annotation) have finished, one at a time per pod. */
  private inPodLane(uid: string, job: () => Promise<void>): Promise<void> {
    return this.writeLanes.run(uid, job);
  }

  private async failPod(pod: V1Pod, reason: string, message: string): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    this.failed.add(uid);
    this.log.warn({ pod: key(pod.metadata?.namespace, pod.metadata?.name), reason, message }, 'pod cannot run on ECI');
    await this.writeStatus(pod, failedStatus(pod, reason, message, new Date()));
    void this.events.record(pod, 'Warning', reason, message);
  }

  /**
   * Writes status through the status subresource as a merge patch guarded by the pod's uid (as the
   * kubelet's status manager does); skips no-op writes. A container-group id not yet on the pod goes in
   * the same patch: the pods/status subresource keeps the patch's annotations (only spec, owner references
   * and the deletion timestamp are reset), so Running is never shown without the id and it costs no extra
   * request. A refusal for another uid (isPodReplaced) means the name now belongs to another pod, which
   * has its own sync.
   */
  private async writeStatus(pod: V1Pod, status?: V1PodStatus): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const groupId = this.unrecordedGroup.get(uid);
    const annotate = groupId !== undefined && pod.metadata?.annotations?.[GROUP_ID_ANNOTATION] !== groupId;
    const writeStatus = status !== undefined && podStatusDiffers(pod.status, status);
    if (!writeStatus && !annotate) {
      if (groupId !== undefined) this.groupIdRecorded(uid, groupId);
      return;
    }
    // Status and annotation, or the annotation alone (the status is already what the pod shows).
    const body: StatusPatch | Pick<StatusPatch, 'metadata'> = writeStatus ? statusPatch(uid, pod.status, { ...status, observedGeneration: pod.metadata?.generation }) : { metadata: { uid } };
    if (annotate) body.metadata = { ...body.metadata, annotations: { [GROUP_ID_ANNOTATION]: groupId } };
    try {
      await this.core.patchNamespacedPodStatus(
        { name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? '', body },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      if (groupId !== undefined) this.groupIdRecorded(uid, groupId);
    } catch (e) {
      if (isNotFound(e)) return;
      if (isPodReplaced(e)) return void this.log.info({ pod: key(pod.metadata?.namespace, pod.metadata?.name), uid }, 'status not written: the pod was replaced');
      throw e;
    }
  }

  /**
   * Remembers the container-group id to record on the pod with its next status write. Should no status
   * write carry it within ANNOTATE_ALONE_AFTER_MS (the relay's status equals what the pod shows), it is
   * written on its own, in the pod's write lane, retried with back-off.
   */
  private recordGroupId(pod: V1Pod, groupId: string): void {
    const uid = pod.metadata?.uid ?? '';
    this.unrecordedGroup.set(uid, groupId);
    if (this.annotateTimers.has(uid)) return;
    const timer = setTimeout(() => {
      this.annotateTimers.delete(uid);
      void this.inPodLane(uid, async () => {
        for (let attempt = 1; !this.stopped && this.unrecordedGroup.has(uid); attempt++) {
          const current = this.podByUid(uid);
          if (!current) return;
          try {
            return await this.writeStatus(current);
          } catch (e) {
            if (attempt >= ANNOTATE_ATTEMPTS) {
              return void this.log.warn({ pod: key(current.metadata?.namespace, current.metadata?.name), err: errorMessage(e) }, 'could not record the container group id on the pod');
            }
            await new Promise((r) => setTimeout(r, ANNOTATE_FIRST_RETRY_MS * 2 ** (attempt - 1)).unref());
          }
        }
      });
    }, ANNOTATE_ALONE_AFTER_MS);
    timer.unref();
    this.annotateTimers.set(uid, timer);
  }

  private groupIdRecorded(uid: string, groupId: string): void {
    if (this.unrecordedGroup.get(uid) !== groupId) return;
    this.unrecordedGroup.delete(uid);
    clearTimeout(this.annotateTimers.get(uid));
    this.annotateTimers.delete(uid);
  }

  /** The kubelet's last step of a deletion: remove the object with grace 0, guarded by its uid. */
  private async removePodObject(pod: V1Pod): Promise<void> {
    try {
      await this.core.deleteNamespacedPod({
        name: pod.metadata?.name ?? '',
        namespace: pod.metadata?.namespace ?? '',
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid } },
      });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }
}
