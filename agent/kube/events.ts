// Kubernetes Events for pods (and the Services the agent reports on), as the kubelet emits them: deduplicated by (object, type, reason, message)
// with a count (a repeat patches the count), source component `virtual-kubelet` and the node as host.
// The dedupe cache is bounded.
// Like client-go's event broadcaster, events are written from a bounded queue by a few writers, so a
// burst of pods does not spend the API server's capacity on events before pod status; when the queue is
// full new events are dropped and counted (events are best effort). Writes are paced by a token bucket
// (the kubelet's --event-qps 50 / --event-burst 100), so a burst of pods leaves the API server's capacity
// to bindings and status writes and its events follow at a steady rate.
import { TokenBucket } from 'limiter';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1ObjectMeta, type CoreV1Event } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { logger } from '../../common/log.js';
import { errorMessage, isNotFound } from './errors.js';
import { rfc3339 } from './time.js';

const asMergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export type EventType = 'Normal' | 'Warning';

/** What an Event is about: a pod (kind unset or `Pod`) or another core/v1 object such as a Service. */
export interface EventSubject {
  kind?: string;
  metadata?: V1ObjectMeta;
}

export interface EventRecorderOptions {
  /** Deduplication entries kept. */
  maxEntries?: number;
  /** Events waiting to be written; beyond this new events are dropped. */
  maxQueued?: number;
  /** Events written at once. */
  writers?: number;
  /** Events written per second at most (0 = unlimited); default 50, as the kubelet's --event-qps. */
  qps?: number;
  /** Events that may be written at once after a quiet period; default 100, as the kubelet's --event-burst. */
  burst?: number;
}

interface Pending {
  pod: EventSubject;
  type: EventType;
  reason: string;
  message: string;
  count: number;
  done: () => void;
}

export class EventRecorder {
  private readonly core: CoreV1Api;
  private readonly seen = new Map<string, { name: string; namespace: string; count: number; first: Date }>();
  private readonly log = logger('events');
  private readonly queue: Pending[] = [];
  private head = 0;
  private writing = 0;
  private droppedCount = 0;
  private readonly maxEntries: number;
  private readonly maxQueued: number;
  private readonly writers: number;
  private readonly pace?: TokenBucket;

  constructor(kc: KubeConfig, private readonly host: string, opts: EventRecorderOptions = {}) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.maxEntries = opts.maxEntries ?? 4096;
    this.maxQueued = opts.maxQueued ?? 4096;
    this.writers = opts.writers ?? 2;
    const qps = opts.qps ?? 50;
    if (qps > 0) {
      this.pace = new TokenBucket({ bucketSize: Math.max(1, opts.burst ?? 100), tokensPerInterval: qps, interval: 'second' });
      this.pace.content = this.pace.bucketSize; // starts full, as client-go's token bucket does
    }
  }

  /** Events waiting to be written. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Events dropped because the queue was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  /**
   * Queues an event; the promise settles once it is written (or given up on). Never throws. Events of
   * one caller that awaits each record are written in order.
   */
  record(pod: EventSubject, type: EventType, reason: string, message: string, count = 1): Promise<void> {
    if (this.queued >= this.maxQueued) {
      if (this.droppedCount++ % 100 === 0) this.log.warn({ dropped: this.droppedCount, reason, pod: `${pod.metadata?.namespace}/${pod.metadata?.name}` }, 'event queue full; dropping events');
      return Promise.resolve();
    }
    return new Promise<void>((done) => {
      this.queue.push({ pod, type, reason, message, count, done });
      this.pump();
    });
  }

  private pump(): void {
    while (this.writing < this.writers && this.queued > 0) {
      const next = this.queue[this.head++];
      // Drop the consumed front now and then, so the array does not grow with every event ever queued.
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.writing++;
      void this.write(next.pod, next.type, next.reason, next.message, next.count).finally(() => {
        this.writing--;
        next.done();
        this.pump();
      });
    }
  }

  private async write(pod: EventSubject, type: EventType, reason: string, message: string, count: number): Promise<void> {
    if (this.pace && !this.pace.tryRemoveTokens(1)) await this.pace.removeTokens(1);
    const ns = pod.metadata?.namespace ?? 'default';
    const key = `${pod.metadata?.uid}|${type}|${reason}|${message}`;
    const now = new Date();
    try {
      const prev = this.seen.get(key);
      if (prev) {
        prev.count += count;
        try {
          // A patch of the count, as client-go's event sink does: a node identity may create, update and
          // patch Events but not read them (the Node authorizer's static rules).
          await this.core.patchNamespacedEvent({ name: prev.name, namespace: ns, body: { count: prev.count, lastTimestamp: rfc3339(now) } }, asMergePatch);
          this.touch(key, prev);
          return;
        } catch (e) {
          if (!isNotFound(e)) throw e;
          this.seen.delete(key);
        }
      }
      const name = `${pod.metadata?.name}.${randomBytes(8).toString('hex')}`;
      const body: CoreV1Event = {
        metadata: { name, namespace: ns },
        involvedObject: {
          apiVersion: 'v1',
          kind: pod.kind ?? 'Pod',
          name: pod.metadata?.name,
          namespace: ns,
          uid: pod.metadata?.uid,
          resourceVersion: pod.metadata?.resourceVersion,
        },
        reason,
        message,
        type,
        count,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: 'virtual-kubelet', host: this.host },
        reportingComponent: 'virtual-kubelet',
        reportingInstance: this.host,
      };
      await this.core.createNamespacedEvent({ namespace: ns, body });
      this.touch(key, { name, namespace: ns, count, first: now });
    } catch (e) {
      this.log.warn({ err: errorMessage(e), reason, pod: `${ns}/${pod.metadata?.name}` }, 'could not record event');
    }
  }

  private touch(key: string, v: { name: string; namespace: string; count: number; first: Date }): void {
    this.seen.delete(key);
    this.seen.set(key, v);
    while (this.seen.size > this.maxEntries) this.seen.delete(this.seen.keys().next().value as string);
  }
}
