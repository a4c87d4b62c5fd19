// Each other cap the scheduler sees (burst-caps.test.ts has vCPU, the raced pod and the metrics): memory and pods
// caps lower the virtual node's allocatable before any pod runs, so replicas beyond them wait Pending with the
// scheduler's own reason; a spend cap (priced by ECI's DescribeContainerGroupPrice) takes the node's pod slots
// away once used up, and a pod that slipped through before that fails naming the cap. 4 replicas of 1 vCPU /
// 2 GiB each time (ECI's 1-2Gi spec, 0.220536 per hour at the emulator's default prices); 2 fit.
import test from 'ava';
import { AppsV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { startEciStack } from '../helpers/eci-stack.js';
import { eventually } from '../helpers/stack.js';
import { DEFAULT_TAINT } from '../../agent/node/node-spec.js';
import { parseQuantity } from '../../common/quantity.js';
import type { QuotaLimits } from '../../cloud/pod-provider/provider.js';

const PER_POD_HOUR = 0.1764 + 2 * 0.022068;

const kinds: { name: string; quotas: QuotaLimits; allocatable?: [string, number]; reason: RegExp; failed?: RegExp }[] = [
  { name: 'memory: maxMemoryGiB 4', quotas: { maxMemoryGiB: 4 }, allocatable: ['memory', 4 * 2 ** 30], reason: /Insufficient memory/ },
  { name: 'pods: maxPods 2', quotas: { maxPods: 2 }, allocatable: ['pods', 2], reason: /Too many pods/ },
  { name: 'spend: maxSpendPerHour of 2 pods', quotas: { maxSpendPerHour: 2 * PER_POD_HOUR }, reason: /Too many pods/, failed: /over tenants\.tenant\.quotas\.maxSpendPerHour/ },
];

for (const kind of kinds) {
  test.serial(`cap on ${kind.name}: 2 of 4 replicas run, the rest wait Pending (${kind.reason.source})`, async (t) => {
    const stack = await startEciStack({ tenant: { quotas: { maxPods: 100, ...kind.quotas } } });
    t.teardown(() => stack.close());
    const core = stack.cluster.kc.makeApiClient(CoreV1Api);
    const ns = `capk-${process.pid}-${kinds.indexOf(kind)}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    t.teardown(() => core.deleteNamespace({ name: ns }).then(() => undefined, () => undefined));
    if (kind.allocatable) {
      const [resource, want] = kind.allocatable;
      await eventually(`allocatable ${resource} at the cap`, async () => parseQuantity((await core.readNode({ name: stack.nodeName })).status?.allocatable?.[resource]) === want, 60_000);
    }
    const spec = {
      nodeSelector: { 'kubernetes.io/hostname': stack.nodeName },
      tolerations: [{ key: DEFAULT_TAINT.key, operator: 'Exists', effect: 'NoSchedule' }],
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'main', image: 'pause', resources: { requests: { cpu: '1', memory: '2Gi' } } }],
    };
    await stack.cluster.kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: ns,
      body: { metadata: { name: 'web' }, spec: { replicas: 4, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec } } },
    });
    let pods: V1Pod[] = [];
    const held = (p: V1Pod) => p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
    await eventually('2 Running and 2 held Pending by the scheduler', async () => {
      pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items.filter((p) => !p.metadata?.deletionTimestamp);
      const live = pods.filter((p) => p.status?.phase !== 'Failed');
      return live.filter((p) => p.status?.phase === 'Running').length === 2 && live.filter((p) => held(p)).length === 2;
    }, 120_000).catch((e: Error) => t.fail(`${e.message}: ${pods.map((p) => `${p.metadata?.name}:${p.status?.phase}/${p.status?.reason ?? ''}@${p.spec?.nodeName ?? '-'}`).join(' ')}`));
    for (const p of pods.filter(held)) t.regex(held(p)?.message ?? '', kind.reason, `${p.metadata?.name}: the scheduler's own reason`);
    // A pod the scheduler bound before the node's slots went (the spend cap) failed naming the cap; none otherwise.
    for (const p of pods.filter((x) => x.status?.phase === 'Failed')) {
      t.is(p.status?.reason, 'TenantQuotaExceeded');
      t.regex(p.status?.message ?? '', kind.failed ?? /^$/, `${p.metadata?.name} failed naming the cap`);
    }
    t.is(stack.emulator.admin.listGroups().filter((g) => !['Succeeded', 'Failed', 'Expired'].includes(g.status)).length, 2, 'no group beyond the cap');
  });
}
