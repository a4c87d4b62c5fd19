// `helm install` of both charts into the REAL local cluster (no kubelet there, so pods never run: the
// objects are verified through the API), the agent ServiceAccount's effective permissions checked with
// `kubectl auth can-i --as` against a table of what it must and must not be able to do, and the agent run
// with that ServiceAccount's token as its bootstrap credential: it gets its node identity and a burst works.
// In network.mode=tunnel, that token writes the agent's own EndpointSlices and the chart's
// ValidatingAdmissionPolicy refuses it any other. The relay's generated egress token key outlives upgrades.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdmissionregistrationV1Api, AppsV1Api, CertificatesV1Api, CoordinationV1Api, CoreV1Api, DiscoveryV1Api, KubeConfig, PolicyV1Api, RbacAuthorizationV1Api, type V1EndpointSlice } from '@kubernetes/client-node';
import { useCluster, type ClusterHandle } from '../cluster/fixture.js';
import { tokenKubeconfig } from '../cluster/bootstrap-identity.js';
import { startLocalGateway } from '../../demo/local-gateway.js';
import { RecordingProvider, projectedToken } from '../helpers/recording-provider.js';
import { schedulable, eventually } from '../helpers/stack.js';
import { errorMessage, httpStatus } from '../../agent/kube/errors.js';
import { chartDir, ciValues, helm } from './helm.js';

const suffix = () => randomBytes(3).toString('hex');

/** Installs `chart` as a fresh release in a fresh namespace; uninstalls and deletes both in teardown. */
async function install(t: { teardown: (f: () => Promise<void>) => void }, c: ClusterHandle, chart: 'gateway-agent' | 'gateway-relay', sets: string[]) {
  const id = suffix();
  const ns = `chart-${chart.replace('gateway-', '')}-${id}`;
  const release = `r${id}`;
  const kube = ['--kubeconfig', c.kubeconfigPath];
  t.teardown(async () => {
    await helm(['uninstall', release, '--namespace', ns, ...kube]);
    await c.kubectl(['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);
  });
  const r = await helm(['install', release, chartDir(chart), '--namespace', ns, '--create-namespace', '-f', ciValues(chart), ...sets.flatMap((s) => ['--set', s]), ...kube]);
  if (r.code !== 0) throw new Error(`helm install ${chart} failed (exit ${r.code}): ${r.stderr}`);
  return { ns, release, id };
}

test('gateway-agent installs; Deployment, ServiceAccount, Secret, ConfigMap, PDB and RBAC exist as rendered', async (t) => {
  const c = await useCluster();
  const node = `vn-${suffix()}`;
  const { ns, release } = await install(t, c, 'gateway-agent', [`node.name=${node}`, 'replicaCount=3']);
  const name = `${release}-gateway-agent`;
  const apps = c.kc.makeApiClient(AppsV1Api);
  const core = c.kc.makeApiClient(CoreV1Api);
  const rbac = c.kc.makeApiClient(RbacAuthorizationV1Api);
  const d = await apps.readNamespacedDeployment({ name, namespace: ns });
  t.is(d.spec?.replicas, 3);
  const ctr = d.spec!.template.spec!.containers[0];
  t.is(ctr.env?.find((e) => e.name === 'POD_IP')?.valueFrom?.fieldRef?.fieldPath, 'status.podIP');
  t.is(ctr.env?.find((e) => e.name === 'ECIGW_LEADER_ELECT')?.value, 'true');
  t.is(ctr.ports?.find((p) => p.name === 'kubelet')?.containerPort, 10250);
  t.is(d.spec?.template.spec?.serviceAccountName, name);
  await core.readNamespacedServiceAccount({ name, namespace: ns });
  const secret = await core.readNamespacedSecret({ name: `${name}-relay-credentials`, namespace: ns });
  t.deepEqual(Object.keys(secret.data ?? {}).sort(), ['ca.crt', 'tls.crt', 'tls.key']);
  const cm = await core.readNamespacedConfigMap({ name: `${name}-config`, namespace: ns });
  t.regex(cm.data?.['agent.yaml'] ?? '', new RegExp(`name: ${node}`));
  const pdb = await c.kc.makeApiClient(PolicyV1Api).readNamespacedPodDisruptionBudget({ name, namespace: ns });
  t.is(pdb.spec?.minAvailable, 1);
  t.is(ctr.env?.find((e) => e.name === 'POD_UID')?.valueFrom?.fieldRef?.fieldPath, 'metadata.uid');
  t.is(d.spec?.template.spec?.volumes?.find((v) => v.name === 'node-identity')?.emptyDir?.medium, 'Memory');
  const cr = await rbac.readClusterRole({ name: `${ns}-${name}` });
  t.deepEqual(cr.rules?.flatMap((r) => r.resources ?? []).sort(), ['certificatesigningrequests', 'certificatesigningrequests/nodeclient']);
  const crb = await rbac.readClusterRoleBinding({ name: `${ns}-${name}` });
  t.deepEqual(crb.subjects?.map((s) => ({ kind: s.kind, name: s.name, namespace: s.namespace })), [{ kind: 'ServiceAccount', name, namespace: ns }]);
  const role = await rbac.readNamespacedRole({ name, namespace: ns });
  t.deepEqual(role.rules?.find((r) => r.resourceNames)?.resourceNames, [`gateway-agent-${node}`]);
  await rbac.readNamespacedRoleBinding({ name, namespace: ns });
  t.false((await rbac.listNamespacedRole({ namespace: 'kube-node-lease' })).items.some((r) => r.metadata?.name?.includes(name)), 'no node Lease role any more');
});

test('the agent ServiceAccount can do only what a node identity cannot (kubectl auth can-i --as)', async (t) => {
  const c = await useCluster();
  const node = `vn-${suffix()}`;
  const { ns, release } = await install(t, c, 'gateway-agent', [`node.name=${node}`]);
  const as = `--as=system:serviceaccount:${ns}:${release}-gateway-agent`;
  const leader = `gateway-agent-${node}`;
  // [verb, resource, namespace ('' = cluster scope / all namespaces), extra args, expected]
  const table: [string, string, string, string[], boolean][] = [
    // The TLS bootstrap: its node certificate's CSR, auto-approved through nodeclient.
    ['create', 'certificatesigningrequests.certificates.k8s.io', '', [], true],
    ['get', 'certificatesigningrequests.certificates.k8s.io', '', [], true],
    ['watch', 'certificatesigningrequests.certificates.k8s.io', '', [], true],
    ['create', 'certificatesigningrequests.certificates.k8s.io', '', ['--subresource=nodeclient'], true],
    ['create', 'certificatesigningrequests.certificates.k8s.io', '', ['--subresource=selfnodeclient'], false],
    ['update', 'certificatesigningrequests.certificates.k8s.io', '', ['--subresource=approval'], false],
    ['delete', 'certificatesigningrequests.certificates.k8s.io', '', [], false],
    ['approve', 'signers.certificates.k8s.io/kubernetes.io/kube-apiserver-client-kubelet', '', [], false],
    // The leader Lease and Events about its own Pod, in its own namespace.
    ['create', 'leases.coordination.k8s.io', ns, [], true],
    ['update', `leases.coordination.k8s.io/${leader}`, ns, [], true],
    ['get', 'leases.coordination.k8s.io/someone-elses-lock', ns, [], false],
    ['create', 'leases.coordination.k8s.io', 'default', [], false],
    ['create', 'events', ns, [], true],
    ['patch', 'events', ns, [], true],
    ['get', 'events', ns, [], false],
    ['create', 'events', 'default', [], false],
    // Everything kubelet-like goes with the node identity: none of it with the ServiceAccount.
    ['get', 'secrets', 'kube-system', [], false],
    ['get', 'secrets', ns, [], false],
    ['get', 'secrets', 'default', [], false],
    ['list', 'secrets', '', ['--all-namespaces'], false],
    ['get', 'configmaps', 'default', [], false],
    ['create', 'serviceaccounts', 'default', ['--subresource=token'], false],
    ['create', 'serviceaccounts', ns, ['--subresource=token'], false],
    ['create', 'serviceaccounts', 'kube-system', ['--subresource=token'], false],
    ['list', 'pods', '', ['--all-namespaces'], false],
    ['get', 'pods', 'default', [], false],
    ['delete', 'pods', 'default', [], false],
    ['patch', 'pods', 'default', ['--subresource=status'], false],
    ['create', 'nodes', '', [], false],
    ['get', `nodes/${node}`, '', [], false],
    ['patch', `nodes/${node}`, '', ['--subresource=status'], false],
    ['create', 'leases.coordination.k8s.io', 'kube-node-lease', [], false],
    ['update', `leases.coordination.k8s.io/${node}`, 'kube-node-lease', [], false],
    ['create', 'tokenreviews.authentication.k8s.io', '', [], false],
    ['create', 'subjectaccessreviews.authorization.k8s.io', '', [], false],
    ['create', 'deployments.apps', ns, [], false],
    ['create', 'clusterrolebindings.rbac.authorization.k8s.io', '', [], false],
    // EndpointSlices only in network.mode=tunnel (the default is routed).
    ['create', 'endpointslices.discovery.k8s.io', 'default', [], false],
    ['list', 'endpointslices.discovery.k8s.io', '', ['--all-namespaces'], false],
    ['*', '*', '', ['--all-namespaces'], false],
  ];
  const results = await Promise.all(
    table.map(async ([verb, resource, namespace, extra, want]) => {
      const r = await c.kubectl(['auth', 'can-i', verb, resource, as, ...(namespace ? ['-n', namespace] : []), ...extra]);
      const got = r.stdout.trim();
      return { what: `${verb} ${resource}${namespace ? ` -n ${namespace}` : ''} ${extra.join(' ')}`.trim(), want: want ? 'yes' : 'no', got: got || r.stderr.trim() };
    }),
  );
  const wrong = results.filter((r) => r.got !== r.want);
  t.deepEqual(wrong, [], 'every row as intended');
  t.is(results.length, table.length);
});

test('the agent bootstrapped from the installed chart\'s ServiceAccount token gets its node identity, and a burst pod runs with its Secret and token', async (t) => {
  const c = await useCluster();
  const node = `vn-${suffix()}`;
  const { ns, release, id } = await install(t, c, 'gateway-agent', [`node.name=${node}`]);
  const sa = `${release}-gateway-agent`;
  // As the Deployment's pod would hold it: a token of the chart's ServiceAccount (minted with kubectl).
  const minted = await c.kubectl(['create', 'token', sa, '-n', ns, '--duration=1h']);
  t.is(minted.code, 0, minted.stderr);
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-chart-agent-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const kubeconfigPath = join(dir, 'bootstrap.kubeconfig');
  writeFileSync(kubeconfigPath, tokenKubeconfig(c.kc, minted.stdout.trim()), { mode: 0o600 });

  // The agent code in-process (no container runtime here), configured as the chart configures it.
  const provider = new RecordingProvider({ orphanGraceMs: 0 });
  const gw = await startLocalGateway({
    kubeconfigPath,
    kubeletClientCaPem: c.pki.caCertPem,
    provider,
    nodeName: node,
    clusterId: `chart-${id}`,
    declareWebSocket: false,
    nodeIdentity: { certDir: join(dir, 'pki'), expirationSeconds: 604800 },
    agent: { leaderElection: { namespace: ns, name: `gateway-agent-${node}`, identity: 'replica-local' } },
  });
  t.teardown(async () => {
    await gw.close();
    await c.kubectl(['delete', 'node', node, '--ignore-not-found']);
  });
  await schedulable(c, node);
  const csr = await c.kc.makeApiClient(CertificatesV1Api).readCertificateSigningRequest({ name: gw.agent.identity?.requested[0] ?? '' });
  t.is(csr.spec.username, `system:serviceaccount:${ns}:${sa}`, 'the chart\'s ServiceAccount filed the CSR');
  t.is(csr.status?.conditions?.find((x) => x.type === 'Approved')?.reason, 'AutoApproved');
  const lease = await c.kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: `gateway-agent-${node}`, namespace: ns });
  t.is(lease.spec?.holderIdentity, 'replica-local', 'the leader Lease, held with the ServiceAccount');

  const core = c.kc.makeApiClient(CoreV1Api);
  const app = `chart-app-${id}`;
  await core.createNamespace({ body: { metadata: { name: app } } });
  t.teardown(() => core.deleteNamespace({ name: app }).then(() => undefined, () => undefined));
  await core.createNamespacedSecret({ namespace: app, body: { metadata: { name: 'db' }, stringData: { password: 'burst-secret' } } });
  const pod = await core.createNamespacedPod({
    namespace: app,
    body: {
      metadata: { name: 'burst' },
      spec: {
        nodeName: node,
        tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
        containers: [{ name: 'app', image: 'nginx', env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] }],
      },
    },
  });
  await eventually('the burst pod Running', async () => (await core.readNamespacedPod({ name: 'burst', namespace: app })).status?.phase === 'Running', 60_000);
  const intent = provider.intents.get(pod.metadata?.uid ?? '');
  t.is(intent?.env?.app?.values?.DB_PASSWORD, 'burst-secret', 'its Secret, read with the node identity');
  t.is(projectedToken(intent)?.claims['kubernetes.io']?.pod?.uid, pod.metadata?.uid, 'its token, bound to it');
});

/** The HTTP status of a request (200 when it succeeds) and the API server's message. */
async function answer(call: () => Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call();
    return { code: 200, message: '' };
  } catch (e) {
    return { code: httpStatus(e) ?? -1, message: errorMessage(e) };
  }
}

test('network.mode=tunnel: the ServiceAccount\'s own token writes EndpointSlices labelled as the agent\'s and is refused any other (ValidatingAdmissionPolicy)', async (t) => {
  const c = await useCluster();
  const node = `vn-${suffix()}`;
  const { ns, release, id } = await install(t, c, 'gateway-agent', [`node.name=${node}`, 'network.mode=tunnel']);
  const sa = `${release}-gateway-agent`;
  const policyName = `${ns}-${sa}-endpointslices`;

  // The rights as RBAC sees them: the six verbs everywhere, no patch, no deletecollection.
  const as = `--as=system:serviceaccount:${ns}:${sa}`;
  const rows: [string, string[], boolean][] = [
    ['create', ['-n', 'default'], true],
    ['update', ['-n', 'kube-system'], true],
    ['delete', ['-n', 'default'], true],
    ['watch', ['--all-namespaces'], true],
    ['patch', ['-n', 'default'], false],
    ['deletecollection', ['-n', 'default'], false],
  ];
  for (const [verb, where, want] of rows) {
    const r = await c.kubectl(['auth', 'can-i', verb, 'endpointslices.discovery.k8s.io', as, ...where]);
    t.is(r.stdout.trim(), want ? 'yes' : 'no', `${verb} endpointslices ${where.join(' ')}`);
  }

  // Act as the agent's pod would: with a token of the chart's ServiceAccount (an ordinary, non-admin user).
  const minted = await c.kubectl(['create', 'token', sa, '-n', ns, '--duration=1h']);
  t.is(minted.code, 0, minted.stderr);
  const saKc = new KubeConfig();
  saKc.loadFromString(tokenKubeconfig(c.kc, minted.stdout.trim()));
  const asAgent = saKc.makeApiClient(DiscoveryV1Api);
  const asAdmin = c.kc.makeApiClient(DiscoveryV1Api);
  const core = c.kc.makeApiClient(CoreV1Api);
  const app = `chart-slices-${id}`;
  await core.createNamespace({ body: { metadata: { name: app } } });
  t.teardown(() => core.deleteNamespace({ name: app }).then(() => undefined, () => undefined));

  const slice = (name: string, labels: Record<string, string>, port = 20001): V1EndpointSlice => ({
    metadata: { name, namespace: app, labels: { 'kubernetes.io/service-name': 'web', ...labels } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.1.2.3'], conditions: { ready: true } }],
    ports: [{ name: 'http', port, protocol: 'TCP' }],
  });
  const ours = { 'endpointslice.kubernetes.io/managed-by': 'gateway-agent.ecigw.io', 'ecigw.io/node': node };
  const refusedByPolicy = (r: { code: number; message: string }) => r.code === 403 && r.message.includes(`ValidatingAdmissionPolicy '${policyName}'`);

  // The API server enforces a new policy once its informer has it: wait until a dry run is refused by it.
  await eventually('the admission policy in force', async () => refusedByPolicy(await answer(() => asAgent.createNamespacedEndpointSlice({ namespace: app, body: slice('probe', {}), dryRun: 'All' }))), 30_000);
  const vap = await c.kc.makeApiClient(AdmissionregistrationV1Api).readValidatingAdmissionPolicy({ name: policyName });
  t.deepEqual(vap.status?.typeChecking?.expressionWarnings ?? [], [], 'its expressions type-check against EndpointSlice');

  // Its own slices: create, update, delete.
  t.is((await answer(() => asAgent.createNamespacedEndpointSlice({ namespace: app, body: slice('own', ours) }))).code, 200, 'a slice with the agent\'s labels');
  const own = await asAgent.readNamespacedEndpointSlice({ name: 'own', namespace: app });
  t.is((await answer(() => asAgent.replaceNamespacedEndpointSlice({ name: 'own', namespace: app, body: { ...slice('own', ours, 20002), metadata: { ...slice('own', ours).metadata, resourceVersion: own.metadata?.resourceVersion } } }))).code, 200, 'its port changed');

  // Anything else is refused by the policy (RBAC alone would allow it).
  const noLabel = await answer(() => asAgent.createNamespacedEndpointSlice({ namespace: app, body: slice('unlabelled', {}) }));
  t.true(refusedByPolicy(noLabel), `a slice without the agent's labels: ${noLabel.code} ${noLabel.message}`);
  t.true(refusedByPolicy(await answer(() => asAgent.createNamespacedEndpointSlice({ namespace: app, body: slice('controller', { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' }) }))), 'one claiming the EndpointSlice controller');
  t.true(refusedByPolicy(await answer(() => asAgent.createNamespacedEndpointSlice({ namespace: app, body: slice('other-node', { ...ours, 'ecigw.io/node': `${node}-other` }) }))), 'one of another virtual node\'s agent');
  const current = await asAgent.readNamespacedEndpointSlice({ name: 'own', namespace: app });
  const stripped = await answer(() => asAgent.replaceNamespacedEndpointSlice({ name: 'own', namespace: app, body: { ...current, metadata: { ...current.metadata, labels: { 'kubernetes.io/service-name': 'web' } } } }));
  t.true(refusedByPolicy(stripped), 'its own slice with the labels dropped');

  // A slice of the EndpointSlice controller (another Service's endpoints, written by the admin here).
  await asAdmin.createNamespacedEndpointSlice({ namespace: app, body: slice('foreign', { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' }) });
  const foreign = await asAgent.readNamespacedEndpointSlice({ name: 'foreign', namespace: app });
  t.is(foreign.metadata?.name, 'foreign', 'it may read it');
  const takeover = await answer(() => asAgent.replaceNamespacedEndpointSlice({ name: 'foreign', namespace: app, body: { ...foreign, metadata: { ...foreign.metadata, labels: { ...foreign.metadata?.labels, ...ours } } } }));
  t.true(refusedByPolicy(takeover), `relabelled as its own: ${takeover.code} ${takeover.message}`);
  const rewrite = await answer(() => asAgent.replaceNamespacedEndpointSlice({ name: 'foreign', namespace: app, body: { ...foreign, endpoints: [{ addresses: ['10.6.6.6'] }] } }));
  t.true(refusedByPolicy(rewrite), 'its endpoints rewritten');
  t.true(refusedByPolicy(await answer(() => asAgent.deleteNamespacedEndpointSlice({ name: 'foreign', namespace: app }))), 'deleted');
  t.deepEqual((await asAdmin.readNamespacedEndpointSlice({ name: 'foreign', namespace: app })).endpoints?.map((e) => e.addresses), [['10.1.2.3']], 'untouched');

  t.is((await answer(() => asAgent.deleteNamespacedEndpointSlice({ name: 'own', namespace: app }))).code, 200, 'its own slice deleted');
  t.deepEqual((await asAdmin.listNamespacedEndpointSlice({ namespace: app })).items.map((s) => s.metadata?.name), ['foreign'], 'nothing the agent was refused exists');
});

test('gateway-relay installs; Deployment, Service, Secrets, ConfigMap and PDB exist as rendered', async (t) => {
  const c = await useCluster();
  const { ns, release } = await install(t, c, 'gateway-relay', ['service.type=ClusterIP', 'limits.burst=42']);
  const name = `${release}-gateway-relay`;
  const apps = c.kc.makeApiClient(AppsV1Api);
  const core = c.kc.makeApiClient(CoreV1Api);
  const d = await apps.readNamespacedDeployment({ name, namespace: ns });
  t.is(d.spec?.replicas, 2);
  t.is(d.spec?.template.spec?.automountServiceAccountToken, false);
  t.deepEqual(
    d.spec?.template.spec?.containers[0].ports?.map((p) => [p.name, p.containerPort]),
    [
      ['grpc', 8443],
      ['data', 8444],
      ['ops', 9096],
    ],
  );
  const svc = await core.readNamespacedService({ name, namespace: ns });
  t.is(svc.spec?.type, 'ClusterIP');
  t.is(svc.spec?.ports?.[0].port, 8443);
  t.truthy(svc.spec?.clusterIP, 'the API server allocated a cluster IP');
  const tls = await core.readNamespacedSecret({ name: `${name}-tls`, namespace: ns });
  t.is(tls.type, 'kubernetes.io/tls');
  const creds = await core.readNamespacedSecret({ name: `${name}-eci-credentials`, namespace: ns });
  t.deepEqual(Object.keys(creds.data ?? {}), ['acme.json']);
  const cm = await core.readNamespacedConfigMap({ name: `${name}-config`, namespace: ns });
  t.regex(cm.data?.['relay.yaml'] ?? '', /burst: 42/);
  t.regex(cm.data?.['relay.yaml'] ?? '', /credentialsRef: file:\/etc\/ecigw\/credentials\/acme\.json/);
  const pdb = await c.kc.makeApiClient(PolicyV1Api).readNamespacedPodDisruptionBudget({ name, namespace: ns });
  t.is(pdb.spec?.minAvailable, 1);
});

test('gateway-relay with egress.enabled: the generated token key Secret survives helm upgrade unchanged (lookup) and helm uninstall (keep)', async (t) => {
  const c = await useCluster();
  const sets = ['service.type=ClusterIP', 'egress.enabled=true'];
  const { ns, release } = await install(t, c, 'gateway-relay', sets);
  const name = `${release}-gateway-relay`;
  const core = c.kc.makeApiClient(CoreV1Api);
  const key = async () => (await core.readNamespacedSecret({ name: `${name}-egress-token-key`, namespace: ns })).data?.['token-key'];
  const first = await key();
  t.is(Buffer.from(first ?? '', 'base64').length, 48);
  const svc = await core.readNamespacedService({ name, namespace: ns });
  t.deepEqual(svc.spec?.ports?.map((p) => [p.name, p.port]), [['grpc', 8443], ['data', 8444], ['egress', 8445]]);
  const kube = ['--kubeconfig', c.kubeconfigPath];
  // An upgrade that changes something else renders the Secret again: lookup keeps the key the release has.
  const up = await helm(['upgrade', release, chartDir('gateway-relay'), '--namespace', ns, '-f', ciValues('gateway-relay'), ...[...sets, 'limits.burst=7'].flatMap((x) => ['--set', x]), ...kube]);
  t.is(up.code, 0, up.stderr);
  t.is(await key(), first, 'the same key after helm upgrade');
  const cm = await core.readNamespacedConfigMap({ name: `${name}-config`, namespace: ns });
  t.regex(cm.data?.['relay.yaml'] ?? '', /burst: 7/, 'the upgrade took effect');
  const un = await helm(['uninstall', release, '--namespace', ns, ...kube]);
  t.is(un.code, 0, un.stderr);
  t.is(await key(), first, 'left behind by helm uninstall (helm.sh/resource-policy: keep)');
  t.is(await core.readNamespacedConfigMap({ name: `${name}-config`, namespace: ns }).then(() => 'present', (e: unknown) => httpStatus(e)), 404, 'the rest is uninstalled');
});

test('helm install refuses values the schema rejects, creating nothing', async (t) => {
  const c = await useCluster();
  const ns = `chart-bad-${suffix()}`;
  t.teardown(async () => void (await c.kubectl(['delete', 'namespace', ns, '--wait=false', '--ignore-not-found'])));
  const r = await helm(['install', 'bad', chartDir('gateway-agent'), '--namespace', ns, '--create-namespace', '-f', ciValues('gateway-agent'), '--set', 'replicaCount=0', '--kubeconfig', c.kubeconfigPath]);
  t.not(r.code, 0);
  t.regex(r.stderr, /\/replicaCount/);
  const list = await helm(['list', '--namespace', ns, '--short', '--kubeconfig', c.kubeconfigPath]);
  t.is(list.stdout.trim(), '');
});
