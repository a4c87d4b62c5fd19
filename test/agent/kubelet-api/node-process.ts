// Test helper process: our kubelet API server with a LocalBackend, in a process of its own, so a test can
// attack it and then check that this process (same pid) is still alive and serving. Driven over IPC by
// e2e-node.ts's startTestNodeProcess: it reports {port, pid}, adds pods, and returns its metrics text.
import { readFileSync } from 'node:fs';
import { KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { startKubeletServer, type KubeletServerOptions } from '../../../agent/kubelet-api/server.js';
import { LocalBackend } from './local-backend.js';

export interface NodeProcessArgs {
  nodeName: string;
  kubeconfigPath: string;
  clientCaPath: string;
  server?: Partial<Pick<KubeletServerOptions, 'limits' | 'streamCreationTimeoutMs' | 'output'>>;
}

export type ToNodeProcess = { type: 'addPod'; pod: V1Pod } | { type: 'metrics'; id: number };
export type FromNodeProcess =
  | { type: 'ready'; port: number; pid: number }
  | { type: 'podAdded'; name: string; pids: number[] }
  | { type: 'metrics'; id: number; text: string };

const args = JSON.parse(process.argv[2]) as NodeProcessArgs;
const send = (m: FromNodeProcess) => process.send?.(m);
const kc = new KubeConfig();
kc.loadFromFile(args.kubeconfigPath);
const backend = new LocalBackend(args.nodeName);
const server = await startKubeletServer({
  host: '127.0.0.1',
  port: 0,
  nodeName: args.nodeName,
  clientCaPem: readFileSync(args.clientCaPath, 'utf8'),
  kubeConfig: kc,
  backend,
  ...args.server,
});
process.on('message', (m: ToNodeProcess) => {
  if (m.type === 'addPod') {
    backend.addPod(m.pod);
    send({ type: 'podAdded', name: m.pod.metadata?.name ?? '', pids: backend.containerPids() });
  } else if (m.type === 'metrics') {
    void server.registry.metrics().then((text) => send({ type: 'metrics', id: m.id, text }));
  }
});
const stop = () => {
  backend.close();
  void server.close().finally(() => process.exit(0));
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
send({ type: 'ready', port: server.port, pid: process.pid });
