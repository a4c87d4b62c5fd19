// Shared tunnel test fixture: a throwaway PKI (relay CA, server cert for 127.0.0.1/localhost, agent
// client certs), a token file, three tenants (t3 with two clusters), the relay config as a file the
// relay watches, an in-memory provider, a running relay and a client factory.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, issueCert, type Issuer } from '../../../common/pki.js';
import { parseRelayConfig, type RelayConfig } from '../../../cloud/relay/config.js';
import { startRelay, type RelayHandle } from '../../../cloud/relay/server.js';
import { tokenDigest } from '../../../cloud/relay/auth.js';
import { MemoryProvider } from '../memory-provider.js';
import { TunnelClient, type TunnelClientOptions } from '../../../agent/tunnel/client.js';
import { eventually } from '../wait.js';

export interface Fixture {
  dir: string;
  ca: Issuer;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  config: RelayConfig;
  provider: MemoryProvider;
  relay: RelayHandle;
  /** Adds (tenant id or { tenant, clusterIds }) or revokes (null) tokens in the relay's token file; other tokens stay. */
  setTokens(tokens: Record<string, string | { tenant: string; clusterIds: string[] } | null>): void;
  /** The relay config file's content (JSON), as last written. */
  rawConfig: RawConfig;
  /** Rewrites the relay config file (the relay re-reads it on change). */
  writeConfig(mutate: (c: RawConfig) => void): void;
  /** Issues a client certificate (files) for `cn` from `issuer` (default: the relay CA). */
  clientCert(cn: string, o?: { issuer?: Issuer; notBefore?: Date; notAfter?: Date; uris?: string[] }): Promise<{ certFile: string; keyFile: string }>;
  client(o: Partial<TunnelClientOptions> & { target?: string }): TunnelClient;
  /** TLS options of a client that presents `cert` and trusts the relay CA. */
  tlsFor(cert: { certFile: string; keyFile: string }): TunnelClientOptions['tls'];
  /** A started client with a fresh certificate for `cn`, once it is connected. */
  connectedClient(cn: string, o?: Partial<TunnelClientOptions>): Promise<TunnelClient>;
  startRelay(): Promise<RelayHandle>;
  close(): Promise<void>;
}

interface RawConfig {
  tenants: Record<string, ReturnType<typeof tenant>>;
  certificateIdentities: Record<string, string | { tenant: string; clusterIds: string[] }>;
  tokenFile: string;
  limits: Record<string, number>;
}

const tenant = (id: string, ...clusters: string[]) => ({
  region: 'cn-hangzhou',
  credentialsRef: `secret/eci-${id}`,
  vSwitchId: `vsw-${id}`,
  securityGroupId: `sg-${id}`,
  tags: { tenant: id },
  quotas: { maxPods: 1000 },
  clusterIds: clusters,
});

export async function fixture(limits: Record<string, number> = {}, relayOpts: { host?: string; minPingIntervalMs?: number; now?: () => number; data?: { port: number; waitMs?: number; helloTimeoutMs?: number; maxPending?: number; maxPendingPerSource?: number } } = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-tunnel-'));
  const ca = await createCa('ecigw-relay-ca');
  const server = await issueCert(ca, { cn: 'relay', dns: ['localhost'], ips: ['127.0.0.1'], server: true });
  const caFile = join(dir, 'ca.pem');
  const serverCertFile = join(dir, 'server.pem');
  const serverKeyFile = join(dir, 'server-key.pem');
  writeFileSync(caFile, ca.certPem);
  writeFileSync(serverCertFile, server.certPem);
  writeFileSync(serverKeyFile, server.keyPem);
  const tokenFile = join(dir, 'tokens.json');
  writeFileSync(tokenFile, '{}');
  const rawConfig: RawConfig = {
    tenants: { t1: tenant('t1', 'c1'), t2: tenant('t2', 'c2'), t3: tenant('t3', 'c3a', 'c3b') },
    certificateIdentities: {
      'agent-1': 't1',
      'agent-2': 't2',
      'agent-3a': { tenant: 't3', clusterIds: ['c3a'] },
      'agent-3': { tenant: 't3', clusterIds: ['c3a', 'c3b'] },
      'spiffe://t1/agent': 't1',
      'spiffe://t2/agent': 't2',
    },
    tokenFile,
    // Tests connect many clients (and failing ones that retry fast) from 127.0.0.1: generous
    // pre-authentication limits unless a test sets its own.
    limits: {
      startTimeoutMs: 5_000,
      sendTimeoutMs: 10_000,
      bookmarkIntervalMs: 500,
      revalidateIntervalMs: 200,
      connectionsPerSecondPerSource: 1000,
      connectionBurstPerSource: 1000,
      authFailuresPerMinutePerSource: 100_000,
      authFailureBurstPerSource: 10_000,
      ...limits,
    },
  };
  const configFile = join(dir, 'relay.json');
  writeFileSync(configFile, JSON.stringify(rawConfig));
  const config = parseRelayConfig(rawConfig);
  const provider = new MemoryProvider({ orphanGraceMs: 0, logFollowIntervalMs: 20 });
  const relays: RelayHandle[] = [];
  const clients: TunnelClient[] = [];
  const start = async () => {
    // ECIGW_TEST_DATA_CONN=1 runs a suite with session data connections on (their *-data twins set it).
    const data = relayOpts.data ?? (process.env.ECIGW_TEST_DATA_CONN === '1' ? { port: 0 } : undefined);
    const r = await startRelay({ tls: { certFile: serverCertFile, keyFile: serverKeyFile, clientCaFile: caFile, refreshIntervalMs: 200 }, config, configFile, provider, ...relayOpts, data });
    relays.push(r);
    return r;
  };
  const relay = await start();
  let n = 0;
  const tokenMap: Record<string, unknown> = {};
  const clientCert: Fixture['clientCert'] = async (cn, o = {}) => {
    const c = await issueCert(o.issuer ?? ca, { cn, client: true, notBefore: o.notBefore, notAfter: o.notAfter, uris: o.uris });
    const certFile = join(dir, `client-${cn}-${++n}.pem`);
    const keyFile = join(dir, `client-${cn}-${n}-key.pem`);
    writeFileSync(certFile, c.certPem);
    writeFileSync(keyFile, c.keyPem);
    return { certFile, keyFile };
  };
  const client: Fixture['client'] = (o) => {
    const c = new TunnelClient({
      target: `127.0.0.1:${relay.port}`,
      tls: { ca: { file: caFile } },
      clusterId: 'c1',
      nodeNames: ['eci-node-1'],
      agentId: 'agent-1',
      version: '0.1.0',
      proxy: null,
      connectTimeoutMs: 3_000,
      handshakeTimeoutMs: 3_000,
      rpcTimeoutMs: 5_000,
      backoff: { initialMs: 50, maxMs: 500, factor: 2, jitter: 0.2 },
      ...o,
    });
    clients.push(c);
    return c;
  };
  const tlsFor: Fixture['tlsFor'] = (cert) => ({ ca: { file: caFile }, cert: { file: cert.certFile }, key: { file: cert.keyFile } });
  return {
    dir,
    ca,
    caFile,
    serverCertFile,
    serverKeyFile,
    config,
    provider,
    relay,
    startRelay: start,
    rawConfig,
    writeConfig: (mutate) => {
      mutate(rawConfig);
      replaceFile(configFile, JSON.stringify(rawConfig));
    },
    setTokens: (tokens) => {
      for (const [tok, t] of Object.entries(tokens)) {
        if (t === null) delete tokenMap[tokenDigest(tok)];
        else tokenMap[tokenDigest(tok)] = t;
      }
      replaceFile(tokenFile, JSON.stringify(tokenMap));
    },
    clientCert,
    client,
    tlsFor,
    connectedClient: async (cn, o = {}) => {
      const c = client({ ...o, tls: tlsFor(await clientCert(cn)) });
      c.start();
      await once(c, 'connected');
      return c;
    },
    close: async () => {
      await Promise.all(clients.map((c) => c.stop()));
      await Promise.all(relays.map((r) => r.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes a file the way a config-management tool should: a whole new file renamed into place. */
export function replaceFile(path: string, content: string): void {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

export function podIntent(uid: string, generation = 1, name = `pod-${uid.slice(0, 8)}`) {
  return {
    uid,
    generation,
    podJson: Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid }, spec: { containers: [{ name: 'main', image: 'busybox' }] } })),
  };
}

export function once<T>(emitter: { once(ev: string, cb: (v: T) => void): unknown }, ev: string, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${ev}`)), ms);
    emitter.once(ev, (v: T) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

/** Polls until cond() is true (bounded: throws naming `what` after `ms`). */
export async function until(cond: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  await eventually(what, cond, ms, 20);
}
