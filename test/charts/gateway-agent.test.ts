// charts/gateway-agent rendered with helm: lint, the objects for default and non-default values, RBAC
// exactly as intended (the ServiceAccount keeps only what the node identity cannot do), the config file and
// env read back by the agent's own config loader with the pod's mounted files laid out on disk, and values
// the schema must reject.
import test from 'ava';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1ClusterRole, V1Deployment, V1NetworkPolicy, V1PodDisruptionBudget, V1PolicyRule, V1Role, V1RoleBinding, V1Secret, V1Service, V1ConfigMap } from '@kubernetes/client-node';
import { AGENT_FIELDS, networkFrom, validateAgentConfig } from '../../agent/cli.js';
import { loadConfig } from '../../common/config.js';
import { all, chartDir, containerEnv, helm, materializeMounts, one, render, template, type KubeObject } from './helm.js';

const CHART = 'gateway-agent';

test('helm lint --strict passes with the CI values', async (t) => {
  const r = await helm(['lint', '--strict', chartDir(CHART), '-f', join(chartDir(CHART), 'ci', 'test-values.yaml')]);
  t.is(r.code, 0, r.stdout + r.stderr);
});

test('helm lint without the required values fails naming them', async (t) => {
  const r = await helm(['lint', chartDir(CHART)]);
  t.not(r.code, 0);
  const out = r.stdout + r.stderr;
  t.regex(out, /\/clusterId/);
  t.regex(out, /\/relay\/address/);
});

test('default values: the expected objects and nothing optional', async (t) => {
  const objs = await render(CHART);
  t.deepEqual(objs.map((o) => o.kind).sort(), ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Secret', 'ServiceAccount']);
  t.is(all(objs, 'NetworkPolicy').length, 0);
  t.is(all(objs, 'ServiceMonitor').length, 0);
  for (const o of objs) if (o.kind !== 'ClusterRole' && o.kind !== 'ClusterRoleBinding') t.is(o.metadata.namespace, 'ecigw', `${o.kind} ${o.metadata.name}`);
});

test('default Deployment: 2 replicas with leader election, downward API, ports, probes, hardening', async (t) => {
  const objs = await render(CHART);
  const d = one<V1Deployment>(objs, 'Deployment');
  t.is(d.spec?.replicas, 2);
  const pod = d.spec!.template.spec!;
  const c = pod.containers[0];
  t.is(c.image, 'ghcr.io/eci-hybrid-gateway/gateway-agent:0.1.0');
  const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]));
  t.like(env, { ECIGW_LEADER_ELECT: 'true', POD_NAMESPACE: 'metadata.namespace', POD_NAME: 'metadata.name', POD_UID: 'metadata.uid', POD_IP: 'status.podIP', ECIGW_AGENT_CONFIG: '/etc/ecigw/config/agent.yaml' });
  // The node key lives in an in-memory emptyDir by default (survives container restarts, never on disk).
  t.deepEqual(pod.volumes?.find((v) => v.name === 'node-identity')?.emptyDir, { medium: 'Memory', sizeLimit: '1Mi' });
  t.is(c.volumeMounts?.find((m) => m.name === 'node-identity')?.mountPath, '/var/lib/ecigw/node-identity');
  t.deepEqual(
    c.ports?.map((p) => [p.name, p.containerPort]),
    [
      ['kubelet', 10250],
      ['ops', 9095],
    ],
  );
  t.deepEqual([c.livenessProbe?.httpGet?.path, c.livenessProbe?.httpGet?.port], ['/healthz', 'ops']);
  t.deepEqual([c.readinessProbe?.httpGet?.path, c.readinessProbe?.httpGet?.port], ['/readyz', 'ops']);
  t.truthy(c.resources?.requests?.cpu);
  t.true(pod.securityContext?.runAsNonRoot);
  t.is(c.securityContext?.allowPrivilegeEscalation, false);
  t.true(c.securityContext?.readOnlyRootFilesystem);
  t.deepEqual(c.securityContext?.capabilities?.drop, ['ALL']);
  t.is(pod.serviceAccountName, one<KubeObject>(objs, 'ServiceAccount').metadata.name);
  const pdb = one<V1PodDisruptionBudget>(objs, 'PodDisruptionBudget');
  t.is(pdb.spec?.minAvailable, 1);
  t.deepEqual(pdb.spec?.selector?.matchLabels, d.spec?.selector.matchLabels);
});

const sortRules = (rules: V1PolicyRule[] = []) => rules.map((r) => ({ apiGroups: r.apiGroups, resources: r.resources, resourceNames: r.resourceNames, verbs: [...r.verbs].sort() }));

/** The ServiceAccount's cluster-wide rights: its node CSRs only (everything kubelet-like goes with the node identity). */
function expectedClusterRules(autoApprove = true) {
  return [
    { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'], resourceNames: undefined, verbs: ['create', 'get', 'list', 'watch'] },
    ...(autoApprove ? [{ apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/nodeclient'], resourceNames: undefined, verbs: ['create'] }] : []),
  ];
}

/** In the release namespace: Events about its own Pod, and the leader Lease when electing. */
const namespaceRules = (lease?: string) => [
  { apiGroups: [''], resources: ['events'], resourceNames: undefined, verbs: ['create', 'patch'] },
  ...(lease
    ? [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: undefined, verbs: ['create'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [lease], verbs: ['get', 'patch', 'update'] },
      ]
    : []),
];

function assertNoWildcards(t: { false: (v: boolean, m?: string) => void }, objs: KubeObject[]) {
  for (const r of [...all(objs, 'ClusterRole'), ...all(objs, 'Role')] as (V1ClusterRole | V1Role)[]) {
    for (const rule of r.rules ?? []) {
      for (const field of ['verbs', 'resources', 'apiGroups', 'resourceNames', 'nonResourceURLs'] as const) {
        t.false((rule[field] ?? []).some((x) => x.includes('*')), `${r.metadata?.name}: wildcard in ${field}`);
      }
    }
  }
}

test('RBAC: the ServiceAccount keeps only what a node identity cannot do (its CSRs, its Events, the leader Lease), no wildcards', async (t) => {
  const objs = await render(CHART, [], { release: 'prod' });
  assertNoWildcards(t, objs);
  const cr = one<V1ClusterRole>(objs, 'ClusterRole');
  t.is(cr.metadata?.name, 'ecigw-prod-gateway-agent');
  t.deepEqual(sortRules(cr.rules), expectedClusterRules());
  const role = one<V1Role>(objs, 'Role');
  t.is(role.metadata?.namespace, 'ecigw');
  t.deepEqual(sortRules(role.rules), namespaceRules('gateway-agent-eci-virtual-node'));
  t.false(objs.some((o) => o.metadata.namespace === 'kube-node-lease'), 'no node Lease role: the Node authorizer grants a node its own Lease');
  const sa = one<KubeObject>(objs, 'ServiceAccount').metadata.name;
  const bindings = [...all(objs, 'RoleBinding'), ...all(objs, 'ClusterRoleBinding')] as unknown as V1RoleBinding[];
  t.is(bindings.length, 2);
  for (const b of bindings) {
    t.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: sa, namespace: 'ecigw' }]);
    const target = objs.find((o) => o.kind === b.roleRef.kind && o.metadata.name === b.roleRef.name && (o.metadata.namespace ?? '') === (b.kind === 'RoleBinding' ? b.metadata?.namespace : ''));
    t.truthy(target, `${b.metadata?.name} refers to a rendered ${b.roleRef.kind}`);
  }
  // Nothing kubelet-like is left to the ServiceAccount.
  const resources = [...all(objs, 'ClusterRole'), ...all(objs, 'Role')].flatMap((r) => ((r as V1Role).rules ?? []).flatMap((x) => x.resources ?? []));
  for (const r of ['secrets', 'configmaps', 'serviceaccounts/token', 'pods', 'pods/status', 'nodes', 'nodes/status', 'tokenreviews', 'subjectaccessreviews']) t.false(resources.includes(r), r);
});

test('nodeIdentity values: manual approval drops nodeclient; keyStorage disk and memory; lifetime and reminder reach the config', async (t) => {
  const manual = await render(CHART, [{ nodeIdentity: { autoApprove: false, keyStorage: 'disk', expirationSeconds: 0, approvalReminderSeconds: 15 } }]);
  t.deepEqual(sortRules(one<V1ClusterRole>(manual, 'ClusterRole').rules), expectedClusterRules(false));
  const vol = one<V1Deployment>(manual, 'Deployment').spec?.template.spec?.volumes?.find((v) => v.name === 'node-identity');
  t.deepEqual(vol?.emptyDir, { sizeLimit: '1Mi' }, 'on the node\'s disk');
  const { values: v } = loadAsAgent(manual, t);
  t.like(v, { 'nodeIdentity.enabled': true, 'nodeIdentity.expirationSeconds': 0, 'nodeIdentity.approvalReminderSeconds': 15 });
  t.regex(v['nodeIdentity.certDir'] as string, /\/var\/lib\/ecigw\/node-identity\/pki$/);

  const memory = await render(CHART, [{ nodeIdentity: { keyStorage: 'memory' } }]);
  const d = one<V1Deployment>(memory, 'Deployment');
  t.false((d.spec?.template.spec?.volumes ?? []).some((x) => x.name === 'node-identity'), 'no volume');
  t.false((d.spec?.template.spec?.containers[0].volumeMounts ?? []).some((x) => x.name === 'node-identity'));
  t.is(loadAsAgent(memory, t).values['nodeIdentity.certDir'], undefined, 'the key stays in the process');
});

/** Lays out the pod's files under a temp root and loads the config the way `gateway-agent` does. */
function loadAsAgent(objs: KubeObject[], t: { teardown: (f: () => void) => void }) {
  const root = mkdtempSync(join(tmpdir(), 'ecigw-agent-pod-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const d = one<V1Deployment>(objs, 'Deployment');
  const missing = materializeMounts(objs, d, root);
  // The service-account mount (kubelet.clientCaFile default) is provided by Kubernetes, not the chart.
  const saDir = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
  mkdirSync(saDir, { recursive: true });
  writeFileSync(join(saDir, 'ca.crt'), 'cluster CA');
  const env = containerEnv(d, { name: 'agent-7d9f-abcde', namespace: 'ecigw', ip: '10.1.2.3' });
  // Point the absolute paths of the config at the laid-out tree.
  const cfgPath = join(root, env.ECIGW_AGENT_CONFIG);
  writeFileSync(cfgPath, readFileSync(cfgPath, 'utf8').replaceAll('/etc/ecigw/', `${root}/etc/ecigw/`));
  const loaded = loadConfig(AGENT_FIELDS, { argv: [], env: { ...env, ECIGW_AGENT_CONFIG: cfgPath }, configEnv: 'ECIGW_AGENT_CONFIG' });
  if (!loaded) throw new Error('no config loaded');
  const caFile = loaded.values['kubelet.clientCaFile'] as string;
  if (caFile.startsWith('/var/run/secrets/')) loaded.values['kubelet.clientCaFile'] = join(root, caFile);
  validateAgentConfig(loaded.values);
  return { values: loaded.values, root, missing };
}

test('the rendered config and env load through the agent CLI config (AGENT_FIELDS) and its files exist', async (t) => {
  const objs = await render(CHART);
  const { values: v, root, missing } = loadAsAgent(objs, t);
  t.deepEqual(missing, []);
  t.like(v, {
    clusterId: 'onprem-1',
    'relay.address': 'relay.example.com:8443',
    'relay.caFile': `${root}/etc/ecigw/relay/ca.crt`,
    'relay.certFile': `${root}/etc/ecigw/relay/tls.crt`,
    'relay.keyFile': `${root}/etc/ecigw/relay/tls.key`,
    'relay.tokenFile': undefined,
    'node.name': 'eci-virtual-node',
    'node.internalIP': '10.1.2.3',
    'kubelet.port': 10250,
    'ops.port': 9095,
    'leaderElection.enabled': true,
    'leaderElection.namespace': 'ecigw',
    'leaderElection.name': 'gateway-agent-eci-virtual-node',
    'leaderElection.identity': 'agent-7d9f-abcde',
    'nodeIdentity.enabled': true,
    'nodeIdentity.expirationSeconds': 604800,
    'nodeIdentity.approvalReminderSeconds': 60,
    'pod.name': 'agent-7d9f-abcde',
    'pod.namespace': 'ecigw',
    'pod.uid': 'a1b2c3d4-0000-4000-8000-000000000001',
  });
  t.regex(v['nodeIdentity.certDir'] as string, /\/var\/lib\/ecigw\/node-identity\/pki$/);
  t.deepEqual(v['node.taints'], [{ key: 'virtual-kubelet.io/provider', value: 'alibabacloud', effect: 'NoSchedule' }, { key: 'ecigw.io/overflow', value: 'true', effect: 'PreferNoSchedule' }]);
  t.deepEqual(v['node.capacity'], { cpu: '1000', memory: '4Ti', pods: '5000', 'ephemeral-storage': '10Ti' });
  t.regex(readFileSync(v['relay.keyFile'] as string, 'utf8'), /BEGIN PRIVATE KEY/);
});

const custom = {
  replicaCount: 3,
  image: { tag: '0.2.0-rc.1' },
  relay: { address: '203.0.113.9:9443', proxy: 'http://proxy.corp:3128', credentials: { type: 'token', token: 's3cret-token' } },
  node: {
    name: 'eci-burst',
    region: 'cn-hangzhou',
    zone: 'cn-hangzhou-h',
    capacity: { cpu: '200', memory: '800Gi', pods: '400' },
    labels: { team: 'ml', 'example.com/tier': 'burst' },
    taints: [{ key: 'eci', value: 'true', effect: 'NoExecute' }],
    declareWebSocketStreaming: false,
  },
  kubelet: { port: 10443, tlsSecret: 'kubelet-serving', clientCAConfigMap: 'kubelet-client-ca' },
  leaderElection: { enabled: true, leaseName: 'burst-leader' },
  ops: { port: 19095 },
  resources: { requests: { cpu: '1', memory: '1Gi' } },
  podDisruptionBudget: { minAvailable: 2 },
};

test('non-default values reach the Deployment, Secret, RBAC and the loaded config', async (t) => {
  const objs = await render(CHART, [custom]);
  const d = one<V1Deployment>(objs, 'Deployment');
  t.is(d.spec?.replicas, 3);
  const c = d.spec!.template.spec!.containers[0];
  t.is(c.image, 'ghcr.io/eci-hybrid-gateway/gateway-agent:0.2.0-rc.1');
  t.deepEqual(c.ports?.map((p) => p.containerPort), [10443, 19095]);
  t.deepEqual(c.resources?.requests, { cpu: '1', memory: '1Gi' });
  t.is(one<V1PodDisruptionBudget>(objs, 'PodDisruptionBudget').spec?.minAvailable, 2);
  const secret = one<V1Secret>(objs, 'Secret');
  t.deepEqual(Object.keys(secret.data ?? {}).sort(), ['ca.crt', 'token']);
  t.is(Buffer.from(secret.data!.token, 'base64').toString(), 's3cret-token');
  t.deepEqual(sortRules(one<V1ClusterRole>(objs, 'ClusterRole').rules), expectedClusterRules());
  t.deepEqual(sortRules(one<V1Role>(objs, 'Role').rules), namespaceRules('burst-leader'));

  // The kubelet serving pair and client CA come from objects the user owns (not rendered here).
  const { values: v, missing } = (() => {
    const extra: KubeObject[] = [
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'kubelet-serving' }, data: { 'tls.crt': Buffer.from('crt').toString('base64'), 'tls.key': Buffer.from('key').toString('base64') } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kubelet-client-ca' }, data: { 'ca.crt': 'ca' } },
    ];
    return loadAsAgent([...objs, ...extra], t);
  })();
  t.deepEqual(missing, []);
  t.like(v, {
    'relay.address': '203.0.113.9:9443',
    'relay.proxy': 'http://proxy.corp:3128',
    'relay.certFile': undefined,
    'node.name': 'eci-burst',
    'node.region': 'cn-hangzhou',
    'node.zone': 'cn-hangzhou-h',
    'node.declareWebSocketStreaming': false,
    'kubelet.port': 10443,
    'ops.port': 19095,
    'leaderElection.name': 'burst-leader',
  });
  t.regex(v['relay.tokenFile'] as string, /\/etc\/ecigw\/relay\/token$/);
  t.regex(v['kubelet.certFile'] as string, /\/etc\/ecigw\/kubelet-tls\/tls.crt$/);
  t.regex(v['kubelet.clientCaFile'] as string, /\/etc\/ecigw\/kubelet-client-ca\/ca.crt$/);
  t.deepEqual(v['node.labels'], { team: 'ml', 'example.com/tier': 'burst' });
  // Helm merges maps with the defaults (ephemeral-storage stays unless set to null); lists replace.
  t.deepEqual(v['node.capacity'], { cpu: '200', memory: '800Gi', pods: '400', 'ephemeral-storage': '10Ti' });
  t.deepEqual(v['node.taints'], [{ key: 'eci', value: 'true', effect: 'NoExecute' }]);
});

test('a single replica without leader election has no leader Lease rules and says so in env', async (t) => {
  const objs = await render(CHART, [{ replicaCount: 1, leaderElection: { enabled: false } }]);
  const env = one<V1Deployment>(objs, 'Deployment').spec!.template.spec!.containers[0].env ?? [];
  t.is(env.find((e) => e.name === 'ECIGW_LEADER_ELECT')?.value, 'false');
  t.deepEqual(sortRules(one<V1Role>(objs, 'Role').rules), namespaceRules());
  t.is(one<V1ConfigMap>(objs, 'ConfigMap').data?.['agent.yaml']?.includes('leaderElection'), false);
});

test('an existing credentials Secret is referenced, not rendered', async (t) => {
  const objs = await render(CHART, [{ relay: { credentials: { existingSecret: 'my-relay-creds', caCert: '' } } }]);
  t.is(all(objs, 'Secret').length, 0);
  const vols = one<V1Deployment>(objs, 'Deployment').spec!.template.spec!.volumes ?? [];
  t.is(vols.find((v) => v.name === 'relay-credentials')?.secret?.secretName, 'my-relay-creds');
});

test('NetworkPolicy only when enabled: egress to the relay port and data port, DNS and the API server', async (t) => {
  t.is(all(await render(CHART), 'NetworkPolicy').length, 0);
  const objs = await render(CHART, [{ relay: { address: 'relay.example.com:9443' }, networkPolicy: { enabled: true, relayCIDRs: ['198.51.100.7/32'], apiServerCIDRs: ['10.96.0.1/32', '192.168.10.0/24'], apiServerPorts: [6443] } }]);
  const np = one<V1NetworkPolicy>(objs, 'NetworkPolicy');
  t.deepEqual(np.spec?.policyTypes, ['Egress']);
  t.deepEqual(np.spec?.podSelector?.matchLabels, one<V1Deployment>(objs, 'Deployment').spec?.selector.matchLabels);
  const [relay, dns, api] = np.spec?.egress ?? [];
  t.is(np.spec?.egress?.length, 3);
  t.deepEqual(relay.to, [{ ipBlock: { cidr: '198.51.100.7/32' } }]);
  // The tunnel, and the data port (8444, the relay chart's dataPort) the agent dials directly for session output.
  t.deepEqual(relay.ports, [
    { protocol: 'TCP', port: 9443 },
    { protocol: 'TCP', port: 8444 },
  ]);
  t.deepEqual(dns.ports?.map((p) => `${p.protocol}/${p.port}`), ['UDP/53', 'TCP/53']);
  t.deepEqual(dns.to?.[0].podSelector?.matchLabels, { 'k8s-app': 'kube-dns' });
  t.deepEqual(api.to, [{ ipBlock: { cidr: '10.96.0.1/32' } }, { ipBlock: { cidr: '192.168.10.0/24' } }]);
  t.deepEqual(api.ports, [{ protocol: 'TCP', port: 6443 }]);
});

test('ServiceMonitor (and the ops Service it scrapes) only when enabled', async (t) => {
  const off = await render(CHART);
  t.is(all(off, 'ServiceMonitor').length + all(off, 'Service').length, 0);
  const objs = await render(CHART, [{ serviceMonitor: { enabled: true, interval: '15s', labels: { release: 'kube-prometheus' } } }]);
  const sm = one<KubeObject & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string; interval: string }[] } }>(objs, 'ServiceMonitor');
  t.is(sm.apiVersion, 'monitoring.coreos.com/v1');
  t.is(sm.metadata.labels?.release, 'kube-prometheus');
  t.deepEqual(sm.spec.endpoints, [{ port: 'ops', path: '/metrics', interval: '15s' }]);
  const svc = one<V1Service>(objs, 'Service');
  for (const [k, val] of Object.entries(sm.spec.selector.matchLabels)) t.is(svc.metadata?.labels?.[k], val, `Service label ${k}`);
  t.deepEqual(svc.spec?.ports?.map((p) => [p.name, p.port, p.targetPort]), [['ops', 9095, 'ops']]);
  t.deepEqual(svc.spec?.selector, one<V1Deployment>(objs, 'Deployment').spec?.selector.matchLabels);
  t.is(sm.spec.selector.matchLabels['app.kubernetes.io/component'], 'ops');
  t.is(svc.metadata?.labels?.['app.kubernetes.io/part-of'], 'eci-hybrid-gateway', 'part-of names the application, not a role');
});

/** A ValidatingAdmissionPolicy and its binding as far as these tests read them. */
interface AdmissionPolicy extends KubeObject {
  spec: {
    failurePolicy?: string;
    matchConstraints: { resourceRules: { apiGroups: string[]; apiVersions: string[]; operations: string[]; resources: string[] }[] };
    matchConditions: { name: string; expression: string }[];
    validations: { expression: string; reason?: string; message?: string }[];
  };
}
interface AdmissionPolicyBinding extends KubeObject {
  spec: { policyName: string; validationActions: string[]; paramRef?: unknown; matchResources?: unknown };
}

const ENDPOINTSLICE_RULE = { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], resourceNames: undefined, verbs: ['create', 'delete', 'get', 'list', 'update', 'watch'] };
const TUNNEL = { network: { mode: 'tunnel' } };

test('network.mode routed (the default): no EndpointSlice rule, no admission policy, and the config says routed', async (t) => {
  const objs = await render(CHART);
  t.false((one<V1ClusterRole>(objs, 'ClusterRole').rules ?? []).some((r) => r.resources?.includes('endpointslices')));
  t.is(all(objs, 'ValidatingAdmissionPolicy').length + all(objs, 'ValidatingAdmissionPolicyBinding').length, 0);
  const { values: v } = loadAsAgent(objs, t);
  t.like(v, { 'network.mode': 'routed', 'network.listen': '0.0.0.0', 'network.portRange': '20000-29999', 'network.maxConnections': 1024, 'network.advertiseAddress': undefined });
  t.deepEqual(networkFrom(v), { mode: 'routed' });
  // An empty advertiseAddress is left out of the config (the agent then takes node.internalIP, the pod IP).
  t.false(one<V1ConfigMap>(objs, 'ConfigMap').data?.['agent.yaml']?.includes('advertiseAddress'));
});

test('network.mode tunnel: the ServiceAccount may write EndpointSlices cluster-wide, nothing else changes in RBAC, and the agent loads tunnel mode with the pod IP as its endpoint', async (t) => {
  const objs = await render(CHART, [TUNNEL], { release: 'prod' });
  assertNoWildcards(t, objs);
  t.deepEqual(sortRules(one<V1ClusterRole>(objs, 'ClusterRole').rules), [...expectedClusterRules(), ENDPOINTSLICE_RULE]);
  t.deepEqual(sortRules(one<V1Role>(objs, 'Role').rules), namespaceRules('gateway-agent-eci-virtual-node'), 'the namespaced rules stay as they were');
  const { values: v } = loadAsAgent(objs, t);
  t.like(v, { 'network.mode': 'tunnel', 'network.listen': '0.0.0.0', 'network.portRange': '20000-29999', 'network.maxConnections': 1024, 'node.internalIP': '10.1.2.3' });
  // advertiseAddress "" is left out of the config, so the agent publishes its pod IP (POD_IP, downward API).
  t.deepEqual(networkFrom(v), { mode: 'tunnel', advertiseAddress: '10.1.2.3', host: '0.0.0.0', portRange: { first: 20000, last: 29999 }, maxConnections: 1024 });
  const env = one<V1Deployment>(objs, 'Deployment').spec!.template.spec!.containers[0].env ?? [];
  t.is(env.find((e) => e.name === 'POD_IP')?.valueFrom?.fieldRef?.fieldPath, 'status.podIP');
});

test('network.mode tunnel: non-default listen, advertiseAddress, portRange and maxConnections reach the loaded config', async (t) => {
  const objs = await render(CHART, [{ network: { mode: 'tunnel', listen: '10.1.2.3', advertiseAddress: '192.0.2.10', portRange: '31000-31999', maxConnections: 5000 } }]);
  const { values: v } = loadAsAgent(objs, t);
  t.like(v, { 'network.mode': 'tunnel', 'network.listen': '10.1.2.3', 'network.advertiseAddress': '192.0.2.10', 'network.portRange': '31000-31999', 'network.maxConnections': 5000 });
  t.deepEqual(networkFrom(v), { mode: 'tunnel', advertiseAddress: '192.0.2.10', host: '10.1.2.3', portRange: { first: 31000, last: 31999 }, maxConnections: 5000 });
  const any = loadAsAgent(await render(CHART, [{ network: { mode: 'tunnel', portRange: 'any' } }]), t).values;
  t.like(networkFrom(any), { mode: 'tunnel', portRange: undefined }, 'any free port');
  // A changed network value rolls the pods (it is part of the config checksum).
  const checksum = (o: KubeObject[]) => one<V1Deployment>(o, 'Deployment').spec?.template.metadata?.annotations?.['checksum/config'];
  t.not(checksum(objs), checksum(await render(CHART, [TUNNEL])));
});

test('network.mode tunnel: a ValidatingAdmissionPolicy lets only the agent ServiceAccount\'s writes of its own EndpointSlices through', async (t) => {
  const objs = await render(CHART, [{ network: { mode: 'tunnel' }, node: { name: 'burst-1' }, serviceAccount: { name: 'agent-sa' } }], { release: 'prod', namespace: 'gw' });
  const vap = one<AdmissionPolicy>(objs, 'ValidatingAdmissionPolicy');
  const binding = one<AdmissionPolicyBinding>(objs, 'ValidatingAdmissionPolicyBinding');
  t.is(vap.apiVersion, 'admissionregistration.k8s.io/v1');
  t.is(binding.apiVersion, 'admissionregistration.k8s.io/v1');
  t.is(vap.metadata.name, 'gw-prod-gateway-agent-endpointslices');
  t.is(vap.metadata.namespace, undefined, 'cluster-scoped');
  t.is(vap.metadata.labels?.['app.kubernetes.io/part-of'], 'eci-hybrid-gateway');
  t.is(vap.spec.failurePolicy, 'Fail');
  t.deepEqual(vap.spec.matchConstraints.resourceRules, [{ apiGroups: ['discovery.k8s.io'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE', 'DELETE'], resources: ['endpointslices'] }]);
  t.is(one<KubeObject>(objs, 'ServiceAccount').metadata.name, 'agent-sa');
  t.deepEqual(vap.spec.matchConditions, [{ name: 'gateway-agent-service-account', expression: 'request.userInfo.username == "system:serviceaccount:gw:agent-sa"' }]);
  // The old object (update, delete) and the new one (create, update) must both carry the agent's labels.
  const [old, updated] = vap.spec.validations;
  t.is(vap.spec.validations.length, 2);
  for (const [v, obj] of [
    [old, 'oldObject'],
    [updated, 'object'],
  ] as const) {
    t.true(v.expression.startsWith(`${obj} == null || (`), v.expression);
    t.true(v.expression.includes(`${obj}.metadata.labels[?'endpointslice.kubernetes.io/managed-by'] == optional.of('gateway-agent.ecigw.io')`), v.expression);
    t.true(v.expression.includes(`${obj}.metadata.labels[?'ecigw.io/node'] == optional.of('burst-1')`), v.expression);
    t.is(v.reason, 'Forbidden');
    t.regex(v.message ?? '', /system:serviceaccount:gw:agent-sa.*managed-by=gateway-agent\.ecigw\.io and ecigw\.io\/node=burst-1/);
  }
  t.deepEqual(binding.spec, { policyName: vap.metadata.name, validationActions: ['Deny'] }, 'every namespace, no parameters');
  t.is(binding.metadata.name, vap.metadata.name);
});

test('network.admissionPolicy.enabled=false: tunnel mode without the policy (the EndpointSlice rule stays)', async (t) => {
  const objs = await render(CHART, [{ network: { mode: 'tunnel', admissionPolicy: { enabled: false } } }]);
  t.is(all(objs, 'ValidatingAdmissionPolicy').length + all(objs, 'ValidatingAdmissionPolicyBinding').length, 0);
  t.deepEqual(sortRules(one<V1ClusterRole>(objs, 'ClusterRole').rules), [...expectedClusterRules(), ENDPOINTSLICE_RULE]);
  // Without tunnel mode the toggle changes nothing.
  t.deepEqual((await render(CHART, [{ network: { admissionPolicy: { enabled: true } } }])).map((o) => o.kind).sort(), (await render(CHART)).map((o) => o.kind).sort());
});

test('network.mode tunnel with rbac.create=false: no RBAC, but the policy still guards the ServiceAccount you bind yourself', async (t) => {
  const objs = await render(CHART, [{ network: { mode: 'tunnel' }, rbac: { create: false } }]);
  t.is(all(objs, 'ClusterRole').length + all(objs, 'Role').length, 0);
  t.is(one<AdmissionPolicy>(objs, 'ValidatingAdmissionPolicy').spec.matchConditions[0].expression, 'request.userInfo.username == "system:serviceaccount:ecigw:rel-gateway-agent"');
});

test('network.mode tunnel with the NetworkPolicy: ingress stays unrestricted, so the Service listeners are reachable', async (t) => {
  const np = one<V1NetworkPolicy>(await render(CHART, [TUNNEL, { networkPolicy: { enabled: true, relayCIDRs: ['198.51.100.7/32'], apiServerCIDRs: ['10.96.0.1/32'] } }]), 'NetworkPolicy');
  t.deepEqual(np.spec?.policyTypes, ['Egress'], 'no Ingress policy type: nothing blocks connections to network.portRange');
  t.is(np.spec?.ingress, undefined);
});

const NP = { networkPolicy: { enabled: true, relayCIDRs: ['198.51.100.7/32'], apiServerCIDRs: ['10.96.0.1/32'] } };
const egressRules = async (values: object[]) => one<V1NetworkPolicy>(await render(CHART, [NP, ...values]), 'NetworkPolicy').spec?.egress ?? [];

test('NetworkPolicy: networkPolicy.relayDataPort moves the data port rule, empty drops it, and the relay port is not listed twice', async (t) => {
  const ports = async (v: object) => (await egressRules([v]))[0].ports?.map((p) => p.port);
  t.deepEqual(await ports({ networkPolicy: { relayDataPort: 18444 } }), [8443, 18444]);
  t.deepEqual(await ports({ networkPolicy: { relayDataPort: '' } }), [8443]);
  t.deepEqual(await ports({ networkPolicy: { relayDataPort: 8443 } }), [8443]);
  t.deepEqual((await egressRules([{ networkPolicy: { relayDataPort: '' } }]))[0].to, [{ ipBlock: { cidr: '198.51.100.7/32' } }], 'to the relay CIDRs only');
});

test('NetworkPolicy, network.mode routed: no rule for exported Services (only relay, DNS, API server)', async (t) => {
  t.is((await egressRules([])).length, 3);
  t.is((await egressRules([{ networkPolicy: { exportedServices: { to: [], ports: [] } } }])).length, 3, 'the exportedServices values are for tunnel mode');
});

test('NetworkPolicy, network.mode tunnel: the agent may dial exported Services\' endpoints, every pod of the cluster by default, narrowed or widened by networkPolicy.exportedServices', async (t) => {
  const rules = await egressRules([TUNNEL]);
  t.is(rules.length, 4);
  t.deepEqual(rules[3], { to: [{ namespaceSelector: {} }] }, 'pods of every namespace, on any port (the Services\' target ports)');
  t.deepEqual(rules[0].ports?.map((p) => p.port), [8443, 8444], 'the relay rules stay');
  const to = [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'databases' } }, podSelector: { matchLabels: { app: 'pg' } } }, { ipBlock: { cidr: '192.168.50.0/24', except: ['192.168.50.1/32'] } }];
  const ports = [{ port: 5432, protocol: 'TCP' }, { port: 6000, endPort: 6010 }];
  t.deepEqual((await egressRules([TUNNEL, { networkPolicy: { exportedServices: { to, ports } } }]))[3], { to, ports });
  t.deepEqual((await egressRules([TUNNEL, { networkPolicy: { exportedServices: { ports } } }]))[3], { to: [{ namespaceSelector: {} }], ports });
  t.deepEqual((await egressRules([TUNNEL, { networkPolicy: { exportedServices: { to: [] } } }]))[3], {}, 'empty `to`: any destination');
});

const rejected: [string, object, RegExp][] = [
  ['a relay data port out of range', { networkPolicy: { relayDataPort: 70000 } }, /\/networkPolicy\/relayDataPort/],
  ['an unknown exportedServices key', { networkPolicy: { exportedServices: { namespaces: ['db'] } } }, /\/networkPolicy\/exportedServices/],
  ['an exported-Service peer with ipBlock and a selector', { networkPolicy: { exportedServices: { to: [{ ipBlock: { cidr: '10.0.0.0/8' }, namespaceSelector: {} }] } } }, /\/networkPolicy\/exportedServices\/to\/0/],
  ['an empty exported-Service peer', { networkPolicy: { exportedServices: { to: [{}] } } }, /\/networkPolicy\/exportedServices\/to\/0/],
  ['an exported-Service peer CIDR that is not one', { networkPolicy: { exportedServices: { to: [{ ipBlock: { cidr: '10.0.0.0' } }] } } }, /\/networkPolicy\/exportedServices\/to\/0\/ipBlock\/cidr/],
  ['a UDP exported-Service port (the tunnel carries TCP)', { networkPolicy: { exportedServices: { ports: [{ port: 53, protocol: 'UDP' }] } } }, /\/networkPolicy\/exportedServices\/ports\/0\/protocol/],
  ['an exported-Service port without a port', { networkPolicy: { exportedServices: { ports: [{ protocol: 'TCP' }] } } }, /\/networkPolicy\/exportedServices\/ports\/0/],

  ['an unknown network mode', { network: { mode: 'bridged' } }, /\/network\/mode/],
  ['a malformed port range', { network: { portRange: '20000:29999' } }, /\/network\/portRange/],
  ['zero Service connections', { network: { maxConnections: 0 } }, /\/network\/maxConnections/],
  ['an advertise address that is a host name', { network: { advertiseAddress: 'agent.example.com' } }, /\/network\/advertiseAddress/],
  ['an unknown network key', { network: { bogus: true } }, /\/network/],
  ['a non-boolean admission policy toggle', { network: { admissionPolicy: { enabled: 'yes' } } }, /\/network\/admissionPolicy\/enabled/],
  ['several replicas without leader election', { replicaCount: 2, leaderElection: { enabled: false } }, /\/leaderElection\/enabled/],
  ['a bad taint effect', { node: { taints: [{ key: 'a', effect: 'Sometimes' }] } }, /\/node\/taints\/0\/effect/],
  ['a capacity that is not a quantity', { node: { capacity: { cpu: 'lots', memory: '1Gi', pods: '10' } } }, /\/node\/capacity\/cpu/],
  ['an unknown top-level key', { bogus: true }, /bogus/],
  ['a relay address without a port', { relay: { address: 'relay.example.com' } }, /\/relay\/address/],
  ['an unknown credential type', { relay: { credentials: { type: 'basic' } } }, /\/relay\/credentials\/type/],
  ['token credentials without a token', { relay: { credentials: { type: 'token' } } }, /\/relay\/credentials/],
  ['the latest image tag', { image: { tag: 'latest' } }, /\/image\/tag/],
  ['an upper-case node name', { node: { name: 'ECI' } }, /\/node\/name/],
  ['a string port', { kubelet: { port: '10250' } }, /\/kubelet\/port/],
  ['an unknown key storage', { nodeIdentity: { keyStorage: 'secret' } }, /\/nodeIdentity\/keyStorage/],
  ['a certificate lifetime under 600 s', { nodeIdentity: { expirationSeconds: 300 } }, /\/nodeIdentity\/expirationSeconds/],
  ['a NetworkPolicy without relay CIDRs', { networkPolicy: { enabled: true, apiServerCIDRs: ['10.0.0.1/32'] } }, /\/networkPolicy\/relayCIDRs/],
];
for (const [what, values, field] of rejected) {
  test(`schema rejects ${what}`, async (t) => {
    const r = await template(CHART, [values]);
    t.not(r.code, 0, 'helm template must fail');
    t.regex(r.stderr, field);
  });
}
