// The demo's story, run by demo/run.ts with stdout to the terminal and stderr (every component's JSON log)
// to the log file. Starts (or reuses, with --kubeconfig) a Kubernetes cluster, the ECI emulator (or real ECI
// with --eci-endpoint and credentials), the relay and the agent, and the datacenter node (the upstream
// virtual-kubelet's mock provider, test/cluster/datacenter-node.ts); a Deployment scales past what the
// datacenter node holds, the extra pods run on ECI, logs stream and an exec runs through the tunnel; as root
// with the emulator, the agent runs in networking mode `tunnel` and Service traffic goes both ways
// (demo/service-traffic.ts). Then it scales back to what the datacenter holds: the burst pods go first, the
// on-prem pods stay, and the container groups are released. When demo/run.ts
// goes away (its pipe on our stdin closes), the story cleans up as on Ctrl-C.
import { pathToFileURL } from 'node:url';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CoreV1Api, AppsV1Api, DiscoveryV1Api, KubeConfig, setHeaderOptions, PatchStrategy, type V1Pod } from '@kubernetes/client-node';
import { LocalCluster, ensureBinaries } from '../test/cluster/cluster.js';
import { bootstrapCredential } from '../test/cluster/bootstrap-identity.js';
import { ensureVirtualKubelet, startDatacenterNode } from '../test/cluster/datacenter-node.js';
import { createEciBackend } from '../cloud/eci/index.js';
import { DEFAULT_DELETION_COST } from '../agent/pods/deletion-cost.js';
import { notSchedulableReason, startLocalGateway } from './local-gateway.js';
import { LIFELINE_ENV, ON_PREM_CAPACITY, parseDemoArgs } from './options.js';
import { startEmulatorProcess, type EmulatorProcess } from './emulator-process.js';
import { heartbeat } from './progress.js';
import { showInbound, showOutbound, tunnelGatewayOptions, tunnelNetwork } from './service-traffic.js';

const execFileP = promisify(execFile);

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
  const a = parseDemoArgs(argv, process.env);
  if (a === 'help' || 'problem' in a) {
    process.stdout.write(a === 'help' ? 'run the demo with npm run demo (demo/run.ts)\n' : `demo: ${a.problem}\n`);
    return 2;
  }
  const replicas = a.replicas;
  const onPremCapacity = ON_PREM_CAPACITY;
  const realEci = !!a.eciEndpoint;

  /** Undone in reverse order; each may be sync or async, and a failing one does not stop the rest. */
  const cleanups: (() => unknown)[] = [];
  let cleaning: Promise<void> | undefined;
  /** Runs once, however many paths ask (a signal, the lifeline, the end of the story). */
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const c of cleanups.reverse()) await Promise.resolve().then(c).catch(() => undefined);
    })());
  // The terminal or the launcher's pipe may go away mid-story; that must not stop the cleanup.
  process.stdout.on('error', () => undefined);
  let interrupted = false;
  const onSignal = (why: string) => {
    if (interrupted) return;
    interrupted = true;
    say(`${why}: cleaning up`);
    void cleanup().then(() => process.exit(130));
  };
  process.on('SIGINT', () => onSignal('interrupted'));
  process.on('SIGTERM', () => onSignal('terminated'));
  if (process.env[LIFELINE_ENV] === '1') {
    process.stdin.on('close', () => onSignal('the demo process is gone'));
    process.stdin.resume();
  }

  try {
    // 1. The cluster.
    let kubeconfigPath: string;
    let kubeletCaPath: string;
    let kubectl: string;
    if (a.kubeconfig) {
      kubeconfigPath = a.kubeconfig;
      kubeletCaPath = a.kubeletClientCaFile as string;
      kubectl = 'kubectl';
      say(`using your cluster (${kubeconfigPath})`);
    } else {
      say('building/locating the local Kubernetes control plane (first run: ~10 min; cached afterwards)');
      const building = heartbeat(say, 'building the control plane from the official Go modules');
      const bin = await ensureBinaries((line) => building.step(`build: ${line.replace(/^test\/cluster: /, '')}`)).finally(() => building.stop());
      const dir = mkdtempSync(join(tmpdir(), 'ecigw-demo-'));
      const cluster = new LocalCluster();
      cleanups.push(async () => {
        await cluster.stop();
        rmSync(dir, { recursive: true, force: true });
      });
      const starting = heartbeat(say, 'starting etcd, kube-apiserver, kube-controller-manager and kube-scheduler');
      const info = await cluster.start({ dir, bin }).finally(() => starting.stop());
      kubeconfigPath = info.kubeconfigPath;
      kubeletCaPath = info.pki.caCertPath;
      kubectl = bin.kubectl;
      say(`local cluster ready: etcd, kube-apiserver, kube-controller-manager, kube-scheduler (${info.server})`);
    }
    const k = async (...args: string[]) => (await execFileP(kubectl, [`--kubeconfig=${kubeconfigPath}`, ...args], { timeout: 60_000 })).stdout;

    // 2. ECI: the embedded emulator, or real ECI.
    let emulator: EmulatorProcess | undefined;
    let endpoint: string;
    let creds: { accessKeyId: string; accessKeySecret: string };
    if (realEci) {
      endpoint = a.eciEndpoint as string;
      creds = { accessKeyId: process.env.ECI_ACCESS_KEY_ID as string, accessKeySecret: process.env.ECI_ACCESS_KEY_SECRET as string };
      say(`using real ECI at ${endpoint} (${a.region})`);
    } else {
      emulator = await startEmulatorProcess(a.region);
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
    // Networking mode: `tunnel` when a network-namespace host can be made for the agent to advertise, else `routed`.
    const net = await tunnelNetwork(realEci);
    const netHost = 'host' in net ? net.host : undefined;
    if (netHost) cleanups.push(() => netHost.close());

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
      kubeletClientCaPem: readFileSync(kubeletCaPath, 'utf8'),
      provider: backend.provider,
      nodeName,
      clusterId: 'demo-cluster',
      // A host name, not 127.0.0.1: grpc-js sends an IP target as the TLS SNI, which Node warns about (DEP0123).
      tunnelTarget: (port) => `localhost:${port}`,
      tenant: { region: a.region, vSwitchId: a.vswitch, securityGroupId: a.securityGroup },
      ...(netHost ? tunnelGatewayOptions(netHost) : {}),
    });
    cleanups.push(async () => {
      await gw.close();
      await k('delete', 'node', nodeName, '--ignore-not-found').catch(() => '');
    });
    say(`relay on 127.0.0.1:${gw.relay.port} (mTLS); agent registered virtual node "${nodeName}" and dialled out to it`);
    say(`the agent acts as system:node:${nodeName} (certificate from CSR ${gw.agent.identity?.requested[0]}, filed by ${boot.user})`);
    if (netHost) {
      say(`networking mode tunnel: burst pods get no pod IP; the agent advertises its listeners at ${netHost.address} (a host in a network namespace made for the demo) and burst pods get an egress sidecar`);
    }

    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const discovery = kc.makeApiClient(DiscoveryV1Api);

    // 4. The datacenter node: the upstream virtual-kubelet with its mock provider, full after 3 pods. The
    //    scheduler places pods there as on any node and the mock reports them Running without containers:
    //    the stand-in for datacenter capacity on a machine without a container runtime.
    const onPrem = 'dc-node-1';
    const vkBuilding = heartbeat(say, 'building virtual-kubelet (the datacenter node) from its Go module');
    const vkBin = await ensureVirtualKubelet((line) => vkBuilding.step(`build: ${line.replace(/^test\/cluster: /, '')}`)).finally(() => vkBuilding.stop());
    const dcNode = await startDatacenterNode(
      { kubeconfigPath, pki: { caCertPath: kubeletCaPath } },
      { name: onPrem, bin: vkBin, labels: { 'ecigw.io/demo': 'datacenter' }, capacity: { cpu: '4', memory: '8Gi', pods: onPremCapacity } },
    );
    cleanups.push(() => dcNode.close());
    say(`datacenter node "${onPrem}" holds ${onPremCapacity} pods: virtual-kubelet's mock provider, the stand-in for datacenter capacity on a machine without a container runtime (its pods go Running without containers, all at the mock's pod IP 5.6.7.8)`);
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
              containers: [
                {
                  name: 'web',
                  image: 'nginx',
                  ports: [{ containerPort: 80 }],
                  resources: { requests: { cpu: '250m', memory: '512Mi' } },
                  // HOSTNAME is the pod's name, as in a kubelet's pod (the emulator would give the group's name); its web image answers with it.
                  env: [{ name: 'HOSTNAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
                },
              ],
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
        const onDc = items.filter((p) => p.spec?.nodeName === onPrem);
        last = items.map((p) => `${p.metadata?.name}@${p.spec?.nodeName ?? '-'}:${p.status?.phase}`).join(' ');
        // In networking mode tunnel burst pods get no pod IP.
        const eciUp = onEci.length === burst && onEci.every((p) => p.status?.phase === 'Running' && (netHost || p.status.podIP));
        return eciUp && onDc.length === onPremCapacity && onDc.every((p) => p.status?.phase === 'Running') ? items : undefined;
      },
      300_000,
      () => last,
    );
    const burstSeconds = (Date.now() - tBurst) / 1000;
    say(`${burst} pods Running on ECI after ${burstSeconds.toFixed(1)}s, ${onPremCapacity} Running on the datacenter node "${onPrem}":`);
    process.stdout.write(indent(await k('get', 'pods', '-n', ns, '-o', 'wide')));

    // 6. Logs and exec through the tunnel.
    const eciPod = pods.find((p: V1Pod) => p.spec?.nodeName === nodeName)?.metadata?.name as string;
    say(`kubectl exec ${eciPod} (through the tunnel)`);
    const ip = pods.find((p) => p.metadata?.name === eciPod)?.status?.podIP;
    const where = ip ? `at ${ip}` : `of ${eciPod} (no pod IP in networking mode tunnel)`;
    process.stdout.write(indent(await k('exec', '-n', ns, eciPod, '--', 'sh', '-c', `echo "hello from the container ${where}"; echo "exit codes travel too"`)));
    say(`kubectl logs ${eciPod} --tail=3`);
    process.stdout.write(indent((await k('logs', '-n', ns, eciPod, '--tail=3')) || '(no output yet)\n'));

    // 7. Service traffic both ways through the tunnel (networking mode tunnel only).
    if (netHost) {
      const d = { core, discovery, ns, host: netHost, say, k, until, indent, defer: (undo: () => unknown) => void cleanups.push(undo) };
      await showInbound(d, burst);
      await showOutbound(d, eciPod);
    } else if ('skip' in net) {
      say(`skipping the Service-traffic part (networking mode tunnel; the agent runs in mode routed): ${net.skip}`);
    }

    // 8. Scale back to what the datacenter holds: the burst pods go first (the agent marks them with a
    // pod-deletion-cost), the on-prem pods stay, and the container groups are released.
    const onPremPods = pods.filter((p) => p.spec?.nodeName === onPrem).map((p) => p.metadata?.name ?? '').sort();
    say(`scaling back to ${onPremCapacity}: the burst pods go first (pod-deletion-cost ${DEFAULT_DELETION_COST} on each), ECI container groups are released`);
    const tBack = Date.now();
    await scale(onPremCapacity);
    await until('burst pods deleted', async () => (await core.listNamespacedPod({ namespace: ns })).items.filter((p) => p.spec?.nodeName === nodeName).length === 0, 180_000);
    const kept = (await core.listNamespacedPod({ namespace: ns })).items.map((p) => p.metadata?.name ?? '').sort();
    const same = kept.join() === onPremPods.join();
    say(`${same ? `the ${onPremCapacity} on-prem pods stayed` : `the pods left are not the on-prem ones`}: ${kept.join(', ')}`);
    if (!same) throw new Error(`scale-in removed on-prem pods: left ${kept.join(', ')}, on-prem were ${onPremPods.join(', ')}`);
    if (emulator) {
      const emu = emulator;
      await until('container groups released', async () => (await emu.groupCount()) === 0, 60_000);
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
    // On stdout with the story: stderr is the log file.
    if (!interrupted) say(`demo failed: ${(e as Error).message}`);
    return interrupted ? 130 : 1;
  } finally {
    if (!interrupted) say('cleaning up');
    await cleanup();
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
