// Pure construction of the virtual node: its object (labels, taints), and its status (capacity,
// conditions including the tunnel's, addresses, kubelet endpoint, node info). No I/O here.
import type { V1Node, V1NodeCondition, V1NodeStatus, V1Taint } from '@kubernetes/client-node';

export const TUNNEL_CONDITION = 'TunnelConnected';
export const DEFAULT_TAINT: V1Taint = { key: 'virtual-kubelet.io/provider', value: 'alibabacloud', effect: 'NoSchedule' };
/**
 * Burst pods are the overflow: a PreferNoSchedule taint that tolerating DEFAULT_TAINT (effect NoSchedule) does
 * not cover, so the scheduler's TaintToleration score puts the virtual node last while other nodes have room
 * (the default spreading and least-allocated scores alone would fill the empty virtual node first).
 */
const OVERFLOW_TAINT: V1Taint = { key: 'ecigw.io/overflow', value: 'true', effect: 'PreferNoSchedule' };
/** The taints a virtual node registers with unless configured otherwise. */
export const DEFAULT_TAINTS: V1Taint[] = [DEFAULT_TAINT, OVERFLOW_TAINT];

export interface NodeConfig {
  name: string;
  /** e.g. { cpu: '1000', memory: '4Ti', pods: '5000', 'ephemeral-storage': '10Ti', 'nvidia.com/gpu': '100' } */
  capacity: Record<string, string>;
  labels: Record<string, string>;
  taints: V1Taint[];
  /** Address the API server uses to reach the agent's kubelet API. */
  internalIP: string;
  hostname?: string;
  kubeletPort: number;
  region?: string;
  zone?: string;
  os: string;
  arch: string;
  agentVersion: string;
  /** Declare ExtendWebSocketsToKubelet so 1.36+ API servers proxy WebSockets to the kubelet API. */
  declareWebSocketStreaming: boolean;
}

export interface TunnelHealth {
  connected: boolean;
  reason: string;
  message: string;
  since: Date;
}

export function defaultNodeLabels(cfg: Pick<NodeConfig, 'name' | 'os' | 'arch' | 'region' | 'zone'>): Record<string, string> {
  const labels: Record<string, string> = {
    type: 'virtual-kubelet',
    'kubernetes.io/hostname': cfg.name,
    'kubernetes.io/os': cfg.os,
    'kubernetes.io/arch': cfg.arch,
    'beta.kubernetes.io/os': cfg.os,
    'beta.kubernetes.io/arch': cfg.arch,
    'node.kubernetes.io/instance-type': 'eci',
  };
  if (cfg.region) labels['topology.kubernetes.io/region'] = cfg.region;
  if (cfg.zone) labels['topology.kubernetes.io/zone'] = cfg.zone;
  return labels;
}

/** Labels of the kubernetes.io and k8s.io namespaces a node may set on itself (NodeRestriction's kubelet labels). */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

const inNamespace = (ns: string, domain: string) => ns === domain || ns.endsWith(`.${domain}`);

/**
 * The label keys a node identity may not set or change on its own Node (the NodeRestriction admission
 * plugin): node-restriction.kubernetes.io/*, and kubernetes.io / k8s.io labels other than the kubelet's own
 * (hostname, topology, instance type, os, arch, and the kubelet.kubernetes.io and node.kubernetes.io namespaces).
 */
export function forbiddenNodeLabels(keys: Iterable<string>): string[] {
  const out: string[] = [];
  for (const key of keys) {
    const i = key.indexOf('/');
    const ns = i > 0 ? key.slice(0, i) : '';
    if (inNamespace(ns, 'node-restriction.kubernetes.io')) out.push(key);
    else if ((inNamespace(ns, 'kubernetes.io') || inNamespace(ns, 'k8s.io')) && !KUBELET_LABELS.has(key) && !KUBELET_LABEL_NAMESPACES.some((d) => inNamespace(ns, d))) out.push(key);
  }
  return out.sort();
}

function platformLabels(cfg: Pick<NodeConfig, 'os' | 'arch'>): Record<string, string> {
  return { 'kubernetes.io/os': cfg.os, 'kubernetes.io/arch': cfg.arch, 'beta.kubernetes.io/os': cfg.os, 'beta.kubernetes.io/arch': cfg.arch };
}

export function buildNode(cfg: NodeConfig): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: cfg.name,
      // The os/arch labels always say what status.nodeInfo says (cfg.os/cfg.arch), whatever cfg.labels holds.
      labels: { ...defaultNodeLabels(cfg), ...cfg.labels, ...platformLabels(cfg) },
    },
    spec: { taints: cfg.taints },
  };
}

function condition(type: string, status: 'True' | 'False', reason: string, message: string, now: Date, previous?: V1NodeCondition[]): V1NodeCondition {
  const before = previous?.find((c) => c.type === type);
  const lastTransitionTime = before && before.status === status && before.lastTransitionTime ? before.lastTransitionTime : now;
  return { type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime };
}


/**
 * The node's status (allocatable: the capacity, or less under the relay's caps, capacity.ts). Ready stays True
 * while the agent runs, even with the tunnel down: burst pods keep running in the cloud, and a NotReady node
 * would make the node lifecycle controller evict them all. The tunnel's state is its own condition.
 */
export function buildNodeStatus(cfg: NodeConfig, tunnel: TunnelHealth, now: Date, previous?: V1NodeCondition[], allocatable: Record<string, string> = cfg.capacity): V1NodeStatus {
  const status: V1NodeStatus = {
    capacity: { ...cfg.capacity },
    allocatable: { ...allocatable },
    conditions: [
      condition('Ready', 'True', 'KubeletReady', 'virtual kubelet is ready', now, previous),
      condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'serverless: no memory pressure', now, previous),
      condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'serverless: no disk pressure', now, previous),
      condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'serverless: no PID pressure', now, previous),
      condition('NetworkUnavailable', 'False', 'RouteCreated', 'pods get VPC addresses from ECI', now, previous),
      condition(TUNNEL_CONDITION, tunnel.connected ? 'True' : 'False', tunnel.reason, tunnel.message, now, previous),
    ],
    addresses: [
      { type: 'InternalIP', address: cfg.internalIP },
      { type: 'Hostname', address: cfg.hostname ?? cfg.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: cfg.kubeletPort } },
    nodeInfo: {
      architecture: cfg.arch,
      operatingSystem: cfg.os,
      kubeletVersion: `v1.37.0-ecigw-${cfg.agentVersion}`,
      kubeProxyVersion: '',
      containerRuntimeVersion: `eci://${cfg.agentVersion}`,
      kernelVersion: '',
      osImage: 'Alibaba Cloud ECI (virtual)',
      machineID: '',
      systemUUID: '',
      bootID: '',
    },
  };
  if (cfg.declareWebSocketStreaming) status.declaredFeatures = ['ExtendWebSocketsToKubelet'];
  return status;
}
