// The gateway-agent CLI with its node identity, as users run it (bin/gateway-agent.js as a process):
// - on a cluster where its bootstrap ServiceAccount may not have node CSRs auto-approved, it says so in its
//   log with the exact `kubectl certificate approve` command and in a CertificatePending Event on its own Pod
//   (POD_NAME/POD_NAMESPACE/POD_UID from the downward API), keeps waiting, and once an administrator approves
//   with the real kubectl, its virtual node comes up;
// - node labels a node may not set on itself are refused at start (exit 2, naming node.labels and the fix).
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api } from '@kubernetes/client-node';
import { useCluster } from '../cluster/fixture.js';
import { testBootstrap } from '../helpers/bootstrap.js';
import { prepareGatewayCli } from '../helpers/gateway-cli.js';
import { schedulable, eventually } from '../helpers/stack.js';
import { PENDING_EVENT_REASON } from '../../agent/kube/node-identity/node-identity.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('a CSR left pending is announced in the log and an Event with the approve command; after kubectl certificate approve the node comes up', async (t) => {
  const cluster = await useCluster();
  const boot = await testBootstrap(cluster, { nodeClient: false });
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-cli-identity-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const nodeName = `eci-vk-${process.pid}-manual`;
  const cli = await prepareGatewayCli({
    dir,
    kubeconfigPath: boot.kubeconfigPath,
    clusterCaFile: cluster.pki.caCertPath,
    eci: { endpoint: '127.0.0.1:1', accessKeyId: 'x', accessKeySecret: 'y' },
    nodeName,
    clusterId: `cluster-${process.pid}-manual`,
    tenant: 't1',
    maxPods: 10,
  });
  const core = cluster.kc.makeApiClient(CoreV1Api);
  const podName = `gateway-agent-${process.pid}`;
  const self = await core.createNamespacedPod({ namespace: boot.namespace, body: { metadata: { name: podName }, spec: { nodeName: `nowhere-${process.pid}`, containers: [{ name: 'agent', image: 'gateway-agent' }] } } });
  t.teardown(async () => {
    await core.deleteNamespacedPod({ name: podName, namespace: boot.namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
    await cluster.kubectl(['delete', 'node', nodeName, '--ignore-not-found']);
  });

  // No relay runs: the node's Ready does not depend on the tunnel, and the test is about the identity.
  let log = '';
  const child = spawn(process.execPath, [join(root, 'bin', 'gateway-agent.js'), ...cli.agent.args, '--node-cert-approval-reminder-seconds', '1'], {
    env: { ...process.env, LOG_LEVEL: 'info', POD_NAME: podName, POD_NAMESPACE: boot.namespace, POD_UID: self.metadata?.uid ?? '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  });

  const line = await eventually(
    'the log says the CSR waits for approval',
    () => log.split('\n').find((l) => l.includes('"command":"kubectl certificate approve ')),
    90_000,
  );
  const entry = JSON.parse(line) as { level: string; command: string; csr: string; msg: string };
  t.is(entry.level, 'warn', 'a warning');
  t.is(entry.command, `kubectl certificate approve ${entry.csr}`);
  t.regex(entry.msg, /is waiting for approval/);
  const event = await eventually(
    'a CertificatePending Event on the agent\'s Pod',
    async () => (await core.listNamespacedEvent({ namespace: boot.namespace, fieldSelector: `involvedObject.name=${podName},reason=${PENDING_EVENT_REASON}` })).items[0],
    30_000,
  );
  t.is(event.involvedObject.uid, self.metadata?.uid, 'kubectl describe pod shows it');
  t.true(event.message?.includes(`kubectl certificate approve ${entry.csr}`));
  t.is((await core.readNode({ name: nodeName }).catch((e: { code?: number }) => e.code)), 404, 'no node while the certificate is pending');

  const approve = await cluster.kubectl(['certificate', 'approve', entry.csr]);
  t.is(approve.code, 0, approve.stderr);
  await schedulable(cluster, nodeName);
  const node = await core.readNode({ name: nodeName });
  t.is(node.metadata?.labels?.['kubernetes.io/hostname'], nodeName);
  t.is(child.exitCode, null, 'the agent runs on');
});

test('node labels NodeRestriction forbids are refused at start, naming node.labels and the fix', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-cli-labels-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pem = join(dir, 'x.pem');
  writeFileSync(pem, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
  const base = ['--cluster-id', 'c1', '--relay-address', 'relay:8443', '--relay-ca-file', pem, '--relay-token-file', pem, '--kubelet-client-ca-file', pem];
  const run = (args: string[]) => spawnSync(process.execPath, [join(root, 'bin', 'gateway-agent.js'), ...base, ...args], { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent' } });
  const r = run(['--node-labels', 'team=burst,kubernetes.io/role=agent,node-role.kubernetes.io/worker=']);
  t.is(r.status, 2);
  t.regex(r.stderr, /node\.labels: a node may not set kubernetes\.io\/role, node-role\.kubernetes\.io\/worker on itself .*use a prefix of your own, e\.g\. example\.com\/role/);
  const e = run(['--node-cert-expiration-seconds', '60']);
  t.is(e.status, 2);
  t.regex(e.stderr, /nodeIdentity\.expirationSeconds: must be 0 \(the signer's default\) or whole seconds from 600/);
});
