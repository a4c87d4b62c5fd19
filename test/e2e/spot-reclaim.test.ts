// Spot reclaim end to end: real cluster (API server, controller manager) + agent + relay + ECI provider + emulator
// (simulated runtime). A spot Deployment of 3 runs on ECI; the emulator reclaims two of its pods' container groups
// through its admin API (SpotToBeReleased, then Expired); each pod ends Failed with reason SpotInstanceReclaimed and
// a Warning Event, and the ReplicaSet brings the Deployment back to 3 Running replicas.
import test from 'ava';
import { AppsV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { startEciStack, type EciStack } from '../helpers/eci-stack.js';
import { eventually } from '../helpers/stack.js';
import { GROUP_ID_ANNOTATION } from '../../agent/pods/pod-controller.js';
import { SPOT_RECLAIMED_REASON, SPOT_TO_BE_RELEASED } from '../../cloud/eci/mapping/spot.js';

const REPLICAS = 3;
let stack: EciStack;
test.before(async () => {
  stack = await startEciStack();
});
test.after.always(async () => {
  await stack?.close();
});

async function reclaim(ids: string[], noticeMs: number): Promise<{ id: string; releaseAt: string }[]> {
  const res = await fetch(`${stack.emulator.url}/__admin/reclaim`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.emulator.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ids, noticeMs }),
  });
  if (res.status !== 200) throw new Error(`reclaim answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { reclaimed: { id: string; releaseAt: string }[] }).reclaimed;
}

const isRunning = (p: V1Pod) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

test('reclaimed spot pods fail with SpotInstanceReclaimed and a Warning Event; the Deployment is back to 3 Running', async (t) => {
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  const apps = stack.cluster.kc.makeApiClient(AppsV1Api);
  const ns = `spot-${process.pid}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  t.teardown(() => core.deleteNamespace({ name: ns }).then(() => undefined, () => undefined));
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: REPLICAS,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' }, annotations: { 'k8s.aliyun.com/eci-spot-strategy': 'SpotAsPriceGo' } },
          spec: {
            nodeSelector: { 'kubernetes.io/hostname': stack.nodeName },
            tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
            containers: [{ name: 'web', image: 'nginx', resources: { requests: { cpu: '250m', memory: '512Mi' } } }],
          },
        },
      },
    },
  });
  const list = async () => (await core.listNamespacedPod({ namespace: ns })).items;
  const first = await eventually(`${REPLICAS} pods Running`, async () => {
    const pods = await list();
    return pods.length === REPLICAS && pods.every((p) => isRunning(p) && p.metadata?.annotations?.[GROUP_ID_ANNOTATION]) ? pods : undefined;
  }, 120_000);
  const groups = new Map(stack.emulator.admin.listGroups().map((g) => [g.id, g]));
  t.true(first.every((p) => groups.get(p.metadata!.annotations![GROUP_ID_ANNOTATION])?.spotStrategy === 'SpotAsPriceGo'), 'every group was created as a spot instance');

  // Two of the three: one given a notice first, one released at once.
  const victims = first.slice(0, 2).map((p, i) => ({ pod: p, group: p.metadata!.annotations![GROUP_ID_ANNOTATION], noticeMs: i === 0 ? 1000 : 0 }));
  for (const v of victims) {
    const [r] = await reclaim([v.group], v.noticeMs);
    t.is(r.id, v.group);
  }

  for (const v of victims) {
    const name = v.pod.metadata!.name!;
    const failed = await eventually(`${name} Failed`, async () => {
      const p = await core.readNamespacedPod({ name, namespace: ns });
      return p.status?.phase === 'Failed' ? p : undefined;
    }, 30_000, 100);
    t.is(failed.metadata?.uid, v.pod.metadata?.uid, 'the same pod, not a replacement with its name');
    t.is(failed.status?.reason, SPOT_RECLAIMED_REASON);
    t.regex(failed.status?.message ?? '', new RegExp(`reclaimed the spot \\(preemptible\\) ECI instance ${v.group}`));
    t.true(failed.status?.containerStatuses?.every((c) => c.state?.terminated?.reason === SPOT_RECLAIMED_REASON && !c.ready));

    const events = await eventually(`the Warning Events on ${name}`, async () => {
      const items = (await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.uid=${v.pod.metadata!.uid}` })).items;
      const reclaimed = items.find((e) => e.reason === SPOT_RECLAIMED_REASON);
      const notice = items.find((e) => e.reason === SPOT_TO_BE_RELEASED);
      return reclaimed && notice ? { reclaimed, notice } : undefined;
    }, 30_000);
    t.like(events.reclaimed, { type: 'Warning', message: failed.status?.message, involvedObject: { kind: 'Pod', name } });
    t.is(events.notice.type, 'Warning');
  }

  const back = await eventually(`the Deployment back to ${REPLICAS} Running`, async () => {
    const [pods, d] = await Promise.all([list(), apps.readNamespacedDeployment({ name: 'web', namespace: ns })]);
    const running = pods.filter(isRunning);
    return running.length === REPLICAS && d.status?.readyReplicas === REPLICAS ? running : undefined;
  }, 120_000);
  const reclaimedUids = new Set(victims.map((v) => v.pod.metadata?.uid));
  t.false(back.some((p) => reclaimedUids.has(p.metadata?.uid)), 'the reclaimed pods were replaced, not revived');
  const kept = await list();
  t.deepEqual(kept.filter((p) => reclaimedUids.has(p.metadata?.uid)).map((p) => p.status?.phase), ['Failed', 'Failed'], 'the reclaimed pods stay Failed for inspection');
  const live = stack.emulator.admin.listGroups().filter((g) => ['Running', 'Pending', 'Scheduling'].includes(g.status));
  t.is(live.length, REPLICAS, 'one live container group per Running replica');
});
