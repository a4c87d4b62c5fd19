// Workloads on burst pods, end to end with the emulator's process runtime (containers are real local
// processes): a Job runs to completion, a crashing container restarts with back-off, a pod ECI cannot
// run fails with a reason and an Event, and `kubectl drain` evicts the virtual node's pods.
import test from 'ava';
import { CoreV1Api, BatchV1Api, AppsV1Api, type V1PodSpec } from '@kubernetes/client-node';
import { startEciStack, type EciStack } from '../helpers/eci-stack.js';
import { eventually } from '../helpers/stack.js';

let stack: EciStack;
let ns: string;
test.before(async () => {
  stack = await startEciStack({ emulator: { runtime: 'process', config: { backoff: { initialMs: 300, maxMs: 2000, resetAfterMs: 60_000 } } } });
  ns = `wl-${process.pid}`;
  await stack.cluster.kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
});
test.after.always(async () => {
  await stack?.cluster.kc.makeApiClient(CoreV1Api).deleteNamespace({ name: ns }).catch(() => undefined);
  await stack?.close();
});

const placement = (): Pick<V1PodSpec, 'nodeSelector' | 'tolerations'> => ({
  nodeSelector: { 'kubernetes.io/hostname': stack.nodeName },
  tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
});

test.serial('a Job runs to Succeeded on ECI', async (t) => {
  const batch = stack.cluster.kc.makeApiClient(BatchV1Api);
  await batch.createNamespacedJob({
    namespace: ns,
    body: {
      metadata: { name: 'hello' },
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            ...placement(),
            restartPolicy: 'Never',
            containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo computing; sleep 1; echo done'] }],
          },
        },
      },
    },
  });
  const job = await eventually('Job complete', async () => {
    const j = await batch.readNamespacedJob({ name: 'hello', namespace: ns });
    return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
  }, 90_000);
  t.is(job.status?.succeeded, 1);
  const pods = (await stack.cluster.kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: ns, labelSelector: 'job-name=hello' })).items;
  t.is(pods[0]?.status?.phase, 'Succeeded');
  t.is(pods[0]?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
  const logs = await stack.cluster.kubectl(['logs', '-n', ns, pods[0]?.metadata?.name ?? '']);
  t.is(logs.code, 0, logs.stderr);
  t.is(logs.stdout, 'computing\ndone\n', 'kubectl logs shows the finished container\'s output');
});

test.serial('a crashing container restarts with back-off and reports its last state', async (t) => {
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'crasher' },
      spec: { ...placement(), restartPolicy: 'Always', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo boom; exit 3'] }] },
    },
  });
  const pod = await eventually('restartCount ≥ 2', async () => {
    const p = await core.readNamespacedPod({ name: 'crasher', namespace: ns });
    return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2 ? p : undefined;
  }, 90_000);
  const cs = pod.status?.containerStatuses?.[0];
  t.is(cs?.lastState?.terminated?.exitCode, 3, 'the previous instance exited 3');
  t.not(pod.status?.phase, 'Failed', 'restartPolicy Always keeps the pod alive');
  await core.deleteNamespacedPod({ name: 'crasher', namespace: ns });
});

test.serial('a pod ECI cannot run fails with a reason and a Warning event', async (t) => {
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'hostnet' },
      spec: { ...placement(), hostNetwork: true, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] },
    },
  });
  const pod = await eventually('pod Failed', async () => {
    const p = await core.readNamespacedPod({ name: 'hostnet', namespace: ns });
    return p.status?.phase === 'Failed' ? p : undefined;
  }, 60_000);
  t.is(pod.status?.reason, 'ProviderFailed');
  t.regex(pod.status?.message ?? '', /hostNetwork/);
  const events = await eventually('Warning event', async () => {
    const evs = (await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=hostnet' })).items;
    return evs.find((e) => e.type === 'Warning' && e.reason === 'ProviderFailed');
  });
  t.regex(events.message ?? '', /hostNetwork/);
  t.is(stack.emulator.admin.listGroups().filter((g) => g.name?.includes('hostnet')).length, 0, 'no container group was created');
});

test.serial('kubectl drain evicts the virtual node\'s pods and their groups go', async (t) => {
  const apps = stack.cluster.kc.makeApiClient(AppsV1Api);
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'drained' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'drained' } },
        template: { metadata: { labels: { app: 'drained' } }, spec: { ...placement(), containers: [{ name: 'web', image: 'nginx' }] } },
      },
    },
  });
  await eventually('2 Running', async () => {
    const items = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=drained' })).items;
    return items.length === 2 && items.every((p) => p.status?.phase === 'Running');
  }, 90_000);
  const r = await stack.cluster.kubectl(['drain', stack.nodeName, '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=90s'], { timeoutMs: 120_000 });
  t.is(r.code, 0, r.stderr);
  const node = await core.readNode({ name: stack.nodeName });
  t.true(node.spec?.unschedulable, 'node cordoned');
  await eventually('no pod left on the node', async () => {
    const items = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=drained' })).items;
    return items.every((p) => p.spec?.nodeName !== stack.nodeName);
  }, 60_000);
  await eventually('their groups are deleted', () => stack.emulator.admin.listGroups().filter((g) => g.name?.includes('drained')).length === 0, 60_000);
  await stack.cluster.kubectl(['uncordon', stack.nodeName]);
});
