// The pod controller: watches pods bound to the virtual node (an informer, not polling), turns each into
// an intent over the tunnel through a keyed work queue, hands the status the relay reports back to the
// status writer (status-writer.ts), emits Events, and finishes deletions once the relay confirms the group
// is gone. What it remembers per pod is one record (pod-records.ts).
import { CoreV1Api, ListWatch, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { WorkQueue } from './workqueue.js';
import { PodResolver, ResolveError } from './resolve.js';
import { buildIntent, IntentTooLargeError } from './intent.js';
import { failedStatus, waitingStatus, isTerminal } from './status.js';
import { EventRecorder } from '../kube/events.js';
import { isConflict, isNotFound, errorMessage } from '../kube/errors.js';
import { logger } from '../../common/log.js';
import type { PodTunnel, PodStateUpdate } from './tunnel-port.js';
import { isFailedPrecondition, isInvalidArgument } from './tunnel-errors.js';
import { PodRecords, podKey as key, type PodRecord } from './pod-records.js';
import { StatusWriter } from './status-writer.js';
import { podIntentSpan } from './trace.js';

export { GROUP_ID_ANNOTATION } from './status-writer.js';

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
  /**
   * `cloud` (default, networking mode `routed`): status.podIP is the container group's VPC address.
   * `none` (mode `tunnel`): on-prem nodes cannot reach that address, so no pod IP is written and the
   * EndpointSlice controller leaves the pod out of Services (the agent publishes its own endpoints).
   */
  podIPs?: 'cloud' | 'none';
  /**
   * `controller.kubernetes.io/pod-deletion-cost` written on every pod of the node that has none, with its
   * status (deletion-cost.ts), so scale-in removes burst pods before the datacenter's; undefined = off.
   */
  deletionCost?: number;
}

export class PodController {
  private readonly core: CoreV1Api;
  private readonly informer: ListWatch<V1Pod>;
  private readonly queue: WorkQueue;
  private readonly resolver: PodResolver;
  private readonly events: EventRecorder;
  private readonly log = logger('pod-controller');
  /** One record per pod uid: identity, relay state, acknowledged generation, pending writes. */
  private readonly records = new PodRecords();
  private readonly writer: StatusWriter;
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
    this.writer = new StatusWriter(
      this.core,
      this.records,
      {
        get: (name, namespace) => this.informer.get(name, namespace),
        podByUid: (uid) => this.podByUid(uid),
        requeue: (k) => this.queue.add(k),
        stopped: () => this.stopped,
      },
      { hostIP: opts.hostIP, pendingStatusDelayMs: opts.pendingStatusDelayMs ?? 1000, writePodIPs: opts.podIPs !== 'none', deletionCost: opts.deletionCost },
      this.log,
    );
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
      this.records.remember(p);
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
    this.records.clearTimers();
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

  /** Calls `cb` after every add, update and delete of a pod bound to the node; returns the unsubscribe. */
  onPodChange(cb: (pod: V1Pod) => void): () => void {
    const verbs = ['add', 'update', 'delete'] as const;
    for (const v of verbs) this.informer.on(v, cb);
    return () => {
      for (const v of verbs) this.informer.off(v, cb);
    };
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
    return !isTerminal(pod) && !this.records.get(pod.metadata?.uid ?? '')?.failed;
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
      const r = this.records.get(e.uid);
      if (!r) continue;
      r.appliedGeneration = undefined;
      if (r.ref) this.queue.add(key(r.ref.namespace, r.ref.name));
    }
    // Pods being deleted whose groups are already gone finish now; statuses are re-sent by the watch snapshot.
    for (const p of this.informer.list()) if (p.metadata?.deletionTimestamp) this.queue.add(key(p.metadata.namespace, p.metadata.name));
    return { missing: res.missing.length, stale: res.stale.length, orphans: res.orphans.length };
  }

  /** Queues every pod again (e.g. after the tunnel comes back). */
  resyncAll(): void {
    for (const p of this.informer.list()) this.queue.add(key(p.metadata?.namespace, p.metadata?.name));
  }

  /** The informer's pod with this uid (undefined once its name belongs to another pod or it is gone). */
  private podByUid(uid: string): V1Pod | undefined {
    const ref = this.records.get(uid)?.ref;
    const pod = ref ? this.informer.get(ref.name, ref.namespace) : undefined;
    return pod?.metadata?.uid === uid ? pod : undefined;
  }

  private async sync(k: string): Promise<void> {
    const [namespace, name] = k.split('/', 2);
    const pod = this.informer.get(name, namespace);
    const known: PodRecord | undefined = this.records.named(k);
    if (!pod || (known && pod.metadata?.uid !== known.uid)) {
      // The object is gone (force-deleted or finished deleting): make sure its group goes too.
      if (known) {
        await podIntentSpan('delete', known.uid, () => this.tunnel.delete(known.uid, 0));
        this.records.forget(known);
      }
      if (!pod) return;
    }
    this.records.remember(pod);
    const uid = pod.metadata?.uid ?? '';
    const record = this.records.get(uid);

    if (pod.metadata?.deletionTimestamp) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      const res = await podIntentSpan('delete', pod, () => this.tunnel.delete(uid, grace));
      if (!res.existed || record?.lastState?.gone || isTerminal(pod) || record?.failed) await this.removePodObject(pod);
      // Otherwise the relay's `gone` status finishes the deletion; check again after the grace period.
      else this.queue.addAfter(k, (grace + 15) * 1000);
      return;
    }
    if (isTerminal(pod) || record?.failed) return;
    const generation = pod.metadata?.generation ?? 1;
    if (record?.appliedGeneration === generation) {
      if (record.unwritten) await this.writer.writeLatestStatus(pod);
      return;
    }

    let intent;
    try {
      const resolved = await this.resolver.resolve(pod);
      intent = buildIntent(pod, resolved, await this.tunnel.maxIntentBytes());
    } catch (e) {
      if (e instanceof ResolveError) {
        await this.writer.writeStatus(pod, waitingStatus(pod, e.reason, e.message, new Date()));
        // Events are queued behind other pods' events; the retry does not wait for this one.
        void this.events.record(pod, 'Warning', e.reason === 'FailedMount' ? 'FailedMount' : 'Failed', e.message);
        throw e;
      }
      if (e instanceof IntentTooLargeError) return await this.failPod(pod, 'PodTooLarge', e.message);
      throw e;
    }
    try {
      const ack = await podIntentSpan('apply', pod, () => this.tunnel.apply(intent));
      this.queue.forget(k);
      this.records.of(uid).appliedGeneration = generation;
      // The annotation is for people and tools; it goes with the next status write (the sync does not wait).
      if (ack.providerId) this.writer.recordGroupId(pod, ack.providerId);
      if (ack.changed && ack.providerId) {
        // No group id: the relay refused to create one (policy, quota, ECI's own refusal) and reports why in the
        // pod's status and a Warning event. Events are best effort (record never throws); the sync does not wait.
        void this.events.record(pod, 'Normal', 'Scheduled', `container group ${ack.providerId} requested on ECI`);
      }
      // A status that arrived before the informer knew the pod (e.g. the watch snapshot right after a
      // restart) was kept but not written; the relay will not send it again while nothing changes.
      await this.writer.writeRelayStatus(pod);
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
    const r = this.records.of(s.uid);
    const prev = r.statusVersion ?? -1;
    if (!s.gone && s.statusVersion <= prev) return;
    r.statusVersion = s.statusVersion;
    r.lastState = s;
    const pod = this.podByUid(s.uid);
    if (!pod) return;
    if (s.gone) {
      if (pod.metadata?.deletionTimestamp) await this.removePodObject(pod);
      else if (!isTerminal(pod)) {
        r.appliedGeneration = undefined;
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
      await this.writer.writeRelayStatus(pod).catch((e: unknown) => {
        this.queue.add(key(pod.metadata?.namespace, pod.metadata?.name));
        throw e;
      });
    }
  }

  private async failPod(pod: V1Pod, reason: string, message: string): Promise<void> {
    this.records.of(pod.metadata?.uid ?? '').failed = true;
    this.log.warn({ pod: key(pod.metadata?.namespace, pod.metadata?.name), reason, message }, 'pod cannot run on ECI');
    await this.writer.writeStatus(pod, failedStatus(pod, reason, message, new Date()));
    void this.events.record(pod, 'Warning', reason, message);
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
