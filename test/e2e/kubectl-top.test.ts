// `kubectl top` on burst pods: the built kubectl → kube-apiserver's aggregation layer → the real metrics-server
// (built from its Go module) → the agent's /metrics/resource → tunnel → relay → ECI metric actions of the
// emulator, which reports the CPU and memory of the pod's local processes.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { CoreV1Api } from '@kubernetes/client-node';
import { startEciStack, type EciStack } from '../helpers/eci-stack.js';
import { eventually } from '../helpers/stack.js';
import { startMetricsServer, type MetricsServer } from '../cluster/metrics-server.js';

let stack: EciStack;
let ms: MetricsServer;
let ns: string;

test.before(async () => {
  stack = await startEciStack({ emulator: { runtime: 'process' } });
  ns = `top-${process.pid}`;
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'busy' },
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': stack.nodeName },
        tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
        // Burns some CPU and holds some memory, so the figures are visibly above zero.
        containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'x=$(head -c 4000000 /dev/zero | tr "\\\\0" a); while true; do i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; sleep 0.05; done'] }],
      },
    },
  });
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
