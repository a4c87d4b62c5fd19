// The whole burst path for end-to-end tests, on loopback: the shared real cluster, a relay (TLS, mTLS
// agent identity) in front of a PodProvider, and an agent (virtual node) connected to both.
// Each stack gets its own node name and cluster id so test files do not see each other's pods.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { createCa, issueCert } from '../../common/pki.js';
import { parseRelayConfig } from '../../cloud/relay/config.js';
import { startRelay, type RelayHandle } from '../../cloud/relay/server.js';
import type { PodProvider, TenantConfig } from '../../cloud/provider/provider.js';
import { Agent, type AgentOptions } from '../../agent/agent.js';
import { DEFAULT_TAINT } from '../../agent/node/node-spec.js';
import { useCluster, type ClusterHandle } from '../cluster/fixture.js';
import { freePort } from './ports.js';
import { startKubeletServer } from '../../agent/kubelet-api/server.js';
import { TunnelKubeletBackend } from '../../agent/tunnel-backend.js';

export interface Stack {
  cluster: ClusterHandle;
  nodeName: string;
  clusterId: string;
  relay: RelayHandle;
  agent: Agent;
  dir: string;
  /** Starts another agent replica (same node, same identity) e.g. for leader-election tests. */
  newAgent(o?: Partial<AgentOptions>): Agent;
  restartRelay(): Promise<RelayHandle>;
  close(): Promise<void>;
}

export interface StackOptions {
  provider: PodProvider | ((tenant: TenantConfig) => PodProvider);
  tenant?: Partial<TenantConfig>;
  agent?: Partial<AgentOptions>;
  startAgent?: boolean;
  /** Declare ExtendWebSocketsToKubelet (the API server then proxies WebSockets to the kubelet API). */
  declareWebSocket?: boolean;
}

let seq = 0;

export async function startStack(o: StackOptions): Promise<Stack> {
  const cluster = await useCluster();
  const id = `${process.pid}-${++seq}`;
  const nodeName = `eci-vk-${id}`;
  const clusterId = `cluster-${id}`;
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-stack-'));
  const ca = await createCa('ecigw-relay-ca');
  const server = await issueCert(ca, { cn: 'relay', dns: ['localhost'], ips: ['127.0.0.1'], server: true });
  const agentCert = await issueCert(ca, { cn: `agent-${id}`, client: true });
  const f = (name: string, content: string) => {
    const p = join(dir, name);
    writeFileSync(p, content, { mode: 0o600 });
    return p;
  };
  const tls = { certFile: f('relay.crt', server.certPem), keyFile: f('relay.key', server.keyPem), clientCaFile: f('ca.crt', ca.certPem) };
  const agentCertFile = f('agent.crt', agentCert.certPem);
  const agentKeyFile = f('agent.key', agentCert.keyPem);
  const config = parseRelayConfig({
    tenants: {
      tenant: {
        region: 'cn-hangzhou',
        credentialsRef: 'emulator',
        vSwitchId: 'vsw-test',
        securityGroupId: 'sg-test',
        tags: {},
        quotas: { maxPods: 10000 },
        clusterIds: [clusterId],
        ...o.tenant,
      },
    },
    certificateIdentities: { [`agent-${id}`]: 'tenant' },
    limits: { bookmarkIntervalMs: 1000 },
  });
  let relay = await startRelay({ tls, config, provider: o.provider });
  let relayPort = relay.port;
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  const agents: Agent[] = [];
  const kubeletPort = await freePort();
  const newAgent = (extra: Partial<AgentOptions> = {}) => {
    const a = new Agent({
      // The kubelet API, served as in production: through the tunnel to the provider.
      extras: async ({ tunnel, pods }) =>
        await startKubeletServer({
          host: '127.0.0.1',
          port: kubeletPort,
          nodeName,
          addresses: ['127.0.0.1'],
          clientCaPem: cluster.pki.caCertPem,
          kubeConfig: kc,
          backend: new TunnelKubeletBackend(tunnel, pods, nodeName),
        }),
      kubeConfig: kc,
      node: {
        name: nodeName,
        capacity: { cpu: '1000', memory: '4Ti', pods: '5000', 'ephemeral-storage': '10Ti' },
        labels: {},
        taints: [DEFAULT_TAINT],
        internalIP: '127.0.0.1',
        kubeletPort,
        os: 'linux',
        arch: 'amd64',
        agentVersion: '0.1.0',
        declareWebSocketStreaming: o.declareWebSocket ?? false,
        region: 'cn-hangzhou',
      },
      tunnel: {
        target: `127.0.0.1:${relayPort}`,
        tls: { ca: { file: tls.clientCaFile }, cert: { file: agentCertFile }, key: { file: agentKeyFile } },
        clusterId,
        nodeNames: [nodeName],
        agentId: `agent-${id}`,
        version: '0.1.0',
        proxy: null,
        connectTimeoutMs: 3000,
        handshakeTimeoutMs: 3000,
        rpcTimeoutMs: 10_000,
        backoff: { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.2 },
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
    cluster,
    nodeName,
    clusterId,
    get relay() {
      return relay;
    },
    agent,
    dir,
    newAgent,
    async restartRelay() {
      await relay.close();
      relay = await startRelay({ tls, config, provider: o.provider, port: relayPort });
      relayPort = relay.port;
      return relay;
    },
    async close() {
      await Promise.all(agents.map((a) => a.stop().catch(() => undefined)));
      await relay.close();
      await cluster.kubectl(['delete', 'node', nodeName, '--ignore-not-found']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` every 200 ms until it returns a truthy value or the bound passes (then throws with `what`). */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
