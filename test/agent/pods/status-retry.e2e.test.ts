// A pod status write the API server refuses is written again once it can be: the relay sends a status only
// when it changes, so the agent must not drop a failed write. The refusal is real: a ValidatingAdmissionPolicy
// denies pods/status updates in the test's namespace until the test deletes its binding. A second policy
// refuses only writes of phase Running, so the API server's own per-policy denial counter
// (apiserver_validating_admission_policy_check_total) shows that the agent did try to write Running, and
// tried again, while it was refused.
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

/** The API server's count of requests the policy denied (0 before its first denial). */
async function deniedBy(policy: string): Promise<number> {
  const r = await stack.cluster.kubectl(['get', '--raw', '/metrics']);
  if (r.code !== 0) throw new Error(`kubectl get --raw /metrics: ${r.stderr}`);
  const line = r.stdout.split('\n').find((l) => l.startsWith('apiserver_validating_admission_policy_check_total{') && l.includes(`policy="${policy}"`) && l.includes('enforcement_action="deny"'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

test('a status write refused by admission is retried until it lands', async (t) => {
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  const admission = stack.cluster.kc.makeApiClient(AdmissionregistrationV1Api);
  const ns = `status-retry-${process.pid}`;
  const policy = `deny-pod-status-${process.pid}`;
  const runningPolicy = `deny-pod-running-${process.pid}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  t.teardown(() => core.deleteNamespace({ name: ns }).then(() => undefined, () => undefined));
  const podStatusUpdates = { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['pods/status'] }] };
  const inNamespace = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } };
  for (const [name, validation] of [
    [policy, { expression: 'false', message: 'pod status writes are paused by the test' }],
    [runningPolicy, { expression: "!has(object.status) || !has(object.status.phase) || object.status.phase != 'Running'", message: 'Running is paused by the test' }],
  ] as const) {
    await admission.createValidatingAdmissionPolicy({ body: { metadata: { name }, spec: { failurePolicy: 'Fail', matchConstraints: podStatusUpdates, validations: [validation] } } });
    t.teardown(() => admission.deleteValidatingAdmissionPolicy({ name }).then(() => undefined, () => undefined));
    await admission.createValidatingAdmissionPolicyBinding({ body: { metadata: { name }, spec: { policyName: name, validationActions: ['Deny'], matchResources: inNamespace } } });
    t.teardown(() => admission.deleteValidatingAdmissionPolicyBinding({ name }).then(() => undefined, () => undefined));
  }

  // The policies take effect once the API server has loaded them: probe with a pod bound nowhere, until a
  // write of Running is denied by both (the Running policy's counter moves).
  await core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'probe' }, spec: { nodeName: 'nowhere', containers: [{ name: 'c', image: 'busybox' }] } } });
  await eventually('pod status writes denied by both policies', async () => {
    try {
      await core.patchNamespacedPodStatus({ name: 'probe', namespace: ns, body: { status: { phase: 'Running', message: `probe ${Date.now()}` } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      return false;
    } catch (e) {
      return /paused by the test/.test(String((e as { body?: unknown }).body ?? e)) && (await deniedBy(runningPolicy)) >= 1 && (await deniedBy(policy)) >= 1;
    }
  }, 30_000);
  const deniedBefore = await deniedBy(runningPolicy);

  await core.createNamespacedPod({
    namespace: ns,
    body: { metadata: { name: 'web' }, spec: { nodeName: stack.nodeName, containers: [{ name: 'web', image: 'nginx' }] } },
  });
  const uid = (await core.readNamespacedPod({ name: 'web', namespace: ns })).metadata?.uid;
  await eventually('the relay reports the pod Running', () => provider.allPods().some((p) => p.uid === uid && (JSON.parse(p.statusJson.toString()) as { phase?: string }).phase === 'Running'), 30_000);
  // The agent wrote Running, was refused, and wrote it again (and was refused again): only this test's pods
  // are in the namespace, and the probe is not written to any more.
  const denied = await eventually('the agent to write Running twice, refused', async () => {
    const n = (await deniedBy(runningPolicy)) - deniedBefore;
    return n >= 2 ? n : undefined;
  }, 60_000, 250);
  t.log(`Running writes refused: ${denied}`);
  const refused = await core.readNamespacedPod({ name: 'web', namespace: ns });
  t.not(refused.status?.phase, 'Running', 'no status write got through while denied');

  for (const name of [policy, runningPolicy]) await admission.deleteValidatingAdmissionPolicyBinding({ name });
  const written = await eventually('the Running status written once writes are allowed again', async () => {
    const p = await core.readNamespacedPod({ name: 'web', namespace: ns });
    return p.status?.phase === 'Running' ? p : undefined;
  }, 60_000);
  const providerId = provider.allPods().find((p) => p.uid === uid)?.providerId;
  t.is(written.metadata?.annotations?.[GROUP_ID_ANNOTATION], providerId, 'the container-group id, refused with the status, is recorded too');
});
