// Bench baseline (issue #18): the kubelet's own streaming path behind a Node object, so that the same API
// server and the same kubectl reach it as reach our agent. Owns the `kube kubelet-streaming` process
// (test/cluster/kube/streaming.go: the kubelet's exec/port-forward handlers proxying to the upstream
// k8s.io/cri-streaming server, commands run as local processes, ports dialled on 127.0.0.1), its serving
// certificate from the cluster CA, the Node (InternalIP 127.0.0.1, kubeletEndpoint = its port, Ready,
// optionally declaring ExtendWebSocketsToKubelet, with a status heartbeat), a namespace and the pods bound to
// the node, marked Running through the status subresource (kubectl port-forward refuses other phases).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { issueCert, loadIssuer } from '../../common/pki.js';
import type { ClusterInfo } from '../../test/cluster/cluster.js';

/** One request the API server made to the baseline node, as the server logged it. */
export interface NodeRequest {
  kind: 'exec' | 'portforward';
  /** As the agent labels its sessions: spdy, websocket (exec v5) or websocket-spdy (port-forward tunnel). */
  transport: 'spdy' | 'websocket' | 'websocket-spdy';
  protocols: string;
}

export interface KubeletBaseline {
  nodeName: string;
  namespace: string;
  port: number;
  /** Every streaming request the node received so far, oldest first. */
  requests: NodeRequest[];
  /** Creates a pod bound to the node (one container `main`) and marks it Running with pod IP 127.0.0.1. */
  addPod(name: string): Promise<V1Pod>;
  close(): Promise<void>;
}

export interface KubeletBaselineOptions {
  info: ClusterInfo;
  dir: string;
  nodeName?: string;
  namespace?: string;
  /** Declare ExtendWebSocketsToKubelet in node status (as our agent does by default): the API server then passes WebSocket sessions through instead of translating them to SPDY. */
  declareWebSocket: boolean;
}

const REQUEST_LINE = /^kubelet-streaming: request kind=(\w+) transport=(\w+) protocols=(.*) path=/;

async function retryConflict<T>(f: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await f();
    } catch (e) {
      if (attempt >= 8 || (e as { code?: number }).code !== 409) throw e;
    }
  }
}

/** Starts the server; its request lines fill `requests`, the rest of its stderr (klog) goes to `log`. */
function startServer(bin: string, args: string[], log: WriteStream, requests: NodeRequest[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
    log.write(`${line}\n`);
    const m = REQUEST_LINE.exec(line);
    if (!m) return;
    const kind = m[1] as NodeRequest['kind'];
    const ws = m[2] === 'websocket';
    requests.push({ kind, transport: !ws ? 'spdy' : kind === 'portforward' ? 'websocket-spdy' : 'websocket', protocols: m[3] });
  });
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`kubelet-streaming exited (${code}) before listening`));
    child.once('exit', onExit);
    child.once('error', reject);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) => {
      child.off('exit', onExit);
      const port = Number(/listening .*:(\d+)$/.exec(line)?.[1]);
      if (!port) reject(new Error(`kubelet-streaming: unexpected first line ${JSON.stringify(line)}`));
      else resolve({ child, port });
    });
  });
}

export async function startKubeletBaseline(o: KubeletBaselineOptions): Promise<KubeletBaseline> {
  const nodeName = o.nodeName ?? 'kubelet-baseline';
  const namespace = o.namespace ?? 'kubelet-baseline';
  mkdirSync(o.dir, { recursive: true });
  const log = createWriteStream(join(o.dir, 'kubelet-streaming.log'));
  const { pki } = o.info;
  const ca = await loadIssuer(readFileSync(pki.caCertPath, 'utf8'), readFileSync(pki.caKeyPath, 'utf8'));
  const serving = await issueCert(ca, { cn: nodeName, dns: [nodeName], ips: ['127.0.0.1'], server: true });
  const cert = join(o.dir, 'kubelet.crt');
  const key = join(o.dir, 'kubelet.key');
  writeFileSync(cert, serving.certPem);
  writeFileSync(key, serving.keyPem, { mode: 0o600 });
  const requests: NodeRequest[] = [];
  // The API server's kubelet client certificate is signed by the cluster CA (test/cluster/cluster.ts).
  const { child, port } = await startServer(o.info.bin.kubeletStreaming, ['--listen=127.0.0.1:0', `--tls-cert-file=${cert}`, `--tls-private-key-file=${key}`, `--client-ca-file=${pki.caCertPath}`], log, requests);

  const kc = new KubeConfig();
  kc.loadFromFile(o.info.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  let heartbeat: NodeJS.Timeout | undefined;
  try {
    await core.deleteNode({ name: nodeName }).catch(() => undefined);
    await core.createNode({ body: { metadata: { name: nodeName, labels: { 'kubernetes.io/hostname': nodeName, 'ecigw.io/bench-baseline': 'kubelet' } } } });
    // A merge patch of status, repeated so that the node lifecycle controller keeps the node Ready.
    const setStatus = () => {
      const now = new Date();
      const status = {
        capacity: { cpu: '4', memory: '8Gi', pods: '110' },
        allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'bench baseline', lastHeartbeatTime: now, lastTransitionTime: now }],
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: nodeName }],
        daemonEndpoints: { kubeletEndpoint: { Port: port } },
        declaredFeatures: o.declareWebSocket ? ['ExtendWebSocketsToKubelet'] : null,
      };
      return core.patchNodeStatus({ name: nodeName, body: { status } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    };
    await setStatus();
    heartbeat = setInterval(() => void setStatus().catch(() => undefined), 10_000);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  } catch (e) {
    clearInterval(heartbeat);
    child.kill('SIGKILL');
    log.end();
    throw e;
  }

  return {
    nodeName,
    namespace,
    port,
    requests,
    async addPod(name) {
      const created = await core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name },
          spec: { nodeName, containers: [{ name: 'main', image: 'local' }], tolerations: [{ operator: 'Exists' }] },
        },
      });
      const now = new Date();
      created.status = {
        phase: 'Running',
        podIP: '127.0.0.1',
        hostIP: '127.0.0.1',
        startTime: now,
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
        containerStatuses: [{ name: 'main', image: 'local', imageID: 'local', ready: true, restartCount: 0, started: true, state: { running: { startedAt: now } } }],
      };
      return await retryConflict(() => core.replaceNamespacedPodStatus({ name, namespace, body: created }));
    },
    async close() {
      clearInterval(heartbeat);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      log.end();
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
      await core.deleteNode({ name: nodeName }).catch(() => undefined);
    },
  };
}
