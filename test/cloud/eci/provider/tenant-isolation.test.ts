// Two tenants of one relay on ONE ECI account (one emulator AccessKey) with the SAME cluster id and no tenant
// tags of their own: the immutable tenant-id tag alone keeps them apart (listing, lookup by uid, update, delete,
// reconcile and GC), a pod label cannot forge it, and a group made before the tag existed is never touched.
import test from 'ava';
import { startEmulator, type EmulatorHandle } from '../../../../cloud/eci-emulator/index.js';
import { ProviderError, type PodIntent, type TenantScope } from '../../../../cloud/pod-provider/provider.js';
import { $Eci } from '../../../../cloud/eci/sdk.js';
import { TAG_CLUSTER_ID, TAG_NAMESPACE, TAG_POD_NAME, TAG_POD_UID } from '../../../../cloud/eci/mapping/index.js';
import { callerFor, intentOf, providerFor, scopeOf, uidOf, waitFor } from './fixtures.js';

const TENANT_TAG = 'ecigw.io/tenant-id';

let emu: EmulatorHandle;
test.before(async () => {
  emu = await startEmulator({ runtime: 'simulated', config: { createLatency: { schedulingMs: 30, pendingMs: 0 } } });
});
test.after.always(() => emu?.close());

/** A tenant with no tags of its own: nothing but the gateway's tags tells it apart. */
function bareScope(tenantId: string, clusterId: string): TenantScope {
  const s = scopeOf(tenantId, clusterId);
  return { ...s, tenant: { ...s.tenant, tags: {} } };
}

function withLabels(intent: PodIntent, labels: Record<string, string>): PodIntent {
  const pod = JSON.parse(intent.podJson.toString('utf8')) as { metadata: { labels?: Record<string, string> } };
  pod.metadata.labels = { ...pod.metadata.labels, ...labels };
  return { ...intent, podJson: Buffer.from(JSON.stringify(pod)) };
}

const sdk = () => callerFor(emu, 'inspector');

async function tagsOf(groupId: string): Promise<Record<string, string>> {
  const res = await sdk().call('DescribeContainerGroups', (c, rt) =>
    c.describeContainerGroupsWithOptions(new $Eci.DescribeContainerGroupsRequest({ regionId: emu.regionId, containerGroupIds: JSON.stringify([groupId]) }), rt),
  );
  const g = res.body?.containerGroups?.[0];
  return Object.fromEntries((g?.tags ?? []).map((t) => [t.key ?? '', t.value ?? '']));
}

const exists = (id: string) => emu.admin.listGroups().some((g) => g.id === id);

test.serial('two tenants with the same cluster id on one ECI account cannot see, adopt, update or delete each other’s groups', async (t) => {
  const A = bareScope('acme', 'shared');
  const B = bareScope('globex', 'shared');
  const p = providerFor(emu, { gcGraceMs: 300 });
  t.teardown(() => p.close());
  const [a1, a2] = [uidOf(1, 'a0a0a0a0'), uidOf(2, 'a0a0a0a0')];
  const [b1, b2, b3] = [uidOf(1, 'b0b0b0b0'), uidOf(2, 'b0b0b0b0'), uidOf(3, 'b0b0b0b0')];
  const ra1 = await p.apply(A, intentOf(a1, 1, 'iso2-a1'));
  const ra2 = await p.apply(A, intentOf(a2, 1, 'iso2-a2'));
  // B's pod author labels the pod with A's tenant id: the label must not become the group's tenant tag.
  const rb1 = await p.apply(B, withLabels(intentOf(b1, 1, 'iso2-b1'), { [TENANT_TAG]: 'acme' }));
  await p.apply(B, intentOf(b2, 1, 'iso2-b2'));
  const rb3 = await p.apply(B, intentOf(b3, 1, 'iso2-b3'));

  t.is((await tagsOf(ra1.providerId))[TENANT_TAG], 'acme');
  t.is((await tagsOf(rb1.providerId))[TENANT_TAG], 'globex', 'a pod label cannot forge the tenant tag');
  t.deepEqual((await p.list(A)).map((s) => s.uid).sort(), [a1, a2]);
  t.deepEqual((await p.list(B)).map((s) => s.uid).sort(), [b1, b2, b3]);

  const denied = async (x: Promise<unknown>, what: string) => {
    const err = await t.throwsAsync(x, undefined, what);
    t.is((err as ProviderError).code, 'PERMISSION_DENIED', what);
    t.notRegex(err.message, /acme/, 'the refusal does not name the other tenant');
  };
  // The same relay, and a fresh one with no memory (ownership from the tags alone).
  const fresh = providerFor(emu, { gcGraceMs: 300 });
  t.teardown(() => fresh.close());
  for (const prov of [p, fresh]) {
    await denied(prov.get(B, a1), 'get');
    await denied(prov.apply(B, intentOf(a1, 2, 'iso2-a1', { image: 'nginx' })), 'update (apply of a newer generation)');
    await denied(prov.apply(B, intentOf(a1, 1, 'iso2-a1')), 'adopt (apply of the same generation)');
    await denied(prov.delete(B, a1, 0), 'delete');
  }
  t.deepEqual((await fresh.list(B)).map((s) => s.uid).sort(), [b1, b2, b3], 'a fresh relay adopts only its own tenant’s groups');

  // B's reconcile reports only B's orphan, and B's GC deletes it (so GC ran) while A's groups stay.
  const rec = await fresh.reconcile(B, [{ uid: b1, generation: 1 }, { uid: b2, generation: 1 }]);
  t.deepEqual(rec.orphans.map((o) => o.uid), [b3]);
  await waitFor('B’s orphan collected', () => !exists(rb3.providerId), 20_000);
  t.true(exists(ra1.providerId) && exists(ra2.providerId), 'A’s groups untouched by B’s GC');
  t.deepEqual((await fresh.list(A)).map((s) => s.uid).sort(), [a1, a2]);

  for (const u of [a1, a2]) await p.delete(A, u, 0);
  for (const u of [b1, b2]) await p.delete(B, u, 0);
  await waitFor('cleaned', () => emu.admin.listGroups().filter((g) => g.name.startsWith('iso2-')).length === 0);
});

test.serial('a group created before the tenant-id tag existed is not ours: never listed, adopted, collected or deleted', async (t) => {
  const A = bareScope('acme', 'legacy-cluster');
  const p = providerFor(emu, { gcGraceMs: 300 });
  t.teardown(() => p.close());
  const legacyUid = uidOf(1, 'c0c0c0c0');
  // What a relay before the tag made: the cluster and pod identity tags, no tenant id.
  const made = await sdk().call('CreateContainerGroup', (c, rt) =>
    c.createContainerGroupWithOptions(
      new $Eci.CreateContainerGroupRequest({
        regionId: emu.regionId,
        containerGroupName: 'legacy-l1',
        securityGroupId: 'sg-1',
        vSwitchId: 'vsw-1',
        container: [new $Eci.CreateContainerGroupRequestContainer({ name: 'main', image: 'pause' })],
        tag: [
          { key: TAG_CLUSTER_ID, value: 'legacy-cluster' },
          { key: TAG_NAMESPACE, value: 'default' },
          { key: TAG_POD_NAME, value: 'legacy-l1' },
          { key: TAG_POD_UID, value: legacyUid },
        ].map((x) => new $Eci.CreateContainerGroupRequestTag(x)),
      }),
      rt,
    ),
  );
  const legacyId = made.body.containerGroupId!;
  const mine = [uidOf(2, 'c0c0c0c0'), uidOf(3, 'c0c0c0c0'), uidOf(4, 'c0c0c0c0')];
  const created: { providerId: string }[] = [];
  for (const [i, u] of mine.entries()) created.push(await p.apply(A, intentOf(u, 1, `legacy-m${i}`)));

  t.deepEqual((await p.list(A)).map((s) => s.uid).sort(), [...mine].sort(), 'the legacy group is not listed');
  const refused = async (x: Promise<unknown>, what: string) => {
    const err = await t.throwsAsync(x, undefined, what);
    t.is((err as ProviderError).code, 'FAILED_PRECONDITION', what);
    t.regex(err.message, new RegExp(`${legacyId}.*${TENANT_TAG}`), `${what}: the message names the group and the missing tag`);
  };
  emu.admin.resetStats();
  await refused(p.get(A, legacyUid), 'get');
  await refused(p.apply(A, intentOf(legacyUid, 1, 'legacy-l1')), 'apply');
  await refused(p.delete(A, legacyUid, 0), 'delete');
  t.is(emu.admin.stats().callsByAction.CreateContainerGroup ?? 0, 0, 'no second group made for the pod');
  t.is(emu.admin.stats().callsByAction.DeleteContainerGroup ?? 0, 0, 'nothing deleted');

  // GC runs (it collects a real orphan of the scope) and leaves the legacy group alone.
  const rec = await p.reconcile(A, mine.slice(0, 2).map((uid) => ({ uid, generation: 1 })));
  t.deepEqual(rec.orphans.map((o) => o.uid), [mine[2]]);
  await waitFor('the real orphan collected', () => !exists(created[2].providerId), 20_000);
  t.true(exists(legacyId), 'the legacy group is never collected');

  for (const u of mine.slice(0, 2)) await p.delete(A, u, 0);
  await sdk().call('DeleteContainerGroup', (c, rt) => c.deleteContainerGroupWithOptions(new $Eci.DeleteContainerGroupRequest({ regionId: emu.regionId, containerGroupId: legacyId }), rt));
  await waitFor('cleaned', () => emu.admin.listGroups().filter((g) => g.name.startsWith('legacy-')).length === 0);
});
