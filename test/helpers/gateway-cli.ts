// What the relay and agent CLIs need to run as separate processes on loopback: a relay CA with a serving and
// an agent client certificate, the relay's tenant config, free ports, and each CLI's flags and environment.
// Writes files only; the callers (resilience tests, benches) own starting and stopping the processes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCa, issueCert } from '../../common/pki.js';
import { freePort } from './ports.js';

export interface GatewayCliOptions {
  /** Working directory for certs and config. */
  dir: string;
  kubeconfigPath: string;
  /** CA that signs the API server's kubelet client certificate (the cluster CA here). */
  clusterCaFile: string;
  eci: { endpoint: string; accessKeyId: string; accessKeySecret: string };
  nodeName: string;
  clusterId: string;
  /** Tenant name, also used in the vSwitch and security group ids. */
  tenant: string;
  maxPods: number;
  /** The tenant's ECI rates (its account quota), as in the relay config's `eciRates`. */
  eciRates?: Record<string, number | { perSecond: number; burst?: number }>;
  /** Give the relay a session data-connection port (`--data-port`). */
  dataConnections?: boolean;
}

export interface GatewayCli {
  relay: { args: string[]; env: NodeJS.ProcessEnv; healthUrl: string; opsPort: number };
  agent: { args: string[]; env: NodeJS.ProcessEnv; readyUrl: string; opsPort: number };
  kubeletPort: number;
}

export async function prepareGatewayCli(o: GatewayCliOptions): Promise<GatewayCli> {
  mkdirSync(o.dir, { recursive: true });
  const file = (name: string, content: string) => {
    const p = join(o.dir, name);
    writeFileSync(p, content, { mode: 0o600 });
    return p;
  };
  const ca = await createCa(`${o.tenant}-relay-ca`);
  const server = await issueCert(ca, { cn: 'relay', dns: ['localhost'], ips: ['127.0.0.1'], server: true });
  const agentId = `agent-${o.clusterId}`;
  const agentCert = await issueCert(ca, { cn: agentId, client: true });
  const caFile = file('relay-ca.crt', ca.certPem);
  const [relayPort, relayOps, kubeletPort, agentOps] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const config = file(
    'relay.yaml',
    [
      'tenants:',
      `  ${o.tenant}:`,
      '    region: cn-hangzhou',
      '    credentialsRef: "env:ECI"',
      `    vSwitchId: vsw-${o.tenant}`,
      `    securityGroupId: sg-${o.tenant}`,
      `    quotas: { maxPods: ${o.maxPods} }`,
      `    clusterIds: [${o.clusterId}]`,
      ...(o.eciRates ? [`    eciRates: ${JSON.stringify(o.eciRates)}`] : []),
      'certificateIdentities:',
      `  ${agentId}: ${o.tenant}`,
      '',
    ].join('\n'),
  );
  const logLevel = process.env.LOG_LEVEL ?? 'warn';
  return {
    relay: {
      args: [
        '--config', config,
        '--listen', '127.0.0.1', '--port', String(relayPort),
        ...(o.dataConnections ? ['--data-port', String(await freePort())] : []),
        '--tls-cert-file', file('relay.crt', server.certPem), '--tls-key-file', file('relay.key', server.keyPem), '--client-ca-file', caFile,
        '--eci-endpoint', o.eci.endpoint, '--eci-protocol', 'http',
        '--ops-listen', '127.0.0.1', '--ops-port', String(relayOps),
      ],
      env: { ECI_ACCESS_KEY_ID: o.eci.accessKeyId, ECI_ACCESS_KEY_SECRET: o.eci.accessKeySecret, LOG_LEVEL: logLevel },
      healthUrl: `http://127.0.0.1:${relayOps}/healthz`,
      opsPort: relayOps,
    },
    agent: {
      args: [
        '--cluster-id', o.clusterId, '--agent-id', agentId,
        '--kubeconfig', o.kubeconfigPath,
        '--relay-address', `127.0.0.1:${relayPort}`, '--relay-ca-file', caFile,
        '--relay-cert-file', file('agent.crt', agentCert.certPem), '--relay-key-file', file('agent.key', agentCert.keyPem),
        '--node-name', o.nodeName, '--node-ip', '127.0.0.1',
        '--kubelet-listen', '127.0.0.1', '--kubelet-port', String(kubeletPort), '--kubelet-client-ca-file', o.clusterCaFile,
        '--ops-listen', '127.0.0.1', '--ops-port', String(agentOps),
      ],
      env: { LOG_LEVEL: logLevel },
      readyUrl: `http://127.0.0.1:${agentOps}/readyz`,
      opsPort: agentOps,
    },
    kubeletPort,
  };
}
