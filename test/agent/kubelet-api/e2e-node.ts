// Test helper: registers our kubelet API server with the real cluster as a Node (InternalIP 127.0.0.1,
// kubeletEndpoint = our port, optionally declaring ExtendWebSocketsToKubelet) and binds Running pods
// to it, whose containers run as local processes in a LocalBackend. The server runs in the test's
// process (startTestNode) or in a child process of its own (startTestNodeProcess, for attack tests).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { registerStaticNode, type StaticNode } from '../../helpers/static-node.js';
import type { ClusterHandle } from '../../cluster/fixture.js';
import { startKubeletServer, type KubeletServer } from '../../../agent/kubelet-api/server.js';
import { LocalBackend } from './local-backend.js';
import type { FromNodeProcess, NodeProcessArgs, ToNodeProcess } from './node-process.js';

export interface TestNode {
  name: string;
  namespace: string;
  backend: LocalBackend;
  server: KubeletServer;
  addPod(name: string, containers: V1Container[]): Promise<V1Pod>;
  close(): Promise<void>;
}

export interface TestNodeProcess {
  name: string;
  namespace: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** Whether the node process is still running (and has not exited or been signalled). */
  alive(): boolean;
  /** The value of one sample of the server's Prometheus metrics (0 when absent). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  addPod(name: string, containers: V1Container[]): Promise<V1Pod>;
  close(): Promise<void>;
}

/** The Node object (with a heartbeat) and a namespace for the node's pods. */
function registerNode(c: ClusterHandle, name: string, port: number, declareWebSockets: boolean): Promise<StaticNode> {
  return registerStaticNode(c.kc, { name, port, namespace: `${name}-ns`, labels: { 'kubelet-api-test': name }, declareWebSocket: declareWebSockets, heartbeatMs: 15_000 });
}

export async function startTestNode(c: ClusterHandle, name: string, declareWebSockets: boolean): Promise<TestNode> {
  const backend = new LocalBackend(name);
  const server = await startKubeletServer({ host: '127.0.0.1', port: 0, nodeName: name, clientCaPem: c.pki.caCertPem, kubeConfig: c.kc, backend });
  const reg = await registerNode(c, name, server.port, declareWebSockets);
  return {
    name,
    namespace: reg.namespace,
    backend,
    server,
    async addPod(podName, containers) {
      const running = await reg.createPod(podName, containers);
      backend.addPod(running);
      return running;
    },
    async close() {
      backend.close();
      await server.close();
      await reg.close();
    },
  };
}

/** Parses one sample out of Prometheus text exposition. */
export function sampleOf(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = new Map([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got.get(k) === v)) return Number(m[3]);
  }
  return 0;
}

/** Like startTestNode, with the kubelet API server and its LocalBackend in a child process. */
export async function startTestNodeProcess(c: ClusterHandle, name: string, declareWebSockets: boolean, server: NodeProcessArgs['server'] = {}): Promise<TestNodeProcess> {
  const args: NodeProcessArgs = { nodeName: name, kubeconfigPath: c.kubeconfigPath, clientCaPath: c.pki.caCertPath, server };
  const child = fork(fileURLToPath(new URL('./node-process.ts', import.meta.url)), [JSON.stringify(args)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  const next = <T extends FromNodeProcess['type']>(type: T, match: (m: Extract<FromNodeProcess, { type: T }>) => boolean = () => true) =>
    new Promise<Extract<FromNodeProcess, { type: T }>>((resolve, reject) => {
      const onMessage = (m: FromNodeProcess) => {
        if (m.type === type && match(m as Extract<FromNodeProcess, { type: T }>)) {
          child.off('message', onMessage);
          child.off('exit', onExit);
          resolve(m as Extract<FromNodeProcess, { type: T }>);
        }
      };
      const onExit = (code: number | null, signal: string | null) => {
        child.off('message', onMessage);
        reject(new Error(`node process ${name} exited (code ${code}, signal ${signal}) while waiting for ${type}`));
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const ready = await next('ready');
  const reg = await registerNode(c, name, ready.port, declareWebSockets);
  const send = (m: ToNodeProcess) => child.send(m);
  let ids = 0;
  // The containers' process groups, ended by close() even if the node process died without ending them.
  const containerGroups = new Set<number>();
  return {
    name,
    namespace: reg.namespace,
    port: ready.port,
    pid: ready.pid,
    child,
    alive: () => !exited && child.exitCode === null && child.signalCode === null,
    async metric(metricName, labels) {
      const id = ++ids;
      const reply = next('metrics', (m) => m.id === id);
      send({ type: 'metrics', id });
      return sampleOf((await reply).text, metricName, labels);
    },
    async addPod(podName, containers) {
      const running = await reg.createPod(podName, containers);
      const added = next('podAdded', (m) => m.name === podName);
      send({ type: 'addPod', pod: running });
      for (const pid of (await added).pids) containerGroups.add(pid);
      return running;
    },
    async close() {
      if (!exited) {
        const gone = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        await gone;
      }
      for (const pid of containerGroups) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      await reg.close();
    },
  };
}
