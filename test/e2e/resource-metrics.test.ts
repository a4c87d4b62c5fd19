// Resource metrics of burst pods, used as on ordinary nodes: `kubectl top` and a HorizontalPodAutoscaler.
// The path: kube-apiserver's aggregation layer (kubectl, or the HPA controller in kube-controller-manager) →
// the real metrics-server (built from its Go module) → the agent's /metrics/resource → tunnel → relay → ECI
// metric actions of the emulator, which reports the CPU and memory of the pod's local processes.
// One file, because the metrics.k8s.io APIService is cluster-wide.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { AppsV1Api, AutoscalingV2Api, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { startEciStack, type EciStack } from '../helpers/eci-stack.js';
import { eventually } from '../helpers/stack.js';
import { startMetricsServer, type MetricsServer } from '../cluster/metrics-server.js';

let stack: EciStack;

const placement = () => ({
  nodeSelector: { 'kubernetes.io/hostname': stack.nodeName },
  tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' as const }],
});
/** Burns some CPU (tens of millicores) and holds some memory, so the figures are visibly above zero. */
const busySpec = () => ({
  ...placement(),
  containers: [
    {
      name: 'main',
      image: 'busybox',
      command: ['sh', '-c', 'x=$(head -c 4000000 /dev/zero | tr "\\\\0" a); while true; do i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; sleep 0.05; done'],
      resources: { requests: { cpu: '10m', memory: '16Mi' } },
    },
  ],
});
let ms: MetricsServer;
let ns: string;

test.before(async () => {
  stack = await startEciStack({ emulator: { runtime: 'process' } });
  ns = `top-${process.pid}`;
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'busy' }, spec: busySpec() } });
  await eventually('pod Running', async () => (await core.readNamespacedPod({ name: 'busy', namespace: ns })).status?.phase === 'Running', 90_000);
  ms = await startMetricsServer(stack.cluster);
});
test.after.always(async () => {
  await ms?.close();
  await stack?.cluster.kc.makeApiClient(CoreV1Api).deleteNamespace({ name: ns }).catch(() => undefined);
  await stack?.close();
});

/** Parses `kubectl top` output (header + rows) into name → [cpu millicores, memory MiB]. */
function parseTop(out: string): Map<string, [number, number]> {
  const rows = new Map<string, [number, number]>();
  for (const line of out.trim().split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const cpu = cols.find((c) => /^\d+m$/.test(c));
    const mem = cols.find((c) => /^\d+Mi$/.test(c));
    if (cpu && mem) rows.set(cols[0], [parseInt(cpu, 10), parseInt(mem, 10)]);
  }
  return rows;
}

test('kubectl top pod shows the burst pod’s CPU and memory', async (t) => {
  let last = '';
  const row = await eventually(
    'kubectl top pod to list the pod',
    async () => {
      const r = await stack.cluster.kubectl(['top', 'pod', '-n', ns, '--containers']);
      last = `${r.stdout}${r.stderr}`;
      if (r.code !== 0) throw new Error(last);
      return parseTop(r.stdout.split('\n').map((l) => l.replace(/^(\S+)\s+(\S+)/, '$1/$2')).join('\n')).get('busy/main');
    },
    90_000,
    1000,
  ).catch((e: Error) => t.fail(`${e.message}\nmetrics-server log tail:\n${readFileSync(ms.logPath, 'utf8').slice(-3000)}`));
  if (!row) return;
  t.log(last.trim());
  t.true(row[0] > 0, `CPU above zero: ${last}`);
  t.true(row[1] > 0, `memory above zero: ${last}`);
});

test('kubectl top node shows the virtual node', async (t) => {
  const row = await eventually(
    'kubectl top node to list the virtual node',
    async () => {
      const r = await stack.cluster.kubectl(['top', 'node', stack.nodeName]);
      if (r.code !== 0) throw new Error(r.stderr);
      return parseTop(r.stdout).get(stack.nodeName);
    },
    90_000,
    1000,
  );
  t.true(row[0] >= 0 && row[1] > 0, `node usage: ${row.join(', ')}`);
});

test('a HorizontalPodAutoscaler scales a Deployment out on ECI by CPU, and back in', async (t) => {
  const apps = stack.cluster.kc.makeApiClient(AppsV1Api);
  const hpa = stack.cluster.kc.makeApiClient(AutoscalingV2Api);
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'spin' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'spin' } }, template: { metadata: { labels: { app: 'spin' } }, spec: busySpec() } },
    },
  });
  // Each pod uses several times its 10m request, far above the 50% target: the HPA goes to its maximum.
  await hpa.createNamespacedHorizontalPodAutoscaler({
    namespace: ns,
    body: {
      metadata: { name: 'spin' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'spin' },
        minReplicas: 1,
        maxReplicas: 3,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
        behavior: {
          scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 200, periodSeconds: 15 }] },
          scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
        },
      },
    },
  });
  const running = async () =>
    (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=spin' })).items.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
  const describe = async () => {
    const h = await hpa.readNamespacedHorizontalPodAutoscaler({ name: 'spin', namespace: ns });
    return `current ${JSON.stringify(h.status?.currentMetrics)}, replicas ${h.status?.currentReplicas}->${h.status?.desiredReplicas}, conditions ${JSON.stringify(h.status?.conditions?.map((c) => `${c.type}=${c.status}:${c.reason}`))}`;
  };
  let state = '';
  await eventually('3 Running replicas on the virtual node', async () => {
    state = await describe();
    const pods = await running();
    return pods.length === 3 && pods.every((p) => p.spec?.nodeName === stack.nodeName);
  }, 150_000, 1000).catch((e: Error) => t.fail(`${e.message}; HPA ${state}`));
  t.log(`scaled out: ${state}`);
  const util = (await hpa.readNamespacedHorizontalPodAutoscaler({ name: 'spin', namespace: ns })).status?.currentMetrics?.[0]?.resource?.current?.averageUtilization;
  t.true((util ?? 0) > 50, `utilization ${util}% is above the target`);

  // A target far above the usage: the HPA scales back to its minimum and the released groups go away.
  await hpa.patchNamespacedHorizontalPodAutoscaler(
    { name: 'spin', namespace: ns, body: { spec: { metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 100_000 } } }] } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  await eventually('1 replica left', async () => {
    state = await describe();
    const all = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=spin' })).items;
    return all.length === 1;
  }, 150_000, 1000).catch((e: Error) => t.fail(`${e.message}; HPA ${state}`));
  t.log(`scaled in: ${state}`);
});
