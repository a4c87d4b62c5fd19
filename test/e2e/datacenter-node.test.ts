// The datacenter node (test/cluster/datacenter-node.ts): the upstream virtual-kubelet's mock provider on the
// shared cluster, an untainted node with the labels and capacity the test chooses. A Deployment selecting it
// fills its 3 pod slots, each pod Running there (reported by the kubelet, not written by the test); a 4th
// replica stays Pending with the scheduler's own reason; close() stops the kubelet and removes the Node.
import test from 'ava';
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { useCluster, type ClusterHandle } from '../cluster/fixture.js';
import { DATACENTER_NODE_LABEL, startDatacenterNode, type DatacenterNode } from '../cluster/datacenter-node.js';
import { eventually } from '../helpers/wait.js';

const name = `dc-test-${process.pid}`;
const ns = `dc-node-${process.pid}`;
let cluster: ClusterHandle;
let node: DatacenterNode | undefined;

test.before(async (t) => {
  // A cold build of virtual-kubelet takes minutes (test/cluster/build-virtual-kubelet.sh).
  t.timeout(20 * 60_000);
  cluster = await useCluster();
  node = await startDatacenterNode(cluster, { name, labels: { 'ecigw.io/test': 'datacenter-node' }, capacity: { cpu: '8', memory: '16Gi', pods: 3 } });
});
test.after.always(async () => {
  await cluster?.kc.makeApiClient(CoreV1Api).deleteNamespace({ name: ns }).catch(() => undefined);
  await node?.close();
});

const summary = (pods: V1Pod[]) => pods.map((p) => `${p.metadata?.name}@${p.spec?.nodeName ?? '-'}:${p.status?.phase}`).join(' ');

test('a Deployment fills the datacenter node\'s 3 pod slots, Running there; a 4th replica stays Pending as Too many pods', async (t) => {
  const dc = node;
  if (!dc) throw new Error('datacenter node not started');
  const core = cluster.kc.makeApiClient(CoreV1Api);
  const apps = cluster.kc.makeApiClient(AppsV1Api);

  const n = await core.readNode({ name });
  t.is(n.metadata?.labels?.[DATACENTER_NODE_LABEL], 'true');
  t.is(n.metadata?.labels?.['ecigw.io/test'], 'datacenter-node', 'the caller\'s labels');
  // Ordinary datacenter capacity: no virtual-kubelet taint. (The node lifecycle controller's own condition
  // taints, node.kubernetes.io/*, may come and go on a loaded machine; they are not the binary's.)
  const taints = (n.spec?.taints ?? []).map((x) => `${x.key}:${x.effect}`);
  t.deepEqual(taints.filter((k) => !k.startsWith('node.kubernetes.io/')), [], `no taint of its own (taints: ${taints.join(', ') || 'none'})`);
  t.like(n.status?.capacity, { cpu: '8', memory: '16Gi', pods: '3' });
  t.like(n.status?.allocatable, { cpu: '8', memory: '16Gi', pods: '3' });
  t.is(n.status?.daemonEndpoints?.kubeletEndpoint?.Port, dc.port, 'the kubelet API port the node reports');

  await core.createNamespace({ body: { metadata: { name: ns } } });
  await eventually('default ServiceAccount', () => core.readNamespacedServiceAccount({ name: 'default', namespace: ns }).then(() => true), 30_000);
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'onprem' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'onprem' } },
        template: {
          metadata: { labels: { app: 'onprem' } },
          spec: {
            nodeSelector: { 'ecigw.io/test': 'datacenter-node', 'kubernetes.io/hostname': name },
            containers: [{ name: 'web', image: 'nginx', resources: { requests: { cpu: '250m', memory: '256Mi' } } }],
          },
        },
      },
    },
  });
  const list = async () => (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=onprem' })).items.filter((p) => !p.metadata?.deletionTimestamp);
  let seen = '';
  const running = await eventually('3 pods Running on the datacenter node', async () => {
    const pods = await list();
    seen = summary(pods);
    return pods.length === 3 && pods.every((p) => p.spec?.nodeName === name && p.status?.phase === 'Running') ? pods : undefined;
  }, 60_000).catch((e: Error) => t.fail(`${e.message} (last seen: ${seen})`));
  if (!running) return;
  for (const p of running) {
    t.is(p.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', `${p.metadata?.name} Ready`);
    t.is(p.status?.containerStatuses?.[0]?.state?.running !== undefined, true, `${p.metadata?.name}'s container reported running`);
  }

  await apps.patchNamespacedDeploymentScale({ name: 'onprem', namespace: ns, body: { spec: { replicas: 4 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  const fourth = await eventually('the 4th replica marked Unschedulable by the scheduler', async () => {
    const pods = await list();
    seen = summary(pods);
    const pending = pods.filter((p) => !p.spec?.nodeName);
    const cond = pending[0]?.status?.conditions?.find((c) => c.type === 'PodScheduled');
    return pods.length === 4 && pending.length === 1 && cond?.status === 'False' && cond.reason === 'Unschedulable' ? { pod: pending[0], cond } : undefined;
  }, 60_000).catch((e: Error) => t.fail(`${e.message} (last seen: ${seen})`));
  if (!fourth) return;
  t.is(fourth.pod.status?.phase, 'Pending');
  t.regex(fourth.cond.message ?? '', /\b1 Too many pods\b/, `the scheduler's reason: ${fourth.cond.message}`);
  const still = await list();
  t.is(still.filter((p) => p.spec?.nodeName === name && p.status?.phase === 'Running').length, 3, `the first 3 keep running: ${summary(still)}`);

  // close() stops the kubelet and removes the Node.
  node = undefined;
  await dc.close();
  const gone = await core.readNode({ name }).then(() => false, (e: { code?: number }) => e.code === 404);
  t.true(gone, 'the Node object is deleted');
});
