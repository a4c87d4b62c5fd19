// Orphan GC of one scope (gc.ts), driven by an injected clock: the hold rule as a table, the grace period,
// the hold on an empty or truncated inventory (nothing deleted however long it lasts, a warning naming the
// counts, the ecigw_relay_gc_held gauge) and the resume with fresh grace periods once an inventory is in bounds.
import test from 'ava';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { OrphanGc, gcMetrics, maxOrphanShareProblem, shouldHold } from '../../../../cloud/eci/provider/gc.js';

test('shouldHold: more than the share, or all of the groups (when there are any)', (t) => {
  const table: [orphans: number, groups: number, maxShare: number, held: boolean][] = [
    [0, 0, 0.5, false],
    [0, 10, 0.5, false],
    [5, 10, 0.5, false], // exactly the share: acted on
    [6, 10, 0.5, true],
    [7, 10, 0.8, false], // a truncated inventory within a larger configured share
    [9, 10, 0.8, true],
    [1, 3, 0.5, false],
    [2, 3, 0.5, true],
    [1, 1, 0.5, true], // all of them
    [10, 10, 1, true], // all of them, whatever the share
    [9, 10, 1, false],
    [3, 2, 1, true], // more orphans than groups counted (never expected): held
  ];
  for (const [orphans, groups, share, held] of table) t.is(shouldHold(orphans, groups, share), held, `${orphans}/${groups} at ${share}`);
  for (const bad of [0, -0.1, 1.01, Number.NaN, '0.5', undefined]) t.truthy(maxOrphanShareProblem(bad), String(bad));
  t.is(maxOrphanShareProblem(1), undefined);
  t.throws(() => new OrphanGc({ graceMs: 1, maxOrphanShare: 0, tenant: 't', cluster: 'c', log: pino({ level: 'silent' }) }), { instanceOf: RangeError });
});

function harness(maxOrphanShare = 0.5, graceMs = 60_000) {
  let now = 1_000_000;
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  const registry = new Registry();
  const gc = new OrphanGc({ graceMs, maxOrphanShare, now: () => now, metrics: gcMetrics(registry), tenant: 'acme', cluster: 'dc-1', log });
  const removed: string[] = [];
  const tracked = new Set<string>();
  const collect = () => gc.collect((uid) => (tracked.has(uid) ? `eci-${uid}` : undefined), (uid) => Promise.resolve(gc.isDue(uid) ? (removed.push(uid), tracked.delete(uid), true) : false));
  const gauge = async () => (await registry.getSingleMetric('ecigw_relay_gc_held')!.get()).values.find((v) => v.labels.tenant === 'acme' && v.labels.cluster === 'dc-1')?.value;
  const deleted = async () => (await registry.getSingleMetric('ecigw_relay_gc_deleted_total')!.get()).values[0]?.value ?? 0;
  return { gc, lines, removed, tracked, collect, gauge, deleted, advance: (ms: number) => (now += ms) };
}

test('an orphan is deleted once its grace period is over, not before; an applied one never', async (t) => {
  const h = harness();
  for (const u of ['a', 'b', 'c', 'd']) h.tracked.add(u);
  h.gc.beginInventory(['a', 'b']);
  t.false(h.gc.inventoryResult(['c', 'd'], 4).held);
  h.advance(59_999);
  t.is(await h.collect(), 1, 'the next candidate is due in 1 ms');
  t.deepEqual(h.removed, []);
  h.gc.applied('d'); // the agent still holds it: it re-applied the pod within the grace period
  h.advance(1);
  t.is(await h.collect(), undefined);
  t.deepEqual(h.removed, ['c']);
  t.is(await h.deleted(), 1);
  t.is(await h.gauge(), 0);
});

test('an empty inventory from a broken agent deletes nothing, however long it lasts; a later one within bounds resumes with fresh grace', async (t) => {
  const h = harness();
  const all = ['a', 'b', 'c', 'd'];
  for (const u of all) h.tracked.add(u);
  // An orphan from an earlier, sane inventory is waiting when the broken one arrives.
  h.gc.beginInventory(['a', 'b', 'c']);
  h.gc.inventoryResult(['d'], 4);
  h.advance(30_000);
  h.gc.beginInventory([]);
  const v = h.gc.inventoryResult(all, 4);
  t.deepEqual(v, { held: true, orphans: 4, groups: 4 });
  t.true(h.gc.held);
  t.is(await h.gauge(), 1);
  const warn = h.lines.find((l) => l.level === 40);
  t.like(warn, { orphans: 4, groups: 4, maxOrphanShare: 0.5 });
  t.regex(String(warn?.msg), /would orphan 4 of 4 container groups \(all of them\); nothing is deleted/);
  for (let i = 0; i < 10; i++) {
    h.advance(60_000);
    t.is(await h.collect(), undefined);
  }
  t.deepEqual(h.removed, [], 'nothing deleted while held, including the orphan seen before the hold');
  t.is(h.gc.pending, 0);

  // The agent is fixed: its inventory lists all but d. GC resumes, and d's grace period starts now.
  h.gc.beginInventory(['a', 'b', 'c']);
  t.false(h.gc.inventoryResult(['d'], 4).held);
  t.is(await h.gauge(), 0);
  t.truthy(h.lines.find((l) => /orphan GC resumes/.test(String(l.msg))));
  h.advance(59_999);
  await h.collect();
  t.deepEqual(h.removed, [], 'a fresh grace period after the hold');
  h.advance(1);
  await h.collect();
  t.deepEqual(h.removed, ['d']);
});

test('a truncated inventory (70% of the groups orphaned) holds at the default share and is acted on at 0.8', async (t) => {
  const groups = Array.from({ length: 10 }, (_, i) => `u${i}`);
  for (const [share, held] of [[0.5, true], [0.8, false]] as const) {
    const h = harness(share);
    for (const u of groups) h.tracked.add(u);
    h.gc.beginInventory(groups.slice(0, 3));
    t.is(h.gc.inventoryResult(groups.slice(3), 10).held, held);
    h.advance(60_000);
    await h.collect();
    t.is(h.removed.length, held ? 0 : 7, `share ${share}`);
    if (held) t.regex(String(h.lines.find((l) => l.level === 40)?.msg), /7 of 10 container groups \(more than 50%\)/);
  }
});

test('a hold arriving while a collection runs stops the deletions not yet made', async (t) => {
  const h = harness();
  for (const u of ['a', 'b', 'c', 'd', 'e']) h.tracked.add(u);
  h.gc.beginInventory(['c', 'd', 'e']);
  h.gc.inventoryResult(['a', 'b'], 5);
  h.advance(60_000);
  // The first deletion is slow; meanwhile an empty inventory arrives.
  const removed: string[] = [];
  const run = h.gc.collect(
    (uid) => `eci-${uid}`,
    (uid) => {
      if (removed.length === 0) {
        h.gc.beginInventory([]);
        h.gc.inventoryResult(['a', 'b', 'c', 'd', 'e'], 5);
      }
      if (!h.gc.isDue(uid)) return Promise.resolve(false);
      removed.push(uid);
      return Promise.resolve(true);
    },
  );
  await run;
  t.deepEqual(removed, [], 'the hold cleared every candidate before it was deleted');
});
