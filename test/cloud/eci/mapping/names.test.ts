import test from 'ava';
import { groupNameFor, isValidGroupName, buildTags, tagProblem, fitTagValue, MAX_TAGS, TAG_CLUSTER_ID, TAG_NAMESPACE, TAG_POD_NAME, TAG_POD_UID } from '../../../../cloud/eci/mapping/names.js';
import { Issues } from '../../../../cloud/eci/mapping/types.js';

const NAME_CASES: Array<{ ns: string; name: string; expect?: string; hashed: boolean }> = [
  { ns: 'shop', name: 'web-0', expect: 'shop-web-0', hashed: false },
  { ns: 'default', name: 'a', expect: 'default-a', hashed: false },
  { ns: 'shop', name: 'web.v1.example', hashed: true },
  { ns: 'Shop', name: 'Web', hashed: true },
  { ns: 'kube-system', name: 'x', hashed: true },
  { ns: 'ns', name: 'x'.repeat(253), hashed: true },
  { ns: 'n'.repeat(63), name: 'p'.repeat(63), expect: `${'n'.repeat(63)}-${'p'.repeat(63)}`, hashed: false },
  { ns: 'n'.repeat(63), name: 'p'.repeat(64), expect: `${'n'.repeat(63)}-${'p'.repeat(64)}`, hashed: false },
  { ns: 'n'.repeat(63), name: 'p'.repeat(65), hashed: true },
  { ns: 'ns', name: '.-.', hashed: true },
];

for (const c of NAME_CASES) {
  test(`group name for ${c.ns.slice(0, 20)}/${c.name.slice(0, 20)} (len ${c.name.length})`, (t) => {
    const n = groupNameFor(c.ns, c.name);
    t.true(isValidGroupName(n), n);
    t.true(n.length <= 128);
    if (c.expect) t.is(n, c.expect);
    t.is(/-[0-9a-f]{8}$/.test(n) && n !== c.expect, c.hashed, n);
    t.is(groupNameFor(c.ns, c.name), n, 'deterministic');
  });
}

test('group names never collide for pods that sanitise or join to the same text', (t) => {
  const pairs: Array<[string, string]> = [['a-b', 'c'], ['a', 'b-c'], ['a', 'b.c'], ['a', 'b-c.'], ['shop', 'web.0'], ['shop', 'web-0'], ['ns', 'x'.repeat(200)], ['ns', `${'x'.repeat(199)}y`]];
  const names = pairs.map(([ns, n]) => groupNameFor(ns, n));
  t.is(new Set(names).size, names.length, names.join('\n'));
});

test('random names always give valid, deterministic group names (fuzz)', (t) => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABC0123456789-._';
  let seed = 7;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  const word = () => Array.from({ length: 1 + rnd(160) }, () => alphabet[rnd(alphabet.length)]).join('');
  for (let i = 0; i < 500; i++) {
    const ns = word(); const n = word();
    const g = groupNameFor(ns, n);
    t.true(isValidGroupName(g), `${ns}/${n} -> ${g}`);
  }
});

test('tag rules: length, forbidden prefixes and URLs', (t) => {
  t.is(tagProblem('app', 'web'), undefined);
  t.regex(tagProblem('aliyun.x', 'v')!, /aliyun/);
  t.regex(tagProblem('acs:x', 'v')!, /acs:/);
  t.regex(tagProblem('k', 'acs:v')!, /value/);
  t.regex(tagProblem('k', 'see https://x')!, /http/);
  t.regex(tagProblem('k'.repeat(129), 'v')!, /key/);
  t.regex(tagProblem('k', 'v'.repeat(129))!, /value/);
  t.is(tagProblem('k', ''), undefined);
  t.is(fitTagValue('x'.repeat(128)), 'x'.repeat(128));
  t.is(fitTagValue('x'.repeat(200)).length, 128);
});

test('identity tags come first with fixed keys, then tenant tags, then labels up to 20', (t) => {
  const issues = new Issues();
  const labels = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`l${String(i).padStart(2, '0')}`, 'v']));
  const tags = buildTags({ clusterId: 'c1', namespace: 'ns', podName: 'p', podUid: 'u', tenantTags: { team: 'a', cost: 'b' }, labels }, issues);
  t.is(tags.length, MAX_TAGS);
  t.deepEqual(tags.slice(0, 6).map((x) => x.key), [TAG_CLUSTER_ID, TAG_NAMESPACE, TAG_POD_NAME, TAG_POD_UID, 'team', 'cost']);
  t.deepEqual(tags.slice(0, 4).map((x) => x.value), ['c1', 'ns', 'p', 'u']);
  t.is(tags[6].key, 'l00');
  t.false(issues.failed);
  t.true(issues.warnings.some((w) => w.includes('16 label(s)') && w.includes('l29')), issues.warnings.join('\n'));
});

test('labels that break tag rules are skipped with a warning; bad tenant tags are errors', (t) => {
  const issues = new Issues();
  const tags = buildTags({ clusterId: 'c', namespace: 'n', podName: 'p', podUid: 'u', tenantTags: { 'aliyun:x': 'v' }, labels: { 'acs:bad': 'x', ok: 'y', [TAG_POD_UID]: 'spoof' } }, issues);
  t.deepEqual(tags.map((x) => x.key), [TAG_CLUSTER_ID, TAG_NAMESPACE, TAG_POD_NAME, TAG_POD_UID, 'ok']);
  t.is(tags[3].value, 'u', 'a label cannot override an identity tag');
  t.true(issues.warnings.some((w) => w.includes('acs:bad')));
  t.deepEqual(issues.errors.map((e) => e.field), ['tenant.tags[aliyun:x]']);
});

test('too many tenant tags is a tenant configuration error', (t) => {
  const issues = new Issues();
  const tenantTags = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`t${i}`, 'v']));
  buildTags({ clusterId: 'c', namespace: 'n', podName: 'p', podUid: 'u', tenantTags }, issues);
  t.is(issues.errors.length, 1);
  t.is(issues.errors[0].field, 'tenant.tags[t16]');
});

test('a pod name longer than a tag value is truncated with a hash and warned about', (t) => {
  const issues = new Issues();
  const long = 'p'.repeat(200);
  const tags = buildTags({ clusterId: 'c', namespace: 'n', podName: long, podUid: 'u' }, issues);
  t.is(tags[2].value.length, 128);
  t.not(tags[2].value, fitTagValue('p'.repeat(199) + 'q'));
  t.true(issues.warnings.some((w) => w.includes(TAG_POD_NAME)));
});
