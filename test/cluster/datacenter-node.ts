// The datacenter node of the tests and the demo: the upstream virtual-kubelet (built by
// build-virtual-kubelet.sh) with its built-in `mock` provider, registered against a running cluster as an
// ordinary, untainted node whose capacity (cpu, memory, pods) the caller chooses. The scheduler places pods
// there as on any kubelet's node and the mock provider reports them Running at once, without containers:
// the stand-in for datacenter capacity on a machine without a container runtime. Owns the binary's
// process (reaped with this process, test/cluster/reaper.ts), its serving certificate and provider config,
// and the Node object (created with the caller's labels before the kubelet starts, deleted by close()).
// As upstream virtual-kubelet does, a deleted pod leaves the API only after its grace period (default 30 s;
// terminationGracePeriodSeconds: 0 makes scale-in immediate). The mock reports every pod at 5.6.7.8.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node';
import { createCa, issueCert } from '../../common/pki.js';
import { freePort } from '../helpers/ports.js';
import { eventually } from '../helpers/wait.js';
import { adoptGroup } from './reaper.js';
import { stopProcessGroup } from './pids.js';

const execFileP = promisify(execFile);

/** Set to "true" on every datacenter node, beside the caller's labels. */
export const DATACENTER_NODE_LABEL = 'ecigw.io/datacenter-node';

/** Where the node registers: a running cluster (a ClusterHandle or ClusterInfo fits). */
export interface DatacenterNodeCluster {
  /**
   * The kubeconfig virtual-kubelet acts with. It watches pods, Secrets, ConfigMaps and Services in every
   * namespace and writes its Node, Lease, pod status and Events: the test cluster's admin kubeconfig.
   */
  kubeconfigPath: string;
  /** `caCertPath`: the CA of the client certificate the API server presents to kubelets; the node's kubelet API requires it. */
  pki: { caCertPath: string };
}

export interface DatacenterNodeOptions {
  name: string;
  /** Added to the Node's labels (beside kubernetes.io/hostname, kubernetes.io/os and DATACENTER_NODE_LABEL). */
  labels?: Record<string, string>;
  /** Capacity and allocatable, as Kubernetes quantities: e.g. { cpu: '4', memory: '8Gi', pods: 3 }. */
  capacity: { cpu: string; memory: string; pods: number };
  /** The binary; default: build-virtual-kubelet.sh's (built first if need be: minutes when cold). */
  bin?: string;
  /** How long to wait for the Node to turn Ready and schedulable (default 60 s). */
  readyTimeoutMs?: number;
}

export interface DatacenterNode {
  name: string;
  /** The kubelet API's port (TLS; the Node reports InternalIP 127.0.0.1 and this port). */
  port: number;
  /** virtual-kubelet's own log. */
  logPath: string;
  /** Stops virtual-kubelet (SIGTERM, SIGKILL after 5 s) and deletes the Node object. Idempotent. */
  close(): Promise<void>;
}

/**
 * The cached virtual-kubelet binary's path, built first if needed (build-virtual-kubelet.sh; a cold build
 * takes minutes). `onStep` gets each line the script reports on stderr as it comes.
 */
export async function ensureVirtualKubelet(onStep?: (line: string) => void): Promise<string> {
  const script = new URL('./build-virtual-kubelet.sh', import.meta.url).pathname;
  try {
    const run = execFileP('bash', [script], { maxBuffer: 1 << 20, timeout: 45 * 60_000 });
    if (onStep) createInterface({ input: run.child.stderr as NodeJS.ReadableStream }).on('line', onStep);
    const { stdout } = await run;
    return stdout.trim().split('\n').pop() ?? '';
  } catch (e) {
    const err = e as { stderr?: string; code?: number };
    throw new Error(`test/cluster/build-virtual-kubelet.sh failed (exit ${err.code}): ${err.stderr?.slice(-2000) ?? String(e)}`);
  }
}

/** Why the node cannot take pods yet ('' once Ready without the lifecycle controller's taints). */
function notReady(n: V1Node): string {
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  const taints = (n.spec?.taints ?? []).map((x) => x.key);
  return ready === 'True' && taints.length === 0 && !n.spec?.unschedulable ? '' : `Ready=${ready} taints=[${taints.join(',')}]`;
}

/** Starts virtual-kubelet's mock provider as node `o.name`; resolves once the Node is Ready and schedulable. */
export async function startDatacenterNode(cluster: DatacenterNodeCluster, o: DatacenterNodeOptions): Promise<DatacenterNode> {
  const bin = o.bin ?? (await ensureVirtualKubelet());
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const { name } = o;
  const dir = mkdtempSync(join(tmpdir(), `ecigw-dc-node-${name}-`));
  const logPath = join(dir, 'virtual-kubelet.log');
  let child: ChildProcess | undefined;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await stopProcessGroup(child);
      await core.deleteNode({ name }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    })());
  let port = 0;
  try {
    port = await freePort();
    const metricsPort = await freePort();
    // The API server does not verify kubelet serving certificates (no --kubelet-certificate-authority), as
    // kubeadm sets it up; a CA of this node's own signs the one it serves.
    const ca = await createCa(`datacenter-node ${name} serving CA`);
    const serving = await issueCert(ca, { cn: name, server: true, ips: ['127.0.0.1'], dns: [name, 'localhost'] });
    writeFileSync(join(dir, 'serving.crt'), serving.certPem);
    writeFileSync(join(dir, 'serving.key'), serving.keyPem, { mode: 0o600 });
    // The mock provider's config: capacity per node name.
    const providerConfig = join(dir, 'mock.json');
    writeFileSync(providerConfig, JSON.stringify({ [name]: { cpu: o.capacity.cpu, memory: o.capacity.memory, pods: String(o.capacity.pods) } }));

    // A Node left by a run that died stays until replaced; ours is created with the caller's labels first
    // (virtual-kubelet only adds its own), so the scheduler never sees the node without them. virtual-kubelet
    // finds it and takes over its status.
    await core.deleteNode({ name }).catch(() => undefined);
    await eventually(`stale Node ${name} gone`, async () => core.readNode({ name }).then(() => false, (e: { code?: number }) => e.code === 404), 30_000);
    await core.createNode({
      body: { metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', [DATACENTER_NODE_LABEL]: 'true', ...o.labels } } },
    });

    const out = openSync(logPath, 'a');
    child = spawn(bin, [
      '--provider=mock',
      `--provider-config=${providerConfig}`,
      `--nodename=${name}`,
      `--kubeconfig=${cluster.kubeconfigPath}`,
      // Ordinary datacenter capacity: no virtual-kubelet.io/provider taint.
      '--disable-taint',
      `--metrics-addr=127.0.0.1:${metricsPort}`,
      '--startup-timeout=60s',
    ], {
      detached: true,
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        // The kubelet API: TLS on this port (every interface: the binary takes no address), client
        // certificates from the API server's kubelet client CA only, each request authorised by a
        // SubjectAccessReview as the kubelet's webhook authoriser does.
        KUBELET_PORT: String(port),
        APISERVER_CERT_LOCATION: join(dir, 'serving.crt'),
        APISERVER_KEY_LOCATION: join(dir, 'serving.key'),
        APISERVER_CA_CERT_LOCATION: cluster.pki.caCertPath,
        // The node's InternalIP, where the API server reaches the kubelet API.
        VKUBELET_POD_IP: '127.0.0.1',
      },
    });
    closeSync(out);
    adoptGroup(child); // dies with this process even when it is SIGKILLed (test/cluster/reaper.ts)
    const proc = child;
    let seen = 'not read yet';
    const outcome = await eventually(`datacenter node ${name} Ready and schedulable (see ${logPath})`, async () => {
      // virtual-kubelet exiting ends the wait at once.
      if (proc.exitCode !== null || proc.signalCode !== null) return 'exited';
      const n = await core.readNode({ name });
      seen = notReady(n);
      return seen === '' && n.status?.capacity?.pods === String(o.capacity.pods) && 'ready';
    }, o.readyTimeoutMs ?? 60_000, 250).catch((e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)} (last seen: ${seen})`);
    });
    if (outcome === 'exited') {
      throw new Error(`virtual-kubelet for ${name} exited (${proc.exitCode ?? proc.signalCode}):\n${readFileSync(logPath, 'utf8').slice(-3000)}`);
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { name, port, logPath, close };
}
