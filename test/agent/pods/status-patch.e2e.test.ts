// The uid-guarded merge patch of pod status (statusPatch), against the real API server: it writes the
// status of the pod it names, is refused once the name belongs to another pod, and keeps an annotation
// sent with it (how the agent records the container-group id without a request of its own).
import test, { type ExecutionContext } from 'ava';
import { CoreV1Api, setHeaderOptions, PatchStrategy, type V1Pod } from '@kubernetes/client-node';
import { statusPatch } from '../../../agent/pods/status.js';
import { isPodReplaced } from '../../../agent/kube/errors.js';
import { GROUP_ID_ANNOTATION } from '../../../agent/pods/pod-controller.js';
import { useCluster } from '../../cluster/fixture.js';

const asMergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** A fresh namespace (deleted in teardown) and the body of an unscheduled pod `p` with these annotations. */
async function freshNamespace(t: ExecutionContext, prefix: string, annotations?: Record<string, string>) {
  const cluster = await useCluster();
  const core = cluster.kc.makeApiClient(CoreV1Api);
  const namespace = `${prefix}-${Date.now()}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  t.teardown(() => core.deleteNamespace({ name: namespace }).then(() => undefined, () => undefined));
  const body: V1Pod = { metadata: { name: 'p', annotations }, spec: { nodeName: 'nowhere', containers: [{ name: 'c', image: 'busybox' }] } };
  return { core, namespace, body };
}

test('a status merge patch guarded by the uid writes the status, and is refused for a replaced pod', async (t) => {
  const { core, namespace, body } = await freshNamespace(t, 'status-patch');
  const first = await core.createNamespacedPod({ namespace, body });

  const pending = { phase: 'Pending', reason: 'Waiting', message: 'first write' };
  await core.patchNamespacedPodStatus({ name: 'p', namespace, body: statusPatch(first.metadata!.uid!, first.status, pending) }, asMergePatch);
  const afterFirst = await core.readNamespacedPod({ name: 'p', namespace });
  t.is(afterFirst.status?.reason, 'Waiting');

  // No resourceVersion in the patch: a metadata change in between does not make it conflict.
  await core.patchNamespacedPod({ name: 'p', namespace, body: { metadata: { annotations: { touched: 'yes' } } } }, asMergePatch);
  const running = { phase: 'Running', podIP: '10.1.2.3', podIPs: [{ ip: '10.1.2.3' }] };
  await core.patchNamespacedPodStatus({ name: 'p', namespace, body: statusPatch(first.metadata!.uid!, afterFirst.status, running) }, asMergePatch);
  const afterSecond = await core.readNamespacedPod({ name: 'p', namespace });
  t.is(afterSecond.status?.phase, 'Running');
  t.is(afterSecond.status?.podIP, '10.1.2.3');
  t.is(afterSecond.status?.reason, undefined, 'fields the new status dropped are gone');
  t.is(afterSecond.status?.message, undefined);

  // The name now belongs to another pod: the old uid's patch is refused and recognised as such.
  await core.deleteNamespacedPod({ name: 'p', namespace, gracePeriodSeconds: 0 });
  const second = await core.createNamespacedPod({ namespace, body });
  t.not(second.metadata?.uid, first.metadata?.uid);
  const err = await t.throwsAsync(
    core.patchNamespacedPodStatus({ name: 'p', namespace, body: statusPatch(first.metadata!.uid!, second.status, { phase: 'Failed' }) }, asMergePatch),
  );
  t.log(`refused with HTTP ${(err as { code?: number }).code}`);
  t.true(isPodReplaced(err), String(err));
  t.not((await core.readNamespacedPod({ name: 'p', namespace })).status?.phase, 'Failed');
});

test('an annotation in the status merge patch is kept (the container-group id rides on a status write)', async (t) => {
  const { core, namespace, body } = await freshNamespace(t, 'status-annotate', { keep: 'me' });
  const pod = await core.createNamespacedPod({ namespace, body });
  const patch = statusPatch(pod.metadata!.uid!, pod.status, { phase: 'Pending', reason: 'Waiting' });
  await core.patchNamespacedPodStatus(
    { name: 'p', namespace, body: { ...patch, metadata: { ...patch.metadata, annotations: { [GROUP_ID_ANNOTATION]: 'eci-123' } } } },
    asMergePatch,
  );
  const after = await core.readNamespacedPod({ name: 'p', namespace });
  t.is(after.metadata?.annotations?.[GROUP_ID_ANNOTATION], 'eci-123');
  t.is(after.metadata?.annotations?.keep, 'me', 'other annotations untouched');
  t.is(after.status?.reason, 'Waiting', 'status written by the same request');
});
