// Both charts as subcharts of an umbrella chart (test/charts/umbrella, file:// dependencies): rendered with
// each `enabled` condition, installed into the REAL shared cluster, and `helm test` run for real. The cluster
// has no container runtime: the charts' own Deployments are checked through the API (as install.test.ts
// does), the gateway runs as the real CLI processes (the agent with the installed agent chart's
// ServiceAccount token as its bootstrap credential), and the test hook pods are scheduled onto that gateway's
// virtual node, so the ECI emulator (process runtime) runs their `node -e` check as a local process.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadAll } from 'js-yaml';
import { AppsV1Api, CertificatesV1Api, CoreV1Api } from '@kubernetes/client-node';
import { startEmulator } from '../../cloud/eci-emulator/index.js';
import { useCluster } from '../cluster/fixture.js';
import { tokenKubeconfig } from '../cluster/bootstrap-identity.js';
import { prepareGatewayCli } from '../helpers/gateway-cli.js';
import { schedulable, eventually } from '../helpers/stack.js';
import { helm, REPO_ROOT, type KubeObject } from './helm.js';

const UMBRELLA = join(REPO_ROOT, 'test', 'charts', 'umbrella');
const suffix = () => randomBytes(3).toString('hex');

// `helm dependency update` packages both charts into the umbrella's charts/ (git-ignored), once per run.
let built: Promise<void> | undefined;
function buildUmbrella(): Promise<void> {
  built ??= helm(['dependency', 'update', UMBRELLA, '--skip-refresh']).then((r) => {
    if (r.code !== 0) throw new Error(`helm dependency update failed: ${r.stderr}`);
  });
  return built;
}

async function renderUmbrella(sets: string[]): Promise<KubeObject[]> {
  await buildUmbrella();
  const r = await helm(['template', 'u', UMBRELLA, '--namespace', 'ecigw', ...sets.flatMap((s) => ['--set', s])]);
  if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return (loadAll(r.stdout) as (KubeObject | null)[]).filter((x): x is KubeObject => x !== null && typeof x === 'object');
}

test('the umbrella renders both charts as subcharts; each enabled condition switches its chart; global reaches them without a schema error', async (t) => {
  const both = await renderUmbrella(['global.imageRegistry=registry.example.com']);
  const deployments = both.filter((o) => o.kind === 'Deployment');
  t.deepEqual(deployments.map((d) => d.metadata.labels?.['helm.sh/chart']).sort(), ['gateway-agent-0.1.0', 'gateway-relay-0.1.0']);
  for (const d of deployments) t.is(d.metadata.labels?.['app.kubernetes.io/part-of'], 'eci-hybrid-gateway');
  const agentOnly = await renderUmbrella(['gateway-relay.enabled=false']);
  t.deepEqual([...new Set(agentOnly.map((o) => o.metadata.labels?.['app.kubernetes.io/name']))].sort(), ['gateway-agent', 'gateway-agent-test']);
  const relayOnly = await renderUmbrella(['gateway-agent.enabled=false']);
  t.deepEqual([...new Set(relayOnly.map((o) => o.metadata.labels?.['app.kubernetes.io/name']))].sort(), ['gateway-relay', 'gateway-relay-test']);
  // A subchart's schema still guards its values inside the umbrella.
  await buildUmbrella();
  const bad = await helm(['template', 'u', UMBRELLA, '--set', 'gateway-agent.replicaCount=0']);
  t.not(bad.code, 0);
  t.regex(bad.stderr, /gateway-agent[\s\S]*\/replicaCount/);
});

/** A CLI process of the gateway, its output in `dir/<name>.log`; stopped in teardown. */
function startCli(t: { teardown: (f: () => Promise<void>) => void }, dir: string, name: string, bin: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const out = openSync(join(dir, `${name}.log`), 'a');
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', bin), ...args], { stdio: ['ignore', out, out], env: { ...process.env, ...env }, cwd: dir });
  closeSync(out);
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.kill('SIGTERM');
    await exited;
    clearTimeout(kill);
  });
  return child;
}

async function ok(url: string, child: ChildProcess, what: string): Promise<boolean> {
  if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
  return await fetch(url, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
}

test('the umbrella installs both charts into the cluster and `helm test` passes: the agent hook sees the virtual node Ready, the relay hook gets 200 from /readyz; each fails when its check fails', async (t) => {
  const c = await useCluster();
  await buildUmbrella();
  const id = suffix();
  const ns = `chart-umbrella-${id}`;
  const release = `u${id}`;
  const node = `vn-umbrella-${id}`;
  const kube = ['--kubeconfig', c.kubeconfigPath];
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-umbrella-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  // The ECI side: the emulator runs container groups as local processes.
  const emulator = await startEmulator({ runtime: 'process' });
  t.teardown(() => emulator.close());
  const kubeconfigPath = join(dir, 'agent-bootstrap.kubeconfig');
  const cli = await prepareGatewayCli({
    dir,
    kubeconfigPath,
    clusterCaFile: c.pki.caCertPath,
    eci: { endpoint: emulator.endpoint, accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret },
    nodeName: node,
    clusterId: `umbrella-${id}`,
    tenant: 't1',
    maxPods: 10,
  });
  const relayReadyz = `http://127.0.0.1:${cli.relay.opsPort}/readyz`;

  // Install the umbrella. The test hooks go to the gateway's virtual node (there is no other place a pod can
  // run here); the agent hook reaches the API server at its loopback address (no kubelet sets
  // KUBERNETES_SERVICE_HOST on ECI); the relay hook checks the relay process's /readyz.
  const api = new URL(c.server);
  const hookPlacement = { nodeSelector: { 'kubernetes.io/hostname': node }, tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists' }] };
  const values = {
    'gateway-agent': {
      node: { name: node },
      tests: { ...hookPlacement, env: [{ name: 'KUBERNETES_SERVICE_HOST', value: api.hostname }, { name: 'KUBERNETES_SERVICE_PORT', value: api.port }] },
    },
    'gateway-relay': { tests: { ...hookPlacement, url: relayReadyz } },
  };
  const valuesFile = join(dir, 'values.json');
  writeFileSync(valuesFile, JSON.stringify(values));
  t.teardown(async () => {
    await helm(['uninstall', release, '--namespace', ns, ...kube]);
    await c.kubectl(['delete', 'clusterrole,clusterrolebinding', `${ns}-${release}-gateway-agent-test`, '--ignore-not-found']);
    await c.kubectl(['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);
    await c.kubectl(['delete', 'node', node, '--ignore-not-found']);
  });
  const installed = await helm(['install', release, UMBRELLA, '--namespace', ns, '--create-namespace', '-f', valuesFile, ...kube]);
  t.is(installed.code, 0, installed.stderr);

  // Both charts' workloads, as installed (no runtime runs them here).
  const apps = c.kc.makeApiClient(AppsV1Api);
  const agentDeploy = await apps.readNamespacedDeployment({ name: `${release}-gateway-agent`, namespace: ns });
  const relayDeploy = await apps.readNamespacedDeployment({ name: `${release}-gateway-relay`, namespace: ns });
  t.is(agentDeploy.metadata?.labels?.['helm.sh/chart'], 'gateway-agent-0.1.0');
  t.is(relayDeploy.metadata?.labels?.['helm.sh/chart'], 'gateway-relay-0.1.0');
  const core = c.kc.makeApiClient(CoreV1Api);
  t.is((await core.readNamespacedService({ name: `${release}-gateway-relay-ops`, namespace: ns })).spec?.ports?.[0].port, 9096);

  // The gateway: the relay, and the agent bootstrapped with the installed agent chart's ServiceAccount token.
  const sa = `${release}-gateway-agent`;
  const minted = await c.kubectl(['create', 'token', sa, '-n', ns, '--duration=1h']);
  t.is(minted.code, 0, minted.stderr);
  writeFileSync(kubeconfigPath, tokenKubeconfig(c.kc, minted.stdout.trim()), { mode: 0o600 });
  const relay = startCli(t, dir, 'relay', 'gateway-relay.js', cli.relay.args, cli.relay.env);
  await eventually('the relay ready', () => ok(relayReadyz, relay, 'relay'), 90_000, 250);
  const agent = startCli(t, dir, 'agent', 'gateway-agent.js', cli.agent.args, cli.agent.env);
  await eventually('the agent ready', () => ok(cli.agent.readyUrl, agent, 'agent'), 90_000, 250).catch((e: unknown) => {
    throw new Error(`${String(e)}\n${readFileSync(join(dir, 'agent.log'), 'utf8').slice(-3000)}`);
  });
  await schedulable(c, node);
  const csrs = await c.kc.makeApiClient(CertificatesV1Api).listCertificateSigningRequest();
  t.true(csrs.items.some((x) => x.spec.username === `system:serviceaccount:${ns}:${sa}`), "the agent chart's ServiceAccount filed the node CSR");

  // helm test: both hooks run (on the virtual node, through the emulator) and pass.
  const passed = await helm(['test', release, '--namespace', ns, '--timeout', '5m', ...kube], 330_000);
  t.is(passed.code, 0, `${passed.stdout}\n${passed.stderr}`);
  t.regex(passed.stdout, new RegExp(`TEST SUITE:\\s+${release}-gateway-agent-test-node-ready[\\s\\S]*?Phase:\\s+Succeeded`));
  t.regex(passed.stdout, new RegExp(`TEST SUITE:\\s+${release}-gateway-relay-test-readyz[\\s\\S]*?Phase:\\s+Succeeded`));
  await eventually('the passed hooks deleted (hook-succeeded)', async () => {
    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app.kubernetes.io/component=test' });
    if (pods.items.length > 0) throw new Error(pods.items.map((p) => `${p.metadata?.name} ${p.status?.phase} deleting=${p.metadata?.deletionTimestamp ? 'yes' : 'no'} finalizers=${p.metadata?.finalizers?.join(',') ?? ''}`).join('; '));
    return true;
  }, 90_000);
  const leftRoles = await c.kubectl(['get', 'clusterrole', `${ns}-${release}-gateway-agent-test`, '--ignore-not-found', '-o', 'name']);
  t.is(leftRoles.stdout.trim(), '', "the hook's ClusterRole is gone after a pass");

  // Each hook fails when its check fails, and says why in its log: the agent hook asked about a node that
  // does not exist, the relay hook pointed at a server that answers 503.
  const unready = createServer((_req, res) => {
    res.writeHead(503).end('draining');
  });
  await new Promise<void>((resolve) => unready.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => unready.close(() => resolve())));
  const port = (unready.address() as { port: number }).port;
  const upgraded = await helm(['upgrade', release, UMBRELLA, '--namespace', ns, '--reuse-values', '--set', `gateway-agent.node.name=absent-${id}`, '--set', 'gateway-agent.tests.timeoutSeconds=4', '--set', `gateway-relay.tests.url=http://127.0.0.1:${port}/readyz`, '--set', 'gateway-relay.tests.timeoutSeconds=4', ...kube]);
  t.is(upgraded.code, 0, upgraded.stderr);
  const agentHook = `${release}-gateway-agent-test-node-ready`;
  const relayHook = `${release}-gateway-relay-test-readyz`;
  for (const [hook, other, why] of [
    [agentHook, relayHook, new RegExp(`FAIL: node absent-${id} is not Ready after 4s: GET node absent-${id}: HTTP 404`)],
    [relayHook, agentHook, /FAIL: http:\/\/127\.0\.0\.1:\d+\/readyz not ready after 4s: HTTP 503 draining/],
  ] as const) {
    // One hook at a time (`!name=` leaves the other out; a `name=` filter would also leave out the agent
    // hook's ServiceAccount and RBAC, which are hooks of their own).
    const failed = await helm(['test', release, '--namespace', ns, '--timeout', '5m', '--filter', `!name=${other}`, ...kube], 330_000);
    t.not(failed.code, 0, `${hook}: helm test must fail`);
    t.regex(failed.stdout + failed.stderr, new RegExp(`${hook}[\\s\\S]*?(Failed|failed)`));
    const pod = await core.readNamespacedPod({ name: hook, namespace: ns });
    t.is(pod.status?.phase, 'Failed', `${hook} kept for inspection`);
    const log = await c.kubectl(['logs', hook, '-n', ns]);
    t.regex(log.stdout, why, `${hook} log: ${log.stdout}${log.stderr}`);
  }
  const afterFailure = await c.kubectl(['get', 'clusterrole,clusterrolebinding', `${ns}-${release}-gateway-agent-test`, '--ignore-not-found', '-o', 'name']);
  t.is(afterFailure.code, 0, afterFailure.stderr);
  t.is(afterFailure.stdout.trim(), '', "the hook's node grant does not outlive a failed run either");
});
