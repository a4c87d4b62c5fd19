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
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { registerStaticNode, type StaticNode } from '../../test/helpers/static-node.js';
import { issueCert, loadIssuer } from '../../common/pki.js';
import type { ClusterInfo } from '../../test/cluster/cluster.js';
import { stopChild } from '../gateway-processes.js';

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
  let node: StaticNode;
  try {
    node = await registerStaticNode(kc, { name: nodeName, port, namespace, labels: { 'kubernetes.io/hostname': nodeName, 'ecigw.io/bench-baseline': 'kubelet' }, declareWebSocket: o.declareWebSocket, heartbeatMs: 10_000 });
  } catch (e) {
    child.kill('SIGKILL');
    log.end();
    throw e;
  }

  return {
    nodeName,
    namespace,
    port,
    requests,
    addPod: (name) => node.createPod(name, [{ name: 'main' }]),
    async close() {
      await node.close();
      await stopChild(child);
      log.end();
      await kc.makeApiClient(CoreV1Api).deleteNode({ name: nodeName }).catch(() => undefined);
    },
  };
}
