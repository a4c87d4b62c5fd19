// Runs the real kube-proxy (built by build-kube-proxy.sh from k8s.io/kubernetes/cmd/kube-proxy) inside the
// network namespace of a test host (test/helpers/netns-host.ts) against the shared cluster, so that traffic a
// test sends from that host to a Service's ClusterIP is DNATed by kube-proxy's own rules, in that namespace
// only (nothing changes in this machine's own tables).
//
// The API server listens on this machine's 127.0.0.1, which the namespace cannot reach (its loopback is its
// own). The host's forward() relays <host address>:<apiserver port> in the namespace to 127.0.0.1:<apiserver
// port> here, and kube-proxy's kubeconfig points there with `localhost` as the TLS server name (a name in the
// API server's certificate). kube-proxy authenticates as system:kube-proxy, which the default RBAC binds to
// system:node-proxier. Needs root and the `nft` binary (nftables mode; .ci/run installs nftables).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ClusterHandle } from './fixture.js';
import { ensureKubeProxy } from './cluster.js';
import { adoptGroup } from './reaper.js';
import { stopProcessGroup } from './pids.js';
import type { NetnsHost } from '../helpers/netns-host.js';
import { eventually } from '../helpers/wait.js';

const execFileP = promisify(execFile);

export interface KubeProxy {
  /** The namespace kube-proxy programs (the host's). */
  netns: string;
  logPath: string;
  /** kube-proxy's ruleset in the namespace (`nft list ruleset`). */
  rules(): Promise<string>;
  /** Stops kube-proxy (SIGTERM, SIGKILL after 5 s); its rules go with the namespace. */
  close(): Promise<void>;
}

const HEALTHZ_PORT = 10256;
/**
 * The PATH kube-proxy and the rule listing run with: the system's directories only. Under npx and ava the
 * PATH starts with node_modules/.bin, where `nft` is @vercel/nft (a file tracer ava depends on), which
 * kube-proxy would otherwise run as nftables' nft, and which exits 0 doing nothing.
 */
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function healthz(address: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: address, port: HEALTHZ_PORT, path: '/healthz', agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/**
 * Starts kube-proxy in nftables mode on `host` as node `nodeName` (the Node it watches; its primary IP is the
 * host's address) and resolves once its health server reports its rules synced.
 */
export async function startKubeProxy(cluster: ClusterHandle, host: NetnsHost, o: { nodeName: string }): Promise<KubeProxy> {
  try {
    await execFileP('sh', ['-c', 'command -v nft'], { env: { ...process.env, PATH: SYSTEM_PATH } });
  } catch {
    throw new Error("kube-proxy's nftables mode needs `nft`: install the Debian package nftables (.ci/run does)");
  }
  const bin = cluster.bin.kubeProxy ?? (await ensureKubeProxy());
  const netns = host.name;
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-kube-proxy-'));
  const logPath = join(dir, 'kube-proxy.log');
  let child: ChildProcess | undefined;
  const close = async () => {
    await stopProcessGroup(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const apiserverPort = cluster.info.ports.apiserver;
    await host.forward(apiserverPort, apiserverPort);
    const user = await cluster.pki.issueClientCert('system:kube-proxy');
    writeFileSync(join(dir, 'kube-proxy.crt'), user.certPem);
    writeFileSync(join(dir, 'kube-proxy.key'), user.keyPem, { mode: 0o600 });
    const kubeconfig = join(dir, 'kube-proxy.kubeconfig');
    writeFileSync(kubeconfig, [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: local',
      '  cluster:',
      `    server: https://${host.address}:${apiserverPort}`,
      '    tls-server-name: localhost',
      `    certificate-authority: ${cluster.pki.caCertPath}`,
      'users:',
      '- name: kube-proxy',
      '  user:',
      `    client-certificate: ${join(dir, 'kube-proxy.crt')}`,
      `    client-key: ${join(dir, 'kube-proxy.key')}`,
      'contexts:',
      '- name: local',
      '  context: {cluster: local, user: kube-proxy}',
      'current-context: local',
      '',
    ].join('\n'), { mode: 0o600 });
    const out = openSync(logPath, 'a');
    // `ip netns exec` execs kube-proxy in place, so the child's pid (and process group) is kube-proxy's.
    child = spawn('ip', [
      'netns', 'exec', netns, bin,
      `--kubeconfig=${kubeconfig}`,
      `--hostname-override=${o.nodeName}`,
      '--proxy-mode=nftables',
      `--bind-address=${host.address}`,
      `--healthz-bind-address=${host.address}:${HEALTHZ_PORT}`,
      '--metrics-bind-address=127.0.0.1:10249',
      // Leave conntrack's sysctls alone: nf_conntrack_max is read-only outside the initial namespace.
      '--conntrack-max-per-core=0',
      '--conntrack-min=0',
      '--conntrack-tcp-timeout-established=0',
      '--conntrack-tcp-timeout-close-wait=0',
      '--oom-score-adj=0',
      // Rules follow Service and EndpointSlice changes at once (the flag serves the nftables mode too).
      '--iptables-min-sync-period=0s',
    ], { detached: true, stdio: ['ignore', out, out], env: { ...process.env, PATH: SYSTEM_PATH } });
    closeSync(out);
    adoptGroup(child); // dies with the test process even when it is SIGKILLed (test/cluster/reaper.ts)
    const proc = child;
    await eventually(`kube-proxy in ${netns} healthy (see ${logPath})`, async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`kube-proxy exited (${proc.exitCode ?? proc.signalCode}):\n${readFileSync(logPath, 'utf8').slice(-3000)}`);
      }
      return (await healthz(host.address)) === 200;
    }, 60_000, 250);
  } catch (e) {
    await close();
    throw e;
  }
  return {
    netns,
    logPath,
    async rules() {
      return (await execFileP('ip', ['netns', 'exec', netns, 'nft', 'list', 'ruleset'], { maxBuffer: 16 << 20, env: { ...process.env, PATH: SYSTEM_PATH } })).stdout;
    },
    close,
  };
}
