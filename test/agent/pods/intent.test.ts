// The intent size bound: intentWireBytes is never below the real protobuf encoding of the ApplyPod request
// (table of shapes: empty, UTF-8, many small files, large files, env, pull credentials) and only a few
// bytes above it; buildIntent refuses a pod over the relay's limit naming its size and that limit; and an
// intent built to exactly a real relay's small maxMessageBytes is accepted by that relay.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import { tunnelServiceDefinition } from '../../../proto/load.js';
import type { PodIntent } from '../../../proto/gen/ecigw/tunnel/v1/PodIntent.js';
import { buildIntent, intentWireBytes, IntentTooLargeError } from '../../../agent/pods/intent.js';
import type { Resolved } from '../../../agent/pods/resolve.js';
import { fixture, type Fixture } from '../../helpers/tunnel/fixture.js';

const encoded = (intent: PodIntent) => tunnelServiceDefinition.ApplyPod.requestSerialize({ intent }).length;

const pod = (uid = randomUUID(), extra: Record<string, string> = {}): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `p-${uid.slice(0, 8)}`, namespace: 'default', uid, generation: 3, annotations: extra, managedFields: [{ manager: 'kubectl' }] },
  spec: { containers: [{ name: 'main', image: 'busybox' }] },
});
const none: Resolved = { env: {}, volumes: {}, imagePullCredentials: [] };
const files = (n: number, size: number, mode = 0o644) => Array.from({ length: n }, (_, i) => ({ path: `dir/f-${i}.txt`, content: Buffer.alloc(size, 'x'), mode }));

const SHAPES: [string, Resolved, Record<string, string>?][] = [
  ['nothing resolved', none],
  ['non-ASCII annotations', none, { note: 'ünïcödé ✓ 漢字'.repeat(50) }],
  ['many small files', { ...none, volumes: { cfg: files(500, 3) } }],
  ['a few large files, mode 0', { ...none, volumes: { a: files(2, 200_000, 0), b: files(1, 70_000) } }],
  ['env with UTF-8 values', { ...none, env: { main: { A: 'x', B: 'ÿ'.repeat(300), 'ключ': 'значение' }, side: {} } }],
  ['pull credentials', { ...none, imagePullCredentials: [{ server: 'registry.example.com', username: 'u', password: 'p'.repeat(2000) }, { server: '', username: '', password: '' }] }],
];

for (const [name, resolved, annotations] of SHAPES) {
  test(`the size bound covers the encoding: ${name}`, (t) => {
    const intent = buildIntent(pod(randomUUID(), annotations), resolved, Number.MAX_SAFE_INTEGER);
    const bound = intentWireBytes(intent);
    const real = encoded(intent);
    t.true(bound >= real, `bound ${bound} < encoded ${real}`);
    const fileCount = Object.values(resolved.volumes).reduce((n, f) => n + f.length, 0);
    t.true(bound - real <= 16 + 2 * fileCount, `bound ${bound} is ${bound - real} bytes over the encoding`);
  });
}

test('managedFields and the status are not sent', (t) => {
  const p = { ...pod(), status: { phase: 'Running' } };
  const sent = JSON.parse(buildIntent(p, none, 1 << 20).podJson!.toString()) as V1Pod;
  t.is(sent.metadata?.managedFields, undefined);
  t.is(sent.status, undefined);
  t.is(sent.metadata?.uid, p.metadata?.uid);
});

test('a pod over the limit fails naming its size and the relay limit; one at the limit passes', (t) => {
  const p = pod();
  const resolved: Resolved = { ...none, volumes: { data: files(1, 10_000) } };
  const size = intentWireBytes(buildIntent(p, resolved, Number.MAX_SAFE_INTEGER));
  t.is(intentWireBytes(buildIntent(p, resolved, size)), size);
  const err = t.throws(() => buildIntent(p, resolved, size - 1), { instanceOf: IntentTooLargeError });
  t.is(err?.message, `pod with its resolved ConfigMaps/Secrets is ${size} bytes as a pod intent, over the relay's limit of ${size - 1} bytes per message (its limits.maxMessageBytes); move large files out of ConfigMap/Secret volumes`);
});

let relay: Fixture | undefined;
test.after.always(async () => {
  await relay?.close();
});

test('a real relay with maxMessageBytes 65536 accepts an intent built to exactly that limit, and states the limit in its handshake', async (t) => {
  const limit = 64 * 1024;
  relay = await fixture({ maxMessageBytes: limit });
  const c = await relay.connectedClient('agent-1');
  t.is(await c.maxIntentBytes(), limit, 'the limit comes from the handshake');
  const p = pod();
  const base = intentWireBytes(buildIntent(p, { ...none, volumes: { data: files(1, 0) } }, limit));
  // Grow the file until the bound is exactly the relay's limit (a varint length may grow by a byte on the way).
  let size = limit - base;
  let intent = buildIntent(p, { ...none, volumes: { data: files(1, size) } }, Number.MAX_SAFE_INTEGER);
  while (intentWireBytes(intent) > limit) intent = buildIntent(p, { ...none, volumes: { data: files(1, --size) } }, Number.MAX_SAFE_INTEGER);
  t.true(intentWireBytes(intent) >= limit - 1);
  t.true((await c.apply(buildIntent(p, { ...none, volumes: { data: files(1, size) } }, limit))).changed, 'accepted by the relay');
  t.throws(() => buildIntent(p, { ...none, volumes: { data: files(1, size + 2) } }, limit), { instanceOf: IntentTooLargeError });
});
