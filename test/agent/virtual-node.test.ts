// The agent against the real cluster, with the relay in front of the in-process provider: node
// registration and heartbeat, and a Deployment scaling up and down on the virtual node.
import test from 'ava';
import { CoreV1Api, AppsV1Api, CoordinationV1Api, setHeaderOptions, PatchStrategy } from '@kubernetes/client-node';
import { MemoryProvider } from '../helpers/memory-provider.js';
import { startStack, eventually, type Stack } from '../helpers/stack.js';
import { TUNNEL_CONDITION } from '../../agent/node/node-spec.js';
import { GROUP_ID_ANNOTATION } from '../../agent/pods/pod-controller.js';

let stack: Stack;
const provider = new MemoryProvider({ orphanGraceMs: 0 });

test.before(async () => {
  stack = await startStack({ provider });
});
test.after.always(async () => {
  await stack?.close();
});

test('registers the virtual node with labels, taint, capacity, conditions and a Lease', async (t) => {
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  // The API server's TaintNodesByCondition admission puts node.kubernetes.io/not-ready on every new
  // Node; the node lifecycle controller lifts it once it sees Ready=True, as for a real kubelet.
  const node = await eventually('node with TunnelConnected=True and no not-ready taint', async () => {
    const n = await core.readNode({ name: stack.nodeName });
    const connected = n.status?.conditions?.find((c) => c.type === TUNNEL_CONDITION)?.status === 'True';
    const notReadyTaint = n.spec?.taints?.some((x) => x.key === 'node.kubernetes.io/not-ready');
    return connected && !notReadyTaint ? n : undefined;
  });
  t.is(node.metadata?.labels?.type, 'virtual-kubelet');
  t.is(node.metadata?.labels?.['kubernetes.io/role'], undefined, 'no label NodeRestriction forbids a node to set on itself');
  t.is(node.metadata?.labels?.['node.kubernetes.io/instance-type'], 'eci');
  t.is(node.metadata?.labels?.['topology.kubernetes.io/region'], 'cn-hangzhou');
  t.deepEqual(node.spec?.taints?.map((x) => `${x.key}=${x.value}:${x.effect}`), ['virtual-kubelet.io/provider=alibabacloud:NoSchedule', 'ecigw.io/overflow=true:PreferNoSchedule']);
  t.is(node.status?.capacity?.pods, '5k', 'capacity as configured (5000, in canonical form)');
  t.is(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  t.is(node.status?.daemonEndpoints?.kubeletEndpoint?.Port, stack.kubeletPort, 'kubelet endpoint is the agent kubelet API port');
  const lease = await stack.cluster.kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: stack.nodeName, namespace: 'kube-node-lease' });
  t.is(lease.spec?.holderIdentity, stack.nodeName);
  t.is(lease.metadata?.ownerReferences?.[0]?.kind, 'Node');
});

test('a tolerating Deployment scales 0 → 5 → 0 on the virtual node', async (t) => {
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  const apps = stack.cluster.kc.makeApiClient(AppsV1Api);
  const ns = `vn-${process.pid}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  t.teardown(() => core.deleteNamespace({ name: ns }).then(() => undefined, () => undefined));
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'burst' },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'burst' } },
        template: {
          metadata: { labels: { app: 'burst' } },
          spec: {
            nodeSelector: { 'kubernetes.io/hostname': stack.nodeName },
            tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
            containers: [{ name: 'web', image: 'nginx' }],
          },
        },
      },
    },
  });
  const scale = (replicas: number) =>
    apps.patchNamespacedDeploymentScale({ name: 'burst', namespace: ns, body: { spec: { replicas } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  await scale(5);
  const running = await eventually('5 pods Running', async () => {
    const pods = (await core.listNamespacedPod({ namespace: ns })).items;
    return pods.length === 5 && pods.every((p) => p.status?.phase === 'Running') ? pods : undefined;
  });
  for (const p of running) {
    t.is(p.spec?.nodeName, stack.nodeName);
    t.truthy(p.metadata?.annotations?.[GROUP_ID_ANNOTATION], 'provider id recorded on the pod');
    t.is(p.status?.hostIP, '127.0.0.1');
  }
  const scope = { tenantId: 'tenant', clusterId: stack.clusterId };
  t.is((await provider.list({ ...scope, tenant: { clusterIds: [stack.clusterId] } as never })).filter((s) => !s.gone).length, 5);

  await scale(0);
  await eventually('all pods gone', async () => (await core.listNamespacedPod({ namespace: ns })).items.length === 0);
  const left = (await provider.list({ ...scope, tenant: { clusterIds: [stack.clusterId] } as never })).filter((s) => !s.gone);
  t.is(left.length, 0, 'no cloud pod left');
});
