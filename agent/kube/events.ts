// Kubernetes Events for pods, as the kubelet emits them: deduplicated by (object, type, reason, message)
// with a count, source component `virtual-kubelet` and the node as host. The dedupe cache is bounded.
import { CoreV1Api, type KubeConfig, type V1Pod, type CoreV1Event } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { logger } from '../../common/log.js';
import { errorMessage, isNotFound } from './errors.js';

export type EventType = 'Normal' | 'Warning';

export class EventRecorder {
  private readonly core: CoreV1Api;
  private readonly seen = new Map<string, { name: string; namespace: string; count: number; first: Date }>();
  private readonly log = logger('events');

  constructor(
    kc: KubeConfig,
    private readonly host: string,
    private readonly maxEntries = 4096,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  /** Records an event; never throws (events are best effort, like the kubelet's). */
  async record(pod: V1Pod, type: EventType, reason: string, message: string, count = 1): Promise<void> {
    const ns = pod.metadata?.namespace ?? 'default';
    const key = `${pod.metadata?.uid}|${type}|${reason}|${message}`;
    const now = new Date();
    try {
      const prev = this.seen.get(key);
      if (prev) {
        prev.count += count;
        try {
          const ev = await this.core.readNamespacedEvent({ name: prev.name, namespace: ns });
          ev.count = prev.count;
          ev.lastTimestamp = now;
          await this.core.replaceNamespacedEvent({ name: prev.name, namespace: ns, body: ev });
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
          kind: 'Pod',
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
