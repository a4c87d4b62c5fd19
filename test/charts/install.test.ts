// `helm install` of both charts into the REAL local cluster (no kubelet there, so pods never run: the
// objects are verified through the API), and the agent ServiceAccount's effective permissions checked
// with `kubectl auth can-i --as` against a table of what it must and must not be able to do.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { AppsV1Api, CoreV1Api, PolicyV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { useCluster, type ClusterHandle } from '../cluster/fixture.js';
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
  const cr = await rbac.readClusterRole({ name: `${ns}-${name}` });
  t.true(cr.rules?.some((r) => r.resources?.includes('nodes') && r.resourceNames?.includes(node)));
  const crb = await rbac.readClusterRoleBinding({ name: `${ns}-${name}` });
  t.deepEqual(crb.subjects?.map((s) => ({ kind: s.kind, name: s.name, namespace: s.namespace })), [{ kind: 'ServiceAccount', name, namespace: ns }]);
  const lease = await rbac.readNamespacedRole({ name: `${ns}-${name}-node-lease`, namespace: 'kube-node-lease' });
  t.deepEqual(lease.rules?.find((r) => r.resourceNames)?.resourceNames, [node]);
  await rbac.readNamespacedRoleBinding({ name: `${name}-leader-election`, namespace: ns });
});

test('the agent ServiceAccount can do exactly what the agent needs (kubectl auth can-i --as)', async (t) => {
  const c = await useCluster();
  const node = `vn-${suffix()}`;
  const { ns, release } = await install(t, c, 'gateway-agent', [`node.name=${node}`]);
  const as = `--as=system:serviceaccount:${ns}:${release}-gateway-agent`;
  const leader = `gateway-agent-${node}`;
  // [verb, resource, namespace ('' = cluster scope / all namespaces), extra args, expected]
  const table: [string, string, string, string[], boolean][] = [
    ['create', 'nodes', '', [], true],
    ['get', `nodes/${node}`, '', [], true],
    ['update', `nodes/${node}`, '', [], true],
    ['patch', `nodes/${node}`, '', ['--subresource=status'], true],
    ['update', `nodes/${node}`, '', ['--subresource=status'], true],
    ['get', 'nodes/some-other-node', '', [], false],
    ['update', 'nodes/some-other-node', '', ['--subresource=status'], false],
    ['delete', `nodes/${node}`, '', [], false],
    ['list', 'nodes', '', [], false],
    ['list', 'pods', '', ['--all-namespaces'], true],
    ['watch', 'pods', '', ['--all-namespaces'], true],
    ['get', 'pods', 'default', [], true],
    ['delete', 'pods', 'default', [], true],
    ['patch', 'pods', 'default', ['--subresource=status'], true],
    ['update', 'pods', 'default', ['--subresource=status'], false],
    ['create', 'pods', 'default', [], false],
    ['update', 'pods', 'default', [], false],
    ['patch', 'pods', 'default', [], false],
    ['create', 'pods', 'default', ['--subresource=exec'], false],
    ['create', 'events', 'default', [], true],
    ['patch', 'events', 'default', [], true],
    ['delete', 'events', 'default', [], false],
    ['get', 'configmaps', 'default', [], true],
    ['get', 'secrets', 'kube-system', [], true],
    ['list', 'secrets', 'kube-system', [], false],
    ['watch', 'configmaps', 'default', [], false],
    ['create', 'secrets', 'default', [], false],
    ['create', 'serviceaccounts', 'default', ['--subresource=token'], true],
    ['create', 'serviceaccounts', 'default', [], false],
    ['create', 'tokenreviews.authentication.k8s.io', '', [], true],
    ['create', 'subjectaccessreviews.authorization.k8s.io', '', [], true],
    ['create', 'leases.coordination.k8s.io', 'kube-node-lease', [], true],
    ['update', `leases.coordination.k8s.io/${node}`, 'kube-node-lease', [], true],
    ['get', `leases.coordination.k8s.io/${node}`, 'kube-node-lease', [], true],
    ['update', 'leases.coordination.k8s.io/another-node', 'kube-node-lease', [], false],
    ['delete', `leases.coordination.k8s.io/${node}`, 'kube-node-lease', [], false],
    ['create', 'leases.coordination.k8s.io', ns, [], true],
    ['update', `leases.coordination.k8s.io/${leader}`, ns, [], true],
    ['get', 'leases.coordination.k8s.io/someone-elses-lock', ns, [], false],
    ['create', 'leases.coordination.k8s.io', 'default', [], false],
    ['create', 'deployments.apps', ns, [], false],
    ['get', 'deployments.apps', ns, [], false],
    ['create', 'clusterrolebindings.rbac.authorization.k8s.io', '', [], false],
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
