// GC hold through the whole provider against the emulator (unmodified SDK): a broken agent's empty inventory,
// then a truncated one, delete none of its cluster's groups, while GC of another cluster runs: its orphan, seen
// later and with a grace period three times as long, is collected, which proves the broken cluster's grace period
// passed with its GC running. A sane inventory later resumes GC. The hold is visible as ecigw_relay_gc_held.
import test from 'ava';
import { Registry } from 'prom-client';
import { startEmulator, type EmulatorHandle } from '../../../../cloud/eci-emulator/index.js';
import { intentOf, providerFor, scopeOf, uidOf, waitFor } from './fixtures.js';

let emu: EmulatorHandle;
test.before(async () => {
  emu = await startEmulator({ runtime: 'simulated', config: { createLatency: { schedulingMs: 30, pendingMs: 0 } } });
});
test.after.always(() => emu?.close());

const exists = (id: string) => emu.admin.listGroups().some((g) => g.id === id);

test.serial('an empty or truncated inventory deletes nothing; GC of other clusters goes on; a sane inventory resumes it', async (t) => {
  const registry = new Registry();
  const p = providerFor(emu, { gcGraceMs: 400, registry });
  const other = providerFor(emu, { gcGraceMs: 1200 });
  t.teardown(() => p.close());
  t.teardown(() => other.close());
  const broken = scopeOf('t-hold', 'cluster-broken');
  const control = scopeOf('t-hold', 'cluster-control');
  const bu = [1, 2, 3].map((i) => uidOf(i, 'f0f0f0f0'));
  const cu = [1, 2, 3].map((i) => uidOf(i, 'f1f1f1f1'));
  const bGroups = await Promise.all(bu.map((u, i) => p.apply(broken, intentOf(u, 1, `hold-b${i}`))));
  const cGroups = await Promise.all(cu.map((u, i) => other.apply(control, intentOf(u, 1, `hold-c${i}`))));
  const held = async (cluster: string) =>
    (await registry.getSingleMetric('ecigw_relay_gc_held')?.get())?.values.find((v) => v.labels.cluster === cluster)?.value;

  // The broken agent sends an empty inventory: every group would be orphaned. The reply still lists them
  // (the agent re-applies what it holds), but GC holds.
  const empty = await p.reconcile(broken, []);
  t.deepEqual(empty.orphans.map((o) => o.uid).sort(), [...bu].sort());
  // The other cluster's inventory is sane; its one orphan is collected after the grace period.
  const sane = await other.reconcile(control, cu.slice(0, 2).map((uid) => ({ uid, generation: 1 })));
  t.deepEqual(sane.orphans.map((o) => o.uid), [cu[2]]);
  await waitFor('the control cluster’s orphan collected', () => !exists(cGroups[2].providerId), 20_000);
  t.true(bGroups.every((g) => exists(g.providerId)), 'no group of the cluster whose inventory was empty was deleted');
  t.true(exists(cGroups[0].providerId) && exists(cGroups[1].providerId));
  t.is(await held('cluster-broken'), 1);

  // Truncated: 2 of 3 orphaned (more than 50%). Still held.
  await p.reconcile(broken, [{ uid: bu[0], generation: 1 }]);
  const again = await other.reconcile(control, cu.slice(0, 1).map((uid) => ({ uid, generation: 1 })));
  t.deepEqual(again.orphans.map((o) => o.uid), [cu[1]]);
  await waitFor('the control cluster’s next orphan collected', () => !exists(cGroups[1].providerId), 20_000);
  t.true(bGroups.every((g) => exists(g.providerId)), 'a truncated inventory deleted nothing');
  t.is(await held('cluster-broken'), 1);

  // The agent is fixed; its inventory misses one pod only (1 of 3): GC resumes and collects that one.
  await p.reconcile(broken, bu.slice(0, 2).map((uid) => ({ uid, generation: 1 })));
  t.is(await held('cluster-broken'), 0);
  await waitFor('the real orphan collected once GC resumed', () => !exists(bGroups[2].providerId), 20_000);
  t.true(exists(bGroups[0].providerId) && exists(bGroups[1].providerId));

  for (const u of bu.slice(0, 2)) await p.delete(broken, u, 0);
  await other.delete(control, cu[0], 0);
  await waitFor('cleaned', () => emu.admin.listGroups().filter((g) => g.name.startsWith('hold-')).length === 0);
});
