// The cloud owner's tenant policy and pod quota, end to end: an ORDINARY namespace user (client certificate, a
// Role to create pods and read events) creates burst pods through the real API server; the real relay and agent
// drive the ECI emulator through the unmodified SDK. A pod asking for a RAM role the tenant policy does not list
// ends Failed/PolicyDenied with a Warning Event the user can read, and no container group; one asking for a listed
// role runs with that role recorded in ECI; a pod over quotas.maxPods ends Failed/TenantQuotaExceeded.
import test from 'ava';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { startEciStack, type EciStack } from '../helpers/eci-stack.js';
import { eventually } from '../helpers/stack.js';
import { defaultPolicy } from '../../cloud/eci/policy/index.js';
import { TAG_NAMESPACE, TAG_POD_NAME } from '../../cloud/eci/mapping/index.js';
import { $Eci, sdkClient } from '../cloud/eci-emulator/sdk.js';

const ROLE = 'k8s.aliyun.com/eci-ram-role-name';
const user = `policy-author-${process.pid}`;
let stack: EciStack;
let ns: string;
let author: CoreV1Api;

test.before(async () => {
  stack = await startEciStack({ tenant: { quotas: { maxPods: 2 }, policy: { ...defaultPolicy(), ramRoles: ['reader'] } } });
  const c = stack.cluster;
  ns = `policy-${process.pid}`;
  await c.kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  for (const args of [
    ['create', 'role', 'pod-author', '-n', ns, '--verb=create,get,list,delete', '--resource=pods'],
    ['create', 'role', 'event-reader', '-n', ns, '--verb=get,list', '--resource=events'],
    ['create', 'rolebinding', 'author-pods', '-n', ns, '--role=pod-author', `--user=${user}`],
    ['create', 'rolebinding', 'author-events', '-n', ns, '--role=event-reader', `--user=${user}`],
  ]) {
    const r = await c.kubectl(args);
    if (r.code !== 0) throw new Error(r.stderr);
  }
  await eventually('RBAC for the pod author', async () => (await c.kubectl(['auth', 'can-i', 'create', 'pods', '-n', ns, `--as=${user}`])).stdout.trim() === 'yes');
  const cert = await c.pki.issueClientCert(user, []);
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: c.server, caData: b64(c.pki.caCertPem), skipTLSVerify: false }],
    users: [{ name: user, certData: b64(cert.certPem), keyData: b64(cert.keyPem) }],
    contexts: [{ name: 'author', cluster: 'test', user }],
    currentContext: 'author',
  });
  author = kc.makeApiClient(CoreV1Api);
});
test.after.always(async () => {
  await stack?.cluster.kc.makeApiClient(CoreV1Api).deleteNamespace({ name: ns }).catch(() => undefined);
  await stack?.close();
});

function burstPod(name: string, annotations: Record<string, string> = {}): V1Pod {
  return {
    metadata: { name, annotations },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': stack.nodeName },
      tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
      restartPolicy: 'Always',
      containers: [{ name: 'main', image: 'pause' }],
    },
  };
}

async function groupsOf(name: string) {
  const r = await sdkClient(stack.emulator).describeContainerGroups(
    new $Eci.DescribeContainerGroupsRequest({ regionId: stack.emulator.regionId, tag: [{ key: TAG_NAMESPACE, value: ns }, { key: TAG_POD_NAME, value: name }] }),
  );
  return r.body?.containerGroups ?? [];
}

async function failedWith(name: string, reason: string): Promise<V1Pod> {
  return eventually(`${name} Failed/${reason}`, async () => {
    const p = await author.readNamespacedPod({ name, namespace: ns });
    return p.status?.phase === 'Failed' && p.status.reason === reason ? p : undefined;
  }, 90_000);
}

async function warningEvent(name: string, reason: string) {
  return eventually(`Warning ${reason} event of ${name}`, async () => {
    const events = await author.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name}` });
    return events.items.find((e) => e.type === 'Warning' && e.reason === reason);
  }, 60_000);
}

test.serial('a forbidden RAM role fails PolicyDenied with a Warning event and no group; a listed one runs with that role', async (t) => {
  await author.createNamespacedPod({ namespace: ns, body: burstPod('thief', { [ROLE]: 'admin' }) });
  await author.createNamespacedPod({ namespace: ns, body: burstPod('reader', { [ROLE]: 'reader' }) });

  const thief = await failedWith('thief', 'PolicyDenied');
  t.regex(thief.status?.message ?? '', /annotation k8s\.aliyun\.com\/eci-ram-role-name="admin" is not allowed by tenant "tenant" policy ramRoles \(allowed: reader\); ask the cloud account owner to add it to tenants\.tenant\.policy\.ramRoles/);
  const ev = await warningEvent('thief', 'PolicyDenied');
  t.regex(ev.message ?? '', /eci-ram-role-name="admin" is not allowed/);

  await eventually('reader Running', async () => (await author.readNamespacedPod({ name: 'reader', namespace: ns })).status?.phase === 'Running', 90_000);
  const [group] = await groupsOf('reader');
  t.is(group?.ramRoleName, 'reader', 'the listed role reached ECI');
  t.deepEqual(await groupsOf('thief'), [], 'the denied pod has no container group');
  t.is(stack.emulator.admin.stats().callsByAction.CreateContainerGroup, 1, 'only the allowed pod was created');
  // The agent records "Scheduled" for a pod whose group was requested (seen for reader), never for one refused.
  const scheduled = async (name: string) =>
    (await author.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name}` })).items.filter((e) => e.reason === 'Scheduled' && /requested on ECI/.test(e.message ?? ''));
  const [readerScheduled] = await eventually('reader\'s Scheduled event', async () => ((await scheduled('reader')).length ? await scheduled('reader') : undefined), 60_000);
  t.regex(readerScheduled.message ?? '', new RegExp(`container group ${group.containerGroupId} requested on ECI`));
  t.deepEqual(await scheduled('thief'), [], 'no "container group  requested" event for the refused pod');
});

test.serial('a pod over the tenant\'s quotas.maxPods fails TenantQuotaExceeded with a Warning event', async (t) => {
  await author.createNamespacedPod({ namespace: ns, body: burstPod('second') });
  await eventually('second Running', async () => (await author.readNamespacedPod({ name: 'second', namespace: ns })).status?.phase === 'Running', 90_000);
  // Bound straight to the node, as a pod the scheduler placed before the node's allocatable caught up with the
  // cap (burst-caps.test.ts shows the scheduler holding such pods Pending).
  const raced = burstPod('third');
  raced.spec!.nodeName = stack.nodeName;
  await author.createNamespacedPod({ namespace: ns, body: raced });
  const third = await failedWith('third', 'TenantQuotaExceeded');
  t.regex(third.status?.message ?? '', /tenant "tenant" \(clusters .*\) already has 2 pods running or being created on ECI; this pod needs 1 more, over tenants\.tenant\.quotas\.maxPods \(2\)/);
  await warningEvent('third', 'TenantQuotaExceeded');
  t.deepEqual(await groupsOf('third'), []);
});
