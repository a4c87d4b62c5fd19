// Bench helper: creates many pods with bounded concurrency and watches a namespace to record, with
// millisecond resolution on this machine's clock, when each pod was bound (create answered; spec.nodeName
// is preset) and when it was first seen Running and Ready. API timestamps are whole seconds, too coarse.
import { CoreV1Api, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';

export interface PodTracker {
  boundAt: Map<string, number>;
  runningAt: Map<string, number>;
  /** Resolves when `names` are all Running or rejects after `timeoutMs`; `onTick` runs about every second. */
  waitRunning(names: string[], timeoutMs: number, onTick?: () => void): Promise<void>;
  close(): void;
}

const isRunningReady = (p: V1Pod) => p.status?.phase === 'Running' && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

export async function trackPods(kc: KubeConfig, namespace: string): Promise<PodTracker> {
  const boundAt = new Map<string, number>();
  const runningAt = new Map<string, number>();
  let closed = false;
  let abort: AbortController | undefined;
  let lastError: unknown;
  const seen = (p: V1Pod) => {
    const name = p.metadata?.name;
    if (name && !runningAt.has(name) && isRunningReady(p)) runningAt.set(name, Date.now());
  };
  const core = kc.makeApiClient(CoreV1Api);
  // List then watch from the list's resourceVersion; reopen on close (watches expire).
  const open = async (): Promise<void> => {
    const list = await core.listNamespacedPod({ namespace });
    list.items.forEach(seen);
    abort = await new Watch(kc).watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
      (type, obj: V1Pod) => {
        if (type === 'ADDED' || type === 'MODIFIED') seen(obj);
      },
      (err) => {
        lastError = err;
        if (!closed) setTimeout(() => void open().catch((e: unknown) => void (lastError = e)), 200);
      },
    );
  };
  await open();
  return {
    boundAt,
    runningAt,
    async waitRunning(names, timeoutMs, onTick) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        onTick?.();
        const missing = names.filter((n) => !runningAt.has(n)).length;
        if (missing === 0) return;
        if (Date.now() > deadline) throw new Error(`${missing} of ${names.length} pods not Running after ${timeoutMs} ms (last watch error: ${String(lastError)})`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    close() {
      closed = true;
      abort?.abort();
    },
  };
}

/** Runs `task` for 0..count-1 with at most `concurrency` at once. */
export async function bounded(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/** A minimal pod bound to `nodeName` at creation, or (nodeName undefined) left unscheduled: no scheduler serves `bench-none`. */
export function boundPod(name: string, nodeName: string | undefined, labels: Record<string, string>): V1Pod {
  return {
    metadata: { name, labels },
    spec: {
      ...(nodeName ? { nodeName } : { schedulerName: 'bench-none' }),
      tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
      containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '250m', memory: '512Mi' } } }],
    },
  };
}

/** Creates pods `prefix-<from..to-1>` with bounded concurrency, recording when each create was answered. */
export async function createBoundPods(core: CoreV1Api, tracker: PodTracker, o: { namespace: string; nodeName?: string; prefix: string; from: number; to: number; concurrency: number; labels: Record<string, string> }): Promise<string[]> {
  const names = Array.from({ length: o.to - o.from }, (_, i) => `${o.prefix}-${o.from + i}`);
  await bounded(names.length, o.concurrency, async (i) => {
    const name = names[i];
    for (let attempt = 0; ; attempt++) {
      try {
        await core.createNamespacedPod({ namespace: o.namespace, body: boundPod(name, o.nodeName, o.labels) });
        if (o.nodeName) tracker.boundAt.set(name, Date.now());
        return;
      } catch (e) {
        const code = (e as { code?: number }).code;
        if (code === 409) {
          if (o.nodeName) tracker.boundAt.set(name, Date.now());
          return;
        }
        if (attempt >= 5) throw e;
        await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
      }
    }
  });
  return names;
}

/** Binds existing unscheduled pods to `nodeName` (the pods/binding subresource, as a scheduler does), recording when each binding was answered. */
export async function bindPods(core: CoreV1Api, tracker: PodTracker, o: { namespace: string; nodeName: string; names: string[]; concurrency: number }): Promise<void> {
  await bounded(o.names.length, o.concurrency, async (i) => {
    const name = o.names[i];
    for (let attempt = 0; ; attempt++) {
      try {
        await core.createNamespacedPodBinding({ name, namespace: o.namespace, body: { metadata: { name }, target: { kind: 'Node', name: o.nodeName } } });
        tracker.boundAt.set(name, Date.now());
        return;
      } catch (e) {
        if (attempt >= 5) throw e;
        await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
      }
    }
  });
}
