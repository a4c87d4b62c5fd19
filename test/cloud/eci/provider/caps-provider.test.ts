// Caps on vCPU and spend enforced by EciProvider against the emulator through the unmodified SDK: the spend of
// each group comes from ECI's price API (DescribeContainerGroupPrice), a create that would go over a cap fails
// TenantQuotaExceeded naming it and creates nothing, and capacity() reports what each cap has used, including
// groups a restarted relay only knows from ECI's listing.
import test from 'ava';
import { startEmulator, type EmulatorHandle } from '../../../../cloud/eci-emulator/index.js';
import type { TenantScope } from '../../../../cloud/pod-provider/provider.js';
import { StateLog, intentOf, providerFor, scopeOf, uidOf } from './fixtures.js';

let emu: EmulatorHandle;
test.before(async () => {
  emu = await startEmulator({ runtime: 'simulated', config: { createLatency: { schedulingMs: 20, pendingMs: 0 } } });
});
test.after.always(() => emu?.close());

const statusOf = (s: { statusJson: Buffer } | undefined) => JSON.parse(s?.statusJson.toString() ?? '{}') as { phase?: string; reason?: string; message?: string };
const capped = (scope: TenantScope, quotas: TenantScope['tenant']['quotas']): TenantScope => ({ ...scope, tenant: { ...scope.tenant, quotas } });

// The fixtures' pods ask 250m / 512Mi: ECI's 0.25 vCPU / 0.5 GiB, at the emulator's default prices
// 0.25 × 0.1764 + 0.5 × 0.022068 = 0.055134 per hour.
const PER_POD = 0.055134;

test.serial('the spend comes from the price table ECI serves: another table, another count', async (t) => {
  emu.admin.setPrices({ vcpuHour: 1, memoryGiBHour: 0.1 }); // 0.25 + 0.05 = 0.3 per pod and hour
  t.teardown(() => void emu.admin.setPrices({ vcpuHour: 0.1764, memoryGiBHour: 0.022068 }));
  const scope = capped(scopeOf('dear', 'd-dc1'), { maxPods: 100, maxSpendPerHour: 0.7 });
  const p = providerFor(emu);
  t.teardown(() => p.close());
  const log = new StateLog();
  p.watch(scope, log.listener);
  const uids = [1, 2, 3].map((i) => uidOf(i, 'ffffffff'));
  for (const [i, u] of uids.entries()) await p.apply(scope, intentOf(u, 1, `dear-${i}`));
  t.is(statusOf(log.latest.get(uids[2])).reason, 'TenantQuotaExceeded', 'the third pod would make 0.9 per hour');
  t.is((await p.capacity(scope)).find((c) => c.resource === 'spend')?.used, 0.6);
  for (const u of uids.slice(0, 2)) await p.delete(scope, u, 0);
});

test.serial('a spend cap admits what its price allows and refuses the next pod naming quotas.maxSpendPerHour', async (t) => {
  const scope = capped(scopeOf('spender', 's-dc1'), { maxPods: 100, maxSpendPerHour: 0.12 });
  const p = providerFor(emu);
  t.teardown(() => p.close());
  const log = new StateLog();
  p.watch(scope, log.listener);
  emu.admin.resetStats();
  const uids = [1, 2, 3].map((i) => uidOf(i, 'dddddddd'));
  for (const [i, u] of uids.entries()) await p.apply(scope, intentOf(u, 1, `spend-${i}`));
  t.is(emu.admin.stats().callsByAction.CreateContainerGroup, 2, 'two groups fit 0.12 per hour');
  t.true((emu.admin.stats().callsByAction.DescribeContainerGroupPrice ?? 0) >= 1, 'the price came from ECI');
  const third = statusOf(log.latest.get(uids[2]));
  t.is(third.phase, 'Failed');
  t.is(third.reason, 'TenantQuotaExceeded');
  t.regex(third.message!, /already has 0\.110268 per hour of spend running or being created on ECI; this pod needs 0\.055134 more, over tenants\.spender\.quotas\.maxSpendPerHour \(0\.12\)/);

  const spend = (await p.capacity(scope)).find((c) => c.resource === 'spend');
  t.deepEqual(spend, { resource: 'spend', key: 'quotas.maxSpendPerHour', limit: 0.12, used: 2 * PER_POD, usedHere: 2 * PER_POD });

  // A restarted relay knows the two groups only from ECI's listing, and prices them again.
  const fresh = providerFor(emu);
  t.teardown(() => fresh.close());
  const after = (await fresh.capacity(scope)).find((c) => c.resource === 'spend');
  t.is(after?.used, 2 * PER_POD);
  for (const u of uids.slice(0, 2)) await p.delete(scope, u, 0);
});

test.serial('a cluster vCPU cap leaves the other cluster alone; capacity() says what each cluster holds', async (t) => {
  const dc1 = capped(scopeOf('split', 'x-dc1'), { maxPods: 100, maxVcpu: 10, clusters: { 'x-dc1': { maxVcpu: 0.5 } } });
  const dc2 = { ...dc1, clusterId: 'x-dc2' };
  dc1.tenant.clusterIds = ['x-dc1', 'x-dc2'];
  const p = providerFor(emu);
  t.teardown(() => p.close());
  const log = new StateLog();
  p.watch(dc1, log.listener);
  p.watch(dc2, log.listener);
  const a = [1, 2, 3].map((i) => uidOf(i, 'eeeeeeee'));
  for (const [i, u] of a.entries()) await p.apply(dc1, intentOf(u, 1, `x1-${i}`));
  const b = uidOf(9, 'eeeeeeee');
  t.regex((await p.apply(dc2, intentOf(b, 1, 'x2-0'))).providerId, /^eci-/, 'dc2 is not under dc1\'s cap');
  t.is(statusOf(log.latest.get(a[2])).reason, 'TenantQuotaExceeded');
  t.regex(statusOf(log.latest.get(a[2])).message!, /cluster "x-dc1" of tenant "split" already has 0\.5 vCPU .* over tenants\.split\.quotas\.clusters\.x-dc1\.maxVcpu \(0\.5\)/);
  const caps = await p.capacity(dc1);
  t.deepEqual(caps.filter((c) => c.resource === 'cpu'), [
    { resource: 'cpu', key: 'quotas.maxVcpu', limit: 10, used: 0.75, usedHere: 0.5 },
    { resource: 'cpu', key: 'quotas.clusters.x-dc1.maxVcpu', limit: 0.5, used: 0.5, usedHere: 0.5 },
  ]);
  for (const u of a.slice(0, 2)) await p.delete(dc1, u, 0);
  await p.delete(dc2, b, 0);
});
