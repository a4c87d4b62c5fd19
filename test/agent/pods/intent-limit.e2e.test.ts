// The intent size limit is the relay's: with a relay whose maxMessageBytes is 64 KiB (stated in its
// handshake), a pod whose intent is larger fails at once with PodTooLarge naming its size and that limit
// (and a Warning event), no container group is requested for it, and a pod within the limit runs.
// Before, the agent bounded intents by a hard-coded 3 MiB: the 100 KiB pod was sent, refused by the
// relay's transport (RESOURCE_EXHAUSTED) and retried for ever.
import test from 'ava';
import { CoreV1Api } from '@kubernetes/client-node';
import { MemoryProvider } from '../../helpers/memory-provider.js';
import { startStack, eventually, type Stack } from '../../helpers/stack.js';

const LIMIT = 64 * 1024;
let stack: Stack;
const provider = new MemoryProvider({ orphanGraceMs: 0 });
test.before(async () => {
  stack = await startStack({ provider, relayLimits: { maxMessageBytes: LIMIT } });
});
test.after.always(async () => {
  await stack?.close();
});

test('a pod over the relay maxMessageBytes fails with PodTooLarge naming both sizes; one within it runs', async (t) => {
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  const ns = `intent-limit-${process.pid}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  t.teardown(() => core.deleteNamespace({ name: ns }).then(() => undefined, () => undefined));
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'big' }, data: { 'blob.txt': 'x'.repeat(100 * 1024) } } });
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'small' }, data: { 'blob.txt': 'x'.repeat(8 * 1024) } } });
  const podWith = (name: string, configMap: string) => ({
    metadata: { name },
    spec: {
      nodeName: stack.nodeName,
      containers: [{ name: 'main', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      volumes: [{ name: 'data', configMap: { name: configMap } }],
    },
  });
  const big = await core.createNamespacedPod({ namespace: ns, body: podWith('too-large', 'big') });
  const fits = await core.createNamespacedPod({ namespace: ns, body: podWith('fits', 'small') });

  const failed = await eventually('the large pod Failed', async () => {
    const p = await core.readNamespacedPod({ name: 'too-large', namespace: ns });
    return p.status?.phase === 'Failed' ? p : undefined;
  }, 60_000);
  t.is(failed.status?.reason, 'PodTooLarge');
  const m = /is (\d+) bytes as a pod intent, over the relay's limit of (\d+) bytes per message \(its limits\.maxMessageBytes\)/.exec(failed.status?.message ?? '');
  t.truthy(m, failed.status?.message);
  t.true(Number(m?.[1]) > 100 * 1024, 'the size counts the resolved ConfigMap');
  t.is(Number(m?.[2]), LIMIT, "the limit is the relay's, from its handshake");
  const event = await eventually('a PodTooLarge Warning event', async () => {
    const evs = (await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=too-large' })).items;
    return evs.find((e) => e.type === 'Warning' && e.reason === 'PodTooLarge');
  });
  t.regex(event.message ?? '', /65536/);

  await eventually('the small pod Running', async () => (await core.readNamespacedPod({ name: 'fits', namespace: ns })).status?.phase === 'Running', 60_000);
  t.true(provider.allPods().some((p) => p.uid === fits.metadata?.uid), 'the pod within the limit reached the relay');
  t.false(provider.allPods().some((p) => p.uid === big.metadata?.uid), 'no container group was requested for the large pod');
});
