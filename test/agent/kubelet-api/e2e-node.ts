// Test helper: registers our kubelet API server with the real cluster as a Node (InternalIP 127.0.0.1,
// kubeletEndpoint = our port, optionally declaring ExtendWebSocketsToKubelet) and binds Running pods
// to it, whose containers run as local processes in a LocalBackend.
import { CoreV1Api, type V1Pod, type V1Container } from '@kubernetes/client-node';
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
  const setStatus = () =>
    retryConflict(async () => {
      const now = new Date();
      const node = await core.readNode({ name });
      node.status = {
        ...node.status,
        capacity: { cpu: '4', memory: '8Gi', pods: '110' },
        allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'test', lastHeartbeatTime: now, lastTransitionTime: now }],
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: name }],
        daemonEndpoints: { kubeletEndpoint: { Port: server.port } },
      };
      await core.replaceNodeStatus({ name, body: node });
    });
  await setStatus();
  if (declareWebSockets) {
    // client-node's model predates NodeStatus.declaredFeatures: patch it with the real kubectl.
    const r = await c.kubectl(['patch', 'node', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { declaredFeatures: ['ExtendWebSocketsToKubelet'] } })]);
    if (r.code !== 0) throw new Error(`patch declaredFeatures: ${r.stderr}`);
  }
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
