// The whole burst path for end-to-end tests, on loopback: the shared real cluster plus a local gateway
// (relay in front of a PodProvider, agent serving the virtual node and its kubelet API).
// Each stack gets its own node name and cluster id so test files do not see each other's pods.
import { startLocalGateway, type LocalGateway, type LocalGatewayOptions } from '../../demo/local-gateway.js';
import { useCluster, type ClusterHandle } from '../cluster/fixture.js';

export interface Stack extends LocalGateway {
  cluster: ClusterHandle;
  nodeName: string;
  clusterId: string;
}

export type StackOptions = Pick<LocalGatewayOptions, 'provider' | 'tenant' | 'agent' | 'startAgent' | 'declareWebSocket'>;

let seq = 0;

export async function startStack(o: StackOptions): Promise<Stack> {
  const cluster = await useCluster();
  const id = `${process.pid}-${++seq}`;
  const nodeName = `eci-vk-${id}`;
  const clusterId = `cluster-${id}`;
  const gw = await startLocalGateway({ ...o, declareWebSocket: o.declareWebSocket ?? false, kubeconfigPath: cluster.kubeconfigPath, kubeletClientCaPem: cluster.pki.caCertPem, nodeName, clusterId });
  const closeGateway = gw.close.bind(gw);
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

export { eventually } from './wait.js';
