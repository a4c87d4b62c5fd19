// The agent's credential is a node identity, confined like a kubelet by the real API server's Node
// authorizer and NodeRestriction. Through the very KubeConfig the agent uses (`agent.nodeKubeConfig`), each
// refusal is shown next to the same request for the agent's own pod succeeding, so every 403 is proven to
// come from a working identity that tried: Secrets and tokens its pods do not use, another node's pods,
// cluster-wide reads. A pod bound to the node still gets its Secret and its bound service-account token.
import test from 'ava';
import { AuthenticationV1Api, CoordinationV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { RecordingProvider, projectedToken } from '../helpers/recording-provider.js';
import { startStack, eventually, type Stack } from '../helpers/stack.js';
import { EventRecorder } from '../../agent/kube/events.js';
import { errorMessage, httpStatus } from '../../agent/kube/errors.js';

const provider = new RecordingProvider({ orphanGraceMs: 0 });
let stack: Stack;
const ns = `confine-${process.pid}`;
const SECRET_VALUE = 'the-pods-own-secret';
let mine: V1Pod;
let elsewhere: V1Pod;

test.before(async () => {
  stack = await startStack({ provider });
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'mine' }, stringData: { password: SECRET_VALUE } } });
  await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'not-referenced' }, stringData: { password: 'nobody-on-this-node-uses-me' } } });
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'worker' } } });
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'unused' } } });
  const pod = (name: string, nodeName: string): V1Pod => ({
    metadata: { name },
    spec: {
      nodeName,
      serviceAccountName: 'worker',
      tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
      containers: [{ name: 'app', image: 'nginx', env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'mine', key: 'password' } } }] }],
    },
  });
  // Bound at creation: the agent sees it at once, maybe before the API server's authorizer graph does.
  mine = await core.createNamespacedPod({ namespace: ns, body: pod('mine', stack.nodeName) });
  elsewhere = await core.createNamespacedPod({ namespace: ns, body: pod('elsewhere', `other-node-${process.pid}`) });
});

test.after.always(async () => {
  await stack?.cluster.kc.makeApiClient(CoreV1Api).deleteNamespace({ name: ns }).catch(() => undefined);
  await stack?.close();
});

/** The HTTP status of a request (200 when it succeeds), with the API server's message. */
async function answer(call: () => Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call();
    return { code: 200, message: '' };
  } catch (e) {
    return { code: httpStatus(e) ?? -1, message: errorMessage(e) };
  }
}

const agentKc = (): KubeConfig => stack.agent.nodeKubeConfig;

test.serial('a pod bound to the node runs with its Secret and a token bound to it, resolved by the node identity', async (t) => {
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  await eventually('the pod Running', async () => (await core.readNamespacedPod({ name: 'mine', namespace: ns })).status?.phase === 'Running', 60_000);
  const intent = provider.intents.get(mine.metadata?.uid ?? '');
  t.is(intent?.env?.app?.values?.PASSWORD, SECRET_VALUE, 'the Secret reached the intent');
  const projected = projectedToken(intent);
  t.truthy(projected, 'the projected service-account token was resolved');
  const claims = projected?.claims ?? {};
  t.is(claims.sub, `system:serviceaccount:${ns}:worker`);
  t.is(claims['kubernetes.io']?.pod?.uid, mine.metadata?.uid, 'bound to the pod');
  t.is(claims['kubernetes.io']?.node?.name, stack.nodeName, 'and, through it, to the node');
  t.is(provider.intents.get(elsewhere.metadata?.uid ?? ''), undefined, 'the other node\'s pod was not picked up');
});

test.serial('the agent authenticates as system:node:<node> in group system:nodes', async (t) => {
  const review = await agentKc().makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
  t.is(review.status?.userInfo?.username, `system:node:${stack.nodeName}`);
  t.true(review.status?.userInfo?.groups?.includes('system:nodes'));
  t.truthy(stack.agent.identity?.credential, 'a node identity holds the certificate');
});

test.serial('Secrets: its pod\'s Secret yes, a Secret no pod of the node references no (403, no relationship)', async (t) => {
  const core = agentKc().makeApiClient(CoreV1Api);
  t.is((await answer(() => core.readNamespacedSecret({ name: 'mine', namespace: ns }))).code, 200);
  const denied = await answer(() => core.readNamespacedSecret({ name: 'not-referenced', namespace: ns }));
  t.is(denied.code, 403);
  t.regex(denied.message, /no relationship found between node/);
  t.is((await answer(() => core.listNamespacedSecret({ namespace: ns }))).code, 403, 'nor a list of them');
});

test.serial('Tokens: for its pod\'s service account bound to its pod yes; another service account, or another node\'s pod, no', async (t) => {
  const core = agentKc().makeApiClient(CoreV1Api);
  const tokenFor = (sa: string, pod: V1Pod) =>
    answer(() =>
      core.createNamespacedServiceAccountToken({
        name: sa,
        namespace: ns,
        body: { spec: { audiences: [], boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid } } },
      }),
    );
  t.is((await tokenFor('worker', mine)).code, 200);
  const unused = await tokenFor('unused', mine);
  t.is(unused.code, 403, 'a service account no pod of the node uses');
  t.regex(unused.message, /no relationship found between node/);
  const other = await tokenFor('worker', elsewhere);
  t.is(other.code, 403, 'bound to another node\'s pod');
  t.regex(other.message, /different node/);
  const unbound = await answer(() => core.createNamespacedServiceAccountToken({ name: 'worker', namespace: ns, body: { spec: { audiences: [] } } }));
  t.is(unbound.code, 403, 'a token not bound to a pod');
});

test.serial('Pods: its pod\'s status yes; another node\'s pod\'s status, its deletion, and all pods no', async (t) => {
  const core = agentKc().makeApiClient(CoreV1Api);
  const annotate = (pod: V1Pod) =>
    answer(() =>
      core.patchNamespacedPodStatus(
        { name: pod.metadata?.name ?? '', namespace: ns, body: { metadata: { annotations: { 'confinement.test/touched': 'yes' } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
  t.is((await annotate(mine)).code, 200);
  const other = await annotate(elsewhere);
  t.is(other.code, 403);
  t.regex(other.message, /can only update pod status for pods with spec.nodeName set to itself/);
  const del = await answer(() => core.deleteNamespacedPod({ name: 'elsewhere', namespace: ns }));
  t.is(del.code, 403);
  t.regex(del.message, /can only delete pods with spec.nodeName set to itself/);
  t.is((await answer(() => core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${stack.nodeName}` }))).code, 200, 'its own pods, listed by node');
  t.is((await answer(() => core.listPodForAllNamespaces())).code, 403, 'every pod: no');
  t.is((await answer(() => core.readNamespacedPod({ name: 'elsewhere', namespace: ns }))).code, 403, 'another node\'s pod: no');
});

test.serial('Nodes and Leases: its own yes, another node\'s no; no leases outside kube-node-lease', async (t) => {
  const core = agentKc().makeApiClient(CoreV1Api);
  const leases = agentKc().makeApiClient(CoordinationV1Api);
  t.is((await answer(() => core.readNode({ name: stack.nodeName }))).code, 200);
  t.is((await answer(() => core.readNode({ name: `other-node-${process.pid}` }))).code, 403);
  t.is((await answer(() => core.listNode())).code, 403);
  t.is((await answer(() => leases.readNamespacedLease({ name: stack.nodeName, namespace: 'kube-node-lease' }))).code, 200);
  t.is((await answer(() => leases.listNamespacedLease({ namespace: 'kube-system' }))).code, 403);
});

test.serial('Events: written and their repeats counted with the node identity (which may not read Events)', async (t) => {
  const rec = new EventRecorder(agentKc(), stack.nodeName);
  const current = await stack.cluster.kc.makeApiClient(CoreV1Api).readNamespacedPod({ name: 'mine', namespace: ns });
  await rec.record(current, 'Normal', 'ConfinementCheck', 'counted');
  await rec.record(current, 'Normal', 'ConfinementCheck', 'counted');
  const events = (await stack.cluster.kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: ns, fieldSelector: 'reason=ConfinementCheck' })).items;
  t.is(events.length, 1);
  t.is(events[0]?.count, 2, 'the repeat was counted on the same Event');
  t.is((await answer(() => agentKc().makeApiClient(CoreV1Api).readNamespacedEvent({ name: events[0]?.metadata?.name ?? '', namespace: ns }))).code, 403, 'reading it back is not allowed');
});
