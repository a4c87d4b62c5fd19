// The burst path for the resilience tests: shared real cluster + ECI emulator (simulated runtime) + ECI
// provider + relay + agent (node identity bootstrapped from the shared bootstrap ServiceAccount), with the
// agent's tunnel dialled through a TCP forwarder that a test can sever for real. Also small shared helpers:
// a tolerating Deployment on the stack's node, and counts of ECI groups.
import { CoreV1Api, AppsV1Api, setHeaderOptions, PatchStrategy, type V1Pod } from '@kubernetes/client-node';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../../cloud/eci-emulator/index.js';
import { createEciBackend } from '../../../cloud/eci/index.js';
import type { EciProvider } from '../../../cloud/eci/provider/index.js';
import { startLocalGateway, type LocalGateway } from '../../../demo/local-gateway.js';
import type { AgentOptions } from '../../../agent/agent.js';
import { useCluster, type ClusterHandle } from '../../cluster/fixture.js';
import { startForwarder, type Forwarder } from '../../helpers/tunnel/net-peers.js';
import { eventually } from '../../helpers/wait.js';
import { testBootstrap } from '../../helpers/bootstrap.js';

export interface ResilienceStack extends LocalGateway {
  cluster: ClusterHandle;
  emulator: EmulatorHandle;
  provider: EciProvider;
  /** Sits between every agent and the relay. */
  forwarder: Forwarder;
  nodeName: string;
  clusterId: string;
}

let seq = 0;

export async function startResilienceStack(
  o: { emulator?: EmulatorOptions; agent?: Partial<AgentOptions>; gcGraceMs?: number; relayReadiness?: { minAgents: number } } = {},
): Promise<ResilienceStack> {
  const cluster = await useCluster();
  const id = `${process.pid}-r${++seq}`;
  const nodeName = `eci-vk-${id}`;
  const clusterId = `cluster-${id}`;
  const emulator = await startEmulator({ runtime: 'simulated', ...o.emulator });
  const { provider } = createEciBackend({
    connection: { endpoint: emulator.endpoint, protocol: 'http', timeoutMs: 5000 },
    credentials: () => ({ accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret }),
    provider: { pollFastMs: 500, pollSlowMs: 5000, gcGraceMs: o.gcGraceMs ?? 5000 },
    sessions: { logPollMs: 200, metricsCacheMs: 2000 },
  });
  const forwarder = await startForwarder(1);
  let gw: LocalGateway;
  try {
    gw = await startLocalGateway({
      provider,
      agent: o.agent,
      declareWebSocket: false,
      relayReadiness: o.relayReadiness,
      kubeconfigPath: (await testBootstrap(cluster)).kubeconfigPath,
      kubeletClientCaPem: cluster.pki.caCertPem,
      nodeName,
      clusterId,
      tunnelTarget: (relayPort) => {
        forwarder.setTarget(relayPort);
        return `127.0.0.1:${forwarder.port}`;
      },
    });
  } catch (e) {
    await forwarder.close();
    provider.close();
    await emulator.close();
    throw e;
  }
  const closeGateway = gw.close.bind(gw);
  return Object.assign(gw, {
    cluster,
    emulator,
    provider,
    forwarder,
    nodeName,
    clusterId,
    async close() {
      await closeGateway();
      await forwarder.close();
      provider.close();
      await emulator.close();
      await cluster.kubectl(['delete', 'node', nodeName, '--ignore-not-found']);
    },
  });
}

/** A namespace (deleted at teardown) holding a Deployment `web` of 0 replicas pinned to `nodeName`. */
export async function createBurstDeployment(cluster: ClusterHandle, nodeName: string, ns: string): Promise<{
  core: CoreV1Api;
  scale(replicas: number): Promise<unknown>;
  pods(): Promise<V1Pod[]>;
  cleanup(): Promise<void>;
}> {
  const core = cluster.kc.makeApiClient(CoreV1Api);
  const apps = cluster.kc.makeApiClient(AppsV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            nodeSelector: { 'kubernetes.io/hostname': nodeName },
            tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'web', image: 'nginx', resources: { requests: { cpu: '250m', memory: '512Mi' } } }],
          },
        },
      },
    },
  });
  return {
    core,
    scale: (replicas) =>
      apps.patchNamespacedDeploymentScale({ name: 'web', namespace: ns, body: { spec: { replicas } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
    pods: async () => (await core.listNamespacedPod({ namespace: ns })).items,
    cleanup: () => core.deleteNamespace({ name: ns }).then(() => undefined, () => undefined),
  };
}

export const isRunningReady = (p: V1Pod) => p.status?.phase === 'Running' && !!p.status.podIP && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/**
 * Waits until exactly `n` pods are Running and Ready and returns them. On timeout it first logs (through
 * `log`, e.g. ava's t.log) which pods are behind with their status, and what the emulator holds, so a failure
 * in CI can be read from its log alone.
 */
export async function allRunningReady(
  d: { pods(): Promise<V1Pod[]> },
  n: number,
  o: { what: string; timeoutMs: number; emulator: EmulatorHandle; log: (...values: unknown[]) => void },
): Promise<V1Pod[]> {
  let seen: V1Pod[] = [];
  return eventually(o.what, async () => {
    seen = await d.pods();
    return seen.length === n && seen.every(isRunningReady) ? seen : undefined;
  }, o.timeoutMs).catch((e: unknown) => {
    o.log(`${seen.length} pods, ${seen.filter(isRunningReady).length} Running and Ready`);
    for (const p of seen.filter((x) => !isRunningReady(x))) o.log(p.metadata?.name, p.spec?.nodeName, p.metadata?.annotations, JSON.stringify(p.status));
    o.log('emulator groups', o.emulator.admin.listGroups().map((g) => `${g.name} ${g.status}`));
    throw e;
  });
}

/** Live (non-terminal) container groups in the emulator, and how many group names occur more than once. */
export function groupCounts(emulator: EmulatorHandle): { live: number; all: number; duplicateNames: number; ids: string[] } {
  const all = emulator.admin.listGroups();
  const live = all.filter((g) => !['Succeeded', 'Failed', 'Expired'].includes(g.status));
  const names = new Map<string, number>();
  for (const g of all) names.set(g.name, (names.get(g.name) ?? 0) + 1);
  return { live: live.length, all: all.length, duplicateNames: [...names.values()].filter((n) => n > 1).length, ids: all.map((g) => g.id).sort() };
}
