// The node identity against the real control plane (API server + the controller manager's CSR approver and
// signer): bootstrap through the CSR API with a ServiceAccount, reuse of a stored certificate on restart,
// a forced renewal that the API server then sees on new connections while the old pool is closed, and a
// request whose approval an administrator gives with `kubectl certificate approve` after the agent said so.
import test, { type ExecutionContext } from 'ava';
import diagnostics from 'node:diagnostics_channel';
import type { TLSSocket } from 'node:tls';
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthenticationV1Api, CertificatesV1Api, CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { useCluster, type ClusterHandle } from '../../../cluster/fixture.js';
import { testBootstrap } from '../../../helpers/bootstrap.js';
import { eventually } from '../../../helpers/wait.js';
import { NodeIdentity, PENDING_EVENT_REASON } from '../../../../agent/kube/node-identity/node-identity.js';
import { CURRENT_FILE } from '../../../../agent/kube/node-identity/cert-store.js';
import { NODE_CLIENT_SIGNER } from '../../../../agent/kube/node-identity/csr.js';

let seq = 0;
const nodeName = () => `eci-vk-${process.pid}-id${++seq}`;

async function bootstrapKc(cluster: ClusterHandle, nodeClient = true): Promise<{ kc: KubeConfig; user: string; namespace: string }> {
  const boot = await testBootstrap(cluster, { nodeClient });
  const kc = new KubeConfig();
  kc.loadFromFile(boot.kubeconfigPath);
  return { kc, user: boot.user, namespace: boot.namespace };
}

const whoAmI = async (kc: KubeConfig) =>
  (await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } })).status?.userInfo;

/** Serial numbers (normalised hex) of the client certificates the connections undici opens from now on present. */
function connectionSerials(t: ExecutionContext): string[] {
  const serials: string[] = [];
  const onConnected = (m: unknown) => serials.push(norm(((m as { socket: TLSSocket }).socket.getCertificate() as { serialNumber?: string } | null)?.serialNumber));
  diagnostics.subscribe('undici:client:connected', onConnected);
  t.teardown(() => diagnostics.unsubscribe('undici:client:connected', onConnected));
  return serials;
}
const norm = (serial: string | undefined) => (serial ?? '').toLowerCase().replace(/^0+/, '');

test('bootstraps a node certificate through the CSR API with the ServiceAccount; the API server sees system:node:<node>', async (t) => {
  const cluster = await useCluster();
  const { kc, user } = await bootstrapKc(cluster);
  const node = nodeName();
  const id = new NodeIdentity(kc, { nodeName: node, expirationSeconds: 3600 });
  t.teardown(() => id.stop());
  t.regex((await whoAmI(id.kubeConfig).catch((e: { code?: number }) => ({ username: `HTTP ${e.code}` })))?.username ?? '', /^HTTP 40[13]$/, 'anonymous before start');
  await id.start();
  const info = await whoAmI(id.kubeConfig);
  t.is(info?.username, `system:node:${node}`);
  t.true(info?.groups?.includes('system:nodes'));

  t.is(id.requested.length, 1);
  const csr = await cluster.kc.makeApiClient(CertificatesV1Api).readCertificateSigningRequest({ name: id.requested[0] });
  t.is(csr.spec.signerName, NODE_CLIENT_SIGNER);
  t.deepEqual(csr.spec.usages, ['digital signature', 'client auth']);
  t.is(csr.spec.username, user, 'filed by the bootstrap ServiceAccount');
  t.is(csr.spec.expirationSeconds, 3600);
  const approved = csr.status?.conditions?.find((c) => c.type === 'Approved');
  t.is(approved?.reason, 'AutoApproved', 'the controller manager approved it (the account may create certificatesigningrequests/nodeclient)');
  const cred = id.credential!;
  const lifetime = (cred.notAfter.getTime() - cred.notBefore.getTime()) / 1000;
  t.true(lifetime <= 3600 + 600, `the signer honoured expirationSeconds (validity ${lifetime} s, its notBefore is backdated)`);
  t.true((id.nextRenewal ?? 0) > Date.now(), 'a renewal is planned');
  t.true((id.nextRenewal ?? 0) < cred.notAfter.getTime(), 'before expiry');
});

test('a certificate stored in certDir (0600) is reused on restart without a new CSR; another node name gets its own', async (t) => {
  const cluster = await useCluster();
  const { kc } = await bootstrapKc(cluster);
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-node-pki-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const node = nodeName();
  const first = new NodeIdentity(kc, { nodeName: node, certDir: dir });
  await first.start();
  first.stop();
  t.is(first.requested.length, 1);
  t.deepEqual(readdirSync(dir), [CURRENT_FILE], 'the pending key was cleared once issued');
  t.is(statSync(join(dir, CURRENT_FILE)).mode & 0o777, 0o600);

  const again = new NodeIdentity(kc, { nodeName: node, certDir: dir });
  t.teardown(() => again.stop());
  await again.start();
  t.deepEqual(again.requested, [], 'no CSR filed');
  t.is(again.credential?.serial, first.credential?.serial, 'the same certificate');
  t.is((await whoAmI(again.kubeConfig))?.username, `system:node:${node}`);

  const other = nodeName();
  const renamed = new NodeIdentity(kc, { nodeName: other, certDir: dir });
  t.teardown(() => renamed.stop());
  await renamed.start();
  t.is(renamed.requested.length, 1, 'a certificate for another node is not reused');
  t.is((await whoAmI(renamed.kubeConfig))?.username, `system:node:${other}`);
});

test('a forced renewal files a new CSR with a new key; new connections present the new certificate and the old pool is closed', async (t) => {
  const cluster = await useCluster();
  const { kc } = await bootstrapKc(cluster);
  const node = nodeName();
  const id = new NodeIdentity(kc, { nodeName: node, drainMs: 1500 });
  t.teardown(() => id.stop());
  const opened = connectionSerials(t);
  await id.start();
  const before = id.credential!;
  await whoAmI(id.kubeConfig);
  t.true(opened.includes(norm(before.serial)), 'the connection in use presents the first certificate');

  // A long watch holds a connection of the first certificate across the renewal (a node may watch its pods).
  let watchEnded = 0;
  const watch = await new Watch(id.kubeConfig).watch(`/api/v1/pods`, { fieldSelector: `spec.nodeName=${node}` }, () => undefined, () => (watchEnded = Date.now()));
  t.teardown(() => watch.abort());

  await id.rotateNow();
  const after = id.credential!;
  t.not(norm(after.serial), norm(before.serial));
  t.false(after.spki.equals(before.spki), 'a new key');
  t.is(id.requested.length, 2, 'a new CSR');
  const renewedAt = Date.now();
  const openedAfter = opened.length;
  t.is((await whoAmI(id.kubeConfig))?.username, `system:node:${node}`, 'requests go on without a pause');
  const since = opened.slice(openedAfter);
  t.true(since.includes(norm(after.serial)), 'new connections present the new certificate');
  t.false(since.includes(norm(before.serial)), 'and none the old one');
  t.is(id.kubeConfig.poolCount, 1);
  await eventually('the old pool closed, the watch on it ended', () => id.kubeConfig.retiringCount === 0 && watchEnded > 0, 10_000);
  t.true(watchEnded - renewedAt < 5000, `the long watch on the old certificate ended ${watchEnded - renewedAt} ms after the renewal (drain 1.5 s)`);
  const csr = await cluster.kc.makeApiClient(CertificatesV1Api).readCertificateSigningRequest({ name: id.requested[1] });
  t.is(csr.status?.conditions?.find((c) => c.type === 'Approved')?.reason, 'AutoApproved', 'the renewal, filed by the bootstrap account, was approved too');
});

test('without certificatesigningrequests/nodeclient the CSR waits: an Event on the agent\'s Pod names the kubectl command; approving it lets the identity start', async (t) => {
  const cluster = await useCluster();
  const { kc, user, namespace } = await bootstrapKc(cluster, false);
  const node = nodeName();
  const core = cluster.kc.makeApiClient(CoreV1Api);
  // The agent's own Pod (never runs here: no kubelet), where the pending-approval Event goes.
  const podName = `agent-${node}`;
  const self = await core.createNamespacedPod({ namespace, body: { metadata: { name: podName }, spec: { nodeName: `nowhere-${node}`, containers: [{ name: 'agent', image: 'gateway-agent' }] } } });
  t.teardown(() => core.deleteNamespacedPod({ name: podName, namespace, gracePeriodSeconds: 0 }).then(() => undefined, () => undefined));
  const id = new NodeIdentity(kc, { nodeName: node, approvalReminderMs: 1000, poll: { maxMs: 500 }, pod: { name: podName, namespace, uid: self.metadata?.uid } });
  t.teardown(() => id.stop());
  let started = false;
  const starting = id.start().then(() => (started = true));
  starting.catch(() => undefined);

  const event = await eventually(
    'a CertificatePending Event on the agent\'s Pod',
    async () => (await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${podName},reason=${PENDING_EVENT_REASON}` })).items[0],
    60_000,
  );
  t.is(event.type, 'Warning');
  t.is(event.involvedObject.uid, self.metadata?.uid);
  const csrName = /kubectl certificate approve (\S+)/.exec(event.message ?? '')?.[1];
  t.is(csrName, id.requested[0], `the message names the request: ${event.message}`);
  const pending = await cluster.kc.makeApiClient(CertificatesV1Api).readCertificateSigningRequest({ name: csrName ?? '' });
  t.is(pending.spec.username, user);
  t.deepEqual(pending.status?.conditions ?? [], [], 'not approved (the approver needs the requester to be allowed nodeclient)');
  await eventually('the reminder repeats (the Event counts it)', async () => ((await core.readNamespacedEvent({ name: event.metadata?.name ?? '', namespace })).count ?? 0) >= 2, 30_000);
  t.false(started, 'still waiting');

  const approve = await cluster.kubectl(['certificate', 'approve', csrName ?? '']);
  t.is(approve.code, 0, approve.stderr);
  await Promise.race([starting, new Promise((_, reject) => setTimeout(() => reject(new Error('not started 30 s after approval')), 30_000))]);
  t.is((await whoAmI(id.kubeConfig))?.username, `system:node:${node}`);
});
