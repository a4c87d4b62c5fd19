// Pure identity helpers: ClientToken bounds under random uids and its scoping per tenant and cluster, ownership
// from tags (tenant-id tag, legacy groups), the tenant tag every write carries, generation tag parsing.
import test from 'ava';
import { randomBytes, randomInt } from 'node:crypto';
import { $Eci } from '../../../../cloud/eci/sdk.js';
import { TAG_GENERATION, TAG_TENANT_ID, clientTokenFor, generationOf, ownGroupsForUid, ownershipOf, podFromGroup, scopedClientToken, withTenantTag } from '../../../../cloud/eci/provider/identity.js';
import { MAX_TAGS, TAG_CLUSTER_ID, TAG_NAMESPACE, TAG_POD_NAME, TAG_POD_UID } from '../../../../cloud/eci/mapping/index.js';
import { ProviderError } from '../../../../cloud/pod-provider/provider.js';
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

test('ownership comes from the cluster, tenant-id and tenant tags; legacy and untagged groups are never ours', (t) => {
  const s = scopeOf('t1', 'c1');
  const table: [Record<string, string>, ReturnType<typeof ownershipOf>][] = [
    [{ [TAG_CLUSTER_ID]: 'c1', [TAG_TENANT_ID]: 't1', 'ecigw.io/tenant': 't1', [TAG_POD_UID]: 'u' }, 'mine'],
    [{ [TAG_CLUSTER_ID]: 'c2', [TAG_TENANT_ID]: 't1', 'ecigw.io/tenant': 't1', [TAG_POD_UID]: 'u' }, 'foreign'],
    [{ [TAG_CLUSTER_ID]: 'c1', [TAG_TENANT_ID]: 't1', 'ecigw.io/tenant': 't2', [TAG_POD_UID]: 'u' }, 'foreign'],
    // Same cluster id and same tenant tags, another tenant id: another tenant's group.
    [{ [TAG_CLUSTER_ID]: 'c1', [TAG_TENANT_ID]: 't2', 'ecigw.io/tenant': 't1', [TAG_POD_UID]: 'u' }, 'foreign'],
    // Made before the tenant-id tag existed: not ours, whatever its other tags say.
    [{ [TAG_CLUSTER_ID]: 'c1', 'ecigw.io/tenant': 't1', [TAG_POD_UID]: 'u' }, 'legacy'],
    [{ [TAG_CLUSTER_ID]: 'c1', [TAG_TENANT_ID]: '', 'ecigw.io/tenant': 't1', [TAG_POD_UID]: 'u' }, 'legacy'],
    [{ [TAG_CLUSTER_ID]: 'c1', [TAG_TENANT_ID]: 't1', 'ecigw.io/tenant': 't1' }, 'untagged'],
    [{}, 'untagged'],
  ];
  for (const [tags, want] of table) t.is(ownershipOf(group(tags), s), want, JSON.stringify(tags));
});

test('a lookup by uid: own groups oldest first; another scope’s is PERMISSION_DENIED, a legacy one FAILED_PRECONDITION', (t) => {
  const s = scopeOf('t1', 'c1');
  const g = (id: string, tenantId: string | undefined, created: string) =>
    new $Eci.DescribeContainerGroupsResponseBodyContainerGroups({
      containerGroupId: id,
      creationTime: created,
      tags: Object.entries({ [TAG_CLUSTER_ID]: 'c1', 'ecigw.io/tenant': 't1', [TAG_POD_UID]: 'u', ...(tenantId ? { [TAG_TENANT_ID]: tenantId } : {}) }).map(([key, value]) => ({ key, value })),
    });
  t.deepEqual(ownGroupsForUid([g('b', 't1', '2'), g('a', 't1', '1'), g('x', 't2', '0')], s, 'u').map((x) => x.containerGroupId), ['a', 'b']);
  t.deepEqual(ownGroupsForUid([], s, 'u'), []);
  const denied = t.throws<ProviderError>(() => ownGroupsForUid([g('x', 't2', '0')], s, 'u'));
  t.is(denied.code, 'PERMISSION_DENIED');
  t.notRegex(denied.message, /t2/);
  const legacy = t.throws<ProviderError>(() => ownGroupsForUid([g('old', undefined, '0')], s, 'u'));
  t.is(legacy.code, 'FAILED_PRECONDITION');
  t.regex(legacy.message, new RegExp(`container group old has no ${TAG_TENANT_ID} tag.*delete it`));
});

test('every write carries the scope’s tenant tag: a forged one is replaced, a copied label makes room, never an identity tag', (t) => {
  const s = scopeOf('t1', 'c1'); // tenant tag ecigw.io/tenant=t1
  const make = (x: { key: string; value: string }) => x;
  const identity = [
    { key: TAG_CLUSTER_ID, value: 'c1' },
    { key: TAG_NAMESPACE, value: 'ns' },
    { key: TAG_POD_NAME, value: 'p' },
    { key: TAG_POD_UID, value: 'u' },
    { key: 'ecigw.io/tenant', value: 't1' },
  ];
  const forged = withTenantTag([...identity, { key: TAG_TENANT_ID, value: 'victim' }, { key: TAG_GENERATION, value: '1' }], s, make);
  t.deepEqual(forged.tags.filter((x) => x.key === TAG_TENANT_ID), [{ key: TAG_TENANT_ID, value: 't1' }]);
  t.deepEqual(forged.warnings, []);
  const labels = Array.from({ length: MAX_TAGS - identity.length - 1 }, (_, i) => ({ key: `label-${i}`, value: 'v' }));
  const full = withTenantTag([...identity, ...labels, { key: TAG_GENERATION, value: '1' }], s, make);
  t.is(full.tags.length, MAX_TAGS);
  t.false(full.tags.some((x) => x.key === `label-${labels.length - 1}`), 'the last label made room');
  t.true(full.tags.some((x) => x.key === TAG_GENERATION) && full.tags.some((x) => x.key === TAG_POD_UID));
  t.regex(full.warnings.join(), new RegExp(`label label-${labels.length - 1} is not copied.*${TAG_TENANT_ID}`));
  const tooMany = { ...s, tenant: { ...s.tenant, tags: Object.fromEntries(Array.from({ length: MAX_TAGS - 5 }, (_, i) => [`t${i}`, 'v'])) } };
  const all = [...identity.slice(0, 4), ...Object.entries(tooMany.tenant.tags).map(([key, value]) => ({ key, value })), { key: TAG_GENERATION, value: '1' }];
  t.is(t.throws<ProviderError>(() => withTenantTag(all, tooMany, make))?.code, 'INVALID_ARGUMENT');
  const aliyun = { ...s, tenantId: 'aliyun-x' };
  t.regex(t.throws<ProviderError>(() => withTenantTag(identity, aliyun, make))?.message ?? '', /tenants\.aliyun-x: .*rename the tenant/);
});

test('the ClientToken ECI sees is bound to the tenant and cluster: never shared across scopes, ≤64 printable ASCII', (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const token = clientTokenFor(randomInt(3) === 0 ? randomBytes(randomInt(1, 120)).toString('utf8') : crypto.randomUUID(), randomInt(1, 2 ** 47), randomInt(3));
    const scoped = ['t1/c1', 't2/c1', 't1/c2'].map((k) => scopedClientToken(token, scopeOf(k.split('/')[0], k.split('/')[1])));
    t.is(new Set(scoped).size, 3, 'one token per scope');
    for (const x of scoped) {
      t.true(x.length <= 64, x);
      t.regex(x, /^[\x21-\x7e]+$/);
      t.false(seen.has(x));
      seen.add(x);
    }
    t.is(scopedClientToken(token, scopeOf('t1', 'c1')), scoped[0], 'deterministic');
  }
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
