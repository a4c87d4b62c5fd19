// The tenant policy and pod quota enforced by EciProvider against the emulator through the unmodified SDK: a
// denied pod creates nothing in ECI and fails with PolicyDenied and a Warning event; an allowed one reaches ECI
// with exactly what it asked for (read back with DescribeContainerGroups); a reloaded policy applies to the next
// create; an image update the policy forbids is refused; quotas.maxPods holds per tenant across clusters under
// concurrent applies, is freed by deletes and is counted from ECI's listing by a restarted relay.
import test from 'ava';
import { startEmulator, type EmulatorHandle } from '../../../../cloud/eci-emulator/index.js';
import { defaultPolicy, type TenantPolicy } from '../../../../cloud/eci/policy/index.js';
import { ProviderError, type PodIntent, type TenantScope } from '../../../../cloud/pod-provider/provider.js';
import { $Eci, sdkClient } from '../../eci-emulator/sdk.js';
import { StateLog, intentOf, phaseOf, providerFor, scopeOf, uidOf, waitFor } from './fixtures.js';

let emu: EmulatorHandle;
test.before(async () => {
  emu = await startEmulator({ runtime: 'simulated', config: { createLatency: { schedulingMs: 20, pendingMs: 0 } } });
});
test.after.always(() => emu?.close());

const K = (s: string) => `k8s.aliyun.com/${s}`;

function withPolicy(scope: TenantScope, policy: Partial<TenantPolicy>, maxPods = 10_000): TenantScope {
  const d = defaultPolicy();
  return { ...scope, tenant: { ...scope.tenant, quotas: { maxPods }, policy: { ...d, ...policy, spot: { ...d.spot, ...policy.spot }, eip: { ...d.eip, ...policy.eip } } } };
}

function annotated(uid: string, name: string, annotations: Record<string, string>, image?: string): PodIntent {
  const intent = intentOf(uid, 1, name, { image });
  const pod = JSON.parse(intent.podJson.toString()) as { metadata: Record<string, unknown> };
  pod.metadata.annotations = annotations;
  return { ...intent, podJson: Buffer.from(JSON.stringify(pod)) };
}

const statusOf = (s: { statusJson: Buffer } | undefined) => JSON.parse(s?.statusJson.toString() ?? '{}') as { phase?: string; reason?: string; message?: string };

async function describe(groupId: string) {
  const r = await sdkClient(emu).describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: emu.regionId, containerGroupIds: JSON.stringify([groupId]) }));
  return r.body.containerGroups![0];
}

test.serial('a pod asking for a RAM role the policy does not list fails PolicyDenied with a Warning event; nothing reaches ECI', async (t) => {
  const p = providerFor(emu);
  t.teardown(() => p.close());
  const scope = scopeOf('acme', 'dc1');
  const log = new StateLog();
  p.watch(scope, log.listener);
  emu.admin.resetStats();
  const groupsBefore = emu.admin.listGroups().length;
  const uid = uidOf(1, 'bbbbbbbb');
  const r = await p.apply(scope, annotated(uid, 'thief', { [K('eci-ram-role-name')]: 'admin', [K('eci-with-eip')]: 'true' }));
  t.is(r.providerId, '', 'apply resolved: the pod is failed, not retried');
  const s = log.latest.get(uid);
  const st = statusOf(s);
  t.is(st.phase, 'Failed');
  t.is(st.reason, 'PolicyDenied');
  t.regex(st.message!, /annotation k8s\.aliyun\.com\/eci-ram-role-name="admin" is not allowed by tenant "acme" policy ramRoles \(allowed: none\); ask the cloud account owner to add it to tenants\.acme\.policy\.ramRoles/);
  t.regex(st.message!, /eci-with-eip="true" is not allowed by tenant "acme" policy eip\.create/);
  const ev = s!.events.find((e) => e.reason === 'PolicyDenied');
  t.is(ev?.type, 'Warning');
  t.is(ev?.message, st.message);
  t.is(emu.admin.stats().callsByAction.CreateContainerGroup ?? 0, 0, 'CreateContainerGroup never sent');
  t.is(emu.admin.listGroups().length, groupsBefore);
  t.false((await p.apply(scope, annotated(uid, 'thief', { [K('eci-ram-role-name')]: 'admin' }))).changed, 'the same generation is not retried');
  t.true((await p.delete(scope, uid, 0)).existed);
  t.true(log.latest.get(uid)?.gone);
});

test.serial('an allowed pod reaches ECI with exactly the role, placement, EIP and spot it asked for', async (t) => {
  const p = providerFor(emu);
  t.teardown(() => p.close());
  const scope = withPolicy(scopeOf('acme', 'dc1'), {
    ramRoles: ['reader'],
    securityGroups: ['sg-dmz00001'],
    vSwitches: ['vsw-dmz00001'],
    resourceGroups: ['rg-finance1'],
    eip: { create: true, maxBandwidthMbps: 10 } as TenantPolicy['eip'],
    spot: { strategies: ['SpotWithPriceLimit'], maxPriceLimit: 0.5 },
    instanceTypes: ['2-4Gi'],
  });
  const log = new StateLog();
  p.watch(scope, log.listener);
  emu.admin.resetStats();
  const uid = uidOf(2, 'bbbbbbbb');
  const r = await p.apply(scope, annotated(uid, 'allowed', {
    [K('eci-ram-role-name')]: 'reader',
    [K('eci-security-group')]: 'sg-dmz00001',
    [K('eci-vswitch')]: 'vsw-dmz00001',
    [K('eci-resource-group-id')]: 'rg-finance1',
    [K('eci-with-eip')]: 'true',
    [K('eip-bandwidth')]: '10',
    [K('eci-spot-strategy')]: 'SpotWithPriceLimit',
    [K('eci-spot-price-limit')]: '0.25',
    [K('eci-use-specs')]: '2-4Gi',
  }));
  t.regex(r.providerId, /^eci-/);
  t.is(emu.admin.stats().callsByAction.CreateContainerGroup, 1);
  await waitFor('Running', () => phaseOf(log.latest.get(uid)) === 'Running');
  const g = await describe(r.providerId);
  t.like(g, { ramRoleName: 'reader', securityGroupId: 'sg-dmz00001', vSwitchId: 'vsw-dmz00001', resourceGroupId: 'rg-finance1', spotStrategy: 'SpotWithPriceLimit', spotPriceLimit: 0.25, instanceType: '2-4Gi' });
  t.regex(g.internetIp ?? '', /^203\.0\.113\.\d+$/, 'the EIP the pod asked for');

  const plain = uidOf(3, 'bbbbbbbb');
  const r2 = await p.apply(scope, intentOf(plain, 1, 'plain'));
  const g2 = await describe(r2.providerId);
  t.like(g2, { ramRoleName: '', securityGroupId: 'sg-test1', vSwitchId: 'vsw-test1', resourceGroupId: '', internetIp: '', spotStrategy: 'NoSpot' });
  for (const u of [uid, plain]) await p.delete(scope, u, 0);
  await waitFor('both gone', () => log.latest.get(uid)?.gone && log.latest.get(plain)?.gone);
});

test.serial('a reloaded policy applies to the next create; an image update the policy forbids is refused before ECI', async (t) => {
  const p = providerFor(emu);
  t.teardown(() => p.close());
  const before = scopeOf('acme', 'dc1');
  const log = new StateLog();
  p.watch(before, log.listener);
  const denied = uidOf(4, 'bbbbbbbb');
  await p.apply(before, annotated(denied, 'reload-1', { [K('eci-ram-role-name')]: 'reader' }));
  t.is(statusOf(log.latest.get(denied)).reason, 'PolicyDenied');
  const after = withPolicy(before, { ramRoles: ['reader'], imageRegistries: ['docker.io'] });
  const allowed = uidOf(5, 'bbbbbbbb');
  const r = await p.apply(after, annotated(allowed, 'reload-2', { [K('eci-ram-role-name')]: 'reader' }));
  t.regex(r.providerId, /^eci-/, 'the same scope, its tenant reconfigured: allowed now');
  t.is((await describe(r.providerId)).ramRoleName, 'reader');
  await waitFor('Running', () => phaseOf(log.latest.get(allowed)) === 'Running');

  emu.admin.resetStats();
  const update = { ...annotated(allowed, 'reload-2', { [K('eci-ram-role-name')]: 'reader' }, 'evil.example.net/miner:1'), generation: 2 };
  const err = await t.throwsAsync(p.apply(after, update));
  t.is((err as ProviderError).code, 'FAILED_PRECONDITION');
  t.regex(err.message, /PolicyDenied: image "evil\.example\.net\/miner:1" of containers "main" \(registry "evil\.example\.net"\) is not allowed by tenant "acme" policy imageRegistries \(allowed: docker\.io\)/);
  t.is(emu.admin.stats().callsByAction.UpdateContainerGroup ?? 0, 0);
  for (const u of [denied, allowed]) await p.delete(after, u, 0);
  await waitFor('gone', () => log.latest.get(allowed)?.gone);
});

test.serial('quotas.maxPods holds per tenant across clusters under concurrent applies, is freed by a delete, and survives a restart', async (t) => {
  const max = 3;
  const dc1 = withPolicy(scopeOf('quota', 'q-dc1'), {}, max);
  const dc2 = withPolicy(scopeOf('quota', 'q-dc2'), {}, max);
  dc1.tenant.clusterIds = dc2.tenant.clusterIds = ['q-dc1', 'q-dc2'];
  const other = withPolicy(scopeOf('other', 'o-dc1'), {}, max);
  const p = providerFor(emu);
  t.teardown(() => p.close());
  const log = new StateLog();
  for (const s of [dc1, dc2, other]) p.watch(s, log.listener);
  emu.admin.resetStats();
  const uids = Array.from({ length: 8 }, (_, i) => uidOf(10 + i, 'cccccccc'));
  const results = await Promise.all(uids.map((u, i) => p.apply(i % 2 ? dc2 : dc1, intentOf(u, 1, `q-${i}`))));
  const created = results.filter((r) => r.providerId);
  t.is(created.length, max, 'exactly maxPods groups created');
  t.is(emu.admin.stats().callsByAction.CreateContainerGroup, max);
  const refused = uids.filter((_, i) => !results[i].providerId);
  for (const u of refused) {
    const st = statusOf(log.latest.get(u));
    t.is(st.phase, 'Failed');
    t.is(st.reason, 'TenantQuotaExceeded');
    t.regex(st.message!, /tenant "quota" \(clusters q-dc1, q-dc2\) already has 3 pods running or being created on ECI; this pod needs 1 more, over tenants\.quota\.quotas\.maxPods \(3\)/);
    t.true(log.latest.get(u)!.events.some((e) => e.type === 'Warning' && e.reason === 'TenantQuotaExceeded'));
  }
  t.regex((await p.apply(other, intentOf(uidOf(30, 'cccccccc'), 1, 'other'))).providerId, /^eci-/, 'another tenant has its own quota');

  // A delete frees a slot (the group is gone from ECI's listing).
  const freedIdx = results.findIndex((r) => r.providerId);
  const freedScope = freedIdx % 2 ? dc2 : dc1;
  await p.delete(freedScope, uids[freedIdx], 0);
  await waitFor('deleted group gone', () => log.latest.get(uids[freedIdx])?.gone);
  const next = uidOf(20, 'cccccccc');
  t.regex((await p.apply(dc1, intentOf(next, 1, 'q-next'))).providerId, /^eci-/, 'the freed slot is used');

  // A restarted relay (new provider, no memory) counts from ECI's listing.
  const restarted = providerFor(emu, { quotaRelistMs: 0 }); // every refusal re-lists (default: at most every 2 s)
  t.teardown(() => restarted.close());
  const log2 = new StateLog();
  restarted.watch(dc2, log2.listener);
  const late = uidOf(21, 'cccccccc');
  t.is((await restarted.apply(dc2, intentOf(late, 1, 'q-late'))).providerId, '');
  t.is(statusOf(log2.latest.get(late)).reason, 'TenantQuotaExceeded');
  const all = [...uids.filter((_, i) => results[i].providerId && i !== freedIdx), next];
  t.is(all.length, max);
  await p.delete(dc1, next, 0);
  await waitFor('gone', () => log.latest.get(next)?.gone);
  const later = uidOf(22, 'cccccccc');
  t.regex((await restarted.apply(dc2, intentOf(later, 1, 'q-later'))).providerId, /^eci-/, 'a refusal re-lists, so a slot freed by another relay is seen');
});
