// A real Kubernetes control plane on loopback: embedded etcd, kube-apiserver, kube-controller-manager and
// kube-scheduler from the binary test/cluster/build.sh builds. Owns the cluster's PKI, kubeconfigs, free
// ports and child processes (each in its own process group), and tears all of them down in stop().
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, openSync, closeSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { createCa, issueCert, createKeyPair, type Issuer, type KeyPairPem } from '../../common/pki.js';
import { freePort } from '../helpers/ports.js';
import { adoptGroup } from './reaper.js';
import { eventually } from '../helpers/wait.js';

const execFileP = promisify(execFile);

export interface ClusterBins {
  dir: string;
  kube: string;
  kubectl: string;
  helm: string;
  /** The kubelet's and CRI's upstream exec/port-forward server (test/cluster/kube/streaming.go), a bench baseline. */
  kubeletStreaming: string;
  metricsServer?: string;
  /** The upstream kube-proxy (test/cluster/build-kube-proxy.sh), for tests through a ClusterIP. */
  kubeProxy?: string;
}

/** Everything a test needs to reach the cluster; serialisable so test workers can share one cluster. */
export interface ClusterInfo {
  dir: string;
  server: string;
  kubeconfigPath: string;
  bin: ClusterBins;
  pki: {
    caCertPath: string;
    caKeyPath: string;
    kubeletClientCertPath: string;
    kubeletClientKeyPath: string;
    frontProxyCaCertPath: string;
    frontProxyCaKeyPath: string;
  };
  ports: { apiserver: number; etcdClient: number; etcdPeer: number };
  pids: number[];
}

export interface StartOptions {
  dir: string;
  bin: ClusterBins;
  /** Extra kube-apiserver flags (e.g. feature gates). */
  apiserverArgs?: string[];
  readyTimeoutMs?: number;
}

function writePem(dir: string, name: string, kp: KeyPairPem): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  writeFileSync(cert, kp.certPem);
  writeFileSync(key, kp.keyPem, { mode: 0o600 });
  return { cert, key };
}

function kubeconfig(server: string, caPath: string, user: { cert: string; key: string }, name: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: local',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${caPath}`,
    'users:',
    `- name: ${name}`,
    '  user:',
    `    client-certificate: ${user.cert}`,
    `    client-key: ${user.key}`,
    'contexts:',
    '- name: local',
    '  context:',
    '    cluster: local',
    `    user: ${name}`,
    'current-context: local',
    '',
  ].join('\n');
}

/** Runs one of test/cluster's build scripts; its last line of stdout (the path it built or found). */
async function runBuild(name: string, args: string[], onStep?: (line: string) => void): Promise<string> {
  const script = new URL(`./${name}`, import.meta.url).pathname;
  let stdout: string;
  try {
    const run = execFileP('bash', [script, ...args], { maxBuffer: 1 << 20, timeout: 45 * 60_000 });
    if (onStep) createInterface({ input: run.child.stderr as NodeJS.ReadableStream }).on('line', onStep);
    ({ stdout } = await run);
  } catch (e) {
    const err = e as { stderr?: string; code?: number };
    throw new Error(`test/cluster/${name} failed (exit ${err.code}): ${err.stderr?.slice(-2000) ?? String(e)}`);
  }
  return stdout.trim().split('\n').pop() ?? '';
}

/**
 * Resolves the cached binaries, building them first if needed (test/cluster/build.sh). `onStep` gets each
 * line build.sh reports on stderr as it comes (its steps: which component it builds, how long it took).
 * kube-proxy is not among them (ensureKubeProxy).
 */
export async function ensureBinaries(onStep?: (line: string) => void): Promise<ClusterBins> {
  const dir = await runBuild('build.sh', ['--with-metrics-server'], onStep);
  const bin: ClusterBins = { dir, kube: join(dir, 'kube'), kubectl: join(dir, 'kubectl'), helm: join(dir, 'helm'), kubeletStreaming: join(dir, 'kubelet-streaming') };
  if (existsSync(join(dir, 'metrics-server'))) bin.metricsServer = join(dir, 'metrics-server');
  return bin;
}

/**
 * The cached upstream kube-proxy binary's path, built first if needed (test/cluster/build-kube-proxy.sh; a cold
 * build takes minutes). The test run's cluster daemon resolves it up front, into ClusterBins.kubeProxy.
 */
export async function ensureKubeProxy(onStep?: (line: string) => void): Promise<string> {
  return await runBuild('build-kube-proxy.sh', [], onStep);
}

export class LocalCluster {
  readonly children: ChildProcess[] = [];
  info?: ClusterInfo;
  private ca?: Issuer;

  async start(o: StartOptions): Promise<ClusterInfo> {
    const { dir, bin } = o;
    const pkiDir = join(dir, 'pki');
    const logDir = join(dir, 'logs');
    mkdirSync(pkiDir, { recursive: true });
    mkdirSync(logDir, { recursive: true });
    const [apiserver, etcdClient, etcdPeer] = [await freePort(), await freePort(), await freePort()];
    const server = `https://127.0.0.1:${apiserver}`;

    // PKI: cluster CA, apiserver serving cert, SA signing keys, component and admin client certs,
    // the kubelet client cert the apiserver presents to kubelets, and the front-proxy pair for aggregation.
    const ca = (this.ca = await createCa('eci-hybrid-gateway-test-ca'));
    const caFiles = writePem(pkiDir, 'ca', ca);
    const fp = await createCa('front-proxy-ca');
    const fpFiles = writePem(pkiDir, 'front-proxy-ca', fp);
    const serving = writePem(pkiDir, 'apiserver', await issueCert(ca, {
      cn: 'kube-apiserver', server: true,
      ips: ['127.0.0.1', '10.96.0.1'],
      dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    }));
    const sa = await createKeyPair();
    writeFileSync(join(pkiDir, 'sa.key'), sa.privatePem, { mode: 0o600 });
    writeFileSync(join(pkiDir, 'sa.pub'), sa.publicPem);
    const admin = writePem(pkiDir, 'admin', await issueCert(ca, { cn: 'kubernetes-admin', orgs: ['system:masters'] }));
    const kcm = writePem(pkiDir, 'controller-manager', await issueCert(ca, { cn: 'system:kube-controller-manager' }));
    const sched = writePem(pkiDir, 'scheduler', await issueCert(ca, { cn: 'system:kube-scheduler' }));
    const kubeletClient = writePem(pkiDir, 'apiserver-kubelet-client', await issueCert(ca, { cn: 'kube-apiserver-kubelet-client' }));
    const proxyClient = writePem(pkiDir, 'front-proxy-client', await issueCert(fp, { cn: 'front-proxy-client' }));

    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfig(server, caFiles.cert, admin, 'admin'), { mode: 0o600 });
    const kcmKubeconfig = join(dir, 'controller-manager.kubeconfig');
    writeFileSync(kcmKubeconfig, kubeconfig(server, caFiles.cert, kcm, 'kcm'), { mode: 0o600 });
    const schedKubeconfig = join(dir, 'scheduler.kubeconfig');
    writeFileSync(schedKubeconfig, kubeconfig(server, caFiles.cert, sched, 'scheduler'), { mode: 0o600 });

    const run = (name: string, args: string[]) => {
      const out = openSync(join(logDir, `${name}.log`), 'a');
      const child = spawn(bin.kube, [name, ...args], { detached: true, stdio: ['ignore', out, out] });
      closeSync(out);
      // Dies with this process even when it is SIGKILLed and stop() never runs (test/cluster/reaper.ts).
      adoptGroup(child);
      this.children.push(child);
      return child;
    };

    run('etcd', [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-url=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-url=http://127.0.0.1:${etcdPeer}`,
    ]);
    run('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiserver}`,
      `--cert-dir=${pkiDir}`,
      `--tls-cert-file=${serving.cert}`,
      `--tls-private-key-file=${serving.key}`,
      `--client-ca-file=${caFiles.cert}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(pkiDir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(pkiDir, 'sa.key')}`,
      '--api-audiences=https://kubernetes.default.svc.cluster.local',
      '--authorization-mode=Node,RBAC',
      // As kubeadm does (it is off by default): a node identity may change only its own Node and the pods bound to it.
      '--enable-admission-plugins=NodeRestriction',
      '--service-cluster-ip-range=10.96.0.0/16',
      '--endpoint-reconciler-type=none',
      '--allow-privileged=true',
      `--kubelet-client-certificate=${kubeletClient.cert}`,
      `--kubelet-client-key=${kubeletClient.key}`,
      '--kubelet-preferred-address-types=InternalIP,Hostname',
      `--requestheader-client-ca-file=${fpFiles.cert}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-username-headers=X-Remote-User',
      `--proxy-client-cert-file=${proxyClient.cert}`,
      `--proxy-client-key-file=${proxyClient.key}`,
      // No aggregator routing: APIServices are reached through their Service (test/cluster/metrics-server.ts).
      '--enable-aggregator-routing=false',
      ...(o.apiserverArgs ?? []),
    ]);
    this.info = {
      dir,
      server,
      kubeconfigPath,
      bin,
      pki: {
        caCertPath: caFiles.cert,
        caKeyPath: caFiles.key,
        kubeletClientCertPath: kubeletClient.cert,
        kubeletClientKeyPath: kubeletClient.key,
        frontProxyCaCertPath: fpFiles.cert,
        frontProxyCaKeyPath: fpFiles.key,
      },
      ports: { apiserver, etcdClient, etcdPeer },
      pids: [],
    };
    await this.waitReady(server, admin, caFiles.cert, o.readyTimeoutMs ?? 90_000);

    run('kube-controller-manager', [
      `--kubeconfig=${kcmKubeconfig}`,
      `--authentication-kubeconfig=${kcmKubeconfig}`,
      `--authorization-kubeconfig=${kcmKubeconfig}`,
      '--bind-address=127.0.0.1',
      '--secure-port=0',
      '--leader-elect=false',
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${join(pkiDir, 'sa.key')}`,
      `--root-ca-file=${caFiles.cert}`,
      `--cluster-signing-cert-file=${caFiles.cert}`,
      `--cluster-signing-key-file=${caFiles.key}`,
      '--controllers=*,-nodeipam',
      '--horizontal-pod-autoscaler-sync-period=5s',
    ]);
    run('kube-scheduler', [
      `--kubeconfig=${schedKubeconfig}`,
      `--authentication-kubeconfig=${schedKubeconfig}`,
      `--authorization-kubeconfig=${schedKubeconfig}`,
      '--bind-address=127.0.0.1',
      '--secure-port=0',
      '--leader-elect=false',
    ]);
    this.info.pids = this.children.map((c) => c.pid ?? 0).filter((p) => p > 0);

    // As kubeadm does: let the apiserver's kubelet client use the kubelet API (exec, logs, port-forward).
    await this.kubectl(['create', 'clusterrolebinding', 'kube-apiserver-kubelet-client',
      '--clusterrole=system:kubelet-api-admin', '--user=kube-apiserver-kubelet-client']);
    // Pods can be created once the service-account controller has made the default ServiceAccount.
    await this.until(async () => (await this.kubectl(['get', 'serviceaccount', 'default', '-n', 'default'], true)).code === 0, 60_000, 'default ServiceAccount');
    return this.info;
  }

  /** Issues a client certificate signed by the cluster CA (a user for RBAC tests). */
  async issueClientCert(cn: string, orgs: string[] = []): Promise<KeyPairPem> {
    if (!this.ca) throw new Error('cluster not started');
    return await issueCert(this.ca, { cn, orgs });
  }

  async kubectl(args: string[], allowFail = false): Promise<{ stdout: string; stderr: string; code: number }> {
    if (!this.info) throw new Error('cluster not started');
    try {
      const r = await execFileP(this.info.bin.kubectl, [`--kubeconfig=${this.info.kubeconfigPath}`, ...args], { timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
      return { stdout: r.stdout, stderr: r.stderr, code: 0 };
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; code?: number };
      if (!allowFail) throw new Error(`kubectl ${args.join(' ')} failed: ${err.stderr || String(e)}`);
      return { stdout: err.stdout ?? '', stderr: err.stderr ?? '', code: typeof err.code === 'number' ? err.code : 1 };
    }
  }

  /** Polls `check` (eventually) until it holds; fails at once if one of the cluster's processes exits meanwhile. */
  private async until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    let onExit = (): void => undefined;
    const died = new Promise<never>((_, reject) => {
      onExit = () => {
        const c = this.children.find((x) => x.exitCode !== null || x.signalCode !== null);
        if (c) reject(new Error(`${c.spawnargs[1]} exited (${c.exitCode ?? c.signalCode}) while waiting for ${what}; see ${this.info?.dir}/logs`));
      };
    });
    for (const c of this.children) c.on('exit', onExit);
    try {
      onExit(); // one may have exited already
      await Promise.race([eventually(`${what} (see ${this.info?.dir}/logs)`, () => check().catch(() => false), timeoutMs, 250), died]);
    } finally {
      for (const c of this.children) c.off('exit', onExit);
    }
  }

  private async waitReady(server: string, admin: { cert: string; key: string }, caPath: string, timeoutMs: number): Promise<void> {
    const { readFileSync } = await import('node:fs');
    const dispatcher = new Agent({
      connect: { ca: readFileSync(caPath), cert: readFileSync(admin.cert), key: readFileSync(admin.key) },
    });
    try {
      await this.until(async () => {
        const r = await request(`${server}/readyz`, { dispatcher, headersTimeout: 2000, bodyTimeout: 2000 });
        await r.body.text();
        return r.statusCode === 200;
      }, timeoutMs, 'kube-apiserver /readyz');
    } finally {
      await dispatcher.close();
    }
  }

  /** Stops every process (SIGTERM to its group, SIGKILL after a grace period) and removes the directory. */
  async stop(opts: { keepDir?: boolean } = {}): Promise<void> {
    const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
    const signal = (c: ChildProcess, sig: NodeJS.Signals) => {
      try {
        if (c.pid) process.kill(-c.pid, sig);
      } catch {
        /* already gone */
      }
    };
    // Reverse start order: scheduler and KCM first, etcd last.
    for (const c of [...this.children].reverse()) signal(c, 'SIGTERM');
    // Up to 10 s to exit on SIGTERM; whatever is left then is killed.
    await eventually('the cluster processes to exit', () => !this.children.some(alive), 10_000, 100).catch(() => undefined);
    for (const c of this.children) if (alive(c)) signal(c, 'SIGKILL');
    await Promise.all(this.children.filter(alive).map((c) => new Promise((r) => c.once('exit', r))));
    if (!opts.keepDir && this.info) rmSync(this.info.dir, { recursive: true, force: true });
  }
}
