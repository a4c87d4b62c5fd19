// Burst end to end: real cluster + agent + relay + ECI provider + emulator (simulated runtime).
// A tolerating Deployment scales 0 → 50 → 0: every pod Running with an ECI IP, then deleted, no group left.
import test from 'ava';
import { CoreV1Api, AppsV1Api, setHeaderOptions, PatchStrategy } from '@kubernetes/client-node';
import { startEciStack, type EciStack } from '../helpers/eci-stack.js';
import { eventually } from '../helpers/stack.js';
import { GROUP_ID_ANNOTATION } from '../../agent/pods/pod-controller.js';

let stack: EciStack;
test.before(async () => {
  stack = await startEciStack();
});
test.after.always(async () => {
  await stack?.close();
});

test('Deployment scales 0 → 50 → 0 on ECI: Running with IPs, then no container group left', async (t) => {
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  const apps = stack.cluster.kc.makeApiClient(AppsV1Api);
  const ns = `burst-${process.pid}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  t.teardown(() => core.deleteNamespace({ name: ns }).then(() => undefined, () => undefined));
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            nodeSelector: { 'kubernetes.io/hostname': stack.nodeName },
            tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
            containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }], resources: { requests: { cpu: '250m', memory: '512Mi' } } }],
          },
        },
      },
    },
  });
  const scale = (replicas: number) =>
    apps.patchNamespacedDeploymentScale({ name: 'web', namespace: ns, body: { spec: { replicas } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));

  await scale(50);
  const pods = await eventually(
    '50 pods Running with IPs',
    async () => {
      const items = (await core.listNamespacedPod({ namespace: ns })).items;
      return items.length === 50 && items.every((p) => p.status?.phase === 'Running' && p.status.podIP) ? items : undefined;
    },
    150_000,
  );
  const ips = new Set(pods.map((p) => p.status?.podIP));
  t.is(ips.size, 50, 'every pod has its own ECI IP');
  t.true(pods.every((p) => p.metadata?.annotations?.[GROUP_ID_ANNOTATION]?.startsWith('eci-')), 'container group id recorded on every pod');
  t.true(pods.every((p) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True'), 'all Ready');
  const live = () => stack.emulator.admin.listGroups().filter((g) => !['Succeeded', 'Failed', 'Expired'].includes(g.status));
  t.is(live().length, 50, 'exactly one container group per pod');

  await scale(0);
  await eventually('all pods gone', async () => (await core.listNamespacedPod({ namespace: ns })).items.length === 0, 120_000);
  t.is(stack.emulator.admin.listGroups().length, 0, 'no container group left in ECI');
});
