// Pure identity helpers: ClientToken bounds under random uids, ownership from tags, generation tag parsing.
import test from 'ava';
import { randomBytes, randomInt } from 'node:crypto';
import { $Eci } from '../../../../cloud/eci/sdk.js';
import { TAG_GENERATION, clientTokenFor, generationOf, ownershipOf, podFromGroup } from '../../../../cloud/eci/provider/identity.js';
import { TAG_CLUSTER_ID, TAG_POD_UID } from '../../../../cloud/eci/mapping/index.js';
import { scopeOf } from './fixtures.js';

test('ClientToken is ≤64 printable ASCII, deterministic, and distinct per generation and attempt', (t) => {
  for (let i = 0; i < 500; i++) {
    const uid = randomInt(3) === 0 ? randomBytes(randomInt(1, 120)).toString('utf8') : crypto.randomUUID();
    const gen = randomInt(1, 2 ** 47);
    const tok = clientTokenFor(uid, gen);
    t.true(tok.length <= 64, tok);
    t.regex(tok, /^[\x21-\x7e]+$/);
    t.is(clientTokenFor(uid, gen), tok);
    t.not(clientTokenFor(uid, gen + 1), tok);
    t.not(clientTokenFor(uid, gen, 1), tok);
  }
});

const group = (tags: Record<string, string>) =>
  new $Eci.DescribeContainerGroupsResponseBodyContainerGroups({ containerGroupId: 'eci-1', tags: Object.entries(tags).map(([key, value]) => ({ key, value })), containers: [{ name: 'c', image: 'pause', cpu: 0.5, memory: 1 }] });

test('ownership comes from the cluster and tenant tags; untagged groups are never ours', (t) => {
  const s = scopeOf('t1', 'c1');
  t.is(ownershipOf(group({ [TAG_CLUSTER_ID]: 'c1', 'ecigw.io/tenant': 't1', [TAG_POD_UID]: 'u' }), s), 'mine');
  t.is(ownershipOf(group({ [TAG_CLUSTER_ID]: 'c2', 'ecigw.io/tenant': 't1', [TAG_POD_UID]: 'u' }), s), 'foreign');
  t.is(ownershipOf(group({ [TAG_CLUSTER_ID]: 'c1', 'ecigw.io/tenant': 't2', [TAG_POD_UID]: 'u' }), s), 'foreign');
  t.is(ownershipOf(group({ [TAG_CLUSTER_ID]: 'c1', 'ecigw.io/tenant': 't1' }), s), 'untagged');
  t.is(ownershipOf(group({}), s), 'untagged');
});

test('generation tag and rebuilt pod', (t) => {
  t.is(generationOf(group({ [TAG_GENERATION]: '7' })), 7);
  t.is(generationOf(group({ [TAG_GENERATION]: 'x' })), 0);
  t.is(generationOf(group({})), 0);
  const pod = podFromGroup(group({ [TAG_POD_UID]: 'u1', 'ecigw.io/namespace': 'ns', 'ecigw.io/pod-name': 'p' }));
  t.is(pod.metadata?.uid, 'u1');
  t.is(pod.metadata?.name, 'p');
  t.deepEqual(pod.spec?.containers[0].resources?.requests, { cpu: '0.5', memory: '1Gi' });
});
