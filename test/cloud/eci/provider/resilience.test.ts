// EciProvider under injected faults, restarts, several tenants and orphans, against the ECI emulator
// (simulated runtime) through the unmodified SDK.
import test from 'ava';
import { Registry } from 'prom-client';
import { startEmulator, type EmulatorHandle } from '../../../../cloud/eci-emulator/index.js';
import { ProviderError, type PodIntent } from '../../../../cloud/pod-provider/provider.js';
import { $Eci } from '../../../../cloud/eci/sdk.js';
import { StateLog, callerFor, intentOf, phaseOf, providerFor, scopeOf, uidOf, waitFor } from './fixtures.js';

let emu: EmulatorHandle;
test.before(async () => {
  emu = await startEmulator({ runtime: 'simulated', config: { createLatency: { schedulingMs: 30, pendingMs: 0 } } });
});
test.after.always(() => emu?.close());

const groupsNamed = (prefix: string) => emu.admin.listGroups().filter((g) => g.name.startsWith(prefix));

test.serial('20% 5xx plus throttling, and a provider restart mid-burst: every pod converges, no duplicates, no orphans', async (t) => {
  const scope = scopeOf('t-faults', 'cluster-faults');
  const N = 40;
  emu.admin.setFaults({ CreateContainerGroup: { errorRate: 0.2 }, DescribeContainerGroups: { errorRate: 0.2 }, DeleteContainerGroup: { errorRate: 0.2 } });
  // The emulator allows fewer creates per second than the caller sends: some calls are throttled and retried.
  emu.admin.setRateLimits({ CreateContainerGroup: 15, DescribeContainerGroups: 200, DeleteContainerGroup: 15 });
  t.teardown(() => {
    emu.admin.setFaults({});
    emu.admin.setRateLimits(true);
  });
  emu.admin.resetStats();
  const intents: PodIntent[] = Array.from({ length: N }, (_, i) => intentOf(uidOf(i, 'bbbbbbbb'), 1, `burst-${i}`, { namespace: 'burst' }));
  const apply = async (p: ReturnType<typeof providerFor>, list: PodIntent[]) => {
    const out = await Promise.allSettled(list.map((it) => p.apply(scope, it)));
    return out.filter((r) => r.status === 'rejected').length;
  };
  const first = providerFor(emu);
  const firstBurst = apply(first, intents);
  await waitFor('some groups created', () => groupsNamed('burst-').length >= N / 4);
  first.close(); // the relay "restarts": in-flight calls of the old instance still land
  const second = providerFor(emu);
  t.teardown(() => second.close());
  const log = new StateLog();
  second.watch(scope, log.listener);
  let failures = await apply(second, intents);
  for (let round = 0; failures > 0 && round < 5; round++) failures = await apply(second, intents); // the agent re-applies what failed
  await firstBurst;
  t.is(failures, 0);
  const stats = emu.admin.stats();
  t.true((stats.errorsByCode['Throttling.User'] ?? 0) > 0, 'throttling happened');
  t.true((stats.errorsByCode.InternalError ?? 0) + (stats.errorsByCode.ServiceUnavailable ?? 0) > 0, '5xx happened');
  await waitFor('all Running', () => intents.every((it) => phaseOf(log.latest.get(it.uid)) === 'Running') || undefined, 60_000);
  const names = groupsNamed('burst-').map((g) => g.name);
  t.is(names.length, N, 'one group per pod');
  t.is(new Set(names).size, N, 'no duplicate groups');

  const inv = await second.reconcile(scope, intents.map((it) => ({ uid: it.uid, generation: 1 })));
  t.deepEqual(inv, { missing: [], stale: [], orphans: [] });
  const deletes = await Promise.allSettled(intents.map((it) => second.delete(scope, it.uid, 0)));
  for (const [i, d] of deletes.entries()) if (d.status === 'rejected') await second.delete(scope, intents[i].uid, 0);
  await waitFor('all gone', () => intents.every((it) => log.latest.get(it.uid)?.gone) || undefined, 60_000);
  t.is(groupsNamed('burst-').length, 0, 'no orphans left');
});

test.serial('a new provider instance adopts existing groups from their tags', async (t) => {
  const scope = scopeOf('t-adopt', 'cluster-adopt');
  const a = providerFor(emu);
  const uid = uidOf(1, 'cccccccc');
  const r = await a.apply(scope, intentOf(uid, 3, 'adopt-1'));
  a.close();
  const b = providerFor(emu);
  t.teardown(() => b.close());
  const listed = await b.list(scope);
  t.deepEqual(listed.map((s) => [s.uid, s.providerId, s.generation]), [[uid, r.providerId, 3]]);
  emu.admin.resetStats();
  t.false((await b.apply(scope, intentOf(uid, 3, 'adopt-1'))).changed);
  t.is(emu.admin.stats().callsByAction.CreateContainerGroup ?? 0, 0);
  t.deepEqual(await b.reconcile(scope, [{ uid, generation: 3 }]), { missing: [], stale: [], orphans: [] });
  await b.delete(scope, uid, 0);
  await waitFor('deleted', () => groupsNamed('adopt-').length === 0);
});

test.serial('tenant A can neither see nor touch tenant B’s groups', async (t) => {
  const A = scopeOf('t-a', 'cluster-a');
  const B = scopeOf('t-b', 'cluster-b');
  const p = providerFor(emu);
  t.teardown(() => p.close());
  const ub = uidOf(1, 'dddddddd');
  const ua = uidOf(2, 'dddddddd');
  const rb = await p.apply(B, intentOf(ub, 1, 'iso-b'));
  await p.apply(A, intentOf(ua, 1, 'iso-a'));
  t.deepEqual((await p.list(A)).map((s) => s.uid), [ua]);
  t.deepEqual((await p.list(B)).map((s) => s.uid), [ub]);
  const denied = async (x: Promise<unknown>) => t.is((await t.throwsAsync<ProviderError>(x))?.code, 'PERMISSION_DENIED');
  // A fresh provider (no memory of B's pod) must still refuse, from the tags alone.
  const fresh = providerFor(emu);
  t.teardown(() => fresh.close());
  for (const prov of [p, fresh]) {
    await denied(prov.get(A, ub));
    await denied(prov.delete(A, ub, 0));
    await denied(prov.apply(A, intentOf(ub, 2, 'iso-b')));
  }
  const rec = await fresh.reconcile(A, []);
  t.deepEqual(rec.orphans.map((o) => o.uid), [ua], 'A’s reconcile never reports B’s pod');
  t.true(emu.admin.listGroups().some((g) => g.id === rb.providerId), 'B’s group untouched');
  await p.delete(A, ua, 0);
  await p.delete(B, ub, 0);
  await waitFor('deleted', () => groupsNamed('iso-').length === 0);
});

/** Orphans GC deleted for the scope (the provider's ecigw_relay_gc_deleted_total). */
async function gcDeleted(registry: Registry, scope: { tenantId: string; clusterId: string }): Promise<number> {
  const m = await registry.getSingleMetric('ecigw_relay_gc_deleted_total')!.get();
  return m.values.find((v) => v.labels.tenant === scope.tenantId && v.labels.cluster === scope.clusterId)?.value ?? 0;
}

/**
 * Waits until the provider made `n` more DescribeContainerGroups calls than `from`. Each tick of a watched scope's
 * poller is one listing, then a GC pass: with only that scope polling, two more reads mean at least one whole GC
 * pass ran in between.
 */
const readsPast = (p: ReturnType<typeof providerFor>, from: number, n: number, what: string) => waitFor(what, () => p.readCalls >= from + n, 15_000);

test.serial('GC deletes an orphan only after the grace period and never untagged or foreign groups', async (t) => {
  const scope = scopeOf('t-gc', 'cluster-gc');
  const other = scopeOf('t-gc', 'cluster-other');
  // The grace period is read on a clock the test moves: the real one plus the test's steps.
  let stepMs = 0;
  const graceMs = 60_000;
  const registry = new Registry();
  const p = providerFor(emu, { gcGraceMs: graceMs, now: () => Date.now() + stepMs, registry });
  t.teardown(() => p.close());
  // A watcher keeps the scope's poller (and its GC passes) running throughout.
  p.watch(scope, new StateLog().listener);
  const kept = uidOf(1, 'eeeeeeee');
  const orphan = uidOf(2, 'eeeeeeee');
  const foreign = uidOf(3, 'eeeeeeee');
  await p.apply(scope, intentOf(kept, 1, 'gc-kept'));
  const ro = await p.apply(scope, intentOf(orphan, 1, 'gc-orphan'));
  const rf = await p.apply(other, intentOf(foreign, 1, 'gc-foreign'));
  // An untagged group made directly through the SDK, outside the gateway.
  const caller = callerFor(emu, 'outsider');
  const untagged = await caller.call('CreateContainerGroup', (c, rt) =>
    c.createContainerGroupWithOptions(new $Eci.CreateContainerGroupRequest({ regionId: emu.regionId, containerGroupName: 'gc-untagged', securityGroupId: 'sg-1', vSwitchId: 'vsw-1', container: [new $Eci.CreateContainerGroupRequestContainer({ name: 'c', image: 'pause' })] }), rt),
  );
  const untaggedId = untagged.body.containerGroupId!;
  const exists = (id: string) => emu.admin.listGroups().some((g) => g.id === id);
  // The other cluster's scope stops polling once its pod is Running (nothing watches it): from then on the
  // provider's reads are this scope's ticks (but for one of the other's already under way).
  await waitFor('the other cluster\'s pod Running', async () => phaseOf(await p.get(other, foreign)) === 'Running');

  const rec = await p.reconcile(scope, [{ uid: kept, generation: 1 }]);
  t.deepEqual(rec.orphans.map((o) => o.uid), [orphan]);
  await readsPast(p, p.readCalls, 3, 'GC passes after the reconcile');
  t.true(exists(ro.providerId), 'not deleted before the grace period');
  t.is(await gcDeleted(registry, scope), 0, 'GC ran and deleted nothing yet');
  stepMs += graceMs;
  await waitFor('orphan deleted', () => !exists(ro.providerId), 10_000);
  // The counter moves when the provider has the emulator's answer, a moment after the group is gone there.
  await waitFor('the GC counted its delete', async () => (await gcDeleted(registry, scope)) >= 1, 10_000);
  t.is(await gcDeleted(registry, scope), 1, 'deleted by GC once the grace period was over');
  t.true(exists(rf.providerId), 'a group of another cluster is never touched');
  t.true(exists(untaggedId), 'an untagged group is never touched');
  // The provider reports the orphan gone once a poll confirms the group left ECI.
  await waitFor('orphan gone from the provider', async () => (await p.list(scope)).map((s) => s.uid).join() === kept, 10_000);

  // An orphan that reappears in the inventory before the grace period ends is kept.
  const back = uidOf(4, 'eeeeeeee');
  const rb = await p.apply(scope, intentOf(back, 1, 'gc-back'));
  await p.reconcile(scope, [{ uid: kept, generation: 1 }]);
  await p.reconcile(scope, [{ uid: kept, generation: 1 }, { uid: back, generation: 1 }]);
  stepMs += graceMs;
  await readsPast(p, p.readCalls, 3, 'GC passes after the grace period');
  t.true(exists(rb.providerId), 'an orphan back in the inventory is not collected');
  t.is(await gcDeleted(registry, scope), 1, 'GC deleted nothing more');

  for (const u of [kept, back]) await p.delete(scope, u, 0);
  await p.delete(other, foreign, 0);
  await caller.call('DeleteContainerGroup', (c, rt) => c.deleteContainerGroupWithOptions(new $Eci.DeleteContainerGroupRequest({ regionId: emu.regionId, containerGroupId: untaggedId }), rt));
  await waitFor('cleaned', () => groupsNamed('gc-').length === 0);
});

test.serial('a pod applied while reconcile lists the groups is not collected as an orphan', async (t) => {
  const scope = scopeOf('t-gc-race', 'cluster-gc-race');
  let stepMs = 0;
  const graceMs = 60_000;
  const p = providerFor(emu, { gcGraceMs: graceMs, now: () => Date.now() + stepMs });
  t.teardown(() => p.close());
  p.watch(scope, new StateLog().listener);
  const uid = uidOf(1, 'abababab');
  const r = await p.apply(scope, intentOf(uid, 1, 'race-applied'));
  // The agent's inventory was taken before this pod was applied; the listing is slowed by failing reads
  // so that the apply lands while the relay is still reconciling.
  emu.admin.setFaults({ DescribeContainerGroups: { errorRate: 1 } });
  t.teardown(() => emu.admin.setFaults({}));
  const listings = () => emu.admin.stats().callsByAction.DescribeContainerGroups ?? 0;
  const before = listings();
  const reconciling = p.reconcile(scope, []);
  const progress = { settled: false };
  void reconciling.then(() => (progress.settled = true), () => (progress.settled = true));
  await waitFor('the reconcile\'s listing sent (and failing)', () => listings() > before, 10_000);
  await p.apply(scope, intentOf(uid, 1, 'race-applied'));
  t.false(progress.settled, 'the apply landed while the reconcile was still listing');
  emu.admin.setFaults({});
  const rec = await reconciling;
  t.deepEqual(rec.orphans, [], 'applied during the reconcile: not an orphan');
  stepMs += graceMs;
  await readsPast(p, p.readCalls, 2, 'GC passes after the grace period');
  t.true(emu.admin.listGroups().some((g) => g.id === r.providerId), 'its group outlives the grace period');
  await p.delete(scope, uid, 0);
  await waitFor('cleaned', () => groupsNamed('race-').length === 0);
});

test.serial('a create whose idempotency token ECI already used for a group that is gone fails the pod as lost, and creates nothing', async (t) => {
  const scope = scopeOf('t-token', 'cluster-token');
  const uid = uidOf(1, 'cdcdcdcd');
  // A pod with a projected service-account token, which the agent resolves afresh for every intent it sends.
  const withToken = (token: string): PodIntent => ({
    ...intentOf(uid, 1, 'token-reused', { extraSpec: { volumes: [{ name: 'sa', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }] } }),
    volumes: { sa: { files: [{ path: 'token', content: Buffer.from(token), mode: 0 }] } },
  });
  const first = providerFor(emu);
  const r = await first.apply(scope, withToken('first-token'));
  first.close();
  // The group is deleted outside the gateway; a relay that never saw it gets the intent again, with other
  // content (as a re-resolved service-account token would be).
  await callerFor(emu, 'outsider').call('DeleteContainerGroup', (c, rt) => c.deleteContainerGroupWithOptions(new $Eci.DeleteContainerGroupRequest({ regionId: emu.regionId, containerGroupId: r.providerId }), rt));
  await waitFor('deleted', () => groupsNamed('token-').length === 0);
  const second = providerFor(emu);
  t.teardown(() => second.close());
  const log = new StateLog();
  second.watch(scope, log.listener);
  const ack = await second.apply(scope, withToken('a-newer-token'));
  t.is(ack.providerId, '');
  const s = await waitFor('pod reported Failed', () => (phaseOf(log.latest.get(uid)) === 'Failed' ? log.latest.get(uid) : undefined));
  const status = JSON.parse(Buffer.from(s.statusJson).toString('utf8')) as { reason?: string; message?: string };
  t.is(status.reason, 'ProviderInstanceLost');
  t.regex(status.message ?? '', /no longer exists/);
  t.is(groupsNamed('token-').length, 0, 'no second group');
});
