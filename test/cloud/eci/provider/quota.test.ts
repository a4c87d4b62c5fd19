// TenantQuota alone (a listing function and an injected clock): concurrent reservations never overshoot, a
// refusal re-lists (at most every relistMs), releases and observations free and take slots, and what scopes
// observe while a listing runs wins over that listing; which listed groups hold a slot.
import test from 'ava';
import { TenantQuota } from '../../../../cloud/eci/provider/quota.js';
import { holdsSlot } from '../../../../cloud/eci/provider/admission.js';
import { TAG_TENANT_ID } from '../../../../cloud/eci/provider/identity.js';
import { TAG_CLUSTER_ID, TAG_POD_UID, type EciGroup } from '../../../../cloud/eci/mapping/index.js';
import { scopeOf } from './fixtures.js';

/** A 1 vCPU / 2 GiB group of cluster c1. */
const size = { cluster: 'c1', cpu: 1, memoryGiB: 2 };
const sized = (uids: Iterable<string>) => new Map([...uids].map((u) => [u, size]));

function gatedListing(initial: string[]) {
  let groups = new Set(initial);
  let calls = 0;
  let gate: (() => void) | undefined;
  let hold = false;
  return {
    set(uids: string[]) {
      groups = new Set(uids);
    },
    holdNext() {
      hold = true;
    },
    release() {
      gate?.();
      gate = undefined;
    },
    get calls() {
      return calls;
    },
    list: async () => {
      calls++;
      const snapshot = sized(groups);
      if (hold) {
        hold = false;
        await new Promise<void>((r) => (gate = r));
      }
      return snapshot;
    },
  };
}

test('concurrent reservations take exactly the free slots, then refuse with the count', async (t) => {
  const l = gatedListing(['a']);
  const q = new TenantQuota(l.list, { relistMs: 1000, now: () => 0 });
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => q.reserve(`p${i}`, size, { maxPods: 4 })));
  t.is(results.filter((r) => r.ok).length, 3);
  t.deepEqual(results.filter((r) => !r.ok).map((r) => (r.ok ? -1 : r.cap.used)), [4, 4, 4, 4, 4, 4, 4]);
  t.is(l.calls, 1, 'one listing shared by every first caller; refusals within relistMs do not list again');
});

test('a refusal re-lists once relistMs passed, so a pod deleted elsewhere frees its slot', async (t) => {
  let now = 0;
  const l = gatedListing(['a', 'b']);
  const q = new TenantQuota(l.list, { relistMs: 1000, now: () => now });
  t.false((await q.reserve('c', size, { maxPods: 2 })).ok);
  t.is(l.calls, 1);
  l.set(['a']); // 'b' deleted by another relay
  now = 500;
  t.false((await q.reserve('c', size, { maxPods: 2 })).ok, 'within relistMs: the last listing stands');
  t.is(l.calls, 1);
  now = 1500;
  t.true((await q.reserve('c', size, { maxPods: 2 })).ok);
  t.is(l.calls, 2);
});

test('release(false) frees a slot; release(true) keeps it as a live pod until observed gone', async (t) => {
  const q = new TenantQuota(() => Promise.resolve(sized([])), { relistMs: 60_000, now: () => 0 });
  const a = await q.reserve('a', size, { maxPods: 1 });
  if (!a.ok) return t.fail();
  t.false((await q.reserve('b', size, { maxPods: 1 })).ok, 'in flight counts');
  a.release(false);
  const b = await q.reserve('b', size, { maxPods: 1 });
  if (!b.ok) return t.fail();
  b.release(true);
  t.is(q.usages().length, 1);
  t.false((await q.reserve('c', size, { maxPods: 1 })).ok);
  t.true((await q.reserve('b', size, { maxPods: 1 })).ok, 'a pod already counted takes no new slot');
  q.observe('b', false); // finished or deleted
  t.true((await q.reserve('c', size, { maxPods: 1 })).ok);
});

test('observations made while a listing runs override the listing they may predate', async (t) => {
  const l = gatedListing(['old', 'gone-soon']);
  const q = new TenantQuota(l.list, { relistMs: 0, now: () => 0 });
  l.holdNext();
  const first = q.reserve('x', size, { maxPods: 10 });
  await new Promise((r) => setImmediate(r));
  q.observe('gone-soon', false); // deleted after the listing was taken
  q.observe('fresh', true, size); // created after the listing was taken
  l.release();
  t.true((await first).ok);
  t.is(q.usages().length, 3, 'old + fresh + x in flight; gone-soon freed');
});

test('a failed listing rejects the reservation and the next one lists again', async (t) => {
  let fail = true;
  const q = new TenantQuota(() => (fail ? Promise.reject(new Error('Throttling.User')) : Promise.resolve(sized([]))), { relistMs: 60_000, now: () => 0 });
  await t.throwsAsync(q.reserve('a', size, { maxPods: 1 }), { message: /Throttling/ });
  fail = false;
  t.true((await q.reserve('a', size, { maxPods: 1 })).ok);
});

test('a listed group holds a slot only if it is the tenant\'s (its tags, one of its clusters) and not finished', (t) => {
  const scope = scopeOf('acme', 'dc1');
  scope.tenant.clusterIds = ['dc1', 'dc2'];
  const group = (status: string, tags: Record<string, string>) =>
    ({ containerGroupId: 'eci-1', status, tags: Object.entries(tags).map(([key, value]) => ({ key, value })) }) as unknown as EciGroup;
  const mine = (cluster: string) => ({ [TAG_POD_UID]: 'u1', [TAG_CLUSTER_ID]: cluster, [TAG_TENANT_ID]: 'acme', 'ecigw.io/tenant': 'acme' });
  const rows: Array<[string, EciGroup, boolean]> = [
    ['Running, this cluster', group('Running', mine('dc1')), true],
    ['Pending, another cluster of the tenant', group('Pending', mine('dc2')), true],
    ['Scheduling', group('Scheduling', mine('dc1')), true],
    ['Succeeded', group('Succeeded', mine('dc1')), false],
    ['Failed', group('Failed', mine('dc1')), false],
    ['Expired (spot reclaimed)', group('Expired', mine('dc1')), false],
    ['ScheduleFailed', group('ScheduleFailed', mine('dc1')), false],
    ['a cluster the tenant does not list', group('Running', mine('dc9')), false],
    ['another tenant', group('Running', { ...mine('dc1'), [TAG_TENANT_ID]: 'globex', 'ecigw.io/tenant': 'globex' }), false],
    ['no tenant-id tag (legacy)', group('Running', { [TAG_POD_UID]: 'u1', [TAG_CLUSTER_ID]: 'dc1', 'ecigw.io/tenant': 'acme' }), false],
    ['not a gateway group', group('Running', { [TAG_CLUSTER_ID]: 'dc1' }), false],
  ];
  for (const [what, g, holds] of rows) t.is(holdsSlot(g, scope), holds, what);
});
