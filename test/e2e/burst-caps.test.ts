// Caps the scheduler can see: a tenant capped at 2 vCPU of burst pods. The relay answers the agent's Capacity
// call, the virtual node's allocatable cpu follows the cap, and the real scheduler holds the replicas beyond it
// Pending with its ordinary "Insufficient cpu" (what HPA and cluster autoscalers understand) instead of binding
// pods that would fail; a pod bound straight to the node (a race past the scheduler) fails with the cap named.
import test from 'ava';
import { AppsV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { startEciStack, type EciStack } from '../helpers/eci-stack.js';
import { eventually } from '../helpers/stack.js';
import { DEFAULT_TAINT } from '../../agent/node/node-spec.js';
import { parseQuantity } from '../../common/quantity.js';

let stack: EciStack;
let core: CoreV1Api;
const registry = new Registry();
const ns = `caps-${process.pid}`;

test.before(async () => {
  stack = await startEciStack({ tenant: { quotas: { maxPods: 100, maxVcpu: 2 } }, agent: { registry } });
  core = stack.cluster.kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } });
});
test.after.always(async () => {
  await core?.deleteNamespace({ name: ns }).catch(() => undefined);
  await stack?.close();
});

const podSpec = () => ({
  nodeSelector: { 'kubernetes.io/hostname': stack.nodeName },
  tolerations: [{ key: DEFAULT_TAINT.key, operator: 'Exists', effect: 'NoSchedule' }],
  terminationGracePeriodSeconds: 0,
  containers: [{ name: 'main', image: 'pause', resources: { requests: { cpu: '1', memory: '2Gi' } } }],
});

test.serial('the virtual node\'s allocatable cpu follows the cap; replicas beyond it stay Pending as Insufficient cpu', async (t) => {
  const node = await eventually('allocatable cpu at the cap', async () => {
    const n = await core.readNode({ name: stack.nodeName });
    return parseQuantity(n.status?.allocatable?.cpu) === 2 ? n : undefined;
  }, 60_000);
  t.is(parseQuantity(node.status?.capacity?.cpu), 1000, 'capacity stays what is configured');

  const apps = stack.cluster.kc.makeApiClient(AppsV1Api);
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: { metadata: { name: 'web' }, spec: { replicas: 4, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: podSpec() } } },
  });
  let pods: V1Pod[] = [];
  await eventually('2 Running and 2 Pending as unschedulable', async () => {
    pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items;
    const running = pods.filter((p) => p.status?.phase === 'Running');
    const held = pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable'));
    return running.length === 2 && held.length === 2;
  }, 90_000).catch((e: Error) => t.fail(`${e.message}: ${pods.map((p) => `${p.metadata?.name}:${p.status?.phase}@${p.spec?.nodeName ?? '-'}`).join(' ')}`));
  for (const p of pods.filter((x) => !x.spec?.nodeName)) {
    const cond = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
    t.regex(cond?.message ?? '', /Insufficient cpu/, `${p.metadata?.name}: the scheduler's own reason`);
  }
  t.is(stack.emulator.admin.listGroups().filter((g) => g.status !== 'Succeeded' && g.status !== 'Failed').length, 2, 'no group beyond the cap was created');
  // The agent's metrics say the cap is used up (asked again at its next status write).
  const gauge = async (name: string) => (await registry.getSingleMetric(name)?.get())?.values.find((v) => v.labels.resource === 'cpu')?.value;
  await eventually('the headroom metric at 0', async () => (await gauge('ecigw_agent_burst_cap_headroom')) === 0, 30_000);
  t.is(await gauge('ecigw_agent_burst_cap_used'), 2);
  t.is(await gauge('ecigw_agent_burst_cap_limit'), 2);
});

test.serial('a pod bound past the scheduler fails with TenantQuotaExceeded naming the vCPU cap', async (t) => {
  await core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'raced' }, spec: { ...podSpec(), nodeName: stack.nodeName } } });
  const pod = await eventually('raced pod Failed', async () => {
    const p = await core.readNamespacedPod({ name: 'raced', namespace: ns });
    return p.status?.phase === 'Failed' ? p : undefined;
  }, 60_000);
  t.is(pod.status?.reason, 'TenantQuotaExceeded');
  t.regex(pod.status?.message ?? '', /already has 2 vCPU running or being created on ECI; this pod needs 1 more, over tenants\.tenant\.quotas\.maxVcpu \(2\)/);
});
