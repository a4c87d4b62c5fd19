// The agent chart's Grafana dashboards name only metrics the processes really export. Every PromQL query
// (panel targets and template variables) is parsed with Prometheus' own grammar (@prometheus-io/lezer-promql),
// its metric names are collected, and each must appear on the /metrics of a running gateway-relay or
// gateway-agent process (their CLIs, against the ECI emulator and the shared cluster, with one burst pod so
// the ECI and intent series exist). The same scrape checks the naming conventions: one ecigw_ prefix (beside
// prom-client's process_/nodejs_ defaults), counters end in _total, histograms measure time in _seconds, and
// ecigw_build_info is 1 with this build's version.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api } from '@kubernetes/client-node';
import { parser } from '@prometheus-io/lezer-promql';
import { startEmulator, type EmulatorHandle } from '../../cloud/eci-emulator/index.js';
import { useCluster, type ClusterHandle } from '../cluster/fixture.js';
import { prepareGatewayCli, type GatewayCli } from '../helpers/gateway-cli.js';
import { eventually } from '../helpers/wait.js';
import { families, type MetricFamily } from '../helpers/scrape.js';
import { METRIC_PREFIX } from '../../common/metrics.js';
import { BUILD_VERSION } from '../../common/version.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dashboardDir = join(root, 'charts', 'gateway-agent', 'dashboards');
const nodeName = `eci-vk-${process.pid}-dash`;
const ns = `dash-${process.pid}`;

/** Grafana's variables, replaced by values of the same kind so the query parses as PromQL. */
const GRAFANA_VARS: [RegExp, string][] = [
  [/\$__rate_interval|\$__interval|\$__range/g, '5m'],
  [/\$\{?job\}?/g, 'gateway'],
];

interface Query {
  where: string;
  expr: string;
}

function queriesOf(file: string): Query[] {
  const d = JSON.parse(readFileSync(join(dashboardDir, file), 'utf8')) as {
    panels?: Panel[];
    templating?: { list?: { name: string; type: string; query?: string | { query?: string } }[] };
  };
  interface Panel {
    title?: string;
    panels?: Panel[];
    targets?: { refId?: string; expr?: string }[];
  }
  const out: Query[] = [];
  const walk = (ps: Panel[] | undefined) => {
    for (const p of ps ?? []) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ where: `${file}: panel "${p.title}" ${t.refId}`, expr: t.expr });
      walk(p.panels);
    }
  };
  walk(d.panels);
  for (const v of d.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
    // label_values(<selector>, <label>): the selector is PromQL.
    const m = /^label_values\((.+),\s*[a-zA-Z_]\w*\)$/.exec(q.trim());
    out.push({ where: `${file}: variable ${v.name}`, expr: m ? m[1] : q });
  }
  return out;
}

/** Metric names in a PromQL expression; throws naming the position of a syntax error. */
function metricNames(expr: string): string[] {
  let e = expr;
  for (const [re, v] of GRAFANA_VARS) e = e.replace(re, v);
  const tree = parser.parse(e);
  const names: string[] = [];
  const c = tree.cursor();
  do {
    if (c.type.isError) throw new Error(`syntax error at ${c.from}: …${e.slice(Math.max(0, c.from - 20), c.from + 20)}…`);
    if (c.name === 'Identifier' && c.node.parent?.name === 'VectorSelector') names.push(e.slice(c.from, c.to));
  } while (c.next());
  return names;
}

/** Every series name a family exposes (a histogram's _bucket, _sum, _count). */
function exposed(f: MetricFamily): string[] {
  if (f.type === 'HISTOGRAM') return [`${f.name}_bucket`, `${f.name}_sum`, `${f.name}_count`];
  if (f.type === 'SUMMARY') return [f.name, `${f.name}_sum`, `${f.name}_count`];
  return [f.name];
}

let cluster: ClusterHandle;
let emulator: EmulatorHandle;
let dir: string;
let cli: GatewayCli;
const children: ChildProcess[] = [];

function run(name: string, bin: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const out = openSync(join(dir, `${name}.log`), 'a');
  const child = spawn(process.execPath, [join(root, 'bin', bin), ...args], { stdio: ['ignore', out, out], env: { ...process.env, ...env }, cwd: dir });
  closeSync(out);
  children.push(child);
  return child;
}

async function ready(url: string, child: ChildProcess, what: string): Promise<void> {
  await eventually(`${what} ready at ${url}`, async () => {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}: ${readFileSync(join(dir, `${what}.log`), 'utf8').slice(-2000)}`);
    return (await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => undefined))?.ok;
  }, 90_000, 250);
}

test.before(async () => {
  cluster = await useCluster();
  emulator = await startEmulator({ runtime: 'simulated' });
  dir = mkdtempSync(join(tmpdir(), 'ecigw-dashboard-'));
  cli = await prepareGatewayCli({
    dir,
    kubeconfigPath: cluster.kubeconfigPath,
    clusterCaFile: cluster.pki.caCertPath,
    eci: { endpoint: emulator.endpoint, accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret },
    nodeName,
    clusterId: `cluster-${process.pid}-dash`,
    tenant: 'dash',
    maxPods: 10,
  });
  const relay = run('relay', 'gateway-relay.js', cli.relay.args, cli.relay.env);
  await ready(cli.relay.healthUrl, relay, 'relay');
  const agent = run('agent', 'gateway-agent.js', cli.agent.args, cli.agent.env);
  await ready(cli.agent.readyUrl, agent, 'agent');
  const core = cluster.kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'web' },
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': nodeName },
        tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
        containers: [{ name: 'web', image: 'nginx' }],
      },
    },
  });
  await eventually('pod Running', async () => (await core.readNamespacedPod({ name: 'web', namespace: ns })).status?.phase === 'Running', 90_000);
});
test.after.always(async () => {
  await cluster?.kc.makeApiClient(CoreV1Api).deleteNamespace({ name: ns }).catch(() => undefined);
  await Promise.all(
    children.map(async (c) => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }),
  );
  await emulator?.close();
  await cluster?.kubectl(['delete', 'node', nodeName, '--ignore-not-found']);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function scrape(port: number): Promise<Map<string, MetricFamily>> {
  const r = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!r.ok) throw new Error(`metrics on :${port}: ${r.status}`);
  return families(await r.text());
}

test('every metric a dashboard query names is exported by the agent or the relay', async (t) => {
  const files = readdirSync(dashboardDir).filter((f) => f.endsWith('.json'));
  t.true(files.length > 0, 'the chart ships dashboards');
  const exported = new Set<string>();
  for (const port of [cli.relay.opsPort, cli.agent.opsPort]) for (const f of (await scrape(port)).values()) for (const n of exposed(f)) exported.add(n);
  let queries = 0;
  for (const file of files) {
    for (const q of queriesOf(file)) {
      queries++;
      let names: string[] = [];
      t.notThrows(() => (names = metricNames(q.expr)), `${q.where} parses: ${q.expr}`);
      t.true(names.length > 0, `${q.where} names a metric: ${q.expr}`);
      for (const n of names) t.true(exported.has(n), `${q.where}: ${n} is not exported by the agent or the relay`);
    }
  }
  t.log(`${queries} queries in ${files.length} dashboard(s), ${exported.size} series names exported`);
});

test('metric names follow the conventions: one prefix, _total counters, _seconds histograms, ecigw_build_info', async (t) => {
  for (const [what, port] of [['relay', cli.relay.opsPort], ['agent', cli.agent.opsPort]] as const) {
    const fams = await scrape(port);
    for (const f of fams.values()) {
      if (f.name.startsWith('process_') || f.name.startsWith('nodejs_')) continue; // prom-client's defaults
      t.true(f.name.startsWith(METRIC_PREFIX), `${what}: ${f.name} starts with ${METRIC_PREFIX}`);
      if (f.type === 'COUNTER') t.regex(f.name, /_total$/, `${what}: counter ${f.name}`);
      if (f.type === 'HISTOGRAM') t.regex(f.name, /_seconds$/, `${what}: histogram ${f.name}`);
    }
    const info = fams.get(`${METRIC_PREFIX}build_info`)?.metrics;
    t.deepEqual(info, [{ value: '1', labels: { version: BUILD_VERSION, node_version: process.version } }], `${what}: build info`);
  }
});
