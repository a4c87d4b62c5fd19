// The token file's grants: both forms, digests compared in lower case, each bad entry named.
import test from 'ava';
import { dnsLabelProblem, parseTokenGrants } from '../../../cloud/relay/identities.js';
import { FieldError } from '../../../common/field-error.js';
import type { TenantConfig } from '../../../cloud/pod-provider/provider.js';

const tenants = {
  one: { id: 'one', clusterIds: ['c1'] },
  two: { id: 'two', clusterIds: ['c2a', 'c2b'] },
} as unknown as Record<string, TenantConfig>;
const d1 = 'a'.repeat(64);
const d2 = 'b'.repeat(64);

test('token grants: short form for a one-cluster tenant, object form for any', (t) => {
  const g = parseTokenGrants(JSON.stringify({ [d1.toUpperCase()]: 'one', [d2]: { tenant: 'two', clusterIds: ['c2b'] } }), tenants);
  t.deepEqual([...g], [[d1, { tenantId: 'one', clusterIds: ['c1'] }], [d2, { tenantId: 'two', clusterIds: ['c2b'] }]]);
});

test('token file problems name the entry and the fix', (t) => {
  const cases: [string, RegExp][] = [
    ['{nope', /tokens\.json: not valid JSON/],
    ['[]', /tokens\.json: must be a JSON object/],
    [JSON.stringify({ 'plain-token': 'one' }), /entry "plain-token": key must be the SHA-256 hex digest/],
    [JSON.stringify({ [d1]: 'one', [d1.toUpperCase()]: 'one' }), /entry AAAAAAAAAAAA…: the same digest is listed twice/],
    [JSON.stringify({ [d1]: 'two' }), /entry aaaaaaaaaaaa…: the short form "two" is allowed only for a tenant with exactly one cluster id/],
    [JSON.stringify({ [d1]: { tenant: 'two', clusterIds: ['c1'] } }), /entry aaaaaaaaaaaa…\.clusterIds\[0\]: "c1" is not a cluster of tenant two/],
    [JSON.stringify({ [d1]: 'three' }), /unknown tenant "three"/],
  ];
  for (const [text, re] of cases) t.regex(t.throws(() => parseTokenGrants(text, tenants, 'tokens.json'), { instanceOf: FieldError }).message, re);
});

test('ids are DNS labels', (t) => {
  for (const ok of ['a', 'acme', 'acme-dc1', '0', 'a'.repeat(63)]) t.is(dnsLabelProblem(ok), undefined, ok);
  for (const bad of ['', 'A', 'a/b', 'a.b', '-a', 'a-', 'a'.repeat(64), 'a\u0000b', 'a:b']) t.truthy(dnsLabelProblem(bad), bad);
});
