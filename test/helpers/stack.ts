// The whole burst path for end-to-end tests, on loopback: the shared real cluster plus a local gateway
// (relay in front of a PodProvider, agent serving the virtual node and its kubelet API). The agent
// bootstraps its node identity from the shared bootstrap ServiceAccount (helpers/bootstrap.ts).
// Each stack gets its own node name and cluster id so test files do not see each other's pods.
import { notSchedulableReason, startLocalGateway, type LocalGateway, type LocalGatewayOptions } from '../../demo/local-gateway.js';
import { CoreV1Api } from '@kubernetes/client-node';
import { useCluster, type ClusterHandle } from '../cluster/fixture.js';
import { eventually } from './wait.js';
import { testBootstrap } from './bootstrap.js';

export interface Stack extends LocalGateway {
  cluster: ClusterHandle;
  nodeName: string;
  clusterId: string;
}

export type StackOptions = Pick<LocalGatewayOptions, 'provider' | 'tenant' | 'agent' | 'startAgent' | 'declareWebSocket' | 'nodeIdentity' | 'relayLimits' | 'egress'>;

let seq = 0;

export async function startStack(o: StackOptions): Promise<Stack> {
  const cluster = await useCluster();
  const id = `${process.pid}-${++seq}`;
  const nodeName = `eci-vk-${id}`;
  const clusterId = `cluster-${id}`;
  const boot = await testBootstrap(cluster);
  const gw = await startLocalGateway({ ...o, declareWebSocket: o.declareWebSocket ?? false, kubeconfigPath: boot.kubeconfigPath, kubeletClientCaPem: cluster.pki.caCertPem, nodeName, clusterId });
  const closeGateway = gw.close.bind(gw);
  if (o.startAgent !== false) await schedulable(cluster, nodeName);
  return Object.assign(gw, {
    cluster,
    nodeName,
    clusterId,
    async close() {
      await closeGateway();
      await cluster.kubectl(['delete', 'node', nodeName, '--ignore-not-found']);
    },
  });
}

/**
 * Waits until the node is Ready and the node lifecycle controller has lifted the not-ready taint that
 * admission puts on every new Node, as a cluster operator would before sending work to a new node.
 */
export async function schedulable(cluster: ClusterHandle, nodeName: string): Promise<void> {
  const core = cluster.kc.makeApiClient(CoreV1Api);
  await eventually(`node ${nodeName} Ready and untainted`, async () => {
    const why = notSchedulableReason(await core.readNode({ name: nodeName }));
    if (why) throw new Error(why);
    return true;
  }, 60_000);
}

export { eventually };
