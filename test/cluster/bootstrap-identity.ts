// A bootstrap credential for agents in tests and the demo: a ServiceAccount with the agent chart's rules
// (file its node's CSR and have it auto-approved through certificatesigningrequests/nodeclient; the
// leader Lease and its own Events in its namespace) and a kubeconfig holding a token for it. Created once
// per cluster and shared (idempotent creates); `nodeClient: false` gives a second account whose CSRs the
// controller manager's approver leaves pending.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, RbacAuthorizationV1Api, type KubeConfig, type V1PolicyRule } from '@kubernetes/client-node';

export const BOOTSTRAP_NAMESPACE = 'ecigw-agent-bootstrap';

export interface BootstrapCredential {
  kubeconfigPath: string;
  namespace: string;
  serviceAccount: string;
  /** The account's user name as the API server sees it. */
  user: string;
}

/** The agent chart's bootstrap rules (charts/gateway-agent/templates/rbac.yaml says why each one exists). */
export function bootstrapClusterRules(nodeClient: boolean): V1PolicyRule[] {
  return [
    { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'], verbs: ['create', 'get', 'list', 'watch'] },
    ...(nodeClient ? [{ apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/nodeclient'], verbs: ['create'] }] : []),
    // networking mode `tunnel`: the agent's own EndpointSlices for burst pods (network.mode in the chart).
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['create', 'get', 'list', 'watch', 'update', 'delete'] },
  ];
}
/** In its own namespace. Lease names are not pinned here: tests use a Lease per stack. */
export const BOOTSTRAP_NAMESPACE_RULES: V1PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create', 'get', 'update', 'patch'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
];

const ignoreExists = (e: unknown) => {
  if ((e as { code?: number }).code !== 409) throw e;
};

/**
 * Ensures the ServiceAccount `name` in BOOTSTRAP_NAMESPACE with the bootstrap rules exists (as `admin`),
 * and writes a kubeconfig with a fresh token for it into `dir`.
 */
export async function bootstrapCredential(admin: KubeConfig, o: { dir: string; name?: string; nodeClient?: boolean; tokenSeconds?: number }): Promise<BootstrapCredential> {
  const nodeClient = o.nodeClient ?? true;
  const name = o.name ?? (nodeClient ? 'gateway-agent' : 'gateway-agent-manual-approval');
  const namespace = BOOTSTRAP_NAMESPACE;
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } }).catch(ignoreExists);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } }).catch(ignoreExists);
  const clusterRole = `ecigw-test-${name}`;
  // Replaced when it exists, so a cluster kept between runs gets the rules of this checkout.
  await rbac.createClusterRole({ body: { metadata: { name: clusterRole }, rules: bootstrapClusterRules(nodeClient) } }).catch(async (e: unknown) => {
    ignoreExists(e);
    await rbac.replaceClusterRole({ name: clusterRole, body: { metadata: { name: clusterRole }, rules: bootstrapClusterRules(nodeClient) } });
  });
  await rbac
    .createClusterRoleBinding({
      body: { metadata: { name: clusterRole }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole }, subjects: [{ kind: 'ServiceAccount', name, namespace }] },
    })
    .catch(ignoreExists);
  await rbac.createNamespacedRole({ namespace, body: { metadata: { name }, rules: BOOTSTRAP_NAMESPACE_RULES } }).catch(ignoreExists);
  await rbac
    .createNamespacedRoleBinding({
      namespace,
      body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [{ kind: 'ServiceAccount', name, namespace }] },
    })
    .catch(ignoreExists);
  const tr = await core.createNamespacedServiceAccountToken({ name, namespace, body: { spec: { audiences: [], expirationSeconds: o.tokenSeconds ?? 6 * 3600 } } });
  const token = tr.status?.token;
  if (!token) throw new Error(`no token for ${namespace}/${name}`);
  mkdirSync(o.dir, { recursive: true });
  const kubeconfigPath = join(o.dir, `${name}.kubeconfig`);
  writeFileSync(kubeconfigPath, tokenKubeconfig(admin, token), { mode: 0o600 });
  return { kubeconfigPath, namespace, serviceAccount: name, user: `system:serviceaccount:${namespace}:${name}` };
}

/** A kubeconfig for the admin's cluster (server and CA) that authenticates with `token`. */
export function tokenKubeconfig(admin: KubeConfig, token: string): string {
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('admin kubeconfig has no current cluster');
  if (!cluster.caFile && !cluster.caData) throw new Error('admin kubeconfig names no cluster CA');
  const ca = cluster.caFile ? `    certificate-authority: ${JSON.stringify(cluster.caFile)}` : `    certificate-authority-data: ${cluster.caData}`;
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: cluster',
    '  cluster:',
    `    server: ${JSON.stringify(cluster.server)}`,
    ca,
    'users:',
    '- name: bootstrap',
    '  user:',
    `    token: ${JSON.stringify(token)}`,
    'contexts:',
    '- name: bootstrap',
    '  context: { cluster: cluster, user: bootstrap }',
    'current-context: bootstrap',
    '',
  ].join('\n');
}
