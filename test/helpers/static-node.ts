// A Node object for a kubelet API served by a test or bench process (not a kubelet): registered Ready at
// 127.0.0.1:<port>, kept Ready by a status heartbeat, optionally declaring WebSocket streaming, with a
// namespace for its pods and pods that are bound to it and marked Running (as the kubelet would report them;
// kubectl port-forward refuses pods that are not Running).
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Container, type V1Pod } from '@kubernetes/client-node';

export interface StaticNodeOptions {
  name: string;
  /** The kubelet API port on 127.0.0.1. */
  port: number;
  labels: Record<string, string>;
  /** Declares ExtendWebSocketsToKubelet: the API server then speaks WebSocket to the node, otherwise SPDY. */
  declareWebSocket: boolean;
  namespace: string;
  heartbeatMs: number;
}

export interface StaticNode {
  namespace: string;
  /** Creates the pod bound to the node and marks it Running and Ready; returns the API object. */
  createPod(name: string, containers: V1Container[]): Promise<V1Pod>;
  /** Stops the heartbeat and deletes the namespace (the Node object stays for the next run to replace). */
  close(): Promise<void>;
}

async function retryConflict<T>(f: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await f();
    } catch (e) {
      if (attempt >= 8 || (e as { code?: number }).code !== 409) throw e;
    }
  }
}

export async function registerStaticNode(kc: KubeConfig, o: StaticNodeOptions): Promise<StaticNode> {
  const core = kc.makeApiClient(CoreV1Api);
  const { name, namespace } = o;
  await core.deleteNode({ name }).catch(() => undefined);
  await core.createNode({ body: { metadata: { name, labels: o.labels } } });
  // A merge patch, repeated so that the node lifecycle controller keeps the node Ready; a node that stops
  // declaring WebSocket streaming loses declaredFeatures (null).
  const setStatus = () => {
    const now = new Date();
    const status = {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'served by a test process', lastHeartbeatTime: now, lastTransitionTime: now }],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: name }],
      daemonEndpoints: { kubeletEndpoint: { Port: o.port } },
      declaredFeatures: o.declareWebSocket ? ['ExtendWebSocketsToKubelet'] : null,
    };
    return core.patchNodeStatus({ name, body: { status } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  };
  await setStatus();
  const heartbeat = setInterval(() => void setStatus().catch(() => undefined), o.heartbeatMs);
  try {
    await core.createNamespace({ body: { metadata: { name: namespace } } }).catch((e: { code?: number }) => {
      if (e.code !== 409) throw e;
    });
  } catch (e) {
    clearInterval(heartbeat);
    throw e;
  }
  return {
    namespace,
    async createPod(podName, containers) {
      const created = await core.createNamespacedPod({
        namespace,
        body: { metadata: { name: podName }, spec: { nodeName: name, containers: containers.map((ct) => ({ image: 'local', ...ct })), tolerations: [{ operator: 'Exists' }] } },
      });
      const now = new Date();
      created.status = {
        phase: 'Running',
        podIP: '127.0.0.1',
        hostIP: '127.0.0.1',
        startTime: now,
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
        containerStatuses: containers.map((ct) => ({ name: ct.name, image: 'local', imageID: 'local', ready: true, restartCount: 0, started: true, state: { running: { startedAt: now } } })),
      };
      return await retryConflict(() => core.replaceNamespacedPodStatus({ name: podName, namespace, body: created }));
    },
    async close() {
      clearInterval(heartbeat);
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    },
  };
}
