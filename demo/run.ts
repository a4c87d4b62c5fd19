// `npm run demo`: the burst story on one machine. Starts (or reuses, with --kubeconfig) a Kubernetes
// cluster, the ECI emulator (or real ECI with --eci-endpoint and credentials), the relay and the agent;
// a Deployment scales past what the datacenter node holds, the extra pods run on ECI, logs stream and an
// exec runs through the tunnel, then it scales back and the container groups are released.
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CoreV1Api, AppsV1Api, KubeConfig, setHeaderOptions, PatchStrategy, type V1Pod } from '@kubernetes/client-node';
import { LocalCluster, ensureBinaries } from '../test/cluster/cluster.js';
import { bootstrapCredential } from '../test/cluster/bootstrap-identity.js';
import { startEmulator, type EmulatorHandle } from '../cloud/eci-emulator/index.js';
import { createEciBackend } from '../cloud/eci/index.js';
import { notSchedulableReason, startLocalGateway } from './local-gateway.js';

const execFileP = promisify(execFile);

const HELP = `Usage: npm run demo -- [options]

Runs the burst story end to end on this machine and cleans up (unless --keep).

Options:
  --replicas <n>            burst size (default 8; the datacenter node holds 3)
  --keep                    leave everything running afterwards and print how to use it
  --kubeconfig <file>       use this cluster instead of starting a local one (its API server must reach
                            this machine's loopback kubelet API, and --kubelet-client-ca-file must be given)
  --kubelet-client-ca-file <file>  CA of that API server's kubelet client certificate
  --eci-endpoint <host>     real ECI (e.g. eci.cn-hangzhou.aliyuncs.com) instead of the embedded emulator
  --region <id>             ECI region (default cn-hangzhou)
  --vswitch <id>            vSwitch for real ECI
  --security-group <id>     security group for real ECI
  Credentials for real ECI come from ECI_ACCESS_KEY_ID / ECI_ACCESS_KEY_SECRET (never from flags).
  -h, --help                this text
`;

const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(1).padStart(6);
const say = (msg: string) => process.stdout.write(`[${secs()}s] ${msg}\n`);

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number, state?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${state ? ` (last seen: ${state()})` : ''}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

export async function main(argv: string[]): Promise<number> {
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: {
        replicas: { type: 'string', default: '8' },
        keep: { type: 'boolean' },
        kubeconfig: { type: 'string' },
        'kubelet-client-ca-file': { type: 'string' },
        'eci-endpoint': { type: 'string' },
        region: { type: 'string', default: 'cn-hangzhou' },
        vswitch: { type: 'string', default: 'vsw-demo' },
        'security-group': { type: 'string', default: 'sg-demo' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`demo: ${(e as Error).message}\n${HELP}`);
    return 2;
  }
  if (a.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const replicas = Number(a.replicas);
  const onPremCapacity = 3;
  if (!Number.isInteger(replicas) || replicas <= onPremCapacity || replicas > 500) {
    process.stderr.write(`demo: --replicas must be a whole number from ${onPremCapacity + 1} to 500 (more than the datacenter node holds)\n`);
    return 2;
  }
  if (a.kubeconfig && !a['kubelet-client-ca-file']) {
    process.stderr.write('demo: --kubeconfig needs --kubelet-client-ca-file (the CA of the API server\'s kubelet client certificate)\n');
    return 2;
  }
  const realEci = !!a['eci-endpoint'];
  if (realEci && (!process.env.ECI_ACCESS_KEY_ID || !process.env.ECI_ACCESS_KEY_SECRET)) {
    process.stderr.write('demo: real ECI needs ECI_ACCESS_KEY_ID and ECI_ACCESS_KEY_SECRET in the environment\n');
    return 2;
  }

  /** Undone in reverse order; each may be sync or async, and a failing one does not stop the rest. */
  const cleanups: (() => unknown)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve().then(c).catch(() => undefined);
  };
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    say('interrupted: cleaning up');
    void cleanup().then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    // 1. The cluster.
    let kubeconfigPath: string;
    let kubeletCaPem: string;
    let kubectl: string;
    if (a.kubeconfig) {
      kubeconfigPath = a.kubeconfig;
      kubeletCaPem = (await import('node:fs')).readFileSync(a['kubelet-client-ca-file'] as string, 'utf8');
      kubectl = 'kubectl';
      say(`using your cluster (${kubeconfigPath})`);
    } else {
      say('building/locating the local Kubernetes control plane (first run: ~10 min; cached afterwards)');
      const bin = await ensureBinaries();
      const dir = mkdtempSync(join(tmpdir(), 'ecigw-demo-'));
      const cluster = new LocalCluster();
      cleanups.push(async () => {
        await cluster.stop();
        rmSync(dir, { recursive: true, force: true });
      });
      const info = await cluster.start({ dir, bin });
      kubeconfigPath = info.kubeconfigPath;
      kubeletCaPem = (await import('node:fs')).readFileSync(info.pki.caCertPath, 'utf8');
      kubectl = bin.kubectl;
      say(`local cluster ready: etcd, kube-apiserver, kube-controller-manager, kube-scheduler (${info.server})`);
    }
    const k = async (...args: string[]) => (await execFileP(kubectl, [`--kubeconfig=${kubeconfigPath}`, ...args], { timeout: 60_000 })).stdout;

    // 2. ECI: the embedded emulator, or real ECI.
    let emulator: EmulatorHandle | undefined;
    let endpoint: string;
    let creds: { accessKeyId: string; accessKeySecret: string };
    if (realEci) {
      endpoint = a['eci-endpoint'] as string;
      creds = { accessKeyId: process.env.ECI_ACCESS_KEY_ID as string, accessKeySecret: process.env.ECI_ACCESS_KEY_SECRET as string };
      say(`using real ECI at ${endpoint} (${a.region})`);
    } else {
      emulator = await startEmulator({ runtime: 'process', regions: [a.region] });
      const emu = emulator;
      cleanups.push(() => emu.close());
      endpoint = emulator.endpoint;
      creds = { accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret };
      say(`ECI emulator listening on ${emulator.url} (containers run as local processes)`);
    }
    const backend = createEciBackend({
      connection: { endpoint, protocol: realEci ? 'https' : 'http' },
      credentials: () => creds,
      provider: { pollFastMs: 500, gcGraceMs: 30_000 },
      sessions: { logPollMs: 300 },
    });
    cleanups.push(() => backend.provider.close());

    // 3. Relay and agent. The agent gets a node identity as it does from the Helm chart: a bootstrap
    // ServiceAccount with the chart's rules files its CSR, the controller manager approves and signs it.
    const nodeName = 'eci-burst';
    const adminKc = new KubeConfig();
    adminKc.loadFromFile(kubeconfigPath);
    const bootDir = mkdtempSync(join(tmpdir(), 'ecigw-demo-bootstrap-'));
    cleanups.push(() => rmSync(bootDir, { recursive: true, force: true }));
    const boot = await bootstrapCredential(adminKc, { dir: bootDir });
    const gw = await startLocalGateway({
      kubeconfigPath: boot.kubeconfigPath,
      kubeletClientCaPem: kubeletCaPem,
      provider: backend.provider,
      nodeName,
      clusterId: 'demo-cluster',
      // A host name, not 127.0.0.1: grpc-js sends an IP target as the TLS SNI, which Node warns about (DEP0123).
      tunnelTarget: (port) => `localhost:${port}`,
      tenant: { region: a.region, vSwitchId: a.vswitch, securityGroupId: a['security-group'] },
    });
    cleanups.push(async () => {
      await gw.close();
      await k('delete', 'node', nodeName, '--ignore-not-found').catch(() => '');
    });
    say(`relay on 127.0.0.1:${gw.relay.port} (mTLS); agent registered virtual node "${nodeName}" and dialled out to it`);
    say(`the agent acts as system:node:${nodeName} (certificate from CSR ${gw.agent.identity?.requested[0]}, filed by ${boot.user})`);

    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);

    // 4. The datacenter node: full after 3 pods. (No container runtime here, so its pods stay Pending
    //    after binding; the point is where the scheduler puts them.)
    const onPrem = 'dc-node-1';
    await core.createNode({ body: { metadata: { name: onPrem, labels: { 'ecigw.io/demo': 'datacenter' } } } }).catch(() => undefined);
    cleanups.push(async () => void (await core.deleteNode({ name: onPrem }).catch(() => undefined)));
    const onPremStatus = async () => {
      const n = await core.readNode({ name: onPrem });
      const now = new Date();
      n.status = {
        capacity: { cpu: '4', memory: '8Gi', pods: String(onPremCapacity) },
        allocatable: { cpu: '4', memory: '8Gi', pods: String(onPremCapacity) },
        conditions: [{ type: 'Ready', status: 'True', reason: 'DemoNode', message: 'datacenter node (demo)', lastHeartbeatTime: now, lastTransitionTime: now }],
      };
      await core.replaceNodeStatus({ name: onPrem, body: n });
    };
    await until('datacenter node status', async () => (await onPremStatus(), true), 30_000);
    // Heartbeat it like a kubelet would, or the node lifecycle controller marks it unreachable after 40 s.
    const heartbeat = setInterval(() => void onPremStatus().catch(() => undefined), 10_000);
    cleanups.push(() => clearInterval(heartbeat));
    say(`datacenter node "${onPrem}" holds ${onPremCapacity} pods (a Node object only: this demo has no container runtime, so pods bound there stay Pending)`);
    // Admission puts node.kubernetes.io/not-ready on every new Node; the node lifecycle controller lifts
    // it once the node reports Ready. Until then the scheduler would place pods as if a node were missing.
    await until(
      'both nodes Ready and schedulable',
      async () => {
        for (const name of [onPrem, nodeName]) if (notSchedulableReason(await core.readNode({ name }))) return false;
        return true;
      },
      60_000,
    );

    const ns = 'burst-demo';
    await core.createNamespace({ body: { metadata: { name: ns } } }).catch(() => undefined);
    cleanups.push(async () => void (await core.deleteNamespace({ name: ns }).catch(() => undefined)));
    await until('default ServiceAccount in the demo namespace', async () => (await core.readNamespacedServiceAccount({ name: 'default', namespace: ns }), true), 30_000);
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              // Prefer the datacenter; tolerate the virtual node for the overflow.
              affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'ecigw.io/demo', operator: 'In', values: ['datacenter'] }] } }] } },
              tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
              containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }], resources: { requests: { cpu: '250m', memory: '512Mi' } } }],
            },
          },
        },
      },
    });
    const scale = (n: number) => apps.patchNamespacedDeploymentScale({ name: 'web', namespace: ns, body: { spec: { replicas: n } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));

    // 5. Burst.
    const burst = replicas - onPremCapacity;
    say(`scaling Deployment web to ${replicas}: ${onPremCapacity} fit in the datacenter, ${burst} burst to ECI`);
    const tBurst = Date.now();
    await scale(replicas);
    let last = '';
    const pods = await until(
      `${burst} burst pods Running`,
      async () => {
        const items = (await core.listNamespacedPod({ namespace: ns })).items;
        const onEci = items.filter((p) => p.spec?.nodeName === nodeName);
        last = items.map((p) => `${p.metadata?.name}@${p.spec?.nodeName ?? '-'}:${p.status?.phase}`).join(' ');
        return onEci.length === burst && onEci.every((p) => p.status?.phase === 'Running' && p.status.podIP) ? items : undefined;
      },
      300_000,
      () => last,
    );
    const burstSeconds = (Date.now() - tBurst) / 1000;
    say(`${burst} pods Running on ECI after ${burstSeconds.toFixed(1)}s:`);
    process.stdout.write(indent(await k('get', 'pods', '-n', ns, '-o', 'wide')));

    // 6. Logs and exec through the tunnel.
    const eciPod = pods.find((p: V1Pod) => p.spec?.nodeName === nodeName)?.metadata?.name as string;
    say(`kubectl exec ${eciPod} (through the tunnel)`);
    const ip = pods.find((p) => p.metadata?.name === eciPod)?.status?.podIP;
    process.stdout.write(indent(await k('exec', '-n', ns, eciPod, '--', 'sh', '-c', `echo "hello from the container at ${ip}"; echo "exit codes travel too"`)));
    say(`kubectl logs ${eciPod} --tail=3`);
    process.stdout.write(indent((await k('logs', '-n', ns, eciPod, '--tail=3')) || '(no output yet)\n'));

    // 7. Scale back; container groups are released.
    say('scaling back to 0: ECI container groups are released');
    const tBack = Date.now();
    await scale(0);
    await until('burst pods deleted', async () => (await core.listNamespacedPod({ namespace: ns })).items.filter((p) => p.spec?.nodeName === nodeName).length === 0, 180_000);
    if (emulator) {
      const emu = emulator;
      await until('container groups released', () => Promise.resolve(emu.admin.listGroups().length === 0), 60_000);
    }
    const backSeconds = (Date.now() - tBack) / 1000;
    const callers = backend.callers();
    const calls: Record<string, number> = {};
    for (const c of callers) for (const [action, n] of Object.entries(c.stats().attemptsByAction)) calls[action] = (calls[action] ?? 0) + n;
    const total = Object.values(calls).reduce((x, y) => x + y, 0);
    say(`released in ${backSeconds.toFixed(1)}s`);
    process.stdout.write(
      `\nSummary: burst of ${burst} pods Running on ECI in ${burstSeconds.toFixed(1)}s, released in ${backSeconds.toFixed(1)}s; ` +
        `${total} ECI calls (${Object.entries(calls).map(([x, n]) => `${x} ${n}`).join(', ')})\n`,
    );

    if (a.keep) {
      await scale(replicas);
      process.stdout.write(
        `\nEverything keeps running (web scaled back to ${replicas}). Explore with:\n` +
          `  export KUBECONFIG=${kubeconfigPath}\n  ${kubectl} get nodes; ${kubectl} get pods -n ${ns} -o wide\n` +
          (emulator ? `  ECI endpoint: ${emulator.url} (region ${a.region}), AccessKey ${emulator.accessKeyId} / ${emulator.accessKeySecret}, admin token ${emulator.adminToken}\n` : `  ECI endpoint: ${endpoint}\n`) +
          '  Stop with Ctrl-C (everything started here is cleaned up).\n',
      );
      await new Promise<void>(() => undefined);
    }
    return 0;
  } catch (e) {
    if (!interrupted) process.stderr.write(`demo failed: ${(e as Error).message}\n`);
    return 1;
  } finally {
    if (!interrupted) {
      say('cleaning up');
      await cleanup();
    }
  }
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => (l ? `    ${l}` : l))
    .join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
