// Test helper: registers our kubelet API server with the real cluster as a Node (InternalIP 127.0.0.1,
// kubeletEndpoint = our port, optionally declaring ExtendWebSocketsToKubelet) and binds Running pods
// to it, whose containers run as local processes in a LocalBackend.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod, type V1Container } from '@kubernetes/client-node';
import type { ClusterHandle } from '../../cluster/fixture.js';
import { startKubeletServer, type KubeletServer } from '../../../agent/kubelet-api/server.js';
import { LocalBackend } from './local-backend.js';

export interface TestNode {
  name: string;
  namespace: string;
  backend: LocalBackend;
  server: KubeletServer;
  addPod(name: string, containers: V1Container[]): Promise<V1Pod>;
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

export async function startTestNode(c: ClusterHandle, name: string, declareWebSockets: boolean): Promise<TestNode> {
  const core = c.kc.makeApiClient(CoreV1Api);
  const backend = new LocalBackend(name);
  const server = await startKubeletServer({ host: '127.0.0.1', port: 0, nodeName: name, clientCaPem: c.pki.caCertPem, kubeConfig: c.kc, backend });
  const namespace = `${name}-ns`;
  await core.deleteNode({ name }).catch(() => undefined);
  await core.createNode({ body: { metadata: { name, labels: { 'kubelet-api-test': name } } } });
  // A merge patch: client-node's V1NodeStatus predates declaredFeatures, and a PUT of the typed object
  // would drop it at every heartbeat (the API server would then speak SPDY to a node that declared WebSocket).
  const setStatus = () => {
    const now = new Date();
    const status = {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'test', lastHeartbeatTime: now, lastTransitionTime: now }],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: name }],
      daemonEndpoints: { kubeletEndpoint: { Port: server.port } },
      declaredFeatures: declareWebSockets ? ['ExtendWebSocketsToKubelet'] : null,
    };
    return core.patchNodeStatus({ name, body: { status } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  };
  await setStatus();
  const heartbeat = setInterval(() => void setStatus().catch(() => undefined), 15_000);
  await core.createNamespace({ body: { metadata: { name: namespace } } }).catch(() => undefined);

  return {
    name,
    namespace,
    backend,
    server,
    async addPod(podName, containers) {
      const created = await core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: podName },
          spec: {
            nodeName: name,
            containers: containers.map((ct) => ({ image: 'local', ...ct })),
            tolerations: [{ operator: 'Exists' }],
          },
        },
      });
      const now = new Date();
      created.status = {
        phase: 'Running',
        podIP: '127.0.0.1',
        hostIP: '127.0.0.1',
        startTime: now,
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
        containerStatuses: containers.map((ct) => ({
          name: ct.name,
          image: 'local',
          imageID: 'local',
          ready: true,
          restartCount: 0,
          started: true,
          state: { running: { startedAt: now } },
        })),
      };
      const running = await retryConflict(() => core.replaceNamespacedPodStatus({ name: podName, namespace, body: created }));
      backend.addPod(running);
      return running;
    },
    async close() {
      clearInterval(heartbeat);
      backend.close();
      await server.close();
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
      await core.deleteNode({ name }).catch(() => undefined);
    },
  };
}
