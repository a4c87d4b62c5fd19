// A pod status write the API server refuses is written again once it can be: the relay sends a status only
// when it changes, so the agent must not drop a failed write. The refusal is real: a ValidatingAdmissionPolicy
// denies pods/status updates in the test's namespace until the test deletes its binding.
import test from 'ava';
import { AdmissionregistrationV1Api, CoreV1Api, setHeaderOptions, PatchStrategy } from '@kubernetes/client-node';
import { MemoryProvider } from '../../helpers/memory-provider.js';
import { startStack, eventually, type Stack } from '../../helpers/stack.js';
import { GROUP_ID_ANNOTATION } from '../../../agent/pods/pod-controller.js';

let stack: Stack;
const provider = new MemoryProvider({ orphanGraceMs: 0 });
test.before(async () => {
  stack = await startStack({ provider });
});
test.after.always(async () => {
  await stack?.close();
});

test('a status write refused by admission is retried until it lands', async (t) => {
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  const admission = stack.cluster.kc.makeApiClient(AdmissionregistrationV1Api);
  const ns = `status-retry-${process.pid}`;
  const policy = `deny-pod-status-${process.pid}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  t.teardown(() => core.deleteNamespace({ name: ns }).then(() => undefined, () => undefined));
  await admission.createValidatingAdmissionPolicy({
    body: {
      metadata: { name: policy },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['pods/status'] }] },
        validations: [{ expression: 'false', message: 'pod status writes are paused by the test' }],
      },
    },
  });
  t.teardown(() => admission.deleteValidatingAdmissionPolicy({ name: policy }).then(() => undefined, () => undefined));
  await admission.createValidatingAdmissionPolicyBinding({
    body: {
      metadata: { name: policy },
      spec: { policyName: policy, validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } } },
    },
  });
  t.teardown(() => admission.deleteValidatingAdmissionPolicyBinding({ name: policy }).then(() => undefined, () => undefined));

  // The policy takes effect once the API server has loaded it: probe with a pod bound nowhere.
  await core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'probe' }, spec: { nodeName: 'nowhere', containers: [{ name: 'c', image: 'busybox' }] } } });
  await eventually('pod status writes denied', async () => {
    try {
      await core.patchNamespacedPodStatus({ name: 'probe', namespace: ns, body: { status: { message: `probe ${Date.now()}` } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      return false;
    } catch (e) {
      return /paused by the test/.test(String((e as { body?: unknown }).body ?? e));
    }
  }, 30_000);

  await core.createNamespacedPod({
    namespace: ns,
    body: { metadata: { name: 'web' }, spec: { nodeName: stack.nodeName, containers: [{ name: 'web', image: 'nginx' }] } },
  });
  const uid = (await core.readNamespacedPod({ name: 'web', namespace: ns })).metadata?.uid;
  await eventually('the relay reports the pod Running', () => provider.allPods().some((p) => p.uid === uid && (JSON.parse(p.statusJson.toString()) as { phase?: string }).phase === 'Running'), 30_000);
  await new Promise((r) => setTimeout(r, 2000));
  const refused = await core.readNamespacedPod({ name: 'web', namespace: ns });
  t.not(refused.status?.phase, 'Running', 'no status write got through while denied');

  await admission.deleteValidatingAdmissionPolicyBinding({ name: policy });
  const written = await eventually('the Running status written once writes are allowed again', async () => {
    const p = await core.readNamespacedPod({ name: 'web', namespace: ns });
    return p.status?.phase === 'Running' ? p : undefined;
  }, 60_000);
  const providerId = provider.allPods().find((p) => p.uid === uid)?.providerId;
  t.is(written.metadata?.annotations?.[GROUP_ID_ANNOTATION], providerId, 'the container-group id, refused with the status, is recorded too');
});
