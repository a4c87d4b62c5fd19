// A whole gateway on loopback: a relay (TLS, mTLS agent identity, one tenant) in front of a PodProvider,
// and an agent (virtual node + kubelet API served through the tunnel) for a given cluster. The agent runs
// as in production: it bootstraps a node client certificate with the given (bootstrap) kubeconfig and does
// everything kubelet-like with it. Used by the demo and by the end-to-end tests; production runs the same
// parts through gateway-relay/gateway-agent.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { V1Node } from '@kubernetes/client-node';
import { PooledKubeConfig } from '../agent/kube/pooled-kubeconfig.js';
import { createCa, issueCert } from '../common/pki.js';
import { parseRelayConfig } from '../cloud/relay/config.js';
import { startRelay, type RelayHandle } from '../cloud/relay/server.js';
import type { PodProvider, TenantConfig } from '../cloud/pod-provider/provider.js';
import { Agent, type AgentOptions } from '../agent/agent.js';
import { DEFAULT_TAINTS } from '../agent/node/node-spec.js';
import { startKubeletServer, type KubeletServer } from '../agent/kubelet-api/server.js';
import { TunnelKubeletBackend } from '../agent/tunnel/kubelet-backend.js';
import { BUILD_VERSION } from '../common/version.js';

/**
 * Why the scheduler would not place pods on `n` yet, or '' when it would: a new Node carries the
 * node.kubernetes.io/not-ready taint (admission) until the node lifecycle controller sees Ready=True.
 */
export function notSchedulableReason(n: V1Node): string {
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  const taints = (n.spec?.taints ?? []).filter((x) => x.key.startsWith('node.kubernetes.io/')).map((x) => x.key);
  return ready === 'True' && taints.length === 0 ? '' : `Ready=${ready} taints=[${taints.join(',')}]`;
}

export interface LocalGatewayOptions {
  /** The agents' bootstrap credential (files the node CSR, holds the leader Lease). */
  kubeconfigPath: string;
  /**
   * Node identity settings of every agent (each replica gets its own certificate; default: in memory).
   * `false` runs the agents with the kubeconfig for everything, as before node identities.
   */
  nodeIdentity?: AgentOptions['nodeIdentity'] | false;
  /** CA of the API server's kubelet client certificate. */
  kubeletClientCaPem: string;
  provider: PodProvider | ((tenant: TenantConfig) => PodProvider);
  nodeName: string;
  clusterId: string;
  tenant?: Partial<TenantConfig>;
  declareWebSocket?: boolean;
  agent?: Partial<AgentOptions>;
  startAgent?: boolean;
  /** The relay's `limits` section beside the gateway's own (e.g. a small maxMessageBytes). */
  relayLimits?: Record<string, number>;
  /** The relay takes session output on data connections beside the tunnel (its `dataPort`); default on. */
  relayDataConnections?: boolean;
  /** The relay's `readiness` section (e.g. `{ minAgents: 1 }` for a relay dedicated to this gateway). */
  relayReadiness?: { minAgents: number };
  /** Where agents dial the relay (default `127.0.0.1:<relay port>`); tests put a forwarder in between. */
  tunnelTarget?: (relayPort: number) => string;
  /**
   * Networking mode `tunnel`, outbound: the relay opens its egress listener and the tenant's burst pods get the
   * egress sidecar, run as `command` (the emulator's process runtime runs a command as is), resolving other
   * names with `upstreamDns`.
   */
  egress?: { command: string[]; upstreamDns: string[] };
}

export interface LocalGateway {
  relay: RelayHandle;
  /** The CA bundle that signs the relay's serving certificate (and the agents' client certificates). */
  relayCaFile: string;
  agent: Agent;
  kubeletPort: number;
  /** The kubelet API servers the agents started (their metrics show which transport the API server used). */
  kubeletServers: readonly KubeletServer[];
  /** Another agent replica for the same node and identity (leader-election tests). */
  newAgent(o?: Partial<AgentOptions>): Agent;
  restartRelay(): Promise<RelayHandle>;
  close(): Promise<void>;
}

async function freeLoopbackPort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export async function startLocalGateway(o: LocalGatewayOptions): Promise<LocalGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-gateway-'));
  const ca = await createCa('ecigw-relay-ca');
  const server = await issueCert(ca, { cn: 'relay', dns: ['localhost'], ips: ['127.0.0.1'], server: true });
  const agentId = `agent-${o.clusterId}`;
  const agentCert = await issueCert(ca, { cn: agentId, client: true });
  const file = (name: string, content: string) => {
    const p = join(dir, name);
    writeFileSync(p, content, { mode: 0o600 });
    return p;
  };
  const tls = { certFile: file('relay.crt', server.certPem), keyFile: file('relay.key', server.keyPem), clientCaFile: file('ca.crt', ca.certPem) };
  const agentCertFile = file('agent.crt', agentCert.certPem);
  const agentKeyFile = file('agent.key', agentCert.keyPem);
  const config = parseRelayConfig({
    tenants: {
      tenant: {
        region: 'cn-hangzhou',
        credentialsRef: 'env:ECI',
        vSwitchId: 'vsw-local',
        securityGroupId: 'sg-local',
        tags: {},
        quotas: { maxPods: 10000 },
        clusterIds: [o.clusterId],
        ...o.tenant,
      },
    },
    certificateIdentities: { [agentId]: { tenant: 'tenant', clusterIds: [o.clusterId] } },
    limits: { bookmarkIntervalMs: 1000, ...o.relayLimits },
    readiness: o.relayReadiness,
  });
  const data = o.relayDataConnections === false ? undefined : { port: 0 };
  const egress = o.egress ? { port: await freeLoopbackPort(), tokenKeyFile: file('egress.key', randomBytes(32).toString('base64')), caFile: tls.clientCaFile } : undefined;
  if (o.egress && egress) {
    config.tenants.tenant.egress = { relayAddress: `127.0.0.1:${egress.port}`, serverName: 'localhost', image: 'eci-hybrid-gateway/egress', command: o.egress.command, clusterDomain: 'cluster.local', upstreamDns: o.egress.upstreamDns };
  }
  let relay = await startRelay({ host: '127.0.0.1', tls, config, provider: o.provider, data, egress });
  const kc = new PooledKubeConfig();
  kc.loadFromFile(o.kubeconfigPath);
  const kubeletPort = await freeLoopbackPort();
  const agents: Agent[] = [];
  const kubeletServers: KubeletServer[] = [];
  const newAgent = (extra: Partial<AgentOptions> = {}) => {
    const a = new Agent({
      kubeConfig: kc,
      nodeIdentity: o.nodeIdentity === false ? undefined : { ...o.nodeIdentity },
      node: {
        name: o.nodeName,
        capacity: { cpu: '1000', memory: '4Ti', pods: '5000', 'ephemeral-storage': '10Ti' },
        labels: {},
        taints: DEFAULT_TAINTS,
        internalIP: '127.0.0.1',
        kubeletPort,
        os: 'linux',
        arch: 'amd64',
        agentVersion: BUILD_VERSION,
        declareWebSocketStreaming: o.declareWebSocket ?? true,
        region: config.tenants.tenant.region,
      },
      tunnel: {
        target: o.tunnelTarget?.(relay.port) ?? `127.0.0.1:${relay.port}`,
        tls: { ca: { file: tls.clientCaFile }, cert: { file: agentCertFile }, key: { file: agentKeyFile } },
        clusterId: o.clusterId,
        nodeNames: [o.nodeName],
        agentId,
        version: BUILD_VERSION,
        proxy: null,
        connectTimeoutMs: 3000,
        handshakeTimeoutMs: 3000,
        rpcTimeoutMs: 10_000,
        backoff: { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.2 },
      },
      // The kubelet API, served as in production: through the tunnel to the provider.
      extras: async ({ tunnel, pods, kubeConfig }) => {
        const server = await startKubeletServer({
          host: '127.0.0.1',
          port: kubeletPort,
          nodeName: o.nodeName,
          addresses: ['127.0.0.1'],
          clientCaPem: o.kubeletClientCaPem,
          kubeConfig,
          backend: new TunnelKubeletBackend(tunnel, pods, o.nodeName),
          // One registry per agent, as in production: the kubelet port's /metrics serves the agent's metrics.
          registry: extra.registry ?? o.agent?.registry,
        });
        kubeletServers.push(server);
        return server;
      },
      ...o.agent,
      ...extra,
    });
    agents.push(a);
    return a;
  };
  const agent = newAgent();
  if (o.startAgent !== false) await agent.start();
  return {
    get relay() {
      return relay;
    },
    agent,
    relayCaFile: tls.clientCaFile,
    kubeletPort,
    kubeletServers,
    newAgent,
    async restartRelay() {
      const port = relay.port;
      await relay.close();
      relay = await startRelay({ host: '127.0.0.1', port, tls, config, provider: o.provider, data, egress });
      return relay;
    },
    async close() {
      await Promise.all(agents.map((a) => a.stop().catch(() => undefined)));
      kc.close();
      await relay.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
