// Burst economics, placement and release order, with the real scheduler, ReplicaSet and HPA controllers: a
// datacenter node (upstream virtual-kubelet with its mock provider, room for 3 pods of 1 CPU) beside the
// virtual node, and a Deployment that tolerates the virtual node's taint and prefers other nodes (the charts'
// README recipe; the node's default PreferNoSchedule overflow taint does the rest). The tests run one at a
// time: both need the datacenter node's 3 CPUs. Scale-out fills the datacenter first; scale-in, by hand or by an HPA, gives the burst pods
// back first because the agent (acting as its node, under NodeRestriction) marks them with a pod-deletion-cost.
import test from 'ava';
import { AppsV1Api, AutoscalingV2Api, CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { startEciStack, type EciStack } from '../helpers/eci-stack.js';
import { eventually } from '../helpers/stack.js';
import { startDatacenterNode, type DatacenterNode } from '../cluster/datacenter-node.js';
import { DEFAULT_DELETION_COST, DELETION_COST_ANNOTATION } from '../../agent/pods/deletion-cost.js';
import { DEFAULT_TAINT } from '../../agent/node/node-spec.js';

let stack: EciStack;
let dc: DatacenterNode;
let core: CoreV1Api;
let apps: AppsV1Api;

test.before(async () => {
  stack = await startEciStack();
  dc = await startDatacenterNode(stack.cluster, { name: `dc-${process.pid}`, capacity: { cpu: '3', memory: '16Gi', pods: 110 } });
  core = stack.cluster.kc.makeApiClient(CoreV1Api);
  apps = stack.cluster.kc.makeApiClient(AppsV1Api);
});
test.after.always(async () => {
  await dc?.close();
  await stack?.close();
});

/** A Deployment as the charts' README says: tolerate the virtual node, prefer the others; here only these two nodes. */
async function createDeployment(ns: string, name: string, replicas: number, o: { cpu?: string; annotations?: Record<string, string> } = {}): Promise<void> {
  // The previous test's pods leave the datacenter node first (its namespace is going away).
  await eventually('the datacenter node to hold no pod', async () => (await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${dc.name}` })).items.length === 0, 60_000);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name }, annotations: o.annotations },
          spec: {
            tolerations: [{ key: DEFAULT_TAINT.key, operator: 'Exists', effect: 'NoSchedule' }],
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [dc.name, stack.nodeName] }] }] },
                preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'type', operator: 'NotIn', values: ['virtual-kubelet'] }] } }],
              },
            },
            // The mock provider waits out a deleted pod's grace period: none, so scale-in is quick.
            terminationGracePeriodSeconds: 0,
            containers: [{ name: 'web', image: 'nginx', resources: { requests: { cpu: o.cpu ?? '1', memory: '64Mi' } } }],
          },
        },
      },
    },
  });
}

const live = async (ns: string, app: string): Promise<V1Pod[]> =>
  (await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
const runningOn = (pods: V1Pod[], node: string) => pods.filter((p) => p.spec?.nodeName === node && p.status?.phase === 'Running');
const describe = (pods: V1Pod[]) => pods.map((p) => `${p.metadata?.name}@${p.spec?.nodeName ?? '-'}:${p.status?.phase}`).join(' ');

/** Waits for `onPrem` pods Running on the datacenter node and `burst` on the virtual node; returns the datacenter pods' names. */
async function placed(t: { log(...a: unknown[]): void }, ns: string, app: string, onPrem: number, burst: number): Promise<string[]> {
  let pods: V1Pod[] = [];
  await eventually(
    `${onPrem} pods Running on the datacenter node and ${burst} on the virtual node`,
    async () => {
      pods = await live(ns, app);
      return pods.length === onPrem + burst && runningOn(pods, dc.name).length === onPrem && runningOn(pods, stack.nodeName).length === burst;
    },
    120_000,
  ).catch((e: Error) => {
    throw new Error(`${e.message}: ${describe(pods)}`);
  });
  t.log(`placed: ${describe(pods)}`);
  return runningOn(pods, dc.name).map((p) => p.metadata?.name ?? '');
}
const burstTo8 = (t: { log(...a: unknown[]): void }, ns: string, app: string) => placed(t, ns, app, 3, 5);

const scaleTo = (ns: string, name: string, replicas: number) =>
  apps.patchNamespacedDeploymentScale({ name, namespace: ns, body: { spec: { replicas } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
const settled = (ns: string, app: string, n: number) =>
  eventually(`${n} pods left`, async () => {
    const all = (await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` })).items;
    return all.length === n ? all : undefined;
  }, 90_000);

test.serial('scale-out fills the datacenter node first; scale-in to 3 removes the 5 burst pods and keeps the 3 on-prem', async (t) => {
  const ns = `order-${process.pid}`;
  t.teardown(() => core.deleteNamespace({ name: ns }).then(() => undefined, () => undefined));
  await createDeployment(ns, 'web', 8);
  const onPrem = await burstTo8(t, ns, 'web');

  // Every burst pod carries the cost (written by the agent as its node); the datacenter pods do not.
  const pods = await live(ns, 'web');
  for (const p of pods) {
    const cost = p.metadata?.annotations?.[DELETION_COST_ANNOTATION];
    if (p.spec?.nodeName === stack.nodeName) t.is(cost, String(DEFAULT_DELETION_COST), `${p.metadata?.name} on the virtual node`);
    else t.is(cost, undefined, `${p.metadata?.name} on the datacenter node`);
  }

  await scaleTo(ns, 'web', 3);
  const left = await settled(ns, 'web', 3);
  t.deepEqual(left.map((p) => p.metadata?.name).sort(), [...onPrem].sort(), 'the datacenter pods stayed');
  t.true(left.every((p) => p.spec?.nodeName === dc.name && p.status?.phase === 'Running'));
});

test.serial('an HPA scaling in removes the burst pods first', async (t) => {
  const ns = `order-hpa-${process.pid}`;
  t.teardown(() => core.deleteNamespace({ name: ns }).then(() => undefined, () => undefined));
  const hpa = stack.cluster.kc.makeApiClient(AutoscalingV2Api);
  await createDeployment(ns, 'api', 3);
  // The HPA raises the Deployment to its minimum of 8 (scale-out through the autoscaler)...
  await hpa.createNamespacedHorizontalPodAutoscaler({
    namespace: ns,
    body: {
      metadata: { name: 'api' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
        minReplicas: 8,
        maxReplicas: 8,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
        behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
      },
    },
  });
  const onPrem = await burstTo8(t, ns, 'api');
  // ...and back in to 3 when its bounds come down: the HPA controller writes the Deployment's scale, the
  // ReplicaSet controller chooses which pods go. (No metrics server runs here; the bounds need none.)
  await hpa.patchNamespacedHorizontalPodAutoscaler(
    { name: 'api', namespace: ns, body: { spec: { minReplicas: 3, maxReplicas: 3 } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  const left = await eventually('the HPA to scale in to 3', async () => {
    const all = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=api' })).items;
    return all.length === 3 ? all : undefined;
  }, 90_000);
  const scale = await apps.readNamespacedDeploymentScale({ name: 'api', namespace: ns });
  t.is(scale.spec?.replicas, 3, 'the HPA set the Deployment to 3');
  t.deepEqual(left.map((p) => p.metadata?.name).sort(), [...onPrem].sort(), 'the datacenter pods stayed');
});

// Above, the burst node also held more of the Deployment's pods, which the ReplicaSet controller removes first
// anyway. Here the datacenter holds more (6 of 8 with half-CPU pods), so only the cost puts the burst pods first;
// the control below, whose template sets the same cost on every pod (kept by the agent), loses datacenter pods.
test.serial('with more pods on-prem than on ECI, the deletion cost still sends the burst pods first', async (t) => {
  const ns = `order-cost-${process.pid}`;
  t.teardown(() => core.deleteNamespace({ name: ns }).then(() => undefined, () => undefined));
  await createDeployment(ns, 'svc', 8, { cpu: '500m' });
  const onPrem = await placed(t, ns, 'svc', 6, 2);
  await scaleTo(ns, 'svc', 6);
  const left = await settled(ns, 'svc', 6);
  t.deepEqual(left.map((p) => p.metadata?.name).sort(), [...onPrem].sort(), 'the 6 datacenter pods stayed');
});

test.serial('control: a template that sets its own cost keeps it, and the datacenter loses pods', async (t) => {
  const ns = `order-control-${process.pid}`;
  t.teardown(() => core.deleteNamespace({ name: ns }).then(() => undefined, () => undefined));
  await createDeployment(ns, 'ctl', 8, { cpu: '500m', annotations: { [DELETION_COST_ANNOTATION]: '0' } });
  await placed(t, ns, 'ctl', 6, 2);
  t.true((await live(ns, 'ctl')).every((p) => p.metadata?.annotations?.[DELETION_COST_ANNOTATION] === '0'), "the template's cost is on every pod, burst pods included");
  await scaleTo(ns, 'ctl', 6);
  const left = await settled(ns, 'ctl', 6);
  t.is(left.filter((p) => p.spec?.nodeName === stack.nodeName).length, 2, 'both burst pods stayed: without a lower cost the fuller datacenter node lost two');
});
