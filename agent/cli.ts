// `gateway-agent`: the virtual kubelet process. Reads its configuration (defaults < file < env < flags),
// validates it (exit 2 naming the field), then obtains its node identity, runs leader election, the tunnel
// client, the node and pod controllers, the kubelet HTTPS API and the ops endpoint until SIGTERM, when it
// drains and exits.
import { readFileSync, existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { V1Taint } from '@kubernetes/client-node';
import { PooledKubeConfig } from './kube/pooled-kubeconfig.js';
import { loadConfig, helpText, checks, checkFileField, howToSet, ConfigError, type Field, type ConfigValues } from '../common/config.js';
import { CONFIG_ERROR_EXIT, cliRequest, failureLine } from '../common/cli.js';
import { newRegistry } from '../common/metrics.js';
import { startOpsServer } from '../common/ops-server.js';
import { logger } from '../common/log.js';
import { startTracing, tracingSettings } from '../common/tracing.js';
import { Agent, type NetworkOptions } from './agent.js';
import { BUILD_VERSION } from '../common/version.js';
import { DEFAULT_TAINTS, forbiddenNodeLabels, type NodeConfig } from './node/node-spec.js';
import { MIN_EXPIRATION_SECONDS } from './kube/node-identity/csr.js';
import { startKubeletServer } from './kubelet-api/server.js';
import { KUBELET_LIMIT_FIELDS, sessionLimitsFromConfig } from './kubelet-api/limit-fields.js';
import { TunnelKubeletBackend } from './tunnel/kubelet-backend.js';
import { DEFAULT_MAX_INTERACTIVE_SESSIONS } from './tunnel/session-slots.js';
import { DEFAULT_DELETION_COST, checkDeletionCost } from './pods/deletion-cost.js';

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** ECI runs Linux containers; its instance families are x86-64 (amd64) or ARM (arm64). */
const ECI_OS = 'linux';
const ECI_ARCHITECTURES = ['amd64', 'arm64'] as const;
/** Labels that must say what nodeInfo says: they follow node.arch, never node.labels. */
const PLATFORM_LABELS = ['kubernetes.io/arch', 'beta.kubernetes.io/arch', 'kubernetes.io/os', 'beta.kubernetes.io/os'];

export const AGENT_FIELDS: Field[] = [
  { path: 'clusterId', type: 'string', env: 'ECIGW_CLUSTER_ID', flag: 'cluster-id', required: true, describe: 'this cluster\'s id at the relay (tags every container group)', check: checks.dnsLabel },
  { path: 'agentId', type: 'string', env: 'ECIGW_AGENT_ID', flag: 'agent-id', default: hostname(), describe: 'agent identity in handshakes and logs' },
  { path: 'kubeconfig', type: 'string', env: 'KUBECONFIG', flag: 'kubeconfig', describe: 'bootstrap credential: files the node certificate\'s CSR, holds the leader Lease (kubeconfig file; empty = in-cluster service account); used for everything when nodeIdentity.enabled is false' },
  { path: 'nodeIdentity.enabled', type: 'boolean', env: 'ECIGW_NODE_IDENTITY', flag: 'node-identity', default: true, describe: 'obtain a node client certificate (CSR, signer kube-apiserver-client-kubelet) and do everything kubelet-like with it, confined by the Node authorizer and NodeRestriction' },
  { path: 'nodeIdentity.certDir', type: 'string', env: 'ECIGW_NODE_CERT_DIR', flag: 'node-cert-dir', describe: 'directory for the node key and certificate (files 0600, reused on restart while valid); empty = memory only, a new CSR on each start' },
  { path: 'nodeIdentity.expirationSeconds', type: 'number', env: 'ECIGW_NODE_CERT_EXPIRATION_SECONDS', flag: 'node-cert-expiration-seconds', default: 0, describe: 'requested certificate lifetime (CSR spec.expirationSeconds, at least 600; 0 = the signer\'s default); renewed at 70-90% of it', check: (n) => (n === 0 || (Number.isInteger(n) && (n as number) >= MIN_EXPIRATION_SECONDS && (n as number) <= 10 * 365 * 86400) ? undefined : `must be 0 (the signer's default) or whole seconds from ${MIN_EXPIRATION_SECONDS} to 315360000`) },
  { path: 'nodeIdentity.approvalReminderSeconds', type: 'number', env: 'ECIGW_NODE_CERT_APPROVAL_REMINDER_SECONDS', flag: 'node-cert-approval-reminder-seconds', default: 60, describe: 'while the CSR waits for approval, the log and a CertificatePending Event on the agent\'s Pod say so this often (with the kubectl certificate approve command)', check: (n) => (Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 86400 ? undefined : 'must be whole seconds from 1 to 86400') },
  { path: 'pod.name', type: 'string', env: 'POD_NAME', flag: 'pod-name', describe: 'the agent\'s own Pod (downward API), where agent Events such as CertificatePending go; empty = log only' },
  { path: 'pod.namespace', type: 'string', env: 'POD_NAMESPACE', flag: 'pod-namespace', describe: 'namespace of the agent\'s own Pod' },
  { path: 'pod.uid', type: 'string', env: 'POD_UID', flag: 'pod-uid', describe: 'uid of the agent\'s own Pod (so kubectl describe pod shows its Events)' },
  { path: 'relay.address', type: 'string', env: 'ECIGW_RELAY_ADDRESS', flag: 'relay-address', required: true, describe: 'relay host:port (dialled outbound)', check: checks.hostPort },
  { path: 'relay.caFile', type: 'string', env: 'ECIGW_RELAY_CA_FILE', flag: 'relay-ca-file', required: true, describe: 'CA bundle that signs the relay\'s serving certificate' },
  { path: 'relay.certFile', type: 'string', env: 'ECIGW_RELAY_CERT_FILE', flag: 'relay-cert-file', describe: 'agent client certificate (mTLS), re-read on reconnect' },
  { path: 'relay.keyFile', type: 'string', env: 'ECIGW_RELAY_KEY_FILE', flag: 'relay-key-file', describe: 'agent client key (mTLS)' },
  { path: 'relay.tokenFile', type: 'string', env: 'ECIGW_RELAY_TOKEN_FILE', flag: 'relay-token-file', describe: 'bearer token file (alternative to mTLS), re-read when it changes' },
  { path: 'relay.proxy', type: 'string', env: 'ECIGW_RELAY_PROXY', flag: 'relay-proxy', describe: 'HTTP CONNECT proxy URL (default: HTTPS_PROXY/NO_PROXY)' },
  { path: 'relay.dataConnections', type: 'boolean', env: 'ECIGW_RELAY_DATA_CONNECTIONS', flag: 'relay-data-connections', default: true, describe: 'take exec/attach/port-forward output on a TLS connection beside the tunnel when the relay offers one (its dataPort; dialled directly, never through relay.proxy)' },
  { path: 'relay.maxInteractiveSessions', type: 'number', env: 'ECIGW_RELAY_MAX_INTERACTIVE_SESSIONS', flag: 'relay-max-interactive-sessions', default: DEFAULT_MAX_INTERACTIVE_SESSIONS, describe: 'exec/attach/logs/port-forward sessions open on the tunnel at once (also at most 3/4 of the relay\'s streams, the rest kept for intents and the status watch)', check: (n) => (Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 10_000 ? undefined : 'must be a whole number from 1 to 10000') },
  { path: 'node.name', type: 'string', env: 'ECIGW_NODE_NAME', flag: 'node-name', default: 'eci-virtual-node', describe: 'virtual node name', check: checks.dnsLabel },
  { path: 'node.internalIP', type: 'string', env: 'POD_IP', flag: 'node-ip', default: '127.0.0.1', describe: 'address the API server uses for the kubelet API (the agent pod IP)' },
  { path: 'node.capacity', type: 'map', env: 'ECIGW_NODE_CAPACITY', flag: 'node-capacity', default: { cpu: '1000', memory: '4Ti', pods: '5000', 'ephemeral-storage': '10Ti' }, describe: 'capacity = allocatable, e.g. cpu=1000,memory=4Ti,pods=5000' },
  { path: 'node.labels', type: 'map', env: 'ECIGW_NODE_LABELS', flag: 'node-labels', default: {}, describe: 'extra node labels k=v,...' },
  { path: 'node.taints', type: 'json', env: 'ECIGW_NODE_TAINTS', flag: 'node-taints', default: DEFAULT_TAINTS, describe: 'node taints as a JSON list of {key,value,effect}; the default: burst pods tolerate virtual-kubelet.io/provider (NoSchedule), and ecigw.io/overflow (PreferNoSchedule) makes the scheduler fill other nodes first', check: checkTaints },
  { path: 'node.region', type: 'string', env: 'ECIGW_REGION', flag: 'region', describe: 'topology.kubernetes.io/region label (the tenant\'s ECI region)' },
  { path: 'node.zone', type: 'string', env: 'ECIGW_ZONE', flag: 'zone', describe: 'topology.kubernetes.io/zone label' },
  { path: 'node.arch', type: 'string', env: 'ECIGW_NODE_ARCH', flag: 'node-arch', default: 'amd64', describe: 'CPU architecture of the burst pods\' ECI instances, reported as status.nodeInfo.architecture and the kubernetes.io/arch label so the scheduler places only images that run there: amd64 (ECI\'s x86 instance types) or arm64 (only when every instance type the tenant uses is ARM, e.g. ecs.c8y.*)', check: checks.oneOf(...ECI_ARCHITECTURES) },
  { path: 'node.declareWebSocketStreaming', type: 'boolean', env: 'ECIGW_DECLARE_WEBSOCKET', flag: 'declare-websocket', default: true, describe: 'declare ExtendWebSocketsToKubelet in node status (1.36+ API servers)' },
  { path: 'kubelet.listen', type: 'string', env: 'ECIGW_KUBELET_LISTEN', flag: 'kubelet-listen', default: '0.0.0.0', describe: 'kubelet API bind address' },
  { path: 'kubelet.port', type: 'number', env: 'ECIGW_KUBELET_PORT', flag: 'kubelet-port', default: 10250, describe: 'kubelet API port', check: checks.port },
  { path: 'kubelet.certFile', type: 'string', env: 'ECIGW_KUBELET_CERT_FILE', flag: 'kubelet-cert-file', describe: 'kubelet API serving certificate (self-generated when empty)' },
  { path: 'kubelet.keyFile', type: 'string', env: 'ECIGW_KUBELET_KEY_FILE', flag: 'kubelet-key-file', describe: 'kubelet API serving key' },
  { path: 'kubelet.clientCaFile', type: 'string', env: 'ECIGW_KUBELET_CLIENT_CA_FILE', flag: 'kubelet-client-ca-file', default: `${SA_DIR}/ca.crt`, describe: 'CA of the API server\'s kubelet client certificate' },
  ...KUBELET_LIMIT_FIELDS,
  { path: 'leaderElection.enabled', type: 'boolean', env: 'ECIGW_LEADER_ELECT', flag: 'leader-elect', default: false, describe: 'elect one active replica with a Lease' },
  { path: 'leaderElection.namespace', type: 'string', env: 'POD_NAMESPACE', flag: 'leader-elect-namespace', default: 'default', describe: 'namespace of the leader Lease' },
  { path: 'leaderElection.name', type: 'string', env: 'ECIGW_LEADER_ELECT_NAME', flag: 'leader-elect-name', describe: 'leader Lease name (default: gateway-agent-<node name>)' },
  { path: 'leaderElection.identity', type: 'string', env: 'POD_NAME', flag: 'leader-elect-identity', default: hostname(), describe: 'this replica\'s identity' },
  { path: 'pods.workers', type: 'number', env: 'ECIGW_POD_WORKERS', flag: 'pod-workers', default: 64, describe: 'pods synced in parallel (each one waits on its TokenRequest and the relay)', check: (n) => (Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 512 ? undefined : 'must be a whole number from 1 to 512') },
  { path: 'pods.statusWorkers', type: 'number', env: 'ECIGW_STATUS_WORKERS', flag: 'status-workers', default: 32, describe: 'relay status updates written in parallel (per-pod order kept)', check: (n) => (Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 512 ? undefined : 'must be a whole number from 1 to 512') },
  { path: 'pods.pendingStatusDelayMs', type: 'number', env: 'ECIGW_PENDING_STATUS_DELAY_MS', flag: 'pending-status-delay-ms', default: 1000, describe: 'a Pending status is written this long after it arrives, newest wins (0 = at once)', check: (n) => (Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 60_000 ? undefined : 'must be a whole number of ms from 0 to 60000') },
  { path: 'scaleIn.burstPodsFirst', type: 'boolean', env: 'ECIGW_SCALE_IN_BURST_PODS_FIRST', flag: 'scale-in-burst-pods-first', default: true, describe: 'write controller.kubernetes.io/pod-deletion-cost (scaleIn.deletionCost) on every pod of the virtual node that has none, so a Deployment or HPA scaling in removes burst pods before datacenter pods (cost 0)' },
  { path: 'scaleIn.deletionCost', type: 'number', env: 'ECIGW_SCALE_IN_DELETION_COST', flag: 'scale-in-deletion-cost', default: DEFAULT_DELETION_COST, describe: 'the pod-deletion-cost burst pods get: lower is removed first; a value the pod already has (from its template) is kept', check: checkDeletionCost },
  { path: 'events.qps', type: 'number', env: 'ECIGW_EVENT_QPS', flag: 'event-qps', default: 50, describe: 'Events written per second at most, as the kubelet\'s --event-qps (0 = unlimited)', check: (n) => (typeof n === 'number' && n >= 0 && n <= 10_000 ? undefined : 'must be from 0 to 10000') },
  { path: 'events.burst', type: 'number', env: 'ECIGW_EVENT_BURST', flag: 'event-burst', default: 100, describe: 'Events written at once after a quiet period, as the kubelet\'s --event-burst', check: (n) => (Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 10_000 ? undefined : 'must be a whole number from 1 to 10000') },
  { path: 'network.mode', type: 'string', env: 'ECIGW_NETWORK_MODE', flag: 'network-mode', default: 'routed', describe: 'how burst pods are reached: routed (the datacenter reaches the VPC at L3 through a private line or VPN; pod IP = the ECI address) or tunnel (only the agent\'s outbound connection: Services reach burst pods through agent listeners it publishes as EndpointSlices; burst pods get no pod IP)', check: checks.oneOf('routed', 'tunnel') },
  { path: 'network.listen', type: 'string', env: 'ECIGW_NETWORK_LISTEN', flag: 'network-listen', default: '0.0.0.0', describe: 'tunnel mode: bind address of the Service listeners (one per burst pod and target port)' },
  { path: 'network.advertiseAddress', type: 'string', env: 'ECIGW_NETWORK_ADVERTISE_ADDRESS', flag: 'network-advertise-address', describe: 'tunnel mode: the address published in the EndpointSlices, where on-prem nodes reach the listeners (default node.internalIP, the agent pod IP); not loopback or link-local (the API server refuses those)' },
  { path: 'network.portRange', type: 'string', env: 'ECIGW_NETWORK_PORT_RANGE', flag: 'network-port-range', default: '20000-29999', describe: 'tunnel mode: listener ports, first-last inclusive (\'any\' = any free port the system gives)', check: (v) => (parsePortRange(String(v)) === null ? 'must be first-last with 1 <= first <= last <= 65535, or any' : undefined) },
  { path: 'network.maxConnections', type: 'number', env: 'ECIGW_NETWORK_MAX_CONNECTIONS', flag: 'network-max-connections', default: 1024, describe: 'tunnel mode: Service connections open at once (beyond it new ones are reset; the relay\'s maxServiceConnectionsPerAgent caps them too)', check: (n) => (Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 100_000 ? undefined : 'must be a whole number from 1 to 100000') },
  { path: 'ops.listen', type: 'string', env: 'ECIGW_OPS_LISTEN', flag: 'ops-listen', default: '0.0.0.0', describe: 'bind address of /healthz, /readyz, /metrics' },
  { path: 'ops.port', type: 'number', env: 'ECIGW_OPS_PORT', flag: 'ops-port', default: 9095, describe: 'port of /healthz, /readyz, /metrics', check: checks.port },
];

function checkTaints(v: unknown): string | undefined {
  if (!Array.isArray(v)) return 'must be a JSON list of {key, value, effect}';
  for (const [i, t] of v.entries()) {
    const ok = typeof t === 'object' && t !== null && typeof (t as V1Taint).key === 'string' && ['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes((t as V1Taint).effect);
    if (!ok) return `item ${i} must have a key and effect NoSchedule|PreferNoSchedule|NoExecute`;
  }
  return undefined;
}

const USAGE = 'Usage: gateway-agent [options]\n\nRuns the eci-hybrid-gateway virtual kubelet: a virtual node whose pods run on Alibaba Cloud ECI through an outbound tunnel to the relay.';

/** Cross-field validation the per-field checks cannot do. */
export function validateAgentConfig(v: ConfigValues): void {
  const cert = v['relay.certFile'];
  const key = v['relay.keyFile'];
  if (!!cert !== !!key) throw new ConfigError(cert ? 'relay.keyFile' : 'relay.certFile', 'relay.certFile and relay.keyFile go together (mTLS)');
  if (!cert && !v['relay.tokenFile']) throw new ConfigError('relay', 'no agent credential: set relay.certFile + relay.keyFile (mTLS) or relay.tokenFile (bearer token)');
  for (const f of ['relay.caFile', 'relay.certFile', 'relay.keyFile', 'relay.tokenFile', 'kubelet.certFile', 'kubelet.keyFile', 'kubelet.clientCaFile'] as const) {
    const p = v[f];
    if (typeof p === 'string' && p) checkFileField(AGENT_FIELDS, f, p);
  }
  if (!!v['kubelet.certFile'] !== !!v['kubelet.keyFile']) throw new ConfigError('kubelet.certFile', 'kubelet.certFile and kubelet.keyFile go together');
  const platform = Object.keys({ ...(v['node.labels'] as Record<string, string> | undefined) }).filter((k) => PLATFORM_LABELS.includes(k));
  if (platform.length > 0) throw new ConfigError('node.labels', `${platform.join(', ')} must say what the node reports in status.nodeInfo: remove it from node.labels and set node.arch (${howToSet(AGENT_FIELDS.find((f) => f.path === 'node.arch') as Field)}) instead`);
  if (v['network.mode'] === 'tunnel') {
    const net = networkFrom(v);
    const problem = net.mode === 'tunnel' ? advertiseProblem(net.advertiseAddress) : undefined;
    if (problem) {
      const field = v['network.advertiseAddress'] ? 'network.advertiseAddress' : 'node.internalIP';
      throw new ConfigError(field, `network.mode=tunnel publishes this address as every burst pod's endpoint, and ${problem}; set network.advertiseAddress (${howToSet(AGENT_FIELDS.find((f) => f.path === 'network.advertiseAddress') as Field)}) to the agent pod's IP`);
    }
  }
  if (v['nodeIdentity.enabled']) {
    const forbidden = forbiddenNodeLabels(Object.keys({ ...(v['node.labels'] as Record<string, string> | undefined) }));
    if (forbidden.length > 0) {
      throw new ConfigError('node.labels', `a node may not set ${forbidden.join(', ')} on itself (NodeRestriction allows only the kubelet's own kubernetes.io/k8s.io labels: hostname, topology, instance type, os, arch, node.kubernetes.io/* and kubelet.kubernetes.io/*); use a prefix of your own, e.g. example.com/${forbidden[0].split('/').pop()}`);
    }
  }
}

/** `first-last` as numbers; `any` as undefined (any free port); null when malformed. */
export function parsePortRange(v: string): { first: number; last: number } | undefined | null {
  if (v === 'any') return undefined;
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(v);
  if (!m) return null;
  const [first, last] = [Number(m[1]), Number(m[2])];
  return first >= 1 && first <= last && last <= 65535 ? { first, last } : null;
}

/** Why an address cannot be published in an EndpointSlice (the API server's own rules), or undefined. */
export function advertiseProblem(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return `${JSON.stringify(address)} is not an IP address`;
  if (family === 4 && (address.startsWith('127.') || address.startsWith('169.254.') || address === '0.0.0.0')) return `${address} is loopback, link-local or unspecified, which EndpointSlices may not hold`;
  if (family === 6 && (address === '::1' || address === '::' || /^fe[89ab]/i.test(address))) return `${address} is loopback, link-local or unspecified, which EndpointSlices may not hold`;
  return undefined;
}

/** The networking mode as the validated configuration describes it. */
export function networkFrom(v: ConfigValues): NetworkOptions {
  if (v['network.mode'] !== 'tunnel') return { mode: 'routed' };
  return {
    mode: 'tunnel',
    advertiseAddress: ((v['network.advertiseAddress'] as string | undefined) || (v['node.internalIP'] as string)).trim(),
    host: v['network.listen'] as string,
    portRange: parsePortRange(v['network.portRange'] as string) ?? undefined,
    maxConnections: v['network.maxConnections'] as number,
  };
}

/** The virtual node as the validated configuration describes it (what buildNode/buildNodeStatus report). */
export function nodeConfigFrom(v: ConfigValues): NodeConfig {
  const str = (k: string) => (v[k] as string | undefined) || undefined;
  return {
    name: v['node.name'] as string,
    capacity: v['node.capacity'] as Record<string, string>,
    labels: v['node.labels'] as Record<string, string>,
    taints: v['node.taints'] as V1Taint[],
    internalIP: v['node.internalIP'] as string,
    kubeletPort: v['kubelet.port'] as number,
    region: str('node.region'),
    zone: str('node.zone'),
    os: ECI_OS,
    arch: v['node.arch'] as string,
    agentVersion: BUILD_VERSION,
    declareWebSocketStreaming: v['node.declareWebSocketStreaming'] as boolean,
  };
}

/**
 * The bootstrap credential: the kubeconfig file, or the Pod's service account when none is set. Anything
 * that cannot work (unreadable or invalid file, no current cluster, not in a Pod) is a ConfigError.
 */
function loadKubeconfig(path: string | undefined, env: NodeJS.ProcessEnv): PooledKubeConfig {
  const kc = new PooledKubeConfig();
  const how = howToSet(AGENT_FIELDS.find((f) => f.path === 'kubeconfig') as Field);
  if (!path) {
    if (!env.KUBERNETES_SERVICE_HOST || !existsSync(join(SA_DIR, 'token'))) {
      throw new ConfigError('kubeconfig', `not set, and this is not a Kubernetes Pod (no KUBERNETES_SERVICE_HOST or ${SA_DIR}/token); set ${how} to a kubeconfig file`);
    }
    kc.loadFromCluster();
    return kc;
  }
  checkFileField(AGENT_FIELDS, 'kubeconfig', path);
  try {
    kc.loadFromFile(path);
  } catch (e) {
    kc.close();
    throw new ConfigError('kubeconfig', `${path} is not a valid kubeconfig: ${(e as Error).message.split('\n')[0]}; fix it or set ${how} to another file`);
  }
  if (!kc.getCurrentCluster()?.server) {
    kc.close();
    throw new ConfigError('kubeconfig', `${path} has no cluster with a server for its current context "${kc.getCurrentContext()}"; set current-context, or set ${how} to another file`);
  }
  return kc;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const request = cliRequest(argv);
  if (request === 'help') {
    process.stdout.write(helpText(USAGE, AGENT_FIELDS, 'ECIGW_AGENT_CONFIG'));
    return 0;
  }
  if (request === 'version') {
    process.stdout.write(`gateway-agent ${BUILD_VERSION}\n`);
    return 0;
  }
  let v: ConfigValues;
  let kc: PooledKubeConfig;
  try {
    const loaded = loadConfig(AGENT_FIELDS, { argv, env, configEnv: 'ECIGW_AGENT_CONFIG' });
    if (!loaded) throw new ConfigError('flags', 'unreadable command line (see --help)');
    v = loaded.values;
    validateAgentConfig(v);
    tracingSettings(env); // OTEL_* that this build cannot honour: exit 2 naming the variable
    kc = loadKubeconfig((v.kubeconfig as string | undefined) || undefined, env);
  } catch (e) {
    process.stderr.write(failureLine('gateway-agent', e));
    return CONFIG_ERROR_EXIT;
  }
  const str = (k: string) => (v[k] as string | undefined) || undefined;
  const log = logger('gateway-agent');
  // Off unless OTEL_TRACES_EXPORTER names an exporter; then spans go out as OTEL_* says (README "Tracing").
  const tracing = await startTracing('gateway-agent', { env, log });
  const node = nodeConfigFrom(v);
  const registry = newRegistry(true);
  const pod = str('pod.name') && str('pod.namespace') ? { name: str('pod.name') as string, namespace: str('pod.namespace') as string, uid: str('pod.uid') } : undefined;
  const agent = new Agent({
    kubeConfig: kc,
    nodeIdentity: v['nodeIdentity.enabled']
      ? {
          certDir: str('nodeIdentity.certDir'),
          expirationSeconds: (v['nodeIdentity.expirationSeconds'] as number) || undefined,
          approvalReminderMs: (v['nodeIdentity.approvalReminderSeconds'] as number) * 1000,
          pod,
        }
      : undefined,
    node,
    registry,
    podWorkers: v['pods.workers'] as number,
    statusWorkers: v['pods.statusWorkers'] as number,
    pendingStatusDelayMs: v['pods.pendingStatusDelayMs'] as number,
    deletionCost: v['scaleIn.burstPodsFirst'] ? (v['scaleIn.deletionCost'] as number) : null,
    events: { qps: v['events.qps'] as number, burst: v['events.burst'] as number },
    network: networkFrom(v),
    tunnel: {
      target: v['relay.address'] as string,
      tls: {
        ca: { file: v['relay.caFile'] as string },
        cert: str('relay.certFile') ? { file: str('relay.certFile') as string } : undefined,
        key: str('relay.keyFile') ? { file: str('relay.keyFile') as string } : undefined,
      },
      tokenFile: str('relay.tokenFile'),
      proxy: str('relay.proxy'),
      dataConnections: v['relay.dataConnections'] as boolean,
      maxInteractiveSessions: v['relay.maxInteractiveSessions'] as number,
      clusterId: v.clusterId as string,
      nodeNames: [node.name],
      agentId: v.agentId as string,
      version: BUILD_VERSION,
    },
    leaderElection: v['leaderElection.enabled']
      ? {
          namespace: v['leaderElection.namespace'] as string,
          name: str('leaderElection.name') ?? `gateway-agent-${node.name}`,
          identity: v['leaderElection.identity'] as string,
        }
      : undefined,
    extras: async ({ tunnel, pods, kubeConfig }) =>
      await startKubeletServer({
        host: v['kubelet.listen'] as string,
        port: node.kubeletPort,
        nodeName: node.name,
        addresses: [node.internalIP],
        tls: str('kubelet.certFile') ? { cert: readFileSync(str('kubelet.certFile') as string, 'utf8'), key: readFileSync(str('kubelet.keyFile') as string, 'utf8') } : undefined,
        clientCaPem: readFileSync(v['kubelet.clientCaFile'] as string, 'utf8'),
        limits: sessionLimitsFromConfig(v),
        // TokenReview and SubjectAccessReview go with the node identity, as the kubelet's do.
        kubeConfig,
        backend: new TunnelKubeletBackend(tunnel, pods, node.name),
        registry,
      }),
  });
  const ops = await startOpsServer({
    host: v['ops.listen'] as string,
    port: v['ops.port'] as number,
    registry,
    // Active: informer synced and tunnel connected; a standby is ready to take over (agent/readiness.ts).
    ready: () => agent.readiness(),
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: draining sessions');
    await agent.stop().catch(() => undefined);
    await ops.close();
    await tracing.shutdown();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  try {
    await agent.start();
  } catch (e) {
    // e.g. the node certificate's CSR was denied: say why and exit, as the kubelet does (the Pod restarts).
    log.error({ err: (e as Error).message }, 'gateway-agent could not start');
    await agent.stop().catch(() => undefined);
    await ops.close();
    await tracing.shutdown();
    return 1;
  }
  log.info({ node: node.name, relay: v['relay.address'], ops: ops.port }, 'gateway-agent running');
  return -1;
}
