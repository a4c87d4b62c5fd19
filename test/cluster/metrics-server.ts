// Runs the real metrics-server (built by build.sh from sigs.k8s.io/metrics-server) as a local process against
// the shared cluster and registers it with the API server's aggregation layer, so `kubectl top` works.
//
// The aggregator reaches an APIService through a Service. Endpoints may not point at loopback addresses, so
// the Service is an ExternalName one naming `localhost` and the API server (started without aggregator
// routing) dials https://localhost:<port>, as the upstream manifest does with insecureSkipTLSVerify.
// metrics-server scrapes every node's kubelet at its InternalIP and the port the node reports.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { ApiregistrationV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { ClusterHandle } from './fixture.js';
import { freePort } from '../helpers/ports.js';
import { eventually } from '../helpers/wait.js';
import { adoptGroup } from './reaper.js';

export const METRICS_API_SERVICE = 'v1beta1.metrics.k8s.io';
const SERVICE = { namespace: 'kube-system', name: 'metrics-server' };

export interface MetricsServer {
  port: number;
  logPath: string;
  /** Unregisters the APIService first (so the API server never routes to a dead backend), then stops. */
  close(): Promise<void>;
}

function readyz(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', rejectUnauthorized: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export async function startMetricsServer(cluster: ClusterHandle, o: { resolutionSeconds?: number } = {}): Promise<MetricsServer> {
  const bin = cluster.bin.metricsServer;
  if (!bin) throw new Error('metrics-server was not built: run `bash test/cluster/build.sh --with-metrics-server`');
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-metrics-server-'));
  const port = await freePort();
  const logPath = join(dir, 'metrics-server.log');
  const out = openSync(logPath, 'a');
  const child: ChildProcess = spawn(
    bin,
    [
      `--secure-port=${port}`,
      '--bind-address=127.0.0.1',
      `--cert-dir=${dir}`,
      `--kubeconfig=${cluster.kubeconfigPath}`,
      `--authentication-kubeconfig=${cluster.kubeconfigPath}`,
      `--authorization-kubeconfig=${cluster.kubeconfigPath}`,
      '--kubelet-preferred-address-types=InternalIP',
      '--kubelet-use-node-status-port',
      // The virtual kubelets serve self-issued certificates, as kubelets without a signed serving cert do.
      '--kubelet-insecure-tls',
      `--metric-resolution=${o.resolutionSeconds ?? 10}s`,
      '--kubelet-request-timeout=5s',
    ],
    { detached: true, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  adoptGroup(child); // dies with the test process even when it is SIGKILLed (test/cluster/reaper.ts)
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
  };

  const core = cluster.kc.makeApiClient(CoreV1Api);
  const apireg = cluster.kc.makeApiClient(ApiregistrationV1Api);
  const unregister = async () => {
    await apireg.deleteAPIService({ name: METRICS_API_SERVICE }).catch(() => undefined);
    await core.deleteNamespacedService(SERVICE).catch(() => undefined);
  };
  try {
    await eventually(
      'metrics-server /readyz',
      async () => {
        if (child.exitCode !== null) throw new Error(`metrics-server exited with ${child.exitCode}: ${readFileSync(logPath, 'utf8').slice(-2000)}`);
        return (await readyz(port)) === 200;
      },
      60_000,
      250,
    );
    await unregister();
    await core.createNamespacedService({
      namespace: SERVICE.namespace,
      body: { metadata: { name: SERVICE.name }, spec: { type: 'ExternalName', externalName: 'localhost', ports: [{ name: 'https', port }] } },
    });
    await apireg.createAPIService({
      body: {
        metadata: { name: METRICS_API_SERVICE },
        spec: {
          group: 'metrics.k8s.io',
          version: 'v1beta1',
          service: { ...SERVICE, port },
          insecureSkipTLSVerify: true,
          groupPriorityMinimum: 100,
          versionPriority: 100,
        },
      },
    });
    await eventually(
      'APIService v1beta1.metrics.k8s.io Available',
      async () => {
        const s = await apireg.readAPIService({ name: METRICS_API_SERVICE });
        const c = s.status?.conditions?.find((x) => x.type === 'Available');
        if (c?.status === 'True') return true;
        throw new Error(`${c?.reason ?? 'no condition'}: ${c?.message ?? ''}`);
      },
      60_000,
    );
  } catch (e) {
    await unregister();
    await stop();
    throw e;
  }
  return {
    port,
    logPath,
    async close() {
      await unregister();
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
